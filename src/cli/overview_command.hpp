// `kith overview` (activations.md, "Delivery overview"): per activation and
// event name, over a time range of queueing, how many events came from the
// audience, were filtered at source or at destination, wait in the queue or
// for a retry, failed, or were delivered; `--list STEP` lists one step's
// events with their status code and reason, a page at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kith::cli {

struct OverviewArgs {
    std::string config;
    std::string activation;          //!< a key; empty: every activation
    std::optional<std::string> event; //!< an event name ("" for identify events)
    std::string from;                 //!< ISO 8601; empty: from the first event
    std::string to;                   //!< ISO 8601, excluded; empty: up to the last event
    std::string bucket = "1h";        //!< <n>ms|s|m|h|d, or "none"
    bool json = false;
    std::string list; //!< a step whose events to list instead of the counts
    int limit = 100;
    std::optional<int64_t> after; //!< list the events after this id
};
//! Prints the overview (a table, or JSON) or, with --list, one step's events (TSV, or JSON). Exit 2 for a malformed
//! time, bucket or step; 1 for an unknown activation.
int Overview(const OverviewArgs& args);

//! "1h" -> 3600000; "none" and "0" -> 0 (no buckets); nullopt when malformed.
std::optional<int64_t> ParseBucket(const std::string& text);

} // namespace kith::cli
