// The Spark and Databricks stand-ins (scripts/standin.sh) as the C++ tests reach them, the proxy's token check and
// fault injection, and the sqlglot check.
#include "support/spark_standin.hpp"
#include "support/sqlglot_check.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>

namespace kith::test {
namespace {

TEST(ParseExports, UnquotesAsAShellWould) {
    auto vars = ParseExports("export A=plain\nnoise\nexport B='x?y&z=1'\nexport C=a\\ b\"c d\"'it'\\''s'\n");
    ASSERT_EQ(vars.size(), 3u);
    EXPECT_EQ(vars[0], (std::pair<std::string, std::string>{"A", "plain"}));
    EXPECT_EQ(vars[1].second, "x?y&z=1");
    EXPECT_EQ(vars[2].second, "a bc dit's");
}

TEST(SparkStandin, SparkPrintsItsUriAndAnswersOnItsPort) {
    auto s = SparkStandin::Start("spark");
    ASSERT_TRUE(s) << s.error().ToString();
    ASSERT_EQ(s->uri.rfind("spark://127.0.0.1:", 0), 0u) << s->uri;
    EXPECT_EQ(s->uri.substr(s->uri.size() - 8), "/default");
    EXPECT_EQ(std::getenv("KITH_WAREHOUSE"), s->uri);
    EXPECT_EQ(s->proxy_port, 0);
    EXPECT_FALSE(SparkStandin::FailNext(*s, 503)) << "spark has no proxy";
    auto again = SparkStandin::Start("spark");
    ASSERT_TRUE(again) << again.error().ToString();
    EXPECT_EQ(again->uri, s->uri) << "a running stand-in is reused";
}

TEST(SparkStandin, DatabricksProxyChecksTheTokenAndFailsOnPurpose) {
    auto started = SparkStandin::Start("databricks");
    ASSERT_TRUE(started) << started.error().ToString();
    EXPECT_EQ(started->warehouse_id, "standin");
    // Other test processes may use the proxy at the same time: faults and counters of a warehouse ID of our own.
    Standin own = started->OwnWarehouse();
    Standin* s = &own;
    EXPECT_NE(s->warehouse_id, "standin");
    std::string token = s->Env("DATABRICKS_TOKEN");
    ASSERT_EQ(token.rfind("dapi", 0), 0u);
    EXPECT_EQ(std::getenv("DATABRICKS_TOKEN"), token);
    std::string endpoint = "http://127.0.0.1:" + std::to_string(s->proxy_port);
    EXPECT_EQ(s->uri, "databricks://127.0.0.1:" + std::to_string(s->proxy_port) +
                          "/spark_catalog/default?http_path=/sql/1.0/warehouses/" + s->warehouse_id +
                          "&endpoint=" + endpoint);
    EXPECT_EQ(s->Env("KITH_WAREHOUSE"), s->uri);
    ASSERT_TRUE(SparkStandin::ClearFaults(*s));
    ASSERT_TRUE(SparkStandin::ResetStats(*s));

    httplib::Client cli("127.0.0.1", s->proxy_port);
    const std::string path = "/sql/1.0/warehouses/" + s->warehouse_id;
    auto none = cli.Post(path, "x", "application/x-thrift");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    auto wrong = cli.Post(path, httplib::Headers{{"Authorization", "Bearer dapi0000"}}, "x", "application/x-thrift");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 403);
    EXPECT_EQ(wrong->get_header_value("X-Databricks-Reason-Phrase"), "Invalid access token.");

    httplib::Headers auth{{"Authorization", "Bearer " + token}};
    ASSERT_TRUE(SparkStandin::FailNext(*s, 503, 2));
    ASSERT_TRUE(SparkStandin::FailNext(*s, 429, 1, 1));
    for (int status : {503, 503, 429}) {
        auto r = cli.Post(path, auth, "x", "application/x-thrift");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, status);
    }
    ASSERT_TRUE(SparkStandin::FailNext(*s, Fault{.drop = true}));
    EXPECT_FALSE(cli.Post(path, auth, "x", "application/x-thrift")) << "the connection closes without an answer";
    // Past the faults, the request reaches Spark, which answers whatever it makes of a body that is not Thrift.
    auto through = cli.Post(path, auth, "x", "application/x-thrift");
    ASSERT_TRUE(through);

    auto st = SparkStandin::Stats(*s);
    ASSERT_TRUE(st) << st.error().ToString();
    EXPECT_EQ(st->unauthorized, 1);
    EXPECT_EQ(st->forbidden, 1);
    EXPECT_EQ(st->faulted, 4);
    EXPECT_EQ(st->forwarded, 1);
    EXPECT_EQ(st->pending, 0);
}

TEST(SqlglotCheck, AcceptsSparkSqlAndRejectsGarbage) {
    auto ok = SqlglotCheck({{"spark", "SELECT `a b`, 'it\\'s' FROM `spark_catalog`.`k`.`t` WHERE x LIKE 'a\\\\%'", "ok"},
                            {"databricks", "SELECT count(*) FROM spark_catalog.default.t", "dbx"}});
    EXPECT_TRUE(ok) << ok.error().ToString();
    auto bad = SqlglotCheck({{"spark", "SELECT 1", "fine"}, {"spark", "SELECT FROM WHERE (", "garbage.cpp:7"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::INVALID);
    EXPECT_NE(bad.error().message.find("garbage.cpp:7: [spark]"), std::string::npos) << bad.error().message;
    EXPECT_EQ(bad.error().message.find("fine:"), std::string::npos) << bad.error().message;
}

} // namespace
} // namespace kith::test
