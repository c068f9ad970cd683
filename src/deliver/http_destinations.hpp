// The HTTP destinations: webhook, Braze, Iterable and Segment. Each is an
// HttpDestination: events are mapped (the activation's mapping over the
// action's fields), grouped into batches of the destination's size, sent
// `concurrency` requests at a time through one HttpClient, and each response
// is turned into one outcome per event — per event where the destination
// reports a status per event in a batch (Braze `errors`, Iterable's invalid
// emails and user IDs, a webhook's 207 Multi-Status), for the whole batch
// otherwise (ClassifyResponse).
#pragma once

#include "deliver/destination.hpp"
#include "deliver/http.hpp"

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace kith::deliver {

class HttpDestination : public Destination {
public:
    struct Limits {
        size_t batch_size = 1;   //!< events per request
        size_t max_bytes = 0;    //!< a request's body stays under this (0: no limit); a larger event goes alone
        int concurrency = 4;     //!< requests in flight at once
    };

    HttpDestination(std::string type, Limits limits, Mapper mapper, HttpClient::Options http);

    std::string_view type() const override { return type_; }
    size_t MaxBatch() const override { return limits_.batch_size * static_cast<size_t>(limits_.concurrency); }
    std::vector<Outcome> Send(std::span<const store::OutboxEvent> events) override;
    ProbeResult Probe(const store::OutboxEvent& event) override;

    bool SendsStoredText() const override { return !mapper_; }

protected:
    //! One event going out: its mapped value (nullptr when it is sent as stored, unparsed: no mapping) and its JSON
    //! text.
    struct Item {
        const nlohmann::json* value = nullptr;
        const std::string* text = nullptr;
    };

    //! The item's value, without a copy; parsed into scratch when it was sent as stored.
    static const nlohmann::json& Value(const Item& item, nlohmann::json& scratch);

    //! Checks one mapped event (the destination's own rules, such as "an identifier is needed"); a message fails it.
    virtual std::optional<std::string> Check(const nlohmann::json& mapped) const;
    //! The request carrying a batch of mapped events.
    virtual HttpRequest Build(std::span<const Item> batch) const = 0;
    //! One outcome per event of the batch from the response; by default ClassifyResponse for each.
    virtual void Interpret(const HttpResponse& response, std::span<const Item> batch,
                           std::span<Outcome> out) const;

private:
    struct Sent {
        std::vector<HttpRequest> requests;
        std::vector<HttpResponse> responses;
    };
    std::vector<Outcome> SendMapped(std::span<const store::OutboxEvent> events, Sent* sent);

    std::string type_;
    Limits limits_;
    Mapper mapper_;
    HttpClient client_;
};

//! Builds the HTTP destination of `type` (webhook, braze, iterable, segment) from its settings; nullptr-free.
Result<std::unique_ptr<Destination>> MakeHttpDestination(const std::string& type, const nlohmann::json& settings,
                                                         const std::string& action, Mapper mapper,
                                                         const DestinationContext& ctx);

//! Seconds since the epoch of a datetime value: an ISO 8601 string (Z or ±hh:mm, optional fraction) or a number
//! (seconds, or milliseconds when above 10^11). nullopt when unusable.
std::optional<int64_t> EpochSeconds(const nlohmann::json& value);

//! Base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

} // namespace kith::deliver
