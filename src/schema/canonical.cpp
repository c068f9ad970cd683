#include "schema/canonical.hpp"

#include <cmath>
#include <fmt/format.h>

namespace kith::schema::canonical {

namespace {

std::string U128ToString(UInt128 v) {
    if (v == 0) return "0";
    std::string s;
    while (v > 0) {
        s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    return {s.rbegin(), s.rend()};
}

// Howard Hinnant's civil_from_days.
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += (m <= 2);
}

} // namespace

std::string Decimal(Int128 unscaled, int scale) {
    bool negative = unscaled < 0;
    UInt128 magnitude =
        negative ? static_cast<UInt128>(-(unscaled + 1)) + 1 : static_cast<UInt128>(unscaled);
    std::string digits = U128ToString(magnitude);
    if (scale > 0) {
        if (digits.size() <= static_cast<size_t>(scale)) digits.insert(0, static_cast<size_t>(scale) - digits.size() + 1, '0');
        std::string integral = digits.substr(0, digits.size() - static_cast<size_t>(scale));
        std::string fraction = digits.substr(digits.size() - static_cast<size_t>(scale));
        while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
        digits = fraction.empty() ? integral : integral + "." + fraction;
    }
    if (negative && digits != "0") digits.insert(0, "-");
    return digits;
}

std::string Double(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
    if (value == 0) return "0";
    if (std::trunc(value) == value && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
    return fmt::format("{}", value);
}

std::string Date(int32_t year, int32_t month, int32_t day) {
    if (year >= 0 && year <= 9999) return fmt::format("{:04}-{:02}-{:02}", year, month, day);
    return fmt::format("{:+05}-{:02}-{:02}", year, month, day);
}

std::string Time(int32_t hour, int32_t minute, int32_t second, int32_t micros) {
    if (micros == 0) return fmt::format("{:02}:{:02}:{:02}", hour, minute, second);
    return fmt::format("{:02}:{:02}:{:02}.{:06}", hour, minute, second, micros);
}

std::string DateFromDays(int64_t days) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    return Date(static_cast<int32_t>(y), static_cast<int32_t>(m), static_cast<int32_t>(d));
}

int64_t DaysFromCivil(int64_t year, int32_t month, int32_t day) {
    // Howard Hinnant's days_from_civil.
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto yoe = static_cast<unsigned>(year - era * 400);
    const auto mp = static_cast<unsigned>(month > 2 ? month - 3 : month + 9);
    const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string TimestampMicros(int64_t micros) {
    constexpr int64_t kDay = 86400LL * 1000000LL;
    int64_t days = micros / kDay;
    int64_t rest = micros % kDay;
    if (rest < 0) {
        rest += kDay;
        --days;
    }
    int64_t secs = rest / 1000000;
    return DateFromDays(days) + "T" +
           Time(static_cast<int32_t>(secs / 3600), static_cast<int32_t>(secs / 60 % 60), static_cast<int32_t>(secs % 60),
                static_cast<int32_t>(rest % 1000000)) +
           "Z";
}

} // namespace kith::schema::canonical
