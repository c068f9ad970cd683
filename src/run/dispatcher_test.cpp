// The dispatcher drives runs from the scheduler with a fake clock: no test sleeps for a schedule interval.
#include "run/dispatcher.hpp"

#include "common/text.hpp"
#include "graph/builder.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::run {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

schedule::Instant At(const char* iso) {
    std::tm tm{};
    strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return schedule::Instant(std::chrono::seconds(timegm(&tm)));
}

class DispatcherTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_dispatcher_" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        auto wh = warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(wh);
        wh_ = std::move(*wh);
        auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql && wh_->Execute(*sql));
        auto g = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        ASSERT_TRUE(g);
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
        auto s = store::Store::Open((dir_ / "state.sqlite").string());
        ASSERT_TRUE(s);
        store_ = std::move(*s);
        ws_ = *store_->DefaultWorkspace();
        env_ = std::make_unique<Environment>(Environment{*store_, *wh_, *graph_});
    }
    void TearDown() override {
        env_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }
    void Audience(const std::string& key, json schedule, bool enabled) {
        store::AudienceSpec a;
        a.key = key;
        a.name = key;
        a.enabled = enabled;
        a.schedule = std::move(schedule);
        a.definition = json::parse(R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                                       "filter": {"op": "equals", "value": "pro"}}]}]})");
        ASSERT_TRUE(store_->UpsertAudience(ws_, a));
    }
    std::vector<store::Run> Runs(const std::string& key, int limit = 50) {
        auto a = store_->GetAudience(ws_, key);
        auto r = store_->LastRuns((*a)->id, limit);
        return *r;
    }

    fs::path dir_;
    std::unique_ptr<warehouse::Warehouse> wh_;
    std::unique_ptr<graph::DataGraph> graph_;
    std::unique_ptr<store::Store> store_;
    int64_t ws_ = 0;
    std::unique_ptr<Environment> env_;
};

TEST_F(DispatcherTest, SchedulesEnableAndRunNowDriveRuns) {
    schedule::FakeClock clock(At("2026-01-01T00:10:00Z"));
    Audience("hourly", {{"type", "interval"}, {"every", "1h"}}, true);
    Audience("by_hand", {{"type", "manual"}}, true);
    Audience("later", {{"type", "interval"}, {"every", "15m"}}, false);
    Dispatcher d(*env_, ws_, Settings{}, {.max_concurrent = 5}, clock);
    ASSERT_TRUE(d.Sync());

    // Starting restores state: nothing runs before its slot.
    auto none = d.Step();
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());

    // The next wake is the hourly slot at 01:00 plus at most 5 minutes of spread.
    auto wake = d.NextWake();
    ASSERT_TRUE(wake);
    EXPECT_GE(*wake, At("2026-01-01T01:00:00Z"));
    EXPECT_LE(*wake, At("2026-01-01T01:05:00Z"));
    clock.Set(*wake - 1s);
    EXPECT_TRUE(d.Step()->empty());
    clock.Set(*wake);
    auto ran = d.Step();
    ASSERT_TRUE(ran);
    ASSERT_EQ(ran->size(), 1u);
    EXPECT_EQ((*ran)[0].reason, "scheduled");
    EXPECT_EQ((*ran)[0].status, store::RunStatus::COMPLETED) << (*ran)[0].error;
    EXPECT_EQ((*ran)[0].summary["members"], 3); // p1, p3 (pro) and p4 (pro at seq 3 ties, "pro" > "free")

    // Enabling an audience triggers a run.
    Audience("later", {{"type", "interval"}, {"every", "15m"}}, true);
    ASSERT_TRUE(d.Sync());
    ran = d.Step();
    ASSERT_EQ(ran->size(), 1u);
    EXPECT_EQ((*ran)[0].reason, "enabled");

    // "Run now" works on a manual schedule; a manual audience never runs by itself.
    clock.Advance(10h);
    ran = d.Step();
    for (const auto& r : *ran) EXPECT_NE(r.audience_id, (*store_->GetAudience(ws_, "by_hand"))->id);
    ASSERT_TRUE(d.RunNow("by_hand"));
    ran = d.Step();
    ASSERT_EQ(ran->size(), 1u);
    EXPECT_EQ((*ran)[0].reason, "manual");

    // Slots missed while nothing ticked run once, as the latest of them.
    EXPECT_EQ(Runs("later").size(), 2u);

    // Disabled: no more runs.
    Audience("hourly", {{"type", "interval"}, {"every", "1h"}}, false);
    ASSERT_TRUE(d.Sync());
    size_t before = Runs("hourly").size();
    clock.Advance(5h);
    ASSERT_TRUE(d.Step());
    EXPECT_EQ(Runs("hourly").size(), before);
}

TEST_F(DispatcherTest, HistoryListsTheLastFiftyRunsNewestFirst) {
    schedule::FakeClock clock(At("2026-01-01T00:00:00Z"));
    Audience("often", {{"type", "interval"}, {"every", "15m"}}, true);
    Dispatcher d(*env_, ws_, Settings{}, {.max_concurrent = 5}, clock);
    ASSERT_TRUE(d.Sync());
    for (int i = 0; i < 55; ++i) {
        auto wake = d.NextWake();
        ASSERT_TRUE(wake);
        clock.Set(*wake);
        auto ran = d.Step();
        ASSERT_TRUE(ran);
        ASSERT_EQ(ran->size(), 1u) << "at step " << i;
    }
    auto runs = Runs("often");
    ASSERT_EQ(runs.size(), 50u);
    for (size_t i = 1; i < runs.size(); ++i) EXPECT_GT(runs[i - 1].id, runs[i].id);
    // Only the first run had changes (everyone entered); the others show no step values.
    EXPECT_TRUE(RunHistoryEntry(runs[0])["steps"].is_null());
    auto all = Runs("often", 100);
    ASSERT_EQ(all.size(), 55u);
    EXPECT_FALSE(RunHistoryEntry(all.back())["steps"].is_null());
    // The warehouse keeps the last snapshots only (keep_snapshots = 5 by default).
    auto kept = store_->Transaction([&](store::Tx& tx) { return tx.Snapshots(all[0].audience_id); });
    EXPECT_EQ(kept->size(), 5u);
}

TEST_F(DispatcherTest, AStopThatInterruptsAWarehouseQuerySaysTheServiceStopped) {
    schedule::FakeClock clock(At("2026-01-01T00:10:00Z"));
    Audience("first", {{"type", "manual"}}, true);
    // The stop arrives while the snapshot query runs (after the step's own stop check); the query then fails with
    // the warehouse's words (here: the traits table has gone, as an interrupted query fails with "Interrupted!").
    bool armed = false;
    int asked = 0;
    Settings s;
    s.checkpoint = [&](const std::string& step) {
        if (armed || step != "snapshot") return;
        armed = true;
        ASSERT_TRUE(wh_->Execute("ALTER TABLE segment.user_traits RENAME TO user_traits_gone"));
    };
    s.stop = [&] { return armed && asked++ > 0; };
    Dispatcher d(*env_, ws_, s, {.max_concurrent = 1}, clock);
    ASSERT_TRUE(d.Sync());
    ASSERT_TRUE(d.RunNow("first"));
    auto ran = d.Step();
    ASSERT_TRUE(ran) << ran.error().ToString();
    ASSERT_EQ(ran->size(), 1u);
    EXPECT_EQ((*ran)[0].status, store::RunStatus::FAILED);
    EXPECT_TRUE((*ran)[0].error.starts_with(kStoppedMessage)) << (*ran)[0].error;
    EXPECT_NE((*ran)[0].error.find("user_traits"), std::string::npos) << "the warehouse's error is kept: " << (*ran)[0].error;
}

TEST_F(DispatcherTest, StoppingFailsTheRunningRunAtItsNextStepAndStartsNoOther) {
    schedule::FakeClock clock(At("2026-01-01T00:10:00Z"));
    Audience("first", {{"type", "manual"}}, true);
    Audience("second", {{"type", "manual"}}, true);
    bool stopping = false;
    std::vector<std::string> steps;
    Settings s;
    s.checkpoint = [&](const std::string& name) {
        steps.push_back(name);
        if (name == "snapshot") stopping = true; // SIGTERM arrives while the first run takes its snapshot
    };
    s.stop = [&] { return stopping; };
    {
        Dispatcher d(*env_, ws_, s, {.max_concurrent = 1}, clock);
        ASSERT_TRUE(d.Sync());
        ASSERT_TRUE(d.RunNow("first"));
        ASSERT_TRUE(d.RunNow("second"));
        auto ran = d.Step();
        ASSERT_TRUE(ran) << ran.error().ToString();
        ASSERT_EQ(ran->size(), 1u);
        EXPECT_EQ((*ran)[0].status, store::RunStatus::FAILED);
        EXPECT_EQ((*ran)[0].error, kStoppedMessage);
        EXPECT_EQ(steps, std::vector<std::string>{"snapshot"}) << "the run went on past the step where it stopped";
        // Queued behind it, the other audience did not start (no run of it exists).
        EXPECT_TRUE(Runs("second").empty());
        EXPECT_TRUE(d.Step()->empty());
    }
    // The next process runs both; the first finds the same baseline (none), so everyone enters.
    stopping = false;
    s.checkpoint = nullptr;
    Dispatcher next(*env_, ws_, s, {.max_concurrent = 1}, clock);
    ASSERT_TRUE(next.Sync());
    ASSERT_TRUE(next.RunNow("first"));
    ASSERT_TRUE(next.RunNow("second"));
    std::vector<store::Run> done;
    for (int i = 0; i < 3 && done.size() < 2; ++i) {
        auto ran = next.Step();
        ASSERT_TRUE(ran);
        done.insert(done.end(), ran->begin(), ran->end());
    }
    ASSERT_EQ(done.size(), 2u);
    for (const auto& r : done) {
        EXPECT_EQ(r.status, store::RunStatus::COMPLETED) << r.error;
        EXPECT_EQ(r.summary["members"], 3);
        EXPECT_EQ(r.summary["profiles"]["entered"], 3) << r.summary.dump();
    }
}

} // namespace
} // namespace kith::run
