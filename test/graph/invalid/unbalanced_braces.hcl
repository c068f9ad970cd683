# Segment's example with the closing brace of an entity block missing.
data_graph {
  version = "v1.0.0"

  entity "account-entity" {
    name = "account"
    table_ref = "PRODUCTION.CUST.ACCOUNT"
    primary_key = "ID"

  entity "cart-entity" {
    name = "cart"
    table_ref = "PRODUCTION.CUST.CART"
    primary_key = "ID"
  }

  profile {
    profile_folder = "PRODUCTION.SEGMENT"
    type = "segment:materialized"
  }
}
