// The delivery overview's running totals (outbox_totals, migration 8) against a recount of the outbox: after seeded
// random sequences of what changes events (runs staging, completing, failing and discarding their events, events
// queued without a run, deliveries one by one and many at once, retries, failures, filters at both stages, rolled back
// transactions, activations moved to another audience, audiences and activations deleted), every overview the CLI
// and the API can ask for equals RecountDeliveryOverview, and the totals table equals a count of the whole outbox.
// KITH_TOTALS_SEED=N runs another seed.
#include "store/migrations.hpp"
#include "store/older_store_test.hpp"
#include "store/store.hpp"

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <sqlite3.h>
#include <unistd.h>

namespace kith::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kT0 = 1'767'261'600'000 + 1234; // 2026-01-01T10:00:01.234Z: not on a minute

std::string RowText(const OverviewRow& r) {
    return fmt::format("{}|{}|{}: {} = {} + {} + {} + {} + {} + {}", r.activation_key, r.event_name, r.bucket_start,
                       r.from_audience, r.filtered_at_source, r.filtered_at_destination, r.queued, r.pending_retry,
                       r.failed, r.delivered);
}

std::vector<std::string> Texts(const std::vector<OverviewRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(RowText(r));
    return out;
}

class OverviewTotals : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_overview_totals_test_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "state.sqlite").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    void Open() {
        Store::Options o;
        o.clock = [this] { return now_; };
        auto s = Store::Open(path_, o);
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
    }

    void Audience(int64_t workspace, const std::string& key) {
        AudienceSpec a;
        a.key = key;
        a.name = key;
        ASSERT_TRUE(store_->UpsertAudience(workspace, a));
    }
    int64_t AudienceId(int64_t workspace, const std::string& key) { return (*store_->GetAudience(workspace, key))->id; }
    int64_t Activation(int64_t workspace, const std::string& key, const std::string& audience) {
        ActivationSpec act;
        act.key = key;
        act.audience = audience;
        act.destination = {{"type", "file"}, {"path", key + ".ndjson"}};
        act.action = "send";
        act.trigger = "profile_enters";
        EXPECT_TRUE(store_->UpsertActivation(workspace, act));
        return (*store_->Transaction([&](Tx& tx) { return tx.GetActivation(workspace, key); }))->id;
    }

    // The overview of `f` from the totals equals the recount, and the totals table equals a count of the outbox.
    void ExpectSameAsRecount(const OverviewFilter& f, const std::string& label) {
        auto kept = store_->Read([&](Tx& tx) { return tx.DeliveryOverview(f); });
        auto counted = store_->Read([&](Tx& tx) { return tx.RecountDeliveryOverview(f); });
        ASSERT_TRUE(kept) << kept.error().ToString();
        ASSERT_TRUE(counted) << counted.error().ToString();
        EXPECT_EQ(Texts(*kept), Texts(*counted)) << label;
    }
    void ExpectTotalsMatch(const std::string& label) {
        auto ok = store_->Read([](Tx& tx) { return tx.CheckOverviewTotals(); });
        EXPECT_TRUE(ok) << label << ": " << ok.error().ToString();
    }

    // Every kind of overview the CLI and the API ask for, and some more: buckets of whole minutes and finer ones,
    // ranges on and off minutes, one activation, one event name, the other workspace.
    void CheckOverviews(std::mt19937& rng, const std::string& label, const std::vector<int64_t>& activations) {
        ExpectTotalsMatch(label);
        std::uniform_int_distribution<int64_t> when(kT0 - kHour, now_ + kHour);
        for (int64_t bucket : std::initializer_list<int64_t>{0, kMinute, 15 * kMinute, kHour, 24 * kHour, 7 * kMinute,
                                                            90'000, 1}) {
            OverviewFilter f;
            f.bucket_ms = bucket;
            ExpectSameAsRecount(f, fmt::format("{}: bucket {}", label, bucket));
            int64_t a = when(rng), b = when(rng);
            f.from_ms = std::min(a, b);
            f.to_ms = std::max(a, b);
            if (bucket == kHour) f.from_ms = *f.from_ms / kMinute * kMinute; // sometimes on a minute
            ExpectSameAsRecount(f, fmt::format("{}: bucket {} from {} to {}", label, bucket, *f.from_ms, *f.to_ms));
            f.from_ms.reset();
            ExpectSameAsRecount(f, fmt::format("{}: bucket {} to {}", label, bucket, *f.to_ms));
        }
        for (int64_t id : activations) {
            OverviewFilter f;
            f.activation_id = id;
            f.bucket_ms = kHour;
            ExpectSameAsRecount(f, fmt::format("{}: activation {}", label, id));
        }
        for (const char* name : {"Joined", ""}) {
            OverviewFilter f;
            f.event_name = name;
            f.from_ms = when(rng);
            ExpectSameAsRecount(f, fmt::format("{}: event {:?}", label, name));
        }
        OverviewFilter other;
        other.workspace_id = 2;
        ExpectSameAsRecount(other, label + ": workspace 2");
    }

    fs::path dir_;
    std::string path_;
    int64_t now_ = kT0;
    std::unique_ptr<Store> store_;
};

// A random walk through the changes of events, checked every few steps.
class RandomWalk {
public:
    RandomWalk(Store& store, int64_t& now, std::mt19937& rng) : store_(store), now_(now), rng_(rng) {}

    std::vector<int64_t> activations;          // of workspace 1 (and 2), events go to them
    std::vector<int64_t> audiences;            // whose runs stage events
    std::map<int64_t, int64_t> audience_of;    // activation -> audience
    std::vector<int64_t> running;              // runs staging events
    std::vector<int64_t> completed;            // runs completed
    int next_message = 0;

    int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    bool Chance(int percent) { return Pick(100) < percent; }

    std::vector<NewEvent> Events(std::optional<int64_t> audience, int n) {
        static const char* const kNames[] = {"Audience Entered", "Joined", ""};
        std::vector<NewEvent> out;
        for (int i = 0; i < n; ++i) {
            std::vector<int64_t> of;
            for (int64_t a : activations) {
                if (!audience || audience_of[a] == *audience) of.push_back(a);
            }
            if (of.empty()) break;
            // Now and then a messageId already queued: skipped.
            std::string id = Chance(3) && next_message > 0 ? fmt::format("m{}", Pick(next_message))
                                                          : fmt::format("m{}", next_message++);
            NewEvent e{of[Pick(static_cast<int>(of.size()))], id, kNames[Pick(3)], {{"messageId", id}}, "", "", ""};
            if (Chance(10)) e.filter_reason = "no userId";
            out.push_back(std::move(e));
        }
        return out;
    }

    Status Step() {
        now_ += Chance(10) ? Pick(3) * kHour + Pick(60'000) : Pick(20'000); // mostly within the minute
        switch (Pick(10)) {
        case 0: return Enqueue();
        case 1: return StartRun();
        case 2: return Stage();
        case 3: return FinishRun();
        case 4:
        case 5:
        case 6: return Deliver();
        case 7: return RolledBack();
        case 8: return Rare();
        default: return Note();
        }
    }

private:
    Status Enqueue() {
        auto events = Events(std::nullopt, 1 + Pick(20));
        return store_.Transaction([&](Tx& tx) -> Status {
            if (auto n = tx.EnqueueEvents(std::nullopt, events); !n) return std::unexpected(n.error());
            return {};
        });
    }
    Status StartRun() {
        if (audiences.empty()) return {};
        int64_t audience = audiences[Pick(static_cast<int>(audiences.size()))];
        return store_.Transaction([&](Tx& tx) -> Status {
            auto run = tx.CreateRun(audience, "manual");
            if (!run) return std::unexpected(run.error());
            if (auto ok = tx.StartRun(*run, "host:1", std::nullopt); !ok) return ok;
            running.push_back(*run);
            return {};
        });
    }
    Status Stage() {
        if (running.empty()) return {};
        int64_t run = running[Pick(static_cast<int>(running.size()))];
        return store_.Transaction([&](Tx& tx) -> Status {
            auto r = tx.GetRun(run);
            if (!r) return std::unexpected(r.error());
            auto events = Events((*r)->audience_id, 1 + Pick(30));
            if (auto n = tx.StageEvents(run, events); !n) return std::unexpected(n.error());
            return {};
        });
    }
    // Completes a running run (its events count from now on), or fails it and discards its events.
    Status FinishRun() {
        if (running.empty()) return {};
        size_t at = static_cast<size_t>(Pick(static_cast<int>(running.size())));
        int64_t run = running[at];
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(at));
        bool complete = Chance(75);
        if (complete) completed.push_back(run);
        return store_.Transaction([&](Tx& tx) -> Status {
            auto r = tx.GetRun(run);
            if (!r) return std::unexpected(r.error());
            Run changed = **r;
            changed.status = complete ? RunStatus::COMPLETED : RunStatus::FAILED;
            changed.finished_at = now_;
            if (auto ok = tx.UpdateRun(changed); !ok) return ok;
            return complete ? Status{} : tx.DiscardStaged(run);
        });
    }
    // Marks some due events: delivered (one by one or many at once), retried, failed or filtered at destination.
    Status Deliver() {
        return store_.Transaction([&](Tx& tx) -> Status {
            auto due = tx.DueEvents(now_ + 10 * kHour, 1 + Pick(40));
            if (!due) return std::unexpected(due.error());
            std::vector<int64_t> many;
            for (const auto& e : *due) {
                Status s;
                switch (Pick(8)) {
                case 0: s = tx.MarkDelivered(e.id, 200); break;
                case 1:
                case 2: many.push_back(e.id); break;
                case 3:
                case 4: s = tx.MarkRetry(e.id, now_ + Pick(2 * static_cast<int>(kHour)), "status 503: busy", 503); break;
                case 5: s = tx.MarkFailed(e.id, "status 400: bad request", 400); break;
                case 6: s = tx.MarkFiltered(e.id, "destination", "event is Joined"); break;
                default: break; // left pending
                }
                if (!s) return s;
            }
            return many.empty() ? Status{} : tx.MarkDeliveredMany(many, 200);
        });
    }
    // Changes made in a transaction that then fails: neither the events nor their totals change.
    Status RolledBack() {
        auto r = store_.Transaction([&](Tx& tx) -> Status {
            auto due = tx.DueEvents(now_ + 10 * kHour, 10);
            if (!due) return std::unexpected(due.error());
            for (const auto& e : *due) (void)tx.MarkDelivered(e.id, 200);
            (void)tx.EnqueueEvents(std::nullopt, Events(std::nullopt, 5));
            if (!running.empty()) {
                auto run = tx.GetRun(running.front());
                Run changed = **run;
                changed.status = RunStatus::COMPLETED;
                (void)tx.UpdateRun(changed);
            }
            return Fail(ErrorCode::INTERNAL, "rolled back on purpose");
        });
        return r ? Fail(ErrorCode::INTERNAL, "the transaction was not rolled back") : Status{};
    }
    Status Note() {
        if (activations.empty()) return {};
        return store_.Transaction([&](Tx& tx) -> Status {
            auto n = tx.NotePendingError(activations[Pick(static_cast<int>(activations.size()))], "held");
            return n ? Status{} : std::unexpected(n.error());
        });
    }
    // What seldom happens: a completed run changes status again (and back, or it is running again), events in any
    // state marked delivered, a filter with no stage.
    Status Rare() {
        if (!completed.empty() && Chance(50)) {
            size_t at = static_cast<size_t>(Pick(static_cast<int>(completed.size())));
            int64_t run = completed[at];
            bool back = Chance(50);
            if (!back) {
                completed.erase(completed.begin() + static_cast<std::ptrdiff_t>(at));
                running.push_back(run);
            }
            return store_.Transaction([&](Tx& tx) -> Status {
                Run r = **tx.GetRun(run);
                r.status = RunStatus::RUNNING;
                if (auto ok = tx.UpdateRun(r); !ok || !back) return ok;
                r.status = RunStatus::COMPLETED;
                return tx.UpdateRun(r);
            });
        }
        if (Chance(50)) {
            // Events in any state marked delivered at once (the drainer marks only pending ones).
            return store_.Transaction([&](Tx& tx) -> Status {
                std::vector<int64_t> ids;
                for (int i = 0; i < 10 && next_message > 0; ++i) {
                    auto e = tx.GetEvent(fmt::format("m{}", Pick(next_message)));
                    if (!e) return std::unexpected(e.error());
                    if (*e) ids.push_back((*e)->id);
                }
                return tx.MarkDeliveredMany(ids, 200);
            });
        }
        return store_.Transaction([&](Tx& tx) -> Status {
            auto due = tx.DueEvents(now_ + 10 * kHour, 1);
            if (!due) return std::unexpected(due.error());
            return due->empty() ? Status{} : tx.MarkFiltered(due->front().id, "", "no stage");
        });
    }

    Store& store_;
    int64_t& now_;
    std::mt19937& rng_;
};

int Seed() {
    const char* v = std::getenv("KITH_TOTALS_SEED");
    return v && *v ? std::atoi(v) : 20261201;
}

TEST_F(OverviewTotals, EqualARecountThroughRandomDeliveriesRetriesFailuresAndFilters) {
    ASSERT_NO_FATAL_FAILURE(Open());
    std::mt19937 rng(static_cast<unsigned>(Seed()));
    int64_t other = *store_->Transaction([](Tx& tx) { return tx.EnsureWorkspace("other"); });
    ASSERT_EQ(other, 2);
    Audience(1, "vip");
    Audience(1, "churn");
    Audience(other, "vip");
    RandomWalk walk(*store_, now_, rng);
    for (auto [workspace, key, audience] : {std::tuple{1, "a_file", "vip"}, std::tuple{1, "b_hook", "vip"},
                                            std::tuple{1, "c_churn", "churn"}, std::tuple{2, "a_file", "vip"}}) {
        int64_t id = Activation(workspace, key, audience);
        walk.activations.push_back(id);
        walk.audience_of[id] = AudienceId(workspace, audience);
    }
    walk.audiences = {AudienceId(1, "vip"), AudienceId(1, "churn"), AudienceId(other, "vip")};

    for (int step = 1; step <= 1500; ++step) {
        auto ok = walk.Step();
        ASSERT_TRUE(ok) << "step " << step << ": " << ok.error().ToString();
        if (step % 100 == 0) {
            ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, fmt::format("seed {} step {}", Seed(), step), walk.activations));
            if (HasFailure()) return;
        }
    }
    auto events = store_->Read([](Tx& tx) { return tx.RecountDeliveryOverview(OverviewFilter{}); });
    ASSERT_TRUE(events);
    int64_t total = 0;
    for (const auto& r : *events) total += r.from_audience;
    EXPECT_GT(total, 1000) << "the walk should leave many events";
}

TEST_F(OverviewTotals, FollowActivationsMovedAndAudiencesAndActivationsDeleted) {
    ASSERT_NO_FATAL_FAILURE(Open());
    std::mt19937 rng(static_cast<unsigned>(Seed()));
    Audience(1, "vip");
    Audience(1, "temp");
    int64_t vip = AudienceId(1, "vip"), temp = AudienceId(1, "temp");
    RandomWalk walk(*store_, now_, rng);
    int64_t kept = Activation(1, "kept", "vip"), moved = Activation(1, "moved", "temp");
    walk.activations = {kept, moved};
    walk.audience_of = {{kept, vip}, {moved, temp}};
    walk.audiences = {vip, temp};
    for (int step = 0; step < 200; ++step) ASSERT_TRUE(walk.Step());
    // A run of temp staging events of `moved` when `moved` goes to vip and temp is deleted with its runs: the
    // events of temp's runs lose their run (ON DELETE SET NULL) and count from then on.
    int64_t run = *store_->CreateRun(temp, "manual");
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StartRun(run, "host:1", std::nullopt); }));
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.StageEvents(run, walk.Events(temp, 25)); }));
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "staged", walk.activations));
    ActivationSpec spec = (*store_->Transaction([&](Tx& tx) { return tx.GetActivationById(moved); }))->spec;
    spec.audience = "vip";
    ASSERT_TRUE(store_->UpsertActivation(1, spec));
    auto before = store_->Read([&](Tx& tx) { return tx.RecountDeliveryOverview(OverviewFilter{}); });
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DeleteAudience(1, "temp"); }));
    auto after = store_->Read([&](Tx& tx) { return tx.DeliveryOverview(OverviewFilter{}); });
    ASSERT_TRUE(before && after);
    EXPECT_NE(Texts(*before), Texts(*after)) << "the deleted run's staged events count now";
    walk.audience_of[moved] = vip;
    walk.audiences = {vip};
    walk.running.clear();
    walk.completed.clear();
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "audience deleted", walk.activations));
    for (int step = 0; step < 200; ++step) ASSERT_TRUE(walk.Step());
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "after more changes", walk.activations));

    // Deleting an activation takes its events and their totals.
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DeleteActivation(1, "kept"); }));
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "activation deleted", {moved}));
    // A new activation under the same key starts from nothing.
    int64_t again = Activation(1, "kept", "vip");
    OverviewFilter f;
    f.activation_id = again;
    auto rows = store_->Read([&](Tx& tx) { return tx.DeliveryOverview(f); });
    ASSERT_TRUE(rows);
    EXPECT_TRUE(rows->empty());
}

TEST_F(OverviewTotals, BucketsFinerThanAMinuteAndRaggedRangesCountTheEventsAtTheEdges) {
    ASSERT_NO_FATAL_FAILURE(Open());
    Audience(1, "vip");
    int64_t a = Activation(1, "a", "vip");
    // Events at :10.000, :40.000 and :59.999 of one minute, and at :00.000 of the next.
    const int64_t minute = kT0 / kMinute * kMinute + 5 * kMinute;
    int i = 0;
    for (int64_t at : {minute + 10'000, minute + 40'000, minute + kMinute - 1, minute + kMinute}) {
        now_ = at;
        std::vector<NewEvent> e = {{a, fmt::format("e{}", i++), "Joined", {{"i", i}}, "", "", ""}};
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(std::nullopt, e); }));
    }
    auto from = [&](std::optional<int64_t> from, std::optional<int64_t> to, int64_t bucket) {
        OverviewFilter f;
        f.from_ms = from;
        f.to_ms = to;
        f.bucket_ms = bucket;
        auto rows = store_->Read([&](Tx& tx) { return tx.DeliveryOverview(f); });
        EXPECT_TRUE(rows) << rows.error().ToString();
        std::vector<std::string> out;
        for (const auto& r : *rows) {
            out.push_back(r.bucket_start == 0 ? fmt::format("-:{}", r.queued)
                                              : fmt::format("{}:{}", (r.bucket_start - minute) / 1000, r.queued));
        }
        return out;
    };
    using Lines = std::vector<std::string>;
    EXPECT_EQ(from(std::nullopt, std::nullopt, 30'000), (Lines{"0:1", "30:2", "60:1"})); // finer than a minute
    EXPECT_EQ(from(minute + 20'000, std::nullopt, kMinute), (Lines{"0:2", "60:1"}));     // a ragged start
    EXPECT_EQ(from(std::nullopt, minute + kMinute - 1, kMinute), (Lines{"0:2"}));        // a ragged end
    EXPECT_EQ(from(minute + 10'001, minute + 40'001, 0), (Lines{"-:1"}));              // no whole minute
    EXPECT_EQ(from(minute + 20'000, minute + kMinute + 1, 0), (Lines{"-:3"}));           // ragged at both ends
    EXPECT_EQ(from(minute + kMinute, minute + kMinute, 0), Lines{});                     // empty
    // Buckets are aligned to the epoch: 10:05 is in the 2-minute bucket from 10:04.
    EXPECT_EQ(from(minute, minute + 2 * kMinute, 2 * kMinute), (Lines{"-60:3", "60:1"}));
}

TEST_F(OverviewTotals, MigrationEightCountsTheEventsAlreadyQueued) {
    // A store at version 7, as an older kith left it: events of a completed run in every state, of a running run,
    // and without a run, over two hours.
    {
        std::string sql = "PRAGMA foreign_keys = ON;" + older_store::SchemaAtVersion(7) + older_store::kVipAudience +
                          older_store::kOneActivation;
        sql += "INSERT INTO runs (id, audience_id, definition_version, status, reason, queued_at) VALUES "
               "(1, 1, 1, 'completed', 'manual', 0), (2, 1, 1, 'running', 'manual', 0);";
        const char* states[] = {"'pending', 0, ''", "'pending', 2, ''", "'delivered', 1, ''", "'failed', 3, ''",
                                "'filtered', 0, 'source'", "'filtered', 0, 'destination'"};
        for (int i = 0; i < 60; ++i) {
            std::string run = i % 3 == 0 ? "NULL" : i % 3 == 1 ? "1" : "2";
            sql += fmt::format("INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, "
                               "attempts, filter_stage, next_attempt_at, created_at) VALUES (1, {}, 'm{}', '{}', "
                               "'{{}}', {}, 0, {});",
                               run, i, i % 2 ? "Joined" : "", states[i % 6], kT0 + i * 2 * kMinute + i * 7);
        }
        ASSERT_EQ(older_store::Write(path_, sql), "");
    }
    ASSERT_NO_FATAL_FAILURE(Open());
    EXPECT_EQ(store_->schema_version(), Store::LatestSchemaVersion());
    now_ = kT0 + 3 * kHour;
    std::mt19937 rng(1);
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "migrated", {1}));
    auto rows = store_->Read([](Tx& tx) { return tx.DeliveryOverview(OverviewFilter{}); });
    ASSERT_TRUE(rows);
    int64_t total = 0;
    for (const auto& r : *rows) total += r.from_audience;
    EXPECT_EQ(total, 40); // not the 20 events of the running run
    // The running run completes: its events join the counts.
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) -> Status {
        store::Run r = **tx.GetRun(2);
        r.status = RunStatus::COMPLETED;
        return tx.UpdateRun(r);
    }));
    ASSERT_NO_FATAL_FAILURE(CheckOverviews(rng, "completed", {1}));
    rows = store_->Read([](Tx& tx) { return tx.DeliveryOverview(OverviewFilter{}); });
    total = 0;
    for (const auto& r : *rows) total += r.from_audience;
    EXPECT_EQ(total, 60);
}

} // namespace
} // namespace kith::store
