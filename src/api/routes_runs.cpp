// Runs (one run's detail and its change list, cancelling a running run) and the delivery overview with its
// drill-down lists.
#include "api/router.hpp"
#include "api/views.hpp"

#include "common/text.hpp"
#include "engine/engine.hpp"
#include "sql/printer.hpp"

#include <charconv>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

std::expected<store::Run, ApiError> FindRun(Context& c, store::Store& store) {
    auto id = IdParam(c, "run");
    if (!id) return std::unexpected(id.error());
    auto run = store.GetRun(*id);
    if (!run) return std::unexpected(FromError(run.error()));
    if (!*run) return std::unexpected(NotFound(fmt::format("no run {}", *id)));
    auto audience = store.Read([&](store::Tx& tx) { return tx.GetAudienceById((*run)->audience_id); });
    if (!audience || !*audience || (*audience)->workspace_id != c.workspace()) {
        return std::unexpected(NotFound(fmt::format("no run {}", *id)));
    }
    return **run;
}

Answer GetRun(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto run = FindRun(c, **store);
    if (!run) return std::unexpected(run.error());
    json j = RunJson(*run);
    if (run->status == store::RunStatus::RUNNING && c.app().runtime()) {
        auto p = c.app().runtime()->RunProgress(run->id);
        j["progress"] = p ? json(*p) : json(nullptr);
    }
    // Always the summary (RunJson shows it only for runs with changes, as the Runs tab does).
    j["change_summary"] = run->summary;
    return Reply(j);
}

Answer CancelRun(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto run = FindRun(c, **store);
    if (!run) return std::unexpected(run.error());
    if (run->status != store::RunStatus::RUNNING && run->status != store::RunStatus::QUEUED) {
        return std::unexpected(Conflict(fmt::format("run {} is {}", run->id, store::RunStatusName(run->status))));
    }
    auto* rt = c.app().runtime();
    if (!rt) return std::unexpected(ApiError{503, "unavailable", "this server runs no scheduler"});
    std::string by = c.user().token_id ? fmt::format("{} (API token {})", c.user().user.email, *c.user().token_id)
                                       : c.user().user.email;
    if (auto ok = rt->CancelRun(run->id, by); !ok) return std::unexpected(FromError(ok.error()));
    return Reply(json{{"id", run->id}, {"cancelling", true}}, 202);
}

// A run's changes, read again from its kept snapshot: profile or entity changes by page of seq.
Answer RunChanges(Context& c) {
    auto limit = Limit(c, 100, 10000);
    if (!limit) return std::unexpected(limit.error());
    std::string kind = c.Query("kind").value_or("profiles");
    if (kind != "profiles" && kind != "entities") {
        return std::unexpected(Malformed(fmt::format("kind is profiles or entities, found {:?}", kind)));
    }
    auto page_after = After(c);
    if (!page_after) return std::unexpected(page_after.error());
    int64_t after = page_after->value_or(0);
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto run = FindRun(c, **store);
    if (!run) return std::unexpected(run.error());
    auto snapshot = (*store)->Read([&](store::Tx& tx) -> Result<std::optional<store::Snapshot>> {
        auto all = tx.Snapshots(run->audience_id);
        if (!all) return std::unexpected(all.error());
        for (const auto& s : *all) {
            if (s.run_id == run->id) return s;
        }
        return std::nullopt;
    });
    if (!snapshot) return std::unexpected(FromError(snapshot.error()));
    if (!*snapshot) {
        return std::unexpected(NotFound(fmt::format("run {} has no kept snapshot (it failed, or is older than the "
                                                    "kept ones)",
                                                    run->id)));
    }
    bool entity = kind == "entities";
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto dialect = engine::DialectOf(**wh);
    if (!dialect) return std::unexpected(FromError(dialect.error()));
    sql::TableName table{"", c.app().config().runs.snapshot_schema,
                         entity ? (*snapshot)->entity_changes_table : (*snapshot)->profile_changes_table};
    sql::Select q;
    q.From(sql::Table(table, "c"))
        .Item(sql::Col("c", "seq"), "seq")
        .Item(sql::Col("c", "kind"), "kind")
        .Item(sql::Col("c", "pid"), "pid");
    if (entity) q.Item(sql::Col("c", "relationship"), "relationship").Item(sql::Col("c", "pk"), "pk");
    q.Where(sql::Bin(sql::Col("c", "seq"), sql::Op::GT, sql::Int(after))).OrderBy(sql::Col("c", "seq")).Limit(*limit + 1);
    auto rows = warehouse::QueryAll(**wh, sql::Print(q, **dialect));
    if (!rows) return std::unexpected(FromError(rows.error()));
    bool more = static_cast<int>(rows->size()) > *limit;
    if (more) rows->pop_back();
    json items = json::array();
    for (const auto& r : *rows) {
        json line = {{"kind", r[1].value_or("")}, {"profile", r[2].value_or("")}};
        if (entity) {
            line["relationship"] = r[3].value_or("");
            line["primary_key"] = r[4].value_or("");
        }
        items.push_back(std::move(line));
    }
    json next = more && !rows->empty() ? json(rows->back()[0].value_or("")) : json(nullptr);
    return Reply(json{{"run_id", run->id}, {"kind", kind}, {"items", items}, {"next_after", next}});
}

// The overview's filter from the query: activation (key), event, from, to (ISO 8601), bucket.
std::expected<store::OverviewFilter, ApiError> OverviewFilterOf(Context& c, store::Store& store,
                                                                std::map<int64_t, std::string>& keys) {
    store::OverviewFilter f;
    f.workspace_id = c.workspace();
    auto time = [&](const char* name, std::optional<int64_t>& out) -> std::expected<void, ApiError> {
        auto v = c.Query(name);
        if (!v) return {};
        auto micros = engine::ParseAsOf(*v);
        if (!micros || v->empty()) {
            return std::unexpected(Malformed(fmt::format("{} takes an ISO 8601 time such as 2026-01-01T00:00:00Z, "
                                                         "found {:?}",
                                                         name, *v)));
        }
        out = *micros / 1000 - (*micros % 1000 < 0 ? 1 : 0);
        return {};
    };
    if (auto ok = time("from", f.from_ms); !ok) return std::unexpected(ok.error());
    if (auto ok = time("to", f.to_ms); !ok) return std::unexpected(ok.error());
    if (auto b = c.Query("bucket")) {
        if (*b == "none") {
            f.bucket_ms = 0;
        } else {
            auto ms = text::ParseDurationMs(*b);
            if (!ms) return std::unexpected(Malformed(fmt::format("bucket takes 15m, 1h, 1d, ... or none, found {:?}", *b)));
            f.bucket_ms = *ms;
        }
    }
    if (auto e = c.Query("event")) f.event_name = *e;
    auto acts = store.ListActivations(c.workspace());
    if (!acts) return std::unexpected(FromError(acts.error()));
    auto wanted = c.Query("activation");
    for (const auto& a : *acts) {
        keys[a.id] = a.spec.key;
        if (wanted && a.spec.key == *wanted) f.activation_id = a.id;
    }
    if (wanted && !f.activation_id) return std::unexpected(NotFound(fmt::format("no activation {:?}", *wanted)));
    return f;
}

Answer Overview(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    std::map<int64_t, std::string> keys;
    auto f = OverviewFilterOf(c, **store, keys);
    if (!f) return std::unexpected(f.error());
    auto rows = (*store)->Read([&](store::Tx& tx) { return tx.DeliveryOverview(*f); });
    if (!rows) return std::unexpected(FromError(rows.error()));
    json list = json::array();
    json total = {{"from_audience", 0}, {"filtered_at_source", 0}, {"filtered_at_destination", 0}, {"queued", 0},
                  {"pending_retry", 0}, {"failed", 0},         {"delivered", 0}};
    for (const auto& r : *rows) {
        json row = store::OverviewRowJson(r, f->bucket_ms > 0);
        if (f->bucket_ms <= 0) row["bucket_start"] = nullptr;
        for (auto& [k, v] : total.items()) v = v.get<int64_t>() + row[k].get<int64_t>();
        list.push_back(std::move(row));
    }
    return Reply(json{{"rows", list},
                      {"total", total},
                      {"from", IsoOrNull(f->from_ms)},
                      {"to", IsoOrNull(f->to_ms)},
                      {"bucket_ms", f->bucket_ms > 0 ? json(f->bucket_ms) : json(nullptr)}});
}

Answer OverviewStepEvents(Context& c) {
    auto step = store::ParseOverviewStep(c.Param("step"));
    if (!step) {
        return std::unexpected(NotFound(fmt::format("no step {:?} (from_audience, filtered_at_source, "
                                                    "filtered_at_destination, failed or delivered; pending retry "
                                                    "cannot be listed)",
                                                    c.Param("step"))));
    }
    auto limit = Limit(c, 100, 10000);
    if (!limit) return std::unexpected(limit.error());
    auto after = After(c);
    if (!after) return std::unexpected(after.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    std::map<int64_t, std::string> keys;
    auto f = OverviewFilterOf(c, **store, keys);
    if (!f) return std::unexpected(f.error());
    auto events = (*store)->Read([&](store::Tx& tx) { return tx.OverviewEvents(*step, *f, *limit + 1, *after); });
    if (!events) return std::unexpected(FromError(events.error()));
    bool more = static_cast<int>(events->size()) > *limit;
    if (more) events->pop_back();
    json list = json::array();
    for (const auto& e : *events) {
        auto key = keys.find(e.activation_id);
        list.push_back(store::OverviewEventJson(e, key != keys.end() ? key->second : std::to_string(e.activation_id)));
    }
    json next = more && !events->empty() ? json(events->back().id) : json(nullptr);
    return Reply(json{{"step", store::OverviewStepName(*step)}, {"events", list}, {"next_after", next}});
}

} // namespace

void AddRunRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("GET", "/api/v1/runs/{id}", {P::VIEW}, GetRun);
    routes.Add("POST", "/api/v1/runs/{id}/cancel", {P::EDIT_AUDIENCES}, CancelRun);
    routes.Add("GET", "/api/v1/runs/{id}/changes", {P::VIEW_PROFILES}, RunChanges);
    routes.Add("GET", "/api/v1/overview", {P::VIEW}, Overview);
    routes.Add("GET", "/api/v1/overview/{step}", {P::VIEW}, OverviewStepEvents);
}

} // namespace kith::api
