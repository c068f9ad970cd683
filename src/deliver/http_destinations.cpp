#include "deliver/http_destinations.hpp"

#include "deliver/http_destination_types.hpp"

#include "common/text.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace kith::deliver {

using nlohmann::json;

namespace {

// A request as shown by "send test event": secrets redacted, the body as JSON when it is JSON.
json ShowRequest(const HttpRequest& r) {
    json headers = json::object();
    for (const auto& [k, v] : r.headers) {
        std::string lower = k;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool secret = lower == "authorization" || lower == "api-key" || lower.find("key") != std::string::npos ||
                      lower.find("token") != std::string::npos || lower.find("secret") != std::string::npos;
        headers[k] = secret ? std::string("(redacted)") : v;
    }
    json body = json::parse(r.body, nullptr, false);
    return {{"method", r.method}, {"url", r.url}, {"headers", headers},
            {"body", body.is_discarded() ? json(r.body) : body}};
}

json ShowResponse(const HttpResponse& r) {
    json headers = json::object();
    for (const auto& [k, v] : r.headers) headers[k] = v;
    json body = json::parse(r.body, nullptr, false);
    return {{"status", r.status},
            {"headers", headers},
            {"body", body.is_discarded() ? json(r.body) : body},
            {"error", r.error},
            {"elapsed_ms", r.elapsed_ms}};
}

} // namespace

using http_types::Dump;

// ---------------------------------------------------------------------------------------------------------------
// HttpDestination

HttpDestination::HttpDestination(std::string type, Limits limits, Mapper mapper, HttpClient::Options http)
    : type_(std::move(type)), limits_(limits), mapper_(std::move(mapper)), client_(std::move(http)) {
    limits_.batch_size = std::max<size_t>(1, limits_.batch_size);
    limits_.concurrency = std::max(1, limits_.concurrency);
}

const json& HttpDestination::Value(const Item& item, json& scratch) {
    if (item.value) return *item.value;
    scratch = item.text ? json::parse(*item.text, nullptr, false) : json();
    return scratch;
}

std::string HttpDestination::JoinTexts(std::span<const Item> batch, std::string_view open, std::string_view close) {
    size_t size = open.size() + close.size();
    for (const Item& item : batch) size += item.text->size() + 1;
    std::string body;
    body.reserve(size);
    body += open;
    bool first = true;
    for (const Item& item : batch) {
        std::string_view text = *item.text;
        if (item.value && item.value->is_array()) {
            text = text.substr(1, text.size() - 2); // the elements of [a,b]
            if (text.empty()) continue;
        }
        if (!first) body += ',';
        body += text;
        first = false;
    }
    body += close;
    return body;
}

std::optional<std::string> HttpDestination::Prepare(json&) const {
    return std::nullopt;
}

size_t HttpDestination::Weight(const json&) const {
    return 1;
}

void HttpDestination::Interpret(const HttpResponse& response, std::span<const Item>,
                                std::span<Outcome> out) const {
    Outcome o = ClassifyResponse(response);
    for (auto& x : out) x = o;
}

std::vector<Outcome> HttpDestination::Send(std::span<const store::OutboxEvent> events) {
    return SendMapped(events, nullptr);
}

std::vector<Outcome> HttpDestination::SendMapped(std::span<const store::OutboxEvent> events, Sent* sent) {
    std::vector<Outcome> outcomes(events.size(), Outcome::Delivered());
    std::vector<json> mapped(events.size());
    std::vector<std::string> texts(events.size());
    std::vector<Item> items(events.size());
    std::vector<size_t> ok; // events that go out, in order
    ok.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        const store::OutboxEvent& e = events[i];
        if (!mapper_ && e.payload.is_null() && !e.payload_text.empty()) {
            items[i] = Item{nullptr, &e.payload_text}; // sent as stored: no parse, no serialization
            ok.push_back(i);
            continue;
        }
        if (mapper_) {
            auto m = mapper_(e.payload);
            if (!m) {
                outcomes[i] = Outcome::Failed("mapping: " + m.error().message);
                continue;
            }
            mapped[i] = std::move(*m);
        } else {
            mapped[i] = e.payload;
        }
        if (auto problem = Prepare(mapped[i])) {
            outcomes[i] = Outcome::Failed(*problem);
            continue;
        }
        texts[i] = Dump(mapped[i]);
        items[i] = Item{&mapped[i], &texts[i], Weight(mapped[i])};
        ok.push_back(i);
    }

    // Batches of up to batch_size objects and max_bytes of body (a single larger event goes alone).
    std::vector<std::vector<size_t>> batches;
    size_t bytes = 0, weight = 0;
    for (size_t i : ok) {
        size_t size = items[i].text->size() + 1;
        bool full = !batches.empty() && (weight + items[i].weight > limits_.batch_size ||
                                         (limits_.max_bytes && bytes + size > limits_.max_bytes));
        if (batches.empty() || full) {
            batches.emplace_back();
            bytes = 0;
            weight = 0;
        }
        batches.back().push_back(i);
        bytes += size;
        weight += items[i].weight;
    }
    if (batches.empty()) return outcomes;

    std::vector<std::vector<Item>> members(batches.size());
    std::vector<HttpRequest> requests;
    requests.reserve(batches.size());
    for (size_t b = 0; b < batches.size(); ++b) {
        for (size_t i : batches[b]) members[b].push_back(items[i]);
        requests.push_back(Build(members[b]));
    }
    std::vector<HttpResponse> responses = client_.Perform(requests, limits_.concurrency);
    for (size_t b = 0; b < batches.size(); ++b) {
        std::vector<Outcome> out(batches[b].size(), Outcome::Delivered());
        Interpret(responses[b], members[b], out);
        for (size_t k = 0; k < batches[b].size(); ++k) outcomes[batches[b][k]] = std::move(out[k]);
    }
    if (sent) {
        sent->requests = std::move(requests);
        sent->responses = std::move(responses);
    }
    return outcomes;
}

ProbeResult HttpDestination::Probe(const store::OutboxEvent& event) {
    ProbeResult result;
    Sent sent;
    std::vector<Outcome> outcomes = SendMapped(std::span(&event, 1), &sent);
    result.outcome = outcomes.front();
    for (size_t i = 0; i < sent.requests.size(); ++i) {
        result.exchanges.push_back(Exchange{ShowRequest(sent.requests[i]), ShowResponse(sent.responses[i])});
    }
    return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Webhook: any method, URL and headers; the body is the mapped event, or a JSON array of them when batch_size > 1.
// A 207 Multi-Status answer may give one status per event, in order: [{"status": 200}, {"status": 429, "error":
// "..."}] or {"results": [...]}; without a usable list, a 207 is retried as a whole (at least once).

namespace {

class Webhook final : public HttpDestination {
public:
    Webhook(std::string url, std::string method, std::vector<std::pair<std::string, std::string>> headers,
            Limits limits, Mapper mapper, HttpClient::Options http)
        : HttpDestination("webhook", limits, std::move(mapper), std::move(http)), url_(std::move(url)),
          method_(std::move(method)), headers_(std::move(headers)), batch_(limits.batch_size > 1) {}

protected:
    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.method = method_;
        r.url = url_;
        r.headers = headers_;
        r.body = batch_ ? JoinTexts(batch, "[", "]") : *batch.front().text;
        return r;
    }

    void Interpret(const HttpResponse& response, std::span<const Item> batch,
                   std::span<Outcome> out) const override {
        if (response.status != 207) return HttpDestination::Interpret(response, batch, out);
        json body = json::parse(response.body, nullptr, false);
        const json* list = nullptr;
        if (body.is_array()) list = &body;
        if (body.is_object() && body.contains("results") && body["results"].is_array()) list = &body["results"];
        if (!list || list->size() != out.size()) {
            Outcome o = Outcome::Retry(
                fmt::format("a 207 answer without one status per event ({} events): {}", out.size(),
                            BodyExcerpt(response.body)),
                207);
            for (auto& x : out) x = o;
            return;
        }
        for (size_t i = 0; i < out.size(); ++i) {
            const json& item = (*list)[i];
            int status = 0;
            std::string error;
            if (item.is_object()) {
                if (item.contains("status") && item["status"].is_number_integer()) status = item["status"].get<int>();
                for (const char* k : {"error", "message"}) {
                    if (item.contains(k) && item[k].is_string()) error = item[k].get<std::string>();
                }
            } else if (item.is_number_integer()) {
                status = item.get<int>();
            }
            HttpResponse one;
            one.status = status;
            one.body = error;
            one.retry_after_ms = response.retry_after_ms;
            if (status == 0) {
                out[i] = Outcome::Retry("a 207 answer without a status for this event", 207);
            } else {
                out[i] = ClassifyResponse(one);
            }
        }
    }

private:
    std::string url_;
    std::string method_;
    std::vector<std::pair<std::string, std::string>> headers_;
    bool batch_;
};

Result<std::unique_ptr<Destination>> MakeWebhook(const json& s, http_types::Parts parts) {
    std::string url = http_types::StringSetting(s, "url");
    if (auto ok = http_types::NeedUrl("webhook", "url", url); !ok) return std::unexpected(ok.error());
    std::vector<std::pair<std::string, std::string>> headers;
    if (s.contains("headers") && s["headers"].is_object()) {
        for (const auto& [k, v] : s["headers"].items()) {
            if (v.is_string()) headers.emplace_back(k, v.get<std::string>());
        }
    }
    parts.limits.batch_size = http_types::BatchSize(s, parts, 1, 10000);
    return std::make_unique<Webhook>(url, http_types::StringSetting(s, "method", "POST"), std::move(headers),
                                     parts.limits, std::move(parts.mapper), std::move(parts.http));
}

} // namespace

// ---------------------------------------------------------------------------------------------------------------
// What the builders share.

namespace http_types {

std::string StringSetting(const json& s, const char* key, std::string fallback) {
    if (s.contains(key) && s[key].is_string()) return s[key].get<std::string>();
    return fallback;
}

int64_t IntSetting(const json& s, const char* key, int64_t fallback) {
    if (s.contains(key) && s[key].is_number_integer()) return s[key].get<int64_t>();
    return fallback;
}

size_t BatchSize(const json& s, const Parts& parts, int64_t fallback, int64_t max) {
    auto size = static_cast<size_t>(std::clamp<int64_t>(IntSetting(s, "batch_size", fallback), 1, max));
    if (parts.mapping_batch_limit) size = std::min(size, parts.mapping_batch_limit);
    return size;
}

Status NeedUrl(const std::string& type, const char* key, const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return Fail(ErrorCode::INVALID, fmt::format("a {} destination needs \"{}\", an http:// or https:// URL", type, key));
    }
    return {};
}

Result<std::string> NeedString(const std::string& type, const json& s, const char* key) {
    std::string v = StringSetting(s, key);
    if (v.empty()) return Fail(ErrorCode::INVALID, fmt::format("a {} destination needs \"{}\"", type, key));
    return v;
}

std::string TrimSlash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::string Dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace http_types

namespace {

// The largest batch the mapping allows: Segment's `enable_batching` and `batch_size` fields, when constants.
size_t MappingBatchLimit(const json& mapping) {
    if (!mapping.is_object()) return 0;
    if (auto e = mapping.find("enable_batching"); e != mapping.end() && e->is_boolean() && !e->get<bool>()) return 1;
    if (auto b = mapping.find("batch_size"); b != mapping.end() && b->is_number() && b->get<double>() >= 1) {
        return static_cast<size_t>(std::min(b->get<double>(), 1e6));
    }
    return 0;
}

} // namespace

Result<std::unique_ptr<Destination>> MakeHttpDestination(const std::string& type, const json& s,
                                                         const std::string& action, const json& mapping,
                                                         Mapper mapper, const DestinationContext& ctx) {
    http_types::Parts parts;
    parts.http.timeout_ms = std::max<int64_t>(1, ctx.delivery.timeout_s) * 1000;
    if (ctx.delivery.timeout_ms > 0) parts.http.timeout_ms = ctx.delivery.timeout_ms;
    parts.http.verify_tls = ctx.delivery.verify_tls;
    parts.http.allow_hosts = ctx.delivery.allow_hosts;
    parts.limits.concurrency =
        static_cast<int>(std::clamp<int64_t>(http_types::IntSetting(s, "concurrency", 4), 1, 64));
    parts.mapper = std::move(mapper);
    // Segment's batching fields belong to the actions with fields; a free-form mapping's keys are the body's own.
    if (type == "braze" || type == "iterable") parts.mapping_batch_limit = MappingBatchLimit(mapping);
    parts.mapping = mapping;
    if (type == "webhook") return MakeWebhook(s, std::move(parts));
    if (type == "braze") return http_types::MakeBraze(s, action, std::move(parts));
    if (type == "iterable") return http_types::MakeIterable(s, action, std::move(parts));
    if (type == "segment") return http_types::MakeSegment(s, action, std::move(parts));
    return Fail(ErrorCode::INVALID, fmt::format("{} is not an HTTP destination type", text::Quote(type)));
}

std::string Base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(std::max(n, 0)));
    return out;
}

} // namespace kith::deliver
