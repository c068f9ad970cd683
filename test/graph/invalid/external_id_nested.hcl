data_graph {
  version = "v1.0.0"
  entity "account" {
    name = "Accounts"
    table_ref = "crm.accounts"
    primary_key = "ID"
  }
  entity "cart" {
    name = "Carts"
    table_ref = "crm.carts"
    primary_key = "ID"
  }
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
    relationship "user-accounts" {
      name = "Accounts"
      related_entity = "account"
      external_id {
        type = "email"
        join_key = "EMAIL"
      }
      relationship "account-carts" {
        name = "Carts"
        related_entity = "cart"
        external_id {
          type = "email"
          join_key = "EMAIL"
        }
      }
      relationship "account-carts-by-trait" {
        name = "Carts by trait"
        related_entity = "cart"
        trait {
          name = "cart_id"
          join_key = "ID"
        }
      }
    }
  }
}
