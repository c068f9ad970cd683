# The data graph as Segment's documentation writes it (v1.0.0): accounts by an
# external id, carts under accounts, products through a junction table, and
# households by a trait with their subscriptions.
data_graph {
  version = "v1.0.0"

  # Define entities
  entity "account-entity" {
    name = "account"
    table_ref = "PRODUCTION.CUST.ACCOUNT"
    primary_key = "ID"
    enrichment_enabled = true
  }

  entity "product-entity" {
    name = "product"
    table_ref = "PRODUCTION.PROD.PRODUCT_SKUS"
    primary_key = "SKU"
  }

  entity "cart-entity" {
    name = "cart"
    table_ref = "PRODUCTION.CUST.CART"
    primary_key = "ID"
  }

  entity "household-entity" {
    name = "household"
    table_ref = "PRODUCTION.CUST.HOUSEHOLD"
    primary_key = "HOUSEHOLD_ID"
  }

  entity "subscription-entity" {
    name = "subscription"
    table_ref = "PRODUCTION.CUST.SUBSCRIPTION"
    primary_key = "SUB_ID"
  }

  # Define the profile entity, which corresponds to Segment Profiles tables synced via Profiles Sync
  profile {
    profile_folder = "PRODUCTION.SEGMENT"
    type = "segment:materialized"

    # First branch - relate accounts table to the profile
    relationship "user-accounts" {
      name = "Premium Accounts"
      related_entity = "account-entity"
      # Join the profile entity with an identifier (e.g. email) on the related entity table
      external_id {
        type = "email"
        join_key = "EMAIL_ID"
      }

      # Define 1:many relationship between accounts and carts
      relationship "user-carts" {
        name = "Shopping Carts"
        related_entity = "cart-entity"
        join_on = "account-entity.ID = cart-entity.ACCOUNT_ID"

        # Define many:many relationship between carts and products
        relationship "products" {
          name = "Purchased Products"
          related_entity = "product-entity"
          junction_table {
            primary_key = "id"
            table_ref = "PRODUCTION.CUSTOMER.CART_PRODUCT"
            left_join_on = "cart-entity.ID = CART_ID"
            # Use the same entity.table_name alias
            right_join_on = "PRODUCT_ID = product-entity.SKU"
          }
        }
      }
    }

    # Second branch - relate households to the profile by a profile trait
    relationship "user-households" {
      name = "Households"
      related_entity = "household-entity"
      # Join the profile entity with a trait on the related entity table
      trait {
        name = "household_id"
        join_key = "HOUSEHOLD_ID"
      }

      # Define 1:many relationship between households and subscriptions
      relationship "user-subscriptions" {
        name = "Subscriptions"
        related_entity = "subscription-entity"
        join_on = "household-entity.HOUSEHOLD_ID = subscription-entity.HOUSEHOLD_ID"
      }
    }
  }
}
