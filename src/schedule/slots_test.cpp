#include "schedule/schedule.hpp"
#include "schedule/test_util.hpp"

#include <gtest/gtest.h>

#include <set>

namespace kith::schedule {
namespace {

using namespace std::chrono_literals;
using testing::Parse;
using testing::T;
using testing::Utc;

Schedule Every(const std::string& every) {
    return Parse(R"({"type": "interval", "every": ")" + every + R"("})");
}

Schedule Days(const std::string& days, const std::string& time, const std::string& zone) {
    return Parse(R"({"type": "days", "days": )" + days + R"(, "time": ")" + time + R"(", "timezone": ")" + zone +
                 R"("})");
}

// The next `n` slots after `from`, as UTC text.
std::vector<std::string> Slots(const Schedule& s, const std::string& from, int n) {
    std::vector<std::string> out;
    Instant t = T(from);
    for (int i = 0; i < n; ++i) {
        auto next = NextSlot(s, t);
        if (!next)
            break;
        out.push_back(Utc(*next));
        t = *next;
    }
    return out;
}

using Lines = std::vector<std::string>;

TEST(ScheduleManual, HasNoSlot) {
    EXPECT_EQ(NextSlot(Parse(R"({"type": "manual"})"), T("2025-01-01 00:00")), std::nullopt);
}

TEST(ScheduleInterval, AlignedToUtcLikeCron) {
    // From 09:17:30 UTC on 10 March 2025, the next slots of each interval.
    const std::string from = "2025-03-10 09:17:30";
    EXPECT_EQ(Slots(Every("15m"), from, 3),
              (Lines{"2025-03-10 09:30:00", "2025-03-10 09:45:00", "2025-03-10 10:00:00"}));
    EXPECT_EQ(Slots(Every("30m"), from, 3),
              (Lines{"2025-03-10 09:30:00", "2025-03-10 10:00:00", "2025-03-10 10:30:00"}));
    EXPECT_EQ(Slots(Every("1h"), from, 2), (Lines{"2025-03-10 10:00:00", "2025-03-10 11:00:00"}));
    EXPECT_EQ(Slots(Every("2h"), from, 2), (Lines{"2025-03-10 10:00:00", "2025-03-10 12:00:00"}));
    EXPECT_EQ(Slots(Every("4h"), from, 2), (Lines{"2025-03-10 12:00:00", "2025-03-10 16:00:00"}));
    EXPECT_EQ(Slots(Every("6h"), from, 3),
              (Lines{"2025-03-10 12:00:00", "2025-03-10 18:00:00", "2025-03-11 00:00:00"}));
    EXPECT_EQ(Slots(Every("8h"), from, 3),
              (Lines{"2025-03-10 16:00:00", "2025-03-11 00:00:00", "2025-03-11 08:00:00"}));
    EXPECT_EQ(Slots(Every("12h"), from, 2), (Lines{"2025-03-10 12:00:00", "2025-03-11 00:00:00"}));
    EXPECT_EQ(Slots(Every("1d"), from, 2), (Lines{"2025-03-11 00:00:00", "2025-03-12 00:00:00"}));
}

TEST(ScheduleInterval, NextSlotIsStrictlyAfter) {
    EXPECT_EQ(Utc(NextSlot(Every("15m"), T("2025-03-10 10:15"))), "2025-03-10 10:30:00");
    EXPECT_EQ(Utc(NextSlot(Every("15m"), T("2025-03-10 10:14:59"))), "2025-03-10 10:15:00");
    EXPECT_EQ(Utc(NextSlot(Every("1d"), T("2025-03-10 00:00"))), "2025-03-11 00:00:00");
    EXPECT_EQ(Utc(NextSlot(Every("1d"), T("2025-12-31 23:59:59"))), "2026-01-01 00:00:00");
}

TEST(ScheduleInterval, EveryIntervalAtEveryMinuteOfADay) {
    // For each allowed interval and each second-offset minute of a whole day: the slot is after, aligned to
    // 00:00 UTC, and no aligned slot lies between.
    for (const auto& [name, every] : kIntervals) {
        const Schedule s = Every(std::string(name));
        for (Instant t = T("2025-06-01 00:00"); t < T("2025-06-02 00:00"); t += 1min + 7s) {
            const auto next = NextSlot(s, t);
            ASSERT_TRUE(next);
            EXPECT_GT(*next, t) << name;
            EXPECT_LE(*next - std::chrono::seconds(every), t) << name;
            EXPECT_EQ((*next - std::chrono::floor<std::chrono::days>(*next)) % every, 0s) << name;
        }
    }
}

TEST(ScheduleInterval, UtcIsNotShiftedByLocalTimeChanges) {
    // Hourly at :00 UTC through the Paris and New York changes: no hour skipped or repeated.
    EXPECT_EQ(Slots(Every("1h"), "2025-03-30 00:30", 3),
              (Lines{"2025-03-30 01:00:00", "2025-03-30 02:00:00", "2025-03-30 03:00:00"}));
}

TEST(ScheduleDays, SeveralWeekdays) {
    // Monday and Thursday 08:00 in Paris (CET, UTC+1, in February): Mon 3, Thu 6, Mon 10, Thu 13 February 2025.
    EXPECT_EQ(Slots(Days(R"(["mon", "thu"])", "08:00", "Europe/Paris"), "2025-02-01 12:00", 4),
              (Lines{"2025-02-03 07:00:00", "2025-02-06 07:00:00", "2025-02-10 07:00:00", "2025-02-13 07:00:00"}));
    // Every day: from just before a slot, the same day's slot; from the slot itself, the next day's.
    const Schedule daily = Days(R"(["mon","tue","wed","thu","fri","sat","sun"])", "08:00", "Europe/Paris");
    EXPECT_EQ(Utc(NextSlot(daily, T("2025-02-03 06:59:59"))), "2025-02-03 07:00:00");
    EXPECT_EQ(Utc(NextSlot(daily, T("2025-02-03 07:00:00"))), "2025-02-04 07:00:00");
    // One day a week: a full week ahead from the slot itself.
    EXPECT_EQ(Utc(NextSlot(Days(R"(["mon"])", "08:00", "Europe/Paris"), T("2025-02-03 07:00"))), "2025-02-10 07:00:00");
}

TEST(ScheduleDays, WeekdayIsTheLocalOne) {
    // Monday 08:00 in Kolkata (UTC+05:30) is Monday 02:30 UTC; Monday 08:00 in Auckland (UTC+13 in January)
    // is Sunday 19:00 UTC.
    EXPECT_EQ(Utc(NextSlot(Days(R"(["mon"])", "08:00", "Asia/Kolkata"), T("2025-01-01 00:00"))), "2025-01-06 02:30:00");
    EXPECT_EQ(Utc(NextSlot(Days(R"(["mon"])", "08:00", "Pacific/Auckland"), T("2025-01-01 00:00"))),
              "2025-01-05 19:00:00");
    // Sunday 20:00 in Los Angeles (UTC-8) is Monday 04:00 UTC.
    EXPECT_EQ(Utc(NextSlot(Days(R"(["sun"])", "20:00", "America/Los_Angeles"), T("2025-01-06 00:00"))),
              "2025-01-06 04:00:00");
}

TEST(ScheduleDays, HalfHourZoneWithoutDst) {
    // Asia/Kolkata is UTC+05:30 all year: 08:00 local is 02:30 UTC every day, every season.
    const Schedule s = Days(R"(["mon","tue","wed","thu","fri","sat","sun"])", "08:00", "Asia/Kolkata");
    EXPECT_EQ(Slots(s, "2025-03-29 00:00", 3),
              (Lines{"2025-03-29 02:30:00", "2025-03-30 02:30:00", "2025-03-31 02:30:00"}));
    EXPECT_EQ(Slots(s, "2025-10-25 12:00", 2), (Lines{"2025-10-26 02:30:00", "2025-10-27 02:30:00"}));
}

TEST(ScheduleDays, ParisSpringForward) {
    // 30 March 2025: 02:00 CET becomes 03:00 CEST (01:00 UTC). 08:00 moves from 07:00 to 06:00 UTC.
    const Schedule at8 = Days(R"(["sat","sun","mon"])", "08:00", "Europe/Paris");
    EXPECT_EQ(Slots(at8, "2025-03-28 12:00", 3),
              (Lines{"2025-03-29 07:00:00", "2025-03-30 06:00:00", "2025-03-31 06:00:00"}));
    // 02:30 does not exist on 30 March: it runs right after the gap, at 03:00 CEST (01:00 UTC), once.
    const Schedule at230 = Days(R"(["sat","sun","mon"])", "02:30", "Europe/Paris");
    EXPECT_EQ(Slots(at230, "2025-03-28 12:00", 3),
              (Lines{"2025-03-29 01:30:00", "2025-03-30 01:00:00", "2025-03-31 00:30:00"}));
    // 02:00 (the first skipped minute) and 02:59 too; 03:00 exists and is the same instant.
    EXPECT_EQ(Utc(NextSlot(Days(R"(["sun"])", "02:00", "Europe/Paris"), T("2025-03-29 12:00"))), "2025-03-30 01:00:00");
    EXPECT_EQ(Utc(NextSlot(Days(R"(["sun"])", "02:59", "Europe/Paris"), T("2025-03-29 12:00"))), "2025-03-30 01:00:00");
    EXPECT_EQ(Utc(NextSlot(Days(R"(["sun"])", "03:00", "Europe/Paris"), T("2025-03-29 12:00"))), "2025-03-30 01:00:00");
    // 01:59 exists (CET).
    EXPECT_EQ(Utc(NextSlot(Days(R"(["sun"])", "01:59", "Europe/Paris"), T("2025-03-29 12:00"))), "2025-03-30 00:59:00");
    // Asked from inside the gap's instant: the slot is the change itself, then next week.
    EXPECT_EQ(Utc(NextSlot(at230, T("2025-03-30 00:59:59"))), "2025-03-30 01:00:00");
    EXPECT_EQ(Utc(NextSlot(at230, T("2025-03-30 01:00:00"))), "2025-03-31 00:30:00");
}

TEST(ScheduleDays, ParisFallBack) {
    // 26 October 2025: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:00-02:59 happen twice.
    const Schedule at230 = Days(R"(["sat","sun","mon"])", "02:30", "Europe/Paris");
    // 02:30 runs once, at its first occurrence (02:30 CEST = 00:30 UTC), not again an hour later.
    EXPECT_EQ(Slots(at230, "2025-10-24 12:00", 3),
              (Lines{"2025-10-25 00:30:00", "2025-10-26 00:30:00", "2025-10-27 01:30:00"}));
    EXPECT_EQ(Utc(NextSlot(at230, T("2025-10-26 00:30"))), "2025-10-27 01:30:00");
    // 08:00 moves from 06:00 to 07:00 UTC.
    EXPECT_EQ(Slots(Days(R"(["sat","sun"])", "08:00", "Europe/Paris"), "2025-10-24 12:00", 2),
              (Lines{"2025-10-25 06:00:00", "2025-10-26 07:00:00"}));
}

TEST(ScheduleDays, NewYorkChanges) {
    const Schedule at230 = Days(R"(["sun"])", "02:30", "America/New_York");
    const Schedule at130 = Days(R"(["sun"])", "01:30", "America/New_York");
    // 9 March 2025: 02:00 EST becomes 03:00 EDT (07:00 UTC); 02:30 does not exist and runs at 07:00 UTC.
    EXPECT_EQ(Slots(at230, "2025-03-01 12:00", 3),
              (Lines{"2025-03-02 07:30:00", "2025-03-09 07:00:00", "2025-03-16 06:30:00"}));
    // 2 November 2025: 02:00 EDT becomes 01:00 EST (06:00 UTC); 01:30 happens twice and runs at the first
    // (01:30 EDT = 05:30 UTC).
    EXPECT_EQ(Slots(at130, "2025-10-25 12:00", 3),
              (Lines{"2025-10-26 05:30:00", "2025-11-02 05:30:00", "2025-11-09 06:30:00"}));
    // 02:30 on 2 November exists once (EST).
    EXPECT_EQ(Utc(NextSlot(at230, T("2025-11-01 12:00"))), "2025-11-02 07:30:00");
}

TEST(ScheduleDays, LordHoweHalfHourChanges) {
    // Lord Howe Island: UTC+10:30, UTC+11 in summer; its clocks move by 30 minutes.
    // 6 April 2025: 02:00 (+11) becomes 01:30 (+10:30) at 15:00 UTC on 5 April; 01:30-01:59 happen twice.
    const Schedule at145 = Days(R"(["sat","sun","mon"])", "01:45", "Australia/Lord_Howe");
    EXPECT_EQ(Slots(at145, "2025-04-04 00:00", 3),
              (Lines{"2025-04-04 14:45:00", "2025-04-05 14:45:00", "2025-04-06 15:15:00"}));
    // 5 October 2025: 02:00 (+10:30) becomes 02:30 (+11) at 15:30 UTC on 4 October; 02:15 does not exist.
    const Schedule at215 = Days(R"(["sat","sun","mon"])", "02:15", "Australia/Lord_Howe");
    EXPECT_EQ(Slots(at215, "2025-10-03 00:00", 3),
              (Lines{"2025-10-03 15:45:00", "2025-10-04 15:30:00", "2025-10-05 15:15:00"}));
}

TEST(ScheduleDays, ChosenLocalTimeAllYearInManyZones) {
    // Every day of 2024-2025 at 08:00 in zones with and without changes: one slot a day, showing 08:00 local.
    for (std::string zone : {"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC",
                             "Pacific/Chatham", "America/Sao_Paulo"}) {
        const Schedule s = Days(R"(["mon","tue","wed","thu","fri","sat","sun"])", "08:00", zone);
        const TimeZone& tz = std::get<DaysSchedule>(s).zone;
        std::set<std::chrono::local_days> days;
        Instant t = T("2024-01-01 00:00");
        for (int i = 0; i < 731; ++i) {
            auto next = NextSlot(s, t);
            ASSERT_TRUE(next) << zone;
            ASSERT_GT(*next, t) << zone;
            const LocalTime local = tz.ToLocal(*next);
            const auto day = std::chrono::floor<std::chrono::days>(local);
            EXPECT_EQ(local - day, 8h) << zone << " " << Utc(*next);
            EXPECT_TRUE(days.insert(day).second) << zone << " " << Utc(*next);
            t = *next;
        }
        EXPECT_EQ(days.size(), 731u) << zone;
    }
}

TEST(ScheduleSpread, BoundedAndDeterministic) {
    std::set<std::int64_t> seen;
    for (int i = 0; i < 2000; ++i) {
        const std::string key = "audience_" + std::to_string(i);
        const auto offset = SpreadOffset(key);
        EXPECT_GE(offset, 0s);
        EXPECT_LT(offset, 300s);
        EXPECT_EQ(offset, SpreadOffset(key));
        seen.insert(offset.count());
    }
    // Spread over the window, not bunched: 2000 keys hit most of the 300 seconds.
    EXPECT_GT(seen.size(), 250u);
    // Fixed values: the same on every machine and release (FNV-1a of the key, modulo 300).
    EXPECT_EQ(SpreadOffset(""), std::chrono::seconds(14695981039346656037ull % 300));
    EXPECT_EQ(SpreadOffset("premium_abandoners"), SpreadOffset(std::string("premium_") + "abandoners"));
    EXPECT_NE(SpreadOffset("a"), SpreadOffset("b"));
}

} // namespace
} // namespace kith::schedule
