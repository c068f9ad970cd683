data_graph {
  version = "v1.0.0"
  entity "x" {
    name = "ÿþ"
  }
}
