// TEMPORARY stand-in until the mapping kit lands (branch mapping).
#include "deliver/mapping.hpp"
namespace kith::deliver {
namespace {
using nlohmann::json;
std::optional<json> Eval(const json& m, const json& e) {
    if (m.is_object() && m.size() == 1 && m.contains("@path")) {
        std::string p = m["@path"].get<std::string>();
        if (p == "$.") return e;
        const json* cur = &e;
        size_t at = 2;
        while (at <= p.size()) {
            size_t dot = p.find('.', at);
            std::string key = p.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
            if (!cur->is_object() || !cur->contains(key)) return std::nullopt;
            cur = &(*cur)[key];
            if (dot == std::string::npos) break;
            at = dot + 1;
        }
        return *cur;
    }
    if (m.is_object() && m.size() == 1 && m.contains("@if")) {
        const json& c = m["@if"];
        bool yes = Eval(c["exists"], e).has_value();
        return Eval(yes ? c["then"] : c["else"], e);
    }
    if (m.is_object()) {
        json out = json::object();
        for (const auto& [k, v] : m.items()) if (auto r = Eval(v, e)) out[k] = *r;
        return out;
    }
    return m;
}
} // namespace
Result<CompiledMapping> CompiledMapping::Compile(const Action& action, const json& mapping) {
    CompiledMapping c;
    c.action_ = &action;
    c.free_form_ = action.fields.empty();
    if (c.free_form_) { c.fields_ = mapping; return c; }
    c.fields_ = json::object();
    for (const auto& f : action.fields) if (!f.default_mapping.empty()) c.fields_[f.name] = json::parse(f.default_mapping);
    if (mapping.is_object()) for (const auto& [k, v] : mapping.items()) c.fields_[k] = v;
    return c;
}
Result<json> CompiledMapping::Map(const json& event) const {
    auto r = Eval(fields_, event);
    if (!r) return Fail(ErrorCode::INVALID, "undefined");
    if (!free_form_) for (const auto& f : action_->fields) if (f.required && (!r->contains(f.name) || (*r)[f.name].is_null())) return Fail(ErrorCode::INVALID, "missing required field " + f.name);
    return *r;
}
} // namespace kith::deliver
