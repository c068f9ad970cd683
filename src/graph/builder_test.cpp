#include "graph/builder.hpp"

#include <gtest/gtest.h>

namespace kith::graph {
namespace {

constexpr const char* kGraph = R"(data_graph {
  version = "v1.0.0"
  entity "account" {
    name = "Accounts"
    table_ref = "crm.accounts"
    primary_key = "ID"
  }
  entity "cart" {
    name = "Carts"
    table_ref = "db.crm.carts"
    primary_key = "ID"
  }
  entity "product" {
    name = "Products"
    table_ref = "products"
    primary_key = "SKU"
    enrichment_enabled = true
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
        join_on = "cart.ACCOUNT_ID = account.ID"
        relationship "cart-products" {
          name = "Products"
          related_entity = "product"
          junction_table {
            table_ref = "crm.cart_products"
            primary_key = "ID"
            left_join_on = "CART_ID = cart.ID"
            right_join_on = "product.SKU = PRODUCT_SKU"
          }
        }
      }
    }
  }
})";

TEST(Builder, BuildsTheModel) {
    auto g = ParseGraph(kGraph, "g.hcl");
    ASSERT_TRUE(g.has_value()) << g.error()[0].ToString();
    ASSERT_EQ(g->entities.size(), 3u);
    EXPECT_EQ(g->entities[1].table.database, "db");
    EXPECT_EQ(g->entities[1].table.schema, "crm");
    EXPECT_EQ(g->entities[2].table.schema, "");
    EXPECT_TRUE(g->entities[2].enrichment_enabled);
    ASSERT_EQ(g->relationships.size(), 3u);
    const Relationship* carts = g->FindRelationship("account-carts");
    ASSERT_NE(carts, nullptr);
    // join_on sides are given child first; the model knows which is the parent's.
    EXPECT_EQ(carts->join.parent_column, "ID");
    EXPECT_EQ(carts->join.child_column, "ACCOUNT_ID");
    EXPECT_EQ(carts->depth, 3);
    const Relationship* products = g->FindRelationship("cart-products");
    EXPECT_EQ(products->join.kind, JoinKind::JUNCTION);
    EXPECT_EQ(products->join.parent_column, "ID");
    EXPECT_EQ(products->join.junction_left_column, "CART_ID");
    EXPECT_EQ(products->join.junction_right_column, "PRODUCT_SKU");
    EXPECT_EQ(products->join.child_column, "SKU");
    EXPECT_EQ(products->depth, 4);
    EXPECT_EQ(g->relationships[static_cast<size_t>(products->parent)].slug, "account-carts");
}

TEST(Builder, SelfRelationshipTakesTheLeftSideAsParent) {
    auto g = ParseGraph(R"(data_graph {
  version = "v1.0.0"
  entity "person" {
    name = "People"
    table_ref = "people"
    primary_key = "ID"
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
      relationship "referred" {
        name = "Referred"
        related_entity = "person"
        join_on = "person.ID = person.REFERRER_ID"
      }
    }
  }
})",
                        "g.hcl");
    ASSERT_TRUE(g.has_value()) << g.error()[0].ToString();
    EXPECT_EQ(g->FindRelationship("referred")->join.parent_column, "ID");
    EXPECT_EQ(g->FindRelationship("referred")->join.child_column, "REFERRER_ID");
}

TEST(Builder, JsonFormBuildsTheSameModel) {
    auto hcl = ParseGraph(kGraph, "g.hcl");
    auto json = ParseGraph(R"({"data_graph": {
  "version": "v1.0.0",
  "entity": {
    "account": {"name": "Accounts", "table_ref": "crm.accounts", "primary_key": "ID"},
    "cart": {"name": "Carts", "table_ref": "db.crm.carts", "primary_key": "ID"},
    "product": {"name": "Products", "table_ref": "products", "primary_key": "SKU", "enrichment_enabled": true}
  },
  "profile": {
    "profile_folder": "segment", "type": "segment:materialized",
    "relationship": {"user-accounts": {
      "name": "Accounts", "related_entity": "account",
      "external_id": {"type": "email", "join_key": "EMAIL"},
      "relationship": {"account-carts": {
        "name": "Carts", "related_entity": "cart", "join_on": "cart.ACCOUNT_ID = account.ID",
        "relationship": {"cart-products": {
          "name": "Products", "related_entity": "product",
          "junction_table": {"table_ref": "crm.cart_products", "primary_key": "ID",
                             "left_join_on": "CART_ID = cart.ID", "right_join_on": "product.SKU = PRODUCT_SKU"}}}}}}}
  }
}})",
                           "g.json");
    ASSERT_TRUE(hcl.has_value());
    ASSERT_TRUE(json.has_value()) << json.error()[0].ToString();
    EXPECT_EQ(Summarize(*hcl), Summarize(*json));
}

TEST(Builder, JsonErrorsHaveLineAndColumn) {
    auto g = ParseGraph("{\"data_graph\": {\n  \"version\": \"v2\",\n  \"profile\": {\"type\": 3}}}", "g.json");
    ASSERT_FALSE(g.has_value());
    std::vector<std::string> got;
    for (const auto& d : g.error()) got.push_back(d.ToString());
    EXPECT_EQ(got, (std::vector<std::string>{
                       "g.json:2:14: unsupported version \"v2\"; expected \"v1.0.0\"",
                       "g.json:3:3: profile is missing required attribute 'profile_folder'",
                       "g.json:3:24: 'type' must be a string",
                   }));
    auto bad = ParseGraph("{\"data_graph\": {\n  \"version\": }", "g.json");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error()[0].location.line, 2);
    EXPECT_NE(bad.error()[0].message.find("invalid JSON"), std::string::npos);
}

TEST(EventTableName, FollowsTheSpec) {
    EXPECT_EQ(EventTableName("Order Completed"), "order_completed");
    EXPECT_EQ(EventTableName("  Sign-up -- Started!! "), "sign_up_started");
    EXPECT_EQ(EventTableName("page_viewed"), "page_viewed");
    EXPECT_EQ(EventTableName("V2 API Call"), "v2_api_call");
}

} // namespace
} // namespace kith::graph
