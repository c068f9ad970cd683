#include "deliver/catalog_json.hpp"

#include "deliver/destination.hpp"

namespace kith::deliver {

using nlohmann::json;

json SettingJson(const Setting& s, bool common) {
    json out = {{"name", s.name},
                {"kind", SettingKindName(s.kind)},
                {"required", s.required},
                {"secret", IsSecret(s.kind)},
                {"common", common},
                {"description", s.description}};
    if (s.kind == SettingKind::INTEGER) out["max"] = s.max;
    if (!s.choices.empty()) out["choices"] = s.choices;
    out["label"] = s.label.empty() ? s.name : s.label;
    if (!s.default_value.empty()) out["default"] = s.default_value;
    if (!s.unless.empty()) out["unless"] = s.unless;
    return out;
}

json CatalogJson() {
    json out = json::array();
    for (const auto& t : DestinationTypes()) {
        json actions = json::array(), settings = json::array();
        for (const auto& a : t.actions) {
            json fields = json::array();
            for (const auto& f : a.fields) {
                fields.push_back({{"name", f.name},
                                  {"type", FieldTypeName(f.type)},
                                  {"required", f.required},
                                  {"default", f.default_mapping.empty() ? json(nullptr)
                                                                        : json::parse(f.default_mapping, nullptr, false)},
                                  {"description", f.description},
                                  {"label", f.label.empty() ? f.name : f.label}});
            }
            actions.push_back({{"name", a.name},
                               {"label", a.label.empty() ? a.name : a.label},
                               {"default", &a == &t.actions.front()},
                               {"free_form", a.fields.empty()},
                               {"description", a.description},
                               {"fields", fields}});
        }
        for (const auto& s : t.settings) settings.push_back(SettingJson(s, false));
        for (const auto& s : CommonSettings()) settings.push_back(SettingJson(s, true));
        out.push_back({{"type", t.type},
                       {"description", t.description},
                       {"implemented", IsImplemented(t.type)},
                       {"actions", actions},
                       {"settings", settings}});
    }
    return out;
}

} // namespace kith::deliver
