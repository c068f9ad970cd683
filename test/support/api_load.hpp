// A load test of the service over loopback: a generated warehouse, an owner, enabled audiences (trait, event,
// entity) with webhook activations to a sink in this process, one `kith serve`, and many clients at once, each on
// its own kept-alive connection, mixing reads, writes that do not run audiences, previews and "Run now" while runs
// and deliveries proceed. Afterwards it waits for the runs and the outbox to finish and checks that every event the
// overview calls delivered reached the sink (by messageId) and none failed.
//
//   kith::test::LoadOptions o{.clients = 200, .seconds = 30, .profiles = 20000, .dir = "/tmp/load"};
//   kith::test::LoadReport r = kith::test::RunApiLoad(o);
//   fmt::print("{}", kith::test::FormatLoadReport(r));
//   return r.Passed() ? 0 : 1;
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::test {

struct LoadOptions {
    int clients = 200;
    int seconds = 30;
    int64_t profiles = 20000;
    std::filesystem::path dir;   //!< the working folder: emptied first, left in place (the caller removes it)
    int settle_seconds = 300;    //!< after the load: how long runs and the outbox may take to finish
    //! Requests started in the first seconds, while every client connects and sends its first request at the same
    //! moment (200 requests queued on 2 cores at once), are timed apart as the warm-up and left out of the tables.
    int warmup_seconds = 3;
    //! Share of previews in the mix (default 10%; the reads take what previews leave of 80%). A client waits for its
    //! preview to finish, so with many previews most clients are waiting for previews at any moment.
    int preview_percent = 10;
    std::function<void(std::string_view)> progress; //!< a line per step; none when empty
};

//! Latencies of one kind of request.
struct LatencyStats {
    std::string name;
    int64_t requests = 0;
    int64_t errors = 0;
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
    double per_second = 0; //!< requests per second of the load phase
    double server_mean_ms = -1; //!< the service's own mean time to answer (its /metrics), when known
};

struct LoadReport {
    std::string setup_error;            //!< not empty: the scenario could not be set up (nothing was measured)
    double seconds = 0;                 //!< the load phase, measured
    int clients = 0;
    std::vector<LatencyStats> classes;  //!< reads, writes, previews, run-now
    std::vector<LatencyStats> requests; //!< the same requests by operation (GET /api/v1/me, ...)
    int warmup_seconds = 0;
    LatencyStats warmup;                //!< requests started in the warm-up, any kind but previews (their errors
                                        //!< count above)
    std::vector<std::string> first_errors; //!< the first few failed requests, with their answers
    int64_t preview_results = 0;        //!< previews that answered with a member count
    int64_t reconnects = 0;             //!< requests that got no answer on a kept-alive connection, sent again on a
                                        //!< new one (each counted an error only if that failed too)
    int64_t runs_completed = 0;         //!< by the service during the load and the settling
    int64_t runs_failed = 0;
    bool settled = false;               //!< runs finished and the outbox emptied before the deadline
    double settle_seconds = 0;
    std::string settle_state;           //!< what was left when it did not settle
    int64_t from_audience = 0, delivered = 0, failed = 0, filtered = 0; //!< the overview's totals at the end
    int64_t received_events = 0;        //!< distinct messageIds the sink received
    int64_t received_requests = 0;
    int64_t resent_events = 0;          //!< events received more than once (at-least-once delivery)
    int64_t unknown_events = 0;         //!< events in the sink's requests without a messageId

    int64_t Errors() const;
    //! No failed request, the service settled, nothing lost or failed, and no run failed.
    bool Passed() const;
};

LoadReport RunApiLoad(const LoadOptions& options);

//! The report as tables: per class and per operation (requests, errors, p50, p90, p99, max ms, requests/s), then
//! runs and events, and the verdict.
std::string FormatLoadReport(const LoadReport& report);

} // namespace kith::test
