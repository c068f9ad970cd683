#include "config/config.hpp"
#include "config/warehouse_credentials.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::config {
namespace {

namespace fs = std::filesystem;

std::string Messages(const Diagnostics& d) {
    std::string out;
    for (const auto& x : d) out += x.ToString() + "\n";
    return out;
}

TEST(Config, EmptyFileGivesDefaultsBesideIt) {
    auto c = ParseConfig("", "/srv/kith/kith.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->directory, "/srv/kith");
    EXPECT_EQ(c->warehouse, "duckdb:/srv/kith/warehouse.duckdb");
    EXPECT_EQ(c->graph, "/srv/kith/graph.hcl");
    EXPECT_EQ(c->state, "/srv/kith/state.sqlite");
    EXPECT_EQ(c->listen, "127.0.0.1:8080");
    EXPECT_EQ(c->runs.max_concurrent, 5);
    EXPECT_EQ(c->delivery.retry_for_s, 4 * 3600);
    EXPECT_EQ(c->delivery.activation_rate, 500);
    EXPECT_EQ(c->delivery.workspace_rate, 1500);
    EXPECT_EQ(c->delivery.file_root, "/srv/kith"); // the state store's folder
    EXPECT_TRUE(c->delivery.allow_hosts.empty()); // no internal address is reachable
}

TEST(Config, RelativePathsResolveAgainstTheFilesFolder) {
    auto c = ParseConfig(R"(
warehouse = "duckdb:data/w.duckdb"
graph = "../graphs/g.hcl"
state = "/var/lib/kith/state.db"
listen = "0.0.0.0:9000"
web = "app/dist"
)",
                         "/srv/kith/kith.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->warehouse, "duckdb:/srv/kith/data/w.duckdb");
    EXPECT_EQ(c->graph, "/srv/graphs/g.hcl");
    EXPECT_EQ(c->state, "/var/lib/kith/state.db");
    EXPECT_EQ(c->listen, "0.0.0.0:9000");
    EXPECT_EQ(c->web, "/srv/kith/app/dist");
    EXPECT_EQ(c->delivery.file_root, "/var/lib/kith"); // follows the state store
    auto root = ParseConfig("[delivery]\nfile_root = \"exports/\"\n", "/srv/kith/kith.toml");
    ASSERT_TRUE(root) << Messages(root.error());
    EXPECT_EQ(root->delivery.file_root, "/srv/kith/exports");
    EXPECT_EQ(ParseConfig("[delivery]\nfile_root = \"/data/out\"\n", "/a/k.toml")->delivery.file_root, "/data/out");
}

TEST(Config, AllowHostsAreAddressesAndNetworks) {
    auto c = ParseConfig(R"([delivery]
allow_hosts = ["127.0.0.1:8099", "10.0.0.0/8", "[::1]:8080", "fd00::/8"]
)",
                         "/a/k.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    ASSERT_EQ(c->delivery.allow_hosts.size(), 4u);
    EXPECT_EQ(c->delivery.allow_hosts[0].text, "127.0.0.1:8099");
    EXPECT_EQ(c->delivery.allow_hosts[0].port, 8099);
    EXPECT_EQ(c->delivery.allow_hosts[1].prefix, 8);
    auto bad = ParseConfig(R"([delivery]
allow_hosts = ["127.0.0.1:8099", "localhost", 8, "10.0.0.0/40"]
)",
                           "k.toml");
    ASSERT_FALSE(bad);
    std::string m = Messages(bad.error());
    EXPECT_NE(m.find("k.toml:2:34: delivery.allow_hosts: expected an IP address or network"), std::string::npos) << m;
    EXPECT_NE(m.find("host names are not accepted"), std::string::npos) << m;
    EXPECT_NE(m.find("k.toml:2:47: delivery.allow_hosts must hold strings, found an integer"), std::string::npos) << m;
    EXPECT_NE(m.find("k.toml:2:50: delivery.allow_hosts: the prefix length of \"10.0.0.0/40\" must be from 0 to 32"),
              std::string::npos) << m;
    auto scalar = ParseConfig("[delivery]\nallow_hosts = \"127.0.0.1\"\n", "k.toml");
    ASSERT_FALSE(scalar);
    EXPECT_EQ(Messages(scalar.error()),
              "k.toml:2:15: delivery.allow_hosts must be an array of strings, found a string\n");
}

TEST(Config, PostgresAndMemoryUrisAreKept) {
    auto c = ParseConfig("warehouse = \"postgresql://u@127.0.0.1:5432/db\"\n", "/a/k.toml");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->warehouse, "postgresql://u@127.0.0.1:5432/db");
    EXPECT_EQ(ResolveWarehouse("duckdb::memory:", "/a"), "duckdb::memory:");
    EXPECT_EQ(ResolveWarehouse("duckdb:/abs/w.duckdb", "/a"), "duckdb:/abs/w.duckdb");
}

TEST(Config, RemoteEngineUrisAreKept) {
    for (std::string uri : {"redshift://kith@rs.example.com:5439/dev",
                            "snowflake://ACME/DB/PUBLIC?warehouse=WH&user=KITH", "bigquery://my-project/crm",
                            "spark://127.0.0.1:10000/default",
                            "databricks://adb-1.azuredatabricks.net/main/crm?http_path=/sql/1.0/warehouses/abc"}) {
        auto c = ParseConfig("warehouse = \"" + uri + "\"\n", "/srv/k.toml");
        ASSERT_TRUE(c) << Messages(c.error());
        EXPECT_EQ(c->warehouse, uri);
    }
    EXPECT_FALSE(ParseConfig("warehouse = \"snowflake://\"\n", "k.toml"));
}

TEST(Config, TablesHoldRunAndDeliverySettings) {
    auto c = ParseConfig(R"(
[runs]
max_concurrent = 2
[delivery]
retry_for_s = 60
activation_rate = 10
)",
                         "/a/k.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->runs.max_concurrent, 2);
    EXPECT_EQ(c->delivery.retry_for_s, 60);
    EXPECT_EQ(c->delivery.activation_rate, 10);
    EXPECT_EQ(c->delivery.workspace_rate, 1500);
}

TEST(Config, AlertsTable) {
    auto d = ParseConfig("", "/a/k.toml");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->alerts.interval_s, 300);
    EXPECT_EQ(d->alerts.smtp_url, "");
    EXPECT_EQ(d->alerts.smtp_from, "kith@localhost");
    EXPECT_EQ(d->alerts.smtp_user, "");
    EXPECT_FALSE(d->alerts.smtp_starttls);
    EXPECT_EQ(d->alerts.public_url, "");
    auto c = ParseConfig(R"(
[alerts]
interval_s = 60
smtp_url = "smtp://mail.example.com:587"
smtp_from = "alerts@example.com"
smtp_user = "kith"
smtp_password = "s3cret"
smtp_starttls = true
public_url = "https://kith.example.com"
)",
                         "/a/k.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->alerts.interval_s, 60);
    EXPECT_EQ(c->alerts.smtp_url, "smtp://mail.example.com:587");
    EXPECT_EQ(c->alerts.smtp_from, "alerts@example.com");
    EXPECT_EQ(c->alerts.smtp_user, "kith");
    EXPECT_EQ(c->alerts.smtp_password, "s3cret");
    EXPECT_TRUE(c->alerts.smtp_starttls);
    EXPECT_EQ(c->alerts.public_url, "https://kith.example.com");
    auto bad = ParseConfig(R"([alerts]
interval_s = 1
smtp_url = "mail.example.com"
public_url = "kith.example.com"
smtp_tls = true
)",
                           "k.toml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(Messages(bad.error()),
              "k.toml:2:14: alerts.interval_s must be between 10 and 86400, found 1\n"
              "k.toml:3:12: alerts.smtp_url: expected smtp://host:port or smtps://host:port, found "
              "\"mail.example.com\"\n"
              "k.toml:4:14: alerts.public_url: expected an http:// or https:// address, found \"kith.example.com\"\n"
              "k.toml:5:1: unknown key \"alerts.smtp_tls\" (known: alerts.interval_s, alerts.public_url, "
              "alerts.smtp_from, alerts.smtp_password, alerts.smtp_starttls, alerts.smtp_url, alerts.smtp_user)\n");
}

TEST(Config, AuthTableSetsThePasswordCost) {
    auto c = ParseConfig("[auth]\npassword_memory_mib = 8\npassword_passes = 1\n", "k.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->auth.password_memory_mib, 8);
    EXPECT_EQ(c->auth.password_passes, 1);
    EXPECT_EQ(Defaults("/x").auth.password_memory_mib, 64);
    auto bad = ParseConfig("[auth]\npassword_memory_mib = 0\n", "k.toml");
    ASSERT_FALSE(bad);
    EXPECT_EQ(Messages(bad.error()), "k.toml:2:23: auth.password_memory_mib must be between 1 and 4096, found 0\n");
}

TEST(Config, EveryProblemIsReportedAtItsLine) {
    auto c = ParseConfig(R"(warehouse = "mysql://x"
grpah = "g.hcl"
listen = 8080
[runs]
max_concurrent = 0
parallel = 3
[web]
)",
                         "k.toml");
    ASSERT_FALSE(c);
    EXPECT_EQ(Messages(c.error()),
              "k.toml:1:13: warehouse: expected duckdb:PATH, postgresql://..., redshift://..., snowflake://..., "
              "bigquery://..., spark://... or databricks://..., found \"mysql://x\"\n"
              "k.toml:2:1: unknown key \"grpah\" (known: alerts, auth, delivery, graph, listen, runs, state, "
              "warehouse, warehouse_auth, web)\n"
              "k.toml:3:10: listen must be a string, found an integer\n"
              "k.toml:5:18: runs.max_concurrent must be between 1 and 1000, found 0\n"
              "k.toml:6:1: unknown key \"runs.parallel\" (known: runs.keep_snapshots, runs.max_concurrent, "
              "runs.max_start_delay_s, runs.page_size, runs.snapshot_schema, runs.stage_batch)\n"
              "k.toml:7:1: web must be a string, found a table\n");
}

TEST(Config, SyntaxErrorHasALocation) {
    auto c = ParseConfig("warehouse = \n", "k.toml");
    ASSERT_FALSE(c);
    ASSERT_EQ(c.error().size(), 1u);
    EXPECT_EQ(c.error()[0].location.line, 1);
    EXPECT_EQ(c.error()[0].location.file, "k.toml");
}

TEST(Config, LoadReadsTheFile) {
    fs::path dir = fs::temp_directory_path() / ("kith_config_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "kith.toml") << "graph = \"g.json\"\n";
    auto c = LoadConfig((dir / "kith.toml").string());
    ASSERT_TRUE(c) << Messages(c.error());
    EXPECT_EQ(c->graph, (dir / "g.json").string());
    auto missing = LoadConfig((dir / "none.toml").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error()[0].location.line, 0);
    fs::remove_all(dir);
}

TEST(Config, ListenNeedsAPort) {
    EXPECT_FALSE(ParseConfig("listen = \"localhost\"\n", "k.toml"));
    EXPECT_FALSE(ParseConfig("listen = \"localhost:0\"\n", "k.toml"));
    EXPECT_FALSE(ParseConfig("listen = \"localhost:99999\"\n", "k.toml"));
    EXPECT_TRUE(ParseConfig("listen = \"[::1]:8080\"\n", "k.toml"));
}

// ---- [warehouse_auth] ----

TEST(Config, WarehouseAuthNamesFilesAndVariables) {
    auto c = ParseConfig(R"([warehouse_auth]
SNOWFLAKE_PRIVATE_KEY_PATH = { file = "keys/rsa_key.p8" }
SNOWFLAKE_PRIVATE_KEY_PASSPHRASE = { env = "KITH_SF_PASSPHRASE" }
[warehouse_auth.PGPASSWORD]
file = "/run/secrets/pg"
)",
                         "/srv/kith/k.toml");
    ASSERT_TRUE(c) << Messages(c.error());
    ASSERT_EQ(c->warehouse_auth.size(), 3u);
    EXPECT_EQ(c->warehouse_auth[0].variable, "SNOWFLAKE_PRIVATE_KEY_PATH");
    EXPECT_EQ(c->warehouse_auth[0].file, "/srv/kith/keys/rsa_key.p8");
    EXPECT_EQ(c->warehouse_auth[0].location.ToString(), "/srv/kith/k.toml:2:1");
    EXPECT_EQ(c->warehouse_auth[1].env, "KITH_SF_PASSPHRASE");
    EXPECT_EQ(c->warehouse_auth[1].file, "");
    EXPECT_EQ(c->warehouse_auth[2].variable, "PGPASSWORD");
    EXPECT_EQ(c->warehouse_auth[2].file, "/run/secrets/pg");
    EXPECT_TRUE(ParseConfig("", "k.toml")->warehouse_auth.empty());
}

TEST(Config, WarehouseAuthNeverEchoesAWrittenSecret) {
    auto bad = ParseConfig(R"([warehouse_auth]
SNOWFLAKE_TOKEN = "sfoauth-written-in-the-file"
DATABRICKS_TOKEN = { file = "t", env = "T" }
PGPASSWORD = { value = "pg-written-in-the-file" }
SPARK_PASSWORD = { env = "" }
AWS_SECRET = { env = "X" }
)",
                           "k.toml");
    ASSERT_FALSE(bad);
    std::string all = Messages(bad.error());
    EXPECT_EQ(all.find("written-in-the-file"), std::string::npos) << all;
    EXPECT_NE(all.find("k.toml:2:19: warehouse_auth.SNOWFLAKE_TOKEN must be { file = \"PATH\" } or { env = "
                       "\"VARIABLE\" }, found a string (the config names a secret; it never holds one)"),
              std::string::npos)
        << all;
    EXPECT_NE(all.find("k.toml:3:20: warehouse_auth.DATABRICKS_TOKEN must be"), std::string::npos) << all;
    EXPECT_NE(all.find("k.toml:4:14: warehouse_auth.PGPASSWORD must be"), std::string::npos) << all;
    EXPECT_NE(all.find("k.toml:5:18: warehouse_auth.SPARK_PASSWORD.env must not be empty"), std::string::npos) << all;
    EXPECT_NE(all.find("k.toml:6:1: unknown key \"warehouse_auth.AWS_SECRET\" (known: SNOWFLAKE_PRIVATE_KEY_PATH, "),
              std::string::npos)
        << all;
}

class WarehouseCredentialsTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_credentials_test_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        fs::remove_all(dir_);
        unsetenv("KITH_TEST_SF_TOKEN");
    }
    Config Parse(const std::string& text) {
        auto c = ParseConfig(text, (dir_ / "k.toml").string());
        EXPECT_TRUE(c) << Messages(c.error());
        return c ? *c : Config{};
    }
    fs::path dir_;
};

TEST_F(WarehouseCredentialsTest, TheTableAloneGivesTheCredentials) {
    std::ofstream(dir_ / "pg") << "pg-secret-1\n";
    std::ofstream(dir_ / "key.json") << "{}";
    setenv("KITH_TEST_SF_TOKEN", "sf-secret-2", 1);
    auto c = WarehouseCredentials::Read(Parse(R"([warehouse_auth]
PGPASSWORD = { file = "pg" }
GOOGLE_APPLICATION_CREDENTIALS = { file = "key.json" }
SNOWFLAKE_TOKEN = { env = "KITH_TEST_SF_TOKEN" }
)"));
    ASSERT_TRUE(c) << c.error().ToString();
    auto getenv = c->Getenv();
    EXPECT_STREQ(getenv("PGPASSWORD"), "pg-secret-1"); // the file's text without its newline
    EXPECT_EQ(std::string(getenv("GOOGLE_APPLICATION_CREDENTIALS")), (dir_ / "key.json").string()); // a key file's path
    EXPECT_STREQ(getenv("SNOWFLAKE_TOKEN"), "sf-secret-2");
    // Credentials the table does not name are unset, whatever the environment says; other variables are the
    // environment's.
    setenv("DATABRICKS_TOKEN", "from-the-environment", 1);
    EXPECT_EQ(getenv("DATABRICKS_TOKEN"), nullptr);
    unsetenv("DATABRICKS_TOKEN");
    EXPECT_EQ(getenv("PATH"), std::getenv("PATH"));
    // Without a table, the environment is read.
    auto none = WarehouseCredentials::Read(Parse(""));
    ASSERT_TRUE(none);
    EXPECT_STREQ(none->Get("KITH_TEST_SF_TOKEN"), "sf-secret-2");
}

TEST_F(WarehouseCredentialsTest, MissingSourcesAreErrorsAtTheirEntry) {
    std::ofstream(dir_ / "empty") << " \n";
    for (auto [entry, expected] : std::vector<std::pair<std::string, std::string>>{
             {"PGPASSWORD = { file = \"none\" }", "warehouse_auth.PGPASSWORD: cannot read the file " +
                                                      (dir_ / "none").string()},
             {"SNOWFLAKE_PRIVATE_KEY_PATH = { file = \"none.p8\" }",
              "warehouse_auth.SNOWFLAKE_PRIVATE_KEY_PATH: cannot read the file " + (dir_ / "none.p8").string()},
             {"PGPASSWORD = { file = \"empty\" }",
              "warehouse_auth.PGPASSWORD: the file " + (dir_ / "empty").string() + " is empty"},
             {"DATABRICKS_TOKEN = { env = \"KITH_TEST_NOT_SET\" }",
              "warehouse_auth.DATABRICKS_TOKEN: the variable KITH_TEST_NOT_SET is not set"},
         }) {
        auto c = WarehouseCredentials::Read(Parse("[warehouse_auth]\n" + entry + "\n"));
        ASSERT_FALSE(c) << entry;
        EXPECT_EQ(c.error().code, ErrorCode::USAGE);
        EXPECT_EQ(c.error().message, expected);
        EXPECT_EQ(c.error().location, (dir_ / "k.toml").string() + ":2:1");
    }
}

} // namespace
} // namespace kith::config
