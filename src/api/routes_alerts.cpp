// Alerts (anyone signed in may create one; only its creator or a Workspace Owner may change or delete it), evaluating
// them now, and the in-app notifications of the signed-in user.
#include "api/router.hpp"

#include "alert/alert.hpp"
#include "alert/channels.hpp"
#include "alert/evaluator.hpp"
#include "common/text.hpp"
#include "deliver/http.hpp"

#include <charconv>
#include <chrono>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

ApiError AlertProblems(const std::vector<Error>& errors) {
    ApiError e(422, "invalid", errors.empty() ? "invalid alert" : errors.front().message,
               errors.empty() ? "" : errors.front().location);
    for (const auto& err : errors) e.errors.push_back({{"pointer", err.location}, {"message", err.message}});
    return e;
}

Answer ListAlerts(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto alerts = (*store)->Read([&](store::Tx& tx) { return tx.ListAlerts(c.workspace()); });
    if (!alerts) return std::unexpected(FromError(alerts.error()));
    std::optional<std::string> target = c.Query("target");
    json items = json::array();
    for (const auto& a : *alerts) {
        if (target && a.spec.target != *target) continue;
        items.push_back(alert::AlertJson(a));
    }
    return Reply(json{{"items", items}});
}

Answer CreateAlert(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    auto spec = alert::ParseAlert(**body, c.app().config().delivery.allow_hosts);
    if (!spec) return std::unexpected(AlertProblems(spec.error()));
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto created = (*store)->Transaction([&](store::Tx& tx) -> Result<std::optional<store::AlertRecord>> {
        if (auto ok = alert::CheckTarget(tx, c.workspace(), *spec); !ok) return std::unexpected(ok.error());
        auto id = tx.CreateAlert(c.workspace(), *spec, c.user().user.id);
        if (!id) return std::unexpected(id.error());
        return tx.GetAlert(c.workspace(), *id);
    });
    if (!created) {
        if (created.error().code == ErrorCode::NOT_FOUND) return std::unexpected(Invalid(created.error().message, "/target"));
        return std::unexpected(FromError(created.error()));
    }
    if (!*created) return std::unexpected(ApiError(500, "internal", "the new alert vanished"));
    Reply r(alert::AlertJson(**created), 201);
    r.headers.emplace_back("Location", fmt::format("/api/v1/alerts/{}", (*created)->id));
    return r;
}

std::expected<store::AlertRecord, ApiError> FindAlert(Context& c, store::Store& store) {
    auto id = IdParam(c, "alert");
    if (!id) return std::unexpected(id.error());
    auto a = store.Read([&](store::Tx& tx) { return tx.GetAlert(c.workspace(), *id); });
    if (!a) return std::unexpected(FromError(a.error()));
    if (!*a) return std::unexpected(NotFound(fmt::format("no alert {}", *id)));
    return **a;
}

// Only the alert's creator or a Workspace Owner may change or delete it (activations.md, "Alerts").
std::expected<void, ApiError> MayEdit(Context& c, const store::AlertRecord& a) {
    if (c.user().Allows(Permission::ADMIN)) return {};
    if (a.created_by && *a.created_by == c.user().user.id) return {};
    return std::unexpected(Forbidden("only the alert's creator or a Workspace Owner may change or delete it"));
}

Answer GetAlert(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAlert(c, **store);
    if (!a) return std::unexpected(a.error());
    return Reply(alert::AlertJson(*a));
}

Answer UpdateAlert(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAlert(c, **store);
    if (!a) return std::unexpected(a.error());
    if (auto ok = MayEdit(c, *a); !ok) return std::unexpected(ok.error());
    json value = **body;
    // A Slack URL sent back as it was shown (redacted) keeps the stored one.
    if (value.contains("channels") && value["channels"].is_array() && a->spec.channels.is_array()) {
        for (auto& ch : value["channels"]) {
            if (!ch.is_object() || ch.value("type", "") != "slack" || !ch.contains("url") || !ch["url"].is_string()) continue;
            for (const auto& old : a->spec.channels) {
                if (old.is_object() && old.value("type", "") == "slack" && old.contains("url") && old["url"].is_string() &&
                    alert::RedactUrl(old["url"].get<std::string>()) == ch["url"].get<std::string>()) {
                    ch["url"] = old["url"];
                }
            }
        }
    }
    auto spec = alert::ParseAlert(value, c.app().config().delivery.allow_hosts);
    if (!spec) return std::unexpected(AlertProblems(spec.error()));
    auto updated = (*store)->Transaction([&](store::Tx& tx) -> Result<std::optional<store::AlertRecord>> {
        if (auto ok = alert::CheckTarget(tx, c.workspace(), *spec); !ok) return std::unexpected(ok.error());
        if (auto ok = tx.UpdateAlert(c.workspace(), a->id, *spec); !ok) return std::unexpected(ok.error());
        return tx.GetAlert(c.workspace(), a->id);
    });
    if (!updated) {
        if (updated.error().code == ErrorCode::NOT_FOUND) return std::unexpected(Invalid(updated.error().message, "/target"));
        return std::unexpected(FromError(updated.error()));
    }
    return Reply(alert::AlertJson(**updated));
}

Answer DeleteAlert(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAlert(c, **store);
    if (!a) return std::unexpected(a.error());
    if (auto ok = MayEdit(c, *a); !ok) return std::unexpected(ok.error());
    auto ok = (*store)->Transaction([&](store::Tx& tx) { return tx.DeleteAlert(c.workspace(), a->id); });
    if (!ok) return std::unexpected(FromError(ok.error()));
    return Reply(json(nullptr), 204);
}

json ResultJson(const alert::AlertResult& r) {
    json channels = json::array();
    for (const auto& ch : r.channels) channels.push_back({{"channel", ch.channel}, {"ok", ch.ok}, {"detail", ch.detail}});
    return {{"alert_id", r.alert_id},
            {"target", r.target},
            {"current", r.current ? json(*r.current) : json(nullptr)},
            {"previous", r.previous ? json(*r.previous) : json(nullptr)},
            {"firing", r.firing},
            {"transition", alert::TransitionName(r.transition)},
            {"skipped", r.skipped},
            {"error", r.error},
            {"channels", channels}};
}

Answer EvaluateNow(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    int64_t now = deliver::WallClockMs();
    auto e = alert::EvaluateAlerts(**store, c.workspace(), now, alert::ChannelsFromConfig(c.app().config()));
    if (!e) return std::unexpected(FromError(e.error()));
    json results = json::array();
    for (const auto& r : e->alerts) results.push_back(ResultJson(r));
    return Reply(json{{"alerts", results}, {"fired", e->Fired()}, {"recovered", e->Recovered()},
                      {"channel_failures", e->ChannelFailures()}});
}

Answer Notifications(Context& c) {
    auto limit = Limit(c, 50, 500);
    if (!limit) return std::unexpected(limit.error());
    bool unread = c.Query("unread").value_or("") == "true";
    auto after = After(c);
    if (!after) return std::unexpected(after.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    int64_t user = c.user().user.id;
    auto list = (*store)->Read([&](store::Tx& tx) { return tx.ListNotifications(user, unread, *limit + 1, *after); });
    if (!list) return std::unexpected(FromError(list.error()));
    auto count = (*store)->Read([&](store::Tx& tx) { return tx.CountUnread(user); });
    if (!count) return std::unexpected(FromError(count.error()));
    bool more = static_cast<int>(list->size()) > *limit;
    if (more) list->pop_back();
    json items = json::array();
    for (const auto& n : *list) {
        items.push_back({{"id", n.id},
                         {"alert_id", n.alert_id ? json(*n.alert_id) : json(nullptr)},
                         {"title", n.title},
                         {"body", n.body},
                         {"created_at", text::IsoMillis(n.created_at)},
                         {"read_at", IsoOrNull(n.read_at)}});
    }
    json next = more && !list->empty() ? json(list->back().id) : json(nullptr);
    return Reply(json{{"items", items}, {"unread", *count}, {"next_after", next}});
}

Answer MarkRead(Context& c) {
    std::optional<std::vector<int64_t>> ids;
    if (c.body().is_object() && c.body().contains("ids")) {
        const json& list = c.body()["ids"];
        if (!list.is_array()) return std::unexpected(Malformed("\"ids\" must be an array of notification ids", "/ids"));
        ids.emplace();
        for (size_t i = 0; i < list.size(); ++i) {
            if (!list[i].is_number_integer()) {
                return std::unexpected(Malformed("a notification id is an integer", fmt::format("/ids/{}", i)));
            }
            ids->push_back(list[i].get<int64_t>());
        }
    } else if (!c.body().is_null() && !c.body().is_object()) {
        return std::unexpected(Malformed("the body must be an object ({\"ids\": [...]}, or {} for all)"));
    }
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto n = (*store)->Transaction([&](store::Tx& tx) { return tx.MarkNotificationsRead(c.user().user.id, ids); });
    if (!n) return std::unexpected(FromError(n.error()));
    return Reply(json{{"marked", *n}});
}

} // namespace

void AddAlertRoutes(Routes& routes) {
    using P = Permission;
    // An alert watches an audience or an activation by key: seeing, making or changing one tells which exist, so
    // it takes the permission to view them.
    routes.Add("GET", "/api/v1/alerts", {P::VIEW}, ListAlerts);
    routes.Add("POST", "/api/v1/alerts", {P::VIEW}, CreateAlert);
    routes.Add("POST", "/api/v1/alerts/evaluate", {P::ADMIN}, EvaluateNow);
    routes.Add("GET", "/api/v1/alerts/{id}", {P::VIEW}, GetAlert);
    routes.Add("PUT", "/api/v1/alerts/{id}", {P::VIEW}, UpdateAlert);
    routes.Add("DELETE", "/api/v1/alerts/{id}", {P::VIEW}, DeleteAlert);
    routes.Add("GET", "/api/v1/notifications", {P::SIGNED_IN}, Notifications);
    routes.Add("POST", "/api/v1/notifications/read", {P::SIGNED_IN}, MarkRead);
}

} // namespace kith::api
