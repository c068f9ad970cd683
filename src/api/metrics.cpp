#include "api/metrics.hpp"

#include <fmt/format.h>

namespace kith::api {

namespace {

std::string Escape(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string Render(const Metrics::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", k, Escape(v));
    return out;
}

std::string Number(double v) { return fmt::format("{}", v); }

} // namespace

Metrics::Metrics() : bounds_{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10} {}

void Metrics::ObserveRequest(std::string_view method, std::string_view route, int status, double seconds) {
    Add("kith_http_requests_total",
        {{"method", std::string(method)}, {"route", std::string(route)}, {"status", std::to_string(status)}}, 1,
        "HTTP requests served, by method, route template and status");
    std::string key = Render({{"method", std::string(method)}, {"route", std::string(route)}});
    std::lock_guard lock(mutex_);
    auto& h = latency_[key];
    if (h.buckets.empty()) h.buckets.assign(bounds_.size(), 0);
    for (size_t i = 0; i < bounds_.size(); ++i) {
        if (seconds <= bounds_[i]) ++h.buckets[i];
    }
    ++h.count;
    h.sum += seconds;
}

void Metrics::Add(const std::string& name, const Labels& labels, double value, std::string_view help) {
    std::lock_guard lock(mutex_);
    auto& c = counters_[name];
    if (c.help.empty()) c.help = help.empty() ? name : std::string(help);
    c.values[Render(labels)] += value;
}

void Metrics::Gauge(const std::string& name, std::string help, std::function<double()> read) {
    std::lock_guard lock(mutex_);
    gauges_.emplace_back(name, std::pair(std::move(help), std::move(read)));
}

std::string Metrics::Exposition() const {
    std::string out;
    std::vector<std::pair<std::string, std::pair<std::string, std::function<double()>>>> gauges;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, c] : counters_) {
            out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, c.help, name);
            for (const auto& [labels, v] : c.values) {
                out += labels.empty() ? fmt::format("{} {}\n", name, Number(v))
                                      : fmt::format("{}{{{}}} {}\n", name, labels, Number(v));
            }
        }
        const char* h = "kith_http_request_duration_seconds";
        out += fmt::format("# HELP {} Time to answer HTTP requests, by method and route template\n# TYPE {} "
                           "histogram\n",
                           h, h);
        for (const auto& [labels, hist] : latency_) {
            for (size_t i = 0; i < bounds_.size(); ++i) {
                out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", h, labels, Number(bounds_[i]), hist.buckets[i]);
            }
            out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", h, labels, hist.count);
            out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", h, labels, Number(hist.sum), h, labels,
                               hist.count);
        }
        gauges = gauges_;
    }
    // Gauges are read outside the lock: they may query the store.
    for (const auto& [name, g] : gauges) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, g.first, name, name, Number(g.second()));
    }
    return out;
}

} // namespace kith::api
