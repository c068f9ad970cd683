#include "schedule/clock.hpp"
#include "schedule/scheduler.hpp"
#include "schedule/test_util.hpp"

#include <gtest/gtest.h>

namespace kith::schedule {
namespace {

using namespace std::chrono_literals;
using testing::Parse;
using testing::T;
using testing::Utc;

const Schedule kManual = Parse(R"({"type": "manual"})");
const Schedule kHourly = Parse(R"({"type": "interval", "every": "1h"})");
const Schedule kQuarterly = Parse(R"({"type": "interval", "every": "15m"})");

// Runs as "key reason slot" lines, to compare as data.
std::vector<std::string> Lines(const std::vector<RunStart>& runs) {
    std::vector<std::string> out;
    for (const auto& r : runs)
        out.push_back(r.audience + " " + std::string(ReasonName(r.reason)) + " " + Utc(r.slot));
    return out;
}
using L = std::vector<std::string>;

// A scheduler driven by a fake clock, as the service drives it with the system clock.
struct Driver {
    FakeClock clock{T("2025-03-10 09:10")};
    Scheduler scheduler;
    explicit Driver(int max_concurrent = 5) : scheduler(SchedulerOptions{max_concurrent}) {}

    void Add(const std::string& key, const Schedule& s, bool enabled = true) {
        ASSERT_TRUE(scheduler.Add(key, s, enabled, clock.Now()));
    }
    std::vector<std::string> At(const std::string& when) {
        clock.Set(T(when));
        return Lines(scheduler.Tick(clock.Now()));
    }
    void Finish(const std::string& key, const std::string& when) {
        clock.Set(T(when));
        ASSERT_TRUE(scheduler.Finished(key, clock.Now())) << key;
    }
    AudienceStatus Status(const std::string& key) { return *scheduler.Inspect(key); }
};

TEST(Scheduler, ScheduledRunStartsAtItsSlotPlusSpread) {
    Driver d;
    d.Add("a", kHourly);
    const auto spread = SpreadOffset("a");
    AudienceStatus s = d.Status("a");
    EXPECT_EQ(s.state, AudienceState::PLANNED);
    EXPECT_EQ(Utc(s.next_slot), "2025-03-10 10:00:00");
    EXPECT_EQ(s.next_start, T("2025-03-10 10:00") + spread);
    EXPECT_EQ(d.scheduler.NextWake(), T("2025-03-10 10:00") + spread);
    // Adding an enabled audience restores it: no immediate run.
    EXPECT_EQ(d.At("2025-03-10 09:59:59"), L{});
    if (spread > 0s) {
        EXPECT_EQ(Lines(d.scheduler.Tick(T("2025-03-10 10:00") + spread - 1s)), L{});
    }
    EXPECT_EQ(Lines(d.scheduler.Tick(T("2025-03-10 10:00") + spread)), L{"a scheduled 2025-03-10 10:00:00"});
    EXPECT_EQ(d.Status("a").state, AudienceState::RUNNING);
    EXPECT_EQ(d.scheduler.NextWake(), std::nullopt);
    d.Finish("a", "2025-03-10 10:20");
    EXPECT_EQ(Utc(d.Status("a").next_slot), "2025-03-10 11:00:00");
}

TEST(Scheduler, AddingWithinTheSpreadWindowKeepsTheSlot) {
    // A restart after a slot but before the audience's start for it still runs that slot.
    std::string key;
    for (int i = 0; key.empty(); ++i) {
        if (SpreadOffset("k" + std::to_string(i)) >= 60s)
            key = "k" + std::to_string(i);
    }
    const auto spread = SpreadOffset(key);
    Scheduler s;
    ASSERT_TRUE(s.Add(key, kHourly, true, T("2025-03-10 10:00") + spread - 1s));
    EXPECT_EQ(Utc(s.Inspect(key)->next_slot), "2025-03-10 10:00:00");
    Scheduler late;
    ASSERT_TRUE(late.Add(key, kHourly, true, T("2025-03-10 10:00") + spread));
    EXPECT_EQ(Utc(late.Inspect(key)->next_slot), "2025-03-10 11:00:00");
}

TEST(Scheduler, EnableTriggersARun) {
    Driver d;
    d.Add("a", kHourly, false);
    EXPECT_EQ(d.Status("a").state, AudienceState::IDLE);
    EXPECT_EQ(d.At("2025-03-10 12:00"), L{}); // disabled: no slot
    ASSERT_TRUE(d.scheduler.Enable("a", T("2025-03-10 12:10")));
    EXPECT_EQ(d.Status("a").state, AudienceState::QUEUED);
    EXPECT_EQ(d.At("2025-03-10 12:10"), L{"a enabled 2025-03-10 12:10:00"});
    // The next scheduled run is planned when this one finishes, not before.
    EXPECT_EQ(d.Status("a").next_slot, std::nullopt);
    d.Finish("a", "2025-03-10 12:12");
    EXPECT_EQ(Utc(d.Status("a").next_slot), "2025-03-10 13:00:00");
    // Enabling an enabled audience does nothing.
    ASSERT_TRUE(d.scheduler.Enable("a", T("2025-03-10 12:13")));
    EXPECT_EQ(d.At("2025-03-10 12:13"), L{});
}

TEST(Scheduler, RunNowOnAManualSchedule) {
    Driver d;
    d.Add("m", kManual);
    EXPECT_EQ(d.Status("m").state, AudienceState::IDLE);
    EXPECT_EQ(d.scheduler.NextWake(), std::nullopt);
    EXPECT_EQ(d.At("2025-03-20 00:00"), L{}); // never runs by itself
    ASSERT_TRUE(d.scheduler.RunNow("m", T("2025-03-20 08:00")));
    EXPECT_EQ(d.scheduler.NextWake(), T("2025-03-20 08:00"));
    EXPECT_EQ(d.At("2025-03-20 08:00"), L{"m manual 2025-03-20 08:00:00"});
    d.Finish("m", "2025-03-20 08:01");
    EXPECT_EQ(d.Status("m").state, AudienceState::IDLE);
    EXPECT_EQ(d.At("2025-03-30 00:00"), L{});
}

TEST(Scheduler, RunNowOnAScheduledAudienceReplacesItsPlannedSlot) {
    Driver d;
    d.Add("a", kHourly);
    ASSERT_TRUE(d.scheduler.RunNow("a", T("2025-03-10 09:30")));
    EXPECT_EQ(d.At("2025-03-10 09:30"), L{"a manual 2025-03-10 09:30:00"});
    // The 10:00 slot passes while it runs: skipped, not queued behind it.
    EXPECT_EQ(d.At("2025-03-10 10:30"), L{});
    d.Finish("a", "2025-03-10 10:31");
    EXPECT_EQ(Utc(d.Status("a").next_slot), "2025-03-10 11:00:00");
}

TEST(Scheduler, RunNowWhileQueuedOrRunning) {
    Driver d(1);
    d.Add("a", kManual);
    d.Add("b", kManual);
    ASSERT_TRUE(d.scheduler.RunNow("a", T("2025-03-10 09:00")));
    ASSERT_TRUE(d.scheduler.RunNow("b", T("2025-03-10 09:00")));
    EXPECT_EQ(d.At("2025-03-10 09:00"), L{"a manual 2025-03-10 09:00:00"});
    // b is queued: asking again changes nothing.
    ASSERT_TRUE(d.scheduler.RunNow("b", T("2025-03-10 09:01")));
    EXPECT_EQ(d.scheduler.Queued(), std::vector<std::string>{"b"});
    // a is running: one more run after it, however often asked.
    ASSERT_TRUE(d.scheduler.RunNow("a", T("2025-03-10 09:02")));
    ASSERT_TRUE(d.scheduler.RunNow("a", T("2025-03-10 09:03")));
    EXPECT_TRUE(d.Status("a").follow_up);
    EXPECT_EQ(d.At("2025-03-10 09:04"), L{});
    d.Finish("a", "2025-03-10 09:05");
    EXPECT_EQ(d.scheduler.Queued(), (std::vector<std::string>{"b", "a"}));
    EXPECT_EQ(d.At("2025-03-10 09:05"), L{"b manual 2025-03-10 09:00:00"});
    d.Finish("b", "2025-03-10 09:06");
    EXPECT_EQ(d.At("2025-03-10 09:06"), L{"a manual 2025-03-10 09:02:00"});
    d.Finish("a", "2025-03-10 09:07");
    EXPECT_EQ(d.At("2025-03-10 10:00"), L{});
}

TEST(Scheduler, ConcurrencyLimitAndFifoQueue) {
    Driver d(2);
    // Seven manual audiences asked to run one a minute apart, in an order unlike their keys.
    const std::vector<std::string> keys = {"g", "c", "e", "a", "f", "b", "d"};
    for (size_t i = 0; i < keys.size(); ++i) {
        d.Add(keys[i], kManual);
        ASSERT_TRUE(d.scheduler.RunNow(keys[i], T("2025-03-10 09:00") + std::chrono::minutes(i)));
    }
    EXPECT_EQ(d.At("2025-03-10 09:10"), (L{"g manual 2025-03-10 09:00:00", "c manual 2025-03-10 09:01:00"}));
    EXPECT_EQ(d.scheduler.Running(), 2);
    EXPECT_EQ(d.scheduler.Queued(), (std::vector<std::string>{"e", "a", "f", "b", "d"}));
    EXPECT_EQ(d.scheduler.NextWake(), std::nullopt); // only a finished run frees a place
    EXPECT_EQ(d.At("2025-03-10 09:11"), L{});
    d.Finish("c", "2025-03-10 09:12");
    EXPECT_EQ(d.At("2025-03-10 09:12"), L{"e manual 2025-03-10 09:02:00"});
    d.Finish("g", "2025-03-10 09:13");
    d.Finish("e", "2025-03-10 09:13");
    EXPECT_EQ(d.At("2025-03-10 09:13"), (L{"a manual 2025-03-10 09:03:00", "f manual 2025-03-10 09:04:00"}));
    EXPECT_EQ(d.scheduler.Running(), 2);
    d.Finish("a", "2025-03-10 09:14");
    d.Finish("f", "2025-03-10 09:14");
    EXPECT_EQ(d.At("2025-03-10 09:14"), (L{"b manual 2025-03-10 09:05:00", "d manual 2025-03-10 09:06:00"}));
}

TEST(Scheduler, DefaultLimitIsFive) {
    Driver d;
    for (int i = 0; i < 8; ++i)
        d.Add("a" + std::to_string(i), kHourly);
    // All eight are due by 10:05 (spreads are under 5 minutes); five start, three queue in order of start.
    const auto started = d.At("2025-03-10 10:05");
    EXPECT_EQ(started.size(), 5u);
    EXPECT_EQ(d.scheduler.Running(), 5);
    EXPECT_EQ(d.scheduler.Queued().size(), 3u);
    // The queue is in order of due time (slot + spread).
    std::vector<std::pair<std::chrono::seconds, std::string>> by_start;
    for (int i = 0; i < 8; ++i)
        by_start.emplace_back(SpreadOffset("a" + std::to_string(i)), "a" + std::to_string(i));
    std::sort(by_start.begin(), by_start.end());
    std::vector<std::string> expected_started, expected_queued;
    for (size_t i = 0; i < by_start.size(); ++i)
        (i < 5 ? expected_started : expected_queued).push_back(by_start[i].second + " scheduled 2025-03-10 10:00:00");
    EXPECT_EQ(started, expected_started);
    std::vector<std::string> queued;
    for (const auto& k : d.scheduler.Queued())
        queued.push_back(k + " scheduled 2025-03-10 10:00:00");
    EXPECT_EQ(queued, expected_queued);
}

TEST(Scheduler, OverrunningRunSkipsTheSlotsItCovers) {
    Driver d;
    d.Add("a", kQuarterly);
    const auto spread = SpreadOffset("a");
    EXPECT_EQ(d.At("2025-03-10 09:20"), L{"a scheduled 2025-03-10 09:15:00"});
    // Slots 09:30 to 10:00 come while it runs: nothing starts, nothing queues.
    EXPECT_EQ(d.At("2025-03-10 09:45"), L{});
    EXPECT_EQ(d.At("2025-03-10 10:05"), L{});
    EXPECT_EQ(d.scheduler.Queued(), std::vector<std::string>{});
    // It ends at 10:07: the next run is the first slot whose start is after the end.
    d.Finish("a", "2025-03-10 10:07");
    const std::string next =
        T("2025-03-10 10:00") + spread > T("2025-03-10 10:07") ? "2025-03-10 10:00:00" : "2025-03-10 10:15:00";
    EXPECT_EQ(Utc(d.Status("a").next_slot), next);
    EXPECT_EQ(d.At("2025-03-10 10:20"), L{"a scheduled " + next});
}

TEST(Scheduler, RunFinishingWithinTheSpreadOfTheNextSlotKeepsIt) {
    // "a" starts at slot + spread; find a key with a large spread to test the rule exactly.
    std::string key;
    for (int i = 0; key.empty(); ++i) {
        if (SpreadOffset("k" + std::to_string(i)) >= 120s)
            key = "k" + std::to_string(i);
    }
    const auto spread = SpreadOffset(key);
    Driver d;
    d.Add(key, kHourly);
    EXPECT_EQ(Lines(d.scheduler.Tick(T("2025-03-10 10:00") + spread)), L{key + " scheduled 2025-03-10 10:00:00"});
    // Ends one second before the 11:00 slot's start: that slot is kept.
    ASSERT_TRUE(d.scheduler.Finished(key, T("2025-03-10 11:00") + spread - 1s));
    EXPECT_EQ(Utc(d.Status(key).next_slot), "2025-03-10 11:00:00");
    EXPECT_EQ(Lines(d.scheduler.Tick(T("2025-03-10 11:00") + spread)), L{key + " scheduled 2025-03-10 11:00:00"});
    // Ends exactly at the 12:00 slot's start: that slot is skipped.
    ASSERT_TRUE(d.scheduler.Finished(key, T("2025-03-10 12:00") + spread));
    EXPECT_EQ(Utc(d.Status(key).next_slot), "2025-03-10 13:00:00");
}

TEST(Scheduler, NeverTwoRunsOfOneAudience) {
    // Whatever happens (slots, run now, enable, disable), an audience is started again only after Finished.
    Driver d(3);
    d.Add("a", kQuarterly);
    d.Add("b", kHourly, false);
    std::map<std::string, bool> running;
    Instant t = T("2025-03-10 09:00");
    for (int step = 0; step < 400; ++step, t += 7min) {
        for (const std::string key : {"a", "b"}) {
            if (step % 5 == 0)
                (void)d.scheduler.RunNow(key, t);
            if (step % 13 == 0) {
                ASSERT_TRUE(d.scheduler.Enable(key, t));
            }
            if (step % 17 == 0) {
                ASSERT_TRUE(d.scheduler.Disable(key));
            }
        }
        for (const auto& r : d.scheduler.Tick(t)) {
            ASSERT_FALSE(running[r.audience]) << r.audience << " started twice at " << Utc(t);
            running[r.audience] = true;
        }
        // Runs last 7 to 35 minutes.
        for (auto& [key, on] : running) {
            if (on && (step + key[0]) % 5 == 0) {
                ASSERT_TRUE(d.scheduler.Finished(key, t));
                on = false;
            }
        }
        ASSERT_LE(d.scheduler.Running(), 3);
    }
}

TEST(Scheduler, DisableDropsQueuedRunsButLetsTheRunningOneFinish) {
    Driver d(1);
    d.Add("a", kManual);
    d.Add("b", kHourly);
    ASSERT_TRUE(d.scheduler.RunNow("a", T("2025-03-10 09:00")));
    EXPECT_EQ(d.At("2025-03-10 09:00"), L{"a manual 2025-03-10 09:00:00"});
    EXPECT_EQ(d.At("2025-03-10 10:05"), L{}); // b queued behind a
    EXPECT_EQ(d.scheduler.Queued(), std::vector<std::string>{"b"});
    ASSERT_TRUE(d.scheduler.Disable("b"));
    ASSERT_TRUE(d.scheduler.Disable("a"));
    EXPECT_EQ(d.scheduler.Queued(), std::vector<std::string>{});
    EXPECT_EQ(d.Status("a").state, AudienceState::RUNNING);
    EXPECT_EQ(d.Status("b").state, AudienceState::IDLE);
    d.Finish("a", "2025-03-10 10:10");
    EXPECT_EQ(d.Status("a").state, AudienceState::IDLE);
    EXPECT_EQ(d.At("2025-03-11 00:00"), L{});
    // Run now on a disabled audience is refused.
    auto refused = d.scheduler.RunNow("b", T("2025-03-11 00:00"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::INVALID);
}

TEST(Scheduler, ReEnablingWhileTheOldRunFinishesRunsAfterIt) {
    Driver d;
    d.Add("a", kHourly);
    EXPECT_EQ(d.At("2025-03-10 10:05"), L{"a scheduled 2025-03-10 10:00:00"});
    ASSERT_TRUE(d.scheduler.Disable("a"));
    ASSERT_TRUE(d.scheduler.Enable("a", T("2025-03-10 10:06")));
    EXPECT_EQ(d.At("2025-03-10 10:06"), L{}); // not alongside the running one
    d.Finish("a", "2025-03-10 10:08");
    EXPECT_EQ(d.At("2025-03-10 10:08"), L{"a enabled 2025-03-10 10:06:00"});
}

TEST(Scheduler, MissedSlotsRunOnceAsTheLatest) {
    // The service was down from 09:00 to 15:40: one run, for the 15:00 slot.
    Driver d;
    d.Add("a", kHourly);
    EXPECT_EQ(d.At("2025-03-10 15:40"), L{"a scheduled 2025-03-10 15:00:00"});
    EXPECT_EQ(d.At("2025-03-10 15:41"), L{});
}

TEST(Scheduler, DaysScheduleAcrossSpringForward) {
    // Daily 02:30 in Paris over the 30 March 2025 change: 01:30, 01:00 (after the gap), 00:30 UTC.
    Driver d;
    d.clock.Set(T("2025-03-28 12:00"));
    d.Add("p", Parse(R"({"type":"days","days":["mon","tue","wed","thu","fri","sat","sun"],"time":"02:30",
                         "timezone":"Europe/Paris"})"));
    std::vector<std::string> slots;
    for (int i = 0; i < 3; ++i) {
        const auto wake = d.scheduler.NextWake();
        ASSERT_TRUE(wake);
        d.clock.Set(*wake);
        for (const auto& r : d.scheduler.Tick(d.clock.Now()))
            slots.push_back(Utc(r.slot));
        d.clock.Advance(10min);
        ASSERT_TRUE(d.scheduler.Finished("p", d.clock.Now()));
    }
    EXPECT_EQ(slots, (L{"2025-03-29 01:30:00", "2025-03-30 01:00:00", "2025-03-31 00:30:00"}));
}

TEST(Scheduler, SetScheduleReplansFromNow) {
    Driver d;
    d.Add("a", kHourly);
    ASSERT_TRUE(d.scheduler.SetSchedule("a", kQuarterly, T("2025-03-10 09:05")));
    EXPECT_EQ(Utc(d.Status("a").next_slot), "2025-03-10 09:15:00");
    ASSERT_TRUE(d.scheduler.SetSchedule("a", kManual, T("2025-03-10 09:06")));
    EXPECT_EQ(d.Status("a").state, AudienceState::IDLE);
}

TEST(Scheduler, Errors) {
    Scheduler s;
    EXPECT_EQ(s.Add("", kManual, true, T("2025-03-10 09:00")).error().code, ErrorCode::USAGE);
    ASSERT_TRUE(s.Add("a", kManual, true, T("2025-03-10 09:00")));
    EXPECT_EQ(s.Add("a", kManual, true, T("2025-03-10 09:00")).error().code, ErrorCode::INVALID);
    EXPECT_EQ(s.RunNow("x", T("2025-03-10 09:00")).error().code, ErrorCode::NOT_FOUND);
    EXPECT_EQ(s.Enable("x", T("2025-03-10 09:00")).error().code, ErrorCode::NOT_FOUND);
    EXPECT_EQ(s.Disable("x").error().code, ErrorCode::NOT_FOUND);
    EXPECT_EQ(s.Finished("x", T("2025-03-10 09:00")).error().code, ErrorCode::NOT_FOUND);
    EXPECT_EQ(s.Finished("a", T("2025-03-10 09:00")).error().code, ErrorCode::INVALID); // not running
    EXPECT_EQ(s.Inspect("x").error().code, ErrorCode::NOT_FOUND);
}

} // namespace
} // namespace kith::schedule
