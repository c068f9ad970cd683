#include "cli/run_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"

#include "config/config.hpp"
#include "deliver/drain.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "run/run.hpp"
#include "run/snapshot.hpp"
#include "sql/printer.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <cmath>
#include <fmt/format.h>

namespace kith::cli {

int RunAudience(const RunArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    auto graph = graph::LoadGraph(o.config.graph);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto warehouse = OpenWarehouse(o.config);
    if (!warehouse) return Report(warehouse.error());
    run::Settings settings;
    settings.schema = o.config.runs.snapshot_schema;
    settings.keep_snapshots = o.config.runs.keep_snapshots;
    settings.page_size = o.config.runs.page_size;
    settings.stage_batch = o.config.runs.stage_batch;
    settings.max_event_bytes = o.config.delivery.max_event_bytes;
    if (!args.as_of.empty()) {
        auto as_of = engine::ParseAsOf(args.as_of);
        if (!as_of) return Report(as_of.error());
        settings.as_of_micros = *as_of;
    }
    if (!args.quiet) {
        settings.progress = [&](const std::string& line) {
            fmt::print(stderr, "{{\"level\":\"info\",\"audience\":{},\"msg\":{}}}\n",
                       nlohmann::json(args.audience).dump(), nlohmann::json(line).dump());
        };
    }
    run::Environment env{*o.store, **warehouse, *graph};
    auto run = run::RunNow(env, o.workspace, args.audience, "manual", settings);
    if (!run) return Report(run.error());
    nlohmann::json out = {{"run_id", run->id}, {"audience", args.audience}, {"status", store::RunStatusName(run->status)}};
    if (run->status == store::RunStatus::FAILED) {
        out["error"] = run->error;
        fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        fmt::print(stderr, "kith: run {} failed: {}\n", run->id, run->error);
        return 3;
    }
    for (const auto& [k, v] : run->summary.items()) out[k] = v;
    out["timings_ms"] = {{"queueing", run->queueing_ms.value_or(0)},
                         {"extracting", run->extracting_ms.value_or(0)},
                         {"preparing", run->preparing_ms.value_or(0)}};
    int rc = 0;
    if (!args.no_deliver) {
        // What the run queued is delivered as `kith deliver --until-idle` would.
        deliver::DrainOptions options;
        options.until_idle = true;
        options.run_id = run->id;
        if (args.timeout_s) options.timeout_ms = static_cast<int64_t>(std::llround(*args.timeout_s * 1000));
        if (!args.quiet) options.log = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
        auto report = deliver::Drain(*o.store, o.config, options);
        if (!report) return Report(report.error());
        out["delivery"] = DeliveryJson(*report);
        if (report->end == deliver::DrainEnd::TIMEOUT) {
            fmt::print(stderr, "kith: the timeout passed with {} event{} of run {} pending\n", report->pending,
                       report->pending == 1 ? "" : "s", run->id);
            rc = 4;
        } else if (report->end == deliver::DrainEnd::HELD) {
            PrintHeld(*report);
            rc = 1;
        }
    }
    fmt::print("{}\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return rc;
}

int ListRuns(const RunsArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    auto audience = o.store->GetAudience(o.workspace, args.audience);
    if (!audience) return Report(audience.error());
    if (!*audience) return Report(Error{ErrorCode::NOT_FOUND, "no audience with key " + args.audience, {}});
    auto runs = o.store->LastRuns((*audience)->id, args.limit);
    if (!runs) return Report(runs.error());
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : *runs) list.push_back(run::RunHistoryEntry(r));
    fmt::print("{}\n", list.dump(2));
    return 0;
}

int ListChanges(const ChangesArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    auto snapshots = o.store->Transaction([&](store::Tx& tx) -> Result<std::optional<store::Snapshot>> {
        auto run = tx.GetRun(args.run);
        if (!run) return std::unexpected(run.error());
        if (!*run) return Fail(ErrorCode::NOT_FOUND, fmt::format("run {} does not exist", args.run));
        auto all = tx.Snapshots((*run)->audience_id);
        if (!all) return std::unexpected(all.error());
        for (const auto& s : *all) {
            if (s.run_id == args.run) return s;
        }
        return std::nullopt;
    });
    if (!snapshots) return Report(snapshots.error());
    if (!*snapshots) {
        return Report(Error{ErrorCode::NOT_FOUND,
                            fmt::format("run {} has no kept snapshot (it failed, or is older than the kept ones)", args.run),
                            {}});
    }
    auto warehouse = OpenWarehouse(o.config);
    if (!warehouse) return Report(warehouse.error());
    auto dialect = engine::DialectOf(**warehouse);
    if (!dialect) return Report(dialect.error());
    const store::Snapshot& s = **snapshots;
    sql::TableName profiles{"", o.config.runs.snapshot_schema, s.profile_changes_table};
    sql::TableName entities{"", o.config.runs.snapshot_schema, s.entity_changes_table};
    for (bool entity : {false, true}) {
        sql::Select q;
        q.From(sql::Table(entity ? entities : profiles, "c"))
            .Item(sql::Col("c", "kind"), "kind")
            .Item(sql::Col("c", "pid"), "pid");
        if (entity) q.Item(sql::Col("c", "relationship"), "relationship").Item(sql::Col("c", "pk"), "pk");
        q.OrderBy(sql::Col("c", "seq"));
        auto stream = (*warehouse)->Query(sql::Print(q, **dialect));
        if (!stream) return Report(stream.error());
        warehouse::Chunk chunk;
        while (true) {
            auto more = (*stream)->Next(chunk);
            if (!more) return Report(more.error());
            if (!*more) break;
            for (const auto& row : chunk.rows) {
                nlohmann::json line = {{"kind", row[0].value_or("")}, {"profile", row[1].value_or("")}};
                if (entity) {
                    line["relationship"] = row[2].value_or("");
                    line["primary_key"] = row[3].value_or("");
                }
                fmt::print("{}\n", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            }
        }
    }
    return 0;
}

} // namespace kith::cli
