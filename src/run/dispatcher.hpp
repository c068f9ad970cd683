// The bridge between the scheduler (src/schedule) and runs: it keeps the
// scheduler in step with the audiences of the store (a newly enabled audience
// triggers a run, a changed schedule is planned again, a disabled one stops),
// and executes the runs the scheduler starts, telling it when each ends. The
// time comes from a Clock, so tests move a fake clock instead of sleeping, and
// a run's evaluation time is the clock's time.
//
//   run::Dispatcher d(env, workspace, settings, {.max_concurrent = 5}, clock);
//   d.Sync();                 // at start: restores state, starts nothing
//   ... audiences change ...
//   d.Sync();                 // an audience enabled since queues a run
//   auto runs = d.Step();     // executes every run due now
#pragma once

#include "run/run.hpp"
#include "schedule/clock.hpp"
#include "schedule/scheduler.hpp"

#include <map>
#include <string>
#include <vector>

namespace kith::run {

class Dispatcher {
public:
    Dispatcher(Environment& env, int64_t workspace, Settings settings, schedule::SchedulerOptions options,
               const schedule::Clock& clock);

    //! Reads the workspace's audiences: adds new ones (the first Sync restores state without starting runs;
    //! later, an audience created or switched enabled queues a run), replaces changed schedules, disables.
    Status Sync();
    //! "Run now" for an enabled audience.
    Status RunNow(const std::string& key);
    //! Executes every run due now, one after another, and returns them (completed or failed).
    Result<std::vector<store::Run>> Step();
    //! When Step next has something to do, if anything is planned.
    std::optional<schedule::Instant> NextWake() const { return scheduler_.NextWake(); }
    const schedule::Scheduler& scheduler() const { return scheduler_; }

private:
    struct Known {
        bool enabled = false;
        std::string schedule; // canonical JSON
    };
    Environment& env_;
    int64_t workspace_;
    Settings settings_;
    const schedule::Clock& clock_;
    schedule::Scheduler scheduler_;
    std::map<std::string, Known> known_;
    bool synced_ = false;
    bool recovered_ = false;
};

} // namespace kith::run
