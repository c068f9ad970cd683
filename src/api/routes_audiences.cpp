// Audiences: list (folders, search, paging), create, read (ETag), update (If-Match), delete, history, clone, enable,
// disable, schedule, run now, their runs, the audience explorer (members of the latest run, by page), validation,
// preview (a long operation), explain a profile, value suggestions.
#include "engine/warehouse_catalog.hpp"
#include "api/audience_support.hpp"
#include "api/router.hpp"
#include "api/views.hpp"

#include "apply/apply.hpp"
#include "common/text.hpp"
#include "engine/preview.hpp"
#include "run/run.hpp"
#include "run/snapshot.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <charconv>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

std::string AudienceEtag(const store::AudienceRecord& a) { return fmt::format("a{}-{}-{}", a.id, a.version, a.updated_at); }

std::string Lower(std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

std::expected<store::AudienceRecord, ApiError> FindAudience(Context& c, store::Store& store) {
    auto a = store.GetAudience(c.workspace(), c.Param("key"));
    if (!a) return std::unexpected(FromError(a.error()));
    if (!*a) return std::unexpected(NotFound(fmt::format("no audience {:?}", c.Param("key"))));
    return **a;
}

// Size (members of the latest completed run), the latest run, and what the scheduler plans.
json AudienceFacts(Context& c, store::Store& store, const store::AudienceRecord& a) {
    json facts = {{"size", nullptr}, {"last_run", nullptr}, {"next_run", nullptr}, {"state", nullptr}};
    auto runs = store.LastRuns(a.id, 20);
    if (runs) {
        if (!runs->empty()) {
            const auto& r = runs->front();
            facts["last_run"] = {{"id", r.id},
                                 {"status", store::RunStatusName(r.status)},
                                 {"queued_at", text::IsoMillis(r.queued_at)},
                                 {"finished_at", IsoOrNull(r.finished_at)}};
        }
        for (const auto& r : *runs) {
            if (r.status == store::RunStatus::COMPLETED && r.summary.is_object() && r.summary.contains("members")) {
                facts["size"] = r.summary["members"];
                break;
            }
        }
    }
    if (auto* rt = c.app().runtime()) {
        json s = rt->AudienceSchedule(a.spec.key);
        facts["state"] = s.value("state", json(nullptr));
        facts["next_run"] = s.value("next_run", json(nullptr));
    }
    return facts;
}

Answer ListAudiences(Context& c) {
    auto limit = Limit(c, 100, 1000);
    if (!limit) return std::unexpected(limit.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto all = (*store)->ListAudiences(c.workspace());
    if (!all) return std::unexpected(FromError(all.error()));
    auto folder = c.Query("folder");
    std::string q = Lower(c.Query("q").value_or(""));
    std::string after = c.Query("after").value_or("");
    json items = json::array();
    std::vector<std::string> folders;
    std::optional<std::string> next;
    for (const auto& a : *all) {
        if (!a.spec.folder.empty() &&
            std::find(folders.begin(), folders.end(), a.spec.folder) == folders.end()) {
            folders.push_back(a.spec.folder);
        }
        if (folder && a.spec.folder != *folder) continue;
        if (!q.empty() && Lower(a.spec.key + "\n" + a.spec.name + "\n" + a.spec.description).find(q) == std::string::npos) {
            continue;
        }
        if (!after.empty() && a.spec.key <= after) continue;
        if (static_cast<int>(items.size()) == *limit) {
            next = items.back()["key"].get<std::string>();
            continue;
        }
        json j = AudienceJson(a, AudienceFacts(c, **store, a));
        j.erase("definition");
        items.push_back(std::move(j));
    }
    std::sort(folders.begin(), folders.end());
    return Reply(json{{"items", items}, {"folders", folders}, {"next_after", next ? json(*next) : json(nullptr)}});
}

// Validates an audience object as `kith apply` does and writes it (unless dry_run).
std::expected<void, ApiError> ApplyAudience(Context& c, store::Store& store, json value, bool dry_run) {
    value["kind"] = "audience";
    auto graph = c.app().graph();
    apply::Context ctx{*graph, &c.app().catalog(), store, c.workspace(), c.app().config().delivery.file_root};
    auto applied = apply::ApplyObjects({apply::Source{"request", std::move(value)}}, ctx, {}, "the request", dry_run);
    if (!applied) {
        if (applied.error().fatal) return std::unexpected(FromError(*applied.error().fatal));
        return std::unexpected(ProblemsError(applied.error().problems));
    }
    if (!dry_run && c.app().runtime()) c.app().runtime()->AudiencesChanged();
    return {};
}

Answer CreateAudience(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    json value = **body;
    if (value.contains("kind")) return std::unexpected(Invalid("unknown field \"kind\"", "/kind"));
    if (!value.contains("enabled")) value["enabled"] = false; // a new audience starts disabled
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    if (value.contains("key") && value["key"].is_string()) {
        auto existing = (*store)->GetAudience(c.workspace(), value["key"].get<std::string>());
        if (!existing) return std::unexpected(FromError(existing.error()));
        if (*existing) return std::unexpected(Conflict(fmt::format("audience {:?} exists", value["key"].get<std::string>())));
    }
    if (auto ok = ApplyAudience(c, **store, value, false); !ok) return std::unexpected(ok.error());
    auto created = (*store)->GetAudience(c.workspace(), value["key"].get<std::string>());
    if (!created || !*created) return std::unexpected(ApiError{500, "internal", "the new audience vanished"});
    Reply r(AudienceJson(**created, AudienceFacts(c, **store, **created)), 201);
    r.etag = AudienceEtag(**created);
    r.headers.emplace_back("Location", "/api/v1/audiences/" + (*created)->spec.key);
    return r;
}

Answer GetAudience(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    auto acts = (*store)->Read([&](store::Tx& tx) { return tx.ListActivations(c.workspace(), a->id); });
    if (!acts) return std::unexpected(FromError(acts.error()));
    json extra = AudienceFacts(c, **store, *a);
    extra["activations"] = json::array();
    for (const auto& act : *acts) extra["activations"].push_back(ActivationJson(act));
    Reply r(AudienceJson(*a, extra));
    r.etag = AudienceEtag(*a);
    return r;
}

// 412 when the request's If-Match names another version than the stored one.
std::expected<void, ApiError> CheckIfMatch(Context& c, const store::AudienceRecord& a) {
    std::string if_match = c.Header("If-Match");
    if (if_match.empty() || if_match == "*") return {};
    if (if_match != "\"" + AudienceEtag(a) + "\"") {
        return std::unexpected(ApiError{412, "precondition_failed",
                                        "the audience changed since it was read (If-Match does not match its ETag); "
                                        "read it again"});
    }
    return {};
}

// Activations of the audience that use a relationship the new definition no longer uses.
json RemovedEntityWarnings(Context& c, store::Store& store, const store::AudienceRecord& a, const json& definition) {
    json warnings = json::array();
    auto graph = c.app().graph();
    auto parsed = ParseDefinition(definition, *graph, c.app().catalog(), store, c.workspace(), "/definition");
    if (!parsed) return warnings;
    std::set<std::string> used;
    std::function<void(const std::vector<audience::Condition>&)> walk = [&](const std::vector<audience::Condition>& cs) {
        for (const auto& cond : cs) {
            if (cond.kind != audience::Condition::Kind::ENTITY) continue;
            used.insert(cond.relationship_slug);
            walk(cond.children);
        }
    };
    for (const auto& g : parsed->groups) walk(g.conditions);
    auto acts = store.Read([&](store::Tx& tx) { return tx.ListActivations(c.workspace(), a.id); });
    if (!acts) return warnings;
    for (const auto& act : *acts) {
        std::set<std::string> needs;
        if (!act.spec.entity.empty()) needs.insert(act.spec.entity);
        if (act.spec.enrichment.contains("entities") && act.spec.enrichment["entities"].is_object()) {
            for (const auto& [rel, cols] : act.spec.enrichment["entities"].items()) needs.insert(rel);
        }
        for (const auto& rel : needs) {
            if (!used.count(rel)) {
                warnings.push_back({{"activation", act.spec.key},
                                    {"relationship", rel},
                                    {"message", fmt::format("activation {:?} uses relationship {:?}, which the new "
                                                            "definition no longer uses",
                                                            act.spec.key, rel)}});
            }
        }
    }
    return warnings;
}

Answer UpdateAudience(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    if (auto ok = CheckIfMatch(c, *a); !ok) return std::unexpected(ok.error());
    json value = **body;
    if (value.contains("key") && value["key"] != a->spec.key) {
        return std::unexpected(Invalid("the key cannot change (clone the audience instead)", "/key"));
    }
    if (value.contains("kind")) return std::unexpected(Invalid("unknown field \"kind\"", "/kind"));
    value["key"] = a->spec.key;
    if (!value.contains("enabled")) value["enabled"] = a->spec.enabled;
    if (!value.contains("schedule")) value["schedule"] = a->spec.schedule;
    if (!value.contains("name")) value["name"] = a->spec.name;
    if (!value.contains("description")) value["description"] = a->spec.description;
    if (!value.contains("folder")) value["folder"] = a->spec.folder;
    if (!value.contains("definition")) value["definition"] = a->spec.definition;
    bool dry_run = c.Query("dry_run").value_or("") == "true";
    json warnings = RemovedEntityWarnings(c, **store, *a, value["definition"]);
    if (auto ok = ApplyAudience(c, **store, value, dry_run); !ok) return std::unexpected(ok.error());
    auto updated = FindAudience(c, **store);
    if (!updated) return std::unexpected(updated.error());
    json extra = AudienceFacts(c, **store, *updated);
    extra["warnings"] = warnings;
    Reply r(AudienceJson(*updated, extra));
    r.etag = AudienceEtag(*updated);
    return r;
}

Answer DeleteAudience(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    if (auto ok = CheckIfMatch(c, *a); !ok) return std::unexpected(ok.error());
    // The runs whose snapshot tables the warehouse keeps, read in the transaction that deletes them.
    std::vector<int64_t> kept;
    auto ok = (*store)->Transaction([&](store::Tx& tx) -> Status {
        auto snapshots = tx.Snapshots(a->id);
        if (!snapshots) return std::unexpected(snapshots.error());
        for (const auto& s : *snapshots) kept.push_back(s.run_id);
        return tx.DeleteAudience(c.workspace(), a->spec.key);
    });
    if (!ok) return std::unexpected(FromError(ok.error()));
    if (c.app().runtime()) c.app().runtime()->AudiencesChanged();
    // Then its tables: the audience is gone either way; tables left by a failure here are only space.
    if (!kept.empty()) {
        auto wh = c.app().warehouses().Acquire();
        Status dropped = wh ? run::DropAudienceTables(**wh, a->id, kept, c.app().config().runs.snapshot_schema)
                            : Status(std::unexpected(wh.error()));
        if (!dropped) c.Warn("the deleted audience's warehouse tables were not all dropped: " + dropped.error().ToString());
    }
    return Reply(json(nullptr), 204);
}

Answer AudienceHistory(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    auto h = (*store)->AudienceHistory(a->id);
    if (!h) return std::unexpected(FromError(h.error()));
    json items = json::array();
    for (auto it = h->rbegin(); it != h->rend(); ++it) {
        items.push_back({{"version", it->version}, {"definition", it->definition},
                         {"created_at", text::IsoMillis(it->created_at)}});
    }
    return Reply(json{{"items", items}});
}

Answer CloneAudience(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    if (!b.contains("key") || !b["key"].is_string()) return std::unexpected(Malformed("\"key\" must be a string", "/key"));
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    auto existing = (*store)->GetAudience(c.workspace(), b["key"].get<std::string>());
    if (!existing) return std::unexpected(FromError(existing.error()));
    if (*existing) return std::unexpected(Conflict(fmt::format("audience {:?} exists", b["key"].get<std::string>())));
    for (const char* k : {"name", "folder"}) {
        if (b.contains(k) && !b[k].is_string()) {
            return std::unexpected(Malformed(fmt::format("\"{}\" must be a string", k), std::string("/") + k));
        }
    }
    json value = {{"key", b["key"]},
                  {"name", b.value("name", a->spec.name + " (copy)")},
                  {"description", a->spec.description},
                  {"folder", b.value("folder", a->spec.folder)},
                  {"definition", a->spec.definition},
                  {"schedule", a->spec.schedule},
                  {"enabled", false}};
    if (auto ok = ApplyAudience(c, **store, value, false); !ok) return std::unexpected(ok.error());
    auto created = (*store)->GetAudience(c.workspace(), b["key"].get<std::string>());
    if (!created || !*created) return std::unexpected(ApiError{500, "internal", "the clone vanished"});
    Reply r(AudienceJson(**created, AudienceFacts(c, **store, **created)), 201);
    r.etag = AudienceEtag(**created);
    r.headers.emplace_back("Location", "/api/v1/audiences/" + (*created)->spec.key);
    return r;
}

Answer SetEnabled(Context& c, bool enabled) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    store::AudienceSpec spec = a->spec;
    spec.enabled = enabled;
    auto ok = (*store)->UpsertAudience(c.workspace(), spec);
    if (!ok) return std::unexpected(FromError(ok.error()));
    if (c.app().runtime()) c.app().runtime()->AudiencesChanged();
    auto updated = FindAudience(c, **store);
    if (!updated) return std::unexpected(updated.error());
    Reply r(AudienceJson(*updated, AudienceFacts(c, **store, *updated)));
    r.etag = AudienceEtag(*updated);
    return r;
}

Answer SetSchedule(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    json value = AudienceJson(*a);
    for (const char* k : {"version", "created_at", "updated_at"}) value.erase(k);
    value["schedule"] = **body;
    if (auto ok = ApplyAudience(c, **store, value, false); !ok) {
        ApiError e = ok.error();
        // Pointers into the schedule object are pointers into this body.
        for (auto& err : e.errors) {
            std::string p = err.value("pointer", "");
            if (p.starts_with("/schedule")) err["pointer"] = p.substr(9);
        }
        if (e.pointer.starts_with("/schedule")) e.pointer = e.pointer.substr(9);
        return std::unexpected(e);
    }
    auto updated = FindAudience(c, **store);
    if (!updated) return std::unexpected(updated.error());
    return Reply(AudienceJson(*updated, AudienceFacts(c, **store, *updated)));
}

Answer RunAudienceNow(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    if (!a->spec.enabled) return std::unexpected(Conflict("enable the audience first: a run evaluates an enabled audience"));
    auto* rt = c.app().runtime();
    if (!rt) return std::unexpected(ApiError{503, "unavailable", "this server runs no scheduler"});
    if (auto ok = rt->RunNow(a->spec.key); !ok) return std::unexpected(FromError(ok.error()));
    return Reply(json{{"audience", a->spec.key}, {"queued", true}, {"schedule", rt->AudienceSchedule(a->spec.key)}}, 202);
}

Answer AudienceRuns(Context& c) {
    auto limit = Limit(c, 50, 50);
    if (!limit) return std::unexpected(limit.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    auto runs = (*store)->LastRuns(a->id, *limit);
    if (!runs) return std::unexpected(FromError(runs.error()));
    json items = json::array();
    for (const auto& r : *runs) {
        json j = RunJson(r);
        if (r.status == store::RunStatus::RUNNING && c.app().runtime()) {
            auto p = c.app().runtime()->RunProgress(r.id);
            j["progress"] = p ? json(*p) : json(nullptr);
        }
        items.push_back(std::move(j));
    }
    return Reply(json{{"items", items}});
}

// The audience explorer: members of the latest completed run's snapshot, by page of its seq (bytewise order),
// with their identifiers.
Answer AudienceMembers(Context& c) {
    auto limit = Limit(c, 50, 1000);
    if (!limit) return std::unexpected(limit.error());
    auto page_after = After(c);
    if (!page_after) return std::unexpected(page_after.error());
    int64_t after = page_after->value_or(0);
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto a = FindAudience(c, **store);
    if (!a) return std::unexpected(a.error());
    auto baseline = (*store)->Read([&](store::Tx& tx) { return tx.Baseline(a->id); });
    if (!baseline) return std::unexpected(FromError(baseline.error()));
    if (!*baseline) return Reply(json{{"run_id", nullptr}, {"items", json::array()}, {"next_after", nullptr}});
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto dialect = engine::DialectOf(**wh);
    if (!dialect) return std::unexpected(FromError(dialect.error()));
    sql::Select q;
    q.From(sql::Table(sql::TableName{"", c.app().config().runs.snapshot_schema, (*baseline)->members_table}, "m"))
        .Item(sql::Col("m", "seq"), "seq")
        .Item(sql::Col("m", "pid"), "pid")
        .Where(sql::Bin(sql::Col("m", "seq"), sql::Op::GT, sql::Int(after)))
        .OrderBy(sql::Col("m", "seq"))
        .Limit(*limit + 1);
    auto rows = warehouse::QueryAll(**wh, sql::Print(q, **dialect));
    if (!rows) return std::unexpected(FromError(rows.error()));
    bool more = static_cast<int>(rows->size()) > *limit;
    if (more) rows->pop_back();
    json items = json::array();
    std::map<std::string, size_t> index;
    std::vector<sql::ExprPtr> ids;
    for (const auto& r : *rows) {
        index[r[1].value_or("")] = items.size();
        ids.push_back(sql::Str(r[1].value_or("")));
        items.push_back({{"profile", r[1].value_or("")}, {"identifiers", json::array()}});
    }
    if (!ids.empty()) {
        auto graph = c.app().graph();
        warehouse::TableName t = graph->ProfileTable("user_identifiers");
        sql::Select iq;
        iq.From(sql::Table(sql::TableName{t.database, t.schema, t.table}, "i"))
            .Item(sql::Col("i", "canonical_segment_id"), "pid")
            .Item(sql::Col("i", "type"), "type")
            .Item(sql::Col("i", "value"), "value")
            .Where(sql::And({sql::InList(sql::Col("i", "canonical_segment_id"), ids), sql::IsNotNull(sql::Col("i", "value"))}))
            .OrderBy(sql::Col("i", "type"), false, true)
            .OrderBy(sql::Col("i", "value"), false, true);
        auto idrows = warehouse::QueryAll(**wh, sql::Print(iq, **dialect));
        if (!idrows) return std::unexpected(FromError(idrows.error()));
        for (const auto& r : *idrows) {
            auto it = index.find(r[0].value_or(""));
            if (it != index.end()) {
                items[it->second]["identifiers"].push_back({{"type", r[1].value_or("")}, {"value", r[2].value_or("")}});
            }
        }
    }
    json next = more && !rows->empty() ? json(rows->back()[0].value_or("")) : json(nullptr);
    return Reply(json{{"run_id", (*baseline)->run_id}, {"items", items}, {"next_after", next}});
}

Answer ValidateAudience(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    json value = **body;
    if (!value.contains("key")) value["key"] = "draft";
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto ok = ApplyAudience(c, **store, value, true);
    if (!ok) {
        if (ok.error().status != 422) return std::unexpected(ok.error());
        return Reply(json{{"valid", false}, {"errors", ok.error().errors}});
    }
    return Reply(json{{"valid", true}, {"errors", json::array()}});
}

// Starts a preview as a long operation; with wait_ms, answers 200 with its result if it ends in time.
std::expected<int64_t, ApiError> WaitMs(Context& c) {
    int64_t wait_ms = 0;
    if (auto w = c.Query("wait_ms")) {
        auto [end, ec] = std::from_chars(w->data(), w->data() + w->size(), wait_ms);
        if (ec != std::errc() || end != w->data() + w->size() || wait_ms < 0 || wait_ms > 600000) {
            return std::unexpected(Malformed("wait_ms must be an integer from 0 to 600000"));
        }
    }
    return wait_ms;
}

Answer StartPreview(Context& c) {
    auto wait_ms = WaitMs(c);
    if (!wait_ms) return std::unexpected(wait_ms.error());
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    if (!b.contains("definition")) return std::unexpected(Malformed("missing \"definition\"", ""));
    auto as_of = AsOf(b);
    if (!as_of) return std::unexpected(as_of.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto graph = c.app().graph();
    // Parsed now, so that a broken definition is a 422 of this request rather than a failed operation.
    if (auto parsed = ParseDefinition(b["definition"], *graph, c.app().catalog(), **store, c.workspace(), "/definition");
        !parsed) {
        return std::unexpected(parsed.error());
    }
    App& app = c.app();
    json definition = b["definition"];
    int64_t workspace = c.workspace();
    int64_t when = *as_of;
    std::string id = app.operations().Start("preview", c.user().user.id, [&app, graph, definition, workspace,
                                                                          when](Operation& op) -> Result<json> {
        auto store = app.stores().Acquire();
        if (!store) return std::unexpected(store.error());
        auto wh = app.warehouses().Acquire();
        if (!wh) return std::unexpected(wh.error());
        op.Progress("parsing");
        auto catalog = engine::Via(app.catalog(), **wh);
        auto parsed = ParseDefinition(definition, *graph, catalog, **store, workspace, "/definition");
        if (!parsed) return Fail(ErrorCode::INVALID, parsed.error().message, parsed.error().pointer);
        warehouse::Warehouse* connection = wh->get();
        op.OnCancel([connection] { connection->Interrupt(); });
        op.Progress("counting members and matched entities");
        StoreLibrary library(**store, workspace);
        engine::Session session{*graph, **wh, &catalog, &library};
        auto preview = engine::RunPreview(session, *parsed, when);
        op.OnCancel(nullptr);
        if (!preview) return std::unexpected(preview.error());
        return preview->ToJson();
    });
    // The wait holds no store connection: the operation needs one, and waiting requests must not use up the pool.
    c.ReleaseStore();
    auto view = app.operations().Get(id, *wait_ms);
    bool done = view && (*view)["finished_at"] != nullptr;
    Reply r(*view, done ? 200 : 202);
    r.headers.emplace_back("Location", "/api/v1/operations/" + id);
    return r;
}

std::expected<std::string, ApiError> OwnOperation(Context& c) {
    const std::string& id = c.Param("id");
    auto owner = c.app().operations().Owner(id);
    if (!owner || (*owner != c.user().user.id && !c.user().Allows(Permission::ADMIN))) {
        return std::unexpected(NotFound(fmt::format("no operation {:?}", id)));
    }
    return id;
}

Answer GetOperation(Context& c) {
    auto id = OwnOperation(c);
    if (!id) return std::unexpected(id.error());
    auto wait_ms = WaitMs(c);
    if (!wait_ms) return std::unexpected(wait_ms.error());
    c.ReleaseStore();
    auto view = c.app().operations().Get(*id, *wait_ms);
    if (!view) return std::unexpected(NotFound("no operation " + *id));
    return Reply(*view);
}

Answer CancelOperation(Context& c) {
    auto id = OwnOperation(c);
    if (!id) return std::unexpected(id.error());
    if (auto ok = c.app().operations().Cancel(*id); !ok) return std::unexpected(FromError(ok.error()));
    c.ReleaseStore();
    auto view = c.app().operations().Get(*id, 5000);
    if (!view) return std::unexpected(NotFound("no operation " + *id));
    return Reply(*view);
}

Answer Explain(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    if (!b.contains("profile") || !b["profile"].is_string()) {
        return std::unexpected(Malformed("\"profile\" must be a canonical_segment_id", "/profile"));
    }
    auto as_of = AsOf(b);
    if (!as_of) return std::unexpected(as_of.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    json definition;
    if (b.contains("audience")) {
        if (!b["audience"].is_string()) return std::unexpected(Malformed("\"audience\" must be a key", "/audience"));
        auto a = (*store)->GetAudience(c.workspace(), b["audience"].get<std::string>());
        if (!a) return std::unexpected(FromError(a.error()));
        if (!*a) return std::unexpected(NotFound("no audience " + b["audience"].get<std::string>()));
        definition = (*a)->spec.definition;
    } else if (b.contains("definition")) {
        definition = b["definition"];
    } else {
        return std::unexpected(Malformed("give \"definition\" or \"audience\"", ""));
    }
    auto graph = c.app().graph();
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto catalog = engine::Via(c.app().catalog(), **wh);
    auto parsed = ParseDefinition(definition, *graph, catalog, **store, c.workspace(), "/definition");
    if (!parsed) return std::unexpected(parsed.error());
    StoreLibrary library(**store, c.workspace());
    engine::Session session{*graph, **wh, &catalog, &library};
    auto e = engine::RunExplain(session, *parsed, *as_of, b["profile"].get<std::string>());
    if (!e) return std::unexpected(FromError(e.error()));
    return Reply(e->ToJson());
}

Answer Suggestions(Context& c) {
    plan::SuggestionTarget t;
    auto entity = c.Query("entity"), column = c.Query("column"), event = c.Query("event"),
         property = c.Query("property"), context = c.Query("context"), trait = c.Query("trait");
    if (entity && column) {
        if (!c.user().Allows(Permission::VIEW_ENTITIES)) {
            return std::unexpected(Forbidden("entity values need the \"view_entities\" permission"));
        }
        t.kind = plan::SuggestionTarget::Kind::ENTITY_COLUMN;
        t.entity = *entity;
        t.column = *column;
    } else if (event && (property || context)) {
        t.kind = plan::SuggestionTarget::Kind::EVENT_COLUMN;
        t.event = *event;
        t.column = property ? *property : "context_" + *context;
    } else if (trait) {
        t.kind = plan::SuggestionTarget::Kind::TRAIT;
        t.trait = *trait;
    } else {
        return std::unexpected(Malformed("ask for entity and column, event and property (or context), or trait"));
    }
    if (t.kind != plan::SuggestionTarget::Kind::ENTITY_COLUMN && !c.user().Allows(Permission::VIEW_PROFILES)) {
        return std::unexpected(Forbidden("trait and event values need the \"view_profiles\" permission"));
    }
    auto graph = c.app().graph();
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto catalog = engine::Via(c.app().catalog(), **wh);
    auto values = engine::Suggest(*graph, **wh, catalog, t);
    if (!values) return std::unexpected(FromError(values.error()));
    return Reply(json{{"values", *values}});
}

// The trait names and event tables (with their columns and types) the builder offers.
Answer ProfileCatalog(Context& c) {
    auto graph = c.app().graph();
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    auto catalog = engine::Via(c.app().catalog(), **wh);
    auto data = engine::ListProfileData(*graph, **wh, catalog);
    if (!data) return std::unexpected(FromError(data.error()));
    return Reply(data->ToJson());
}

} // namespace

void AddAudienceRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("GET", "/api/v1/audiences", {P::VIEW}, ListAudiences);
    routes.Add("POST", "/api/v1/audiences", {P::EDIT_AUDIENCES}, CreateAudience);
    routes.Add("POST", "/api/v1/audiences/validate", {P::VIEW}, ValidateAudience);
    routes.Add("GET", "/api/v1/audiences/{key}", {P::VIEW}, GetAudience);
    routes.Add("PUT", "/api/v1/audiences/{key}", {P::EDIT_AUDIENCES}, UpdateAudience);
    routes.Add("DELETE", "/api/v1/audiences/{key}", {P::EDIT_AUDIENCES}, DeleteAudience);
    routes.Add("GET", "/api/v1/audiences/{key}/history", {P::VIEW}, AudienceHistory);
    routes.Add("POST", "/api/v1/audiences/{key}/clone", {P::EDIT_AUDIENCES}, CloneAudience);
    routes.Add("POST", "/api/v1/audiences/{key}/enable", {P::EDIT_AUDIENCES}, [](Context& c) { return SetEnabled(c, true); });
    routes.Add("POST", "/api/v1/audiences/{key}/disable", {P::EDIT_AUDIENCES}, [](Context& c) { return SetEnabled(c, false); });
    routes.Add("PUT", "/api/v1/audiences/{key}/schedule", {P::EDIT_AUDIENCES}, SetSchedule);
    routes.Add("POST", "/api/v1/audiences/{key}/run", {P::EDIT_AUDIENCES}, RunAudienceNow);
    routes.Add("GET", "/api/v1/audiences/{key}/runs", {P::VIEW}, AudienceRuns);
    routes.Add("GET", "/api/v1/audiences/{key}/members", {P::VIEW_PROFILES}, AudienceMembers);
    routes.Add("POST", "/api/v1/previews", {P::VIEW_PROFILES, P::VIEW_ENTITIES}, StartPreview);
    routes.Add("GET", "/api/v1/operations/{id}", {P::SIGNED_IN}, GetOperation);
    routes.Add("DELETE", "/api/v1/operations/{id}", {P::SIGNED_IN}, CancelOperation);
    routes.Add("POST", "/api/v1/explain", {P::VIEW_PROFILES}, Explain);
    routes.Add("GET", "/api/v1/suggestions", {P::SIGNED_IN}, Suggestions);
    routes.Add("GET", "/api/v1/catalog", {P::VIEW_PROFILES}, ProfileCatalog);
}

} // namespace kith::api
