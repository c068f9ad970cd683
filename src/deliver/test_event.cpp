#include "deliver/test_event.hpp"

namespace kith::deliver {

std::string TestMessageId(const std::string& message_id) {
    return "test-" + message_id;
}

Result<ProbeResult> SendTestEvent(const store::ActivationRecord& activation, nlohmann::json payload,
                                  const DestinationContext& ctx) {
    auto destination = MakeDestination(activation.spec.destination, activation.spec.action, activation.spec.mapping, ctx);
    if (!destination) return std::unexpected(destination.error());
    store::OutboxEvent event;
    event.activation_id = activation.id;
    std::string id = payload.is_object() && payload.contains("messageId") && payload["messageId"].is_string()
                         ? payload["messageId"].get<std::string>()
                         : std::string("event");
    event.message_id = TestMessageId(id);
    if (payload.is_object()) payload["messageId"] = event.message_id;
    event.event_name = payload.is_object() && payload.contains("event") && payload["event"].is_string()
                           ? payload["event"].get<std::string>()
                           : std::string();
    event.payload = std::move(payload);
    return (*destination)->Probe(event);
}

} // namespace kith::deliver
