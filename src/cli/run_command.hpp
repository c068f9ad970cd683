// `kith run`, `kith runs` and `kith changes` (cli.md): one run now in the
// foreground, the run history of an audience, and a run's changes listed again
// from the snapshots kept in the warehouse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kith::cli {

struct RunArgs {
    std::string config;
    std::string audience;
    std::string as_of;
    bool quiet = false;
    bool no_deliver = false;              //!< only queue the events
    std::optional<double> timeout_s;      //!< delivery: exit 4 if events are still pending after this long
};
//! Runs the audience now; prints the run's change summary as JSON.
int RunAudience(const RunArgs& args);

struct RunsArgs {
    std::string config;
    std::string audience;
    int limit = 50;
};
//! Prints the audience's last runs (newest first) as a JSON array.
int ListRuns(const RunsArgs& args);

struct ChangesArgs {
    std::string config;
    int64_t run = 0;
};
//! Prints the run's changes (profiles, then entities) as NDJSON, while its snapshot is kept.
int ListChanges(const ChangesArgs& args);

} // namespace kith::cli
