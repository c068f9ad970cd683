// Runs end to end on DuckDB and PostgreSQL (activations.md, "Runs" and "Events"):
// the fixture warehouse changes between runs — profiles join and leave,
// entities appear, change and disappear, an event ages out of a window with no
// new data — and every test asserts the exact events each of the five triggers
// queued, their identifiers and enrichment, and that re-preparing an
// interrupted run gives the same messageIds.
#include "audience/typed_text.hpp"
#include "common/text.hpp"
#include "graph/builder.hpp"
#include "run/run.hpp"
#include "store/store.hpp"
#include "sql/printer.hpp"
#include "support/dataset.hpp"
#include "support/pg_server.hpp"
#include "support/recording_warehouse.hpp"
#include "support/spark_standin.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <set>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace kith;

int64_t Micros(const char* iso) { return *audience::ParseTimestamp(iso); }

// The audience of most tests: an active account (by email) with a cart over 20.
const char* kAccountsWithCarts = R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
  "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
  "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
    "where": {"filters": [{"column": "TOTAL", "op": "greater_than", "value": 20}]}}]}}]}]})";

// At least one order in the last 7 days.
const char* kRecentBuyers = R"({"groups": [{"conditions": [{"type": "event", "event": "Order Completed",
  "count": {"op": "at_least", "value": 1}, "window": {"within": {"value": 7, "unit": "days"}}}]}]})";

// Cart 17 (account 4, profile p3) gets a total, so p3 (no user_id) is a member.
const char* kCart17 = R"(UPDATE crm.carts SET "TOTAL" = 30 WHERE "ID" = 17)";

class RunE2E : public ::testing::TestWithParam<std::string> {
protected:
    // The engine: duckdb, postgres, or for "remote" the stand-in's ($KITH_STANDIN_ENGINE).
    std::string Engine() const { return GetParam() == "remote" ? test::StandinEngine() : GetParam(); }
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("kith_run_e2e_" + std::to_string(getpid()) + "_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()).substr(0, 40));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql);
        if (GetParam() == "duckdb") {
            auto wh = warehouse::Open("duckdb:" + (dir_ / "w.duckdb").string());
            ASSERT_TRUE(wh) << wh.error().ToString();
            wh_ = std::move(*wh);
        } else if (GetParam() == "postgres") {
            auto server = test::PgServer::Shared();
            ASSERT_TRUE(server) << server.error().ToString();
            auto uri = (*server)->FreshDatabase("run_e2e");
            ASSERT_TRUE(uri) << uri.error().ToString();
            auto wh = warehouse::Open(*uri);
            ASSERT_TRUE(wh) << wh.error().ToString();
            wh_ = std::move(*wh);
        } else {
            // A remote engine (the suite's stand-in) holds the fixture as loaded from a DuckDB mirror; the tests'
            // changes are made in the mirror and copied over (Spark's tables take no UPDATE or DELETE).
            auto mirror = warehouse::Open("duckdb:" + (dir_ / "mirror.duckdb").string());
            ASSERT_TRUE(mirror) << mirror.error().ToString();
            mirror_ = std::move(*mirror);
            ASSERT_TRUE(mirror_->Execute(*sql));
            ASSERT_TRUE(mirror_->Execute(kCart17));
            auto standin = test::SparkStandin::Start(Engine());
            ASSERT_TRUE(standin) << standin.error().ToString();
            auto wh = warehouse::Open(standin->uri);
            ASSERT_TRUE(wh) << wh.error().ToString();
            remote_ = std::move(*wh);
            auto loaded = test::LoadDataset(*remote_, *mirror_, "run-e2e-" + test::Fingerprint(*sql + kCart17));
            ASSERT_TRUE(loaded) << loaded.error().ToString();
            wh_ = std::make_unique<test::RecordingWarehouse>(*remote_);
        }
        if (!mirror_) {
            ASSERT_TRUE(wh_->Execute(*sql));
            Sql(kCart17);
        }
        auto g = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        ASSERT_TRUE(g);
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
        auto s = store::Store::Open((dir_ / "state.sqlite").string());
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        workspace_ = *store_->DefaultWorkspace();
        env_ = std::make_unique<run::Environment>(run::Environment{*store_, *wh_, *graph_});
    }
    void TearDown() override {
        if (remote_ && wh_) {
            // Every statement kith sent to the engine parses in sqlglot's dialect of it.
            auto statements = static_cast<test::RecordingWarehouse&>(*wh_).Statements(Engine(), "run e2e");
            for (auto it = statements.rbegin(); HasFailure() && it != statements.rend(); ++it) {
                if (it->sql.starts_with("DROP ")) continue; // a failed run's cleanup
                ADD_FAILURE() << "the last statement sent before the cleanup: " << it->sql;
                break;
            }
            auto parsed = test::SqlglotCheck(statements);
            EXPECT_TRUE(parsed) << parsed.error().ToString();
        }
        env_.reset();
        store_.reset();
        wh_.reset();
        remote_.reset();
        mirror_.reset();
        fs::remove_all(dir_);
    }

    void Sql(const std::string& sql) {
        if (!mirror_) {
            ASSERT_TRUE(wh_->Execute(sql)) << sql;
            return;
        }
        ASSERT_TRUE(mirror_->Execute(sql)) << sql;
        // The remote copy no longer holds the dataset as loaded: the next test loads it again.
        ASSERT_TRUE(test::ForgetDataset(*remote_));
        if (sql.starts_with("ALTER TABLE crm.")) {
            // ALTER TABLE crm.<from> RENAME TO <to>, the same on Spark.
            std::string from = sql.substr(16, sql.find(' ', 16) - 16), to = sql.substr(sql.rfind(' ') + 1);
            ASSERT_TRUE(remote_->Execute(sql::Print(sql::RenameTable{{"", "crm", from}, to}, remote_->sql_dialect())));
            return;
        }
        auto copied = warehouse::CopySchemas(*mirror_, *remote_, {"crm"});
        ASSERT_TRUE(copied) << copied.error().ToString();
    }

    void Audience(const std::string& key, const char* definition) {
        store::AudienceSpec a;
        a.key = key;
        a.name = key;
        a.enabled = true;
        a.definition = json::parse(definition);
        ASSERT_TRUE(store_->UpsertAudience(workspace_, a));
    }

    void Activation(const std::string& key, const std::string& audience, const std::string& trigger, json extra = {}) {
        if (extra.is_null()) extra = json::object();
        store::ActivationSpec a;
        a.key = key;
        a.audience = audience;
        a.destination = {{"type", "file"}, {"path", key + ".ndjson"}};
        a.action = "send";
        a.trigger = trigger;
        a.entity = extra.value("entity", "");
        a.event_name = extra.value("event_name", "");
        a.identifiers = extra.value("identifiers", json::array({{{"type", "user_id"}, {"as", "userId"}},
                                                                  {{"type", "email"}, {"as", "context.traits.email"}}}));
        a.enrichment = extra.value("enrichment", json::object());
        a.backfill = extra.value("backfill", true);
        ASSERT_TRUE(store_->UpsertActivation(workspace_, a));
        auto rec = store_->Transaction([&](store::Tx& tx) { return tx.GetActivation(workspace_, key); });
        keys_[(**rec).id] = key;
    }

    store::Run Run(const std::string& audience, const char* as_of, std::function<void(const std::string&)> checkpoint = {}) {
        run::Settings s;
        s.as_of_micros = Micros(as_of);
        s.page_size = 2; // several pages even on the fixture
        s.checkpoint = std::move(checkpoint);
        auto r = run::RunNow(*env_, workspace_, audience, "manual", s);
        EXPECT_TRUE(r) << (r ? "" : r.error().ToString());
        return r ? *r : store::Run{};
    }

    std::vector<store::OutboxEvent> Events(int64_t run_id) {
        auto e = store_->Transaction([&](store::Tx& tx) { return tx.RunEvents(run_id); });
        EXPECT_TRUE(e);
        return e ? *e : std::vector<store::OutboxEvent>{};
    }

    // One line per event: activation, status, type/name, who, which entity; sorted.
    std::vector<std::string> Lines(int64_t run_id) {
        std::vector<std::string> out;
        for (const auto& e : Events(run_id)) {
            const json& p = e.payload;
            std::string who = p.contains("userId") ? p["userId"].get<std::string>() : "-";
            std::string what = p["type"] == "identify" ? "identify" : p["event"].get<std::string>();
            std::string entity;
            if (p.contains("properties") && p["properties"].contains("__entity")) {
                const json& props = p["properties"];
                entity = " " + props["__entity"].get<std::string>();
                for (const char* key : {"user_accounts__ID", "account_carts__ID"}) {
                    if (props.contains(key)) entity += "=" + props[key].dump();
                }
            }
            if (p["type"] == "identify") {
                for (const auto& [k, v] : p["traits"].items()) {
                    if (k == "active_carts" || k == "recent_buyers") entity += " " + k + "=" + v.dump();
                }
            }
            std::string status = store::EventStatusName(e.status).data();
            out.push_back(keys_[e.activation_id] + " " + status + " " + what + " " + who + entity);
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    json Payload(int64_t run_id, const std::string& activation, const std::string& user) {
        for (const auto& e : Events(run_id)) {
            if (keys_[e.activation_id] == activation && e.payload.value("userId", "") == user) return e.payload;
        }
        ADD_FAILURE() << "no event of " << activation << " for " << user;
        return json::object();
    }

    fs::path dir_;
    std::unique_ptr<warehouse::Warehouse> wh_;
    std::unique_ptr<warehouse::Warehouse> remote_; // a remote engine: the stand-in (wh_ records what is sent to it)
    std::unique_ptr<warehouse::Warehouse> mirror_; // a remote engine: the DuckDB copy the tests change
    std::unique_ptr<graph::DataGraph> graph_;
    std::unique_ptr<store::Store> store_;
    int64_t workspace_ = 0;
    std::unique_ptr<run::Environment> env_;
    std::map<int64_t, std::string> keys_;
};

TEST_P(RunE2E, EveryTriggerAcrossWarehouseChanges) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters", {{"enrichment", {{"traits", {"plan"}}}}});
    Activation("exits", "active_carts", "profile_exits");
    Activation("accounts", "active_carts", "entity_enters",
               {{"entity", "user-accounts"},
                {"enrichment", {{"traits", {"plan"}},
                                {"entities", {{"user-accounts", {"STATUS", "CREDIT_LIMIT"}}, {"account-carts", {"TOTAL"}}}}}}});
    Activation("carts_left", "active_carts", "entity_exits",
               {{"entity", "account-carts"}, {"event_name", "Cart Left"},
                {"enrichment", {{"entities", {{"account-carts", {"TOTAL"}}}}}}});
    Activation("identify", "active_carts", "membership_changed",
               {{"identifiers", json::array({{{"type", "user_id"}, {"as", "userId"}}, {{"type", "segment_id"}, {"as", "userId"}}})},
                {"enrichment", {{"traits", {"plan"}}}}});

    // Run 1: p1 (account 1: carts 10, 11), p2 (account 3: cart 13), p3 (account 4: cart 17; no user_id).
    store::Run r1 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.status, store::RunStatus::COMPLETED) << r1.error;
    EXPECT_EQ(r1.summary["members"], 3);
    EXPECT_EQ(r1.summary["profiles"], json({{"entered", 3}, {"exited", 0}}));
    EXPECT_EQ(r1.summary["entities"]["entered"], 7);
    EXPECT_EQ(Lines(r1.id), (std::vector<std::string>{
                                "accounts filtered Entity Entered - account=4",
                                "accounts pending Entity Entered u1 account=1",
                                "accounts pending Entity Entered u2 account=3",
                                "enters filtered Audience Entered -",
                                "enters pending Audience Entered u1",
                                "enters pending Audience Entered u2",
                                "identify pending identify p3 active_carts=true",
                                "identify pending identify u1 active_carts=true",
                                "identify pending identify u2 active_carts=true",
                            }));
    EXPECT_EQ(r1.summary["activations"]["enters"], json({{"trigger", "profile_enters"}, {"queued", 2}, {"filtered", 1},
                                                         {"duplicates", 0}, {"backfill", true}}));

    // Enrichment: traits flat, the entity's columns prefixed, its children tagged arrays, identifiers with fallbacks.
    json acc = Payload(r1.id, "accounts", "u1");
    EXPECT_EQ(acc["type"], "track");
    EXPECT_EQ(acc["event"], "Entity Entered");
    EXPECT_EQ(acc["timestamp"], "2026-01-01T00:00:00.000Z");
    EXPECT_EQ(acc["context"]["traits"]["email"], "ada@work.com"); // the bytewise smallest email of p1
    const json& props = acc["properties"];
    EXPECT_EQ(props["audience_key"], "active_carts");
    EXPECT_EQ(props["plan"], "pro");
    EXPECT_EQ(props["__entity"], "account");
    EXPECT_EQ(props["user_accounts__ID"], 1);
    EXPECT_EQ(props["user_accounts__STATUS"], "active");
    EXPECT_DOUBLE_EQ(props["user_accounts__CREDIT_LIMIT"].get<double>(), 100.0);
    ASSERT_EQ(props["user_accounts__account_carts"].size(), 2u);
    EXPECT_EQ(props["user_accounts__account_carts"][0]["ID"], 10);
    EXPECT_DOUBLE_EQ(props["user_accounts__account_carts"][0]["TOTAL"].get<double>(), 150.0);
    EXPECT_EQ(props["user_accounts__account_carts"][0]["__entity"], "cart");
    EXPECT_EQ(props["user_accounts__account_carts"][1]["ID"], 11);
    EXPECT_EQ(props["data_graph_entity_context"], json({{"account-carts", {10, 11}}, {"user-accounts", {1}}}));
    EXPECT_EQ(acc["context"]["personas"]["computation_key"], "active_carts");
    EXPECT_EQ(acc["context"]["personas"]["event_emitter_id"], "accounts");
    // p2's trait "plan" has a newer NULL row: no current value.
    EXPECT_TRUE(Payload(r1.id, "enters", "u2")["properties"]["plan"].is_null());
    // The identify event sets the audience key in traits, with the enriched traits.
    EXPECT_EQ(Payload(r1.id, "identify", "u1")["traits"], json({{"active_carts", true}, {"plan", "pro"}}));

    // The warehouse changes: p2's account closes (p2 leaves, with its entities); p6's account turns active with a
    // new cart (p6 joins); account 1 gains cart 19, loses cart 11 and cart 10 drops to 10 (no longer over 20).
    Sql(R"(UPDATE crm.accounts SET "STATUS" = 'closed' WHERE "ID" = 3)");
    Sql(R"(UPDATE crm.accounts SET "STATUS" = 'active' WHERE "ID" = 6)");
    Sql(R"(INSERT INTO crm.carts VALUES (18, 6, 45.00, '2025-12-31 09:00:00', 'open'), (19, 1, 99.00, '2025-12-31 09:00:00', 'open'))");
    Sql(R"(DELETE FROM crm.carts WHERE "ID" = 11)");
    Sql(R"(UPDATE crm.carts SET "TOTAL" = 10 WHERE "ID" = 10)");

    store::Run r2 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r2.status, store::RunStatus::COMPLETED) << r2.error;
    EXPECT_EQ(r2.summary["profiles"], json({{"entered", 1}, {"exited", 1}}));
    EXPECT_EQ(r2.summary["entities"]["entered"], 3);
    EXPECT_EQ(r2.summary["entities"]["exited"], 4);
    EXPECT_EQ(*r2.baseline_run_id, r1.id);
    EXPECT_EQ(Lines(r2.id), (std::vector<std::string>{
                                "accounts pending Entity Entered 0042.0 account=6",
                                "carts_left pending Cart Left u1 cart=10",
                                "carts_left pending Cart Left u1 cart=11",
                                "carts_left pending Cart Left u2 cart=13", // caused by p2's exit
                                "enters pending Audience Entered 0042.0",
                                "exits pending Audience Exited u2",
                                "identify pending identify 0042.0 active_carts=true",
                                "identify pending identify u2 active_carts=false",
                            }));
    // A changed entity carries its current columns; a deleted one only its key.
    for (const auto& e : Events(r2.id)) {
        if (keys_[e.activation_id] != "carts_left") continue;
        const json& p = e.payload["properties"];
        if (p["account_carts__ID"] == 10) {
            EXPECT_DOUBLE_EQ(p["account_carts__TOTAL"].get<double>(), 10.0);
        }
        if (p["account_carts__ID"] == 11) {
            EXPECT_FALSE(p.contains("account_carts__TOTAL")) << p.dump();
        }
        if (p["account_carts__ID"] == 13) {
            // The context of an exit is what matched at the baseline.
            EXPECT_EQ(p["data_graph_entity_context"], json({{"account-carts", {13}}, {"user-accounts", {3}}}));
        }
    }

    // Run 3 with nothing changed: no changes, no events, no step values in the history.
    store::Run r3 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r3.status, store::RunStatus::COMPLETED);
    EXPECT_TRUE(Events(r3.id).empty());
    json h = run::RunHistoryEntry(r3);
    EXPECT_TRUE(h["steps"].is_null());
    EXPECT_FALSE(run::RunHistoryEntry(r2)["steps"].is_null());

    // The runs' changes can be listed again: the kept snapshot tables are there.
    auto kept = store_->Transaction([&](store::Tx& tx) { return tx.Snapshots(r2.audience_id); });
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->size(), 3u);
}

TEST_P(RunE2E, AnEventAgesOutOfItsWindowWithoutNewData) {
    Audience("recent_buyers", kRecentBuyers);
    Activation("left", "recent_buyers", "profile_exits");
    Activation("identify", "recent_buyers", "membership_changed",
               {{"identifiers", json::array({{{"type", "user_id"}, {"as", "userId"}}, {{"type", "segment_id"}, {"as", "userId"}}})}});
    // On 2026-01-01: p1 (order e2 through merge m1; e13) and p2 (e6 through merge m2).
    store::Run r1 = Run("recent_buyers", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.status, store::RunStatus::COMPLETED) << r1.error;
    EXPECT_EQ(Lines(r1.id), (std::vector<std::string>{"identify pending identify u1 recent_buyers=true",
                                                       "identify pending identify u2 recent_buyers=true"}));
    // A week later nothing new arrived for p2: e6 (2025-12-31) is out of the window; p1 still has e7 (2026-01-02).
    store::Run r2 = Run("recent_buyers", "2026-01-08T12:00:00Z");
    ASSERT_EQ(r2.status, store::RunStatus::COMPLETED) << r2.error;
    EXPECT_EQ(Lines(r2.id), (std::vector<std::string>{"identify pending identify u2 recent_buyers=false",
                                                       "left pending Audience Exited u2"}));
    EXPECT_EQ(Payload(r2.id, "left", "u2")["timestamp"], "2026-01-08T12:00:00.000Z");
}

TEST_P(RunE2E, ActivationAddedLaterBackfillsOrNot) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters");
    store::Run r1 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(Lines(r1.id).size(), 3u);
    // Two activations arrive after the first run: one backfills everything matched, one starts from now.
    Activation("backfilled", "active_carts", "entity_enters", {{"entity", "account-carts"}});
    Activation("from_now", "active_carts", "entity_enters", {{"entity", "account-carts"}, {"backfill", false}});
    Sql(R"(INSERT INTO crm.carts VALUES (19, 1, 99.00, '2025-12-31 09:00:00', 'open'))");
    store::Run r2 = Run("active_carts", "2026-01-01T00:00:00Z");
    EXPECT_EQ(Lines(r2.id), (std::vector<std::string>{
                                "backfilled filtered Entity Entered - cart=17",
                                "backfilled pending Entity Entered u1 cart=10",
                                "backfilled pending Entity Entered u1 cart=11",
                                "backfilled pending Entity Entered u1 cart=19",
                                "backfilled pending Entity Entered u2 cart=13",
                            }));
    // From the next run on, both send the changes only.
    Sql(R"(INSERT INTO crm.carts VALUES (20, 3, 99.00, '2025-12-31 09:00:00', 'open'))");
    store::Run r3 = Run("active_carts", "2026-01-01T00:00:00Z");
    EXPECT_EQ(Lines(r3.id), (std::vector<std::string>{"backfilled pending Entity Entered u2 cart=20",
                                                       "from_now pending Entity Entered u2 cart=20"}));
}

TEST_P(RunE2E, OversizedEventsAreFilteredWithTheReason) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters");
    run::Settings s;
    s.as_of_micros = Micros("2026-01-01T00:00:00Z");
    s.max_event_bytes = 200;
    auto r = run::RunNow(*env_, workspace_, "active_carts", "manual", s);
    ASSERT_TRUE(r);
    for (const auto& e : Events(r->id)) {
        EXPECT_EQ(e.status, store::EventStatus::FILTERED);
        EXPECT_EQ(e.filter_stage, "source");
        if (e.payload.contains("userId")) {
            EXPECT_NE(e.last_error.find("over the limit of 200 bytes"), std::string::npos) << e.last_error;
        }
    }
}

TEST_P(RunE2E, RepreparingAnInterruptedRunGivesTheSameMessageIds) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters");
    Activation("carts", "active_carts", "entity_enters", {{"entity", "account-carts"}});
    Activation("identify", "active_carts", "membership_changed");
    store::Run r1 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.status, store::RunStatus::COMPLETED);
    Sql(R"(UPDATE crm.accounts SET "STATUS" = 'active' WHERE "ID" = 6)");
    Sql(R"(INSERT INTO crm.carts VALUES (18, 6, 45.00, '2025-12-31 09:00:00', 'open'), (19, 1, 99.00, '2025-12-31 09:00:00', 'open'))");

    // The run stops just before it is published, as if its process died there.
    struct Stop {};
    EXPECT_THROW(Run("active_carts", "2026-01-01T00:00:00Z",
                     [](const std::string& step) {
                         if (step == "publish") throw Stop{};
                     }),
                 Stop);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "state.sqlite").c_str(), &db), SQLITE_OK);
    std::set<std::string> staged;
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT message_id FROM outbox WHERE run_id IN (SELECT id FROM runs WHERE status = 'running')", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) staged.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    ASSERT_EQ(staged.size(), 4u); // p6 enters (and its identify), carts 18 (p6) and 19 (p1) enter
    // Its process is gone: a pid that no longer exists.
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    std::string dead = run::ThisWorker();
    dead = dead.substr(0, dead.rfind(':') + 1) + std::to_string(child);
    std::string update = "UPDATE runs SET worker = '" + dead + "' WHERE status = 'running'";
    ASSERT_EQ(sqlite3_exec(db, update.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    // The next run fails it and repeats it against the same baseline: the same events, the same messageIds.
    store::Run r3 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r3.status, store::RunStatus::COMPLETED) << r3.error;
    EXPECT_EQ(r3.reason, "retry");
    EXPECT_EQ(*r3.baseline_run_id, r1.id);
    auto failed = store_->Transaction([&](store::Tx& tx) { return tx.GetRun(r3.id - 1); });
    ASSERT_TRUE(failed && *failed);
    EXPECT_EQ((*failed)->status, store::RunStatus::FAILED);
    EXPECT_NE((*failed)->error.find("interrupted"), std::string::npos);
    std::set<std::string> published;
    for (const auto& e : Events(r3.id)) published.insert(e.message_id);
    EXPECT_EQ(published, staged);
}

TEST_P(RunE2E, AFailedRunLeavesTheBaselineAndTheNextRunDiffsAgainstTheLastGoodOne) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters");
    Activation("exits", "active_carts", "profile_exits");
    store::Run r1 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.status, store::RunStatus::COMPLETED);
    // p2 leaves, then the carts table goes missing: the run fails with the engine's message.
    Sql(R"(UPDATE crm.accounts SET "STATUS" = 'closed' WHERE "ID" = 3)");
    Sql("ALTER TABLE crm.carts RENAME TO carts_away");
    store::Run r2 = Run("active_carts", "2026-01-01T00:00:00Z");
    EXPECT_EQ(r2.status, store::RunStatus::FAILED);
    EXPECT_NE(r2.error.find("carts"), std::string::npos) << r2.error;
    EXPECT_TRUE(Events(r2.id).empty());
    auto baseline = store_->Transaction([&](store::Tx& tx) { return tx.Baseline(r1.audience_id); });
    ASSERT_TRUE(baseline && *baseline);
    EXPECT_EQ((*baseline)->run_id, r1.id);
    // Back again: the next run diffs against run 1, so p2's exit is sent once.
    Sql("ALTER TABLE crm.carts_away RENAME TO carts");
    store::Run r3 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r3.status, store::RunStatus::COMPLETED) << r3.error;
    EXPECT_EQ(*r3.baseline_run_id, r1.id);
    EXPECT_EQ(Lines(r3.id), (std::vector<std::string>{"exits pending Audience Exited u2"}));
}

TEST_P(RunE2E, ARunDropsWhatACrashedRunOfItsAudienceLeftAndNothingElse) {
    Audience("active_carts", kAccountsWithCarts);
    Activation("enters", "active_carts", "profile_enters", {{"enrichment", {{"traits", {"plan"}}}}});
    store::Run r1 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.status, store::RunStatus::COMPLETED) << r1.error;
    // What a run killed mid-way would leave (a snapshot and a lookup table), and a table of another audience.
    const sql::Dialect& d = wh_->sql_dialect();
    sql::Query one;
    one.body = sql::Share(sql::Select{}.Item(sql::Int(1), "pid"));
    auto name = [&](int64_t audience, int64_t run, const char* what) {
        return sql::TableName{"", "kith_state", "a" + std::to_string(audience) + "_r" + std::to_string(run) + "_" + what};
    };
    int64_t crashed = r1.id + 100;
    for (const auto& t : {name(r1.audience_id, crashed, "members"), name(r1.audience_id, crashed, "members_lk"),
                          name(r1.audience_id + 1, 5, "members")}) {
        ASSERT_TRUE(wh_->Execute(sql::Print(sql::CreateTableAs{t, one}, d)));
    }
    store::Run r2 = Run("active_carts", "2026-01-01T00:00:00Z");
    ASSERT_EQ(r2.status, store::RunStatus::COMPLETED) << r2.error;
    auto tables = wh_->ListTables("kith_state");
    ASSERT_TRUE(tables) << tables.error().ToString();
    std::set<std::string> names;
    for (const auto& t : *tables) names.insert(t.table);
    EXPECT_FALSE(names.contains(name(r1.audience_id, crashed, "members").table));
    EXPECT_FALSE(names.contains(name(r1.audience_id, crashed, "members_lk").table));
    EXPECT_TRUE(names.contains(name(r1.audience_id + 1, 5, "members").table));
    // The kept snapshots stay; the runs' lookup tables are gone once they end.
    EXPECT_TRUE(names.contains(name(r1.audience_id, r2.id, "members").table));
    EXPECT_TRUE(names.contains(name(r1.audience_id, r1.id, "members").table));
    for (const auto& n : names) EXPECT_FALSE(n.ends_with("_lk") || n.ends_with("_cx")) << n;
    ASSERT_TRUE(wh_->Execute(sql::Print(sql::DropTable{name(r1.audience_id + 1, 5, "members")}, d)));
}

#ifdef KITH_STANDIN_ENGINE
// One instance named "remote" (test names must not depend on the engine chosen at run time).
INSTANTIATE_TEST_SUITE_P(Engines, RunE2E, ::testing::Values("remote"), [](const auto& info) { return info.param; });
#else
INSTANTIATE_TEST_SUITE_P(Engines, RunE2E, ::testing::Values("duckdb", "postgres"),
                         [](const auto& info) { return info.param; });
#endif

} // namespace
