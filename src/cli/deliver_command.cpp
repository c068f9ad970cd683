#include "cli/deliver_command.hpp"

#include "cli/report.hpp"

#include "config/config.hpp"
#include "deliver/catalog.hpp"
#include "deliver/catalog_json.hpp"
#include "deliver/destination.hpp"
#include "deliver/drain.hpp"
#include "store/store.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace kith::cli {

namespace {

using nlohmann::json;

volatile std::sig_atomic_t g_stop = 0;

extern "C" void OnStopSignal(int) {
    g_stop = 1;
}

std::string SettingLine(const deliver::Setting& s) {
    std::string kind(deliver::SettingKindName(s.kind));
    if (s.kind == deliver::SettingKind::INTEGER) kind += fmt::format(", 1 to {}", s.max);
    std::string choices;
    for (const auto& c : s.choices) choices += (choices.empty() ? " (one of: " : ", ") + c;
    if (!choices.empty()) choices += ")";
    if (!s.default_value.empty()) choices += "; default " + s.default_value;
    std::string required = s.required ? "required" : "optional";
    if (s.required && !s.unless.empty()) required = "required unless " + s.unless;
    return fmt::format("    {:<18} {:<9} {}; {}{}\n", s.name, required, kind, s.description, choices);
}

} // namespace

int Deliver(const DeliverArgs& args) {
    auto config = config::LoadConfig(args.config);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    auto store = store::Store::Open(config->state);
    if (!store) return Report(store.error());

    deliver::DrainOptions options;
    options.until_idle = args.until_idle;
    if (args.timeout_s) options.timeout_ms = static_cast<int64_t>(std::llround(*args.timeout_s * 1000));
    options.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
    // SIGINT and SIGTERM end the drain between two batches, so the summary is still printed; a batch being sent
    // is finished and marked first.
    std::signal(SIGINT, OnStopSignal);
    std::signal(SIGTERM, OnStopSignal);
    options.stop = [] { return g_stop != 0; };
    options.sleep = [](int64_t ms) {
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (!g_stop && std::chrono::steady_clock::now() < until) {
            auto left = until - std::chrono::steady_clock::now();
            std::this_thread::sleep_for(
                std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
        }
    };

    auto report = deliver::Drain(**store, *config, options);
    if (!report) return Report(report.error());

    json summary = DeliveryJson(*report);
    fmt::print("{}\n", summary.dump());

    switch (report->end) {
    case deliver::DrainEnd::IDLE:
    case deliver::DrainEnd::STOPPED: return 0;
    case deliver::DrainEnd::TIMEOUT:
        if (!args.until_idle) return 0; // without --until-idle, the timeout is simply how long it runs
        fmt::print(stderr, "kith: the timeout passed with {} event{} pending\n", report->pending,
                   report->pending == 1 ? "" : "s");
        return kExitTimeout;
    case deliver::DrainEnd::HELD:
        PrintHeld(*report);
        return 1;
    }
    return 0;
}

int Destinations(const DestinationsArgs& args) {
    if (args.json) {
        json out = deliver::CatalogJson();
        fmt::print("{}\n", out.dump(2));
        return 0;
    }
    std::string text;
    for (const auto& t : deliver::DestinationTypes()) {
        text += fmt::format("{}: {}{}\n", t.type, t.description,
                            deliver::IsImplemented(t.type) ? "" : " (delivery not implemented yet)");
        text += "  actions:\n";
        for (const auto& a : t.actions) {
            text +=
                fmt::format("    {:<26} {}\n", a.name + (&a == &t.actions.front() ? " (default)" : ""), a.description);
            if (a.fields.empty()) text += "      fields: free-form (the mapping is the whole payload; null: the event)\n";
            for (const auto& f : a.fields) {
                text += fmt::format("      {:<22} {:<9} {:<8} {}{}\n", f.name, f.required ? "required" : "optional",
                                    deliver::FieldTypeName(f.type), f.description,
                                    f.default_mapping.empty() ? "" : "; default " + f.default_mapping);
            }
        }
        text += "  settings:\n";
        for (const auto& s : t.settings) text += SettingLine(s);
        text += "\n";
    }
    text += "every type also takes:\n";
    for (const auto& s : deliver::CommonSettings()) text += SettingLine(s);
    fmt::print("{}", text);
    return 0;
}

} // namespace kith::cli
