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
        join_on = "acount.ID = cart.ACCOUNT_ID"
      }
      relationship "account-carts-2" {
        name = "Carts 2"
        related_entity = "cart"
        join_on = "account.ID == cart.ACCOUNT_ID"
      }
      relationship "account-carts-3" {
        name = "Carts 3"
        related_entity = "cart"
        join_on = "cart.ID = cart.ACCOUNT_ID"
      }
      relationship "no-join" {
        name = "No join"
        related_entity = "cart"
      }
    }
  }
}
