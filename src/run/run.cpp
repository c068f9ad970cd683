#include "engine/warehouse_catalog.hpp"
#include "run/run.hpp"

#include "audience/catalog.hpp"
#include "audience/parser.hpp"
#include "common/text.hpp"
#include "engine/engine.hpp"
#include "plan/compiler.hpp"
#include "run/events.hpp"
#include "run/lookups.hpp"
#include "run/snapshot.hpp"
#include "run/stager.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fmt/format.h>
#include <set>
#include <unistd.h>

namespace kith::run {

namespace {

using nlohmann::json;
using sql::Col;
using sql::ExprPtr;

template <class T> std::unexpected<Error> Propagate(const Result<T>& r) { return std::unexpected(r.error()); }

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string HostName() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
    return buf;
}

std::string IsoMillis(int64_t micros) { return text::IsoMillis(micros / 1000 - (micros % 1000 < 0 ? 1 : 0)); }

std::string Text(const warehouse::Cell& c) { return c.value_or(""); }

// One source of changes for a set of activations: the run's change tables against the baseline, or the run's
// snapshot read as "everything entered" (backfill of activations that never sent).
struct Source {
    bool snapshot = false;
    std::string origin; // for messageIds
    sql::TableName profiles, entities;
    sql::TableName context_entered, context_exited; // matched entities now, and at the baseline
    std::vector<const ActivationPlan*> plans;
};

class Preparer {
public:
    Preparer(Environment& env, const sql::Dialect& dialect, const AudienceInfo& audience, int64_t run_id,
             const Settings& settings, std::string timestamp)
        : env_(env), d_(dialect), audience_(audience), run_id_(run_id), settings_(settings),
          timestamp_(std::move(timestamp)) {}

    // Builds and stages the events of every plan of the source.
    // Pages are ranges of profile numbers (pn) up to profile_pages / entity_pages.
    Status Prepare(const Source& source, int64_t profile_rows, int64_t entity_rows) {
        bool profile_events = false;
        std::set<std::string> relationships;
        for (const ActivationPlan* p : source.plans) {
            if (p->EntityTrigger()) {
                relationships.insert(p->relationship);
            } else {
                profile_events = true;
            }
        }
        // The events are written by the stager's thread while the next pages are read and built.
        Stager stager(env_.store, run_id_, static_cast<size_t>(std::max<int64_t>(settings_.stage_batch, 1)));
        stager_ = &stager;
        Status ok;
        if (profile_events) ok = Pages(source, false, profile_rows, {});
        if (ok && !relationships.empty()) ok = Pages(source, true, entity_rows, {relationships.begin(), relationships.end()});
        if (!ok) stager.Abandon();
        auto finished = stager.Finish();
        stager_ = nullptr;
        t_stage_ += stager.write_seconds();
        t_wait_ += stager.wait_seconds();
        for (const auto& [activation, c] : stager.counts()) {
            store::Published& total = staged_counts_[activation];
            total.queued += c.queued;
            total.filtered += c.filtered;
            total.duplicates += c.duplicates;
        }
        if (!ok) return ok;
        return finished;
    }

    //! Per activation: events queued, filtered at source, and skipped as already in the outbox.
    const std::map<int64_t, store::Published>& counts() const { return staged_counts_; }
    //! Seconds spent reading pages, looking up enrichment, building events and staging them.
    std::string Timings() const {
        return fmt::format("lookup tables {:.2f} s, pages {:.2f} s, lookups {:.2f} s, building {:.2f} s, staging {:.2f} s "
                           "(beside the rest; waited for {:.2f} s)",
                           t_tables_, t_page_, t_lookup_, t_build_, t_stage_, t_wait_);
    }

private:
    // What the source's plans of one side (profile or entity triggers) need looked up.
    struct Needs {
        std::set<std::string> types, traits;
        bool track = false;
    };
    Needs NeedsOf(const Source& source, bool entities) const {
        Needs n;
        for (const ActivationPlan* p : source.plans) {
            if (entities != p->EntityTrigger()) continue;
            for (const auto& t : p->identifiers) {
                for (const auto& type : t.types) {
                    if (type != "segment_id") n.types.insert(type);
                }
            }
            n.traits.insert(p->traits.begin(), p->traits.end());
            if (p->trigger != Trigger::MEMBERSHIP_CHANGED) n.track = true;
        }
        return n;
    }

    static sql::TableName Suffixed(const sql::TableName& t, const char* suffix) { return LookupTable(t, suffix); }

    Status Pages(const Source& source, bool entities, int64_t pages, const std::vector<std::string>& relationships) {
        const sql::TableName& table = entities ? source.entities : source.profiles;
        // The identifiers, traits and matched entities of every profile of the side, in one pass each: pages then
        // read them by page number.
        Needs needs = NeedsOf(source, entities);
        std::vector<std::string> statements{sql::Print(sql::DropTable{Suffixed(table, "_lk")}, d_),
                                            sql::Print(sql::DropTable{Suffixed(table, "_cx")}, d_)};
        if (!needs.types.empty() || !needs.traits.empty()) {
            statements.push_back(LookupStatement(
                table, relationships, {needs.types.begin(), needs.types.end()},
                {needs.traits.begin(), needs.traits.end()}, ToSql(env_.graph.ProfileTable("user_identifiers")),
                ToSql(env_.graph.ProfileTable("user_traits")), d_));
            for (auto& i : IndexStatements(Suffixed(table, "_lk"), d_)) statements.push_back(std::move(i));
        }
        if (needs.track) {
            std::optional<sql::TableName> exited;
            if (!source.context_exited.table.empty()) exited = source.context_exited;
            statements.push_back(ContextStatement(table, source.snapshot, source.context_entered, exited, d_));
            for (auto& i : IndexStatements(Suffixed(table, "_cx"), d_)) statements.push_back(std::move(i));
        }
        auto tt0 = std::chrono::steady_clock::now();
        for (const auto& sql : statements) {
            if (auto ok = env_.warehouse.Execute(sql); !ok) return ok;
        }
        t_tables_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - tt0).count();
        lookup_ = !needs.types.empty() || !needs.traits.empty();
        context_ = needs.track;
        for (int64_t after = 0; after < pages; after += settings_.page_size) {
            int64_t upto = std::min(pages, after + settings_.page_size);
            if (auto ok = Page(source, table, entities, after, upto, relationships); !ok) return ok;
            if (settings_.progress) {
                settings_.progress(fmt::format("preparing {} changes: profiles {}/{}", entities ? "entity" : "profile",
                                               upto, pages));
            }
            if (settings_.checkpoint) settings_.checkpoint("page");
            if (auto why = HaltReason(settings_)) return Fail(ErrorCode::CONFLICT, *why);
        }
        return {};
    }

    Status Page(const Source& source, const sql::TableName& table, bool entities, int64_t after, int64_t upto,
                const std::vector<std::string>& relationships) {
        auto t0 = std::chrono::steady_clock::now();
        std::vector<Change> changes;
        auto q = PageQuery(table, entities, source.snapshot, after, upto, relationships);
        auto ok = EachRow(env_.warehouse, sql::Print(q, d_), [&](const auto& row, const auto&) {
            Change c;
            c.kind = Text(row[1]);
            c.pid = Text(row[2]);
            if (entities) {
                c.relationship = Text(row[3]);
                c.pk = Text(row[4]);
            }
            changes.push_back(std::move(c));
        });
        if (!ok) return ok;
        if (changes.empty()) return {};

        auto t1 = std::chrono::steady_clock::now();
        Lookups lookups;
        if (auto l = LoadLookups(source, table, entities, after, upto, lookups); !l) return l;
        auto t2 = std::chrono::steady_clock::now();

        std::vector<store::NewEvent> events;
        for (const Change& c : changes) {
            for (const ActivationPlan* p : source.plans) {
                if (!p->Fires(entities, c.kind)) continue;
                if (entities && p->relationship != c.relationship) continue;
                BuiltEvent b = BuildEvent(*p, env_.graph, audience_, c, entities, lookups, source.origin, timestamp_,
                                          run_id_);
                events.push_back(store::NewEvent{p->id, std::move(b.message_id), std::move(b.event_name), nullptr,
                                                 std::move(b.filter_reason), std::move(b.payload_text),
                                                 std::move(b.dedup_key)});
            }
        }
        auto t3 = std::chrono::steady_clock::now();
        auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
        t_page_ += secs(t0, t1);
        t_lookup_ += secs(t1, t2);
        t_build_ += secs(t2, t3);
        return stager_->Add(std::move(events));
    }

    Status LoadLookups(const Source& source, const sql::TableName& table, bool entities, int64_t after, int64_t upto,
                       Lookups& out) {
        std::map<std::string, EntityEnrichment> enriched; // relationship -> what its plans enrich it with
        for (const ActivationPlan* p : source.plans) {
            if (entities != p->EntityTrigger()) continue;
            if (p->EntityTrigger() && (!p->entity_columns.empty() || !p->children.empty())) {
                EntityEnrichment& e = enriched[p->relationship];
                e.columns.insert(p->entity_columns.begin(), p->entity_columns.end());
                for (const auto& [child, cols] : p->children) e.children[child].insert(cols.begin(), cols.end());
            }
        }
        if (lookup_) {
            sql::Select s;
            s.From(sql::Table(Suffixed(table, "_lk"), "l"))
                .Item(Col("l", "pid"), "pid")
                .Item(Col("l", "kind"), "kind")
                .Item(Col("l", "name"), "name")
                .Item(Col("l", "value"), "value")
                .Where(PageRange("l", after, upto));
            auto ok = EachRow(env_.warehouse, sql::Print(s, d_), [&](const auto& row, const auto&) {
                auto& target = Text(row[1]) == "i" ? out.identifiers : out.traits;
                target[Text(row[0])][Text(row[2])] = Text(row[3]);
            });
            if (!ok) return ok;
        }
        // Primary keys read as numbers when their column is numeric.
        for (const auto& r : env_.graph.relationships) {
            auto numeric = NumericKey(r.slug);
            if (!numeric) return Propagate(numeric);
            out.numeric_keys[r.slug] = *numeric;
        }
        if (context_) {
            sql::Select s;
            s.From(sql::Table(Suffixed(table, "_cx"), "x"))
                .Item(Col("x", "pid"), "pid")
                .Item(Col("x", "kind"), "kind")
                .Item(Col("x", "relationship"), "relationship")
                .Item(Col("x", "pk"), "pk")
                .Where(PageRange("x", after, upto))
                .OrderBy(Col("x", "eseq"));
            auto ok = EachRow(env_.warehouse, sql::Print(s, d_), [&](const auto& row, const auto&) {
                std::string rel = Text(row[2]);
                out.context[{Text(row[0]), Text(row[1])}][rel].push_back(KeyJson(Text(row[3]), out.numeric_keys[rel]));
            });
            if (!ok) return ok;
        }
        for (const auto& [rel, enrichment] : enriched) {
            auto keys = [&](const ExprPtr& key) { return sql::InSelect(key, PageKeys(table, after, upto, rel)); };
            if (auto ok = LoadEntities(env_.warehouse, d_, env_.graph, rel, enrichment, keys, out); !ok) return ok;
        }
        return {};
    }

    // The page's keys of one relationship, as a subquery for IN.
    sql::SelectPtr PageKeys(const sql::TableName& table, int64_t after, int64_t upto, const std::string& rel) {
        sql::Select s;
        s.From(sql::Table(table, "c"))
            .Item(Col("c", "pk"), "pk")
            .Where(sql::And({PageRange("c", after, upto), sql::Eq(Col("c", "relationship"), sql::Str(rel))}));
        return sql::Share(std::move(s));
    }

    Result<bool> NumericKey(const std::string& rel) {
        if (auto it = numeric_.find(rel); it != numeric_.end()) return it->second;
        auto numeric = run::NumericKey(env_.warehouse, env_.graph, rel);
        if (numeric) numeric_[rel] = *numeric;
        return numeric;
    }

    static sql::TableName ToSql(const warehouse::TableName& t) { return {t.database, t.schema, t.table}; }

    Environment& env_;
    const sql::Dialect& d_;
    AudienceInfo audience_;
    int64_t run_id_;
    const Settings& settings_;
    std::string timestamp_;
    std::map<int64_t, store::Published> staged_counts_; // per activation, over the transactions that committed
    double t_tables_ = 0;
    double t_page_ = 0, t_lookup_ = 0, t_build_ = 0, t_stage_ = 0, t_wait_ = 0;
    Stager* stager_ = nullptr; // of the source being prepared
    std::map<std::string, bool> numeric_;
    bool lookup_ = false;  // the side being paged has a _lk table
    bool context_ = false; // and a _cx table
};

Status ExecuteAll(warehouse::Warehouse& wh, const std::vector<std::string>& statements) {
    for (const auto& s : statements) {
        if (auto ok = wh.Execute(s); !ok) return ok;
    }
    return {};
}

// kind -> count, and for entities relationship -> kind -> count.
struct Counts {
    std::map<std::string, int64_t> total;
    std::map<std::string, std::map<std::string, int64_t>> by_relationship;
    int64_t rows = 0;
    int64_t pages = 0; // the highest profile number (pn): pages are ranges of it
};

Result<Counts> Count(warehouse::Warehouse& wh, const sql::TableName& table, bool entities, bool snapshot,
                     const sql::Dialect& d) {
    Counts c;
    auto ok = EachRow(wh, sql::Print(CountQuery(table, entities, snapshot), d), [&](const auto& row, const auto&) {
        int64_t n = std::stoll(Text(row[2]));
        c.total[Text(row[0])] += n;
        if (entities) c.by_relationship[Text(row[1])][Text(row[0])] += n;
        c.rows += n;
        if (row[3]) c.pages = std::max<int64_t>(c.pages, std::stoll(*row[3]));
    });
    if (!ok) return Propagate(ok);
    return c;
}

Status DropRunTables(Environment& env, int64_t audience_id, int64_t run_id, const std::string& schema) {
    return DropAudienceTables(env.warehouse, audience_id, {run_id}, schema);
}

// Tables of the audience's earlier runs that no kept snapshot owns, and the lookup tables of kept ones: what a run
// that crashed (or whose cleanup failed) left behind. Only one run of an audience runs at a time, so none of them is
// in use.
Status SweepCrashedRuns(Environment& env, int64_t audience_id, int64_t run_id, const std::string& schema) {
    auto tables = env.warehouse.ListTables(schema);
    if (!tables) return std::unexpected(tables.error());
    auto snapshots = env.store.Read([&](store::Tx& tx) { return tx.Snapshots(audience_id); });
    if (!snapshots) return std::unexpected(snapshots.error());
    std::set<int64_t> kept{run_id};
    for (const auto& s : *snapshots) kept.insert(s.run_id);
    std::set<int64_t> left;
    std::vector<std::string> lookups; // of kept runs that stopped before dropping them
    for (const auto& t : *tables) {
        auto owner = RunOfTable(t.table);
        if (!owner || owner->first != audience_id || owner->second == run_id) continue;
        if (!kept.contains(owner->second)) {
            left.insert(owner->second);
        } else if (t.table.ends_with("_lk") || t.table.ends_with("_cx")) {
            lookups.push_back(sql::Print(sql::DropTable{t}, env.warehouse.sql_dialect()));
        }
    }
    if (auto ok = ExecuteAll(env.warehouse, lookups); !ok) return ok;
    return DropAudienceTables(env.warehouse, audience_id, {left.begin(), left.end()}, schema);
}

} // namespace

Status DropAudienceTables(warehouse::Warehouse& warehouse, int64_t audience_id, const std::vector<int64_t>& run_ids,
                          const std::string& schema) {
    for (int64_t run_id : run_ids) {
        if (auto ok = ExecuteAll(warehouse, DropStatements(SnapshotTables::For(schema, audience_id, run_id),
                                                           warehouse.sql_dialect()));
            !ok) {
            return ok;
        }
    }
    return {};
}

namespace {

Status MarkFailed(Environment& env, store::Run run, const std::string& error) {
    run.status = store::RunStatus::FAILED;
    run.error = error;
    run.finished_at = NowMs();
    return env.store.Transaction([&](store::Tx& tx) -> Status {
        if (auto ok = tx.DiscardStaged(run.id); !ok) return ok;
        return tx.UpdateRun(run);
    });
}

} // namespace

std::string ThisWorker() { return fmt::format("{}:{}", HostName(), getpid()); }

bool WorkerAlive(const std::string& worker) {
    auto colon = worker.rfind(':');
    if (colon == std::string::npos) return false;
    if (worker.substr(0, colon) != HostName()) return true;
    pid_t pid = 0;
    try {
        pid = static_cast<pid_t>(std::stol(worker.substr(colon + 1)));
    } catch (...) {
        return false;
    }
    if (pid <= 0) return false;
    if (pid == getpid()) return true;
    return kill(pid, 0) == 0 || errno == EPERM;
}

Result<std::vector<int64_t>> RecoverInterrupted(Environment& env, std::optional<int64_t> audience_id,
                                                const std::string& schema) {
    auto unfinished = env.store.Transaction([&](store::Tx& tx) { return tx.UnfinishedRuns(); });
    if (!unfinished) return Propagate(unfinished);
    std::vector<int64_t> failed;
    for (store::Run run : *unfinished) {
        if (audience_id && run.audience_id != *audience_id) continue;
        // Left running, or queued by a process that ended before claiming it (a queued run without a worker
        // waits for whoever queued it).
        bool owned = run.status == store::RunStatus::RUNNING || !run.worker.empty();
        if (!owned || WorkerAlive(run.worker)) continue;
        // Its tables are not a baseline (a run becomes one only when it completes).
        (void)DropRunTables(env, run.audience_id, run.id, schema);
        if (auto ok = MarkFailed(env, run, "interrupted: the process running it (" + run.worker + ") ended; repeated by a new run");
            !ok) {
            return Propagate(ok);
        }
        failed.push_back(run.id);
    }
    return failed;
}

std::optional<std::string> HaltReason(const Settings& settings) {
    if (settings.stop && settings.stop()) return kStoppedMessage;
    if (settings.cancelled) return settings.cancelled();
    return std::nullopt;
}

Result<audience::Audience> ParseStoredAudience(const graph::DataGraph& graph, audience::Catalog& catalog,
                                               const store::AudienceRecord& audience,
                                               const std::vector<store::AudienceRecord>& workspace_audiences) {
    audience::MemoryLibrary library;
    for (const auto& a : workspace_audiences) library.Add(a.spec.key, a.spec.definition.dump());
    audience::ParseContext ctx{graph, &catalog, &library};
    auto parsed = audience::ParseAudience(audience.spec.definition.dump(), audience.spec.key, ctx);
    if (parsed) return std::move(*parsed);
    if (parsed.error().fatal) return std::unexpected(*parsed.error().fatal);
    std::string message = "the audience definition is invalid:";
    for (const auto& e : parsed.error().errors) message += " " + e.pointer + ": " + e.message + ";";
    return Fail(ErrorCode::INVALID, message);
}

Result<store::Run> Execute(Environment& env, int64_t run_id, const Settings& settings) {
    auto dialect = engine::DialectOf(env.warehouse);
    if (!dialect) return Propagate(dialect);
    const sql::Dialect& d = **dialect;
    auto step = [&](const std::string& name) -> Status {
        if (settings.checkpoint) settings.checkpoint(name);
        if (auto why = HaltReason(settings)) return Fail(ErrorCode::CONFLICT, *why);
        return {};
    };

    // Claim the run and read what it evaluates.
    store::AudienceRecord audience;
    std::optional<store::Snapshot> baseline;
    std::vector<store::ActivationRecord> activations;
    std::vector<store::AudienceRecord> library_audiences;
    auto claimed = env.store.Transaction([&](store::Tx& tx) -> Status {
        auto run = tx.GetRun(run_id);
        if (!run) return Propagate(run);
        if (!*run) return Fail(ErrorCode::NOT_FOUND, fmt::format("run {} does not exist", run_id));
        if ((*run)->status != store::RunStatus::QUEUED) {
            return Fail(ErrorCode::CONFLICT, fmt::format("run {} is {}, not queued", run_id,
                                                               store::RunStatusName((*run)->status)));
        }
        auto a = tx.GetAudienceById((*run)->audience_id);
        if (!a) return Propagate(a);
        audience = **a;
        auto b = tx.Baseline(audience.id);
        if (!b) return Propagate(b);
        baseline = *b;
        auto acts = tx.ListActivations(audience.workspace_id, audience.id);
        if (!acts) return Propagate(acts);
        activations = std::move(*acts);
        auto all = tx.ListAudiences(audience.workspace_id);
        if (!all) return Propagate(all);
        library_audiences = std::move(*all);
        return tx.StartRun(run_id, ThisWorker(), baseline ? std::optional<int64_t>(baseline->run_id) : std::nullopt);
    });
    if (!claimed) return Propagate(claimed);
    auto current = env.store.Read([&](store::Tx& tx) { return tx.GetRun(run_id); });
    if (!current) return Propagate(current);
    store::Run run = **current;
    int64_t started = NowMs();
    int64_t as_of = settings.as_of_micros.value_or(started * 1000);
    auto fail = [&](const Error& e) -> Result<store::Run> {
        (void)DropRunTables(env, audience.id, run_id, settings.schema);
        // The error as located ("snowflake: HTTP 500: ..."): a warehouse's error names its engine there. A stop or
        // cancel interrupts the warehouse's query, which then fails with the warehouse's own words: the run says why.
        std::string message = e.ToString();
        if (auto why = HaltReason(settings); why && message.find(*why) == std::string::npos) {
            message = fmt::format("{} (the interrupted step said: {})", *why, e.ToString());
        }
        if (auto ok = MarkFailed(env, run, message); !ok) return Propagate(ok);
        auto r = env.store.Read([&](store::Tx& tx) { return tx.GetRun(run_id); });
        if (!r) return Propagate(r);
        return **r;
    };

    // Extracting from warehouse: the audience query, the snapshot and the diff.
    if (settings.progress) settings.progress("extracting from warehouse");
    engine::WarehouseCatalog catalog(env.warehouse);
    auto parsed = ParseStoredAudience(env.graph, catalog, audience, library_audiences);
    if (!parsed) return fail(parsed.error());
    plan::Options options;
    options.as_of_micros = as_of;
    auto members = plan::CompileMembers(env.graph, *parsed, options, &catalog);
    if (!members) return fail(members.error());
    auto entities = plan::CompileEntities(env.graph, *parsed, options, &catalog);
    if (!entities) return fail(entities.error());

    SnapshotTables tables = SnapshotTables::For(settings.schema, audience.id, run_id);
    std::optional<SnapshotTables> base;
    if (baseline) base = SnapshotTables::For(settings.schema, audience.id, baseline->run_id);
    if (auto ok = env.warehouse.Execute(CreateSchemaStatement(settings.schema, d)); !ok) return fail(ok.error());
    if (auto ok = SweepCrashedRuns(env, audience.id, run_id, settings.schema); !ok) return fail(ok.error());
    if (auto ok = step("snapshot"); !ok) return fail(ok.error());
    if (auto ok = ExecuteAll(env.warehouse, SnapshotStatements(*members, *entities, tables, d)); !ok) return fail(ok.error());
    if (auto ok = step("diff"); !ok) return fail(ok.error());
    if (auto ok = ExecuteAll(env.warehouse, DiffStatements(tables, base, d)); !ok) return fail(ok.error());
    auto member_count = Count(env.warehouse, tables.Table(tables.members), false, true, d);
    if (!member_count) return fail(member_count.error());
    auto entity_count = Count(env.warehouse, tables.Table(tables.entities), true, true, d);
    if (!entity_count) return fail(entity_count.error());
    auto profile_changes = Count(env.warehouse, tables.Table(tables.profile_changes), false, false, d);
    if (!profile_changes) return fail(profile_changes.error());
    auto entity_changes = Count(env.warehouse, tables.Table(tables.entity_changes), true, false, d);
    if (!entity_changes) return fail(entity_changes.error());
    int64_t extracted = NowMs();

    // Preparing to deliver events.
    if (settings.progress) settings.progress("preparing to deliver events");
    std::vector<ActivationPlan> plans;
    for (const auto& a : activations) {
        if (!a.spec.enabled) continue;
        auto p = ActivationPlan::From(a, env.graph, settings.max_event_bytes);
        if (!p) return fail(p.error());
        plans.push_back(std::move(*p));
    }
    Source diff, backfill;
    diff.origin = baseline ? fmt::format("b{}", baseline->run_id) : "b0";
    diff.profiles = tables.Table(tables.profile_changes);
    diff.entities = tables.Table(tables.entity_changes);
    diff.context_entered = tables.Table(tables.entities);
    if (base) diff.context_exited = base->Table(base->entities);
    backfill.snapshot = true;
    backfill.origin = "backfill";
    backfill.profiles = tables.Table(tables.members);
    backfill.entities = tables.Table(tables.entities);
    backfill.context_entered = tables.Table(tables.entities);
    for (const auto& p : plans) {
        if (!p.first_run) {
            diff.plans.push_back(&p);
        } else if (p.backfill) {
            backfill.plans.push_back(&p);
        }
    }
    AudienceInfo info{audience.id, audience.spec.key};
    Preparer preparer(env, d, info, run_id, settings, IsoMillis(as_of));
    if (!diff.plans.empty()) {
        if (auto ok = preparer.Prepare(diff, profile_changes->pages, entity_changes->pages); !ok) return fail(ok.error());
    }
    if (!backfill.plans.empty()) {
        if (auto ok = preparer.Prepare(backfill, member_count->pages, entity_count->pages); !ok) return fail(ok.error());
    }
    if (settings.progress) settings.progress("prepared: " + preparer.Timings());
    // The lookup tables served the preparation only. They go before the run completes, so that a completed run
    // never leaves them behind; a failure to drop them leaves them to the sweep of the next run.
    (void)ExecuteAll(env.warehouse, DropLookupStatements(tables, d));
    if (auto ok = step("publish"); !ok) return fail(ok.error());

    // One transaction: the events enter the outbox, the snapshot becomes the baseline, the run is done.
    json summary = {{"members", member_count->rows},
                    {"profiles", {{"entered", profile_changes->total["entered"]}, {"exited", profile_changes->total["exited"]}}},
                    {"entities", {{"entered", entity_changes->total["entered"]}, {"exited", entity_changes->total["exited"]}}}};
    json by_rel = json::object();
    for (const auto& [rel, kinds] : entity_changes->by_relationship) {
        by_rel[rel] = {{"entered", kinds.count("entered") ? kinds.at("entered") : 0},
                       {"exited", kinds.count("exited") ? kinds.at("exited") : 0}};
    }
    summary["entities"]["by_relationship"] = by_rel;
    auto done = env.store.Transaction([&](store::Tx& tx) -> Status {
        store::Snapshot snap{run_id, audience.id, tables.members, tables.entities, 0, tables.profile_changes,
                             tables.entity_changes};
        if (auto ok = tx.RecordSnapshot(snap); !ok) return ok;
        if (auto ok = tx.SetBaseline(audience.id, run_id); !ok) return ok;
        json acts = json::object();
        for (const auto& p : plans) {
            auto c = preparer.counts().find(p.id);
            store::Published pub = c == preparer.counts().end() ? store::Published{} : c->second;
            bool sent = !p.first_run || p.backfill;
            acts[p.key] = {{"trigger", p.trigger == Trigger::MEMBERSHIP_CHANGED ? "membership_changed" : p.EntityTrigger()
                                ? (p.trigger == Trigger::ENTITY_ENTERS ? "entity_enters" : "entity_exits")
                                : (p.trigger == Trigger::PROFILE_ENTERS ? "profile_enters" : "profile_exits")},
                           {"queued", pub.queued},
                           {"filtered", pub.filtered},
                           {"duplicates", pub.duplicates},
                           {"backfill", p.first_run ? json(sent) : json(nullptr)}};
            if (p.first_run) {
                if (auto ok = tx.SetActivationFirstRun(p.id, run_id); !ok) return ok;
            }
        }
        summary["activations"] = acts;
        run.status = store::RunStatus::COMPLETED;
        run.finished_at = NowMs();
        run.extracting_ms = extracted - started;
        run.preparing_ms = *run.finished_at - extracted;
        run.summary = summary;
        return tx.UpdateRun(run);
    });
    if (!done) return fail(done.error());
    (void)step("completed");

    // Old snapshots beyond the ones kept (the baseline is always kept).
    auto snapshots = env.store.Read([&](store::Tx& tx) { return tx.Snapshots(audience.id); });
    if (snapshots) {
        int64_t kept = 0;
        for (const auto& s : *snapshots) {
            if (s.run_id == run_id || kept < settings.keep_snapshots) {
                ++kept;
                continue;
            }
            if (DropRunTables(env, audience.id, s.run_id, settings.schema)) {
                (void)env.store.Transaction([&](store::Tx& tx) { return tx.ForgetSnapshot(s.run_id); });
            }
        }
    }
    auto final_run = env.store.Read([&](store::Tx& tx) { return tx.GetRun(run_id); });
    if (!final_run) return Propagate(final_run);
    return **final_run;
}

Result<store::Run> RunNow(Environment& env, int64_t workspace_id, const std::string& audience_key,
                          const std::string& reason, const Settings& settings) {
    auto audience = env.store.GetAudience(workspace_id, audience_key);
    if (!audience) return Propagate(audience);
    if (!*audience) return Fail(ErrorCode::NOT_FOUND, "no audience with key " + audience_key);
    int64_t id = (*audience)->id;
    auto running = env.store.Read([&](store::Tx& tx) { return tx.RunningRuns(id); });
    if (!running) return Propagate(running);
    for (const auto& r : *running) {
        if (WorkerAlive(r.worker)) {
            return Fail(ErrorCode::CONFLICT, fmt::format("audience {} is being run by run {} in process {}",
                                                               audience_key, r.id, r.worker));
        }
    }
    auto failed = RecoverInterrupted(env, id, settings.schema);
    if (!failed) return Propagate(failed);
    auto run_id = env.store.CreateRun(id, failed->empty() ? reason : "retry", ThisWorker());
    if (!run_id) return Propagate(run_id);
    return Execute(env, *run_id, settings);
}

json RunHistoryEntry(const store::Run& run) {
    json j = {{"id", run.id},
              {"status", store::RunStatusName(run.status)},
              {"reason", run.reason},
              {"queued_at", run.queued_at},
              {"started_at", run.started_at ? json(*run.started_at) : json(nullptr)},
              {"finished_at", run.finished_at ? json(*run.finished_at) : json(nullptr)}};
    j["duration_ms"] = run.started_at && run.finished_at ? json(*run.finished_at - *run.started_at) : json(nullptr);
    bool changed = false;
    if (run.summary.is_object()) {
        auto n = [&](const char* what, const char* kind) { return run.summary[what].value(kind, int64_t{0}); };
        changed = n("profiles", "entered") + n("profiles", "exited") + n("entities", "entered") + n("entities", "exited") > 0;
    }
    if (changed) {
        j["steps"] = {{"queueing_ms", run.queueing_ms ? json(*run.queueing_ms) : json(nullptr)},
                      {"extracting_ms", run.extracting_ms ? json(*run.extracting_ms) : json(nullptr)},
                      {"preparing_ms", run.preparing_ms ? json(*run.preparing_ms) : json(nullptr)}};
        j["summary"] = run.summary;
    } else {
        j["steps"] = nullptr;
        j["summary"] = nullptr;
    }
    if (!run.error.empty()) j["error"] = run.error;
    return j;
}

} // namespace kith::run
