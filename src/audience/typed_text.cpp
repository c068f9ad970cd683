#include "audience/typed_text.hpp"

#include "schema/canonical.hpp"

namespace kith::audience {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// n ASCII digits at s[pos..] as a number, or -1.
int64_t Digits(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!IsDigit(s[pos + i])) return -1;
        v = v * 10 + (s[pos + i] - '0');
    }
    return v;
}

// HH:MM:SS[.f{1,6}] at s[pos..]; returns micros and advances pos, or nullopt.
std::optional<int64_t> TimeAt(std::string_view s, size_t& pos) {
    if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return std::nullopt;
    int64_t h = Digits(s, pos, 2), m = Digits(s, pos + 3, 2), sec = Digits(s, pos + 6, 2);
    if (h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 59) return std::nullopt;
    pos += 8;
    int64_t micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        size_t n = 0;
        while (pos + 1 + n < s.size() && IsDigit(s[pos + 1 + n])) ++n;
        if (n < 1 || n > 6) return std::nullopt;
        int64_t f = Digits(s, pos + 1, n);
        for (size_t i = n; i < 6; ++i) f *= 10;
        micros = f;
        pos += 1 + n;
    }
    return ((h * 60 + m) * 60 + sec) * 1000000 + micros;
}

std::optional<int64_t> DateAt(std::string_view s, size_t pos) {
    if (pos + 10 > s.size() || s[pos + 4] != '-' || s[pos + 7] != '-') return std::nullopt;
    int64_t y = Digits(s, pos, 4), m = Digits(s, pos + 5, 2), d = Digits(s, pos + 8, 2);
    if (y < 1 || m < 1 || d < 1 || !IsRealDate(y, static_cast<unsigned>(m), static_cast<unsigned>(d))) return std::nullopt;
    return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string StripZeros(std::string s, bool leading) {
    if (leading) {
        size_t i = 0;
        while (i + 1 < s.size() && s[i] == '0') ++i;
        return s.substr(i);
    }
    while (!s.empty() && s.back() == '0') s.pop_back();
    return s;
}

} // namespace

std::string Decimal::ToString() const {
    std::string out = (negative ? "-" : "") + integer;
    if (!fraction.empty()) out += "." + fraction;
    return out;
}

int Decimal::Compare(const Decimal& o) const {
    bool zero = integer == "0" && fraction.empty();
    bool ozero = o.integer == "0" && o.fraction.empty();
    bool neg = negative && !zero, oneg = o.negative && !ozero;
    if (neg != oneg) return neg ? -1 : 1;
    int mag = 0;
    if (integer.size() != o.integer.size()) {
        mag = integer.size() < o.integer.size() ? -1 : 1;
    } else if (integer != o.integer) {
        mag = integer < o.integer ? -1 : 1;
    } else {
        std::string a = fraction, b = o.fraction;
        a.resize(std::max(a.size(), b.size()), '0');
        b.resize(a.size(), '0');
        mag = a == b ? 0 : (a < b ? -1 : 1);
    }
    return neg ? -mag : mag;
}

std::optional<Decimal> ParseNumber(std::string_view s) {
    size_t pos = 0;
    Decimal d;
    if (pos < s.size() && s[pos] == '-') {
        d.negative = true;
        ++pos;
    }
    size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return std::nullopt;
    std::string integer(s.substr(start, pos - start));
    std::string fraction;
    if (pos < s.size() && s[pos] == '.') {
        size_t fstart = ++pos;
        while (pos < s.size() && IsDigit(s[pos])) ++pos;
        if (pos == fstart) return std::nullopt;
        fraction = std::string(s.substr(fstart, pos - fstart));
    }
    if (pos != s.size()) return std::nullopt;
    if (integer.size() > static_cast<size_t>(kMaxIntegerDigits) || fraction.size() > static_cast<size_t>(kMaxFractionDigits)) {
        return std::nullopt;
    }
    d.integer = StripZeros(integer, true);
    d.fraction = StripZeros(fraction, false);
    if (d.integer == "0" && d.fraction.empty()) d.negative = false;
    return d;
}

std::optional<Decimal> ParseCanonicalNumber(std::string_view s) {
    // Canonical warehouse text has no exponent for values kith compares; fall back to the strict form.
    return ParseNumber(s);
}

std::optional<bool> ParseBoolean(std::string_view s) {
    if (s == "true") return true;
    if (s == "false") return false;
    return std::nullopt;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsRealDate(int64_t y, unsigned m, unsigned d) {
    if (m < 1 || m > 12 || d < 1) return false;
    static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned max = kDays[m - 1];
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) max = 29;
    return d <= max;
}

std::optional<int64_t> ParseDate(std::string_view s) {
    if (s.size() != 10) return std::nullopt;
    return DateAt(s, 0);
}

std::optional<int64_t> ParseTime(std::string_view s) {
    size_t pos = 0;
    auto t = TimeAt(s, pos);
    if (!t || pos != s.size()) return std::nullopt;
    return t;
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
    auto date = DateAt(s, 0);
    if (!date || s.size() < 19 || (s[10] != 'T' && s[10] != ' ')) return std::nullopt;
    size_t pos = 11;
    auto time = TimeAt(s, pos);
    if (!time) return std::nullopt;
    int64_t offset_minutes = 0;
    if (pos < s.size()) {
        if (s[pos] == 'Z') {
            ++pos;
        } else if (s[pos] == '+' || s[pos] == '-') {
            int sign = s[pos] == '-' ? -1 : 1;
            int64_t h = Digits(s, pos + 1, 2);
            if (h < 0 || h > 23) return std::nullopt;
            pos += 3;
            int64_t m = 0;
            if (pos < s.size()) {
                if (s[pos] != ':') return std::nullopt;
                m = Digits(s, pos + 1, 2);
                if (m < 0 || m > 59) return std::nullopt;
                pos += 3;
            }
            offset_minutes = sign * (h * 60 + m);
        } else {
            return std::nullopt;
        }
    }
    if (pos != s.size()) return std::nullopt;
    return (*date * 86400LL) * 1000000LL + *time - offset_minutes * 60LL * 1000000LL;
}

std::optional<std::string> CanonicalText(schema::DataType type, std::string_view text) {
    using schema::DataType;
    switch (type) {
    case DataType::NUMBER: {
        auto d = ParseNumber(text);
        if (!d) return std::nullopt;
        return d->ToString();
    }
    case DataType::STRING:
        return std::string(text);
    case DataType::BOOLEAN: {
        auto b = ParseBoolean(text);
        if (!b) return std::nullopt;
        return std::string(*b ? "true" : "false");
    }
    case DataType::DATE: {
        auto d = ParseDate(text);
        if (!d) return std::nullopt;
        return schema::canonical::DateFromDays(*d);
    }
    case DataType::TIME: {
        auto t = ParseTime(text);
        if (!t) return std::nullopt;
        int64_t s = *t / 1000000;
        return schema::canonical::Time(static_cast<int32_t>(s / 3600), static_cast<int32_t>(s / 60 % 60),
                                          static_cast<int32_t>(s % 60), static_cast<int32_t>(*t % 1000000));
    }
    case DataType::TIMESTAMP: {
        auto t = ParseTimestamp(text);
        if (!t) return std::nullopt;
        return schema::canonical::TimestampMicros(*t);
    }
    case DataType::OTHER:
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace kith::audience
