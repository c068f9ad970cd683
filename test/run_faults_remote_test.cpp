// Faults of a remote engine during whole `kith run`s (warehouses.md, "What every engine must do": transient failures
// are retried inside the driver with the API's idempotency key, every other failure is an error with the engine's
// message; activations.md, "Runs" and "Delivery": a failed run leaves the baseline, every event once).
//
// The engine (KITH_STANDIN_ENGINE: snowflake, bigquery or databricks) holds a small generated warehouse; its carts
// change before every run, so that profiles and carts enter and leave an audience with five activations (the five
// triggers) sending to a webhook on 127.0.0.1. A DuckDB copy of the same data, changed the same way, is the
// reference: `kith run` on it gives each step's expected events. After a clean first run, each step injects faults
// into the stand-in, spread over the run's statements (a rule's "every": the faults land all through the snapshot,
// the diff and the pages of changes): 429 with Retry-After and 503, connections dropped before and after executing,
// slow statements polled asynchronously with results in several partitions or pages, an expired token, and an error
// that is not retried (Snowflake, BigQuery); on Databricks, whose proxy sees Thrift calls, 429, 503 and slow
// answers, connections dropped or reset while results are read, and one dropped on a statement, which the driver
// does not send again. Each step asserts that
//   - the run completed, or (where the step says so) failed with the engine's message and a clean run completed it;
//   - the webhook received exactly the reference's events of that step, and no messageId ever twice;
//   - the stand-in applied every fault (its counters grew, no rule is left pending), and (Snowflake, BigQuery) ran
//     no statement twice for one requestId.
// Faults, counters and statements are scoped to this process (a warehouse name, a project id, a warehouse ID of
// its own), so suites running beside it on the same stand-in see none of them. The report prints each step's
// outcome, time and the stand-in's counters.
#include "common/text.hpp"
#include "support/dataset.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"
#include "support/run_kith.hpp"
#include "support/spark_standin.hpp"
#include "sql/printer.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::KithOutcome;

constexpr int kProfiles = 40;
constexpr int kSeed = 17;
constexpr const char* kAsOf = "2026-01-10T00:00:00Z";
constexpr const char* kChanging = "kith_faults"; // the schema of the carts table that changes before every run
constexpr const char* kAudience = "cart_watch";
constexpr const char* kRunsSchema = "kith_faults_runs"; // the runs' snapshots and diffs

// The tables of the generated warehouse the audience and its activations read; the carts are apart (kChanging).
constexpr const char* kSharedTables[][2] = {{"segment", "user_identifiers"}, {"segment", "user_traits"},
                                            {"segment", "profile_merges"}, {"crm", "accounts"}};

// ----------------------------------------------------------------------------------------------------------------
// The definitions: an audience of active accounts with an abandoned cart over 200, and the five triggers.

const char* const kDefinitions[][2] = {
    {"audience.json", R"({"kind": "audience", "key": "cart_watch", "name": "Cart watch",
 "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
   "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
   "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
     "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"},
                           {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]},
 "schedule": {"type": "manual"}, "enabled": true})"},
    {"joined.json", R"({"kind": "activation", "key": "joined", "audience": "cart_watch", "trigger": "profile_enters",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"traits": ["first_name", "plan"]}, "destination": @HOOK@})"},
    {"left.json", R"({"kind": "activation", "key": "left", "audience": "cart_watch", "trigger": "profile_exits",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "destination": @HOOK@})"},
    {"cart_in.json", R"({"kind": "activation", "key": "cart_in", "audience": "cart_watch", "trigger": "entity_enters",
 "entity": "account-carts", "event_name": "Cart Entered",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"traits": ["first_name"], "entities": {"account-carts": ["TOTAL", "STATUS"]}},
 "destination": @HOOK@})"},
    {"cart_out.json", R"({"kind": "activation", "key": "cart_out", "audience": "cart_watch", "trigger": "entity_exits",
 "entity": "account-carts", "identifiers": [{"type": "segment_id", "as": "userId"}],
 "enrichment": {"entities": {"account-carts": ["TOTAL"]}}, "destination": @HOOK@})"},
    {"member.json", R"({"kind": "activation", "key": "member", "audience": "cart_watch",
 "trigger": "membership_changed", "identifiers": [{"type": "segment_id", "as": "userId"}],
 "enrichment": {"traits": ["plan"]}, "destination": @HOOK@})"},
};

// Before run `step` (1, 2, ...): carts become abandoned and expensive (carts and profiles enter), abandoned ones are
// checked out or deleted (carts and profiles leave).
std::string Change(int step) {
    return fmt::format(R"sql(
UPDATE {0}.carts SET "STATUS" = 'abandoned', "TOTAL" = 400 + {1} WHERE "ID" % 6 = {2};
UPDATE {0}.carts SET "STATUS" = 'checked_out' WHERE "STATUS" = 'abandoned' AND "ID" % 6 <> {2} AND "ID" % 4 = {3};
DELETE FROM {0}.carts WHERE "STATUS" = 'abandoned' AND "ID" % 6 <> {2} AND "ID" % 9 = {4};
)sql",
                       kChanging, step, step % 6, step % 4, step % 9);
}

// ----------------------------------------------------------------------------------------------------------------
// The stand-ins' fault injection (their admin routes), scoped to this process.

//! A step's faults: rules spread over the run's statements, the stand-in's counters they must raise, and whether
//! the run then fails (with `message` in its error) rather than completes.
struct Step {
    std::string name;
    std::vector<json> rules;  //!< each with its "count"; "every" is set from the clean run's statements
    json sticky = nullptr;    //!< a rule posted as is (partition or page size), or null
    std::map<std::string, int> counters = {}; //!< stats counter -> the least it must reach in the run
    bool fails = false;
    std::string message = {};
};

//! What differs between the engines: the scope of the admin routes, which requests a rule is spread over, and the
//! steps.
struct Engine {
    std::string name;
    std::string uri;           //!< the stand-in's URI under this process's scope
    int admin_port = 0;
    std::string scope_query;   //!< "scope=ID" or "warehouse=ID"
    bool request_ids = false;  //!< the stand-in lists statements with their executions (Snowflake, BigQuery)
    std::vector<Step> steps;

    //! The filter that narrows a rule to the engine's statements (what "every" counts).
    json StatementFilter() const {
        if (name == "snowflake") return {{"method", "POST"}};
        if (name == "bigquery") return {{"method", "POST"}, {"path", "/queries"}};
        return {{"call", "ExecuteStatement"}};
    }
    //! How many requests of the kind `rule` applies to a run sent, from the stand-in's stats of that run.
    long Requests(const json& stats, const json& rule) const {
        if (name == "snowflake") return stats.value("submitted", 0L);
        if (name == "bigquery") return stats.value("queries", 0L);
        return stats["calls"].value(rule.value("call", "ExecuteStatement"), 0L);
    }
};

std::vector<Step> SnowflakeSteps() {
    return {
        {.name = "429 with Retry-After, then 503",
         .rules = {{{"status", 429}, {"retry_after", 1}, {"count", 2}}, {{"status", 503}, {"count", 3}}},
         .counters = {{"faulted", 5}}},
        {.name = "dropped connections, before and after executing",
         .rules = {{{"drop", 1}, {"count", 3}}, {{"drop_after_execute", 1}, {"count", 3}}},
         .counters = {{"faulted", 6}}},
        {.name = "slow statements polled, results in partitions",
         .rules = {{{"delay_ms", 1500}, {"count", 2}}},
         .sticky = {{"partition_rows", 3}},
         .counters = {{"running", 1}, {"partitions", 1}}},
        {.name = "an expired token", .rules = {{{"expire_token", 1}, {"count", 2}}}, .counters = {{"unauthorized", 2}}},
        {.name = "an error that is not retried",
         .rules = {{{"status", 500}, {"count", 1}}},
         .counters = {{"faulted", 1}},
         .fails = true,
         .message = "snowflake: HTTP 500: Internal error."},
    };
}

std::vector<Step> BigQuerySteps() {
    return {
        {.name = "429 with Retry-After, then 503",
         .rules = {{{"status", 429}, {"reason", "rateLimitExceeded"}, {"retry_after", 1}, {"count", 2}},
                   {{"status", 503}, {"reason", "backendError"}, {"count", 3}}},
         .counters = {{"faulted", 5}}},
        {.name = "dropped connections, before and after executing",
         .rules = {{{"drop", 1}, {"count", 3}}, {{"drop_after_execute", 1}, {"count", 3}}},
         .counters = {{"faulted", 6}}},
        {.name = "slow statements polled, results in pages",
         .rules = {{{"delay_ms", 1500}, {"wait_ms", 100}, {"count", 2}}},
         .sticky = {{"page_rows", 3}},
         .counters = {{"incomplete", 1}, {"pages", 1}}},
        {.name = "an expired token", .rules = {{{"expire_token", 1}, {"count", 2}}}, .counters = {{"unauthorized", 2}}},
        {.name = "an error that is not retried",
         .rules = {{{"status", 403}, {"reason", "quotaExceeded"}, {"count", 1}}},
         .counters = {{"faulted", 1}},
         .fails = true,
         .message = "Quota exceeded"},
    };
}

// Databricks: a personal access token does not expire, and results come 10,000 rows a page (one page here).
std::vector<Step> DatabricksSteps() {
    return {
        // (A statement's status is always polled: a slow answer is all the proxy can add.)
        {.name = "429 with Retry-After, 503, slow answers",
         .rules = {{{"status", 429}, {"retry_after", 1}, {"count", 2}},
                   {{"status", 503}, {"count", 3}},
                   {{"delay_ms", 1500}, {"count", 2}}},
         .counters = {{"faulted", 5}}},
        {.name = "connections dropped and reset while results are read",
         .rules = {{{"drop", 1}, {"call", "FetchResults"}, {"count", 2}},
                   {{"reset", 1}, {"call", "GetOperationStatus"}, {"count", 2}}},
         .counters = {{"faulted", 4}}},
        // The driver cannot know whether a statement whose connection dropped reached the engine, so it does not
        // send it again: the run fails, and the next one sends what it would have.
        {.name = "a connection dropped on a statement",
         .rules = {{{"drop", 1}, {"count", 1}}},
         .counters = {{"faulted", 1}},
         .fails = true,
         .message = "ExecuteStatement"},
    };
}

//! A request to the stand-in's admin routes under this process's scope; the answer's JSON (null on failure).
json Admin(const Engine& e, const std::string& method, const std::string& route, const json& body = nullptr) {
    httplib::Client cli("127.0.0.1", e.admin_port);
    cli.set_read_timeout(30);
    std::string path = route + "?" + e.scope_query;
    httplib::Result r = method == "GET"    ? cli.Get(path)
                        : method == "POST" ? cli.Post(path, body.dump(), "application/json")
                                           : cli.Delete(path);
    if (!r || r->status != 200) {
        ADD_FAILURE() << method << " " << path << ": " << (r ? std::to_string(r->status) + " " + r->body : "no answer");
        return nullptr;
    }
    return json::parse(r->body, nullptr, false);
}

//! The stand-in's counters, for the report.
std::string Counters(json stats) {
    stats.erase("executions_by_request_id");
    stats.erase("pending");
    stats.erase("sticky");
    return stats.dump();
}

// ----------------------------------------------------------------------------------------------------------------
// A webhook on 127.0.0.1 that keeps every event it accepted.

class Webhook {
public:
    Webhook()
        : http_([this](const kith::test::HttpServer::Request& r) {
              json body = json::parse(r.body, nullptr, false);
              if (body.is_discarded()) return kith::test::HttpServer::Reply{400, "{}", {}, 0, false};
              std::lock_guard lock(mu_);
              for (auto& e : body.is_array() ? body : json::array({body})) events_.push_back(e);
              return kith::test::HttpServer::Reply{200, "{}", {}, 0, false};
          }) {}
    std::string url() const { return http_.url() + "/events"; }
    int port() const { return http_.port(); }
    size_t Count() const {
        std::lock_guard lock(mu_);
        return events_.size();
    }
    //! The events accepted from the `from`-th on.
    std::vector<json> Since(size_t from) const {
        std::lock_guard lock(mu_);
        return {events_.begin() + static_cast<std::ptrdiff_t>(std::min(from, events_.size())), events_.end()};
    }

private:
    mutable std::mutex mu_;
    std::vector<json> events_;
    kith::test::HttpServer http_;
};

// What identifies an event whatever run sent it (messageIds depend on the baseline run's id): activation, type,
// event or membership, identifiers and the triggering cart.
std::string SemanticKey(const json& e) {
    std::string activation = e["context"]["personas"].value("event_emitter_id", "?");
    std::string type = e.value("type", "");
    std::string what = type == "identify" ? (e["traits"].value(kAudience, false) ? "in" : "out") : e.value("event", "");
    std::string entity;
    if (e.contains("properties") && e["properties"].contains("account_carts__ID"))
        entity = "cart=" + e["properties"]["account_carts__ID"].dump();
    return fmt::format("{}|{}|{}|user={}|anon={}|{}", activation, type, what, e.value("userId", "-"),
                       e.value("anonymousId", "-"), entity);
}

// The event as both sites must have it: no messageId, no run id.
json Comparable(json e) {
    e.erase("messageId");
    e["context"]["personas"].erase("computation_run_id");
    return e;
}

using Events = std::map<std::string, json>; // semantic key -> comparable event

Events ByKey(const std::vector<json>& events, const std::string& label) {
    Events out;
    for (const auto& e : events) {
        auto [it, fresh] = out.emplace(SemanticKey(e), Comparable(e));
        EXPECT_TRUE(fresh) << label << ": an event twice: " << it->first;
    }
    return out;
}

void ExpectSameEvents(const Events& expected, const Events& got) {
    EXPECT_EQ(expected.size(), got.size());
    int shown = 0;
    for (const auto& [key, event] : expected) {
        auto it = got.find(key);
        if (it == got.end()) {
            if (shown++ < 5) ADD_FAILURE() << "not delivered: " << key;
        } else if (it->second != event && shown++ < 5) {
            ADD_FAILURE() << "differs: " << key << "\n expected: " << event.dump()
                          << "\n got:      " << it->second.dump();
        }
    }
    for (const auto& [key, event] : got) {
        if (!expected.contains(key) && shown++ < 5) ADD_FAILURE() << "not expected: " << key;
    }
}

// ----------------------------------------------------------------------------------------------------------------

class RunFaults : public ::testing::Test {
protected:
    void SetUp() override {
        std::string engine = kith::test::StandinEngine();
        if (engine != "snowflake" && engine != "bigquery" && engine != "databricks")
            GTEST_SKIP() << "no fault injection in the " << engine << " stand-in";
        dir_ = fs::temp_directory_path() / fmt::format("kith_run_faults_{}_{}", engine, getpid());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        ASSERT_NO_FATAL_FAILURE(StartEngine(engine));
        ASSERT_NO_FATAL_FAILURE(MakeWarehouses());
        ASSERT_NO_FATAL_FAILURE(MakeSite("remote", engine_.uri, remote_hook_));
        ASSERT_NO_FATAL_FAILURE(MakeSite("reference", "duckdb:" + (dir_ / "mirror.duckdb").string(), reference_hook_));
    }
    void TearDown() override {
        if (!engine_.name.empty() && engine_.admin_port > 0) Admin(engine_, "DELETE", "/_standin/faults");
        if (!HasFailure()) fs::remove_all(dir_);
    }

    void StartEngine(const std::string& engine) {
        auto standin = kith::test::SparkStandin::Start(engine);
        ASSERT_TRUE(standin) << standin.error().ToString();
        for (const auto& [name, value] : standin->env) {
            if (name != "KITH_WAREHOUSE") secrets_.push_back(value);
        }
        engine_.name = engine;
        engine_.admin_port = standin->proxy_port;
        ASSERT_GT(engine_.admin_port, 0) << standin->uri;
        std::string uri = standin->uri, own = fmt::format("RUNFAULTS{}", getpid());
        auto replace = [&](const std::string& from, const std::string& to) {
            size_t at = uri.find(from);
            ASSERT_NE(at, std::string::npos) << uri;
            uri.replace(at, from.size(), to);
        };
        if (engine == "snowflake") {
            replace("warehouse=STANDIN_WH", "warehouse=" + own);
            engine_.scope_query = "scope=" + own;
            engine_.request_ids = true;
            engine_.steps = SnowflakeSteps();
        } else if (engine == "bigquery") {
            own = fmt::format("kith-faults-{}", getpid());
            replace("bigquery://standin-project/", "bigquery://" + own + "/");
            engine_.scope_query = "scope=" + own;
            engine_.request_ids = true;
            engine_.steps = BigQuerySteps();
        } else {
            kith::test::Standin mine = standin->OwnWarehouse();
            uri = mine.uri;
            engine_.scope_query = "warehouse=" + mine.warehouse_id;
            engine_.steps = DatabricksSteps();
        }
        engine_.uri = uri;
        Admin(engine_, "DELETE", "/_standin/faults");
    }

    // The generated warehouse: the tables the runs read go to the engine once (a dataset the stand-in keeps for
    // later processes); the carts, which every step changes, go to a schema of their own. The DuckDB mirror holds
    // the same and is the reference's warehouse.
    void MakeWarehouses() {
        KithOutcome gen = kith::test::RunKith(fmt::format("gen --out {} --graph-out {} --profiles {} --seed {} --quiet",
                                                          (dir_ / "gen.duckdb").string(), (dir_ / "gen.hcl").string(),
                                                          kProfiles, kSeed));
        ASSERT_EQ(gen.code, 0) << gen.err;
        auto graph = kith::text::ReadFile((dir_ / "gen.hcl").string());
        ASSERT_TRUE(graph);
        std::string from = "table_ref          = \"crm.carts\"";
        size_t at = graph->find(from);
        ASSERT_NE(at, std::string::npos) << *graph;
        graph->replace(at, from.size(), fmt::format("table_ref          = \"{}.carts\"", kChanging));
        std::ofstream(dir_ / "graph.hcl") << *graph;

        std::string shared = "ATTACH '" + (dir_ / "gen.duckdb").string() + "' AS g (READ_ONLY); "
                             "CREATE SCHEMA segment; CREATE SCHEMA crm; ";
        for (const auto& [schema, table] : kSharedTables)
            shared += fmt::format("CREATE TABLE {0}.{1} AS SELECT * FROM g.{0}.{1}; ", schema, table);
        auto mirror = kith::warehouse::Open("duckdb:" + (dir_ / "mirror.duckdb").string());
        ASSERT_TRUE(mirror) << mirror.error().ToString();
        ASSERT_TRUE((*mirror)->Execute(shared));
        auto remote = kith::warehouse::Open(engine_.uri);
        ASSERT_TRUE(remote) << remote.error().ToString();
        auto loaded = kith::test::LoadDataset(**remote, **mirror,
                                              "run-faults-" + kith::test::Fingerprint(*graph + shared));
        ASSERT_TRUE(loaded) << loaded.error().ToString();
        ASSERT_TRUE((*mirror)->Execute(fmt::format(
            "CREATE SCHEMA {0}; CREATE TABLE {0}.carts AS SELECT * FROM g.crm.carts; DETACH g", kChanging)));
        auto copied = kith::warehouse::CopySchemas(**mirror, **remote, {kChanging});
        ASSERT_TRUE(copied) << copied.error().ToString();
        // What the runs of an earlier process left: this process's first run would drop it, and then send more
        // statements than the runs that follow (the faults are spread over that number).
        const kith::sql::Dialect& d = (*remote)->sql_dialect();
        ASSERT_TRUE((*remote)->Execute(kith::sql::Print(kith::sql::CreateSchema{kRunsSchema}, d)));
        auto left = (*remote)->ListTables(kRunsSchema);
        ASSERT_TRUE(left) << left.error().ToString();
        for (const auto& t : *left)
            ASSERT_TRUE((*remote)->Execute(kith::sql::Print(kith::sql::DropTable{t}, d)));
    }

    // A config, the definitions (every activation to `hook`) applied to its state store.
    void MakeSite(const std::string& name, const std::string& warehouse, const Webhook& hook) {
        fs::path site = dir_ / name;
        fs::create_directories(site / "defs");
        std::string config = fmt::format("graph = \"{}\"\nstate = \"state.sqlite\"\n\n[runs]\npage_size = 5\n"
                                         "keep_snapshots = 2\nsnapshot_schema = \"{}\"\n"
                                         "[delivery]\nallow_hosts = [\"127.0.0.1:{}\"]\n", // the webhook's address
                                         (dir_ / "graph.hcl").string(), kRunsSchema, hook.port());
        std::ofstream(site / "kith.toml") << "warehouse = " << json(warehouse).dump() << "\n" << config;
        std::string destination = json({{"type", "webhook"}, {"url", hook.url()}, {"batch_size", 10}}).dump();
        for (const auto& [file, text] : kDefinitions) {
            std::string def = text;
            if (size_t at = def.find("@HOOK@"); at != std::string::npos) def.replace(at, 6, destination);
            std::ofstream(site / "defs" / file) << def;
        }
        KithOutcome apply = Kith("apply --config " + (site / "kith.toml").string() + " " + (site / "defs").string());
        ASSERT_EQ(apply.code, 0) << apply.err;
    }

    // Runs kith and checks that no secret of the stand-in's shows in what it printed.
    KithOutcome Kith(const std::string& args) {
        KithOutcome o = kith::test::RunKith(args);
        for (const auto& secret : secrets_) {
            EXPECT_EQ(o.out.find(secret), std::string::npos) << "a secret in the output of kith " << args;
            EXPECT_EQ(o.err.find(secret), std::string::npos) << "a secret in the errors of kith " << args;
        }
        return o;
    }
    KithOutcome Run(const std::string& site) {
        return Kith(fmt::format("run --quiet --timeout 120 --config {} --audience {} --as-of {}",
                                (dir_ / site / "kith.toml").string(), kAudience, kAsOf));
    }

    // The change of `step` in the mirror, then copied to the engine.
    void ChangeCarts(int step) {
        auto mirror = kith::warehouse::Open("duckdb:" + (dir_ / "mirror.duckdb").string());
        ASSERT_TRUE(mirror) << mirror.error().ToString();
        ASSERT_TRUE((*mirror)->Execute(Change(step)));
        auto remote = kith::warehouse::Open(engine_.uri);
        ASSERT_TRUE(remote) << remote.error().ToString();
        auto copied = kith::warehouse::CopySchemas(**mirror, **remote, {kChanging});
        ASSERT_TRUE(copied) << copied.error().ToString();
    } // the mirror is closed before kith opens it

    // The reference's run of this step on DuckDB: the events the engine's run must deliver.
    Events ReferenceRun() {
        size_t before = reference_hook_.Count();
        KithOutcome r = Run("reference");
        EXPECT_EQ(r.code, 0) << r.err;
        return ByKey(reference_hook_.Since(before), "reference");
    }

    //! Posts the step's rules, each spread over the statements a clean run sent.
    void InjectFaults(const Step& step) {
        const json filter = engine_.StatementFilter();
        for (json rule : step.rules) {
            for (const auto& [k, v] : filter.items()) {
                if (!rule.contains(k)) rule[k] = v;
            }
            long requests = engine_.Requests(clean_stats_, rule);
            rule["every"] = std::max(1L, requests / (2 * rule["count"].get<long>()));
            Admin(engine_, "POST", "/_standin/faults", rule);
        }
        if (!step.sticky.is_null()) Admin(engine_, "POST", "/_standin/faults", step.sticky);
    }

    //! The stand-in applied every fault of the step, and (where it keeps requestIds) ran no statement twice.
    void ExpectFaultsApplied(const Step& step, const json& stats) {
        EXPECT_TRUE(stats["pending"].empty()) << "faults left unused: " << stats["pending"].dump();
        for (const auto& [counter, least] : step.counters) EXPECT_GE(stats.value(counter, 0L), least) << counter;
        if (!engine_.request_ids) return;
        for (const auto& [id, n] : stats["executions_by_request_id"].items()) EXPECT_EQ(n, 1) << "requestId " << id;
        json statements = Admin(engine_, "GET", "/_standin/statements");
        ASSERT_TRUE(statements.is_array());
        for (const auto& st : statements) EXPECT_LE(st.value("executions", 0), 1) << st.dump();
    }

    // Every messageId the engine's site delivered, over the whole test, once.
    void ExpectEachMessageOnce() {
        std::set<std::string> ids;
        for (const auto& e : remote_hook_.Since(0))
            EXPECT_TRUE(ids.insert(e.value("messageId", "")).second) << "delivered twice: " << e.dump();
    }

    fs::path dir_;
    Engine engine_;
    std::vector<std::string> secrets_; // the values of the stand-in's exported variables but KITH_WAREHOUSE
    Webhook remote_hook_, reference_hook_;
    json clean_stats_; // the stand-in's stats of the clean first run
};

TEST_F(RunFaults, EveryEventOnceAndNothingRunTwiceUnderFaults) {
    // A clean first run: the baseline, and how many statements a run sends.
    Events expected = ReferenceRun();
    ASSERT_FALSE(expected.empty());
    Admin(engine_, "DELETE", "/_standin/stats");
    KithOutcome first = Run("remote");
    ASSERT_EQ(first.code, 0) << first.err;
    ExpectSameEvents(expected, ByKey(remote_hook_.Since(0), "remote"));
    clean_stats_ = Admin(engine_, "GET", "/_standin/stats");
    std::cout << fmt::format("[ faults   ] {}: the clean run: {} events; {}\n", engine_.name, expected.size(),
                             Counters(clean_stats_));
    std::map<std::string, int> per_activation; // events of the faulty steps' runs, by activation

    int n = 0;
    for (const Step& step : engine_.steps) {
        SCOPED_TRACE(fmt::format("step {}: {}", ++n, step.name));
        auto start = std::chrono::steady_clock::now();
        ASSERT_NO_FATAL_FAILURE(ChangeCarts(n));
        expected = ReferenceRun();
        size_t before = remote_hook_.Count();
        Admin(engine_, "DELETE", "/_standin/stats");
        InjectFaults(step);
        KithOutcome run = Run("remote");
        json stats = Admin(engine_, "GET", "/_standin/stats");
        Admin(engine_, "DELETE", "/_standin/faults");
        ExpectFaultsApplied(step, stats);
        std::string outcome = "completed";
        if (step.fails) {
            // The engine's message, and nothing of the failed run delivered; a clean run then sends it all.
            EXPECT_EQ(run.code, 3) << run.out << run.err;
            EXPECT_NE(run.err.find("failed: "), std::string::npos) << run.err;
            EXPECT_NE(run.err.find(engine_.name), std::string::npos) << run.err;
            EXPECT_NE(run.err.find(step.message), std::string::npos) << run.err;
            EXPECT_EQ(remote_hook_.Count(), before);
            outcome = "failed: " + run.err.substr(0, run.err.find('\n')) + "; then completed";
            run = Run("remote");
        }
        ASSERT_EQ(run.code, 0) << run.out << run.err;
        Events got = ByKey(remote_hook_.Since(before), "remote");
        ExpectSameEvents(expected, got);
        ExpectEachMessageOnce();
        for (const auto& [key, e] : got) per_activation[key.substr(0, key.find('|'))]++;
        std::cout << fmt::format("[ faults   ] step {} ({}), {:.0f} s: {} events; {}; {}\n", n, step.name,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                                 got.size(), outcome, Counters(stats));
    }
    // The steps' changes fired every trigger.
    for (const char* activation : {"joined", "left", "cart_in", "cart_out", "member"})
        EXPECT_GT(per_activation[activation], 0) << activation;
}

} // namespace
