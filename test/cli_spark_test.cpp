// The kith binary against the suite's Spark stand-in, as scripts use it: `kith copy` into Spark and back keeps
// every row, `kith graph validate --warehouse` checks a graph against Spark's tables, `kith compile --dialect spark`
// prints Spark SQL, and `kith members` on Spark prints the members the golden suite expects.
#include "common/text.hpp"
#include "support/dataset.hpp"
#include "support/spark_standin.hpp"
#include "warehouse/warehouse.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

struct Outcome {
    int code;
    std::string out; // stdout, then stderr
};

Outcome Kith(const std::string& args) {
    std::string cmd = std::string(KITH_BINARY_DIR) + "/kith " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

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
        auto loaded = kith::test::LoadDataset(**spark, **duck, "golden-" + kith::test::Fingerprint(*sql));
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
    Outcome in = Kith("copy --from " + from + " --to '" + uri_ + "' --schemas cli_spark_copy");
    ASSERT_EQ(in.code, 0) << in.out;
    EXPECT_NE(in.out.find("copy: 1 tables, 2 rows in"), std::string::npos) << in.out;
    std::string back = "duckdb:" + (dir_ / "back.duckdb").string();
    Outcome out = Kith("copy --from '" + uri_ + "' --to " + back + " --schemas cli_spark_copy");
    ASSERT_EQ(out.code, 0) << out.out;
    auto wh = kith::warehouse::Open(back);
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto rows = kith::warehouse::QueryAll(**wh, "SELECT id, name, total, seen_at, ok FROM cli_spark_copy.accounts ORDER BY id");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ(*rows, (std::vector<std::vector<kith::warehouse::Cell>>{
                         {"1", "it's \\ a", "10.5", "2025-01-02T03:04:05Z", "true"},
                         {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt}}));
    // A schema Spark does not have exits 1; a Spark that does not answer exits 3 with the engine's name.
    Outcome none = Kith("copy --from '" + uri_ + "' --to duckdb:" + (dir_ / "none.duckdb").string() + " --schemas cli_spark_none");
    EXPECT_EQ(none.code, 1) << none.out;
    Outcome down = Kith("copy --from " + from + " --to 'spark://127.0.0.1:1/default?retry_for=1'");
    EXPECT_EQ(down.code, 3) << down.out;
    EXPECT_NE(down.out.find("spark"), std::string::npos) << down.out;
}

TEST_F(CliSpark, GraphValidateChecksSparksTables) {
    LoadFixture();
    Outcome good = Kith("graph validate " + Src("test/fixture/graph.hcl") + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(good.code, 0) << good.out;
    EXPECT_EQ(good.out, "");
    // A graph whose tables Spark does not have: every problem at its location in the file.
    std::ofstream(dir_ / "bad.hcl") << "data_graph {\n  version = \"v1.0.0\"\n  entity \"account\" {\n"
                                       "    name = \"Account\"\n    table_ref = \"crm.no_such_table\"\n"
                                       "    primary_key = \"ID\"\n  }\n  profile {\n"
                                       "    profile_folder = \"segment\"\n    type = \"segment:materialized\"\n  }\n}\n";
    Outcome bad = Kith("graph validate " + (dir_ / "bad.hcl").string() + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(bad.code, 1) << bad.out;
    EXPECT_NE(bad.out.find("bad.hcl:5:"), std::string::npos) << bad.out;
    EXPECT_NE(bad.out.find("no_such_table"), std::string::npos) << bad.out;
}

TEST_F(CliSpark, CompileAndMembersOnSpark) {
    LoadFixture();
    std::ofstream(dir_ / "a.json") << R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})";
    Outcome sql = Kith("compile --graph " + Src("test/fixture/graph.hcl") + " --audience " + (dir_ / "a.json").string() +
                       " --dialect spark");
    ASSERT_EQ(sql.code, 0) << sql.out;
    EXPECT_NE(sql.out.find("FROM `segment`.`user_traits` AS `t`"), std::string::npos) << sql.out;
    // trait_equals.test: p1, p3, p4.
    Outcome members = Kith("members --warehouse '" + uri_ + "' --graph " + Src("test/fixture/graph.hcl") + " --audience " +
                           (dir_ / "a.json").string() + " --as-of 2026-01-01T00:00:00Z");
    EXPECT_EQ(members.code, 0) << members.out;
    EXPECT_EQ(members.out, "p1\np3\np4\n");
}

} // namespace
