data_graph {
  version = "v1.0.0"
  entity "cart" {
    name = "Carts"
    table_ref = "crm.carts"
    primary_key = "ID"
  }
  entity "product" {
    name = "Products"
    table_ref = "crm.products"
    primary_key = "SKU"
  }
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
    relationship "user-carts" {
      name = "Carts"
      related_entity = "cart"
      external_id {
        type = "email"
        join_key = "EMAIL"
      }
      relationship "cart-products" {
        name = "Products"
        related_entity = "product"
        junction_table {
          table_ref = "crm.cart_products"
          left_join_on = "cart.ID = product.SKU"
          right_join_on = "PRODUCT_ID = cart.ID"
        }
      }
      relationship "cart-products-2" {
        name = "Products again"
        related_entity = "product"
        junction_table {
          table_ref = "crm.cart_products"
          primary_key = "ID"
          left_join_on = "CART_ID"
          right_join_on = "PRODUCT_ID = SKU"
        }
      }
    }
  }
}
