// What a destination is to the drainer: something that takes a batch of
// outbox events and answers, for each event, whether it was delivered, should
// be tried again later (optionally not before a Retry-After) or failed for good.
// A destination never touches the store; the drainer (drain.hpp) marks the
// outcomes. An outcome DELIVERED is a promise: the event is durable at the
// destination (written and synced, or acknowledged by the remote side), so the
// drainer may mark it delivered.
//
//   DestinationContext ctx{.delivery = config.delivery};
//   auto dest = MakeDestination(activation.spec.destination, activation.spec.action, ctx);
//   if (!dest) { ...the type is unknown or not implemented yet: leave the events pending... }
//   std::vector<Outcome> outcomes = (*dest)->Send(events); // one per event, in order
//
// The file destination (file_destination.hpp) is the first implementation; the
// HTTP destinations (webhook, Braze, Iterable, Segment) are further ones: one
// Send call may issue several requests at once (libcurl multi) and map each
// response's status, per-event errors and Retry-After onto the outcomes.
#pragma once

#include "common/error.hpp"
#include "config/config.hpp"
#include "store/records.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kith::deliver {

//! What happened to one event sent to a destination.
struct Outcome {
    enum Kind {
        DELIVERED, //!< durable at the destination
        RETRY,     //!< failed, but a later attempt may succeed (connection error, timeout, 408, 429, 5xx, ...)
        FAILED,    //!< failed for good (the destination rejected it: most 4xx)
        FILTERED,  //!< not sent on purpose: the destination does not take this event (filtered at destination)
    };
    Kind kind = DELIVERED;
    int status =
        0; //!< the destination's status code (HTTP status), 0 when there is none (a file, a refused connection)
    std::string error;                     //!< why it failed or was filtered; empty when delivered
    std::optional<int64_t> retry_after_ms; //!< RETRY: not before this long from now (Retry-After)

    static Outcome Delivered(int status = 0) { return Outcome{DELIVERED, status, {}, std::nullopt}; }
    static Outcome Retry(std::string error, int status = 0, std::optional<int64_t> retry_after_ms = std::nullopt) {
        return Outcome{RETRY, status, std::move(error), retry_after_ms};
    }
    static Outcome Failed(std::string error, int status = 0) {
        return Outcome{FAILED, status, std::move(error), std::nullopt};
    }
    static Outcome Filtered(std::string reason) { return Outcome{FILTERED, 0, std::move(reason), std::nullopt}; }

    //! The error as stored on the event: "status 503: error", or the error alone when status is 0.
    std::string Describe() const;
};

//! "delivered", "retry", "failed", "filtered".
std::string_view OutcomeKindName(Outcome::Kind kind);

//! Turns an outbox event's payload into what the destination sends: the activation's mapping over the action's
//! fields (the payload itself for a free-form action without mapping). An error fails that event for good.
using Mapper = std::function<Result<nlohmann::json>(const nlohmann::json& payload)>;

//! One request of a "send test event" and the destination's answer, as shown to the user (secrets redacted).
struct Exchange {
    nlohmann::json request;  //!< {"method", "url", "headers", "body"} (a file: {"append_to", "line"})
    nlohmann::json response; //!< {"status", "headers", "body", "error", "elapsed_ms"}
};

//! What sending one event now did: its outcome and every request made for it.
struct ProbeResult {
    Outcome outcome;
    std::vector<Exchange> exchanges;
};

//! One activation's destination, built from its settings; used by one thread at a time.
class Destination {
public:
    virtual ~Destination() = default;

    //! The destination type ("file", "webhook", ...).
    virtual std::string_view type() const = 0;
    //! The most events one Send call takes.
    virtual size_t MaxBatch() const = 0;
    //! Whether Send takes events read unparsed (payload null, payload_text set): a free-form action without mapping
    //! sends the stored text as it is. Otherwise the drainer parses payloads first.
    virtual bool SendsStoredText() const { return false; }
    //! Sends events (at most MaxBatch()); returns exactly one outcome per event, in the same order. Never throws.
    virtual std::vector<Outcome> Send(std::span<const store::OutboxEvent> events) = 0;
    //! Sends one event now and returns what was sent and answered ("send test event"). Never throws.
    virtual ProbeResult Probe(const store::OutboxEvent& event) = 0;
};

//! What destinations are built with besides their own settings.
struct DestinationContext {
    //! request timeout, TLS, allow_hosts (internal addresses HTTP destinations may reach), file_root (the folder
    //! file destinations are confined to; their relative paths are taken from it) and the other [delivery] settings
    config::DeliverySettings delivery;
};

//! Builds the destination of an activation from its `destination` JSON ({"type": "file", "path": ...}), its
//! action and its mapping (null: the action's defaults). Fails (INVALID) when the type is unknown, when kith does not deliver to it yet (the message says so) or
//! when its settings are unusable; the caller leaves the events pending.
Result<std::unique_ptr<Destination>> MakeDestination(const nlohmann::json& destination, const std::string& action,
                                                     const nlohmann::json& mapping, const DestinationContext& ctx);

//! The mapper of an action: identity for a free-form action without mapping, else the mapping compiled.
Result<Mapper> MakeMapper(const std::string& type, const std::string& action, const nlohmann::json& mapping);

//! Whether MakeDestination can build the type (it is in the catalog and kith delivers to it).
bool IsImplemented(std::string_view type);

} // namespace kith::deliver
