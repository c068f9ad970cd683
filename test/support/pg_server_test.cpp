// The throwaway PostgreSQL server itself.
#include "support/pg_server.hpp"

#include "warehouse/warehouse.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kith::test {
namespace {

TEST(PgServer, StartsListeningOnLoopbackAndCleansUp) {
    auto server = PgServer::Start();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    std::string dir = (*server)->dir();
    std::string uri = (*server)->uri();
    EXPECT_EQ(uri, "postgresql://postgres@127.0.0.1:" + std::to_string((*server)->port()) + "/kith_test");
    EXPECT_TRUE(std::filesystem::exists(dir + "/data/PG_VERSION"));
    {
        auto wh = warehouse::Open(uri);
        ASSERT_TRUE(wh.has_value()) << wh.error().ToString();
        auto rows = warehouse::QueryAll(**wh, "SELECT current_database(), current_setting('listen_addresses'), "
                                              "current_setting('fsync'), current_setting('unix_socket_directories')");
        ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
        EXPECT_EQ((*rows)[0], (std::vector<warehouse::Cell>{"kith_test", "127.0.0.1", "off", dir}));
    }
    server->reset();
    EXPECT_FALSE(std::filesystem::exists(dir));
    auto gone = warehouse::Open(uri + "?connect_timeout=2");
    EXPECT_FALSE(gone.has_value()) << "the server is stopped";
}

TEST(PgServer, SharedServerIsStartedOnceAndMakesFreshDatabases) {
    auto a = PgServer::Shared();
    ASSERT_TRUE(a.has_value()) << a.error().ToString();
    auto b = PgServer::Shared();
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(*a, *b);
    auto uri = (*a)->FreshDatabase("fresh_one");
    ASSERT_TRUE(uri.has_value()) << uri.error().ToString();
    {
        auto wh = warehouse::Open(*uri);
        ASSERT_TRUE(wh.has_value()) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute("CREATE TABLE t(x int)").has_value());
    }
    uri = (*a)->FreshDatabase("fresh_one");
    ASSERT_TRUE(uri.has_value()) << uri.error().ToString();
    auto wh = warehouse::Open(*uri);
    ASSERT_TRUE(wh.has_value());
    auto t = (*wh)->DescribeTable({"", "", "t"});
    ASSERT_TRUE(t.has_value());
    EXPECT_FALSE(t->has_value()) << "a fresh database is empty";
}

} // namespace
} // namespace kith::test
