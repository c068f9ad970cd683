#include "store/store.hpp"

#include "store/migrations.hpp"
#include "store/older_store_test.hpp"
#include "store/store_test_data.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace kith::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("kith_store_test_" + std::to_string(getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "state.sqlite").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<Store> OpenStore() {
        Store::Options o;
        o.clock = [this] { return ++clock_; };
        auto s = Store::Open(path_, o);
        EXPECT_TRUE(s) << s.error().ToString();
        return s ? std::move(*s) : nullptr;
    }

    // Runs one SQL statement on the file through a separate connection; returns the first column of the first row.
    std::string Sql(const std::string& sql) {
        sqlite3* db = nullptr;
        sqlite3_open(path_.c_str(), &db);
        sqlite3_stmt* st = nullptr;
        std::string out;
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
            auto* t = sqlite3_column_text(st, 0);
            if (t) out = reinterpret_cast<const char*>(t);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }

    static AudienceSpec Vip(const std::string& value = "gold") { return store_test_data::VipAudience(value); }

    fs::path dir_;
    std::string path_;
    int64_t clock_ = 1000;
};

TEST_F(StoreTest, MigratesFromScratch) {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), Store::LatestSchemaVersion());
    EXPECT_EQ(Sql("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(Sql("SELECT max(version) FROM schema_version"), std::to_string(Store::LatestSchemaVersion()));
    for (const char* table : {"workspaces", "audiences", "audience_versions", "activations", "runs", "snapshots",
                              "baselines", "outbox", "alerts", "notifications", "outbox_totals"}) {
        EXPECT_EQ(Sql(std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") + table +
                      "'"),
                  "1")
            << table;
    }
    auto ws = s->DefaultWorkspace();
    ASSERT_TRUE(ws);
    EXPECT_EQ(*ws, 1);
}

TEST_F(StoreTest, ReopeningKeepsDataAndAppliesNothingTwice) {
    {
        auto s = OpenStore();
        ASSERT_TRUE(s->UpsertAudience(1, Vip()));
    }
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(Sql("SELECT count(*) FROM schema_version"), std::to_string(Migrations().size()));
    auto a = s->GetAudience(1, "vip");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->spec.name, "VIPs");
    EXPECT_EQ((*a)->spec.definition, Vip().definition);
}

TEST_F(StoreTest, RefusesANewerSchema) {
    { OpenStore(); }
    Sql("INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
    Store::Options o;
    auto s = Store::Open(path_, o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::INVALID);
    EXPECT_EQ(s.error().location, path_);
    EXPECT_NE(s.error().message.find("schema version 99"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("(" + std::to_string(Store::LatestSchemaVersion()) + ")"), std::string::npos)
        << s.error().message;
}

TEST_F(StoreTest, UnopenableFileIsAnError) {
    auto s = Store::Open((dir_ / "missing" / "dir" / "state.sqlite").string());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, ErrorCode::IO);
}

TEST_F(StoreTest, DefinitionChangesAddHistoryVersions) {
    auto s = OpenStore();
    EXPECT_EQ(*s->UpsertAudience(1, Vip()), Change::CREATED);
    EXPECT_EQ(*s->UpsertAudience(1, Vip()), Change::UNCHANGED);
    // The same JSON with keys in another order is the same definition.
    AudienceSpec reordered = Vip();
    reordered.definition = json::parse(R"({"groups": [{"conditions": [{"filter": {"value": "gold", "op": "equals"},
                                         "trait": "tier", "type": "trait"}]}]})");
    EXPECT_EQ(*s->UpsertAudience(1, reordered), Change::UNCHANGED);
    AudienceSpec renamed = Vip();
    renamed.name = "Very important";
    EXPECT_EQ(*s->UpsertAudience(1, renamed), Change::UPDATED);
    auto a = s->GetAudience(1, "vip");
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->version, 1);
    auto h = s->AudienceHistory((*a)->id);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->size(), 1u);

    AudienceSpec changed = Vip("platinum");
    changed.name = "Very important";
    EXPECT_EQ(*s->UpsertAudience(1, changed), Change::UPDATED);
    a = s->GetAudience(1, "vip");
    EXPECT_EQ((*a)->version, 2);
    EXPECT_EQ((*a)->spec.definition, changed.definition);
    h = s->AudienceHistory((*a)->id);
    ASSERT_EQ(h->size(), 2u);
    EXPECT_EQ((*h)[0].version, 1);
    EXPECT_EQ((*h)[0].definition, Vip().definition);
    EXPECT_EQ((*h)[1].version, 2);
    EXPECT_EQ((*h)[1].definition, changed.definition);
    EXPECT_LT((*h)[0].created_at, (*h)[1].created_at);
}

TEST_F(StoreTest, KeysAreUniquePerWorkspace) {
    auto s = OpenStore();
    auto other = s->Transaction([](Tx& tx) { return tx.EnsureWorkspace("acme"); });
    ASSERT_TRUE(other);
    EXPECT_NE(*other, 1);
    EXPECT_EQ(*s->UpsertAudience(1, Vip()), Change::CREATED);
    EXPECT_EQ(*s->UpsertAudience(*other, Vip()), Change::CREATED);
    EXPECT_EQ(s->ListAudiences(1)->size(), 1u);
    EXPECT_EQ(s->ListAudiences(*other)->size(), 1u);
}

TEST_F(StoreTest, ActivationsNeedTheirAudience) {
    auto s = OpenStore();
    ActivationSpec act;
    act.key = "vip_hook";
    act.audience = "vip";
    act.destination = {{"type", "webhook"}, {"url", "http://127.0.0.1:9/hook"}};
    act.action = "send";
    act.trigger = "profile_enters";
    auto missing = s->UpsertActivation(1, act);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
    ASSERT_TRUE(s->UpsertAudience(1, Vip()));
    EXPECT_EQ(*s->UpsertActivation(1, act), Change::CREATED);
    EXPECT_EQ(*s->UpsertActivation(1, act), Change::UNCHANGED);
    act.enabled = false;
    EXPECT_EQ(*s->UpsertActivation(1, act), Change::UPDATED);
    auto list = s->ListActivations(1);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].spec.audience, "vip");
    EXPECT_EQ((*list)[0].spec.destination, act.destination);
    EXPECT_FALSE((*list)[0].spec.enabled);
    // The schema checks the trigger too.
    act.trigger = "sometimes";
    auto bad = s->UpsertActivation(1, act);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::INVALID);
    EXPECT_NE(bad.error().message.find("CHECK constraint failed"), std::string::npos) << bad.error().message;
}

TEST_F(StoreTest, RunsKeepStatusStepsAndSummary) {
    auto s = OpenStore();
    ASSERT_TRUE(s->UpsertAudience(1, Vip()));
    int64_t audience = (*s->GetAudience(1, "vip"))->id;
    std::vector<int64_t> ids;
    for (int i = 0; i < 55; ++i) ids.push_back(*s->CreateRun(audience, "schedule"));
    auto run = s->GetRun(ids.back());
    ASSERT_TRUE(run && *run);
    EXPECT_EQ((*run)->status, RunStatus::QUEUED);
    EXPECT_EQ((*run)->definition_version, 1);
    store::Run r = **run;
    r.status = RunStatus::COMPLETED;
    r.started_at = 5;
    r.finished_at = 9;
    r.queueing_ms = 1;
    r.extracting_ms = 2;
    r.preparing_ms = 3;
    r.summary = {{"profiles_entered", 4}, {"profiles_exited", 0}};
    ASSERT_TRUE(s->UpdateRun(r));
    auto last = s->LastRuns(audience, 50);
    ASSERT_TRUE(last);
    ASSERT_EQ(last->size(), 50u);
    EXPECT_EQ((*last)[0].id, ids.back());
    EXPECT_EQ((*last)[0].status, RunStatus::COMPLETED);
    EXPECT_EQ((*last)[0].extracting_ms, 2);
    EXPECT_EQ((*last)[0].summary, r.summary);
    EXPECT_EQ((*last)[1].summary, json(nullptr));
    EXPECT_FALSE((*last)[1].queueing_ms);
    auto unfinished = s->Transaction([](Tx& tx) { return tx.UnfinishedRuns(); });
    ASSERT_TRUE(unfinished);
    EXPECT_EQ(unfinished->size(), 54u);
    r.id = 12345;
    auto missing = s->UpdateRun(r);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
}

TEST_F(StoreTest, BaselineIsTheLastGoodSnapshot) {
    auto s = OpenStore();
    ASSERT_TRUE(s->UpsertAudience(1, Vip()));
    int64_t audience = (*s->GetAudience(1, "vip"))->id;
    int64_t run1 = *s->CreateRun(audience, "manual");
    int64_t run2 = *s->CreateRun(audience, "manual");
    auto ok = s->Transaction([&](Tx& tx) -> Status {
        if (auto r = tx.RecordSnapshot({run1, audience, "kith.m_1", "kith.e_1", 0, "kith.pc_1", "kith.ec_1"}); !r) return r;
        if (auto r = tx.SetBaseline(audience, run1); !r) return r;
        return tx.RecordSnapshot({run2, audience, "kith.m_2", "kith.e_2", 0, "kith.pc_2", "kith.ec_2"});
    });
    ASSERT_TRUE(ok) << ok.error().ToString();
    auto base = s->Transaction([&](Tx& tx) { return tx.Baseline(audience); });
    ASSERT_TRUE(base && *base);
    EXPECT_EQ((*base)->run_id, run1);
    EXPECT_EQ((*base)->members_table, "kith.m_1");
    auto snaps = s->Transaction([&](Tx& tx) { return tx.Snapshots(audience); });
    ASSERT_EQ(snaps->size(), 2u);
    EXPECT_EQ((*snaps)[0].run_id, run2);
    // The baseline's snapshot cannot be forgotten (foreign key).
    auto forget = s->Transaction([&](Tx& tx) { return tx.ForgetSnapshot(run1); });
    EXPECT_FALSE(forget);
    EXPECT_TRUE(s->Transaction([&](Tx& tx) { return tx.ForgetSnapshot(run2); }));
}

class StoreOutbox : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        store_ = OpenStore();
        auto vip = store_test_data::AddVipWithFileActivation(*store_, "vip_file");
        ASSERT_TRUE(vip) << vip.error().ToString();
        audience_ = vip->audience;
        activation_ = vip->activation;
        run_ = *store_->CreateRun(audience_, "manual");
        // A run's events are due once the run is completed.
        kith::store::Run r = **store_->GetRun(run_);
        r.status = RunStatus::COMPLETED;
        EXPECT_TRUE(store_->UpdateRun(r));
    }
    std::vector<NewEvent> Events(std::initializer_list<const char*> ids) {
        std::vector<NewEvent> out;
        for (const char* id : ids) {
            out.push_back(NewEvent{activation_, id, "Audience Entered", {{"type", "track"}, {"messageId", id}}, "", "", ""});
        }
        return out;
    }
    std::unique_ptr<Store> store_;
    int64_t audience_ = 0, activation_ = 0, run_ = 0;
};

TEST_F(StoreOutbox, MessageIdsAreUnique) {
    auto events = Events({"m1", "m2", "m1"});
    auto n = store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run_, events); });
    ASSERT_TRUE(n) << n.error().ToString();
    EXPECT_EQ(*n, 2);
    // A repeated run queues nothing twice.
    auto again = Events({"m1", "m2", "m3"});
    n = store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run_, again); });
    EXPECT_EQ(*n, 1);
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox"), "3");
    // The table itself refuses a duplicate message_id.
    Sql("INSERT INTO outbox (activation_id, message_id, payload, status, next_attempt_at, created_at) "
        "VALUES (" + std::to_string(activation_) + ", 'm1', '{}', 'pending', 0, 0)");
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox"), "3");
}

TEST_F(StoreOutbox, TransactionsRollBackOnError) {
    auto good = Events({"a1", "a2"});
    auto bad = Events({"b1"});
    bad[0].activation_id = 999; // no such activation: a foreign key violation
    auto r = store_->Transaction([&](Tx& tx) -> Result<int64_t> {
        if (auto ok = tx.UpsertAudience(1, Vip("silver")); !ok) return std::unexpected(ok.error());
        if (auto ok = tx.EnqueueEvents(run_, good); !ok) return ok;
        return tx.EnqueueEvents(run_, bad);
    });
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("FOREIGN KEY"), std::string::npos) << r.error().message;
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox"), "0");
    EXPECT_EQ((*store_->GetAudience(1, "vip"))->version, 1);
    EXPECT_EQ(Sql("SELECT count(*) FROM audience_versions"), "1");

    // A body that fails on its own also discards its changes, and so does one that throws.
    auto own = store_->Transaction([&](Tx& tx) -> Status {
        if (auto ok = tx.EnqueueEvents(run_, good); !ok) return std::unexpected(ok.error());
        return Fail(ErrorCode::INVALID, "changed my mind");
    });
    EXPECT_FALSE(own);
    EXPECT_THROW(store_->Transaction([&](Tx& tx) -> Status {
        (void)tx.EnqueueEvents(run_, good);
        throw std::runtime_error("boom");
    }),
                 std::runtime_error);
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox"), "0");
    // The store is usable afterwards.
    auto n = store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run_, good); });
    ASSERT_TRUE(n) << n.error().ToString();
    EXPECT_EQ(*n, 2);
}

TEST_F(StoreOutbox, DeliveryStatesAndRetries) {
    auto events = Events({"x1", "x2", "x3", "x4"});
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run_, events); }));
    auto due = store_->Transaction([&](Tx& tx) { return tx.DueEvents(tx.Now(), 10); });
    ASSERT_TRUE(due);
    ASSERT_EQ(due->size(), 4u);
    EXPECT_EQ((*due)[0].payload["messageId"], "x1");
    EXPECT_EQ((*due)[0].run_id, run_);
    auto ok = store_->Transaction([&](Tx& tx) -> Status {
        if (auto r = tx.MarkDelivered((*due)[0].id); !r) return r;
        if (auto r = tx.MarkRetry((*due)[1].id, 1'000'000, "status 503: busy", 503); !r) return r;
        if (auto r = tx.MarkFailed((*due)[2].id, "status 400: bad request", 400); !r) return r;
        return tx.MarkFiltered((*due)[3].id, "source", "over 32 KB");
    });
    ASSERT_TRUE(ok) << ok.error().ToString();
    due = store_->Transaction([&](Tx& tx) { return tx.DueEvents(tx.Now(), 10); });
    EXPECT_TRUE(due->empty());
    due = store_->Transaction([&](Tx& tx) { return tx.DueEvents(1'000'000, 10); });
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ((*due)[0].attempts, 1);
    EXPECT_EQ((*due)[0].last_error, "status 503: busy");
    EXPECT_EQ((*due)[0].last_status, 503);
    auto counts = store_->Transaction([&](Tx& tx) { return tx.CountEvents(activation_); });
    ASSERT_TRUE(counts);
    EXPECT_EQ((*counts)[EventStatus::DELIVERED], 1);
    EXPECT_EQ((*counts)[EventStatus::PENDING], 1);
    EXPECT_EQ((*counts)[EventStatus::FAILED], 1);
    EXPECT_EQ((*counts)[EventStatus::FILTERED], 1);
    auto filtered = store_->Transaction([&](Tx& tx) { return tx.GetEvent("x4"); });
    ASSERT_TRUE(filtered && *filtered);
    EXPECT_EQ((*filtered)->filter_stage, "source");
    EXPECT_EQ((*filtered)->last_status, 0);
    auto failed = *store_->Transaction([](Tx& tx) { return tx.GetEvent("x3"); });
    EXPECT_EQ(failed->last_status, 400);
    EXPECT_EQ(failed->last_error, "status 400: bad request");
    // Delivering after a failed attempt forgets its error and status.
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.MarkDelivered((*due)[0].id); }));
    auto x2 = *store_->Transaction([](Tx& tx) { return tx.GetEvent("x2"); });
    EXPECT_EQ(x2->status, EventStatus::DELIVERED);
    EXPECT_EQ(x2->last_status, 0);
    EXPECT_EQ(x2->last_error, "");
}

TEST_F(StoreOutbox, FiltersPendingCountsAndNotes) {
    // A second activation and a second run, to filter by.
    ActivationSpec hook;
    hook.key = "vip_hook";
    hook.audience = "vip";
    hook.destination = {{"type", "webhook"}, {"url", "http://127.0.0.1:9/"}};
    hook.action = "send";
    hook.trigger = "profile_enters";
    ASSERT_TRUE(store_->UpsertActivation(1, hook));
    int64_t hook_id = (*store_->Transaction([](Tx& tx) { return tx.GetActivation(1, "vip_hook"); }))->id;
    auto by_id = store_->Transaction([&](Tx& tx) { return tx.GetActivationById(hook_id); });
    ASSERT_TRUE(by_id && *by_id);
    EXPECT_EQ((*by_id)->spec.key, "vip_hook");
    EXPECT_EQ((*by_id)->spec.audience, "vip");
    EXPECT_FALSE(*store_->Transaction([](Tx& tx) { return tx.GetActivationById(999); }));

    int64_t run2 = *store_->CreateRun(audience_, "manual");
    kith::store::Run done = **store_->GetRun(run2);
    done.status = RunStatus::COMPLETED;
    ASSERT_TRUE(store_->UpdateRun(done));
    auto first = Events({"r1a", "r1b"});
    std::vector<NewEvent> second = {NewEvent{hook_id, "r2a", "Audience Entered", {{"messageId", "r2a"}}, "", "", ""},
                                    NewEvent{activation_, "r2b", "Audience Entered", {{"messageId", "r2b"}}, "", "", ""}};
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run_, first); }));
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(run2, second); }));

    auto ids = [&](const OutboxFilter& f) {
        std::vector<std::string> out;
        auto due = store_->Transaction([&](Tx& tx) { return tx.DueEvents(1'000'000, 10, f); });
        EXPECT_TRUE(due) << due.error().ToString();
        for (const auto& e : *due) out.push_back(e.message_id);
        return out;
    };
    auto filter = [](std::optional<int64_t> run, std::vector<int64_t> exclude) {
        OutboxFilter f;
        f.run_id = run;
        f.exclude_activations = std::move(exclude);
        return f;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(ids({}), (V{"r1a", "r1b", "r2a", "r2b"}));
    EXPECT_EQ(ids(filter(run2, {})), (V{"r2a", "r2b"}));
    EXPECT_EQ(ids(filter(std::nullopt, {hook_id})), (V{"r1a", "r1b", "r2b"}));
    EXPECT_EQ(ids(filter(run2, {activation_, hook_id})), V{});

    // Pending counts events due later too, and tells the earliest due time.
    auto r1b = *store_->Transaction([](Tx& tx) { return tx.GetEvent("r1b"); });
    auto r2b = *store_->Transaction([](Tx& tx) { return tx.GetEvent("r2b"); });
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) -> Status {
        if (auto ok = tx.MarkDelivered(r1b->id); !ok) return ok;
        return tx.MarkRetry(r2b->id, 5'000'000, "HTTP 503", 503);
    }));
    auto pending = [&](const OutboxFilter& f) {
        auto p = store_->Transaction([&](Tx& tx) { return tx.Pending(f); });
        EXPECT_TRUE(p) << p.error().ToString();
        return *p;
    };
    PendingEvents all = pending({});
    EXPECT_EQ(all.count, 3);
    EXPECT_EQ(all.next_attempt_at, r1b->created_at); // r1a, queued with r1b
    PendingEvents later = pending(filter(run2, {hook_id}));
    EXPECT_EQ(later.count, 1);
    EXPECT_EQ(later.next_attempt_at, 5'000'000);
    PendingEvents none = pending(filter(std::nullopt, {activation_, hook_id}));
    EXPECT_EQ(none.count, 0);
    EXPECT_FALSE(none.next_attempt_at);

    // A note on an activation's pending events counts no attempt and keeps them due.
    auto noted = store_->Transaction([&](Tx& tx) { return tx.NotePendingError(hook_id, "not implemented yet"); });
    ASSERT_TRUE(noted);
    EXPECT_EQ(*noted, 1);
    auto r2a = *store_->Transaction([](Tx& tx) { return tx.GetEvent("r2a"); });
    EXPECT_EQ(r2a->last_error, "not implemented yet");
    EXPECT_EQ(r2a->attempts, 0);
    EXPECT_EQ(r2a->status, EventStatus::PENDING);
    EXPECT_EQ(ids(filter(run2, {})), (V{"r2a"}));
    EXPECT_EQ((*store_->Transaction([](Tx& tx) { return tx.GetEvent("r1b"); }))->last_error, "");
}

TEST_F(StoreOutbox, TransactionsDoNotNest) {
    auto r = store_->Transaction([&](Tx&) -> Status {
        return store_->Transaction([](Tx&) -> Status { return {}; });
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::INTERNAL);
}

} // namespace
} // namespace kith::store

namespace kith::store {
namespace {

TEST_F(StoreOutbox, ARunsEventsAreDueOnlyOnceTheRunIsCompleted) {
    int64_t run = *store_->CreateRun(audience_, "manual");
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(run, "host:1", std::nullopt); }));
    auto events = Events({"s1", "s2"});
    events[1].filter_reason = "no userId";
    std::map<int64_t, Published> counts;
    auto staged = store_->Transaction([&](Tx& tx) { return tx.StageEvents(run, events, &counts); });
    ASSERT_TRUE(staged);
    EXPECT_EQ(*staged, 2);
    EXPECT_EQ(counts[activation_].queued, 1);
    EXPECT_EQ(counts[activation_].filtered, 1);
    EXPECT_EQ(counts[activation_].duplicates, 0);
    auto due = [&] { return store_->Transaction([](Tx& tx) { return tx.DueEvents(INT64_MAX / 2, 100); })->size(); };
    EXPECT_EQ(due(), 0u);
    EXPECT_EQ(store_->Transaction([&](Tx& tx) { return tx.CountEvents(activation_); })->size(), 0u);
    // Completing the run makes them due, all at once; the filtered one is counted, never due.
    auto ok = store_->Transaction([&](Tx& tx) -> Status {
        kith::store::Run r = **tx.GetRun(run);
        r.status = RunStatus::COMPLETED;
        return tx.UpdateRun(r);
    });
    ASSERT_TRUE(ok);
    EXPECT_EQ(due(), 1u);
    // A completed run's events are never discarded; a failed run's are.
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DiscardStaged(run); }));
    EXPECT_EQ(due(), 1u);
    // The same events again are duplicates.
    std::map<int64_t, Published> again;
    int64_t repeat = *store_->CreateRun(audience_, "manual");
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(repeat, "host:1", std::nullopt); }));
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StageEvents(repeat, events, &again); }));
    EXPECT_EQ(again[activation_].duplicates, 2);
    int64_t failed = *store_->CreateRun(audience_, "manual");
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(failed, "host:1", std::nullopt); }));
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StageEvents(failed, Events({"f1"})); }));
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DiscardStaged(failed); }));
    EXPECT_FALSE(*store_->Transaction([](Tx& tx) { return tx.GetEvent("f1"); }));
    // A run that is not running cannot queue events.
    EXPECT_FALSE(store_->Transaction([&](Tx& tx) { return tx.StageEvents(run, Events({"late"})); }));
}

} // namespace
} // namespace kith::store

namespace kith::store {
namespace {

// The delivery overview on a crafted outbox: two activations of workspace 1 (one with two event names over time),
// events of a completed run, of a running run (invisible) and without a run, at chosen queueing times, and an
// activation of another workspace.
class StoreOverview : public StoreTest {
protected:
    static constexpr int64_t kHour = 3'600'000;
    static constexpr int64_t kT0 = 1'767'261'600'000; // 2026-01-01T10:00:00Z

    void SetUp() override {
        StoreTest::SetUp();
        Store::Options o;
        o.clock = [this] { return now_; };
        auto s = Store::Open(path_, o);
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        ASSERT_TRUE(store_->UpsertAudience(1, Vip()));
        a_ = Activation(1, "a_file", "profile_enters");
        b_ = Activation(1, "b_hook", "entity_enters");
        int64_t other = *store_->Transaction([](Tx& tx) { return tx.EnsureWorkspace("other"); });
        ASSERT_TRUE(store_->UpsertAudience(other, Vip()));
        int64_t elsewhere = Activation(other, "a_file", "profile_enters");
        int64_t vip = (*store_->GetAudience(1, "vip"))->id;

        // A completed run queued a1..a7 at T0; a6 was filtered at source by the run.
        now_ = kT0;
        int64_t done = *store_->CreateRun(vip, "manual");
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(done, "host:1", std::nullopt); }));
        auto first = Events(a_, "Audience Entered", {"a1", "a2", "a3", "a4", "a5", "a6", "a7"});
        first[5].filter_reason = "no userId: the profile has no identifier of type user_id";
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StageEvents(done, first); }));
        // A running run's events are not counted yet.
        running_ = *store_->CreateRun(vip, "manual");
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(running_, "host:2", std::nullopt); }));
        ASSERT_TRUE(store_->Transaction(
            [&](Tx& tx) { return tx.StageEvents(running_, Events(a_, "Audience Entered", {"r1", "r2"})); }));
        Complete(done);
        Enqueue(Events(elsewhere, "Audience Entered", {"w1"}));

        now_ = kT0 + kHour / 2;
        Enqueue(Events(a_, "Audience Entered", {"a8"}));
        now_ = kT0 + kHour - 1; // the last millisecond of the first hour
        Enqueue(Events(b_, "Cart Entered", {"b1"}));
        now_ = kT0 + kHour; // the first of the next
        Enqueue(Events(a_, "Joined", {"a9", "a10"}));
        now_ = kT0 + 2 * kHour;
        Enqueue(Events(b_, "Cart Entered", {"b2"}));

        now_ = kT0 + 3 * kHour;
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) -> Status {
            for (const char* id : {"a1", "a8", "b1", "w1"}) {
                if (auto ok = tx.MarkDelivered(Id(tx, id), 200); !ok) return ok;
            }
            // a2 is delivered after a retry.
            if (auto ok = tx.MarkRetry(Id(tx, "a2"), now_, "status 503: busy", 503); !ok) return ok;
            if (auto ok = tx.MarkDelivered(Id(tx, "a2"), 200); !ok) return ok;
            if (auto ok = tx.MarkFailed(Id(tx, "a3"), "status 400: bad request", 400); !ok) return ok;
            if (auto ok = tx.MarkRetry(Id(tx, "a4"), now_ + kHour, "status 503: busy", 503); !ok) return ok;
            if (auto ok = tx.MarkFiltered(Id(tx, "a7"), "destination", "event is Audience Entered"); !ok) return ok;
            if (auto ok = tx.MarkFailed(Id(tx, "a9"), "connection refused", 0); !ok) return ok;
            return tx.MarkFiltered(Id(tx, "b2"), "source", "the event is 40000 bytes, over the limit of 32768 bytes");
        }));
    }

    int64_t Activation(int64_t workspace, const std::string& key, const std::string& trigger) {
        ActivationSpec act;
        act.key = key;
        act.audience = "vip";
        act.destination = {{"type", "file"}, {"path", key + ".ndjson"}};
        act.action = "send";
        act.trigger = trigger;
        if (trigger == "entity_enters") act.entity = "user-carts";
        EXPECT_TRUE(store_->UpsertActivation(workspace, act));
        return (*store_->Transaction([&](Tx& tx) { return tx.GetActivation(workspace, key); }))->id;
    }
    static std::vector<NewEvent> Events(int64_t activation, const std::string& name,
                                        std::initializer_list<const char*> ids) {
        std::vector<NewEvent> out;
        for (const char* id : ids) out.push_back(NewEvent{activation, id, name, {{"messageId", id}}, "", "", ""});
        return out;
    }
    void Enqueue(const std::vector<NewEvent>& events) {
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(std::nullopt, events); }));
    }
    void Complete(int64_t run) {
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) -> Status {
            kith::store::Run r = **tx.GetRun(run);
            r.status = RunStatus::COMPLETED;
            return tx.UpdateRun(r);
        }));
    }
    static int64_t Id(Tx& tx, const std::string& message_id) { return (*tx.GetEvent(message_id))->id; }

    // Each row as "activation|event|bucket: from_audience = source + destination + queued + retry + failed +
    // delivered", checking that the steps add up.
    std::vector<std::string> Overview(const OverviewFilter& f) {
        auto rows = store_->Transaction([&](Tx& tx) { return tx.DeliveryOverview(f); });
        EXPECT_TRUE(rows) << rows.error().ToString();
        std::vector<std::string> out;
        for (const OverviewRow& r : *rows) {
            EXPECT_EQ(r.from_audience, r.filtered_at_source + r.filtered_at_destination + r.queued + r.pending_retry +
                                           r.failed + r.delivered);
            std::string bucket = r.bucket_start == 0 ? "-" : std::to_string((r.bucket_start - kT0) / kHour);
            out.push_back(fmt::format("{}|{}|{}: {} = {} + {} + {} + {} + {} + {}", r.activation_key, r.event_name,
                                      bucket, r.from_audience, r.filtered_at_source, r.filtered_at_destination,
                                      r.queued, r.pending_retry, r.failed, r.delivered));
        }
        return out;
    }
    std::vector<std::string> List(OverviewStep step, const OverviewFilter& f, int limit = 100,
                                  std::optional<int64_t> after = std::nullopt) {
        auto events = store_->Transaction([&](Tx& tx) { return tx.OverviewEvents(step, f, limit, after); });
        EXPECT_TRUE(events) << events.error().ToString();
        std::vector<std::string> out;
        for (const auto& e : *events) out.push_back(e.message_id);
        return out;
    }

    std::unique_ptr<Store> store_;
    int64_t now_ = 0;
    int64_t a_ = 0, b_ = 0, running_ = 0;
};

using Lines = std::vector<std::string>;

TEST_F(StoreOverview, CountsEachStepPerActivationAndEventName) {
    OverviewFilter all;
    EXPECT_EQ(Overview(all), (Lines{"a_file|Audience Entered|-: 8 = 1 + 1 + 1 + 1 + 1 + 3",
                                    "a_file|Joined|-: 2 = 0 + 0 + 1 + 0 + 1 + 0",
                                    "b_hook|Cart Entered|-: 2 = 1 + 0 + 0 + 0 + 0 + 1"}));
    OverviewFilter b;
    b.activation_id = b_;
    EXPECT_EQ(Overview(b), (Lines{"b_hook|Cart Entered|-: 2 = 1 + 0 + 0 + 0 + 0 + 1"}));
    OverviewFilter joined;
    joined.event_name = "Joined";
    EXPECT_EQ(Overview(joined), (Lines{"a_file|Joined|-: 2 = 0 + 0 + 1 + 0 + 1 + 0"}));
    joined.activation_id = b_;
    EXPECT_EQ(Overview(joined), Lines{});
    OverviewFilter identify; // identify events have no name; there are none here
    identify.event_name = "";
    EXPECT_EQ(Overview(identify), Lines{});
    OverviewFilter other;
    other.workspace_id = 2;
    EXPECT_EQ(Overview(other), (Lines{"a_file|Audience Entered|-: 1 = 0 + 0 + 0 + 0 + 0 + 1"}));

    // Once the running run completes, its events count (as queued).
    Complete(running_);
    EXPECT_EQ(Overview(all)[0], "a_file|Audience Entered|-: 10 = 1 + 1 + 3 + 1 + 1 + 3");
}

TEST_F(StoreOverview, BucketsAndTimeRangeFollowTheQueueingTime) {
    OverviewFilter hourly;
    hourly.bucket_ms = kHour;
    EXPECT_EQ(Overview(hourly), (Lines{"a_file|Audience Entered|0: 8 = 1 + 1 + 1 + 1 + 1 + 3",
                                       "a_file|Joined|1: 2 = 0 + 0 + 1 + 0 + 1 + 0",
                                       "b_hook|Cart Entered|0: 1 = 0 + 0 + 0 + 0 + 0 + 1",
                                       "b_hook|Cart Entered|2: 1 = 1 + 0 + 0 + 0 + 0 + 0"}));
    // Buckets are aligned to the epoch: a 15-minute bucket starting at T0 + 30 min holds a8 alone.
    OverviewFilter quarter;
    quarter.bucket_ms = kHour / 4;
    quarter.activation_id = a_;
    quarter.event_name = "Audience Entered";
    auto rows = store_->Transaction([&](Tx& tx) { return tx.DeliveryOverview(quarter); });
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].bucket_start, kT0);
    EXPECT_EQ((*rows)[0].from_audience, 7);
    EXPECT_EQ((*rows)[1].bucket_start, kT0 + kHour / 2);
    EXPECT_EQ((*rows)[1].delivered, 1);
    // One day: everything in the bucket of 2026-01-01T00:00:00Z.
    OverviewFilter daily;
    daily.bucket_ms = 24 * kHour;
    rows = store_->Transaction([&](Tx& tx) { return tx.DeliveryOverview(daily); });
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 3u);
    for (const auto& r : *rows) EXPECT_EQ(r.bucket_start, kT0 - 10 * kHour);

    // The range includes its start and excludes its end: [T0 + 30 min, T0 + 1 h) holds a8 and b1, not a9 and a10.
    OverviewFilter range;
    range.from_ms = kT0 + kHour / 2;
    range.to_ms = kT0 + kHour;
    EXPECT_EQ(Overview(range), (Lines{"a_file|Audience Entered|-: 1 = 0 + 0 + 0 + 0 + 0 + 1",
                                      "b_hook|Cart Entered|-: 1 = 0 + 0 + 0 + 0 + 0 + 1"}));
    range.bucket_ms = kHour;
    range.to_ms = kT0 + kHour + 1;
    EXPECT_EQ(Overview(range), (Lines{"a_file|Audience Entered|0: 1 = 0 + 0 + 0 + 0 + 0 + 1",
                                      "a_file|Joined|1: 2 = 0 + 0 + 1 + 0 + 1 + 0",
                                      "b_hook|Cart Entered|0: 1 = 0 + 0 + 0 + 0 + 0 + 1"}));
    OverviewFilter after;
    after.from_ms = kT0 + 2 * kHour;
    EXPECT_EQ(Overview(after), (Lines{"b_hook|Cart Entered|-: 1 = 1 + 0 + 0 + 0 + 0 + 0"}));
    OverviewFilter empty;
    empty.from_ms = kT0 + kHour;
    empty.to_ms = kT0 + kHour;
    EXPECT_EQ(Overview(empty), Lines{});

    OverviewFilter negative;
    negative.bucket_ms = -1;
    auto bad = store_->Transaction([&](Tx& tx) { return tx.DeliveryOverview(negative); });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::USAGE);
}

TEST_F(StoreOverview, EachStepListsItsEventsWithTheReasonPageByPage) {
    OverviewFilter all;
    EXPECT_EQ(List(OverviewStep::FROM_AUDIENCE, all),
              (Lines{"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "b1", "a9", "a10", "b2"}));
    EXPECT_EQ(List(OverviewStep::FILTERED_AT_SOURCE, all), (Lines{"a6", "b2"}));
    EXPECT_EQ(List(OverviewStep::FILTERED_AT_DESTINATION, all), (Lines{"a7"}));
    EXPECT_EQ(List(OverviewStep::FAILED, all), (Lines{"a3", "a9"}));
    EXPECT_EQ(List(OverviewStep::DELIVERED, all), (Lines{"a1", "a2", "a8", "b1"}));

    auto failed = store_->Transaction([&](Tx& tx) { return tx.OverviewEvents(OverviewStep::FAILED, all, 10); });
    ASSERT_TRUE(failed);
    ASSERT_EQ(failed->size(), 2u);
    EXPECT_EQ((*failed)[0].last_status, 400);
    EXPECT_EQ((*failed)[0].last_error, "status 400: bad request");
    EXPECT_EQ((*failed)[0].attempts, 1);
    EXPECT_EQ((*failed)[1].last_status, 0);
    EXPECT_EQ((*failed)[1].last_error, "connection refused");
    auto delivered = store_->Transaction([&](Tx& tx) { return tx.OverviewEvents(OverviewStep::DELIVERED, all, 2); });
    ASSERT_TRUE(delivered);
    EXPECT_EQ((*delivered)[1].message_id, "a2");
    EXPECT_EQ((*delivered)[1].attempts, 2);
    EXPECT_EQ((*delivered)[1].last_status, 200);
    EXPECT_EQ((*delivered)[1].last_error, "");

    // Pages of 4 by id: each starts after the last id of the previous one.
    OverviewFilter a;
    a.activation_id = a_;
    std::vector<Lines> pages;
    std::optional<int64_t> after;
    while (true) {
        auto page =
            store_->Transaction([&](Tx& tx) { return tx.OverviewEvents(OverviewStep::FROM_AUDIENCE, a, 4, after); });
        ASSERT_TRUE(page);
        if (page->empty()) break;
        Lines ids;
        for (const auto& e : *page) ids.push_back(e.message_id);
        pages.push_back(ids);
        after = page->back().id;
    }
    EXPECT_EQ(pages, (std::vector<Lines>{{"a1", "a2", "a3", "a4"}, {"a5", "a6", "a7", "a8"}, {"a9", "a10"}}));

    // The filter narrows the list as it narrows the counts.
    OverviewFilter range;
    range.from_ms = kT0 + kHour / 2;
    range.to_ms = kT0 + 2 * kHour;
    EXPECT_EQ(List(OverviewStep::FROM_AUDIENCE, range), (Lines{"a8", "b1", "a9", "a10"}));
    range.event_name = "Joined";
    EXPECT_EQ(List(OverviewStep::FAILED, range), (Lines{"a9"}));
    OverviewFilter other;
    other.workspace_id = 2;
    EXPECT_EQ(List(OverviewStep::FROM_AUDIENCE, other), (Lines{"w1"}));
}

TEST_F(StoreTest, MigrationThreeKeepsTheOutboxAndAddsStatusCodes) {
    // A store at version 2 with one event, as an older kith left it.
    {
        std::string sql = older_store::SchemaAtVersion(2) + older_store::kVipAudience + older_store::kOneActivation;
        sql += "INSERT INTO outbox (activation_id, message_id, event_name, payload, status, attempts, "
               "next_attempt_at, last_error, created_at) VALUES (1, 'm1', 'Audience Entered', '{}', 'failed', 1, 0, "
               "'status 400: no', 5);";
        ASSERT_EQ(older_store::Write(path_, sql), "");
    }
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), Store::LatestSchemaVersion());
    auto e = *s->Transaction([](Tx& tx) { return tx.GetEvent("m1"); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->last_status, 0);
    EXPECT_EQ(e->last_error, "status 400: no");
    EXPECT_EQ(Sql("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'outbox_overview'"), "1");
    EXPECT_EQ(Sql("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'outbox_by_activation'"), "0");
    auto rows = s->Transaction([](Tx& tx) { return tx.DeliveryOverview(OverviewFilter{}); });
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].failed, 1);
}

TEST_F(StoreTest, MigrationTenKeysTheOutboxByActivationAndDedupKey) {
    // A store at version 9, as an older kith left it: events of a completed run and of a running one, in two
    // activations (a second one, `g`, id 2).
    {
        std::string sql = "PRAGMA foreign_keys = ON;" + older_store::SchemaAtVersion(9) + older_store::kVipAudience +
                          older_store::kOneActivation;
        sql += "INSERT INTO activations (workspace_id, key, audience_id, destination, action, trigger_type, "
               "identifiers, enrichment, mapping, created_at, updated_at) VALUES (1, 'g', 1, '{}', 'send', "
               "'profile_enters', '[]', '{}', 'null', 0, 0);";
        sql += "INSERT INTO runs (id, audience_id, definition_version, status, reason, queued_at) VALUES "
               "(1, 1, 1, 'completed', 'manual', 0), (2, 1, 1, 'running', 'manual', 0);";
        for (int i = 0; i < 6; ++i) {
            sql += fmt::format("INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, "
                               "attempts, last_status, next_attempt_at, created_at) VALUES ({}, {}, 'm{}', 'Joined', "
                               "'{{\"i\":{}}}', '{}', {}, {}, 0, {});",
                               1 + i % 2, 1 + i / 4, i, i, i == 0 ? "delivered" : "pending", i == 0, i == 0 ? 200 : 0, i);
        }
        ASSERT_EQ(older_store::Write(path_, sql), "");
    }
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), Store::LatestSchemaVersion());
    // Every row is kept as it was, keyed by its messageId.
    EXPECT_EQ(Sql("SELECT group_concat(id || ':' || activation_id || ':' || run_id || ':' || message_id || ':' || payload "
                  "|| ':' || status || ':' || last_status || ':' || coalesce(dedup_key, 'NULL'), ' ') FROM outbox"),
              "1:1:1:m0:{\"i\":0}:delivered:200:NULL 2:2:1:m1:{\"i\":1}:pending:0:NULL 3:1:1:m2:{\"i\":2}:pending:0:NULL "
              "4:2:1:m3:{\"i\":3}:pending:0:NULL 5:1:2:m4:{\"i\":4}:pending:0:NULL 6:2:2:m5:{\"i\":5}:pending:0:NULL");
    // The indexes and triggers of the table are back, the UNIQUE messageId is gone, and the file is sound.
    EXPECT_EQ(Sql("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE tbl_name = 'outbox' AND type <> 'table' "
                  "ORDER BY name)"),
              "outbox_by_run outbox_dedup outbox_delivered outbox_due outbox_overview outbox_totals_delete "
              "outbox_totals_insert outbox_totals_move outbox_totals_step");
    EXPECT_EQ(Sql("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(Sql("SELECT count(*) FROM pragma_foreign_key_check"), "0");
    // An event keyed by its messageId (as every event before) is still a duplicate of the same messageId; a dedup key
    // is unique within its activation.
    int64_t run = *s->CreateRun(1, "manual");
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.StartRun(run, "host:1", std::nullopt); }));
    auto event = [](int64_t activation, std::string id, std::string key) {
        return NewEvent{activation, id, "Joined", nullptr, "", R"({"messageId":")" + id + R"("})", std::move(key)};
    };
    std::vector<NewEvent> events = {event(1, "m0", ""),      event(1, "n1", "b1\x1f" "entered\x1f" "p1"),
                                    event(1, "n2", "b1\x1f" "entered\x1f" "p1"), event(2, "n3", "b1\x1f" "entered\x1f" "p1"),
                                    event(2, "m1", "")};
    std::map<int64_t, Published> counts;
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.StageEvents(run, events, &counts); }));
    EXPECT_EQ(counts[1].queued, 1);
    EXPECT_EQ(counts[1].duplicates, 2);
    EXPECT_EQ(counts[2].queued, 1);
    EXPECT_EQ(counts[2].duplicates, 1);
    EXPECT_EQ(Sql("SELECT group_concat(message_id, ' ') FROM outbox WHERE run_id = " + std::to_string(run)), "n1 n3");
    // The triggers of the runs table still reach the outbox: a deleted run leaves its events without a run.
    Sql("DELETE FROM runs WHERE id = 2");
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox WHERE run_id IS NULL"), "2");
}

TEST_F(StoreTest, MigrationSevenGivesActivationsSegmentsNames) {
    // A store at version 6 with activations under the names kith used before Segment's, as an older kith left it.
    struct Old {
        const char* key;
        const char* destination;
        const char* action;
    };
    const std::vector<Old> old = {
        {"b1", R"({"api_key":"k","endpoint":"https://rest.fra-01.braze.eu","type":"braze"})", "track_event"},
        {"b2", R"({"api_key":"k","batch_size":10,"endpoint":"http://127.0.0.1:9","type":"braze"})", "update_user_profile"},
        {"i1", R"({"api_key":"k","filter":{"drop":{"field":"a","operator":"=","value":true}},"type":"iterable"})",
         "custom_event"},
        {"i2", R"({"api_key":"k","endpoint":"http://127.0.0.1:9/","rate_limit":5,"type":"iterable"})", "upsert_user"},
        {"s1", R"({"endpoint":"http://127.0.0.1:9","type":"segment","write_key":"w\"k"})", "send"},
        {"w1", R"({"headers":{"api_key":"z"},"type":"webhook","url":"http://127.0.0.1:9"})", "send"},
    };
    {
        std::string sql = older_store::SchemaAtVersion(6) + older_store::kVipAudience;
        for (const Old& o : old) {
            sql += fmt::format("INSERT INTO activations (workspace_id, key, audience_id, destination, action, "
                               "trigger_type, identifiers, enrichment, mapping, created_at, updated_at) VALUES (1, "
                               "'{}', 1, '{}', '{}', 'profile_enters', '[]', '{{}}', 'null', 0, 0);",
                               o.key, o.destination, o.action);
        }
        ASSERT_EQ(older_store::Write(path_, sql), "");
    }
    auto s = OpenStore();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->schema_version(), Store::LatestSchemaVersion());
    std::string rows = Sql("SELECT group_concat(key || ' ' || action || ' ' || destination, char(10)) FROM "
                           "(SELECT * FROM activations ORDER BY key)");
    EXPECT_EQ(rows, // keys sorted, as canonical JSON is: what kith apply compares
              "b1 trackEvent {\"api_key\":\"k\",\"endpoint\":\"https://rest.fra-01.braze.eu\",\"type\":\"braze\"}\n"
              "b2 updateUserProfile {\"api_key\":\"k\",\"base_url\":\"http://127.0.0.1:9\",\"batch_size\":10,"
              "\"type\":\"braze\"}\n"
              "i1 trackEvent {\"apiKey\":\"k\",\"filter\":{\"drop\":{\"field\":\"a\",\"operator\":\"=\",\"value\":true}},"
              "\"type\":\"iterable\"}\n"
              "i2 updateUser {\"apiKey\":\"k\",\"base_url\":\"http://127.0.0.1:9/\",\"rate_limit\":5,\"type\":\"iterable\"}\n"
              "s1 send {\"base_url\":\"http://127.0.0.1:9\",\"source_write_key\":\"w\\\"k\",\"type\":\"segment\"}\n"
              "w1 send {\"headers\":{\"api_key\":\"z\"},\"type\":\"webhook\",\"url\":\"http://127.0.0.1:9\"}");
}

TEST_F(StoreTest, UsersSessionsAndTokens) {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    User u;
    u.email = "Ada@Example.com";
    u.name = "Ada";
    u.password_hash = "$argon2id$...";
    u.roles = {"engage_user", "read_only"};
    auto id = s->Transaction([&](Tx& tx) { return tx.CreateUser(u); });
    ASSERT_TRUE(id) << id.error().ToString();
    // Emails are compared without case: the same address twice is refused.
    u.email = "ada@example.com";
    auto again = s->Transaction([&](Tx& tx) { return tx.CreateUser(u); });
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::INVALID);
    auto found = *s->Transaction([&](Tx& tx) { return tx.GetUserByEmail("ADA@example.COM"); });
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, *id);
    EXPECT_EQ(found->roles, (std::vector<std::string>{"engage_user", "read_only"}));

    int64_t now = 1000;
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.CreateSession(Session{"h1", *id, "c1", now, now + 100}); }));
    EXPECT_TRUE(*s->Transaction([&](Tx& tx) { return tx.GetSession("h1", now + 99); }));
    EXPECT_FALSE(*s->Transaction([&](Tx& tx) { return tx.GetSession("h1", now + 100); })); // expired
    EXPECT_EQ(*s->Transaction([&](Tx& tx) { return tx.DeleteExpiredSessions(now + 100); }), 1);

    auto token = s->Transaction([&](Tx& tx) { return tx.CreateApiToken(ApiToken{0, *id, "ci", "th", 0, {}}); });
    ASSERT_TRUE(token);
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.TouchApiToken(*token, 77); }));
    auto t = *s->Transaction([&](Tx& tx) { return tx.FindApiToken("th"); });
    ASSERT_TRUE(t);
    EXPECT_EQ(t->user_id, *id);
    EXPECT_EQ(t->last_used_at, 77);

    // Deleting the user takes its sessions and tokens with it.
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.CreateSession(Session{"h2", *id, "c2", now, now + 100}); }));
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.DeleteUser(*id); }));
    EXPECT_FALSE(*s->Transaction([&](Tx& tx) { return tx.GetSession("h2", now); }));
    EXPECT_FALSE(*s->Transaction([&](Tx& tx) { return tx.FindApiToken("th"); }));
}

TEST_F(StoreTest, LoginAttemptsCountPerKeyUntilForgivenOrCleared) {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    const std::string key = "email a@x from 127.0.0.1", other = "from 127.0.0.1";
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.CountLoginAttempt(key, 10); }));
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.CountLoginAttempt(key, 20); }));
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.CountLoginAttempt(other, 20); }));
    auto f = *s->Transaction([&](Tx& tx) { return tx.GetLoginThrottle(key); });
    EXPECT_EQ(f.failures, 2);
    EXPECT_EQ(f.last_at, 20);
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.ForgiveLoginAttempt(key); }));
    EXPECT_EQ(s->Transaction([&](Tx& tx) { return tx.GetLoginThrottle(key); })->failures, 1);
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.ForgiveLoginAttempt(key); }));
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.ForgiveLoginAttempt(key); })); // never below zero
    EXPECT_EQ(s->Transaction([&](Tx& tx) { return tx.GetLoginThrottle(key); })->failures, 0);
    EXPECT_EQ(s->Transaction([&](Tx& tx) { return tx.GetLoginThrottle(other); })->failures, 1);
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.ClearLoginThrottle(other); }));
    EXPECT_EQ(s->Transaction([&](Tx& tx) { return tx.GetLoginThrottle(other); })->failures, 0);
}

TEST_F(StoreTest, DeletingAnAudienceTakesItsActivationsRunsAndEvents) {
    auto s = OpenStore();
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->UpsertAudience(1, Vip()));
    ActivationSpec a;
    a.key = "to_file";
    a.audience = "vip";
    a.destination = {{"type", "file"}, {"path", "x.ndjson"}};
    a.action = "send";
    a.trigger = "profile_enters";
    ASSERT_TRUE(s->UpsertActivation(1, a));
    auto audience = *s->GetAudience(1, "vip");
    auto run = s->CreateRun(audience->id, "manual");
    ASSERT_TRUE(run);
    ASSERT_TRUE(s->Transaction([&](Tx& tx) -> Status {
        if (auto ok = tx.RecordSnapshot(Snapshot{*run, audience->id, "m", "e", 0, "pc", "ec"}); !ok) return ok;
        return tx.SetBaseline(audience->id, *run);
    }));
    auto activation = *s->Transaction([](Tx& tx) { return tx.GetActivation(1, "to_file"); });
    std::vector<NewEvent> events{{activation->id, "m1", "Audience Entered", json::object(), "", "", ""}};
    ASSERT_TRUE(s->Transaction([&](Tx& tx) { return tx.EnqueueEvents(*run, events); }));

    EXPECT_FALSE(s->Transaction([](Tx& tx) { return tx.DeleteActivation(1, "nope"); }));
    ASSERT_TRUE(s->Transaction([](Tx& tx) { return tx.DeleteAudience(1, "vip"); }));
    EXPECT_EQ(Sql("SELECT count(*) FROM activations"), "0");
    EXPECT_EQ(Sql("SELECT count(*) FROM runs"), "0");
    EXPECT_EQ(Sql("SELECT count(*) FROM outbox"), "0");
    EXPECT_EQ(Sql("SELECT count(*) FROM snapshots"), "0");
    auto missing = s->Transaction([](Tx& tx) { return tx.DeleteAudience(1, "vip"); });
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
}

TEST_F(StoreTest, ReadsSeeASnapshotAndNeverWaitForAWriter) {
    auto writer = OpenStore();
    auto reader = OpenStore();
    ASSERT_EQ(*writer->UpsertAudience(1, Vip("gold")), Change::CREATED);
    // The writer holds its write transaction open (uncommitted change) while another connection reads.
    std::optional<std::string> seen;
    auto steps = std::chrono::steady_clock::now();
    auto ok = writer->Transaction([&](Tx& tx) -> Status {
        auto changed = tx.UpsertAudience(1, Vip("silver"));
        if (!changed) return std::unexpected(changed.error());
        auto read = reader->Read([&](Tx& rtx) { return rtx.GetAudience(1, "vip"); });
        if (!read) return std::unexpected(read.error());
        seen = (*read)->spec.definition.dump();
        return {};
    });
    ASSERT_TRUE(ok) << ok.error().ToString();
    auto waited = std::chrono::steady_clock::now() - steps;
    ASSERT_TRUE(seen);
    EXPECT_NE(seen->find("gold"), std::string::npos) << "the reader saw the uncommitted change: " << *seen;
    EXPECT_LT(waited, std::chrono::milliseconds(1000)) << "the read waited for the writer";
    // After the commit, a new read sees the change.
    auto after = reader->Read([&](Tx& tx) { return tx.GetAudience(1, "vip"); });
    ASSERT_TRUE(after && *after);
    EXPECT_NE((*after)->spec.definition.dump().find("silver"), std::string::npos);
}

TEST_F(StoreTest, AReadThatWritesFailsAndTheConnectionCanWriteAfterwards) {
    auto s = OpenStore();
    auto wrote = s->Read([&](Tx& tx) { return tx.UpsertAudience(1, Vip()); });
    ASSERT_FALSE(wrote);
    EXPECT_NE(wrote.error().message.find("readonly"), std::string::npos) << wrote.error().ToString();
    EXPECT_TRUE(s->ListAudiences(1)->empty());
    EXPECT_EQ(*s->UpsertAudience(1, Vip()), Change::CREATED);
    EXPECT_EQ(s->ListAudiences(1)->size(), 1u);
}

TEST_F(StoreTest, WritersOfOneProcessQueueAndEachCommits) {
    // Four connections of this process write at once; each waits its turn on the process's lock and commits.
    Store::Options o;
    o.busy_timeout_ms = 2000;
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < 4; ++i) {
        auto s = Store::Open(path_, o);
        ASSERT_TRUE(s) << s.error().ToString();
        stores.push_back(std::move(*s));
    }
    std::atomic<int> failures = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            for (int j = 0; j < 25; ++j) {
                AudienceSpec a = Vip();
                a.key = fmt::format("a{}_{}", i, j);
                auto ok = stores[i]->Transaction([&](Tx& tx) -> Result<Change> {
                    std::this_thread::sleep_for(std::chrono::microseconds(200)); // hold the lock a little
                    return tx.UpsertAudience(1, a);
                });
                if (!ok) ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(stores[0]->ListAudiences(1)->size(), 100u);
}

TEST_F(StoreTest, AWriterWaitsNoLongerThanTheBusyTimeoutForAnotherOfThisProcess) {
    Store::Options o;
    o.busy_timeout_ms = 100;
    auto holder = Store::Open(path_, o);
    auto waiter = Store::Open(path_, o);
    ASSERT_TRUE(holder && waiter);
    auto start = std::chrono::steady_clock::now();
    std::optional<Error> error;
    auto ok = (*holder)->Transaction([&](Tx& tx) -> Status {
        auto inner = (*waiter)->Transaction([&](Tx& t2) { return t2.UpsertAudience(1, Vip()); });
        if (!inner) error = inner.error();
        auto changed = tx.UpsertAudience(1, Vip("x"));
        if (!changed) return std::unexpected(changed.error());
        return {};
    });
    ASSERT_TRUE(ok);
    auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(error);
    EXPECT_NE(error->message.find("locked"), std::string::npos) << error->ToString();
    EXPECT_GE(waited, std::chrono::milliseconds(90));
    EXPECT_LT(waited, std::chrono::milliseconds(2000));
}

} // namespace
} // namespace kith::store
