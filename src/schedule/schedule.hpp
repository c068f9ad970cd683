// When an audience runs (activations.md, "Schedules"): manual, a UTC-aligned interval, or chosen weekdays
// at a time of day in an IANA time zone. Parsed from the `schedule` object of `kith apply` files (cli.md);
// every problem is reported at once with the JSON pointer of the member at fault, relative to the object.
//
//   auto s = schedule::ParseSchedule(json["schedule"]);
//   if (!s) for (auto& e : s.error()) fmt::print(stderr, "{}: /schedule{}: {}\n", file, e.location, e.message);
//   std::optional<Instant> slot = schedule::NextSlot(*s, now);
#pragma once

#include "common/error.hpp"
#include "schedule/time_zone.hpp"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kith::schedule {

//! Only "Run now" (and enabling) runs the audience.
struct ManualSchedule {
    friend bool operator==(const ManualSchedule&, const ManualSchedule&) = default;
};

//! Every `every`, at the multiples of `every` since 00:00 UTC (every 1h at :00 UTC, 1d at 00:00 UTC).
struct IntervalSchedule {
    std::chrono::minutes every{60}; //!< one of kIntervals
    friend bool operator==(const IntervalSchedule&, const IntervalSchedule&) = default;
};

//! On the chosen weekdays at `time_of_day` on the wall clock of `zone`.
struct DaysSchedule {
    std::array<bool, 7> days{};         //!< indexed by weekday::c_encoding() (0 = Sunday); at least one is set
    std::chrono::minutes time_of_day{}; //!< 00:00 to 23:59
    TimeZone zone;

    bool On(std::chrono::weekday wd) const { return days[wd.c_encoding()]; }
    friend bool operator==(const DaysSchedule&, const DaysSchedule&) = default;
};

using Schedule = std::variant<ManualSchedule, IntervalSchedule, DaysSchedule>;

//! The intervals the spec allows, with their spelling: 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d.
struct IntervalName {
    std::string_view name;
    std::chrono::minutes every;
};
extern const std::array<IntervalName, 9> kIntervals;

//! The schedule in `j`, or every problem found: code INVALID, `location` a JSON pointer relative to the
//! schedule object ("" for the object itself, "/days/1"...); IO when the time zone database cannot be read.
std::expected<Schedule, std::vector<Error>> ParseSchedule(const nlohmann::json& j);

//! The canonical JSON form: what ParseSchedule reads back to an equal Schedule (weekdays in mon..sun order).
nlohmann::json ToJson(const Schedule& s);

//! The first slot strictly after `after`, or nothing for a manual schedule. Interval slots are the multiples
//! of the interval since the Unix epoch; a days slot is TimeZone::Resolve of the chosen time on a chosen day
//! (a skipped time runs right after the gap, a repeated time runs at its first occurrence).
std::optional<Instant> NextSlot(const Schedule& s, Instant after);

//! How long after its slot a scheduled run of `audience_key` starts: 0 to 299 seconds, the same for a key
//! on every machine and every run (FNV-1a of the key), so runs of many audiences spread over 5 minutes.
std::chrono::seconds SpreadOffset(std::string_view audience_key);

} // namespace kith::schedule
