#include "cli/test_event_command.hpp"

#include "cli/report.hpp"
#include "cli/state.hpp"
#include "deliver/test_event.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kith::cli {

using nlohmann::json;

int TestEvent(const TestEventArgs& args) {
    OpenedState o;
    if (int rc = OpenState(args.config, o); rc != 0) return rc;
    auto record = o.store->Transaction([&](store::Tx& tx) { return tx.GetActivation(o.workspace, args.activation); });
    if (!record) return Report(record.error());
    if (!*record) return Report(Error{ErrorCode::NOT_FOUND, "no activation with key " + args.activation, {}});
    auto event = o.store->Transaction(
        [&](store::Tx& tx) { return tx.LatestEventOfUser((*record)->id, args.user_id); });
    if (!event) return Report(event.error());
    if (!*event) {
        return Report(Error{ErrorCode::NOT_FOUND,
                            fmt::format("activation {} has no event for userId {} yet: run its audience first "
                                        "(kith run), then send a test event",
                                        args.activation, args.user_id),
                            {}});
    }
    deliver::DestinationContext ctx{.delivery = o.config.delivery};
    auto result = deliver::SendTestEvent(**record, (*event)->payload, ctx);
    if (!result) return Report(result.error());
    const deliver::Outcome& outcome = result->outcome;
    json exchanges = json::array();
    for (const auto& x : result->exchanges) exchanges.push_back({{"request", x.request}, {"response", x.response}});
    json out = {{"activation", args.activation},
                {"message_id", deliver::TestMessageId((*event)->message_id)},
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
