data_graph {
  version = "v1.0.0"
  ÿþ
}
