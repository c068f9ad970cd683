// An IANA time zone from the system's time zone database (/usr/share/zoneinfo),
// and the one rule kith uses to turn a local date and time into an instant.
//
//   auto paris = schedule::TimeZone::Find("Europe/Paris");
//   if (!paris) return std::unexpected(paris.error());
//   Instant at = paris->Resolve(local_days{2025y / March / 30d} + 2h + 30min); // 01:00 UTC: after the gap
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace date {
class time_zone;
}

namespace kith::schedule {

//! An instant, in whole seconds since the Unix epoch (UTC).
using Instant = std::chrono::sys_seconds;
//! A wall-clock date and time in some time zone, in whole seconds.
using LocalTime = std::chrono::local_seconds;

//! A zone of the tz database; cheap to copy, valid for the life of the process.
class TimeZone {
public:
    //! The zone named `name` ("Europe/Paris", "UTC"...), or NOT_FOUND; IO when the database cannot be read.
    static Result<TimeZone> Find(std::string_view name);

    //! The zone's IANA name, as given to Find.
    const std::string& Name() const { return name_; }

    //! The wall-clock time of `at` in this zone.
    LocalTime ToLocal(Instant at) const;

    //! The instant a wall clock in this zone shows `local`. A time skipped by a forward change (spring, DST
    //! starts) resolves to the instant right after the gap (the change itself); a time shown twice (autumn,
    //! DST ends) resolves to its first occurrence.
    Instant Resolve(LocalTime local) const;

    friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.name_ == b.name_; }

private:
    TimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}

    const date::time_zone* zone_;
    std::string name_;
};

} // namespace kith::schedule
