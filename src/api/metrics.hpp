// The service's metrics in Prometheus's text exposition format (version 0.0.4), served at GET /metrics: request
// counts and latency histograms per route template and status, counters the service adds (runs, events), and gauges
// read when scraped (pending events, runs running). Thread-safe.
//
//   metrics.ObserveRequest("GET", "/api/v1/audiences", 200, 0.004);
//   metrics.Add("kith_runs_total", {{"status", "completed"}});
//   metrics.Gauge("kith_outbox_pending", "Events waiting for delivery", [&] { return pending(); });
//   std::string text = metrics.Exposition();
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::api {

class Metrics {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;

    Metrics();
    //! One HTTP request: counted in kith_http_requests_total and timed in kith_http_request_duration_seconds.
    void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
    //! Adds to a counter (declared with its help text on first use).
    void Add(const std::string& name, const Labels& labels = {}, double value = 1, std::string_view help = "");
    //! A gauge whose value is read when scraped.
    void Gauge(const std::string& name, std::string help, std::function<double()> read);
    std::string Exposition() const;

private:
    struct Histogram {
        std::vector<uint64_t> buckets; // cumulative counts per bound
        uint64_t count = 0;
        double sum = 0;
    };
    struct Counter {
        std::string help;
        std::map<std::string, double> values; // rendered labels -> value
    };
    mutable std::mutex mutex_;
    std::vector<double> bounds_;
    std::map<std::string, Counter> counters_;
    std::map<std::string, Histogram> latency_; // rendered labels (method, route) -> histogram
    std::vector<std::pair<std::string, std::pair<std::string, std::function<double()>>>> gauges_;
};

} // namespace kith::api
