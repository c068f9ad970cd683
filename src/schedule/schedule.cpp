#include "schedule/schedule.hpp"

#include "common/json.hpp"
#include "common/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <initializer_list>

namespace kith::schedule {

using namespace std::chrono_literals;
using Json = nlohmann::json;

const std::array<IntervalName, 9> kIntervals = {{
    {"15m", 15min},
    {"30m", 30min},
    {"1h", 1h},
    {"2h", 2h},
    {"4h", 4h},
    {"6h", 6h},
    {"8h", 8h},
    {"12h", 12h},
    {"1d", 24h},
}};

namespace {

// Weekday names in the order the canonical form lists them.
constexpr std::array<std::string_view, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<unsigned, 7> kDayEncodings = {1, 2, 3, 4, 5, 6, 0}; // weekday::c_encoding of each name

// Collects every problem of one schedule object.
class Parser {
public:
    std::vector<Error> errors;

    std::optional<Schedule> Parse(const Json& j) {
        if (!j.is_object()) {
            Err("", "a schedule must be an object, found " + JsonTypeName(j));
            return std::nullopt;
        }
        auto type = String(j, "type", "");
        if (!type)
            return std::nullopt;
        if (*type == "manual") {
            Keys(j, {"type"}, "a manual schedule");
            return errors.empty() ? std::optional<Schedule>(ManualSchedule{}) : std::nullopt;
        }
        if (*type == "interval") {
            Keys(j, {"type", "every"}, "an interval schedule");
            auto every = Every(j);
            if (!every || !errors.empty())
                return std::nullopt;
            return IntervalSchedule{*every};
        }
        if (*type == "days") {
            Keys(j, {"type", "days", "time", "timezone"}, "a days schedule");
            auto days = Days(j);
            auto time = Time(j);
            auto zone = Zone(j);
            if (!days || !time || !zone || !errors.empty())
                return std::nullopt;
            return DaysSchedule{*days, *time, *zone};
        }
        Err("/type", "\"type\" must be manual, interval or days, found " + text::Quote(*type));
        return std::nullopt;
    }

private:
    void Err(std::string pointer, std::string message, ErrorCode code = ErrorCode::INVALID) {
        errors.push_back(Error{code, std::move(message), std::move(pointer)});
    }

    void Keys(const Json& j, std::initializer_list<std::string_view> allowed, const std::string& what) {
        for (const auto& key : UnknownJsonKeys(j, allowed))
            Err(JsonPointerToken(key), UnknownKeyMessage(key, what, allowed));
    }

    // A required string member; reports it missing (at the object) or of the wrong type (at the member).
    std::optional<std::string> String(const Json& j, const char* key, const std::string& what) {
        auto it = j.find(key);
        if (it == j.end()) {
            Err("", std::string("missing \"") + key + "\"" + what);
            return std::nullopt;
        }
        if (!it->is_string()) {
            Err(JsonPointerToken(key), std::string("\"") + key + "\" must be a string, found " + JsonTypeName(*it));
            return std::nullopt;
        }
        return it->get<std::string>();
    }

    std::optional<std::chrono::minutes> Every(const Json& j) {
        std::string allowed;
        for (size_t k = 0; k < kIntervals.size(); ++k)
            allowed += (k == 0 ? "" : k + 1 == kIntervals.size() ? " or " : ", ") + std::string(kIntervals[k].name);
        auto every = String(j, "every", " (one of " + allowed + ")");
        if (!every)
            return std::nullopt;
        for (const auto& i : kIntervals) {
            if (i.name == *every)
                return i.every;
        }
        Err("/every", "\"every\" must be one of " + allowed + ", found " + text::Quote(*every));
        return std::nullopt;
    }

    std::optional<std::array<bool, 7>> Days(const Json& j) {
        auto it = j.find("days");
        if (it == j.end()) {
            Err("", "missing \"days\" (a list of weekdays such as [\"mon\", \"thu\"])");
            return std::nullopt;
        }
        if (!it->is_array()) {
            Err("/days", "\"days\" must be a list of weekdays such as [\"mon\", \"thu\"], found " + JsonTypeName(*it));
            return std::nullopt;
        }
        if (it->empty()) {
            Err("/days", "\"days\" must name at least one weekday");
            return std::nullopt;
        }
        std::array<bool, 7> days{};
        std::array<std::optional<size_t>, 7> first_at{};
        bool ok = true;
        for (size_t i = 0; i < it->size(); ++i) {
            const Json& d = (*it)[i];
            const std::string ptr = "/days/" + std::to_string(i);
            if (!d.is_string()) {
                Err(ptr, "a weekday must be a string, found " + JsonTypeName(d));
                ok = false;
                continue;
            }
            const std::string name = d.get<std::string>();
            auto found = std::find(kDayNames.begin(), kDayNames.end(), name);
            if (found == kDayNames.end()) {
                Err(ptr, "unknown weekday " + text::Quote(name) + " (expected mon, tue, wed, thu, fri, sat or sun)");
                ok = false;
                continue;
            }
            const unsigned enc = kDayEncodings[static_cast<size_t>(found - kDayNames.begin())];
            if (first_at[enc]) {
                Err(ptr, "duplicate weekday " + text::Quote(name) + " (also at /days/" +
                             std::to_string(*first_at[enc]) + ")");
                ok = false;
                continue;
            }
            first_at[enc] = i;
            days[enc] = true;
        }
        if (!ok)
            return std::nullopt;
        return days;
    }

    std::optional<std::chrono::minutes> Time(const Json& j) {
        auto t = String(j, "time", " (the time of day, HH:MM, 24-hour)");
        if (!t)
            return std::nullopt;
        auto digit = [](char c) { return c >= '0' && c <= '9'; };
        const std::string& s = *t;
        if (s.size() == 5 && digit(s[0]) && digit(s[1]) && s[2] == ':' && digit(s[3]) && digit(s[4])) {
            const int h = (s[0] - '0') * 10 + (s[1] - '0');
            const int m = (s[3] - '0') * 10 + (s[4] - '0');
            if (h < 24 && m < 60)
                return std::chrono::hours(h) + std::chrono::minutes(m);
        }
        Err("/time", "\"time\" must be a time of day HH:MM from 00:00 to 23:59, found " + text::Quote(s));
        return std::nullopt;
    }

    std::optional<TimeZone> Zone(const Json& j) {
        auto name = String(j, "timezone", " (an IANA time zone such as \"Europe/Paris\")");
        if (!name)
            return std::nullopt;
        auto zone = TimeZone::Find(*name);
        if (zone)
            return *zone;
        if (zone.error().code == ErrorCode::NOT_FOUND)
            Err("/timezone", "unknown IANA time zone " + text::Quote(*name) + " (such as \"Europe/Paris\", \"UTC\")");
        else
            Err("/timezone", zone.error().message, zone.error().code);
        return std::nullopt;
    }
};

} // namespace

std::expected<Schedule, std::vector<Error>> ParseSchedule(const Json& j) {
    Parser p;
    auto s = p.Parse(j);
    if (!s) {
        if (p.errors.empty())
            p.errors.push_back(Error{ErrorCode::INTERNAL, "invalid schedule", ""});
        return std::unexpected(std::move(p.errors));
    }
    return std::move(*s);
}

Json ToJson(const Schedule& s) {
    if (std::holds_alternative<ManualSchedule>(s))
        return Json{{"type", "manual"}};
    if (const auto* i = std::get_if<IntervalSchedule>(&s)) {
        for (const auto& n : kIntervals) {
            if (n.every == i->every)
                return Json{{"type", "interval"}, {"every", n.name}};
        }
        return Json{{"type", "interval"}, {"every", std::to_string(i->every.count()) + "m"}};
    }
    const auto& d = std::get<DaysSchedule>(s);
    Json days = Json::array();
    for (size_t i = 0; i < kDayNames.size(); ++i) {
        if (d.days[kDayEncodings[i]])
            days.push_back(kDayNames[i]);
    }
    const auto minutes = d.time_of_day.count();
    char time[8];
    std::snprintf(time, sizeof time, "%02d:%02d", static_cast<int>(minutes / 60 % 24), static_cast<int>(minutes % 60));
    return Json{{"type", "days"}, {"days", days}, {"time", time}, {"timezone", d.zone.Name()}};
}

std::optional<Instant> NextSlot(const Schedule& s, Instant after) {
    if (const auto* i = std::get_if<IntervalSchedule>(&s)) {
        const std::chrono::seconds every = i->every;
        if (every <= 0s)
            return std::nullopt;
        // The epoch is 00:00 UTC and every interval divides a day, so the multiples since the epoch are the
        // cron slots of every day. Floor division, so that instants before 1970 work too.
        const auto t = after.time_since_epoch();
        auto n = t / every;
        if (t % every < 0s)
            --n;
        return Instant((n + 1) * every);
    }
    if (const auto* d = std::get_if<DaysSchedule>(&s)) {
        if (std::none_of(d->days.begin(), d->days.end(), [](bool b) { return b; }))
            return std::nullopt;
        const auto time_of_day = d->time_of_day % std::chrono::days(1);
        // Resolve is monotonic, so the first chosen day whose slot is after `after` holds the next slot.
        // Starting a day early covers a slot pushed past midnight by a gap; a week and two days covers the rest.
        const std::chrono::local_days today = std::chrono::floor<std::chrono::days>(d->zone.ToLocal(after));
        for (int k = -1; k <= 8; ++k) {
            const std::chrono::local_days day = today + std::chrono::days(k);
            if (!d->On(std::chrono::weekday(day)))
                continue;
            const Instant slot = d->zone.Resolve(day + time_of_day);
            if (slot > after)
                return slot;
        }
        return std::nullopt; // unreachable with tz data: every week holds a chosen day
    }
    return std::nullopt;
}

std::chrono::seconds SpreadOffset(std::string_view audience_key) {
    std::uint64_t h = 14695981039346656037ull; // FNV-1a, 64 bits: stable across compilers and machines
    for (unsigned char c : audience_key) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return std::chrono::seconds(static_cast<std::int64_t>(h % 300));
}

} // namespace kith::schedule
