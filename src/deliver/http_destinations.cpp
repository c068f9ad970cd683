#include "deliver/http_destinations.hpp"

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

std::string Dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string TrimSlash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

} // namespace

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

std::optional<std::string> HttpDestination::Check(const json&) const {
    return std::nullopt;
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
        if (auto problem = Check(mapped[i])) {
            outcomes[i] = Outcome::Failed(*problem);
            continue;
        }
        texts[i] = Dump(mapped[i]);
        items[i] = Item{&mapped[i], &texts[i]};
        ok.push_back(i);
    }

    // Batches of up to batch_size events and max_bytes of body (a single larger event goes alone).
    std::vector<std::vector<size_t>> batches;
    size_t bytes = 0;
    for (size_t i : ok) {
        size_t size = items[i].text->size() + 1;
        bool full = !batches.empty() && (batches.back().size() >= limits_.batch_size ||
                                         (limits_.max_bytes && bytes + size > limits_.max_bytes));
        if (batches.empty() || full) {
            batches.emplace_back();
            bytes = 0;
        }
        batches.back().push_back(i);
        bytes += size;
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
        if (batch_) {
            size_t size = 2;
            for (const Item& item : batch) size += item.text->size() + 1;
            std::string body;
            body.reserve(size);
            body += '[';
            for (size_t i = 0; i < batch.size(); ++i) {
                if (i) body += ',';
                body += *batch[i].text;
            }
            body += ']';
            r.body = std::move(body);
        } else {
            r.body = *batch.front().text;
        }
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

// ---------------------------------------------------------------------------------------------------------------
// Braze: POST {endpoint}/users/track, "Authorization: Bearer <api_key>", {"events": [...]} (Track Event) or
// {"attributes": [...]} (Update User Profile), up to 75 objects a request. A 201 may list non-fatal errors, each
// with the index of the object it concerns in "input_array": those objects failed (they are invalid); the others
// were processed. A 429 comes with X-RateLimit-Reset (epoch seconds), used when there is no Retry-After.

class Braze final : public HttpDestination {
public:
    Braze(std::string endpoint, std::string api_key, bool attributes, Limits limits, Mapper mapper,
          HttpClient::Options http)
        : HttpDestination("braze", limits, std::move(mapper), std::move(http)), url_(TrimSlash(endpoint) + "/users/track"),
          api_key_(std::move(api_key)), array_(attributes ? "attributes" : "events"), attributes_(attributes) {}

protected:
    std::optional<std::string> Check(const json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        for (const char* id : {"external_id", "user_alias", "braze_id", "email"}) {
            if (m.contains(id) && !m[id].is_null()) return std::nullopt;
        }
        return std::string("Braze needs one of external_id, user_alias, braze_id or email, and the event has none");
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        json items = json::array();
        json scratch;
        for (const Item& m : batch) items.push_back(ToItem(Value(m, scratch)));
        HttpRequest r;
        r.url = url_;
        r.headers = {{"Authorization", "Bearer " + api_key_}};
        r.body = Dump(json{{array_, std::move(items)}});
        return r;
    }

    void Interpret(const HttpResponse& response, std::span<const Item> batch,
                   std::span<Outcome> out) const override {
        HttpResponse r = response;
        if (r.status == 429 && !r.retry_after_ms) {
            if (const std::string* reset = r.Header("x-ratelimit-reset")) {
                int64_t at = 0; // epoch seconds
                auto [end, ec] = std::from_chars(reset->data(), reset->data() + reset->size(), at);
                if (ec == std::errc() && end == reset->data() + reset->size() && at > 0 && at < 1'000'000'000'000) {
                    r.retry_after_ms = std::max<int64_t>(0, at * 1000 - WallClockMs());
                }
            }
        }
        HttpDestination::Interpret(r, batch, out);
        if (r.status < 200 || r.status > 299) return;
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object() || !body.contains("errors") || !body["errors"].is_array()) return;
        for (const json& e : body["errors"]) {
            if (!e.is_object() || !e.contains("index") || !e["index"].is_number_integer()) continue;
            if (e.contains("input_array") && e["input_array"] != array_) continue;
            int64_t index = e["index"].get<int64_t>();
            if (index < 0 || index >= static_cast<int64_t>(out.size())) continue;
            std::string type = e.contains("type") && e["type"].is_string() ? e["type"].get<std::string>()
                                                                           : BodyExcerpt(e.dump());
            out[static_cast<size_t>(index)] = Outcome::Failed("Braze: " + type, r.status);
        }
    }

private:
    // Track Event: the mapped fields as they are. Update User Profile: the identifiers, then each custom attribute
    // as a key of the attributes object.
    json ToItem(const json& m) const {
        if (!attributes_) return m;
        json item = json::object();
        for (const auto& [k, v] : m.items()) {
            if (k != "custom_attributes") item[k] = v;
        }
        if (m.contains("custom_attributes") && m["custom_attributes"].is_object()) {
            for (const auto& [k, v] : m["custom_attributes"].items()) {
                if (!item.contains(k)) item[k] = v;
            }
        }
        return item;
    }

    std::string url_;
    std::string api_key_;
    std::string array_;
    bool attributes_;
};

// ---------------------------------------------------------------------------------------------------------------
// Iterable: "Api-Key: <api_key>". Custom Event: POST /api/events/track (one event) or /api/events/trackBulk
// {"events": [...]}; Upsert User: POST /api/users/update (one user) or /api/users/bulkUpdate {"users": [...]}.
// createdAt goes as seconds since the epoch. A bulk answer counts failures and lists the invalid emails and user
// IDs (and disallowed event names): the events carrying them failed; the others were accepted.

class Iterable final : public HttpDestination {
public:
    Iterable(std::string endpoint, std::string api_key, bool users, Limits limits, Mapper mapper,
             HttpClient::Options http)
        : HttpDestination("iterable", limits, std::move(mapper), std::move(http)), base_(TrimSlash(endpoint)),
          api_key_(std::move(api_key)), users_(users), bulk_(limits.batch_size > 1) {}

protected:
    std::optional<std::string> Check(const json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        bool has_email = m.contains("email") && m["email"].is_string() && !m["email"].get<std::string>().empty();
        bool has_user = m.contains("userId") && m["userId"].is_string() && !m["userId"].get<std::string>().empty();
        if (!has_email && !has_user) return std::string("Iterable needs an email or a userId, and the event has neither");
        if (m.contains("createdAt") && !EpochSeconds(m["createdAt"])) {
            return "createdAt is not a datetime: " + BodyExcerpt(m["createdAt"].dump());
        }
        return std::nullopt;
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.headers = {{"Api-Key", api_key_}};
        if (!bulk_) {
            r.url = base_ + (users_ ? "/api/users/update" : "/api/events/track");
            json scratch;
            r.body = Dump(ToItem(Value(batch.front(), scratch)));
            return r;
        }
        json items = json::array();
        json scratch;
        for (const Item& m : batch) items.push_back(ToItem(Value(m, scratch)));
        r.url = base_ + (users_ ? "/api/users/bulkUpdate" : "/api/events/trackBulk");
        r.body = Dump(json{{users_ ? "users" : "events", std::move(items)}});
        return r;
    }

    void Interpret(const HttpResponse& response, std::span<const Item> batch,
                   std::span<Outcome> out) const override {
        HttpDestination::Interpret(response, batch, out);
        if (!bulk_ || response.status < 200 || response.status > 299) return;
        json body = json::parse(response.body, nullptr, false);
        if (!body.is_object()) return;
        auto listed = [&](const char* key, const json& value) {
            if (!body.contains(key) || !body[key].is_array() || !value.is_string()) return false;
            for (const auto& v : body[key]) {
                if (v == value) return true;
            }
            return false;
        };
        for (size_t i = 0; i < batch.size(); ++i) {
            json scratch;
            const json& m = Value(batch[i], scratch);
            auto field = [&](const char* k) { return m.contains(k) ? m[k] : json(); };
            if (listed("invalidEmails", field("email"))) {
                out[i] = Outcome::Failed("Iterable: invalid email " + field("email").get<std::string>(), response.status);
            } else if (listed("invalidUserIds", field("userId"))) {
                out[i] =
                    Outcome::Failed("Iterable: invalid userId " + field("userId").get<std::string>(), response.status);
            } else if (!users_ && listed("disallowedEventNames", field("eventName"))) {
                out[i] = Outcome::Failed("Iterable: disallowed event name " + field("eventName").get<std::string>(),
                                         response.status);
            }
        }
    }

private:
    json ToItem(const json& m) const {
        json item = m;
        if (item.contains("createdAt")) {
            if (auto s = EpochSeconds(item["createdAt"])) item["createdAt"] = *s;
        }
        return item;
    }

    std::string base_;
    std::string api_key_;
    bool users_;
    bool bulk_;
};

// ---------------------------------------------------------------------------------------------------------------
// Segment HTTP: POST {endpoint}/v1/batch, the write key as basic auth's user name, {"batch": [...], "sentAt": ...},
// up to 500 KB a request (Segment's limit; 32 KB an event is enforced at source).

class Segment final : public HttpDestination {
public:
    Segment(std::string endpoint, const std::string& write_key, Limits limits, Mapper mapper,
            HttpClient::Options http)
        : HttpDestination("segment", limits, std::move(mapper), std::move(http)),
          url_(TrimSlash(endpoint) + "/v1/batch"), auth_("Basic " + Base64(write_key + ":")) {}

protected:
    std::optional<std::string> Check(const json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        return std::nullopt;
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        std::string body = "{\"batch\":[";
        for (size_t i = 0; i < batch.size(); ++i) {
            if (i) body += ',';
            body += *batch[i].text;
        }
        body += "],\"sentAt\":\"" + text::IsoMillis(WallClockMs()) + "\"}";
        HttpRequest r;
        r.url = url_;
        r.headers = {{"Authorization", auth_}};
        r.body = std::move(body);
        return r;
    }

private:
    std::string url_;
    std::string auth_;
};

std::string StringSetting(const json& s, const char* key, std::string fallback = {}) {
    if (s.contains(key) && s[key].is_string()) return s[key].get<std::string>();
    return fallback;
}

int64_t IntSetting(const json& s, const char* key, int64_t fallback) {
    if (s.contains(key) && s[key].is_number_integer()) return s[key].get<int64_t>();
    return fallback;
}

Status NeedUrl(const std::string& type, const char* key, const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return Fail(ErrorCode::INVALID, fmt::format("a {} destination needs \"{}\", an http:// or https:// URL", type, key));
    }
    return {};
}

} // namespace

Result<std::unique_ptr<Destination>> MakeHttpDestination(const std::string& type, const json& s,
                                                         const std::string& action, Mapper mapper,
                                                         const DestinationContext& ctx) {
    HttpClient::Options http;
    http.timeout_ms = std::max<int64_t>(1, ctx.delivery.timeout_s) * 1000;
    if (ctx.delivery.timeout_ms > 0) http.timeout_ms = ctx.delivery.timeout_ms;
    http.verify_tls = ctx.delivery.verify_tls;
    http.allow_hosts = ctx.delivery.allow_hosts;
    HttpDestination::Limits limits;
    limits.concurrency = static_cast<int>(std::clamp<int64_t>(IntSetting(s, "concurrency", 4), 1, 64));
    auto need_key = [&](const char* key) -> Result<std::string> {
        std::string v = StringSetting(s, key);
        if (v.empty()) return Fail(ErrorCode::INVALID, fmt::format("a {} destination needs \"{}\"", type, key));
        return v;
    };

    if (type == "webhook") {
        std::string url = StringSetting(s, "url");
        if (auto ok = NeedUrl(type, "url", url); !ok) return std::unexpected(ok.error());
        std::vector<std::pair<std::string, std::string>> headers;
        if (s.contains("headers") && s["headers"].is_object()) {
            for (const auto& [k, v] : s["headers"].items()) {
                if (v.is_string()) headers.emplace_back(k, v.get<std::string>());
            }
        }
        limits.batch_size = static_cast<size_t>(std::clamp<int64_t>(IntSetting(s, "batch_size", 1), 1, 10000));
        return std::make_unique<Webhook>(url, StringSetting(s, "method", "POST"), std::move(headers), limits,
                                         std::move(mapper), http);
    }
    if (type == "braze") {
        std::string endpoint = StringSetting(s, "endpoint");
        if (auto ok = NeedUrl(type, "endpoint", endpoint); !ok) return std::unexpected(ok.error());
        auto key = need_key("api_key");
        if (!key) return std::unexpected(key.error());
        limits.batch_size = static_cast<size_t>(std::clamp<int64_t>(IntSetting(s, "batch_size", 75), 1, 75));
        return std::make_unique<Braze>(endpoint, *key, action == "update_user_profile", limits, std::move(mapper),
                                       http);
    }
    if (type == "iterable") {
        std::string endpoint = StringSetting(s, "endpoint", "https://api.iterable.com");
        if (auto ok = NeedUrl(type, "endpoint", endpoint); !ok) return std::unexpected(ok.error());
        auto key = need_key("api_key");
        if (!key) return std::unexpected(key.error());
        limits.batch_size = static_cast<size_t>(std::clamp<int64_t>(IntSetting(s, "batch_size", 1000), 1, 1000));
        return std::make_unique<Iterable>(endpoint, *key, action == "upsert_user", limits, std::move(mapper), http);
    }
    if (type == "segment") {
        std::string endpoint = StringSetting(s, "endpoint", "https://api.segment.io");
        if (auto ok = NeedUrl(type, "endpoint", endpoint); !ok) return std::unexpected(ok.error());
        auto key = need_key("write_key");
        if (!key) return std::unexpected(key.error());
        limits.batch_size = static_cast<size_t>(std::clamp<int64_t>(IntSetting(s, "batch_size", 100), 1, 500));
        limits.max_bytes = 500 * 1024 - 64; // room for {"batch":[...],"sentAt":"..."}
        return std::make_unique<Segment>(endpoint, *key, limits, std::move(mapper), http);
    }
    return Fail(ErrorCode::INVALID, fmt::format("{} is not an HTTP destination type", text::Quote(type)));
}

std::optional<int64_t> EpochSeconds(const json& v) {
    if (v.is_number_integer() || v.is_number_float()) {
        double d = v.get<double>();
        if (!(d > -1e13 && d < 1e16)) return std::nullopt;
        if (d > 1e11) d /= 1000; // milliseconds
        return static_cast<int64_t>(d);
    }
    if (!v.is_string()) return std::nullopt;
    const std::string& s = v.get_ref<const std::string&>();
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, used = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 || used != 19) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
    std::string_view rest(s.c_str() + used);
    if (!rest.empty() && rest.front() == '.') {
        rest.remove_prefix(1);
        size_t digits = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
        if (digits == 0) return std::nullopt;
        rest.remove_prefix(digits);
    }
    int64_t offset = 0;
    if (rest == "Z" || rest == "z") {
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
        int oh = 0, om = 0;
        if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) return std::nullopt;
        offset = (rest[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    return static_cast<int64_t>(timegm(&tm)) - offset;
}

std::string Base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(std::max(n, 0)));
    return out;
}

} // namespace kith::deliver
