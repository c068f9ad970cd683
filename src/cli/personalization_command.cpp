#include "cli/personalization_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"

#include "graph/builder.hpp"
#include "run/personalization.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kith::cli {

int Personalization(const PersonalizationArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    auto graph = graph::LoadGraph(o.config.graph);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto record = o.store->Transaction([&](store::Tx& tx) { return tx.GetActivation(o.workspace, args.activation); });
    if (!record) return Report(record.error());
    if (!*record) return Report(Error{ErrorCode::NOT_FOUND, "no activation with key " + args.activation, {}});
    auto plan = run::ActivationPlan::From(**record, *graph, o.config.delivery.max_event_bytes);
    if (!plan) return Report(plan.error());
    if (args.json) {
        fmt::print("{}\n", run::PersonalizationJson(*plan, *graph).dump(2, ' ', false,
                                                                         nlohmann::json::error_handler_t::replace));
        return 0;
    }
    auto fields = run::PersonalizationSyntax(*plan, *graph);
    if (fields.empty()) {
        fmt::print("{}: its events carry no enriched field (enrichment: traits and entity columns)\n", plan->key);
        return 0;
    }
    for (const auto& f : fields) {
        std::string what(run::FieldSourceName(f.source));
        if (f.kind == run::FieldKind::LIST) {
            std::string items;
            for (const auto& i : f.item_fields) items += (items.empty() ? "" : ", ") + i;
            what = fmt::format("list of {{{}}}, {}", items, what);
        }
        fmt::print("{} ({})\n  Braze:    {}\n  Iterable: {}\n", f.property, what, f.braze.text, f.iterable.text);
    }
    return 0;
}

} // namespace kith::cli
