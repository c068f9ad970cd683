#include "deliver/datetime.hpp"

#include <chrono>
#include <cmath>
#include <fmt/format.h>

namespace kith::deliver {

namespace {

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// Milliseconds of a zone suffix (`Z`, `±hh:mm`, `±hhmm`, `±hh`) at s[i...], east of UTC positive; nullopt when it is
// not one. An empty suffix is UTC.
std::optional<int64_t> ZoneOffsetMs(std::string_view s, size_t i) {
    if (i == s.size()) return 0;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return 0;
    if (s[i] != '+' && s[i] != '-') return std::nullopt;
    int oh = 0, om = 0;
    if (!Digits(s, i + 1, 2, oh)) return std::nullopt;
    size_t rest = s.size() - (i + 3);
    if (rest == 3 && s[i + 3] == ':') {
        if (!Digits(s, i + 4, 2, om)) return std::nullopt;
    } else if (rest == 2) {
        if (!Digits(s, i + 3, 2, om)) return std::nullopt;
    } else if (rest != 0) {
        return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    return (s[i] == '+' ? 1 : -1) * (int64_t{oh} * 3600 + om * 60) * 1000;
}

} // namespace

std::optional<int64_t> ParseIsoDatetime(std::string_view s) {
    using namespace std::chrono;
    int y, mo, d;
    if (s.size() < 10 || !Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
        !Digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) return std::nullopt;
    int64_t ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count();
    size_t i = 10;
    if (i == s.size()) return ms;
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    int hour, minute, second = 0, fraction_ms = 0;
    if (!Digits(s, i + 1, 2, hour) || i + 3 >= s.size() || s[i + 3] != ':' || !Digits(s, i + 4, 2, minute)) {
        return std::nullopt;
    }
    i += 6;
    if (i < s.size() && s[i] == ':') {
        if (!Digits(s, i + 1, 2, second)) return std::nullopt;
        i += 3;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            size_t start = ++i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                if (i - start < 3) fraction_ms = fraction_ms * 10 + (s[i] - '0');
                ++i;
            }
            if (i == start) return std::nullopt;
            for (size_t n = i - start; n < 3; ++n) fraction_ms *= 10;
        }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    auto offset = ZoneOffsetMs(s, i);
    if (!offset) return std::nullopt;
    return ms + ((int64_t{hour} * 60 + minute) * 60 + second) * 1000 + fraction_ms - *offset;
}

bool IsBareDate(std::string_view text) { return text.size() == 10 && ParseIsoDatetime(text).has_value(); }

std::optional<int64_t> DatetimeMillis(const nlohmann::json& v) {
    if (v.is_number()) {
        double d = v.get<double>();
        if (!(d > -1e16 && d < 1e16)) return std::nullopt;
        if (std::fabs(d) > 1e11) return static_cast<int64_t>(std::floor(d)); // milliseconds
        return static_cast<int64_t>(std::floor(d * 1000));
    }
    if (!v.is_string()) return std::nullopt;
    return ParseIsoDatetime(v.get_ref<const std::string&>());
}

int64_t FloorSeconds(int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

std::string IterableDate(int64_t ms) {
    using namespace std::chrono;
    sys_seconds tp{seconds(FloorSeconds(ms))};
    auto day = floor<days>(tp);
    year_month_day ymd(day);
    hh_mm_ss<seconds> t(tp - day);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} +00:00", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), t.hours().count(),
                       t.minutes().count(), t.seconds().count());
}

std::string IsoDate(int64_t ms) {
    using namespace std::chrono;
    sys_seconds tp{seconds(FloorSeconds(ms))};
    year_month_day ymd(floor<days>(tp));
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                       static_cast<unsigned>(ymd.day()));
}

} // namespace kith::deliver
