// Activations: the destination catalog, list, create, read, update (secrets kept when not sent again), delete,
// enable, disable, payload preview, personalization syntax, send test event.
#include "api/audience_support.hpp"
#include "api/router.hpp"
#include "api/views.hpp"

#include "apply/apply.hpp"
#include "audience/catalog.hpp"
#include "deliver/catalog_json.hpp"
#include "deliver/destination.hpp"
#include "deliver/test_event.hpp"
#include "engine/warehouse_catalog.hpp"
#include "run/events.hpp"
#include "run/personalization.hpp"
#include "run/profile_event.hpp"

#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

Answer Destinations(Context&) { return Reply(json{{"items", deliver::CatalogJson()}}); }

std::expected<store::ActivationRecord, ApiError> FindActivation(Context& c, store::Store& store) {
    auto a = store.Read([&](store::Tx& tx) { return tx.GetActivation(c.workspace(), c.Param("key")); });
    if (!a) return std::unexpected(FromError(a.error()));
    if (!*a) return std::unexpected(NotFound(fmt::format("no activation {:?}", c.Param("key"))));
    return **a;
}

std::string ActivationEtag(const store::ActivationRecord& a) { return fmt::format("x{}-{}", a.id, a.updated_at); }

Answer ListActivations(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    std::optional<int64_t> audience_id;
    if (auto key = c.Query("audience")) {
        auto a = (*store)->GetAudience(c.workspace(), *key);
        if (!a) return std::unexpected(FromError(a.error()));
        if (!*a) return std::unexpected(NotFound(fmt::format("no audience {:?}", *key)));
        audience_id = (*a)->id;
    }
    auto acts = (*store)->Read([&](store::Tx& tx) { return tx.ListActivations(c.workspace(), audience_id); });
    if (!acts) return std::unexpected(FromError(acts.error()));
    json items = json::array();
    for (const auto& a : *acts) items.push_back(ActivationJson(a));
    return Reply(json{{"items", items}});
}

std::expected<void, ApiError> ApplyActivation(Context& c, store::Store& store, json value) {
    value["kind"] = "activation";
    auto graph = c.app().graph();
    apply::Context ctx{*graph, &c.app().catalog(), store, c.workspace(), c.app().config().delivery.file_root};
    auto applied = apply::ApplyObjects({apply::Source{"request", std::move(value)}}, ctx);
    if (!applied) {
        if (applied.error().fatal) return std::unexpected(FromError(*applied.error().fatal));
        ApiError e{422, "invalid", "", ""};
        const auto& ps = applied.error().problems;
        if (!ps.empty()) {
            e.message = ps.front().message;
            e.pointer = ps.front().pointer;
        }
        for (const auto& p : ps) e.errors.push_back({{"pointer", p.pointer}, {"message", p.message}});
        return std::unexpected(e);
    }
    return {};
}

Answer CreateActivation(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    json value = **body;
    if (value.contains("kind")) return std::unexpected(Invalid("unknown field \"kind\"", "/kind"));
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    if (value.contains("key") && value["key"].is_string()) {
        auto existing = (*store)->Read(
            [&](store::Tx& tx) { return tx.GetActivation(c.workspace(), value["key"].get<std::string>()); });
        if (!existing) return std::unexpected(FromError(existing.error()));
        if (*existing) {
            return std::unexpected(Conflict(fmt::format("activation {:?} exists", value["key"].get<std::string>())));
        }
    }
    if (!value.contains("enabled")) value["enabled"] = false; // enabled once its settings are checked
    if (auto ok = ApplyActivation(c, **store, value); !ok) return std::unexpected(ok.error());
    auto created = (*store)->Read(
        [&](store::Tx& tx) { return tx.GetActivation(c.workspace(), value["key"].get<std::string>()); });
    if (!created || !*created) return std::unexpected(ApiError{500, "internal", "the new activation vanished"});
    Reply r(ActivationJson(**created), 201);
    r.etag = ActivationEtag(**created);
    r.headers.emplace_back("Location", "/api/v1/activations/" + (*created)->spec.key);
    return r;
}

Answer GetActivation(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    auto counts = (*store)->Read([&](store::Tx& tx) { return tx.CountEvents(a->id); });
    json j = ActivationJson(*a);
    json events = json::object();
    if (counts) {
        for (const auto& [status, n] : *counts) events[std::string(store::EventStatusName(status))] = n;
    }
    j["events"] = events;
    Reply r(j);
    r.etag = ActivationEtag(*a);
    return r;
}

json SpecJson(const store::ActivationSpec& s) {
    return {{"key", s.key},
            {"audience", s.audience},
            {"destination", s.destination},
            {"action", s.action},
            {"trigger", s.trigger},
            {"entity", s.entity},
            {"event_name", s.event_name},
            {"identifiers", s.identifiers},
            {"enrichment", s.enrichment},
            {"mapping", s.mapping},
            {"backfill", s.backfill},
            {"enabled", s.enabled}};
}

Answer UpdateActivation(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    std::string if_match = c.Header("If-Match");
    if (!if_match.empty() && if_match != "*" && if_match != "\"" + ActivationEtag(*a) + "\"") {
        return std::unexpected(ApiError{412, "precondition_failed", "the activation changed since it was read"});
    }
    const json& b = **body;
    if (b.contains("key") && b["key"] != a->spec.key) return std::unexpected(Invalid("the key cannot change", "/key"));
    if (b.contains("kind")) return std::unexpected(Invalid("unknown field \"kind\"", "/kind"));
    json value = SpecJson(a->spec);
    if (a->spec.entity.empty()) value.erase("entity");
    if (a->spec.trigger == "membership_changed") value.erase("event_name");
    for (const auto& [k, v] : b.items()) value[k] = v;
    if (b.contains("trigger") && !(b["trigger"].is_string() && b["trigger"].get<std::string>().starts_with("entity_")) &&
        !b.contains("entity")) {
        value.erase("entity");
    }
    if (b.contains("destination")) {
        // Changing where events go (or its secrets) is a Source Admin's or an owner's right.
        if (!c.user().Allows(Permission::EDIT_DESTINATIONS) &&
            KeepSecrets(b["destination"], a->spec.destination) != a->spec.destination) {
            return std::unexpected(Forbidden("changing an activation's destination needs the \"edit_destinations\" "
                                             "permission"));
        }
        value["destination"] = KeepSecrets(b["destination"], a->spec.destination);
    }
    if (auto ok = ApplyActivation(c, **store, value); !ok) return std::unexpected(ok.error());
    auto updated = FindActivation(c, **store);
    if (!updated) return std::unexpected(updated.error());
    Reply r(ActivationJson(*updated));
    r.etag = ActivationEtag(*updated);
    return r;
}

Answer DeleteActivation(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto ok = (*store)->Transaction([&](store::Tx& tx) { return tx.DeleteActivation(c.workspace(), c.Param("key")); });
    if (!ok) return std::unexpected(FromError(ok.error()));
    return Reply(json(nullptr), 204);
}

Answer SetActivationEnabled(Context& c, bool enabled) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    store::ActivationSpec spec = a->spec;
    spec.enabled = enabled;
    auto ok = (*store)->UpsertActivation(c.workspace(), spec);
    if (!ok) return std::unexpected(FromError(ok.error()));
    auto updated = FindActivation(c, **store);
    if (!updated) return std::unexpected(updated.error());
    return Reply(ActivationJson(*updated));
}

std::expected<run::ActivationPlan, ApiError> Plan(Context& c, const store::ActivationRecord& a) {
    auto graph = c.app().graph();
    auto plan = run::ActivationPlan::From(a, *graph, c.app().config().delivery.max_event_bytes);
    if (!plan) return std::unexpected(FromError(plan.error()));
    return *plan;
}

Answer Personalization(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    auto plan = Plan(c, *a);
    if (!plan) return std::unexpected(plan.error());
    return Reply(run::PersonalizationJson(*plan, *c.app().graph()));
}

// What a payload preview shows and a test event sends.
struct ShownEvent {
    std::string message_id;
    json payload;
    std::string source;        // "outbox": the newest queued; "warehouse": built now
    std::string filter_reason; // warehouse: why a run would not send it
};

// The newest queued event of the activation (of the profile whose userId is user_id, when given); when there is none,
// one built now from the warehouse as the activation's next run would build it (run/profile_event.hpp).
std::expected<ShownEvent, ApiError> EventToShow(Context& c, store::Store& store, const store::ActivationRecord& a,
                                                const std::string& user_id, const json& body) {
    auto as_of = AsOf(body);
    if (!as_of) return std::unexpected(as_of.error());
    auto queued = store.Read([&](store::Tx& tx) -> Result<std::optional<store::OutboxEvent>> {
        if (!user_id.empty()) return tx.LatestEventOfUser(a.id, user_id);
        return tx.LatestEvent(a.id);
    });
    if (!queued) return std::unexpected(FromError(queued.error()));
    if (*queued) return ShownEvent{(*queued)->message_id, (*queued)->payload, "outbox", ""};
    auto graph = c.app().graph();
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto catalog = engine::Via(c.app().catalog(), **wh);
    run::Environment env{store, **wh, *graph};
    run::ProfileEventRequest request{user_id, *as_of, c.app().config().delivery.max_event_bytes};
    auto built = run::BuildProfileEvent(env, catalog, a, request);
    if (!built) {
        ApiError e = FromError(built.error());
        if (built.error().code == ErrorCode::NOT_FOUND && !user_id.empty()) e.pointer = "/user_id";
        return std::unexpected(e);
    }
    run::BuiltEvent& b = built->event;
    return ShownEvent{b.message_id, std::move(b.payload), "warehouse", b.filter_reason};
}

// The activation's event (of one user when user_id is given), as queued or built (EventToShow) and as its destination
// would receive it after the mapping (the stored one, or the body's "mapping" while it is being edited).
Answer PayloadPreview(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    json mapping = a->spec.mapping;
    std::string user_id;
    if (c.body().is_object()) {
        if (c.body().contains("mapping")) mapping = c.body()["mapping"];
        if (c.body().contains("user_id")) {
            if (!c.body()["user_id"].is_string()) return std::unexpected(Malformed("\"user_id\" must be a string", "/user_id"));
            user_id = c.body()["user_id"].get<std::string>();
        }
    }
    auto mapper = deliver::MakeMapper(a->spec.destination.value("type", ""), a->spec.action, mapping);
    if (!mapper) return std::unexpected(Invalid(mapper.error().message, "/mapping" + mapper.error().location));
    auto event = EventToShow(c, **store, *a, user_id, c.body());
    if (!event) return std::unexpected(event.error());
    auto mapped = *mapper ? (*mapper)(event->payload) : Result<json>(event->payload); // empty: the payload itself
    json out = {{"message_id", event->message_id}, {"event", event->payload}, {"source", event->source}};
    if (!event->filter_reason.empty()) out["filter_reason"] = event->filter_reason;
    if (mapped) {
        out["mapped"] = *mapped;
    } else {
        out["mapped"] = nullptr;
        out["mapping_error"] = mapped.error().ToString();
    }
    return Reply(out);
}

constexpr const char* kHiddenPayload = "(hidden: showing what a test event carries needs the view_profiles permission)";

Answer TestEvent(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    if (!b.contains("user_id") || !b["user_id"].is_string() || b["user_id"].get_ref<const std::string&>().empty()) {
        return std::unexpected(Malformed("\"user_id\" must be the profile's userId", "/user_id"));
    }
    std::string user_id = b["user_id"].get<std::string>();
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindActivation(c, **store);
    if (!a) return std::unexpected(a.error());
    auto event = EventToShow(c, **store, *a, user_id, b);
    if (!event) return std::unexpected(event.error());
    deliver::DestinationContext ctx{.delivery = c.app().config().delivery};
    auto result = deliver::SendTestEvent(*a, event->payload, ctx);
    if (!result) return std::unexpected(FromError(result.error()));
    // The request carries the profile's identifiers and traits, and an answer may echo them: a user who may not
    // view profiles sees that the exchange happened and how it ended, not what it carried.
    bool show_payload = c.user().Allows(Permission::VIEW_PROFILES);
    json exchanges = json::array();
    for (const auto& x : result->exchanges) {
        json request = x.request, response = x.response;
        if (!show_payload) {
            for (json* part : {&request, &response}) {
                for (const char* k : {"body", "line"}) {
                    if (part->is_object() && part->contains(k)) (*part)[k] = kHiddenPayload;
                }
            }
        }
        exchanges.push_back({{"request", request}, {"response", response}});
    }
    const deliver::Outcome& o = result->outcome;
    return Reply(json{{"activation", a->spec.key},
                      {"message_id", deliver::TestMessageId(event->message_id)},
                      {"source", event->source},
                      {"result", deliver::OutcomeKindName(o.kind)},
                      {"status", o.status},
                      {"error", show_payload || o.error.empty() ? o.error : std::string(kHiddenPayload)},
                      {"exchanges", exchanges}});
}

} // namespace

void AddActivationRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("GET", "/api/v1/destinations", {P::VIEW}, Destinations);
    routes.Add("GET", "/api/v1/activations", {P::VIEW}, ListActivations);
    routes.Add("POST", "/api/v1/activations", {P::EDIT_ACTIVATIONS, P::EDIT_DESTINATIONS}, CreateActivation);
    routes.Add("GET", "/api/v1/activations/{key}", {P::VIEW}, GetActivation);
    routes.Add("PUT", "/api/v1/activations/{key}", {P::EDIT_ACTIVATIONS}, UpdateActivation);
    routes.Add("DELETE", "/api/v1/activations/{key}", {P::EDIT_ACTIVATIONS}, DeleteActivation);
    routes.Add("POST", "/api/v1/activations/{key}/enable", {P::EDIT_ACTIVATIONS},
               [](Context& c) { return SetActivationEnabled(c, true); });
    routes.Add("POST", "/api/v1/activations/{key}/disable", {P::EDIT_ACTIVATIONS},
               [](Context& c) { return SetActivationEnabled(c, false); });
    routes.Add("GET", "/api/v1/activations/{key}/personalization", {P::VIEW}, Personalization);
    routes.Add("POST", "/api/v1/activations/{key}/payload-preview", {P::VIEW, P::VIEW_PROFILES}, PayloadPreview);
    routes.Add("POST", "/api/v1/activations/{key}/test-event", {P::EDIT_ACTIVATIONS}, TestEvent);
}

} // namespace kith::api
