// Canonical text of typed values (warehouse/value.hpp): how every engine's driver, the audience language and the
// reference evaluator write a value of each type.
#pragma once

#include <cstdint>
#include <string>

namespace kith::schema::canonical {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

//! A signed 128-bit integer scaled by 10^-scale, as shortest exact decimal text ("100.00" -> "100").
std::string Decimal(Int128 unscaled, int scale);
//! Shortest text that reads back to the same double; integral values without a decimal point.
std::string Double(double value);
//! YYYY-MM-DD (years outside 0..9999 written with a sign, as ISO 8601 allows).
std::string Date(int32_t year, int32_t month, int32_t day);
//! HH:MM:SS, then .ffffff when micros is not zero.
std::string Time(int32_t hour, int32_t minute, int32_t second, int32_t micros);
//! A UTC instant given as microseconds since 1970-01-01T00:00:00Z, as YYYY-MM-DDTHH:MM:SS[.ffffff]Z.
std::string TimestampMicros(int64_t micros);
//! A day count since 1970-01-01 as YYYY-MM-DD.
std::string DateFromDays(int64_t days);
//! Days since 1970-01-01 of a proleptic Gregorian date (astronomical year numbering: 1 BC is year 0).
int64_t DaysFromCivil(int64_t year, int32_t month, int32_t day);

} // namespace kith::schema::canonical
