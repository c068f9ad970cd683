#include "store/store.hpp"

#include "common/text.hpp"
#include "store/migrations.hpp"
#include "store/query.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <optional>

namespace kith::store {

namespace {

using nlohmann::json;
using detail::All;
using detail::One;
using detail::ParseStored;
using detail::Propagate;
using detail::SystemNow;
using detail::Touched;

constexpr const char* kAudienceColumns =
    "id, workspace_id, key, name, description, folder, enabled, schedule, definition, definition_version, "
    "created_at, updated_at";

AudienceRecord ReadAudience(const sqlite::Statement& st) {
    AudienceRecord a;
    a.id = st.Int(0);
    a.workspace_id = st.Int(1);
    a.spec.key = st.Text(2);
    a.spec.name = st.Text(3);
    a.spec.description = st.Text(4);
    a.spec.folder = st.Text(5);
    a.spec.enabled = st.Int(6) != 0;
    a.spec.schedule = ParseStored(st.Text(7));
    a.spec.definition = ParseStored(st.Text(8));
    a.version = st.Int(9);
    a.created_at = st.Int(10);
    a.updated_at = st.Int(11);
    return a;
}

constexpr const char* kActivationColumns =
    "a.id, a.workspace_id, a.key, a.audience_id, au.key, a.destination, a.action, a.trigger_type, a.entity, "
    "a.event_name, a.identifiers, a.enrichment, a.mapping, a.backfill, a.enabled, a.first_run_id, a.created_at, "
    "a.updated_at";

ActivationRecord ReadActivation(const sqlite::Statement& st) {
    ActivationRecord a;
    a.id = st.Int(0);
    a.workspace_id = st.Int(1);
    a.spec.key = st.Text(2);
    a.audience_id = st.Int(3);
    a.spec.audience = st.Text(4);
    a.spec.destination = ParseStored(st.Text(5));
    a.spec.action = st.Text(6);
    a.spec.trigger = st.Text(7);
    a.spec.entity = st.Text(8);
    a.spec.event_name = st.Text(9);
    a.spec.identifiers = ParseStored(st.Text(10));
    a.spec.enrichment = ParseStored(st.Text(11));
    a.spec.mapping = ParseStored(st.Text(12));
    a.spec.backfill = st.Int(13) != 0;
    a.spec.enabled = st.Int(14) != 0;
    a.first_run_id = st.OptionalInt(15);
    a.created_at = st.Int(16);
    a.updated_at = st.Int(17);
    return a;
}

constexpr const char* kRunColumns = "id, audience_id, definition_version, status, reason, queued_at, started_at, "
                                    "finished_at, queueing_ms, extracting_ms, preparing_ms, summary, error, worker, "
                                    "baseline_run_id";

Run ReadRun(const sqlite::Statement& st) {
    Run r;
    r.id = st.Int(0);
    r.audience_id = st.Int(1);
    r.definition_version = st.Int(2);
    r.status = ParseRunStatus(st.Text(3)).value_or(RunStatus::FAILED);
    r.reason = st.Text(4);
    r.queued_at = st.Int(5);
    r.started_at = st.OptionalInt(6);
    r.finished_at = st.OptionalInt(7);
    r.queueing_ms = st.OptionalInt(8);
    r.extracting_ms = st.OptionalInt(9);
    r.preparing_ms = st.OptionalInt(10);
    r.summary = st.IsNull(11) ? json(nullptr) : ParseStored(st.Text(11));
    r.error = st.Text(12);
    r.worker = st.Text(13);
    r.baseline_run_id = st.OptionalInt(14);
    return r;
}

constexpr const char* kSnapshotColumns =
    "run_id, audience_id, members_table, entities_table, created_at, profile_changes_table, entity_changes_table";

Snapshot ReadSnapshot(const sqlite::Statement& st) {
    return Snapshot{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Int(4), st.Text(5), st.Text(6)};
}

constexpr const char* kEventColumns = "id, activation_id, run_id, message_id, event_name, payload, status, attempts, "
                                      "next_attempt_at, last_error, filter_stage, created_at, finished_at, last_status";

// The outbox events that exist for delivery, counting and listing: those queued without a run, and those of
// completed runs. A run writes its events while it prepares them; they become visible all at once when it completes.
constexpr const char* kVisible = "(run_id IS NULL OR run_id IN (SELECT id FROM runs WHERE status = 'completed'))";

// The conditions of an OutboxFilter, bound as: run id, run id, excluded activation ids as a JSON array.
const std::string kOutboxFilter = fmt::format(
    "AND {} AND (? IS NULL OR run_id = ?) AND activation_id NOT IN (SELECT value FROM json_each(?))", kVisible);

// The conditions of an OverviewFilter on `outbox o JOIN activations a`, bound as ?1 workspace, ?2 activation id
// or NULL, ?3 event name or NULL, and the range of created_at [from, to) (?4 and ?5 in kOverviewWhere). The range is
// always bound (open ends as the extreme integers) so that it stays a range on the covering index outbox_overview.
std::string OverviewWhere(const char* from, const char* to) {
    return fmt::format("a.workspace_id = ?1 AND (?2 IS NULL OR a.id = ?2) AND (?3 IS NULL OR o.event_name = ?3) "
                       "AND o.created_at >= {} AND o.created_at < {} AND {}",
                       from, to, kVisible);
}
const std::string kOverviewWhere = OverviewWhere("?4", "?5");

// Which outbox states make each step of the overview.
constexpr const char* kFilteredAtSource = "o.status = 'filtered' AND o.filter_stage = 'source'";
constexpr const char* kFilteredAtDestination = "o.status = 'filtered' AND o.filter_stage = 'destination'";
constexpr const char* kQueued = "o.status = 'pending' AND o.attempts = 0";
constexpr const char* kPendingRetry = "o.status = 'pending' AND o.attempts > 0";
constexpr const char* kFailed = "o.status = 'failed'";
constexpr const char* kDelivered = "o.status = 'delivered'";

// The outbox_totals grain (migration 8): a minute of queueing time.
constexpr int64_t kTotalsGrain = 60'000;
// An event's key in outbox_totals, as migration 8's triggers compute it: its minute, and 0 for a visible event or
// the id of its run when the run has not completed.
// The first millisecond of the minute holding `at` (kTotalsMinute in C++).
int64_t TotalsMinute(int64_t at) { return at - (at % kTotalsGrain + kTotalsGrain) % kTotalsGrain; }
constexpr const char* kTotalsMinute = "created_at - (created_at % 60000 + 60000) % 60000";
constexpr const char* kTotalsRun = "coalesce((SELECT id FROM runs WHERE id = {}.run_id AND status <> 'completed'), 0)";

// Adds to an outbox_totals row (?1 activation, ?2 run id or NULL, ?3 minute, ?4 event name) ?5 queued, ?6 pending
// retry and ?7 delivered events (each may be negative), as outbox_totals_step would one event at a time.
const std::string kAddToTotals = fmt::format(
    "INSERT INTO outbox_totals (activation_id, run_id, minute, event_name, from_audience, filtered_at_source, "
    "filtered_at_destination, queued, pending_retry, failed, delivered) VALUES (?1, {}, ?3, ?4, 0, 0, 0, ?5, ?6, 0, ?7) "
    "ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET queued = queued + excluded.queued, "
    "pending_retry = pending_retry + excluded.pending_retry, delivered = delivered + excluded.delivered",
    "coalesce((SELECT id FROM runs WHERE id = ?2 AND status <> 'completed'), 0)");

// Where events count in outbox_totals (before their run, if any, is looked up), and how many move there.
struct TotalsKey {
    int64_t activation_id = 0;
    std::optional<int64_t> run_id;
    int64_t minute = 0;
    std::string event_name;
    auto operator<=>(const TotalsKey&) const = default;
};
struct DeliveredCounts {
    int64_t from_queued = 0, from_retry = 0, delivered = 0;
};

// Marks the pending events of ids [first, last] delivered and moves their totals per key rather than per event:
// their keys and steps are read first, then the UPDATE runs with the connection's triggers off. Returns the ids it
// marked, in order.
Result<std::vector<int64_t>> DeliverPendingRange(sqlite::Database& db, int64_t first, int64_t last, int status,
                                                 int64_t now) {
    std::map<TotalsKey, DeliveredCounts> moved;
    std::vector<int64_t> marked;
    auto rows = All<int64_t>(db,
                             "SELECT id, activation_id, run_id, created_at, event_name, attempts FROM outbox "
                             "WHERE id BETWEEN ? AND ? AND status = 'pending' ORDER BY id",
                             [&](const sqlite::Statement& st) {
                                 int64_t at = st.Int(3), attempts = st.Int(5);
                                 int64_t minute = TotalsMinute(at);
                                 DeliveredCounts& c = moved[{st.Int(1), st.OptionalInt(2), minute, st.Text(4)}];
                                 c.from_queued += attempts == 0;
                                 c.from_retry += attempts > 0;
                                 ++c.delivered;
                                 return st.Int(0);
                             },
                             first, last);
    if (!rows) return Propagate(rows);
    if (auto off = db.EnableTriggers(false); !off) return Propagate(off);
    auto ok = db.Run("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = '', "
                     "last_status = ?, finished_at = ? WHERE id BETWEEN ? AND ? AND status = 'pending'",
                     status, now, first, last);
    if (auto on = db.EnableTriggers(true); !on) return Propagate(on);
    if (!ok) return Propagate(ok);
    for (const auto& [key, c] : moved) {
        auto added = db.Run(kAddToTotals, key.activation_id, key.run_id, key.minute, key.event_name, -c.from_queued,
                            -c.from_retry, c.delivered);
        if (!added) return Propagate(added);
    }
    return *rows;
}

// The part of the range [from, to) made of whole minutes from the epoch on, which outbox_totals answers; empty
// (begin == end) when it holds no whole minute.
struct WholeMinutes {
    int64_t begin = 0, end = 0;
};
WholeMinutes WholeMinutesOf(int64_t from, int64_t to) {
    int64_t begin = from <= 0                          ? 0
                    : from > INT64_MAX - kTotalsGrain ? INT64_MAX
                                                      : (from + kTotalsGrain - 1) / kTotalsGrain * kTotalsGrain;
    int64_t end = to <= 0 ? 0 : to / kTotalsGrain * kTotalsGrain;
    return {begin, std::max(begin, end)};
}

// The overview from outbox_totals over the whole minutes [?7, ?8), plus the events of the range's two ends that are
// no whole minute ([?4, ?7) and [?8, ?5), each less than a minute of events, counted from the covering index), summed
// per activation, event name and bucket (?6, a whole number of minutes, or 0). Bound as kOverviewWhere.
const std::string kOverviewFromTotals = [] {
    auto events = [](const char* from, const char* to) {
        return fmt::format("SELECT o.activation_id, a.key, o.event_name, CASE WHEN ?6 > 0 THEN o.created_at / ?6 * ?6 "
                           "ELSE 0 END, 1, {}, {}, {}, {}, {}, {} FROM outbox o JOIN activations a ON a.id = "
                           "o.activation_id WHERE {}",
                           kFilteredAtSource, kFilteredAtDestination, kQueued, kPendingRetry, kFailed, kDelivered,
                           OverviewWhere(from, to));
    };
    return fmt::format(
        "SELECT activation_id, key, event_name, bucket, sum(n), sum(s), sum(d), sum(q), sum(r), sum(f), sum(dl) FROM ("
        "SELECT t.activation_id, a.key, t.event_name, CASE WHEN ?6 > 0 THEN t.minute / ?6 * ?6 ELSE 0 END AS bucket, "
        "t.from_audience AS n, t.filtered_at_source AS s, t.filtered_at_destination AS d, t.queued AS q, "
        "t.pending_retry AS r, t.failed AS f, t.delivered AS dl "
        "FROM activations a JOIN outbox_totals t ON t.activation_id = a.id AND t.run_id = 0 "
        "WHERE a.workspace_id = ?1 AND (?2 IS NULL OR a.id = ?2) AND (?3 IS NULL OR t.event_name = ?3) "
        "AND t.minute >= ?7 AND t.minute < ?8 "
        "UNION ALL {} UNION ALL {}) "
        "GROUP BY activation_id, event_name, bucket HAVING sum(n) > 0 ORDER BY key, event_name, bucket",
        events("?4", "?7"), events("?8", "?5"));
}();

OverviewRow ReadOverviewRow(const sqlite::Statement& st) {
    return OverviewRow{st.Int(0), st.Text(1), st.Text(2), st.Int(3), st.Int(4), st.Int(5),
                       st.Int(6), st.Int(7),  st.Int(8),  st.Int(9), st.Int(10)};
}

const char* StepCondition(OverviewStep step) {
    switch (step) {
    case OverviewStep::FROM_AUDIENCE: return "1";
    case OverviewStep::FILTERED_AT_SOURCE: return kFilteredAtSource;
    case OverviewStep::FILTERED_AT_DESTINATION: return kFilteredAtDestination;
    case OverviewStep::FAILED: return kFailed;
    case OverviewStep::DELIVERED: return kDelivered;
    }
    return "0";
}

std::string ExcludedIds(const OutboxFilter& filter) { return json(filter.exclude_activations).dump(); }

OutboxEvent ReadEventAs(const sqlite::Statement& st, bool parse) {
    OutboxEvent e;
    e.id = st.Int(0);
    e.activation_id = st.Int(1);
    e.run_id = st.OptionalInt(2);
    e.message_id = st.Text(3);
    e.event_name = st.Text(4);
    e.payload_text = st.Text(5);
    if (parse) e.payload = ParseStored(e.payload_text);
    e.status = ParseEventStatus(st.Text(6)).value_or(EventStatus::FAILED);
    e.attempts = st.Int(7);
    e.next_attempt_at = st.Int(8);
    e.last_error = st.Text(9);
    e.filter_stage = st.Text(10);
    e.created_at = st.Int(11);
    e.finished_at = st.OptionalInt(12);
    e.last_status = st.Int(13);
    return e;
}

OutboxEvent ReadEvent(const sqlite::Statement& st) {
    return ReadEventAs(st, true);
}

} // namespace

std::string_view ChangeName(Change change) {
    switch (change) {
    case Change::CREATED: return "created";
    case Change::UPDATED: return "updated";
    case Change::UNCHANGED: return "unchanged";
    }
    return "?";
}

std::string CanonicalJson(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
// The text the outbox keeps of an event's payload: the one it came with, else printed into `buffer`.
// An event's dedup key as the outbox stores it: NULL stands for its messageId.
std::optional<std::string_view> DedupKey(const NewEvent& e) {
    if (e.dedup_key.empty()) return std::nullopt;
    return e.dedup_key;
}

const std::string& PayloadText(const NewEvent& e, std::string& buffer) {
    if (!e.payload_text.empty()) return e.payload_text;
    buffer = CanonicalJson(e.payload);
    return buffer;
}
} // namespace

std::string_view RunStatusName(RunStatus status) {
    switch (status) {
    case RunStatus::QUEUED: return "queued";
    case RunStatus::RUNNING: return "running";
    case RunStatus::COMPLETED: return "completed";
    case RunStatus::FAILED: return "failed";
    }
    return "?";
}

std::optional<RunStatus> ParseRunStatus(std::string_view name) {
    for (RunStatus s : {RunStatus::QUEUED, RunStatus::RUNNING, RunStatus::COMPLETED, RunStatus::FAILED}) {
        if (RunStatusName(s) == name) return s;
    }
    return std::nullopt;
}

std::string_view EventStatusName(EventStatus status) {
    switch (status) {
    case EventStatus::PENDING: return "pending";
    case EventStatus::DELIVERED: return "delivered";
    case EventStatus::FAILED: return "failed";
    case EventStatus::FILTERED: return "filtered";
    }
    return "?";
}

std::optional<EventStatus> ParseEventStatus(std::string_view name) {
    for (EventStatus s : {EventStatus::PENDING, EventStatus::DELIVERED, EventStatus::FAILED, EventStatus::FILTERED}) {
        if (EventStatusName(s) == name) return s;
    }
    return std::nullopt;
}

std::string_view OverviewStepName(OverviewStep step) {
    switch (step) {
    case OverviewStep::FROM_AUDIENCE: return "from_audience";
    case OverviewStep::FILTERED_AT_SOURCE: return "filtered_at_source";
    case OverviewStep::FILTERED_AT_DESTINATION: return "filtered_at_destination";
    case OverviewStep::FAILED: return "failed";
    case OverviewStep::DELIVERED: return "delivered";
    }
    return "?";
}

std::optional<OverviewStep> ParseOverviewStep(std::string_view name) {
    for (OverviewStep s : {OverviewStep::FROM_AUDIENCE, OverviewStep::FILTERED_AT_SOURCE,
                           OverviewStep::FILTERED_AT_DESTINATION, OverviewStep::FAILED, OverviewStep::DELIVERED}) {
        if (OverviewStepName(s) == name) return s;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------
// Store

nlohmann::json OverviewRowJson(const OverviewRow& r, bool buckets) {
    json row = {{"activation", r.activation_key}, {"event", r.event_name}};
    if (buckets) row["bucket_start"] = text::IsoMillis(r.bucket_start);
    row["from_audience"] = r.from_audience;
    row["filtered_at_source"] = r.filtered_at_source;
    row["filtered_at_destination"] = r.filtered_at_destination;
    row["queued"] = r.queued;
    row["pending_retry"] = r.pending_retry;
    row["failed"] = r.failed;
    row["delivered"] = r.delivered;
    return row;
}

nlohmann::json OverviewEventJson(const OutboxEvent& e, const std::string& activation_key) {
    return {{"id", e.id},
            {"message_id", e.message_id},
            {"activation", activation_key},
            {"event", e.event_name},
            {"status", EventStatusName(e.status)},
            {"filter_stage", e.filter_stage},
            {"attempts", e.attempts},
            {"status_code", e.last_status},
            {"reason", e.last_error},
            {"queued_at", text::IsoMillis(e.created_at)},
            {"finished_at", e.finished_at ? json(text::IsoMillis(*e.finished_at)) : json(nullptr)}};
}

namespace {

// One lock per store file for every Store this process opens on it (by the file's canonical path).
std::shared_ptr<std::timed_mutex> ProcessWriteLock(const std::string& path) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<std::timed_mutex>> registry;
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(path, ec).string();
    if (ec || key.empty()) key = path;
    std::lock_guard guard(registry_mutex);
    auto& slot = registry[key];
    auto lock = slot.lock();
    if (!lock) {
        lock = std::make_shared<std::timed_mutex>();
        slot = lock;
    }
    return lock;
}

} // namespace

int64_t Store::LatestSchemaVersion() { return Migrations().back().version; }

Result<std::unique_ptr<Store>> Store::Connect(const std::string& path, Options options) {
    std::unique_ptr<Store> s(new Store());
    s->path_ = path;
    s->options_ = std::move(options);
    s->write_lock_ = ProcessWriteLock(path);
    if (!s->options_.clock) s->options_.clock = SystemNow;
    auto db = sqlite::Database::Open(path);
    if (!db) return Propagate(db);
    s->db_ = std::move(*db);
    // The busy timeout first: switching to WAL needs a lock another process may hold.
    if (auto ok = s->db_.Exec(fmt::format("PRAGMA busy_timeout = {}", s->options_.busy_timeout_ms)); !ok) {
        return Propagate(ok);
    }
    auto mode = One<std::string>(s->db_, "PRAGMA journal_mode = WAL",
                                 [](const sqlite::Statement& st) { return st.Text(0); });
    if (!mode) return Propagate(mode);
    if (mode->value_or("") != "wal") {
        return Fail(ErrorCode::IO, "state store: cannot switch to WAL mode (journal mode is " + mode->value_or("") + ")",
                    path);
    }
    if (auto ok = s->db_.Exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536"); !ok) return Propagate(ok);
    return s;
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, Options options) {
    auto s = Connect(path, std::move(options));
    if (!s) return s;
    if (auto ok = (*s)->Migrate(); !ok) return Propagate(ok);
    return s;
}

Result<std::unique_ptr<Store>> Store::OpenAnother() const {
    // This connection migrated the file already.
    auto s = Connect(path_, options_);
    if (s) (*s)->schema_version_ = schema_version_;
    return s;
}

Status Store::ApplyMigration(const Migration& m) {
    if (!m.rebuilds) return db_.Exec(m.sql);
    // The indexes and triggers of the table rebuilt, which DROP TABLE takes with it (an index of a constraint has
    // no SQL and goes with its constraint).
    using Made = std::pair<std::string, std::string>; // name, statement
    auto made = All<Made>(db_,
                          "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
                          "AND sql IS NOT NULL ORDER BY rowid",
                          [](const sqlite::Statement& st) { return Made{st.Text(0), st.Text(1)}; }, m.rebuilds);
    if (!made) return Propagate(made);
    // The legacy rename leaves the triggers of other tables as they are: they name the table, which the rename
    // makes again (the modern one would check them while the name is missing, and fail).
    if (auto ok = db_.Exec("PRAGMA legacy_alter_table = ON"); !ok) return ok;
    auto ran = db_.Exec(m.sql);
    if (auto ok = db_.Exec("PRAGMA legacy_alter_table = OFF"); ran && !ok) ran = ok;
    if (!ran) return ran;
    for (const auto& [name, statement] : *made) {
        auto exists = One<int64_t>(db_, "SELECT 1 FROM sqlite_master WHERE name = ?",
                                   [](const sqlite::Statement& st) { return st.Int(0); }, name);
        if (!exists) return Propagate(exists);
        if (*exists) continue;
        if (auto ok = db_.Exec(statement); !ok) return ok;
    }
    return {};
}

Status Store::Migrate() {
    if (auto ok = db_.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER "
                           "NOT NULL)");
        !ok) {
        return ok;
    }
    auto current = [&]() -> Result<int64_t> {
        auto v = One<int64_t>(db_, "SELECT coalesce(max(version), 0) FROM schema_version",
                              [](const sqlite::Statement& st) { return st.Int(0); });
        if (!v) return Propagate(v);
        return v->value_or(0);
    };
    auto before = current();
    if (!before) return Propagate(before);
    if (*before > LatestSchemaVersion()) {
        return Fail(ErrorCode::INVALID,
                    fmt::format("state store has schema version {}, newer than this kith knows ({}); use a newer kith",
                                *before, LatestSchemaVersion()),
                    path_);
    }
    for (const Migration& m : Migrations()) {
        auto ok = Transaction([&](Tx&) -> Status {
            // Another process may have migrated since we looked: decide inside the write transaction.
            auto now = current();
            if (!now) return Propagate(now);
            if (*now >= m.version) return {};
            if (auto run = ApplyMigration(m); !run) {
                return Fail(run.error().code,
                            fmt::format("migration {} ({}): {}", m.version, m.description, run.error().message), path_);
            }
            return db_.Run("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", m.version,
                           options_.clock());
        });
        if (!ok) return ok;
    }
    auto after = current();
    if (!after) return Propagate(after);
    schema_version_ = *after;
    return {};
}

Status Store::Begin(Mode mode) {
    if (in_transaction_) return Fail(ErrorCode::INTERNAL, "state store: transactions do not nest", path_);
    if (mode == Mode::kRead) {
        if (auto ok = db_.Exec("PRAGMA query_only = 1; BEGIN DEFERRED"); !ok) {
            (void)db_.Exec("PRAGMA query_only = 0");
            return ok;
        }
    } else {
        // Another writer of this process: wait on the lock, woken the moment it commits. The busy timeout bounds
        // the wait as SQLite's would.
        if (!write_lock_->try_lock_for(std::chrono::milliseconds(options_.busy_timeout_ms))) {
            return Fail(ErrorCode::IO, "state store: database is locked (another transaction of this process held "
                                       "it for longer than the busy timeout)",
                        path_);
        }
        if (auto ok = db_.Exec("BEGIN IMMEDIATE"); !ok) {
            write_lock_->unlock();
            return ok;
        }
    }
    mode_ = mode;
    in_transaction_ = true;
    return {};
}

void Store::Finish() {
    in_transaction_ = false;
    if (mode_ == Mode::kRead) {
        (void)db_.Exec("PRAGMA query_only = 0");
    } else {
        write_lock_->unlock();
    }
}

Status Store::Commit() {
    auto ok = db_.Exec("COMMIT");
    if (ok) Finish();
    return ok;
}

void Store::Rollback() {
    if (!in_transaction_) return;
    (void)db_.Exec("ROLLBACK");
    Finish();
}

Result<Change> Store::UpsertAudience(int64_t workspace, const AudienceSpec& spec) {
    return Transaction([&](Tx& tx) { return tx.UpsertAudience(workspace, spec); });
}
Result<std::optional<AudienceRecord>> Store::GetAudience(int64_t workspace, const std::string& key) {
    return Read([&](Tx& tx) { return tx.GetAudience(workspace, key); });
}
Result<std::vector<AudienceRecord>> Store::ListAudiences(int64_t workspace) {
    return Read([&](Tx& tx) { return tx.ListAudiences(workspace); });
}
Result<std::vector<AudienceVersion>> Store::AudienceHistory(int64_t audience_id) {
    return Read([&](Tx& tx) { return tx.AudienceHistory(audience_id); });
}
Result<Change> Store::UpsertActivation(int64_t workspace, const ActivationSpec& spec) {
    return Transaction([&](Tx& tx) { return tx.UpsertActivation(workspace, spec); });
}
Result<std::vector<ActivationRecord>> Store::ListActivations(int64_t workspace) {
    return Read([&](Tx& tx) { return tx.ListActivations(workspace); });
}
Result<int64_t> Store::CreateRun(int64_t audience_id, const std::string& reason, const std::string& worker) {
    return Transaction([&](Tx& tx) { return tx.CreateRun(audience_id, reason, worker); });
}
Status Store::UpdateRun(const Run& run) {
    return Transaction([&](Tx& tx) { return tx.UpdateRun(run); });
}
Result<std::vector<Run>> Store::LastRuns(int64_t audience_id, int limit) {
    return Read([&](Tx& tx) { return tx.LastRuns(audience_id, limit); });
}
Result<std::optional<Run>> Store::GetRun(int64_t id) {
    return Read([&](Tx& tx) { return tx.GetRun(id); });
}
Result<int64_t> Store::DefaultWorkspace() {
    return Transaction([&](Tx& tx) { return tx.EnsureWorkspace("default"); });
}

// ---------------------------------------------------------------------------------------------------------------
// Tx

Tx::~Tx() {
    if (!finished_) store_.Rollback();
}

sqlite::Database& Tx::db() { return store_.db_; }

int64_t Tx::Now() const { return store_.options_.clock(); }

Result<int64_t> Tx::EnsureWorkspace(const std::string& key) {
    auto id = One<int64_t>(db(), "SELECT id FROM workspaces WHERE key = ?",
                           [](const sqlite::Statement& st) { return st.Int(0); }, key);
    if (!id) return Propagate(id);
    if (*id) return **id;
    if (auto ok = db().Run("INSERT INTO workspaces (key, name, created_at) VALUES (?, ?, ?)", key, key, Now()); !ok) {
        return Propagate(ok);
    }
    return db().LastInsertId();
}

Result<std::vector<Workspace>> Tx::ListWorkspaces() {
    return All<Workspace>(db(), "SELECT id, key, name, created_at FROM workspaces ORDER BY id",
                          [](const sqlite::Statement& st) {
                              return Workspace{st.Int(0), st.Text(1), st.Text(2), st.Int(3)};
                          });
}

Result<Change> Tx::UpsertAudience(int64_t workspace, const AudienceSpec& spec) {
    auto existing = GetAudience(workspace, spec.key);
    if (!existing) return Propagate(existing);
    std::string definition = CanonicalJson(spec.definition);
    std::string schedule = CanonicalJson(spec.schedule);
    int64_t now = Now();
    if (!*existing) {
        auto ok = db().Run("INSERT INTO audiences (workspace_id, key, name, description, folder, enabled, schedule, "
                           "definition, definition_version, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                           workspace, spec.key, spec.name, spec.description, spec.folder, spec.enabled, schedule,
                           definition, now, now);
        if (!ok) return Propagate(ok);
        int64_t id = db().LastInsertId();
        ok = db().Run("INSERT INTO audience_versions (audience_id, version, definition, created_at) VALUES (?, 1, ?, ?)",
                      id, definition, now);
        if (!ok) return Propagate(ok);
        return Change::CREATED;
    }
    const AudienceRecord& old = **existing;
    bool definition_changed = CanonicalJson(old.spec.definition) != definition;
    bool other_changed = old.spec.name != spec.name || old.spec.description != spec.description ||
                         old.spec.folder != spec.folder || old.spec.enabled != spec.enabled ||
                         CanonicalJson(old.spec.schedule) != schedule;
    if (!definition_changed && !other_changed) return Change::UNCHANGED;
    int64_t version = old.version + (definition_changed ? 1 : 0);
    auto ok = db().Run("UPDATE audiences SET name = ?, description = ?, folder = ?, enabled = ?, schedule = ?, "
                       "definition = ?, definition_version = ?, updated_at = ? WHERE id = ?",
                       spec.name, spec.description, spec.folder, spec.enabled, schedule, definition, version, now,
                       old.id);
    if (!ok) return Propagate(ok);
    if (definition_changed) {
        ok = db().Run("INSERT INTO audience_versions (audience_id, version, definition, created_at) VALUES (?, ?, ?, ?)",
                      old.id, version, definition, now);
        if (!ok) return Propagate(ok);
    }
    return Change::UPDATED;
}

Result<std::optional<AudienceRecord>> Tx::GetAudience(int64_t workspace, const std::string& key) {
    return One<AudienceRecord>(db(), fmt::format("SELECT {} FROM audiences WHERE workspace_id = ? AND key = ?",
                                                 kAudienceColumns),
                               ReadAudience, workspace, key);
}

Result<std::optional<AudienceRecord>> Tx::GetAudienceById(int64_t id) {
    return One<AudienceRecord>(db(), fmt::format("SELECT {} FROM audiences WHERE id = ?", kAudienceColumns),
                               ReadAudience, id);
}

Result<std::vector<AudienceRecord>> Tx::ListAudiences(int64_t workspace) {
    return All<AudienceRecord>(
        db(), fmt::format("SELECT {} FROM audiences WHERE workspace_id = ? ORDER BY key", kAudienceColumns),
        ReadAudience, workspace);
}

Result<std::vector<AudienceVersion>> Tx::AudienceHistory(int64_t audience_id) {
    return All<AudienceVersion>(
        db(), "SELECT version, definition, created_at FROM audience_versions WHERE audience_id = ? ORDER BY version",
        [](const sqlite::Statement& st) { return AudienceVersion{st.Int(0), ParseStored(st.Text(1)), st.Int(2)}; },
        audience_id);
}

Result<Change> Tx::UpsertActivation(int64_t workspace, const ActivationSpec& spec) {
    auto audience = GetAudience(workspace, spec.audience);
    if (!audience) return Propagate(audience);
    if (!*audience) return Fail(ErrorCode::NOT_FOUND, fmt::format("audience \"{}\" does not exist", spec.audience));
    auto existing = GetActivation(workspace, spec.key);
    if (!existing) return Propagate(existing);
    std::string destination = CanonicalJson(spec.destination), identifiers = CanonicalJson(spec.identifiers),
                enrichment = CanonicalJson(spec.enrichment), mapping = CanonicalJson(spec.mapping);
    int64_t now = Now();
    int64_t audience_id = (*audience)->id;
    if (!*existing) {
        auto ok = db().Run("INSERT INTO activations (workspace_id, key, audience_id, destination, action, trigger_type, "
                           "entity, event_name, identifiers, enrichment, mapping, backfill, enabled, created_at, "
                           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           workspace, spec.key, audience_id, destination, spec.action, spec.trigger, spec.entity,
                           spec.event_name, identifiers, enrichment, mapping, spec.backfill, spec.enabled, now, now);
        if (!ok) return Propagate(ok);
        return Change::CREATED;
    }
    const ActivationRecord& old = **existing;
    bool same = old.audience_id == audience_id && CanonicalJson(old.spec.destination) == destination &&
                old.spec.action == spec.action && old.spec.trigger == spec.trigger &&
                old.spec.entity == spec.entity && old.spec.event_name == spec.event_name &&
                CanonicalJson(old.spec.identifiers) == identifiers &&
                CanonicalJson(old.spec.enrichment) == enrichment && CanonicalJson(old.spec.mapping) == mapping &&
                old.spec.backfill == spec.backfill && old.spec.enabled == spec.enabled;
    if (same) return Change::UNCHANGED;
    auto ok = db().Run("UPDATE activations SET audience_id = ?, destination = ?, action = ?, trigger_type = ?, "
                       "entity = ?, event_name = ?, identifiers = ?, enrichment = ?, mapping = ?, backfill = ?, "
                       "enabled = ?, updated_at = ? WHERE id = ?",
                       audience_id, destination, spec.action, spec.trigger, spec.entity, spec.event_name, identifiers,
                       enrichment, mapping, spec.backfill, spec.enabled, now, old.id);
    if (!ok) return Propagate(ok);
    return Change::UPDATED;
}

Result<std::optional<ActivationRecord>> Tx::GetActivation(int64_t workspace, const std::string& key) {
    return One<ActivationRecord>(
        db(),
        fmt::format("SELECT {} FROM activations a JOIN audiences au ON au.id = a.audience_id "
                    "WHERE a.workspace_id = ? AND a.key = ?",
                    kActivationColumns),
        ReadActivation, workspace, key);
}

Result<std::optional<ActivationRecord>> Tx::GetActivationById(int64_t id) {
    return One<ActivationRecord>(
        db(),
        fmt::format("SELECT {} FROM activations a JOIN audiences au ON au.id = a.audience_id WHERE a.id = ?",
                    kActivationColumns),
        ReadActivation, id);
}

Result<std::vector<ActivationRecord>> Tx::ListActivations(int64_t workspace, std::optional<int64_t> audience_id) {
    return All<ActivationRecord>(
        db(),
        fmt::format("SELECT {} FROM activations a JOIN audiences au ON au.id = a.audience_id "
                    "WHERE a.workspace_id = ? AND (? IS NULL OR a.audience_id = ?) ORDER BY a.key",
                    kActivationColumns),
        ReadActivation, workspace, audience_id, audience_id);
}

Status Tx::SetActivationFirstRun(int64_t activation_id, int64_t run_id) {
    auto ok = db().Run("UPDATE activations SET first_run_id = coalesce(first_run_id, ?) WHERE id = ?", run_id,
                       activation_id);
    return Touched(db(), ok, fmt::format("activation {}", activation_id));
}

Result<int64_t> Tx::CreateRun(int64_t audience_id, const std::string& reason, const std::string& worker) {
    auto audience = GetAudienceById(audience_id);
    if (!audience) return Propagate(audience);
    if (!*audience) return Fail(ErrorCode::NOT_FOUND, fmt::format("audience {} does not exist", audience_id));
    auto ok = db().Run("INSERT INTO runs (audience_id, definition_version, status, reason, queued_at, worker) "
                       "VALUES (?, ?, 'queued', ?, ?, ?)",
                       audience_id, (*audience)->version, reason, Now(), worker);
    if (!ok) return Propagate(ok);
    return db().LastInsertId();
}

Status Tx::UpdateRun(const Run& run) {
    std::optional<std::string> summary;
    if (!run.summary.is_null()) summary = CanonicalJson(run.summary);
    auto ok = db().Run("UPDATE runs SET status = ?, started_at = ?, finished_at = ?, queueing_ms = ?, "
                       "extracting_ms = ?, preparing_ms = ?, summary = ?, error = ? WHERE id = ?",
                       RunStatusName(run.status), run.started_at, run.finished_at, run.queueing_ms, run.extracting_ms,
                       run.preparing_ms, summary, run.error, run.id);
    return Touched(db(), ok, fmt::format("run {}", run.id));
}

Result<std::optional<Run>> Tx::GetRun(int64_t id) {
    return One<Run>(db(), fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns), ReadRun, id);
}

Result<std::vector<Run>> Tx::LastRuns(int64_t audience_id, int limit) {
    return All<Run>(db(), fmt::format("SELECT {} FROM runs WHERE audience_id = ? ORDER BY id DESC LIMIT ?", kRunColumns),
                    ReadRun, audience_id, limit);
}

Status Tx::StartRun(int64_t run_id, const std::string& worker, std::optional<int64_t> baseline_run_id) {
    int64_t now = Now();
    auto ok = db().Run("UPDATE runs SET status = 'running', started_at = ?, queueing_ms = max(0, ? - queued_at), "
                       "worker = ?, baseline_run_id = ? WHERE id = ? AND status = 'queued'",
                       now, now, worker, baseline_run_id, run_id);
    return Touched(db(), ok, fmt::format("queued run {}", run_id));
}

Result<std::vector<Run>> Tx::RunningRuns(int64_t audience_id) {
    return All<Run>(
        db(), fmt::format("SELECT {} FROM runs WHERE audience_id = ? AND status = 'running' ORDER BY id", kRunColumns),
        ReadRun, audience_id);
}

Result<std::vector<Run>> Tx::UnfinishedRuns() {
    return All<Run>(
        db(), fmt::format("SELECT {} FROM runs WHERE status IN ('queued', 'running') ORDER BY id", kRunColumns),
        ReadRun);
}

Status Tx::RecordSnapshot(const Snapshot& s) {
    return db().Run("INSERT INTO snapshots (run_id, audience_id, members_table, entities_table, created_at, "
                    "profile_changes_table, entity_changes_table) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    s.run_id, s.audience_id, s.members_table, s.entities_table, s.created_at ? s.created_at : Now(),
                    s.profile_changes_table, s.entity_changes_table);
}

Status Tx::SetBaseline(int64_t audience_id, int64_t run_id) {
    auto snapshot = One<Snapshot>(db(), fmt::format("SELECT {} FROM snapshots WHERE run_id = ?", kSnapshotColumns),
                                  ReadSnapshot, run_id);
    if (!snapshot) return Propagate(snapshot);
    if (!*snapshot || (*snapshot)->audience_id != audience_id) {
        return Fail(ErrorCode::NOT_FOUND, fmt::format("run {} has no snapshot of audience {}", run_id, audience_id));
    }
    return db().Run("INSERT INTO baselines (audience_id, run_id, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (audience_id) DO UPDATE SET run_id = excluded.run_id, updated_at = excluded.updated_at",
                    audience_id, run_id, Now());
}

Result<std::optional<Snapshot>> Tx::Baseline(int64_t audience_id) {
    return One<Snapshot>(db(),
                         "SELECT s.run_id, s.audience_id, s.members_table, s.entities_table, s.created_at, "
                         "s.profile_changes_table, s.entity_changes_table FROM baselines b JOIN snapshots s ON s.run_id = b.run_id WHERE b.audience_id = ?",
                         ReadSnapshot, audience_id);
}

Result<std::vector<Snapshot>> Tx::Snapshots(int64_t audience_id) {
    return All<Snapshot>(
        db(), fmt::format("SELECT {} FROM snapshots WHERE audience_id = ? ORDER BY run_id DESC", kSnapshotColumns),
        ReadSnapshot, audience_id);
}

Status Tx::ForgetSnapshot(int64_t run_id) {
    return db().Run("DELETE FROM snapshots WHERE run_id = ?", run_id);
}

Result<int64_t> Tx::EnqueueEvents(std::optional<int64_t> run_id, std::span<const NewEvent> events) {
    auto st = db().Prepare("INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, "
                           "next_attempt_at, created_at, dedup_key) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
                           "ON CONFLICT (activation_id, coalesce(dedup_key, message_id)) DO NOTHING");
    if (!st) return Propagate(st);
    int64_t now = Now(), queued = 0;
    std::string printed;
    for (const NewEvent& e : events) {
        st->BindAll(e.activation_id, run_id, e.message_id, e.event_name, PayloadText(e, printed), now, now,
                    DedupKey(e));
        if (auto ok = st->Run(); !ok) return Propagate(ok);
        queued += db().Changes();
        st->Reset();
    }
    return queued;
}

Result<int64_t> Tx::StageEvents(int64_t run_id, std::span<const NewEvent> events, std::map<int64_t, Published>* counts) {
    auto run = GetRun(run_id);
    if (!run) return Propagate(run);
    if (!*run || (*run)->status != RunStatus::RUNNING) {
        return Fail(ErrorCode::CONFLICT, fmt::format("run {} is not running: it cannot queue events", run_id));
    }
    auto st = db().Prepare(
        "INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, next_attempt_at, "
        "last_error, filter_stage, created_at, finished_at, dedup_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (activation_id, coalesce(dedup_key, message_id)) DO NOTHING");
    if (!st) return Propagate(st);
    // The batch's totals are added below, once per key, rather than by the insert trigger for each event.
    if (auto ok = db().Run("UPDATE outbox_totals_switch SET by_batch = 1 WHERE id = 1"); !ok) return Propagate(ok);
    struct Total {
        int64_t events = 0, filtered = 0;
    };
    std::map<std::pair<int64_t, std::string_view>, Total> totals; // (activation, event name)
    int64_t now = Now(), staged = 0;
    std::string printed;
    for (const NewEvent& e : events) {
        bool filtered = !e.filter_reason.empty();
        st->BindAll(e.activation_id, run_id, e.message_id, e.event_name, PayloadText(e, printed),
                    filtered ? "filtered" : "pending", now, e.filter_reason, filtered ? "source" : "",
                    now, filtered ? std::optional<int64_t>(now) : std::nullopt, DedupKey(e));
        if (auto ok = st->Run(); !ok) return Propagate(ok);
        int64_t written = db().Changes();
        staged += written;
        if (written > 0) {
            Total& t = totals[{e.activation_id, e.event_name}];
            ++t.events;
            t.filtered += filtered;
        }
        if (counts) {
            Published& c = (*counts)[e.activation_id];
            ++(written == 0 ? c.duplicates : filtered ? c.filtered : c.queued);
        }
        st->Reset();
    }
    // The run is running: its totals are kept under its id until it completes (migration 8's triggers).
    auto add = db().Prepare(
        "INSERT INTO outbox_totals VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?5 - ?6, 0, 0, 0) "
        "ON CONFLICT (activation_id, run_id, minute, event_name) DO UPDATE SET "
        "from_audience = from_audience + excluded.from_audience, "
        "filtered_at_source = filtered_at_source + excluded.filtered_at_source, queued = queued + excluded.queued");
    if (!add) return Propagate(add);
    for (const auto& [key, t] : totals) {
        add->BindAll(key.first, run_id, TotalsMinute(now), key.second, t.events, t.filtered);
        if (auto ok = add->Run(); !ok) return Propagate(ok);
        add->Reset();
    }
    if (auto ok = db().Run("UPDATE outbox_totals_switch SET by_batch = 0 WHERE id = 1"); !ok) return Propagate(ok);
    return staged;
}

Status Tx::DiscardStaged(int64_t run_id) {
    return db().Run("DELETE FROM outbox WHERE run_id = ? AND run_id NOT IN (SELECT id FROM runs WHERE status = "
                    "'completed')",
                    run_id);
}

Result<std::vector<OutboxEvent>> Tx::RunEvents(int64_t run_id) {
    return All<OutboxEvent>(db(), fmt::format("SELECT {} FROM outbox WHERE run_id = ? ORDER BY id", kEventColumns),
                            ReadEvent, run_id);
}

Result<std::vector<OutboxEvent>> Tx::DueEvents(int64_t now, int limit, const OutboxFilter& filter,
                                               bool parse_payloads) {
    return All<OutboxEvent>(db(),
                            fmt::format("SELECT {} FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? {} "
                                        "ORDER BY next_attempt_at, id LIMIT ?",
                                        kEventColumns, kOutboxFilter),
                            [parse_payloads](const sqlite::Statement& st) { return ReadEventAs(st, parse_payloads); },
                            now, filter.run_id, filter.run_id, ExcludedIds(filter), limit);
}

Result<PendingEvents> Tx::Pending(const OutboxFilter& filter) {
    auto row = One<PendingEvents>(
        db(), fmt::format("SELECT count(*), min(next_attempt_at) FROM outbox WHERE status = 'pending' {}", kOutboxFilter),
        [](const sqlite::Statement& st) { return PendingEvents{st.Int(0), st.OptionalInt(1)}; }, filter.run_id,
        filter.run_id, ExcludedIds(filter));
    if (!row) return Propagate(row);
    return row->value_or(PendingEvents{});
}

Result<std::optional<OutboxEvent>> Tx::LatestEventOfUser(int64_t activation_id, const std::string& user_id) {
    return One<OutboxEvent>(db(),
                            fmt::format("SELECT {} FROM outbox WHERE activation_id = ? AND "
                                        "json_extract(payload, '$.userId') = ? ORDER BY id DESC LIMIT 1",
                                        kEventColumns),
                            ReadEvent, activation_id, user_id);
}

Result<std::optional<OutboxEvent>> Tx::LatestEvent(int64_t activation_id) {
    return One<OutboxEvent>(
        db(), fmt::format("SELECT {} FROM outbox WHERE activation_id = ? ORDER BY id DESC LIMIT 1", kEventColumns),
        ReadEvent, activation_id);
}

Result<std::optional<OutboxEvent>> Tx::GetEvent(const std::string& message_id) {
    return One<OutboxEvent>(db(), fmt::format("SELECT {} FROM outbox WHERE message_id = ?", kEventColumns), ReadEvent,
                            message_id);
}

Status Tx::MarkDelivered(int64_t event_id, int status) {
    auto ok = db().Run("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = '', "
                       "last_status = ?, finished_at = ? WHERE id = ?",
                       status, Now(), event_id);
    return Touched(db(), ok, fmt::format("event {}", event_id));
}

Status Tx::MarkDeliveredMany(std::span<const int64_t> event_ids, int status) {
    // Consecutive ids (the usual case: a batch read in queue order) are one range each, which SQLite walks on the
    // primary key without building a list to look ids up in.
    std::vector<int64_t> ids(event_ids.begin(), event_ids.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    int64_t touched = 0;
    int64_t now = Now();
    for (size_t i = 0; i < ids.size();) {
        size_t j = i + 1;
        while (j < ids.size() && ids[j] == ids[j - 1] + 1) ++j;
        auto marked = DeliverPendingRange(db(), ids[i], ids[j - 1], status, now);
        if (!marked) return Propagate(marked);
        touched += static_cast<int64_t>(marked->size());
        // Events of the range that were not pending (none, when the drainer marks what it sent), one by one, their
        // totals kept by the trigger.
        for (size_t k = i, m = 0; k < j; ++k) {
            if (m < marked->size() && (*marked)[m] == ids[k]) {
                ++m;
                continue;
            }
            auto ok = db().Run("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_error = '', "
                               "last_status = ?, finished_at = ? WHERE id = ?",
                               status, now, ids[k]);
            if (!ok) return ok;
            touched += db().Changes();
        }
        i = j;
    }
    if (touched != static_cast<int64_t>(event_ids.size())) {
        return Fail(ErrorCode::NOT_FOUND, fmt::format("{} of {} events to mark delivered are not in the outbox",
                                                      static_cast<int64_t>(event_ids.size()) - touched,
                                                      event_ids.size()));
    }
    return {};
}

Status Tx::MarkRetry(int64_t event_id, int64_t next_attempt_at, const std::string& error, int status) {
    auto ok = db().Run("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, "
                       "last_status = ? WHERE id = ? AND status = 'pending'",
                       next_attempt_at, error, status, event_id);
    return Touched(db(), ok, fmt::format("pending event {}", event_id));
}

Status Tx::MarkFailed(int64_t event_id, const std::string& error, int status) {
    auto ok = db().Run("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                       "last_status = ?, finished_at = ? WHERE id = ?",
                       error, status, Now(), event_id);
    return Touched(db(), ok, fmt::format("event {}", event_id));
}

Result<int64_t> Tx::NotePendingError(int64_t activation_id, const std::string& error) {
    auto ok = db().Run("UPDATE outbox SET last_error = ? WHERE activation_id = ? AND status = 'pending'", error,
                       activation_id);
    if (!ok) return Propagate(ok);
    return db().Changes();
}

Status Tx::MarkFiltered(int64_t event_id, const std::string& stage, const std::string& reason) {
    auto ok = db().Run("UPDATE outbox SET status = 'filtered', filter_stage = ?, last_error = ?, finished_at = ? "
                       "WHERE id = ?",
                       stage, reason, Now(), event_id);
    return Touched(db(), ok, fmt::format("event {}", event_id));
}

Result<std::map<EventStatus, int64_t>> Tx::CountEvents(int64_t activation_id) {
    auto rows = All<std::pair<std::string, int64_t>>(
        db(),
        fmt::format("SELECT status, count(*) FROM outbox WHERE activation_id = ? AND {} GROUP BY status", kVisible),
        [](const sqlite::Statement& st) { return std::pair(st.Text(0), st.Int(1)); }, activation_id);
    if (!rows) return Propagate(rows);
    std::map<EventStatus, int64_t> out;
    for (const auto& [status, n] : *rows) {
        if (auto s = ParseEventStatus(status)) out[*s] = n;
    }
    return out;
}

Result<std::vector<OverviewRow>> Tx::DeliveryOverview(const OverviewFilter& f) {
    if (f.bucket_ms < 0) {
        return Fail(ErrorCode::USAGE, fmt::format("a bucket of {} ms: it must be positive", f.bucket_ms));
    }
    int64_t from = f.from_ms.value_or(INT64_MIN), to = f.to_ms.value_or(INT64_MAX);
    WholeMinutes minutes = WholeMinutesOf(from, to);
    // Buckets that split a minute, and ranges holding no whole minute, need the events themselves.
    if (f.bucket_ms % kTotalsGrain != 0 || minutes.begin == minutes.end) return RecountDeliveryOverview(f);
    return All<OverviewRow>(db(), kOverviewFromTotals, ReadOverviewRow, f.workspace_id, f.activation_id, f.event_name,
                            from, to, f.bucket_ms, minutes.begin, minutes.end);
}

Result<std::vector<OverviewRow>> Tx::RecountDeliveryOverview(const OverviewFilter& f) {
    if (f.bucket_ms < 0) {
        return Fail(ErrorCode::USAGE, fmt::format("a bucket of {} ms: it must be positive", f.bucket_ms));
    }
    // Two levels of one statement. The inner GROUP BY follows outbox_overview's order (activations by key through
    // their (workspace_id, key) index, then the index's own columns), so SQLite streams it without sorting and reads
    // no table row; it leaves one count per queueing time and state, far fewer rows than events (a run's page of
    // events shares one created_at). The outer GROUP BY sums those into the steps per activation, event name and
    // bucket. Counting the steps per event in a single sorted GROUP BY is about three times slower on 1M events.
    std::string sql = fmt::format(
        "SELECT activation_id, key, event_name, CASE WHEN ?6 > 0 THEN (created_at / ?6) * ?6 ELSE 0 END AS bucket, "
        "sum(n), sum(CASE WHEN {} THEN n ELSE 0 END), sum(CASE WHEN {} THEN n ELSE 0 END), "
        "sum(CASE WHEN {} THEN n ELSE 0 END), sum(CASE WHEN {} THEN n ELSE 0 END), "
        "sum(CASE WHEN {} THEN n ELSE 0 END), sum(CASE WHEN {} THEN n ELSE 0 END) "
        "FROM (SELECT o.activation_id, a.key, o.created_at, o.event_name, o.status, o.filter_stage, o.attempts, "
        "count(*) AS n FROM outbox o JOIN activations a ON a.id = o.activation_id WHERE {} "
        "GROUP BY a.key, o.created_at, o.event_name, o.status, o.filter_stage, o.attempts) AS o "
        "GROUP BY activation_id, event_name, bucket ORDER BY key, event_name, bucket",
        kFilteredAtSource, kFilteredAtDestination, kQueued, kPendingRetry, kFailed, kDelivered, kOverviewWhere);
    return All<OverviewRow>(db(), sql, ReadOverviewRow, f.workspace_id, f.activation_id, f.event_name,
                            f.from_ms.value_or(INT64_MIN), f.to_ms.value_or(INT64_MAX), f.bucket_ms);
}

Status Tx::CheckOverviewTotals() {
    // Both ways: the rows kept that a count of the outbox does not give, and the rows it gives that are not kept.
    const std::string counted =
        fmt::format("SELECT activation_id, {}, {}, event_name, count(*), sum({}), sum({}), sum({}), sum({}), sum({}), "
                    "sum({}) FROM outbox o GROUP BY 1, 2, 3, 4",
                    fmt::format(kTotalsRun, "o"), kTotalsMinute, kFilteredAtSource, kFilteredAtDestination, kQueued,
                    kPendingRetry, kFailed, kDelivered);
    const std::string kept = "SELECT * FROM outbox_totals";
    auto diff = All<std::string>(
        db(),
        fmt::format("SELECT * FROM (SELECT 'kept', * FROM ({0} EXCEPT {1}) UNION ALL "
                    "SELECT 'counted', * FROM ({1} EXCEPT {0})) ORDER BY 3, 4, 5, 2 LIMIT 10",
                    kept, counted),
        [](const sqlite::Statement& st) {
            return fmt::format("{} activation {} run {} minute {} event {:?}: {} = {} + {} + {} + {} + {} + {}",
                               st.Text(0), st.Int(1), st.Int(2), st.Int(3), st.Text(4), st.Int(5), st.Int(6),
                               st.Int(7), st.Int(8), st.Int(9), st.Int(10), st.Int(11));
        });
    if (!diff) return Propagate(diff);
    if (diff->empty()) return {};
    return Fail(ErrorCode::INTERNAL, fmt::format("the overview's totals differ from the outbox:\n{}",
                                                 fmt::join(*diff, "\n")));
}

Result<std::vector<OutboxEvent>> Tx::OverviewEvents(OverviewStep step, const OverviewFilter& f, int limit,
                                                    std::optional<int64_t> after_id) {
    // The page's ids come from the covering index alone (its entries carry the rowid); only the page's rows are
    // then read from the table.
    std::string sql = fmt::format("SELECT {} FROM outbox WHERE id IN (SELECT o.id FROM outbox o JOIN activations a "
                                  "ON a.id = o.activation_id WHERE {} AND ({}) AND o.id > ?6 ORDER BY o.id LIMIT ?7) "
                                  "ORDER BY id",
                                  kEventColumns, kOverviewWhere, StepCondition(step));
    return All<OutboxEvent>(db(), sql, ReadEvent, f.workspace_id, f.activation_id, f.event_name,
                            f.from_ms.value_or(INT64_MIN), f.to_ms.value_or(INT64_MAX), after_id.value_or(INT64_MIN),
                            limit);
}

} // namespace kith::store
