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
    //! One event going out: its prepared value (nullptr when it is sent as stored, unparsed: no mapping), its JSON
    //! text, and how many objects of a request body it makes.
    struct Item {
        const nlohmann::json* value = nullptr;
        const std::string* text = nullptr;
        size_t weight = 1;
    };

    //! The item's value, without a copy; parsed into scratch when it was sent as stored.
    static const nlohmann::json& Value(const Item& item, nlohmann::json& scratch);
    //! open, the items' texts separated by commas, close: a JSON array of the batch without serializing it again.
    //! An item whose value is an array gives its elements (`[a,b]` adds `a,b`).
    static std::string JoinTexts(std::span<const Item> batch, std::string_view open, std::string_view close);

    //! Checks one mapped event against the destination's own rules ("an identifier is needed") and turns it into
    //! what a request carries (dates in the destination's format, fields it does not send removed); a message fails
    //! the event. By default the mapped event goes as it is.
    virtual std::optional<std::string> Prepare(nlohmann::json& mapped) const;
    //! How many objects of a request body the prepared event makes (1; Braze purchases: one per product). A batch
    //! holds at most batch_size of them.
    virtual size_t Weight(const nlohmann::json& prepared) const;
    //! The request carrying a batch of prepared events.
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

//! Builds the HTTP destination of `type` (webhook, braze, iterable, segment) from its settings, its action and the
//! action's mapping (whose constant `enable_batching` and `batch_size` limit Braze's and Iterable's batches, as in
//! Segment); nullptr-free.
Result<std::unique_ptr<Destination>> MakeHttpDestination(const std::string& type, const nlohmann::json& settings,
                                                         const std::string& action, const nlohmann::json& mapping,
                                                         Mapper mapper, const DestinationContext& ctx);

//! Base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

} // namespace kith::deliver
