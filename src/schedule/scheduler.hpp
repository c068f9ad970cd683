// Which audience runs when (activations.md, "Runs" and "Schedules"), as a state machine without threads
// or sleeps: the caller tells it the time. The service calls Tick(clock.Now()) when NextWake() comes and
// after every change, starts the runs it returns, and reports each end with Finished. Not thread-safe:
// one owner calls it.
//
//   Scheduler s({.max_concurrent = 5});
//   s.Add("premium_abandoners", *ParseSchedule(j), /*enabled=*/true, clock.Now());
//   for (const RunStart& r : s.Tick(clock.Now())) StartRun(r);   // later: s.Finished(r.audience, clock.Now())
//
// Invariants
// - An audience has at most one run queued or running; a request made while it runs (Run now, Enable)
//   is remembered once and queued when the run finishes.
// - An enabled audience with an interval or days schedule that is neither queued nor running has exactly
//   one planned slot; a disabled or manual one has none.
// - The next slot is planned only when the current run finishes: the first slot whose start (slot +
//   SpreadOffset) is after the finish. Slots that pass while a run is queued or running are skipped, never
//   made up; slots missed while Tick was not called are run once, as the latest of them.
// - At most max_concurrent runs are running; the others wait in one queue, first due, first started
//   (ties in audience key order).
#pragma once

#include "common/error.hpp"
#include "schedule/schedule.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::schedule {

//! Why a run starts.
enum class RunReason {
    SCHEDULED, //!< its slot came
    MANUAL,    //!< "Run now"
    ENABLED,   //!< the audience was enabled
};

//! "scheduled", "manual" or "enabled".
std::string_view ReasonName(RunReason reason);

//! A run to start now.
struct RunStart {
    std::string audience;
    Instant slot; //!< the slot for a scheduled run; the request time for a manual or enabled one
    RunReason reason;
    Instant due; //!< when it could first start (slot + spread, or the request); start - due is the queueing
    friend bool operator==(const RunStart&, const RunStart&) = default;
};

enum class AudienceState {
    IDLE,    //!< nothing planned (disabled, or manual)
    PLANNED, //!< waiting for its next slot
    QUEUED,  //!< due, waiting for a free run
    RUNNING,
};

//! What the scheduler knows of one audience.
struct AudienceStatus {
    bool enabled = false;
    AudienceState state = AudienceState::IDLE;
    std::optional<Instant> next_slot;  //!< when PLANNED
    std::optional<Instant> next_start; //!< when PLANNED: next_slot + the audience's spread
    bool follow_up = false;            //!< a run was requested while this one runs
};

struct SchedulerOptions {
    int max_concurrent = 5; //!< runs executing at once; values below 1 count as 1
};

class Scheduler {
public:
    explicit Scheduler(SchedulerOptions options = {});

    //! Registers an audience. An enabled one gets its next slot after `now` (a slot whose start is still to
    //! come counts, so a restart within the spread window keeps it) but no immediate run: adding restores
    //! state, Enable is what triggers a run. USAGE for an empty key, INVALID for a key already added.
    Status Add(std::string key, Schedule schedule, bool enabled, Instant now);

    //! Replaces the schedule. A planned slot is planned again from `now`; a queued or running run keeps
    //! going and the next slot comes from the new schedule. NOT_FOUND for an unknown key.
    Status SetSchedule(std::string_view key, Schedule schedule, Instant now);

    //! Enables a disabled audience and queues a run now (or right after a run still finishing). Enabling
    //! an enabled audience does nothing. NOT_FOUND for an unknown key.
    Status Enable(std::string_view key, Instant now);

    //! Disables: drops the planned slot, the queued run and any follow-up; a running run finishes.
    Status Disable(std::string_view key);

    //! "Run now", on any schedule: queues a run now; if one is already queued, nothing more; if one is
    //! running, one more run is queued when it finishes. INVALID for a disabled audience (a run evaluates
    //! an enabled audience), NOT_FOUND for an unknown key.
    Status RunNow(std::string_view key, Instant now);

    //! Queues the planned runs due by `now` and returns the runs to start now, in queue order.
    std::vector<RunStart> Tick(Instant now);

    //! The run of `key` ended at `at` (whatever its outcome): frees its place and plans what comes next.
    //! NOT_FOUND for an unknown key, INVALID when the audience has no run running.
    Status Finished(std::string_view key, Instant at);

    //! When Tick next has something to do without any other call: the earliest planned start, or the
    //! first queued run's due time when a run is free. Nothing when only Finished can change anything.
    std::optional<Instant> NextWake() const;

    Result<AudienceStatus> Inspect(std::string_view key) const;
    int Running() const { return running_; }
    //! Audience keys of the queued runs, first to start first.
    std::vector<std::string> Queued() const;

private:
    struct Request {
        RunReason reason;
        Instant slot;
        Instant due;
    };
    struct Entry {
        Schedule schedule;
        bool enabled = false;
        std::chrono::seconds spread{};
        std::optional<Instant> planned; //!< the next slot
        bool queued = false;
        bool running = false;
        std::optional<Request> follow_up;
        std::optional<Instant> last_slot; //!< the latest slot that was queued, never planned again
    };
    struct QueueItem {
        std::string key;
        Request request;
        std::uint64_t seq;
    };

    void Plan(Entry& e, Instant after);
    void Enqueue(const std::string& key, Entry& e, Request r);
    Entry* Find(std::string_view key);

    int max_concurrent_;
    int running_ = 0;
    std::uint64_t seq_ = 0;
    std::map<std::string, Entry, std::less<>> audiences_;
    std::vector<QueueItem> queue_; //!< sorted by (due, seq)
};

} // namespace kith::schedule
