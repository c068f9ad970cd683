// The control-plane store: kith's own state (audiences, activations, runs,
// snapshot bookkeeping, the event outbox, alerts and in-app notifications) in one embedded SQLite file, in WAL
// mode with foreign keys on. Opening a store applies the migrations it lacks;
// a store written by a newer kith is refused. Every change of several rows
// happens inside one transaction:
//
//   auto store = store::Store::Open("state.sqlite");
//   auto ok = (*store)->Transaction([&](store::Tx& tx) -> Status {
//       auto run = tx.CreateRun(audience_id, "manual");
//       if (!run) return std::unexpected(run.error());
//       auto queued = tx.EnqueueEvents(*run, events);
//       if (!queued) return std::unexpected(queued.error());  // nothing of this body is kept
//       return {};
//   });
//
// A body that returns an error (or throws) rolls the transaction back. A Store
// is used by one thread at a time; several processes may open the same file.
//
// Store::Read runs a body that only reads: a deferred transaction on a WAL
// snapshot, which never waits for a writer (and fails if the body writes).
// Write transactions of one process queue on a lock shared by every Store of
// the same file, so a writer starts as soon as the previous one commits instead
// of polling SQLite's busy handler; other processes are still waited for by
// SQLite's busy timeout.
#pragma once

#include "common/error.hpp"
#include "store/records.hpp"
#include "store/sqlite.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace kith::store {

class Store;

//! The operations on the store, valid inside Store::Transaction.
class Tx {
public:
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;

    //! The workspace's id, creating it (named after its key) when missing. "default" always exists.
    Result<int64_t> EnsureWorkspace(const std::string& key);
    Result<std::vector<Workspace>> ListWorkspaces();

    //! Creates or updates an audience by key. A changed definition (by canonical JSON) adds a history version;
    //! other changed fields update the row in place; nothing changed writes nothing.
    Result<Change> UpsertAudience(int64_t workspace, const AudienceSpec& spec);
    Result<std::optional<AudienceRecord>> GetAudience(int64_t workspace, const std::string& key);
    Result<std::optional<AudienceRecord>> GetAudienceById(int64_t id);
    //! Ordered by key.
    Result<std::vector<AudienceRecord>> ListAudiences(int64_t workspace);
    //! Every definition version, oldest first.
    Result<std::vector<AudienceVersion>> AudienceHistory(int64_t audience_id);

    //! Creates or updates an activation by key; its audience (by key) must exist.
    Result<Change> UpsertActivation(int64_t workspace, const ActivationSpec& spec);
    Result<std::optional<ActivationRecord>> GetActivation(int64_t workspace, const std::string& key);
    Result<std::optional<ActivationRecord>> GetActivationById(int64_t id);
    //! Ordered by key; only the audience's when audience_id is given.
    Result<std::vector<ActivationRecord>> ListActivations(int64_t workspace,
                                                          std::optional<int64_t> audience_id = std::nullopt);
    //! Records the run that first sent events for the activation (no-op once set).
    Status SetActivationFirstRun(int64_t activation_id, int64_t run_id);

    //! Queues a run of the audience's current definition; returns its id. worker ("host:pid") names the process
    //! that will execute it, so that a restart can tell a queued run whose process ended before claiming it.
    Result<int64_t> CreateRun(int64_t audience_id, const std::string& reason, const std::string& worker = "");
    //! Writes status, times, step durations, summary and error of an existing run.
    Status UpdateRun(const Run& run);
    Result<std::optional<Run>> GetRun(int64_t id);
    //! The audience's latest runs, newest first.
    Result<std::vector<Run>> LastRuns(int64_t audience_id, int limit = 50);
    //! Queued and running runs of every audience (what a restart must finish or fail), oldest first.
    Result<std::vector<Run>> UnfinishedRuns();

    //! Marks a queued run running in `worker`, with its start time and queueing duration.
    Status StartRun(int64_t run_id, const std::string& worker, std::optional<int64_t> baseline_run_id);
    //! Runs of one audience that are running, oldest first.
    Result<std::vector<Run>> RunningRuns(int64_t audience_id);

    //! Records the warehouse tables of a run's snapshot.
    Status RecordSnapshot(const Snapshot& snapshot);
    //! Makes a recorded snapshot the audience's baseline (the last good run).
    Status SetBaseline(int64_t audience_id, int64_t run_id);
    //! The audience's baseline snapshot, if any.
    Result<std::optional<Snapshot>> Baseline(int64_t audience_id);
    //! The audience's snapshots, newest first.
    Result<std::vector<Snapshot>> Snapshots(int64_t audience_id);
    //! Forgets a snapshot (after its warehouse tables are dropped); the baseline cannot be forgotten.
    Status ForgetSnapshot(int64_t run_id);

    //! Queues events of a run as pending, due now. An event whose message_id is already in the outbox is
    //! skipped (a repeated run queues nothing twice); returns how many were queued.
    Result<int64_t> EnqueueEvents(std::optional<int64_t> run_id, std::span<const NewEvent> events);
    //! Writes events of a running run into the outbox (pending, or filtered at source when they carry a filter
    //! reason). They are not delivered, listed as due or counted until the run is completed, in the transaction
    //! that marks it so. An event whose message_id is already in the outbox is skipped; returns how many were
    //! written.
    //! When `counts` is given, adds each event to its activation's queued, filtered or duplicates.
    Result<int64_t> StageEvents(int64_t run_id, std::span<const NewEvent> events,
                                std::map<int64_t, Published>* counts = nullptr);
    //! Deletes the events of a run that did not complete (a failed or interrupted run).
    Status DiscardStaged(int64_t run_id);
    //! Every outbox event of a run, in queueing order.
    Result<std::vector<OutboxEvent>> RunEvents(int64_t run_id);

    //! Pending events due at `now` (and passing the filter), by due time then queue order.
    //! Without parse_payloads, each event's payload stays null and only payload_text is filled (the drainer parses
    //! only where a mapping, a filter or the destination needs the object).
    Result<std::vector<OutboxEvent>> DueEvents(int64_t now, int limit, const OutboxFilter& filter = {},
                                               bool parse_payloads = true);
    //! How many events (passing the filter) are pending, due now or later, and the earliest due time.
    Result<PendingEvents> Pending(const OutboxFilter& filter = {});
    Result<std::optional<OutboxEvent>> GetEvent(const std::string& message_id);
    //! The newest outbox event of the activation whose userId (payload `userId`) is `user_id`, in any state.
    Result<std::optional<OutboxEvent>> LatestEventOfUser(int64_t activation_id, const std::string& user_id);
    //! The newest outbox event of the activation, in any state.
    Result<std::optional<OutboxEvent>> LatestEvent(int64_t activation_id);
    //! Delivered; `status` is the destination's answer (HTTP status), 0 when it has none.
    Status MarkDelivered(int64_t event_id, int status = 0);
    //! Marks many events delivered with one statement; fails (NOT_FOUND) unless every one of them was touched.
    Status MarkDeliveredMany(std::span<const int64_t> event_ids, int status = 0);
    //! One more failed attempt, to be retried at next_attempt_at; `status` as in MarkFailed.
    Status MarkRetry(int64_t event_id, int64_t next_attempt_at, const std::string& error, int status);
    //! Failed for good; `status` is the destination's status code (HTTP) of the attempt, 0 when it had none.
    Status MarkFailed(int64_t event_id, const std::string& error, int status);
    //! Records why the activation's pending events are not being sent (e.g. its destination cannot be built),
    //! without counting an attempt or moving their due time; returns how many events it touched.
    Result<int64_t> NotePendingError(int64_t activation_id, const std::string& error);
    //! Dropped: stage is "source" or "destination".
    Status MarkFiltered(int64_t event_id, const std::string& stage, const std::string& reason);
    //! Events per status for an activation.
    Result<std::map<EventStatus, int64_t>> CountEvents(int64_t activation_id);

    //! The delivery overview (activations.md): the filter's events counted per step, one row per activation,
    //! event name (and bucket), ordered by activation key, event name and bucket; rows with no event are not listed.
    //! Read from the running totals kept per activation, event name and minute of queueing time, and the events of
    //! the range's ends that are no whole minute; a bucket that is no whole number of minutes is recounted
    //! (RecountDeliveryOverview). Fails with USAGE on a negative bucket.
    Result<std::vector<OverviewRow>> DeliveryOverview(const OverviewFilter& filter);
    //! The same overview counted from the events themselves, one statement over the covering index outbox_overview:
    //! its cost grows with the events in the range. DeliveryOverview's answer must equal it.
    Result<std::vector<OverviewRow>> RecountDeliveryOverview(const OverviewFilter& filter);
    //! Compares every row of the running totals, those of runs not completed included, with a count of the whole
    //! outbox; fails (INTERNAL) naming the first rows that differ. Reads every event: a check, for tests.
    Status CheckOverviewTotals();
    //! The filter's events of one step, by id, at most `limit`, those after `after_id` (the last id of the previous
    //! page) when given. Their last_status and last_error say why they are where they are.
    Result<std::vector<OutboxEvent>> OverviewEvents(OverviewStep step, const OverviewFilter& filter, int limit,
                                                    std::optional<int64_t> after_id = std::nullopt);

    // Deleting (each with what depends on it: runs, snapshots' bookkeeping, outbox events, activations).

    //! Deletes an audience with its history, runs, snapshots' bookkeeping, activations and their events.
    Status DeleteAudience(int64_t workspace, const std::string& key);
    //! Deletes an activation and its outbox events.
    Status DeleteActivation(int64_t workspace, const std::string& key);

    // Accounts (src/store/accounts.cpp): users, login sessions, API tokens, failed logins.

    //! Creates a user; INVALID when the email is taken.
    Result<int64_t> CreateUser(const User& user);
    //! Updates name, password hash, roles and disabled of an existing user.
    Status UpdateUser(const User& user);
    Status DeleteUser(int64_t user_id);
    Result<std::optional<User>> GetUser(int64_t user_id);
    Result<std::optional<User>> GetUserByEmail(const std::string& email);
    //! Ordered by email.
    Result<std::vector<User>> ListUsers(int64_t workspace);
    Status CreateSession(const Session& session);
    //! The session, if it exists and has not expired at `now`.
    Result<std::optional<Session>> GetSession(const std::string& token_hash, int64_t now);
    Status DeleteSession(const std::string& token_hash);
    //! Deletes every session of a user (password changed, user disabled).
    Status DeleteSessionsOf(int64_t user_id);
    //! Revokes every API token of the user (a new password ends every credential made with the old one).
    Status DeleteApiTokensOf(int64_t user_id);
    //! Deletes sessions expired at `now`; returns how many.
    Result<int64_t> DeleteExpiredSessions(int64_t now);
    Result<int64_t> CreateApiToken(const ApiToken& token);
    Result<std::optional<ApiToken>> FindApiToken(const std::string& token_hash);
    //! The user's tokens (every user's when user_id is empty), ordered by id.
    Result<std::vector<ApiToken>> ListApiTokens(std::optional<int64_t> user_id);
    Result<std::optional<ApiToken>> GetApiToken(int64_t id);
    Status DeleteApiToken(int64_t id);
    Status TouchApiToken(int64_t id, int64_t now);
    //! The attempts counted under a throttle key (the API's keys: "email E from ADDRESS", "from ADDRESS").
    Result<LoginThrottle> GetLoginThrottle(const std::string& key);
    //! Counts one attempt at `now` (as failed until ForgiveLoginAttempt or ClearLoginThrottle says otherwise).
    Status CountLoginAttempt(const std::string& key, int64_t now);
    //! Takes one counted attempt back (it succeeded); the key's row goes at zero.
    Status ForgiveLoginAttempt(const std::string& key);
    Status ClearLoginThrottle(const std::string& key);

    // -----------------------------------------------------------------------------------------------------------
    // Alerts and in-app notifications (alerts.cpp). Alerts are read and written within their workspace: an id of
    // another workspace is NOT_FOUND.

    //! Creates an alert (not firing, never checked); returns its id.
    Result<int64_t> CreateAlert(int64_t workspace, const AlertSpec& spec, std::optional<int64_t> created_by);
    //! Replaces an alert's spec. A changed kind or target resets its evaluation state (not firing, never checked);
    //! NOT_FOUND when it does not exist.
    Status UpdateAlert(int64_t workspace, int64_t id, const AlertSpec& spec);
    Result<std::optional<AlertRecord>> GetAlert(int64_t workspace, int64_t id);
    //! Ordered by id.
    Result<std::vector<AlertRecord>> ListAlerts(int64_t workspace);
    //! Deletes an alert; its notifications stay (their alert_id becomes null). NOT_FOUND when it does not exist.
    Status DeleteAlert(int64_t workspace, int64_t id);
    //! Writes the result of evaluating an alert (the evaluator's only write to it).
    Status RecordAlertCheck(int64_t id, const AlertState& state);

    //! Writes an unread in-app notification, created now; returns its id.
    Result<int64_t> AddNotification(const NewNotification& notification);
    //! A user's notifications, newest first, at most `limit`; with after_id (the last id of the previous page) only
    //! older ones (id < after_id).
    Result<std::vector<Notification>> ListNotifications(int64_t user_id, bool unread_only, int limit,
                                                        std::optional<int64_t> after_id = std::nullopt);
    //! Marks the user's notifications read (now): those of `ids`, or all when ids is nullopt. Others' ids and
    //! notifications already read are left alone; returns how many it marked.
    Result<int64_t> MarkNotificationsRead(int64_t user_id, const std::optional<std::vector<int64_t>>& ids);
    Result<int64_t> CountUnread(int64_t user_id);

    //! How many events of the activation were delivered with finished_at in [from_ms, to_ms) (index
    //! outbox_delivered).
    Result<int64_t> CountDelivered(int64_t activation_id, int64_t from_ms, int64_t to_ms);
    //! The audience's member count at `at_ms`: `members` of the summary of its latest completed run finished at or
    //! before then; nullopt when there is none (or its summary has no count).
    Result<std::optional<int64_t>> AudienceMembersAt(int64_t audience_id, int64_t at_ms);

    int64_t Now() const;

private:
    friend class Store;
    explicit Tx(Store& store) : store_(store) {}
    ~Tx();
    sqlite::Database& db();

    Store& store_;
    bool finished_ = false;
};

class Store {
public:
    struct Options {
        int busy_timeout_ms = 5000;         //!< how long to wait for another process's write lock
        std::function<int64_t()> clock;     //!< UTC milliseconds; default the system clock
    };

    //! Opens or creates the store file and applies the missing migrations, each in one transaction.
    //! A store whose schema is newer than this binary knows is refused.
    static Result<std::unique_ptr<Store>> Open(const std::string& path, Options options);
    static Result<std::unique_ptr<Store>> Open(const std::string& path) { return Open(path, Options{}); }

    //! The newest schema version this binary knows.
    static int64_t LatestSchemaVersion();
    int64_t schema_version() const { return schema_version_; }
    const std::string& path() const { return path_; }
    //! The store's clock (Options::clock): UTC milliseconds.
    int64_t Now() const { return options_.clock(); }
    //! A second connection to the same file with the same options, for another thread (a Store is used by one
    //! thread at a time). The file is not migrated again.
    Result<std::unique_ptr<Store>> OpenAnother() const;

    //! Runs body(Tx&) in one transaction; body returns a Result or Status. Committed when it succeeds, rolled
    //! back when it fails or throws. Transactions do not nest.
    template <class F> std::invoke_result_t<F, Tx&> Transaction(F&& body);
    //! Runs body(Tx&) in a read-only transaction: one consistent snapshot of the store that never waits for a
    //! writer. A body that tries to write fails (SQLite's "attempt to write a readonly database").
    template <class F> std::invoke_result_t<F, Tx&> Read(F&& body);

    // Single operations, each in a transaction of its own.
    Result<Change> UpsertAudience(int64_t workspace, const AudienceSpec& spec);
    Result<std::optional<AudienceRecord>> GetAudience(int64_t workspace, const std::string& key);
    Result<std::vector<AudienceRecord>> ListAudiences(int64_t workspace);
    Result<std::vector<AudienceVersion>> AudienceHistory(int64_t audience_id);
    Result<Change> UpsertActivation(int64_t workspace, const ActivationSpec& spec);
    Result<std::vector<ActivationRecord>> ListActivations(int64_t workspace);
    Result<int64_t> CreateRun(int64_t audience_id, const std::string& reason, const std::string& worker = "");
    Status UpdateRun(const Run& run);
    Result<std::vector<Run>> LastRuns(int64_t audience_id, int limit = 50);
    Result<std::optional<Run>> GetRun(int64_t id);
    Result<int64_t> DefaultWorkspace();

private:
    friend class Tx;
    Store() = default;
    enum class Mode { kWrite, kRead };
    Status Begin(Mode mode);
    Status Commit();
    void Rollback();
    //! Ends the transaction's bookkeeping: the read-only flag is cleared, the process's write lock released.
    void Finish();
    Status Migrate();
    //! Runs one migration's statements (and puts back what a rebuilt table had), inside Migrate's transaction.
    Status ApplyMigration(const struct Migration& m);
    //! A connection with the store's pragmas, before any migration.
    static Result<std::unique_ptr<Store>> Connect(const std::string& path, Options options);
    template <class F> std::invoke_result_t<F, Tx&> InTransaction(Mode mode, F&& body);

    sqlite::Database db_;
    std::string path_;
    Options options_;
    int64_t schema_version_ = 0;
    bool in_transaction_ = false;
    Mode mode_ = Mode::kWrite;
    std::shared_ptr<std::timed_mutex> write_lock_; //!< shared by this process's Stores of the same file
};

template <class F> std::invoke_result_t<F, Tx&> Store::Transaction(F&& body) {
    return InTransaction(Mode::kWrite, std::forward<F>(body));
}

template <class F> std::invoke_result_t<F, Tx&> Store::Read(F&& body) {
    return InTransaction(Mode::kRead, std::forward<F>(body));
}

template <class F> std::invoke_result_t<F, Tx&> Store::InTransaction(Mode mode, F&& body) {
    if (auto b = Begin(mode); !b) return std::unexpected(b.error());
    Tx tx(*this); // rolls back in its destructor unless committed
    auto result = std::forward<F>(body)(tx);
    if (!result) return result;
    if (auto c = Commit(); !c) return std::unexpected(c.error());
    tx.finished_ = true;
    return result;
}

} // namespace kith::store
