#include "cli/report.hpp"

#include <fmt/format.h>

namespace kith::cli {

int Report(const Error& e) {
    fmt::print(stderr, "kith: {}\n", e.ToString());
    return ExitCodeFor(e.code);
}

void PrintDiagnostics(const Diagnostics& diagnostics) {
    for (const auto& d : diagnostics) {
        fmt::print(stderr, "{}\n", d.location.IsSet() ? d.ToString() : d.location.file + ": " + d.message);
    }
}

nlohmann::json DeliveryJson(const deliver::DrainReport& report) {
    nlohmann::json held = nlohmann::json::array();
    for (const auto& h : report.held) held.push_back({{"activation", h.key}, {"error", h.error}, {"pending", h.pending}});
    return {{"result", deliver::DrainEndName(report.end)},
            {"delivered", report.counts.delivered},
            {"retried", report.counts.retried},
            {"failed", report.counts.failed},
            {"filtered", report.counts.filtered},
            {"pending", report.pending},
            {"held", held}};
}

void PrintHeld(const deliver::DrainReport& report) {
    for (const auto& h : report.held) {
        fmt::print(stderr, "kith: activation \"{}\": {}; its {} event{} stay pending\n", h.key, h.error, h.pending,
                   h.pending == 1 ? "" : "s");
    }
}

} // namespace kith::cli
