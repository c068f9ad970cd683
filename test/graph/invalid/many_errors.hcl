# Every rule broken at once: all are reported, in file order.
data_graph {
  version = "v1.1.0"
  color = "blue"
  entity "Account" {
    nmae = "Accounts"
    table_ref = "crm..accounts"
    primary_key = "ID"
  }
  entity "cart" {
    name = "Carts"
    name = "Carts again"
    table_ref = "crm.carts"
    enrichment_enabled = "yes"
  }
  entity "cart" {
    name = "Carts"
    table_ref = "a.b.c.d"
    primary_key = ""
  }
  entity {
    name = "No slug"
    table_ref = "t"
    primary_key = "ID"
  }
  profile "main" {
    profile_folder = "segment"
    type = "segment:raw"
    relationship "user-carts" {
      name = 42
      related_entity = "cart"
    }
    relationship "user-carts" {
      name = "Carts twice"
      related_entity = "cart"
      external_id {
        type = "email"
        join_key = "EMAIL"
      }
      trait {
        name = "cart_id"
        join_key = "ID"
      }
      relationshp "child" {
        name = "Child"
      }
    }
  }
  profile {
    profile_folder = "other"
    type = "segment:materialized"
  }
}
