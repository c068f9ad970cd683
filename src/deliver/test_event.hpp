// "Send test event": one event sent now through an activation's destination,
// outside the outbox, returning what was sent and what the destination
// answered (secrets redacted), as the activation page and `kith test-event`
// show them.
//
//   auto result = deliver::SendTestEvent(activation, event_payload, ctx);
//   for (const auto& x : result->exchanges) ... x.request, x.response ...
#pragma once

#include "deliver/destination.hpp"

namespace kith::deliver {

//! The messageId a test event goes out with: a prefix keeps destinations that deduplicate by messageId (Iterable's
//! event id) from dropping the real event later.
std::string TestMessageId(const std::string& message_id);

//! Maps and sends `payload` (an event as the outbox holds it) through the activation's destination now, with
//! TestMessageId as its messageId; nothing is recorded in the outbox. Fails (INVALID) when the destination cannot
//! be built; a refused or failed request is a result, not an error.
Result<ProbeResult> SendTestEvent(const store::ActivationRecord& activation, nlohmann::json payload,
                                  const DestinationContext& ctx);

} // namespace kith::deliver
