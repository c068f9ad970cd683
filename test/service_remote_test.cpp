// The service (`kith serve`) on a remote engine's stand-in (KITH_STANDIN_ENGINE: spark, databricks, redshift,
// snowflake, bigquery) with the engine's credentials named in the config's [warehouse_auth] table and none in its
// environment: as files (a key file's path, a file holding a password or a token) and as names of variables. The
// routes that reach the warehouse answer (health, the catalog, graph validation, a preview and its count, explain,
// value suggestions, a run with its status and changes, a test event; `kith apply --config` too), and so do a
// failing statement and a service whose credentials are wrong, with errors. No secret material
// (support/standin_secrets.hpp) appears in any answer's body or headers, in the service's log (stderr and stdout)
// or in its state store, and the routes that describe the service (/api/v1/me, /healthz, /metrics, the graph) echo
// nothing of [warehouse_auth].
#include "common/text.hpp"
#include "config/config.hpp"
#include "sql/printer.hpp"
#include "support/dataset.hpp"
#include "support/fixture_dir.hpp"
#include "support/http_server.hpp"
#include "support/kith_service.hpp"
#include "support/run_kith.hpp"
#include "support/spark_standin.hpp"
#include "support/standin_secrets.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <regex>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::ApiClient;
using kith::test::Credentials;
using kith::test::KithService;
using kith::test::ScopedCredentials;
using Response = ApiClient::Response;

constexpr const char* kOwnerPassword = "owner-password-1";
constexpr const char* kPro =
    R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})";
// Over the card entity, which this suite points at a table of its own (crm.kith_secrets_cards) that it drops.
constexpr const char* kVisaCards = R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-cards",
    "where": {"filters": [{"column": "NETWORK", "op": "equals", "value": "visa"}]}}]}]})";

std::string Src(const std::string& rel) { return std::string(KITH_SOURCE_DIR) + "/" + rel; }
std::string Dump(const Response& r) { return fmt::format("HTTP {} {}", r.status, r.text.substr(0, 600)); }

// The suite's stand-in and its secrets, with the golden fixture loaded once.
struct Suite {
    kith::test::Standin standin;
    kith::test::StandinSecrets secrets;
    std::string error; //!< why the suite cannot run
};
Suite* suite = nullptr;

class ServiceRemote : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        suite = new Suite();
        auto standin = kith::test::SparkStandin::Start(KITH_STANDIN_ENGINE);
        if (!standin) return void(suite->error = standin.error().ToString());
        suite->standin = *standin;
        auto secrets = kith::test::StandinSecrets::Of(*standin);
        if (!secrets) return void(suite->error = secrets.error().ToString());
        suite->secrets = std::move(*secrets);
        auto sql = kith::text::ReadFile(Src("test/fixture/warehouse.sql"));
        auto duck = kith::warehouse::Open("duckdb::memory:");
        if (!sql || !duck || !(*duck)->Execute(*sql)) return void(suite->error = "cannot make the fixture in DuckDB");
        auto remote = Engine();
        if (!remote) return void(suite->error = remote.error().ToString());
        auto loaded = kith::test::LoadFixtureDataset(**remote, **duck, *sql);
        if (!loaded) suite->error = loaded.error().ToString();
    }
    static void TearDownTestSuite() {
        delete suite;
        suite = nullptr;
    }

    // A connection of this process to the engine, with the credentials the stand-in exported.
    static kith::Result<std::unique_ptr<kith::warehouse::Warehouse>> Engine() {
        ScopedCredentials exported(suite->secrets.exported);
        return kith::warehouse::Open(suite->standin.uri);
    }

    void SetUp() override {
        ASSERT_EQ(suite->error, "");
        root_ = kith::test::TestDir("kith_service_" + std::string(KITH_STANDIN_ENGINE));
        fs::create_directories(root_ / "dir");
        fs::create_directories(root_ / "secrets");
        // The fixture graph, its card entity on a table of this suite's own.
        std::string graph = kith::text::ReadFile(Src("test/fixture/graph.hcl")).value_or("");
        std::ofstream(root_ / "graph.hcl") << std::regex_replace(graph, std::regex("\"crm\\.cards\""),
                                                                 "\"crm.kith_secrets_cards\"");
        std::ofstream(root_ / "pw") << kOwnerPassword << "\n";
    }
    void TearDown() override {
        if (service_) {
            EXPECT_EQ(service_->Stop(), 0) << service_->Log();
            CheckLogsAndState();
        }
        fs::remove_all(root_);
    }

    const kith::test::StandinSecrets& secrets() const { return suite->secrets; }

    // Writes kith.toml with the credentials in [warehouse_auth] (as files, or as variables KITH_SECRET_<NAME> of
    // the service's environment) and adds the owner.
    void WriteConfig(const Credentials& credentials, bool as_files) {
        std::string auth;
        env_.clear();
        for (const auto& [name, value] : credentials) {
            if (!as_files) {
                env_.emplace_back("KITH_SECRET_" + name, value);
                auth += fmt::format("{} = {{ env = \"KITH_SECRET_{}\" }}\n", name, name);
            } else if (kith::config::IsPathVariable(name)) {
                auth += fmt::format("{} = {{ file = \"{}\" }}\n", name, value);
            } else {
                std::ofstream(root_ / "secrets" / name) << value << "\n";
                fs::permissions(root_ / "secrets" / name, fs::perms::owner_read | fs::perms::owner_write);
                auth += fmt::format("{} = {{ file = \"secrets/{}\" }}\n", name, name);
            }
        }
        std::ofstream(root_ / "kith.toml") << "warehouse = \"" << suite->standin.uri << "\"\n"
                                           << "graph = \"graph.hcl\"\nstate = \"state.sqlite\"\n"
                                           << "[alerts]\ninterval_s = 3600\n"
                                           << "[auth]\npassword_memory_mib = 1\npassword_passes = 1\n"
                                           // the tests' webhooks, on 127.0.0.1 at ports not known yet
                                           << "[delivery]\nallow_hosts = [\"127.0.0.1/32\"]\n"
                                           << "[warehouse_auth]\n"
                                           << auth;
        auto added = Kith(fmt::format("users add --config {} --email owner@x.test --role workspace_owner "
                                      "--password-stdin < {}",
                                      Config(), (root_ / "pw").string()));
        ASSERT_EQ(added.code, 0) << added.err;
    }

    // `kith ARGS` with no credential in its environment (only the variables [warehouse_auth] names).
    kith::test::KithOutcome Kith(const std::string& args) {
        ScopedCredentials none(env_);
        auto o = kith::test::RunKith(args);
        EXPECT_EQ(secrets().FindIn(o.out), "") << "in the output of kith " << args;
        EXPECT_EQ(secrets().FindIn(o.err), "") << "in the errors of kith " << args;
        return o;
    }

    // Starts the service on kith.toml, with no credential in its environment; "" or why it did not start. healthy:
    // wait until /healthz answers 200, else until it answers.
    std::string Serve(bool healthy = true) {
        std::string error;
        {
            ScopedCredentials none(env_);
            service_ = KithService::Start(root_ / "kith.toml", root_ / "log", &error, healthy);
        }
        if (!service_) return error;
        owner_ = std::make_unique<ApiClient>(service_->port());
        Response login = owner_->Login("owner@x.test", kOwnerPassword);
        Check(login, "login");
        return login.status == 200 ? "" : "login: " + Dump(login);
    }

    // One API call, its answer checked for secrets.
    Response Call(const std::string& method, const std::string& path, const json& body = nullptr) {
        std::string text = body.is_null() ? (method == "GET" ? "" : "{}") : body.dump();
        Response r = owner_->Send(method, path, text);
        Check(r, method + " " + path);
        return r;
    }

    void Check(const Response& r, const std::string& what) {
        EXPECT_EQ(secrets().FindIn(r.text), "") << "in the answer to " << what;
        for (const auto& [name, value] : r.headers) {
            EXPECT_EQ(secrets().FindIn(name + ": " + value), "") << "in the header " << name << " of " << what;
        }
        ++answers_;
    }

    // Everything the stopped service left: its log (stderr, stdout) and its state store.
    void CheckLogsAndState() {
        for (const char* file : {"log/serve.err", "log/serve.out", "state.sqlite", "state.sqlite-wal"}) {
            auto text = kith::text::ReadFile((root_ / file).string());
            if (text) {
                EXPECT_EQ(secrets().FindIn(*text), "") << "in " << file;
            }
        }
    }

    // Polls the audience's runs until one has finished.
    json WaitForRun(const std::string& key) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
        while (std::chrono::steady_clock::now() < deadline) {
            Response runs = Call("GET", "/api/v1/audiences/" + key + "/runs");
            json items = runs.json.is_object() ? runs.json.value("items", json::array()) : json::array();
            for (const auto& r : items) {
                if (r["status"] == "completed" || r["status"] == "failed") return r;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        ADD_FAILURE() << "no run of " << key << " finished\n" << service_->Log();
        return nullptr;
    }

    std::string Config() const { return (root_ / "kith.toml").string(); }

    fs::path root_;
    Credentials env_; //!< the variables the config names (env form)
    std::unique_ptr<KithService> service_;
    std::unique_ptr<ApiClient> owner_;
    int answers_ = 0;
};

// The warehouse routes with the credentials in files; a run delivers to a webhook and a test event follows; a
// statement that fails on the engine (its table dropped under a saved audience) is an error naming the table.
TEST_F(ServiceRemote, CredentialsInFilesServeTheWarehouseRoutes) {
    WriteConfig(secrets().exported, true);
    kith::test::HttpServer sink([](const kith::test::HttpServer::Request&) { return kith::test::HttpServer::Reply{}; });
    std::ofstream(root_ / "dir" / "vip.json") << R"({"kind": "audience", "key": "vip", "name": "Pro plan",
        "definition": )" << kPro << R"(, "schedule": {"type": "manual"}, "enabled": true})";
    std::ofstream(root_ / "dir" / "vip_hook.json") << R"({"kind": "activation", "key": "vip_hook", "audience": "vip",
        "destination": {"type": "webhook", "url": ")" << sink.url() << R"(/in"}, "trigger": "profile_enters",
        "identifiers": [{"type": "user_id", "as": "userId"}], "enabled": true})";
    auto applied = Kith("apply --config " + Config() + " " + (root_ / "dir").string()); // reads [warehouse_auth] too
    ASSERT_EQ(applied.code, 0) << applied.err;
    ASSERT_EQ(Serve(), "");

    Response health = Call("GET", "/healthz");
    EXPECT_EQ(health.status, 200) << Dump(health);
    EXPECT_EQ(health.json["checks"]["warehouse"], "ok") << Dump(health);
    Response catalog = Call("GET", "/api/v1/catalog");
    ASSERT_EQ(catalog.status, 200) << Dump(catalog);
    EXPECT_EQ(catalog.json["traits"][0], "plan");
    std::string graph = kith::text::ReadFile(Src("test/fixture/graph.hcl")).value_or(""); // its tables all exist
    Response valid = Call("POST", "/api/v1/graph/validate", {{"source", graph}, {"format", "hcl"}});
    EXPECT_EQ(valid.json["valid"], true) << Dump(valid);
    Response preview = Call("POST", "/api/v1/previews?wait_ms=120000", {{"definition", json::parse(kPro)}});
    ASSERT_EQ(preview.status, 200) << Dump(preview);
    EXPECT_EQ(preview.json["status"], "succeeded") << Dump(preview);
    EXPECT_EQ(preview.json["result"]["count"], 3); // trait_equals.test: p1, p3, p4
    Response explain = Call("POST", "/api/v1/explain", {{"definition", json::parse(kPro)}, {"profile", "p1"}});
    EXPECT_EQ(explain.json["member"], true) << Dump(explain);
    Response values = Call("GET", "/api/v1/suggestions?trait=plan");
    EXPECT_NE(values.text.find("\"pro\""), std::string::npos) << Dump(values);

    // A run, its status and changes, its events at the webhook, then a test event.
    ASSERT_EQ(Call("POST", "/api/v1/audiences/vip/run").status, 202);
    json run = WaitForRun("vip");
    ASSERT_EQ(run["status"], "completed") << run.dump();
    std::string id = std::to_string(run["id"].get<int64_t>());
    EXPECT_EQ(Call("GET", "/api/v1/runs/" + id).status, 200);
    EXPECT_EQ(Call("GET", "/api/v1/runs/" + id + "/changes").status, 200);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (sink.Requests().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_FALSE(sink.Requests().empty()) << service_->Log();
    std::string user = json::parse(sink.Requests()[0].body).value("userId", "");
    Response test_event = Call("POST", "/api/v1/activations/vip_hook/test-event", {{"user_id", user}});
    EXPECT_EQ(test_event.json["result"], "delivered") << Dump(test_event);

    // A failing statement: an audience saved over crm.kith_secrets_cards, then the table dropped.
    auto engine = Engine();
    ASSERT_TRUE(engine) << engine.error().ToString();
    const auto& d = (*engine)->sql_dialect();
    std::string cards = kith::sql::QuoteTable({"", "crm", "kith_secrets_cards"}, d);
    ASSERT_TRUE((*engine)->Execute("DROP TABLE IF EXISTS " + cards));
    std::string source = kith::sql::QuoteTable({"", "crm", "cards"}, d);
    ASSERT_TRUE((*engine)->Execute("CREATE TABLE " + cards + " AS SELECT * FROM " + source));
    Response saved = Call("POST", "/api/v1/audiences", {{"key", "visa"}, {"name", "Visa"}, {"folder", "Tests"},
                                                        {"definition", json::parse(kVisaCards)}});
    ASSERT_EQ(saved.status, 201) << Dump(saved);
    ASSERT_TRUE((*engine)->Execute("DROP TABLE " + cards));
    Response failed = Call("POST", "/api/v1/previews?wait_ms=120000", {{"definition", json::parse(kVisaCards)}});
    EXPECT_EQ(failed.json["status"], "failed") << Dump(failed);
    EXPECT_NE(kith::text::Lower(failed.text).find("kith_secrets_cards"), std::string::npos) << Dump(failed);

    // What describes the service holds nothing of [warehouse_auth].
    for (const char* path : {"/api/v1/me", "/metrics", "/api/v1/graph"}) {
        EXPECT_EQ(Call("GET", path).status, 200) << path;
    }
    // Deleting the audience drops its tables from the engine's kith_state (the stand-in outlives this test).
    EXPECT_EQ(Call("DELETE", "/api/v1/activations/vip_hook").status, 204);
    EXPECT_EQ(Call("DELETE", "/api/v1/audiences/vip").status, 204);
    EXPECT_GE(answers_, 18);
}

// The engine's other form of credentials (Snowflake's programmatic token, a BigQuery access token), named as
// variables of the service's environment.
TEST_F(ServiceRemote, CredentialsInVariablesServeTheTokenForm) {
    WriteConfig(secrets().token, false);
    ASSERT_EQ(Serve(), "");
    Response health = Call("GET", "/healthz");
    EXPECT_EQ(health.json["checks"]["warehouse"], "ok") << Dump(health);
    Response preview = Call("POST", "/api/v1/previews?wait_ms=120000", {{"definition", json::parse(kPro)}});
    EXPECT_EQ(preview.json["result"]["count"], 3) << Dump(preview);
}

// Credentials the engine refuses: the service does not start (engines that connect at start), or every warehouse
// route answers the engine's refusal; neither the wrong secret nor the right one shows.
TEST_F(ServiceRemote, WrongCredentialsAreErrorsWithoutSecrets) {
    // Not registered for spark (test/CMakeLists.txt): its stand-in runs with authentication NONE, no password is wrong.
    ASSERT_FALSE(secrets().wrong.empty()) << "the " << secrets().engine << " stand-in refuses no credentials";
    WriteConfig(secrets().wrong, true);
    std::string refused = Serve(false);
    if (!service_) {
        EXPECT_EQ(secrets().FindIn(refused), "");
        EXPECT_NE(refused.find(KITH_STANDIN_ENGINE), std::string::npos) << refused;
        CheckLogsAndState();
        return;
    }
    ASSERT_EQ(refused, "");
    Response health = Call("GET", "/healthz");
    EXPECT_EQ(health.status, 503) << Dump(health);
    EXPECT_NE(health.json["checks"]["warehouse"].get<std::string>().find(KITH_STANDIN_ENGINE), std::string::npos);
    Response preview = Call("POST", "/api/v1/previews?wait_ms=120000", {{"definition", json::parse(kPro)}});
    EXPECT_EQ(preview.json["status"], "failed") << Dump(preview);
    EXPECT_NE(Call("GET", "/api/v1/catalog").status, 200);
}

} // namespace
