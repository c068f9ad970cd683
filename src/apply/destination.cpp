#include "apply/apply.hpp"
#include "apply/checks.hpp"

#include "common/confined_path.hpp"
#include "common/text.hpp"
#include "deliver/catalog.hpp"
#include "deliver/filter.hpp"
#include "deliver/mapping.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kith::apply {

namespace {

using nlohmann::json;

std::string JoinQuoted(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

void CheckSetting(const json& dest, const deliver::Setting& s, Checker& c) {
    using deliver::SettingKind;
    std::string ptr = "/destination/" + s.name;
    if (!dest.contains(s.name)) {
        if (!s.required) return;
        if (s.unless.empty()) {
            c.Err("/destination", fmt::format("missing \"{}\"", s.name));
        } else if (!dest.contains(s.unless)) {
            c.Err("/destination", fmt::format("missing \"{}\" (or \"{}\", which replaces it)", s.name, s.unless));
        }
        return;
    }
    const json& v = dest[s.name];
    switch (s.kind) {
    case SettingKind::STRING:
    case SettingKind::SECRET:
    case SettingKind::URL: {
        auto str = c.String(dest, s.name, "/destination", true);
        if (str && s.kind == SettingKind::URL && !str->starts_with("http://") && !str->starts_with("https://")) {
            c.Err(ptr, "must be an http:// or https:// URL, found " + text::Quote(*str));
        }
        if (str && !s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), *str) == s.choices.end()) {
            c.Err(ptr, "unknown " + s.name + " " + text::Quote(*str) + " (expected " + JoinQuoted(s.choices) + ")");
        }
        return;
    }
    case SettingKind::INTEGER: c.Integer(dest, s.name, "/destination", 1, s.max); return;
    case SettingKind::OBJECT:
    case SettingKind::STRING_MAP:
    case SettingKind::SECRET_MAP:
        if (!v.is_object()) {
            c.Err(ptr, fmt::format("\"{}\" must be an object, found {}", s.name, JsonTypeName(v)));
            return;
        }
        if (s.kind == SettingKind::STRING_MAP || s.kind == SettingKind::SECRET_MAP) {
            for (const auto& [k, item] : v.items()) {
                if (!item.is_string()) {
                    c.Err(ptr + JsonPointerToken(k), fmt::format("a value of \"{}\" must be a string", s.name));
                }
            }
        }
        return;
    }
}

// A file destination's path: beneath [delivery] file_root, and no link on its way out of it (what exists now; delivery
// checks again at each write).
void CheckFilePath(const json& dest, const std::string& root, Checker& c) {
    if (!dest.contains("path") || !dest["path"].is_string() || dest["path"].get<std::string>().empty()) return;
    if (root.empty()) {
        c.Err("/destination/path", "file destinations need [delivery] file_root");
        return;
    }
    auto relative = confined::RelativePath(root, dest["path"].get<std::string>());
    if (!relative) {
        c.Err("/destination/path", relative.error().message);
        return;
    }
    if (auto ok = confined::CheckBeneath(root, *relative); !ok) c.Err("/destination/path", ok.error().message);
}

} // namespace

std::optional<std::string> CheckDestination(const json& activation, Checker& c, const std::string& file_root) {
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
    const deliver::DestinationType* t = deliver::FindDestinationType(*type);
    if (!t) {
        c.Err("/destination/type", "unknown destination type " + text::Quote(*type) + " (expected " +
                                       deliver::DestinationTypeList() + ")");
        return std::nullopt;
    }
    std::vector<std::string> allowed = {"type"};
    for (const auto& s : t->settings) allowed.push_back(s.name);
    for (const auto& s : deliver::CommonSettings()) allowed.push_back(s.name);
    c.Object(dest, "/destination", allowed, "a " + *type + " destination");
    for (const auto& s : t->settings) CheckSetting(dest, s, c);
    for (const auto& s : deliver::CommonSettings()) CheckSetting(dest, s, c);
    if (*type == "file") CheckFilePath(dest, file_root, c);
    // The filter's own grammar (CheckSetting has reported a filter that is not an object).
    if (dest.contains("filter") && dest["filter"].is_object()) {
        for (const auto& e : deliver::ValidateFilter(dest["filter"]))
            c.Err("/destination/filter" + e.pointer, e.message);
    }

    if (!activation.contains("action")) return t->actions.front().name;
    auto action = c.String(activation, "action", "", true);
    if (!action) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& a : t->actions) names.push_back(a.name);
    if (std::find(names.begin(), names.end(), *action) == names.end()) {
        c.Err("/action", fmt::format("unknown action {} for a {} destination (expected {})", text::Quote(*action),
                                     *type, JoinQuoted(names)));
        return std::nullopt;
    }
    return action;
}

void CheckMapping(const json& activation, const std::optional<std::string>& action, Checker& c) {
    const json none;
    const json& mapping = activation.contains("mapping") ? activation["mapping"] : none;
    if (!mapping.is_null() && !mapping.is_object()) {
        c.Err("/mapping", "\"mapping\" must be an object or null, found " + JsonTypeName(mapping));
        return;
    }
    if (!action) return; // the destination or the action is wrong: reported by CheckDestination
    const deliver::DestinationType* type =
        deliver::FindDestinationType(activation["destination"]["type"].get<std::string>());
    const deliver::Action* a = type ? deliver::FindAction(*type, *action) : nullptr;
    if (!a) return;
    // Without a mapping, a problem (a required field without a default) is the activation's.
    std::string prefix = activation.contains("mapping") ? "/mapping" : "";
    for (const auto& e : deliver::ValidateActionMapping(*a, mapping)) c.Err(prefix + e.pointer, e.message);
}

} // namespace kith::apply
