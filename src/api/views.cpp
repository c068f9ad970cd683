#include "api/views.hpp"

#include "common/text.hpp"
#include "deliver/catalog.hpp"
#include "run/run.hpp"

namespace kith::api {

using nlohmann::json;

namespace {

json Iso(int64_t ms) { return text::IsoMillis(ms); }

// The destination type's settings (its own and the common ones) that are secrets.
std::vector<const deliver::Setting*> SecretSettings(const json& destination) {
    std::vector<const deliver::Setting*> out;
    if (!destination.is_object() || !destination.contains("type") || !destination["type"].is_string()) return out;
    const auto* type = deliver::FindDestinationType(destination["type"].get<std::string>());
    if (!type) return out;
    for (const auto& s : type->settings) {
        if (deliver::IsSecret(s.kind)) out.push_back(&s);
    }
    return out;
}

} // namespace

json UserJson(const store::User& u) {
    return {{"id", u.id},           {"email", u.email},           {"name", u.name},
            {"roles", u.roles},     {"disabled", u.disabled},     {"has_password", !u.password_hash.empty()},
            {"created_at", Iso(u.created_at)}, {"updated_at", Iso(u.updated_at)}};
}

json TokenJson(const store::ApiToken& t) {
    return {{"id", t.id},
            {"user_id", t.user_id},
            {"name", t.name},
            {"created_at", Iso(t.created_at)},
            {"last_used_at", t.last_used_at ? Iso(*t.last_used_at) : json(nullptr)}};
}

json AudienceJson(const store::AudienceRecord& a, const json& extra) {
    json j = {{"key", a.spec.key},
              {"name", a.spec.name},
              {"description", a.spec.description},
              {"folder", a.spec.folder},
              {"enabled", a.spec.enabled},
              {"schedule", a.spec.schedule},
              {"definition", a.spec.definition},
              {"version", a.version},
              {"created_at", Iso(a.created_at)},
              {"updated_at", Iso(a.updated_at)}};
    if (extra.is_object()) {
        for (const auto& [k, v] : extra.items()) j[k] = v;
    }
    return j;
}

json MaskSecrets(const json& destination) {
    json d = destination;
    for (const auto* s : SecretSettings(destination)) {
        if (!d.contains(s->name)) continue;
        if (s->kind == deliver::SettingKind::SECRET_MAP && d[s->name].is_object()) {
            for (auto& [k, v] : d[s->name].items()) v = kSecretMask;
        } else {
            d[s->name] = kSecretMask;
        }
    }
    return d;
}

json KeepSecrets(const json& sent, const json& stored) {
    json d = sent;
    if (!d.is_object() || !stored.is_object() || d.value("type", "") != stored.value("type", "")) return d;
    for (const auto* s : SecretSettings(d)) {
        if (!stored.contains(s->name)) continue;
        if (!d.contains(s->name)) {
            d[s->name] = stored[s->name];
        } else if (s->kind == deliver::SettingKind::SECRET_MAP && d[s->name].is_object() &&
                   stored[s->name].is_object()) {
            for (auto& [k, v] : d[s->name].items()) {
                if (v == kSecretMask && stored[s->name].contains(k)) v = stored[s->name][k];
            }
        } else if (d[s->name] == kSecretMask) {
            d[s->name] = stored[s->name];
        }
    }
    return d;
}

json ActivationJson(const store::ActivationRecord& a) {
    return {{"key", a.spec.key},
            {"audience", a.spec.audience},
            {"destination", MaskSecrets(a.spec.destination)},
            {"action", a.spec.action},
            {"trigger", a.spec.trigger},
            {"entity", a.spec.entity.empty() ? json(nullptr) : json(a.spec.entity)},
            {"event_name", a.spec.event_name},
            {"identifiers", a.spec.identifiers},
            {"enrichment", a.spec.enrichment},
            {"mapping", a.spec.mapping},
            {"backfill", a.spec.backfill},
            {"enabled", a.spec.enabled},
            {"first_run_id", a.first_run_id ? json(*a.first_run_id) : json(nullptr)},
            {"created_at", Iso(a.created_at)},
            {"updated_at", Iso(a.updated_at)}};
}

json RunJson(const store::Run& run) {
    json j = run::RunHistoryEntry(run);
    j["queued_at"] = Iso(run.queued_at);
    j["started_at"] = run.started_at ? Iso(*run.started_at) : json(nullptr);
    j["finished_at"] = run.finished_at ? Iso(*run.finished_at) : json(nullptr);
    j["members"] = run.summary.is_object() && run.summary.contains("members") ? run.summary["members"] : json(nullptr);
    j["id"] = run.id;
    j["audience_id"] = run.audience_id;
    j["definition_version"] = run.definition_version;
    j["reason"] = run.reason;
    if (!run.error.empty()) j["error"] = run.error;
    return j;
}

} // namespace kith::api
