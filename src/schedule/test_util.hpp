// Helpers of the schedule tests: instants written as UTC text, schedules written as JSON.
#pragma once

#include "schedule/schedule.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace kith::schedule::testing {

//! "2025-03-30 01:00" or "2025-03-30 01:00:30", UTC.
inline Instant T(const std::string& text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) < 5)
        throw std::invalid_argument("bad test time " + text);
    const std::chrono::sys_days day = std::chrono::year(y) / std::chrono::month(static_cast<unsigned>(mo)) /
                                      std::chrono::day(static_cast<unsigned>(d));
    return Instant(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s);
}

//! "2025-03-30 01:00:00" (UTC).
inline std::string Utc(Instant t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd(day);
    const std::chrono::hh_mm_ss hms(t - day);
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return out;
}

inline std::string Utc(const std::optional<Instant>& t) {
    return t ? Utc(*t) : "none";
}

//! A schedule that must parse.
inline Schedule Parse(const std::string& json) {
    auto s = ParseSchedule(nlohmann::json::parse(json));
    if (!s)
        throw std::invalid_argument("bad test schedule " + json + ": " + s.error().front().ToString());
    return *s;
}

} // namespace kith::schedule::testing
