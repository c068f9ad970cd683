#include "engine/warehouse_catalog.hpp"
#include "cli/apply_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"

#include "apply/apply.hpp"
#include "config/config.hpp"
#include "graph/builder.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <fmt/format.h>
#include <map>

namespace kith::cli {

int Apply(const ApplyArgs& args) {
    auto config = config::LoadConfig(args.config);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    auto graph = graph::LoadGraph(config->graph);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto warehouse = OpenWarehouse(*config);
    if (!warehouse) return Report(warehouse.error());
    engine::WarehouseCatalog catalog(**warehouse);
    auto store = store::Store::Open(config->state);
    if (!store) return Report(store.error());
    auto workspace = (*store)->DefaultWorkspace();
    if (!workspace) return Report(workspace.error());

    apply::Context ctx{*graph, &catalog, **store, *workspace, config->delivery.file_root};
    auto report = apply::ApplyDirectory(args.dir, ctx);
    if (!report) {
        if (report.error().fatal) return Report(*report.error().fatal);
        for (const auto& p : report.error().problems) fmt::print(stderr, "{}\n", p.ToString());
        fmt::print(stderr, "kith: {} problem{}; nothing was applied\n", report.error().problems.size(),
                   report.error().problems.size() == 1 ? "" : "s");
        return 1;
    }
    std::map<store::Change, int> totals;
    for (const auto& o : report->objects) {
        fmt::print("{:<10} {:<11} {} ({})\n", store::ChangeName(o.change), o.kind, o.key, o.file);
        ++totals[o.change];
    }
    fmt::print("apply: {} created, {} updated, {} unchanged\n", totals[store::Change::CREATED],
               totals[store::Change::UPDATED], totals[store::Change::UNCHANGED]);
    return 0;
}

} // namespace kith::cli
