data_graph {
  version = "v1.0.0
  profile {
  }
}
