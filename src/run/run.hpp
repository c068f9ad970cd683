// Runs (activations.md, "Runs"): evaluate an audience on the warehouse, keep
// its snapshot there, diff it against the last good run in SQL, read back only
// the changes, build each enabled activation's events and queue them in the
// durable outbox in the same transaction that marks the run prepared.
//
//   run::Environment env{*store, *warehouse, graph};
//   auto run = run::RunNow(env, workspace_id, "premium_abandoners", "manual", run::Settings{});
//   // run->summary: {"profiles": {"entered": 3, "exited": 1}, "entities": {...}, "activations": {...}}
//
// Crash safety: a run records the process executing it (from its creation by
// RunNow). Before an audience runs, its runs left "running", or queued and not
// yet claimed, by a process that no longer exists are marked failed, their
// staged events and warehouse tables dropped; the new run is
// their repetition and diffs against the same baseline, so its events carry the
// same messageIds. Events reach the outbox only with the transaction that
// completes the run, so a run's events are queued exactly once.
#pragma once

#include "audience/catalog.hpp"
#include "audience/model.hpp"
#include "common/error.hpp"
#include "graph/model.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kith::run {

struct Environment {
    store::Store& store;
    warehouse::Warehouse& warehouse;
    const graph::DataGraph& graph;
};

struct Settings {
    std::string schema = "kith_state"; //!< the warehouse schema kith owns
    int64_t keep_snapshots = 5;         //!< completed runs whose tables are kept, besides the baseline
    int64_t max_event_bytes = 32 * 1024;
    int64_t page_size = 10000;          //!< changes read back per page
    int64_t stage_batch = 2000;        //!< events written to the outbox per transaction (run/stager.hpp)
    std::optional<int64_t> as_of_micros; //!< evaluation time; default now
    //! Progress lines ("extracting", "preparing 20000/81234", ...); may be empty.
    std::function<void(const std::string&)> progress;
    //! Called between steps with their name (tests use it to stop a run at a chosen point).
    std::function<void(const std::string&)> checkpoint;
    //! True once the process is stopping: a run fails at its next step or page (its events are not published; the
    //! next run diffs against the same baseline, so they come again with the same messageIds), and a dispatcher
    //! starts no further run. Empty: never.
    std::function<bool()> stop;
    //! Why the running run was cancelled (for example "the run was cancelled by ann@example.com"), or nothing: a
    //! cancelled run fails at its next step or page like a stopped one, with this as its error. Empty: never.
    std::function<std::optional<std::string>()> cancelled;
};

//! Why a run must end now: kStoppedMessage when the process stops, the cancel's reason, or nothing.
std::optional<std::string> HaltReason(const Settings& settings);

//! The error of a run ended by Settings::stop.
inline constexpr const char* kStoppedMessage = "the service stopped during the run; the next run repeats it";

//! "host:pid" of this process.
std::string ThisWorker();
//! Whether the process a worker string names still runs (only processes of this host are checked; others are
//! assumed alive).
bool WorkerAlive(const std::string& worker);

//! Fails runs of the audience (every audience when not given) left running, or queued and not yet claimed, by
//! processes that no longer exist: their staged events and warehouse tables are dropped. Returns the runs failed.
Result<std::vector<int64_t>> RecoverInterrupted(Environment& env, std::optional<int64_t> audience_id,
                                                const std::string& schema);

//! Drops the warehouse tables of the audience's runs (snapshots, diffs) in schema: what deleting an audience leaves
//! behind. Tables that do not exist are skipped.
Status DropAudienceTables(warehouse::Warehouse& warehouse, int64_t audience_id, const std::vector<int64_t>& run_ids,
                          const std::string& schema);

//! A stored audience parsed for evaluation: against the graph, the warehouse's columns and the workspace's audiences
//! (for audience conditions). An invalid definition is INVALID listing every problem.
Result<audience::Audience> ParseStoredAudience(const graph::DataGraph& graph, audience::Catalog& catalog,
                                               const store::AudienceRecord& audience,
                                               const std::vector<store::AudienceRecord>& workspace_audiences);

//! Executes a queued run to its end; the run is completed, or failed with its error (the baseline stays).
Result<store::Run> Execute(Environment& env, int64_t run_id, const Settings& settings);

//! Recovers the audience's interrupted runs, queues a run (reason "retry" when it repeats one) and executes it.
//! Refused while another live process runs the audience.
Result<store::Run> RunNow(Environment& env, int64_t workspace_id, const std::string& audience_key,
                          const std::string& reason, const Settings& settings);

//! A run as the Runs tab lists it: start, duration, status, step durations and change summary; a run without
//! changes shows no step values.
nlohmann::json RunHistoryEntry(const store::Run& run);

} // namespace kith::run
