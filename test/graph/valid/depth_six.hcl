# Six levels counting the profile: the deepest a graph may go.
data_graph {
  version = "v1.0.0"
  entity "a" {
    name = "A"
    table_ref = "a"
    primary_key = "ID"
  }
  entity "b" {
    name = "B"
    table_ref = "b"
    primary_key = "ID"
  }
  profile {
    profile_folder = "db.segment"
    type = "segment:materialized"
    relationship "l2" {
      name = "Level 2"
      related_entity = "a"
      external_id {
        type = "user_id"
        join_key = "USER_ID"
      }
      relationship "l3" {
        name = "Level 3"
        related_entity = "b"
        join_on = "a.ID = b.A_ID"
        relationship "l4" {
          name = "Level 4"
          related_entity = "a"
          join_on = "a.B_ID = b.ID"
          relationship "l5" {
            name = "Level 5"
            related_entity = "b"
            join_on = "b.A_ID = a.ID"
            relationship "l6" {
              name = "Level 6"
              related_entity = "a"
              join_on = "b.ID = a.B_ID"
            }
          }
        }
      }
    }
  }
}
