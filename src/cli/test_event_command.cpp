#include "cli/test_event_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"
#include "deliver/test_event.hpp"
#include "engine/engine.hpp"
#include "engine/warehouse_catalog.hpp"
#include "graph/builder.hpp"
#include "run/profile_event.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kith::cli {

using nlohmann::json;

namespace {

// What is sent: the event itself, and where it comes from.
struct TestPayload {
    std::string message_id;
    json payload;
    std::string source; // "outbox" or "warehouse"
};

// The activation's newest queued event of the user, else one built from the warehouse now (0, or the exit code once
// the problem is on stderr).
int FindEvent(const TestEventArgs& args, OpenedState& o, const store::ActivationRecord& activation, TestPayload& out) {
    auto queued = o.store->Read([&](store::Tx& tx) { return tx.LatestEventOfUser(activation.id, args.user_id); });
    if (!queued) return Report(queued.error());
    if (*queued) {
        out = {(*queued)->message_id, (*queued)->payload, "outbox"};
        return 0;
    }
    auto as_of = engine::ParseAsOf(args.as_of);
    if (!as_of) return Report(as_of.error());
    auto graph = graph::LoadGraph(o.config.graph);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto warehouse = OpenWarehouse(o.config);
    if (!warehouse) return Report(warehouse.error());
    engine::WarehouseCatalog catalog(**warehouse);
    run::Environment env{*o.store, **warehouse, *graph};
    auto built = run::BuildProfileEvent(env, catalog, activation,
                                        {args.user_id, *as_of, o.config.delivery.max_event_bytes});
    if (!built) return Report(built.error());
    out = {built->event.message_id, std::move(built->event.payload), "warehouse"};
    return 0;
}

} // namespace

int TestEvent(const TestEventArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    if (args.user_id.empty()) return Report(Error{ErrorCode::USAGE, "--user-id must name the profile's userId", {}});
    auto record = o.store->Transaction([&](store::Tx& tx) { return tx.GetActivation(o.workspace, args.activation); });
    if (!record) return Report(record.error());
    if (!*record) return Report(Error{ErrorCode::NOT_FOUND, "no activation with key " + args.activation, {}});
    TestPayload event;
    if (int rc = FindEvent(args, o, **record, event); rc != 0) return rc;
    deliver::DestinationContext ctx{.delivery = o.config.delivery};
    auto result = deliver::SendTestEvent(**record, event.payload, ctx);
    if (!result) return Report(result.error());
    const deliver::Outcome& outcome = result->outcome;
    json exchanges = json::array();
    for (const auto& x : result->exchanges) exchanges.push_back({{"request", x.request}, {"response", x.response}});
    json out = {{"activation", args.activation},
                {"message_id", deliver::TestMessageId(event.message_id)},
                {"source", event.source},
                {"result", deliver::OutcomeKindName(outcome.kind)},
                {"status", outcome.status},
                {"error", outcome.error},
                {"exchanges", exchanges}};
    if (args.json) {
        fmt::print("{}\n", out.dump(2, ' ', false, json::error_handler_t::replace));
    } else {
        for (const auto& x : result->exchanges) {
            fmt::print("request:\n{}\nresponse:\n{}\n", x.request.dump(2, ' ', false, json::error_handler_t::replace),
                       x.response.dump(2, ' ', false, json::error_handler_t::replace));
        }
        fmt::print("{}: {}\n", deliver::OutcomeKindName(outcome.kind),
                   outcome.kind == deliver::Outcome::DELIVERED ? fmt::format("status {}", outcome.status)
                                                               : outcome.Describe());
    }
    return outcome.kind == deliver::Outcome::DELIVERED ? 0 : 1;
}

} // namespace kith::cli
