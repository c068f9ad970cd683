#include "warehouse/postgres_text.hpp"

#include "warehouse/canonical.hpp"

#include <charconv>

namespace kith::warehouse::pg {

namespace {

// A cursor over PostgreSQL's ISO output.
class Scanner {
public:
    explicit Scanner(std::string_view text) : s_(text) {}

    bool AtEnd() const { return i_ == s_.size(); }
    bool Peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
    bool Eat(char c) {
        if (!Peek(c)) return false;
        ++i_;
        return true;
    }
    bool Eat(std::string_view word) {
        if (s_.substr(i_, word.size()) != word) return false;
        i_ += word.size();
        return true;
    }
    //! At least min_digits digits (exactly that many when exact), as a number.
    bool Digits(size_t min_digits, bool exact, int64_t& value) {
        size_t start = i_;
        value = 0;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && (!exact || i_ - start < min_digits)) {
            if (i_ - start >= 12) return false;
            value = value * 10 + (s_[i_] - '0');
            ++i_;
        }
        return i_ - start >= min_digits;
    }
    //! ".ffffff" (1 to 6 digits) as microseconds; 0 when absent.
    bool Fraction(int64_t& micros) {
        micros = 0;
        if (!Eat('.')) return true;
        size_t start = i_;
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
            if (i_ - start >= 6) return false;
            micros = micros * 10 + (s_[i_] - '0');
            ++i_;
        }
        size_t n = i_ - start;
        if (n == 0) return false;
        for (; n < 6; ++n) micros *= 10;
        return true;
    }

private:
    std::string_view s_;
    size_t i_ = 0;
};

struct Civil {
    int64_t year = 0, month = 0, day = 0;
};

struct ClockTime {
    int64_t hour = 0, minute = 0, second = 0, micros = 0;
};

bool ScanDate(Scanner& in, Civil& d) {
    return in.Digits(4, false, d.year) && in.Eat('-') && in.Digits(2, true, d.month) && in.Eat('-') &&
           in.Digits(2, true, d.day) && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31;
}

bool ScanTime(Scanner& in, ClockTime& t) {
    return in.Digits(2, true, t.hour) && in.Eat(':') && in.Digits(2, true, t.minute) && in.Eat(':') &&
           in.Digits(2, true, t.second) && in.Fraction(t.micros) && t.hour <= 24 && t.minute <= 59 && t.second <= 60;
}

// "+HH", "+HH:MM" or "+HH:MM:SS" as seconds east of UTC.
bool ScanOffset(Scanner& in, int64_t& seconds) {
    seconds = 0;
    int sign = in.Eat('+') ? 1 : in.Eat('-') ? -1 : 0;
    if (sign == 0) return true;
    int64_t h = 0, m = 0, s = 0;
    if (!in.Digits(2, true, h)) return false;
    if (in.Eat(':') && !in.Digits(2, true, m)) return false;
    if (in.Eat(':') && !in.Digits(2, true, s)) return false;
    seconds = sign * (h * 3600 + m * 60 + s);
    return true;
}

// PostgreSQL writes years before 1 AD as "YYYY-MM-DD BC"; astronomical numbering makes 1 BC year 0.
void ApplyEra(Scanner& in, Civil& d) {
    if (in.Eat(" BC")) d.year = 1 - d.year;
}

std::string Numeric(std::string_view text) {
    std::string s(text);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0') s.pop_back();
        if (!s.empty() && s.back() == '.') s.pop_back();
    }
    if (s == "-0") s = "0";
    return s;
}

template <class T> std::string Float(std::string_view text) {
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return std::string(text);
    return canonical::Double(static_cast<double>(v));
}

std::string Date(std::string_view text) {
    Scanner in(text);
    Civil d;
    if (!ScanDate(in, d)) return std::string(text);
    ApplyEra(in, d);
    if (!in.AtEnd()) return std::string(text);
    return canonical::Date(static_cast<int32_t>(d.year), static_cast<int32_t>(d.month), static_cast<int32_t>(d.day));
}

std::string Time(std::string_view text) {
    Scanner in(text);
    ClockTime t;
    if (!ScanTime(in, t) || !in.AtEnd()) return std::string(text);
    return canonical::Time(static_cast<int32_t>(t.hour), static_cast<int32_t>(t.minute),
                           static_cast<int32_t>(t.second), static_cast<int32_t>(t.micros));
}

std::string Timestamp(std::string_view text) {
    int64_t micros = 0;
    if (!ParseTimestamp(text, micros)) return std::string(text);
    return canonical::TimestampMicros(micros);
}

} // namespace

bool ParseTimestamp(std::string_view text, int64_t& micros) {
    Scanner in(text);
    Civil d;
    ClockTime t;
    int64_t offset = 0;
    if (!ScanDate(in, d) || !(in.Eat(' ') || in.Eat('T')) || !ScanTime(in, t) || !ScanOffset(in, offset)) return false;
    ApplyEra(in, d);
    if (!in.AtEnd()) return false;
    int64_t days = canonical::DaysFromCivil(d.year, static_cast<int32_t>(d.month), static_cast<int32_t>(d.day));
    int64_t seconds = days * 86400 + t.hour * 3600 + t.minute * 60 + t.second - offset;
    micros = seconds * 1000000 + t.micros;
    return true;
}

DataType TypeOfOid(Oid type) {
    switch (type) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
    case kNumeric:
    case kFloat4:
    case kFloat8:
        return DataType::NUMBER;
    case kText:
    case kVarchar:
    case kBpchar:
    case kName:
        return DataType::STRING;
    case kBool:
        return DataType::BOOLEAN;
    case kDate:
        return DataType::DATE;
    case kTime:
        return DataType::TIME;
    case kTimestamp:
    case kTimestampTz:
        return DataType::TIMESTAMP;
    default:
        return DataType::OTHER;
    }
}

std::string CanonicalText(Oid type, std::string_view text) {
    switch (type) {
    case kNumeric:
        return Numeric(text);
    case kFloat4:
        // The float the column holds, widened to double: what DuckDB's driver prints for a FLOAT.
        return Float<float>(text);
    case kFloat8:
        return Float<double>(text);
    case kBool:
        return text == "t" ? "true" : text == "f" ? "false" : std::string(text);
    case kDate:
        return Date(text);
    case kTime:
        return Time(text);
    case kTimestamp:
    case kTimestampTz:
        return Timestamp(text);
    default:
        return std::string(text);
    }
}

} // namespace kith::warehouse::pg
