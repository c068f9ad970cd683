#include "apply/apply.hpp"
#include "apply/checks.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kith::apply {

namespace {

using nlohmann::json;

// One destination type: its settings (required or not) and its actions, the first being the default.
struct Setting {
    const char* name;
    enum Kind { STRING, URL, INTEGER, OBJECT } kind;
    bool required;
    int64_t max = 0; //!< INTEGER: the largest value
};

struct DestinationType {
    const char* type;
    std::vector<std::string> actions;
    std::vector<Setting> settings;
};

// Settings every destination takes: rate limit, size limit and destination filter.
const std::vector<Setting> kCommon = {
    {"rate_limit", Setting::INTEGER, false, 1000000},
    {"max_event_bytes", Setting::INTEGER, false, 64 * 1024 * 1024},
    {"filter", Setting::OBJECT, false},
};

const std::vector<DestinationType>& Types() {
    static const std::vector<DestinationType> types = {
        {"webhook",
         {"send"},
         {{"url", Setting::URL, true},
          {"method", Setting::STRING, false},
          {"headers", Setting::OBJECT, false},
          {"batch_size", Setting::INTEGER, false, 10000}}},
        {"braze",
         {"track_event", "update_user_profile"},
         {{"endpoint", Setting::URL, true}, {"api_key", Setting::STRING, true}, {"batch_size", Setting::INTEGER, false, 75}}},
        {"iterable",
         {"custom_event", "upsert_user"},
         {{"api_key", Setting::STRING, true}, {"endpoint", Setting::URL, false},
          {"batch_size", Setting::INTEGER, false, 1000}}},
        {"segment", {"send"}, {{"write_key", Setting::STRING, true}, {"endpoint", Setting::URL, false}}},
        {"file", {"send"}, {{"path", Setting::STRING, true}}},
    };
    return types;
}

std::string JoinQuoted(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

void CheckSetting(const json& dest, const Setting& s, Checker& c) {
    std::string ptr = std::string("/destination/") + s.name;
    if (!dest.contains(s.name)) {
        if (s.required) c.Err("/destination", fmt::format("missing \"{}\"", s.name));
        return;
    }
    const json& v = dest[s.name];
    switch (s.kind) {
    case Setting::STRING:
    case Setting::URL: {
        auto str = c.String(dest, s.name, "/destination", true);
        if (str && s.kind == Setting::URL && !str->starts_with("http://") && !str->starts_with("https://")) {
            c.Err(ptr, "must be an http:// or https:// URL, found " + text::Quote(*str));
        }
        if (str && std::string_view(s.name) == "method") {
            static const std::vector<std::string> methods = {"POST", "PUT", "PATCH", "GET", "DELETE"};
            if (std::find(methods.begin(), methods.end(), *str) == methods.end()) {
                c.Err(ptr, "unknown method " + text::Quote(*str) + " (expected " + JoinQuoted(methods) + ")");
            }
        }
        return;
    }
    case Setting::INTEGER: c.Integer(dest, s.name, "/destination", 1, s.max); return;
    case Setting::OBJECT:
        if (!v.is_object()) {
            c.Err(ptr, fmt::format("\"{}\" must be an object, found {}", s.name, JsonTypeName(v)));
            return;
        }
        if (std::string_view(s.name) == "headers") {
            for (const auto& [k, h] : v.items()) {
                if (!h.is_string()) c.Err(ptr + JsonPointerToken(k), "a header's value must be a string");
            }
        }
        return;
    }
}

} // namespace

const std::vector<std::pair<std::string, std::vector<std::string>>>& DestinationTypes() {
    static const auto list = [] {
        std::vector<std::pair<std::string, std::vector<std::string>>> out;
        for (const auto& t : Types()) out.emplace_back(t.type, t.actions);
        return out;
    }();
    return list;
}

std::optional<std::string> CheckDestination(const json& activation, Checker& c) {
    if (!activation.contains("destination")) {
        c.Err("", "missing \"destination\"");
        return std::nullopt;
    }
    const json& dest = activation["destination"];
    if (!dest.is_object()) {
        c.Err("/destination", "\"destination\" must be an object, found " + JsonTypeName(dest));
        return std::nullopt;
    }
    auto type = c.String(dest, "type", "/destination", true);
    if (!type) return std::nullopt;
    const DestinationType* t = nullptr;
    for (const auto& candidate : Types()) {
        if (candidate.type == *type) t = &candidate;
    }
    if (!t) {
        std::vector<std::string> names;
        for (const auto& candidate : Types()) names.push_back(candidate.type);
        c.Err("/destination/type", "unknown destination type " + text::Quote(*type) + " (expected " +
                                       JoinQuoted(names) + ")");
        return std::nullopt;
    }
    std::vector<std::string> allowed = {"type"};
    for (const auto& s : t->settings) allowed.push_back(s.name);
    for (const auto& s : kCommon) allowed.push_back(s.name);
    c.Object(dest, "/destination", allowed, "a " + *type + " destination");
    for (const auto& s : t->settings) CheckSetting(dest, s, c);
    for (const auto& s : kCommon) CheckSetting(dest, s, c);

    if (!activation.contains("action")) return t->actions.front();
    auto action = c.String(activation, "action", "", true);
    if (!action) return std::nullopt;
    if (std::find(t->actions.begin(), t->actions.end(), *action) == t->actions.end()) {
        c.Err("/action", fmt::format("unknown action {} for a {} destination (expected {})", text::Quote(*action),
                                     *type, JoinQuoted(t->actions)));
        return std::nullopt;
    }
    return action;
}

} // namespace kith::apply
