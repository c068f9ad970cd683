// The kith binary against the suite's Spark stand-in, as scripts use it: `kith copy` into Spark and back keeps
// every row, `kith graph validate --warehouse` checks a graph against Spark's tables, `kith compile --dialect spark`
// prints Spark SQL, and `kith members` on Spark prints the members the golden suite expects.
#include "common/text.hpp"
#include "support/dataset.hpp"
#include "support/run_kith.hpp"
#include "support/spark_standin.hpp"
#include "warehouse/warehouse.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using kith::test::KithOutcome;
using kith::test::RunKith;

std::string Src(const std::string& rel) { return std::string(KITH_SOURCE_DIR) + "/" + rel; }

class CliSpark : public ::testing::Test {
protected:
    void SetUp() override {
        auto standin = kith::test::SparkStandin::Start("spark");
        ASSERT_TRUE(standin) << standin.error().ToString();
        uri_ = standin->uri;
        dir_ = fs::temp_directory_path() / ("kith_cli_spark_" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // The golden fixture, loaded into Spark once for the suite.
    void LoadFixture() {
        auto sql = kith::text::ReadFile(Src("test/fixture/warehouse.sql"));
        ASSERT_TRUE(sql);
        auto duck = kith::warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(duck);
        ASSERT_TRUE((*duck)->Execute(*sql));
        auto spark = kith::warehouse::Open(uri_);
        ASSERT_TRUE(spark) << spark.error().ToString();
        auto loaded = kith::test::LoadFixtureDataset(**spark, **duck, *sql);
        ASSERT_TRUE(loaded) << loaded.error().ToString();
    }

    std::string uri_;
    fs::path dir_;
};

TEST_F(CliSpark, CopyIntoSparkAndBackKeepsEveryRow) {
    std::string from = "duckdb:" + (dir_ / "from.duckdb").string();
    {
        auto wh = kith::warehouse::Open(from);
        ASSERT_TRUE(wh) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute("CREATE SCHEMA cli_spark_copy; CREATE TABLE cli_spark_copy.accounts(id BIGINT, name VARCHAR, "
                                   "total DECIMAL(10,2), seen_at TIMESTAMP, ok BOOLEAN); "
                                   "INSERT INTO cli_spark_copy.accounts VALUES (1, 'it''s \\ a', 10.50, '2025-01-02 03:04:05', true), "
                                   "(2, NULL, NULL, NULL, NULL)"));
    }
    KithOutcome in = RunKith("copy --from " + from + " --to '" + uri_ + "' --schemas cli_spark_copy");
    ASSERT_EQ(in.code, 0) << in.err;
    EXPECT_NE(in.err.find("copy: 1 tables, 2 rows in"), std::string::npos) << in.err;
    std::string back = "duckdb:" + (dir_ / "back.duckdb").string();
    KithOutcome out = RunKith("copy --from '" + uri_ + "' --to " + back + " --schemas cli_spark_copy");
    ASSERT_EQ(out.code, 0) << out.err;
    auto wh = kith::warehouse::Open(back);
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto rows = kith::warehouse::QueryAll(**wh, "SELECT id, name, total, seen_at, ok FROM cli_spark_copy.accounts ORDER BY id");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ(*rows, (std::vector<std::vector<kith::warehouse::Cell>>{
                         {"1", "it's \\ a", "10.5", "2025-01-02T03:04:05Z", "true"},
                         {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt}}));
    // A schema Spark does not have exits 1; a Spark that does not answer exits 3 with the engine's name.
    KithOutcome none = RunKith("copy --from '" + uri_ + "' --to duckdb:" + (dir_ / "none.duckdb").string() + " --schemas cli_spark_none");
    EXPECT_EQ(none.code, 1) << none.err;
    KithOutcome down = RunKith("copy --from " + from + " --to 'spark://127.0.0.1:1/default?retry_for=1'");
    EXPECT_EQ(down.code, 3) << down.err;
    EXPECT_NE(down.err.find("spark"), std::string::npos) << down.err;
}

TEST_F(CliSpark, GraphValidateChecksSparksTables) {
    LoadFixture();
    KithOutcome good = RunKith("graph validate " + Src("test/fixture/graph.hcl") + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(good.code, 0) << good.err;
    EXPECT_EQ(good.out, "");
    EXPECT_EQ(good.err, "");
    // A graph whose tables Spark does not have: every problem at its location in the file.
    std::ofstream(dir_ / "bad.hcl") << "data_graph {\n  version = \"v1.0.0\"\n  entity \"account\" {\n"
                                       "    name = \"Account\"\n    table_ref = \"crm.no_such_table\"\n"
                                       "    primary_key = \"ID\"\n  }\n  profile {\n"
                                       "    profile_folder = \"segment\"\n    type = \"segment:materialized\"\n  }\n}\n";
    KithOutcome bad = RunKith("graph validate " + (dir_ / "bad.hcl").string() + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(bad.code, 1) << bad.err;
    EXPECT_NE(bad.err.find("bad.hcl:5:"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("no_such_table"), std::string::npos) << bad.err;
}

TEST_F(CliSpark, CompileAndMembersOnSpark) {
    LoadFixture();
    std::ofstream(dir_ / "a.json") << R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})";
    KithOutcome sql = RunKith("compile --graph " + Src("test/fixture/graph.hcl") + " --audience " + (dir_ / "a.json").string() +
                       " --dialect spark");
    ASSERT_EQ(sql.code, 0) << sql.err;
    EXPECT_NE(sql.out.find("FROM `segment`.`user_traits` AS `t`"), std::string::npos) << sql.out;
    // trait_equals.test: p1, p3, p4.
    KithOutcome members = RunKith("members --warehouse '" + uri_ + "' --graph " + Src("test/fixture/graph.hcl") + " --audience " +
                           (dir_ / "a.json").string() + " --as-of 2026-01-01T00:00:00Z");
    EXPECT_EQ(members.code, 0) << members.err;
    EXPECT_EQ(members.out, "p1\np3\np4\n");
    EXPECT_EQ(members.err, "");
}

} // namespace
