// PostgreSQL's text output turned into kith's canonical text (value.hpp), by column type.
//
// Expects the session settings PostgresWarehouse makes on connect: TimeZone UTC,
// DateStyle 'ISO, YMD', IntervalStyle iso_8601, extra_float_digits 1.
#pragma once

#include "warehouse/value.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace kith::warehouse::pg {

//! A PostgreSQL type OID (libpq's Oid).
using Oid = unsigned int;

// Built-in type OIDs (PostgreSQL's catalog/pg_type.dat; stable across versions).
inline constexpr Oid kBool = 16;
inline constexpr Oid kName = 19;
inline constexpr Oid kInt8 = 20;
inline constexpr Oid kInt2 = 21;
inline constexpr Oid kInt4 = 23;
inline constexpr Oid kText = 25;
inline constexpr Oid kOid = 26;
inline constexpr Oid kFloat4 = 700;
inline constexpr Oid kFloat8 = 701;
inline constexpr Oid kBpchar = 1042;
inline constexpr Oid kVarchar = 1043;
inline constexpr Oid kDate = 1082;
inline constexpr Oid kTime = 1083;
inline constexpr Oid kTimestamp = 1114;
inline constexpr Oid kTimestampTz = 1184;
inline constexpr Oid kNumeric = 1700;

//! kith's type for values of a built-in type; OTHER for every other type.
DataType TypeOfOid(Oid type);

//! Canonical text for a value of the given type as PostgreSQL printed it. Text that does not parse as the type
//! ("infinity" dates, for instance) and values of OTHER types come back unchanged.
std::string CanonicalText(Oid type, std::string_view text);

//! Microseconds since 1970-01-01T00:00:00Z of "YYYY-MM-DD HH:MM:SS[.f][±HH[:MM[:SS]]][ BC]" (no offset: UTC);
//! false when the text has another form.
bool ParseTimestamp(std::string_view text, int64_t& micros);

} // namespace kith::warehouse::pg
