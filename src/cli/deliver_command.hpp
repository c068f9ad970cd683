// `kith deliver --config FILE [--until-idle] [--timeout S]`: drains the event outbox to the destinations;
// `kith destinations [--json]`: the destination types, their actions and settings.
#pragma once

#include <optional>
#include <string>

namespace kith::cli {

//! The exit code of `kith deliver --until-idle` when the timeout passes before the outbox is idle (cli.md).
inline constexpr int kExitTimeout = 4;

struct DeliverArgs {
    std::string config;
    bool until_idle = false;
    std::optional<double> timeout_s;
};
//! Drains the outbox; prints a JSON summary of the counts on stdout, progress and held activations on stderr.
//! Exit 0 when idle (or, without --until-idle, when stopped by SIGINT/SIGTERM or the timeout), 4 when --until-idle
//! meets the timeout first, 1 when the only events left belong to activations that cannot be delivered to.
int Deliver(const DeliverArgs& args);

struct DestinationsArgs {
    bool json = false;
};
//! Lists the destination types with their actions and settings, as text or JSON.
int Destinations(const DestinationsArgs& args);

} // namespace kith::cli
