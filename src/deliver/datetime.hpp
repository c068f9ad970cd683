// Dates and times of mapped `datetime` fields: the ISO 8601 text mappings accept, read into milliseconds since the
// epoch, and the forms destinations want (Braze an ISO string, Iterable seconds or its own date text).
//
//   std::optional<int64_t> ms = DatetimeMillis("2026-11-28 09:00:00");  // 1795856400000: no zone is UTC
//   std::string iterable = IterableDate(*ms);                           // "2026-11-28 09:00:00 +00:00"
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace kith::deliver {

//! Milliseconds since the epoch of ISO 8601 text: `YYYY-MM-DD`, optionally followed by `T` (or `t`, or a space) and
//! `hh:mm`, `hh:mm:ss` or `hh:mm:ss.f...` (or `,f...`), then optionally `Z` (`z`), `±hh:mm`, `±hhmm` or `±hh`.
//! Without a zone the time is UTC, as Segment's servers read it; a bare date is its midnight UTC. Digits of a
//! fraction past milliseconds are cut. nullopt when the text is not such a date (a 30 February, an hour 24).
std::optional<int64_t> ParseIsoDatetime(std::string_view text);

//! Whether text is a date without a time (`YYYY-MM-DD`).
bool IsBareDate(std::string_view text);

//! The milliseconds of a `datetime` value: ISO 8601 text as ParseIsoDatetime reads it, or a number of seconds since
//! the epoch (milliseconds when above 10^11). nullopt for anything else.
std::optional<int64_t> DatetimeMillis(const nlohmann::json& value);

//! Seconds since the epoch (rounded down) of milliseconds.
int64_t FloorSeconds(int64_t ms);

//! Iterable's date text, `YYYY-MM-DD hh:mm:ss +00:00` (UTC, no fraction).
std::string IterableDate(int64_t ms);

//! `YYYY-MM-DD` (UTC), the date of a time.
std::string IsoDate(int64_t ms);

} // namespace kith::deliver
