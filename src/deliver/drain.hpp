// The drainer: takes due events from the store's outbox, sends them through
// their activation's destination and records each outcome.
//
//   deliver::DrainOptions options{.until_idle = true, .timeout_ms = 60'000};
//   auto report = deliver::Drain(store, config, options);
//   if (report && report->end == deliver::DrainEnd::TIMEOUT) ...; // still pending after a minute
//
// Each pass reads up to `batch_size` due events (oldest first), groups them by
// activation, and hands each group, in chunks of the destination's MaxBatch(),
// to the destination built from the activation's settings. Only then are the
// outcomes marked, in one transaction per chunk: delivered; retried later with
// randomized exponential backoff (never sooner than a Retry-After, never past
// the retry window); failed for good (a permanent failure, or a retryable one
// once [delivery] retry_for_s has passed since the event was queued); filtered
// at destination. A crash between sending and marking sends the chunk again
// (at least once; the messageId is the same).
//
// An activation whose destination cannot be built (an unknown type, a type kith
// does not deliver to yet, unusable settings) or that is disabled is held: its
// events stay pending with the reason as their last error, no attempt is
// counted, and it is looked at again after `hold_ms`.
#pragma once

#include "common/error.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::deliver {

struct DrainOptions {
    //! Return once no event (of run_id, when set) is pending: each delivered, filtered or failed for good, including
    //! those waiting for a retry later (the drainer sleeps until they are due). Without it the drainer keeps polling
    //! for new events until `stop` says so or the timeout passes.
    bool until_idle = false;
    std::optional<int64_t> timeout_ms; //!< return with DrainEnd::TIMEOUT when this passes first
    std::optional<int64_t> run_id;     //!< only the events this run queued (`kith run`)

    int batch_size = 1000;           //!< events read from the outbox per pass
    int64_t poll_ms = 1000;          //!< the longest sleep: events queued by other processes are seen this soon
    int64_t backoff_base_ms = 1000;  //!< the first retry waits about this long; each further one twice as long ...
    int64_t backoff_max_ms = 600000; //!< ... up to this (before jitter)
    int64_t hold_ms = 30000;         //!< a held activation (destination cannot be built) is looked at again after this
    int64_t progress_ms = 5000;      //!< at most one progress line this often (when `log` is set)
    uint64_t seed = 0;               //!< seeds the backoff's jitter; 0: a random seed

    std::function<int64_t()> clock;            //!< UTC milliseconds; default: the store's clock
    std::function<void(int64_t ms)> sleep;     //!< default: sleeps for real
    std::function<bool()> stop;                //!< asked before every pass; true ends the drain (DrainEnd::STOPPED)
    std::function<void(std::string_view)> log; //!< progress and held activations, one line each; default: silent
};

//! Outcomes recorded during one drain.
struct DrainCounts {
    int64_t delivered = 0;
    int64_t retried = 0;  //!< retryable failures, each to be tried again later (one event may count several times)
    int64_t failed = 0;   //!< failed for good
    int64_t filtered = 0; //!< filtered at destination
};

//! Why Drain returned.
enum class DrainEnd {
    IDLE,    //!< until_idle: no event is pending
    TIMEOUT, //!< the timeout passed first
    STOPPED, //!< `stop` returned true
    HELD,    //!< until_idle: the only pending events belong to held activations (see DrainReport::held)
};
//! "idle", "timeout", "stopped", "held".
std::string_view DrainEndName(DrainEnd end);

//! An activation whose events stay pending because its destination cannot be built or it is disabled.
struct HeldActivation {
    int64_t activation_id = 0;
    std::string key;
    std::string error;
    int64_t pending = 0; //!< its pending events when the drain ended
};

struct DrainReport {
    DrainEnd end = DrainEnd::IDLE;
    DrainCounts counts;
    int64_t pending = 0;              //!< events (of run_id, when set) still pending at the end
    std::vector<HeldActivation> held; //!< held when the drain ended, by activation id
};

//! Drains the outbox as DrainOptions say. File destinations write beneath config.delivery.file_root; retries
//! stop after config.delivery.retry_for_s. Fails only when the store does.
Result<DrainReport> Drain(store::Store& store, const config::Config& config, const DrainOptions& options);

//! When a retryable failure of `event` at `now` is tried again, or nullopt when the event fails for good: its retry
//! window (queued + retry_for_ms) is over, or Retry-After asks to wait past it. `backoff_ms` is the jittered
//! exponential delay; the result is never sooner than the Retry-After nor later than the window's end.
std::optional<int64_t> NextAttempt(const store::OutboxEvent& event, std::optional<int64_t> retry_after_ms, int64_t now,
                                   int64_t retry_for_ms, int64_t backoff_ms);

} // namespace kith::deliver
