#include "graph/warehouse_check.hpp"

#include "graph/builder.hpp"

#include <gtest/gtest.h>

namespace kith::graph {
namespace {

constexpr const char* kSchema = R"(
CREATE SCHEMA segment;
CREATE TABLE segment.user_identifiers(canonical_segment_id VARCHAR, type VARCHAR, value VARCHAR);
CREATE TABLE segment.user_traits(canonical_segment_id VARCHAR, name VARCHAR, value VARCHAR, seq BIGINT);
CREATE TABLE segment.profile_merges(canonical_segment_id VARCHAR, segment_id VARCHAR);
CREATE SCHEMA crm;
CREATE TABLE crm.accounts(ID BIGINT, EMAIL VARCHAR);
CREATE TABLE crm.carts(ID BIGINT, ACCOUNT_ID BIGINT, TAGS VARCHAR[]);
CREATE TABLE crm.cart_products(ID BIGINT, CART_ID BIGINT, PRODUCT_SKU VARCHAR);
CREATE TABLE crm.products(SKU VARCHAR, NAME VARCHAR);
)";

std::string Graph(const std::string& carts_join, const std::string& products_table = "crm.products",
                  const std::string& right = "PRODUCT_SKU = product.SKU") {
    return R"(data_graph {
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
  entity "product" {
    name = "Products"
    table_ref = ")" + products_table + R"("
    primary_key = "SKU"
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
        join_on = ")" + carts_join + R"("
        relationship "cart-products" {
          name = "Products"
          related_entity = "product"
          junction_table {
            table_ref = "crm.cart_products"
            primary_key = "ID"
            left_join_on = "cart.ID = CART_ID"
            right_join_on = ")" + right + R"("
          }
        }
      }
    }
  }
})";
}

std::vector<std::string> Check(const std::string& graph_text, const std::string& extra_sql = "") {
    auto wh = warehouse::Open("duckdb::memory:");
    EXPECT_TRUE(wh.has_value());
    EXPECT_TRUE((*wh)->Execute(kSchema).has_value());
    if (!extra_sql.empty()) {
        EXPECT_TRUE((*wh)->Execute(extra_sql).has_value());
    }
    auto g = ParseGraph(graph_text, "g.hcl");
    EXPECT_TRUE(g.has_value()) << g.error()[0].ToString();
    auto problems = CheckAgainstWarehouse(*g, **wh);
    EXPECT_TRUE(problems.has_value());
    std::vector<std::string> out;
    for (const auto& d : *problems) out.push_back(d.ToString());
    return out;
}

TEST(WarehouseCheck, AValidGraphHasNoProblems) {
    EXPECT_EQ(Check(Graph("account.ID = cart.ACCOUNT_ID")), std::vector<std::string>{});
}

TEST(WarehouseCheck, ReportsMissingTablesAndColumns) {
    auto got = Check(Graph("account.ID = cart.ACCOUNT", "crm.nope", "PRODUCT_SKU = product.SKU"),
                     "DROP TABLE segment.profile_merges; ALTER TABLE segment.user_traits DROP COLUMN seq");
    EXPECT_EQ(got, (std::vector<std::string>{
                       "g.hcl:15:17: entity \"product\": table \"crm.nope\" does not exist in the warehouse",
                       "g.hcl:19:22: Profiles Sync table \"segment.user_traits\" has no column \"seq\"",
                       "g.hcl:19:22: Profiles Sync table \"segment.profile_merges\" does not exist in the warehouse",
                       "g.hcl:31:19: relationship \"account-carts\": join_on column \"ACCOUNT\" is not a column of "
                       "\"crm.carts\"",
                   }));
}

TEST(WarehouseCheck, ReportsTypeMismatchesAndCaseSlips) {
    auto got = Check(Graph("account.EMAIL = cart.ACCOUNT_ID", "crm.products", "PRODUCT_SKU = product.sku"));
    EXPECT_EQ(got, (std::vector<std::string>{
                       "g.hcl:31:19: relationship \"account-carts\": join_on compares account.EMAIL (STRING) with "
                       "cart.ACCOUNT_ID (NUMBER); both sides need the same type",
                       "g.hcl:35:11: relationship \"cart-products\": right_join_on column \"sku\" is not a column of "
                       "\"crm.products\" (did you mean \"SKU\"? names are case-sensitive)",
                   }));
}

TEST(WarehouseCheck, RejectsColumnsOfTypesKithCannotJoinOn) {
    auto got = Check(Graph("account.ID = cart.TAGS"));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find("\"TAGS\" has type VARCHAR[]"), std::string::npos) << got[0];
}

} // namespace
} // namespace kith::graph
