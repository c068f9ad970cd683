#include "schedule/time_zone.hpp"

#include <date/tz.h>

#include <exception>

namespace kith::schedule {

Result<TimeZone> TimeZone::Find(std::string_view name) {
    // "localtime" is the machine's own zone file, not an IANA zone: a schedule must not depend on the host.
    if (name.empty() || name == "localtime")
        return Fail(ErrorCode::NOT_FOUND, "unknown IANA time zone");
    try {
        const date::time_zone* zone = date::locate_zone(name);
        // The zone's file is read on first use: read it now, so that later conversions cannot throw.
        (void)zone->get_info(std::chrono::sys_seconds{});
        return TimeZone(zone, std::string(name));
    } catch (const std::runtime_error&) {
        // locate_zone throws runtime_error both for an unknown name and for an unreadable database;
        // the database itself is checked apart so that the two are told apart.
        try {
            (void)date::get_tzdb();
        } catch (const std::exception& db) {
            return Fail(ErrorCode::IO, std::string("cannot read the time zone database: ") + db.what());
        }
        return Fail(ErrorCode::NOT_FOUND, "unknown IANA time zone");
    } catch (const std::exception& e) {
        return Fail(ErrorCode::IO, std::string("cannot read the time zone database: ") + e.what());
    }
}

LocalTime TimeZone::ToLocal(Instant at) const {
    date::local_seconds local = zone_->to_local(at);
    return LocalTime(local.time_since_epoch());
}

Instant TimeZone::Resolve(LocalTime local) const {
    const date::local_seconds l(local.time_since_epoch());
    const date::local_info info = zone_->get_info(l);
    switch (info.result) {
    case date::local_info::nonexistent:
        return Instant(info.second.begin.time_since_epoch()); // the change: first instant after the gap
    case date::local_info::ambiguous:
    case date::local_info::unique:
    default:
        return Instant(l.time_since_epoch() - info.first.offset); // the first (or only) occurrence
    }
}

} // namespace kith::schedule
