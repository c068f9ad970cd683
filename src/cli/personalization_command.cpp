#include "cli/personalization_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"

#include "graph/builder.hpp"
#include "run/personalization.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kith::cli {

namespace {

using nlohmann::json;

json LoopJson(const run::Snippet& s) { return {{"open", s.open}, {"item", s.item}, {"close", s.close}}; }

} // namespace

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
    auto fields = run::PersonalizationSyntax(*plan, *graph);
    bool identify = plan->trigger == run::Trigger::MEMBERSHIP_CHANGED;

    if (args.json) {
        json list = json::array();
        for (const auto& f : fields) {
            json j = {{"property", f.property},
                      {"kind", run::FieldKindName(f.kind)},
                      {"source", run::FieldSourceName(f.source)},
                      {"braze", f.braze.text},
                      {"iterable", f.iterable.text}};
            if (!f.relationship.empty()) j["relationship"] = f.relationship;
            if (!f.column.empty()) j["column"] = f.column;
            if (f.kind == run::FieldKind::LIST) {
                j["item_fields"] = f.item_fields;
                j["braze_loop"] = LoopJson(f.braze);
                j["iterable_loop"] = LoopJson(f.iterable);
            }
            list.push_back(std::move(j));
        }
        json out = {{"activation", plan->key},
                    {"event_type", identify ? "identify" : "track"},
                    {"event", plan->event_name},
                    {"fields", list}};
        fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
        return 0;
    }
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
