data_graph {
  version = "v1.0.0"
  entity "account-entity" {
    name = "account"
    table_ref = "PRODUCTION.CUST.ACCOUNT"
    primary_key = "ID"
  }
  profile {
    profile_folder = "PRODUCTION.SEGMENT"
    type = "segment:materialized"
    relationship "user-accounts" {
      name = "Accounts"
      related_entity = "acount-entity"
      external_id {
        type = "email"
        join_key = "EMAIL_ID"
      }
      relationship "user-carts" {
        name = "Carts"
        related_entity = "cart-entity"
        join_on = "account-entity.ID = cart-entity.ACCOUNT_ID"
      }
    }
  }
}
