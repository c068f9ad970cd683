data_graph {
  version = "v1.0.0"
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
  }
}
}
