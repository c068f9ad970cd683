// The kith binary against a remote engine's stand-in (KITH_STANDIN_ENGINE: spark, redshift, snowflake, bigquery;
// KITH_STANDIN_URI=KITH_WAREHOUSE_IAM for Redshift with IAM credentials; databricks for the secrets test alone), as
// scripts use it: `kith copy` into the engine and back keeps every row, `kith graph validate --warehouse` checks a
// graph against the engine's tables, `kith compile --dialect ENGINE` prints its SQL, `kith members` on it prints
// the members the golden suite expects, and no secret material (support/standin_secrets.hpp: passwords, tokens, the
// key files' text, a minted access token, AWS keys, anything shaped like a JWT or a key) appears in anything kith
// prints, with every form of credentials the engine takes and when they are wrong, expired or refused.
#include "common/text.hpp"
#include "support/dataset.hpp"
#include "support/run_kith.hpp"
#include "support/spark_standin.hpp"
#include "support/standin_secrets.hpp"
#include "sql/printer.hpp"
#include "warehouse/warehouse.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using kith::test::KithOutcome;
using kith::test::RunKith;
using kith::test::ScopedCredentials;

std::string Src(const std::string& rel) { return std::string(KITH_SOURCE_DIR) + "/" + rel; }

// A URI of the engine where nothing answers (port 1), retried for a second at most.
std::string Unreachable() {
    std::string engine = KITH_STANDIN_ENGINE;
    if (engine == "spark") return "spark://127.0.0.1:1/default?retry_for=1";
    if (engine == "redshift") return "redshift://kith@127.0.0.1:1/kith?sslmode=disable&connect_timeout=5";
    if (engine == "snowflake") return "snowflake://STANDIN/KITH/PUBLIC?warehouse=WH&user=KITH&endpoint=http://127.0.0.1:1&retry_for=1";
    return "bigquery://standin-project/kith?endpoint=http://127.0.0.1:1&retry_for=1";
}

class CliRemote : public ::testing::Test {
protected:
    void SetUp() override {
        auto standin = kith::test::SparkStandin::Start(KITH_STANDIN_ENGINE);
        ASSERT_TRUE(standin) << standin.error().ToString();
        standin_ = *standin;
        uri_ = standin->uri;
        auto secrets = kith::test::StandinSecrets::Of(*standin);
        ASSERT_TRUE(secrets) << secrets.error().ToString();
        secrets_ = std::move(*secrets);
        credentials_ = std::make_unique<ScopedCredentials>(secrets_.exported); // for spark, a password of its own
        dir_ = fs::temp_directory_path() / ("kith_cli_" + std::string(KITH_STANDIN_ENGINE) + "_" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        credentials_.reset();
        fs::remove_all(dir_);
    }

    // Runs kith and checks that no secret of the stand-in's shows in what it printed.
    KithOutcome Kith(const std::string& args) {
        KithOutcome o = RunKith(args);
        EXPECT_EQ(secrets_.FindIn(o.out), "") << "in the output of kith " << args;
        EXPECT_EQ(secrets_.FindIn(o.err), "") << "in the errors of kith " << args;
        return o;
    }

    // The golden fixture, loaded into the engine once for the suite.
    void LoadFixture() {
        auto sql = kith::text::ReadFile(Src("test/fixture/warehouse.sql"));
        ASSERT_TRUE(sql);
        auto duck = kith::warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(duck);
        ASSERT_TRUE((*duck)->Execute(*sql));
        auto remote = kith::warehouse::Open(uri_);
        ASSERT_TRUE(remote) << remote.error().ToString();
        auto loaded = kith::test::LoadFixtureDataset(**remote, **duck, *sql);
        ASSERT_TRUE(loaded) << loaded.error().ToString();
    }

    kith::test::Standin standin_;
    std::string uri_;
    kith::test::StandinSecrets secrets_;
    std::unique_ptr<ScopedCredentials> credentials_; // the exported credentials, while the test runs
    fs::path dir_;
};

TEST_F(CliRemote, CopyIntoTheEngineAndBackKeepsEveryRow) {
    std::string from = "duckdb:" + (dir_ / "from.duckdb").string();
    {
        auto wh = kith::warehouse::Open(from);
        ASSERT_TRUE(wh) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute("CREATE SCHEMA cli_remote_copy; CREATE TABLE cli_remote_copy.accounts(id BIGINT, name VARCHAR, "
                                   "total DECIMAL(10,2), seen_at TIMESTAMP, ok BOOLEAN); "
                                   "INSERT INTO cli_remote_copy.accounts VALUES (1, 'it''s \\ a', 10.50, '2025-01-02 03:04:05', true), "
                                   "(2, NULL, NULL, NULL, NULL)"));
    }
    KithOutcome in = Kith("copy --from " + from + " --to '" + uri_ + "' --schemas cli_remote_copy");
    ASSERT_EQ(in.code, 0) << in.err;
    EXPECT_NE(in.err.find("copy: 1 tables, 2 rows in"), std::string::npos) << in.err;
    std::string back = "duckdb:" + (dir_ / "back.duckdb").string();
    KithOutcome out = Kith("copy --from '" + uri_ + "' --to " + back + " --schemas cli_remote_copy");
    ASSERT_EQ(out.code, 0) << out.err;
    auto wh = kith::warehouse::Open(back);
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto rows = kith::warehouse::QueryAll(**wh, "SELECT id, name, total, seen_at, ok FROM cli_remote_copy.accounts ORDER BY id");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ(*rows, (std::vector<std::vector<kith::warehouse::Cell>>{
                         {"1", "it's \\ a", "10.5", "2025-01-02T03:04:05Z", "true"},
                         {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt}}));
    // A schema the engine does not have exits 1; an engine that does not answer exits 3 with the engine's name.
    KithOutcome none = Kith("copy --from '" + uri_ + "' --to duckdb:" + (dir_ / "none.duckdb").string() + " --schemas cli_remote_none");
    EXPECT_EQ(none.code, 1) << none.err;
    KithOutcome down = Kith("copy --from " + from + " --to '" + Unreachable() + "'");
    EXPECT_EQ(down.code, 3) << down.err;
    EXPECT_NE(down.err.find(KITH_STANDIN_ENGINE), std::string::npos) << down.err;
}

TEST_F(CliRemote, GraphValidateChecksTheEnginesTables) {
    LoadFixture();
    KithOutcome good = Kith("graph validate " + Src("test/fixture/graph.hcl") + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(good.code, 0) << good.err;
    EXPECT_EQ(good.out, "");
    EXPECT_EQ(good.err, "");
    // A graph whose tables the engine does not have: every problem at its location in the file.
    std::ofstream(dir_ / "bad.hcl") << "data_graph {\n  version = \"v1.0.0\"\n  entity \"account\" {\n"
                                       "    name = \"Account\"\n    table_ref = \"crm.no_such_table\"\n"
                                       "    primary_key = \"ID\"\n  }\n  profile {\n"
                                       "    profile_folder = \"segment\"\n    type = \"segment:materialized\"\n  }\n}\n";
    KithOutcome bad = Kith("graph validate " + (dir_ / "bad.hcl").string() + " --warehouse '" + uri_ + "'");
    EXPECT_EQ(bad.code, 1) << bad.err;
    EXPECT_NE(bad.err.find("bad.hcl:5:"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("no_such_table"), std::string::npos) << bad.err;
}

TEST_F(CliRemote, CompileAndMembersOnTheEngine) {
    LoadFixture();
    std::ofstream(dir_ / "a.json") << R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})";
    KithOutcome sql = Kith("compile --graph " + Src("test/fixture/graph.hcl") + " --audience " + (dir_ / "a.json").string() +
                       " --dialect " + std::string(KITH_STANDIN_ENGINE));
    ASSERT_EQ(sql.code, 0) << sql.err;
    const auto* d = kith::sql::Dialect::Find(KITH_STANDIN_ENGINE);
    ASSERT_NE(d, nullptr);
    EXPECT_NE(sql.out.find("FROM " + kith::sql::QuoteTable({"", "segment", "user_traits"}, *d)), std::string::npos) << sql.out;
    // trait_equals.test: p1, p3, p4.
    KithOutcome members = Kith("members --warehouse '" + uri_ + "' --graph " + Src("test/fixture/graph.hcl") + " --audience " +
                           (dir_ / "a.json").string() + " --as-of 2026-01-01T00:00:00Z");
    EXPECT_EQ(members.code, 0) << members.err;
    EXPECT_EQ(members.out, "p1\np3\np4\n");
    EXPECT_EQ(members.err, "");
}

// Every form of credentials the engine takes, and credentials it refuses (wrong, expired, denied): kith's output
// and errors hold none of the secret material, and a refusal is an error that names the engine.
TEST_F(CliRemote, NoSecretInOutputOrErrorsWhateverTheCredentials) {
    LoadFixture();
    std::ofstream(dir_ / "a.json")
        << R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})";
    auto members = [&](const std::string& uri) {
        return Kith("members --warehouse '" + uri + "' --graph " + Src("test/fixture/graph.hcl") + " --audience " +
                    (dir_ / "a.json").string() + " --as-of 2026-01-01T00:00:00Z");
    };
    auto refused = [&](const std::string& uri, const std::string& what) {
        KithOutcome o = members(uri);
        EXPECT_NE(o.code, 0) << what << ": " << o.out;
        EXPECT_NE(o.err.find(KITH_STANDIN_ENGINE), std::string::npos) << what << ": " << o.err;
        return o;
    };
    const std::string engine = KITH_STANDIN_ENGINE;
    {
        ScopedCredentials token(secrets_.token); // SNOWFLAKE_TOKEN, a minted BIGQUERY_ACCESS_TOKEN; else as exported
        KithOutcome ok = members(uri_);
        EXPECT_EQ(ok.code, 0) << ok.err;
        EXPECT_EQ(ok.out, "p1\np3\np4\n");
    }
    if (!secrets_.wrong.empty()) {
        ScopedCredentials wrong(secrets_.wrong);
        refused(uri_, "a wrong " + secrets_.wrong[0].first);
    }
    // Refusals the stand-ins inject, in a scope of this test's own (Snowflake's warehouse, BigQuery's project,
    // Databricks' warehouse ID).
    std::string scope = "kith-secrets-" + std::to_string(getpid());
    if (engine == "snowflake") {
        std::string own = std::regex_replace(uri_, std::regex("warehouse=[A-Za-z0-9_]+"), "warehouse=" + scope);
        {
            ScopedCredentials token(secrets_.token);
            ASSERT_TRUE(kith::test::PostFault(standin_, scope, R"({"expire_token": 1})"));
            KithOutcome expired = refused(own, "an expired SNOWFLAKE_TOKEN");
            EXPECT_NE(expired.err.find("expired"), std::string::npos) << expired.err;
        }
        std::string passphrase = "wrong-passphrase-" + std::to_string(getpid());
        auto key = secrets_.exported;
        for (auto& [name, value] : key) {
            if (name == "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") value = passphrase;
        }
        ScopedCredentials wrong_key(key);
        KithOutcome locked = refused(own, "a wrong SNOWFLAKE_PRIVATE_KEY_PASSPHRASE");
        EXPECT_EQ(locked.err.find(passphrase), std::string::npos) << locked.err;
    }
    if (engine == "bigquery") {
        std::string own = std::regex_replace(uri_, std::regex("bigquery://[a-z0-9-]+/"), "bigquery://" + scope + "/");
        {
            ScopedCredentials token(secrets_.token);
            ASSERT_TRUE(kith::test::PostFault(standin_, scope, R"({"expire_token": 1})"));
            refused(own, "an expired BIGQUERY_ACCESS_TOKEN");
        }
        ASSERT_TRUE(kith::test::PostFault(standin_, scope, R"({"status": 403, "reason": "accessDenied"})"));
        KithOutcome denied = refused(own, "a request denied to the service account");
        EXPECT_NE(denied.err.find("accessDenied"), std::string::npos) << denied.err;
    }
    if (engine == "databricks") {
        kith::test::Standin own = standin_.OwnWarehouse();
        ASSERT_TRUE(kith::test::SparkStandin::FailNext(own, 403));
        refused(own.uri, "a request the workspace denies");
    }
}

} // namespace
