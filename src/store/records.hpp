// The records the control-plane store holds: audiences and their definition
// history, activations, runs, warehouse snapshot bookkeeping and the event
// outbox. Timestamps are UTC milliseconds since the epoch; JSON values are
// stored as canonical text (object keys sorted, no spaces), so equal JSON is
// equal text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::store {

//! What an upsert did.
enum class Change { CREATED, UPDATED, UNCHANGED };
//! "created", "updated", "unchanged".
std::string_view ChangeName(Change change);

//! The canonical text of a JSON value: keys sorted, no whitespace, invalid UTF-8 replaced.
std::string CanonicalJson(const nlohmann::json& value);

struct Workspace {
    int64_t id = 0;
    std::string key;
    std::string name;
    int64_t created_at = 0;
};

//! An audience as written by a person (an apply file, the API).
struct AudienceSpec {
    std::string key;
    std::string name;
    std::string description;
    std::string folder;
    bool enabled = false;
    nlohmann::json schedule = {{"type", "manual"}};
    nlohmann::json definition = nlohmann::json::object(); //!< {"groups": [...]} as audiences.md defines it
};

struct AudienceRecord {
    int64_t id = 0;
    int64_t workspace_id = 0;
    AudienceSpec spec;
    int64_t version = 0; //!< the current definition's version (1 for the first)
    int64_t created_at = 0;
    int64_t updated_at = 0;
};

//! One row of an audience's definition history.
struct AudienceVersion {
    int64_t version = 0;
    nlohmann::json definition;
    int64_t created_at = 0;
};

struct ActivationSpec {
    std::string key;
    std::string audience; //!< the audience's key (same workspace)
    nlohmann::json destination = nlohmann::json::object(); //!< {"type": "webhook", ...settings}
    std::string action;
    std::string trigger;    //!< profile_enters, profile_exits, entity_enters, entity_exits, membership_changed
    std::string entity;     //!< relationship slug for entity triggers, else empty
    std::string event_name; //!< empty: the trigger's default
    nlohmann::json identifiers = nlohmann::json::array();
    nlohmann::json enrichment = nlohmann::json::object();
    nlohmann::json mapping = nullptr;
    bool backfill = true;
    bool enabled = true;
};

struct ActivationRecord {
    int64_t id = 0;
    int64_t workspace_id = 0;
    int64_t audience_id = 0;
    ActivationSpec spec;
    std::optional<int64_t> first_run_id; //!< the run that first sent events for it (its backfill run)
    int64_t created_at = 0;
    int64_t updated_at = 0;
};

enum class RunStatus { QUEUED, RUNNING, COMPLETED, FAILED };
//! "queued", "running", "completed", "failed".
std::string_view RunStatusName(RunStatus status);
std::optional<RunStatus> ParseRunStatus(std::string_view name);

struct Run {
    int64_t id = 0;
    int64_t audience_id = 0;
    int64_t definition_version = 0; //!< the audience definition the run evaluates
    RunStatus status = RunStatus::QUEUED;
    std::string reason; //!< why it runs: manual, schedule, enabled, retry, ...
    int64_t queued_at = 0;
    std::optional<int64_t> started_at;
    std::optional<int64_t> finished_at;
    std::optional<int64_t> queueing_ms;
    std::optional<int64_t> extracting_ms;
    std::optional<int64_t> preparing_ms;
    nlohmann::json summary = nullptr; //!< the change summary, null until known
    std::string error;
    std::string worker;                     //!< the process executing it ("host:pid"), empty when none
    std::optional<int64_t> baseline_run_id; //!< the snapshot it was diffed against
};

//! The warehouse tables holding one run's membership and matched-entity snapshot.
struct Snapshot {
    int64_t run_id = 0;
    int64_t audience_id = 0;
    std::string members_table;
    std::string entities_table;
    int64_t created_at = 0;
    std::string profile_changes_table; //!< the run's profile changes against its baseline
    std::string entity_changes_table;  //!< the run's matched-entity changes against its baseline
};

enum class EventStatus { PENDING, DELIVERED, FAILED, FILTERED };
//! "pending", "delivered", "failed", "filtered".
std::string_view EventStatusName(EventStatus status);
std::optional<EventStatus> ParseEventStatus(std::string_view name);

//! An event to queue for delivery.
struct NewEvent {
    int64_t activation_id = 0;
    std::string message_id; //!< stable across retries and restarts
    std::string event_name;
    nlohmann::json payload;
    std::string filter_reason; //!< non-empty: not sent, counted as filtered at source for this reason
    //! The payload already printed as canonical JSON (store::CanonicalJson); when set, `payload` is not read.
    std::string payload_text;
    //! What makes the event unique within its activation, in the order its run stages events (run::DedupKey):
    //! the outbox holds one event per (activation, key) and skips the others. Empty: the messageId.
    std::string dedup_key;

    //! What the outbox's unique index holds for the event besides its activation: the dedup key, else the
    //! messageId (the index's coalesce(dedup_key, message_id)).
    const std::string& UniqueKey() const { return dedup_key.empty() ? message_id : dedup_key; }
};

//! What publishing a run's staged events did, per activation.
struct Published {
    int64_t queued = 0;     //!< now pending delivery
    int64_t filtered = 0;   //!< recorded as filtered at source
    int64_t duplicates = 0; //!< already in the outbox (same activation and dedup key, so messageId), skipped
};

struct OutboxEvent {
    int64_t id = 0;
    int64_t activation_id = 0;
    std::optional<int64_t> run_id;
    std::string message_id;
    std::string event_name;
    nlohmann::json payload;  //!< null when read unparsed (DueEvents with parse_payloads = false)
    std::string payload_text; //!< the payload as stored: its canonical JSON text (CanonicalJson)
    EventStatus status = EventStatus::PENDING;
    int64_t attempts = 0;
    int64_t next_attempt_at = 0;
    std::string last_error; //!< or the reason it was filtered
    int64_t last_status = 0;  //!< the destination's status code (HTTP) of the last attempt; 0 when none
    std::string filter_stage; //!< "source" or "destination" when FILTERED
    int64_t created_at = 0;
    std::optional<int64_t> finished_at; //!< when delivered, failed for good or filtered
};

//! Which pending events an outbox query looks at: by default all of them.
struct OutboxFilter {
    std::optional<int64_t> run_id;            //!< only the events this run queued
    std::vector<int64_t> exclude_activations; //!< not the events of these activations
};

//! How many events are pending, and when the earliest of them is due.
struct PendingEvents {
    int64_t count = 0;
    std::optional<int64_t> next_attempt_at; //!< empty when none is pending
};

//! Which events the delivery overview counts: those of one workspace's activations that are visible (queued without
//! a run, or by a completed run), narrowed to one activation, one event name and a range of queueing times.
struct OverviewFilter {
    int64_t workspace_id = 1; //!< 1 is the "default" workspace
    std::optional<int64_t> activation_id;
    std::optional<std::string> event_name; //!< "" is the name of identify events
    std::optional<int64_t> from_ms;        //!< queued at or after (created_at >= from_ms)
    std::optional<int64_t> to_ms;          //!< queued before (created_at < to_ms)
    int64_t bucket_ms = 0;                 //!< > 0: one row per bucket of queueing time (aligned to the epoch, UTC)
};

//! The delivery overview of one activation and event name (and bucket). The steps add up: from_audience =
//! filtered_at_source + filtered_at_destination + queued + pending_retry + failed + delivered.
struct OverviewRow {
    int64_t activation_id = 0;
    std::string activation_key;
    std::string event_name;
    int64_t bucket_start = 0; //!< the bucket's first millisecond; 0 without buckets
    int64_t from_audience = 0;
    int64_t filtered_at_source = 0;
    int64_t filtered_at_destination = 0;
    int64_t queued = 0;        //!< pending, not attempted yet
    int64_t pending_retry = 0; //!< pending after at least one failed attempt
    int64_t failed = 0;
    int64_t delivered = 0;
};

//! A step of the delivery overview whose events can be listed.
enum class OverviewStep { FROM_AUDIENCE, FILTERED_AT_SOURCE, FILTERED_AT_DESTINATION, FAILED, DELIVERED };
//! "from_audience", "filtered_at_source", "filtered_at_destination", "failed", "delivered".
std::string_view OverviewStepName(OverviewStep step);
std::optional<OverviewStep> ParseOverviewStep(std::string_view name);

//! An overview row as the CLI's --json and the API show it: activation, event, bucket_start (ISO 8601, only when
//! `buckets`) and the seven counts.
nlohmann::json OverviewRowJson(const OverviewRow& row, bool buckets);
//! An event of a step's list as the CLI's --json and the API show it.
nlohmann::json OverviewEventJson(const OutboxEvent& event, const std::string& activation_key);

//! A person who signs in to the service (or owns API tokens). Roles are names from activations.md's table
//! ("workspace_owner", "engage_user", ...; src/api checks them).
struct User {
    int64_t id = 0;
    int64_t workspace_id = 1;
    std::string email; //!< unique, compared without case
    std::string name;
    std::string password_hash; //!< an Argon2id hash string; empty: no password login
    std::vector<std::string> roles;
    bool disabled = false;
    int64_t created_at = 0;
    int64_t updated_at = 0;
};

//! A login session: the client holds a random secret in a cookie; the store keeps its SHA-256.
struct Session {
    std::string token_hash;
    int64_t user_id = 0;
    std::string csrf; //!< the CSRF token the client must echo on every change made with the session
    int64_t created_at = 0;
    int64_t expires_at = 0;
};

//! An API token for scripts: it acts as its user (with the user's roles); the store keeps the secret's SHA-256.
struct ApiToken {
    int64_t id = 0;
    int64_t user_id = 0;
    std::string name;
    std::string token_hash;
    int64_t created_at = 0;
    std::optional<int64_t> last_used_at;
};

//! Login attempts not (yet) proven right under one throttle key (see Tx::CountLoginAttempt).
struct LoginThrottle {
    int64_t failures = 0;
    int64_t last_at = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// Alerts and in-app notifications (activations.md, "Alerts")

//! What an alert watches.
enum class AlertKind {
    EVENT_HEALTH,  //!< the events an activation's destination received (delivered) per 24 h
    AUDIENCE_SIZE, //!< an audience's member count (its completed runs' summaries)
};
//! "event_health", "audience_size".
std::string_view AlertKindName(AlertKind kind);
std::optional<AlertKind> ParseAlertKind(std::string_view name);

//! An alert as a person writes it (the API).
struct AlertSpec {
    AlertKind kind = AlertKind::EVENT_HEALTH;
    std::string target;         //!< the activation's key (event_health) or the audience's key (audience_size)
    double threshold_pct = 0;   //!< fires when the change exceeds this percentage, either way
    nlohmann::json channels = nlohmann::json::array(); //!< [{"type": "email", "to": [...]}, {"type": "slack",
                                                       //!< "url": ...}, {"type": "in_app"}]
    bool enabled = true;
};

//! What the last evaluation of an alert found.
struct AlertState {
    bool firing = false;
    std::optional<int64_t> last_checked_at;
    nlohmann::json last_value = nullptr; //!< the values compared, as the evaluator writes them
};

struct AlertRecord {
    int64_t id = 0;
    int64_t workspace_id = 0;
    AlertSpec spec;
    std::optional<int64_t> created_by; //!< the user who created it (may edit and delete it); none for the system
    int64_t created_at = 0;
    int64_t updated_at = 0;
    AlertState state;
};

//! An in-app notification to write.
struct NewNotification {
    int64_t workspace_id = 1;
    int64_t user_id = 0;
    std::optional<int64_t> alert_id; //!< the alert that left it, if any
    std::string title;
    std::string body;
};

struct Notification {
    int64_t id = 0;
    int64_t workspace_id = 0;
    int64_t user_id = 0;
    std::optional<int64_t> alert_id; //!< null once the alert is deleted
    std::string title;
    std::string body;
    int64_t created_at = 0;
    std::optional<int64_t> read_at; //!< null while unread
};

} // namespace kith::store
