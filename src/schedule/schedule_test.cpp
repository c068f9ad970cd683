#include "schedule/schedule.hpp"
#include "schedule/test_util.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kith::schedule {
namespace {

using namespace std::chrono_literals;
using testing::Parse;

// Every error of a schedule as "pointer: message" lines, in the order found.
std::vector<std::string> Errors(const std::string& json) {
    auto s = ParseSchedule(nlohmann::json::parse(json));
    std::vector<std::string> out;
    if (s)
        return out;
    for (const Error& e : s.error()) {
        EXPECT_EQ(e.code, ErrorCode::INVALID) << e.ToString();
        out.push_back(e.location + ": " + e.message);
    }
    return out;
}

using Lines = std::vector<std::string>;

TEST(ScheduleParse, Manual) {
    EXPECT_TRUE(std::holds_alternative<ManualSchedule>(Parse(R"({"type": "manual"})")));
}

TEST(ScheduleParse, EveryInterval) {
    const std::vector<std::pair<std::string, std::chrono::minutes>> cases = {
        {"15m", 15min}, {"30m", 30min}, {"1h", 60min},   {"2h", 120min}, {"4h", 240min},
        {"6h", 360min}, {"8h", 480min}, {"12h", 720min}, {"1d", 1440min}};
    for (const auto& [name, every] : cases) {
        Schedule s = Parse(R"({"type": "interval", "every": ")" + name + R"("})");
        ASSERT_TRUE(std::holds_alternative<IntervalSchedule>(s)) << name;
        EXPECT_EQ(std::get<IntervalSchedule>(s).every, every) << name;
        EXPECT_EQ(ToJson(s)["every"], name);
    }
}

TEST(ScheduleParse, Days) {
    Schedule s = Parse(R"({"type": "days", "days": ["thu", "mon"], "time": "08:05", "timezone": "Europe/Paris"})");
    const auto& d = std::get<DaysSchedule>(s);
    EXPECT_TRUE(d.On(std::chrono::Monday));
    EXPECT_TRUE(d.On(std::chrono::Thursday));
    EXPECT_FALSE(d.On(std::chrono::Sunday));
    EXPECT_EQ(d.time_of_day, 8h + 5min);
    EXPECT_EQ(d.zone.Name(), "Europe/Paris");
    EXPECT_EQ(ToJson(s).dump(), R"({"days":["mon","thu"],"time":"08:05","timezone":"Europe/Paris","type":"days"})");
    EXPECT_EQ(*ParseSchedule(ToJson(s)), s);
}

TEST(ScheduleParse, TimesAtTheEdgesOfTheDay) {
    EXPECT_EQ(
        std::get<DaysSchedule>(Parse(R"({"type":"days","days":["sun"],"time":"00:00","timezone":"UTC"})")).time_of_day,
        0min);
    EXPECT_EQ(
        std::get<DaysSchedule>(Parse(R"({"type":"days","days":["sun"],"time":"23:59","timezone":"UTC"})")).time_of_day,
        23h + 59min);
}

TEST(ScheduleParse, NotAnObjectOrNoType) {
    EXPECT_EQ(Errors(R"(["manual"])"), Lines{": a schedule must be an object, found a list"});
    EXPECT_EQ(Errors(R"({})"), Lines{": missing \"type\""});
    EXPECT_EQ(Errors(R"({"type": 3})"), Lines{"/type: \"type\" must be a string, found a number"});
    EXPECT_EQ(Errors(R"({"type": "hourly"})"),
              Lines{"/type: \"type\" must be manual, interval or days, found \"hourly\""});
}

TEST(ScheduleParse, UnknownKeysPerType) {
    EXPECT_EQ(Errors(R"({"type": "manual", "every": "1h"})"),
              Lines{"/every: unknown key \"every\" in a manual schedule (allowed: type)"});
    EXPECT_EQ(Errors(R"({"type": "interval", "every": "1h", "time": "08:00", "a/b~": 1})"),
              (Lines{"/a~1b~0: unknown key \"a/b~\" in an interval schedule (allowed: type, every)",
                     "/time: unknown key \"time\" in an interval schedule (allowed: type, every)"}));
}

TEST(ScheduleParse, BadIntervals) {
    EXPECT_EQ(Errors(R"({"type": "interval"})"),
              Lines{": missing \"every\" (one of 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h or 1d)"});
    for (std::string bad : {"5m", "60m", "3h", "24h", "1w", "1H", " 1h", ""}) {
        EXPECT_EQ(
            Errors(R"({"type": "interval", "every": ")" + bad + R"("})"),
            Lines{"/every: \"every\" must be one of 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h or 1d, found \"" + bad + "\""});
    }
    EXPECT_EQ(Errors(R"({"type": "interval", "every": 60})"),
              Lines{"/every: \"every\" must be a string, found a number"});
}

TEST(ScheduleParse, AllDaysErrorsAtOnce) {
    EXPECT_EQ(Errors(R"({"type": "days", "days": ["mon", "Tue", 3, "mon", "thu", "thu"], "time": "8:00",
                         "timezone": "Europe/Pariss", "zone": "x"})"),
              (Lines{
                  "/zone: unknown key \"zone\" in a days schedule (allowed: type, days, time, timezone)",
                  "/days/1: unknown weekday \"Tue\" (expected mon, tue, wed, thu, fri, sat or sun)",
                  "/days/2: a weekday must be a string, found a number",
                  "/days/3: duplicate weekday \"mon\" (also at /days/0)",
                  "/days/5: duplicate weekday \"thu\" (also at /days/4)",
                  "/time: \"time\" must be a time of day HH:MM from 00:00 to 23:59, found \"8:00\"",
                  "/timezone: unknown IANA time zone \"Europe/Pariss\" (such as \"Europe/Paris\", \"UTC\")",
              }));
}

TEST(ScheduleParse, MissingDaysMembers) {
    EXPECT_EQ(Errors(R"({"type": "days"})"),
              (Lines{": missing \"days\" (a list of weekdays such as [\"mon\", \"thu\"])",
                     ": missing \"time\" (the time of day, HH:MM, 24-hour)",
                     ": missing \"timezone\" (an IANA time zone such as \"Europe/Paris\")"}));
    EXPECT_EQ(Errors(R"({"type": "days", "days": [], "time": "08:00", "timezone": "UTC"})"),
              Lines{"/days: \"days\" must name at least one weekday"});
    EXPECT_EQ(Errors(R"({"type": "days", "days": "mon", "time": "08:00", "timezone": "UTC"})"),
              Lines{"/days: \"days\" must be a list of weekdays such as [\"mon\", \"thu\"], found a string"});
}

TEST(ScheduleParse, BadTimes) {
    for (std::string bad : {"24:00", "08:60", "8:00", "08:00:00", "0800", "08h00", "ab:cd", "-1:00", "", "08:0 "}) {
        EXPECT_EQ(Errors(R"({"type": "days", "days": ["mon"], "time": ")" + bad + R"(", "timezone": "UTC"})"),
                  Lines{"/time: \"time\" must be a time of day HH:MM from 00:00 to 23:59, found \"" + bad + "\""});
    }
    EXPECT_EQ(Errors(R"({"type": "days", "days": ["mon"], "time": 800, "timezone": "UTC"})"),
              Lines{"/time: \"time\" must be a string, found a number"});
}

TEST(ScheduleParse, TimeZonesAreIanaNames) {
    for (std::string good : {"UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
                             "America/Argentina/Buenos_Aires", "Etc/GMT+5"}) {
        EXPECT_EQ(Errors(R"({"type": "days", "days": ["mon"], "time": "08:00", "timezone": ")" + good + R"("})"),
                  Lines{})
            << good;
    }
    // Not zones: the host's own zone file, the database's other files and folders, paths, other spellings.
    for (std::string bad : {"localtime", "posixrules", "zone.tab", "Europe", "europe/paris", "posix/Europe/Paris",
                            "right/Europe/Paris", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "CEST", ""}) {
        EXPECT_EQ(Errors(R"({"type": "days", "days": ["mon"], "time": "08:00", "timezone": ")" + bad + R"("})"),
                  Lines{"/timezone: unknown IANA time zone \"" + bad + "\" (such as \"Europe/Paris\", \"UTC\")"});
    }
}

} // namespace
} // namespace kith::schedule
