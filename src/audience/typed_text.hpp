// Text to kith's data types, exactly as audiences.md ("Text to type") fixes it:
// only text of these forms converts, anything else counts as NULL.
//   NUMBER    -?[0-9]+(\.[0-9]+)?   (kith accepts up to 20 integer and 18 fractional digits)
//   BOOLEAN   true | false
//   DATE      YYYY-MM-DD            (a real date, years 0001-9999)
//   TIME      HH:MM:SS[.ffffff]     (1 to 6 fractional digits)
//   TIMESTAMP YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z|±HH[:MM]]  (no offset = UTC)
// Digits are ASCII, hours 00-23, minutes and seconds 00-59. The same rules
// apply to constants in audiences and, compiled to SQL, to trait values and
// identifiers in the warehouse; the reference evaluator uses these functions.
#pragma once

#include "schema/column.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::audience {

//! Integer and fractional digit limits of NUMBER text (so every engine holds it exactly in DECIMAL(38,18)).
inline constexpr int kMaxIntegerDigits = 20;
inline constexpr int kMaxFractionDigits = 18;

//! A decimal number held exactly: sign, integer digits (no leading zeros, "0" for zero), fraction digits (no trailing zeros).
struct Decimal {
    bool negative = false;
    std::string integer = "0";
    std::string fraction;
    //! Canonical text: "-12.5", "100", "0".
    std::string ToString() const;
    //! -1, 0, 1.
    int Compare(const Decimal& other) const;
};

//! NUMBER text per the rule above.
std::optional<Decimal> ParseNumber(std::string_view text);
//! Any decimal text kith prints canonically (also "1e-7"-free forms from doubles); used for warehouse values.
std::optional<Decimal> ParseCanonicalNumber(std::string_view text);
std::optional<bool> ParseBoolean(std::string_view text);
//! Days since 1970-01-01.
std::optional<int64_t> ParseDate(std::string_view text);
//! Microseconds since midnight.
std::optional<int64_t> ParseTime(std::string_view text);
//! Microseconds since 1970-01-01T00:00:00Z (the offset applied).
std::optional<int64_t> ParseTimestamp(std::string_view text);

//! Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
//! True when the date exists.
bool IsRealDate(int64_t year, unsigned month, unsigned day);

//! Canonical text of a value of type `type` given as text of that type's form, or nullopt when it does not convert.
std::optional<std::string> CanonicalText(schema::DataType type, std::string_view text);

} // namespace kith::audience
