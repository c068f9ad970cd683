/* A self-relationship (the left side of join_on is the parent) and one
   entity reached by two relationships. */
data_graph {
  version = "v1.0.0"
  entity "person" {
    name = "People"
    table_ref = "crm.people"
    primary_key = "ID"
    description = "Everyone we know, \"really\" everyone \\ all of them"
  }
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
    relationship "me" {
      name = "Me"
      related_entity = "person"
      trait {
        name = "person_id"
        join_key = "ID"
      }
      relationship "referred-by-me" {
        name = "Referred by me"
        related_entity = "person"
        join_on = "person.ID = person.REFERRER_ID"
      }
    }
    relationship "colleagues" {
      name = "Colleagues"
      related_entity = "person"
      external_id {
        type = "email"
        join_key = "WORK_EMAIL"
      }
    }
  }
}
