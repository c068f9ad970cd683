#include "audience/catalog.hpp"

#include <gtest/gtest.h>

namespace kith::audience {
namespace {

using schema::Column;
using schema::TableName;

TEST(SharedCatalog, FetchesATableOnceUntilItsTimeToLivePasses) {
    int64_t now = 0;
    int calls = 0;
    SharedCatalog catalog(
        [&](const TableName& t) -> Result<std::optional<std::vector<Column>>> {
            ++calls;
            if (t.table == "missing") return std::optional<std::vector<Column>>{};
            return std::optional<std::vector<Column>>(
                std::vector<Column>{Column{"ID", "VARCHAR"}, Column{"call" + std::to_string(calls), "VARCHAR"}});
        },
        1000, [&] { return now; });
    TableName accounts{"", "main", "accounts"};
    auto first = catalog.Columns(accounts);
    ASSERT_TRUE(first && *first);
    EXPECT_EQ((**first)[1].name, "call1");
    now = 999;
    auto second = catalog.Columns(accounts);
    ASSERT_TRUE(second && *second);
    EXPECT_EQ((**second)[1].name, "call1");
    EXPECT_EQ(calls, 1);
    // Another schema is another table.
    ASSERT_TRUE(catalog.Columns(TableName{"", "other", "accounts"}));
    EXPECT_EQ(calls, 2);
    // A table that does not exist is kept as missing too.
    auto missing = catalog.Columns(TableName{"", "main", "missing"});
    ASSERT_TRUE(missing);
    EXPECT_FALSE(*missing);
    ASSERT_TRUE(catalog.Columns(TableName{"", "main", "missing"}));
    EXPECT_EQ(calls, 3);
    now = 1000;
    auto third = catalog.Columns(accounts);
    ASSERT_TRUE(third && *third);
    EXPECT_EQ((**third)[1].name, "call4");
    EXPECT_EQ(catalog.fetches(), 4);
}

TEST(SharedCatalog, FailuresAreNotKeptAndClearForgetsEverything) {
    int calls = 0;
    bool fail = true;
    SharedCatalog catalog(
        [&](const TableName&) -> Result<std::optional<std::vector<Column>>> {
            ++calls;
            if (fail) return Fail(ErrorCode::WAREHOUSE, "connection lost");
            return std::optional<std::vector<Column>>(std::vector<Column>{Column{"ID", "VARCHAR"}});
        },
        60000);
    TableName t{"", "main", "carts"};
    auto failed = catalog.Columns(t);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "connection lost");
    fail = false;
    ASSERT_TRUE(catalog.Columns(t));
    ASSERT_TRUE(catalog.Columns(t));
    EXPECT_EQ(calls, 2);
    catalog.Clear();
    ASSERT_TRUE(catalog.Columns(t));
    EXPECT_EQ(calls, 3);
}

TEST(SharedCatalog, ViaAHeldConnectionFetchesThroughItAndFillsTheSharedCache) {
    int pool_fetches = 0, held_fetches = 0;
    SharedCatalog catalog(
        [&](const TableName&) -> Result<std::optional<std::vector<Column>>> {
            ++pool_fetches;
            return Fail(ErrorCode::WAREHOUSE, "the pool must not be asked");
        },
        60000);
    auto via = catalog.Via([&](const TableName& t) -> Result<std::optional<std::vector<Column>>> {
        ++held_fetches;
        if (t.table != "accounts") return std::optional<std::vector<Column>>{};
        return std::optional<std::vector<Column>>(
            std::vector<Column>{{"ID", "VARCHAR", schema::DataType::STRING}, {"TOTAL", "DOUBLE", schema::DataType::NUMBER}});
    });
    auto cols = via.Columns(TableName{"", "main", "accounts"});
    ASSERT_TRUE(cols && *cols) << (cols ? "missing" : cols.error().ToString());
    ASSERT_EQ((*cols)->size(), 2u);
    EXPECT_EQ((**cols)[1].name, "TOTAL");
    EXPECT_EQ((**cols)[1].type, schema::DataType::NUMBER);
    EXPECT_EQ(held_fetches, 1);
    // Now known to every user of the cache, without a connection.
    auto shared = catalog.Columns(TableName{"", "main", "accounts"});
    ASSERT_TRUE(shared && *shared);
    EXPECT_EQ((*shared)->size(), 2u);
    EXPECT_EQ(pool_fetches, 0);
    EXPECT_EQ(catalog.fetches(), 1);
    EXPECT_EQ(held_fetches, 1);
}

} // namespace
} // namespace kith::audience
