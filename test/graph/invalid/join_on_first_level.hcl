data_graph {
  version = "v1.0.0"
  entity "account" {
    name = "Accounts"
    table_ref = "crm.accounts"
    primary_key = "ID"
  }
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
    relationship "user-accounts" {
      name = "Accounts"
      related_entity = "account"
      join_on = "profile.ID = account.USER_ID"
    }
  }
}
