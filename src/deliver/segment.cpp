// Segment HTTP: POST {region's API or base_url}/v1/batch, the write key as basic auth's user name,
// {"batch": [...], "sentAt": ...}, up to 500 KB a request (Segment's limit; 32 KB an event is enforced at source).
// `send` sends each event as it is (or its mapped object); sendTrack and sendIdentify build a track or identify
// call from their fields, as Segment's actions do.

#include "deliver/http_destination_types.hpp"

#include "common/text.hpp"

namespace kith::deliver::http_types {

using nlohmann::json;

namespace {

enum class Call { AS_MAPPED, TRACK, IDENTIFY };

// Moves field `from` of m to `to` of out, when m has it.
void Move(json& m, const char* from, json& out, const char* to) {
    if (auto it = m.find(from); it != m.end()) out[to] = std::move(*it);
}

// Segment's consent: {"categoryPreferences": {category: boolean}} is kept; anything else is sent as {}.
json Consent(const json& m) {
    auto it = m.find("consent");
    if (it == m.end() || !it->is_object()) return json::object();
    auto prefs = it->find("categoryPreferences");
    if (prefs == it->end() || !prefs->is_object()) return json::object();
    for (const auto& [_, v] : prefs->items()) {
        if (!v.is_boolean()) return json::object();
    }
    return *it;
}

// A track or identify call from the fields of sendTrack or sendIdentify (Segment's mapping of field to key).
json CallOf(Call call, json& m) {
    json out = json::object();
    Move(m, "user_id", out, "userId");
    Move(m, "anonymous_id", out, "anonymousId");
    Move(m, "timestamp", out, "timestamp");
    Move(m, "message_id", out, "messageId");
    json context = {{"consent", Consent(m)}};
    static constexpr std::pair<const char*, const char*> kContext[] = {
        {"application", "app"}, {"campaign_parameters", "campaign"}, {"device", "device"}, {"ip_address", "ip"},
        {"locale", "locale"}, {"location", "location"}, {"network", "network"}, {"operating_system", "os"},
        {"page", "page"}, {"screen", "screen"}, {"user_agent", "userAgent"}, {"timezone", "timezone"},
        {"group_id", "groupId"}};
    for (const auto& [field, key] : kContext) Move(m, field, context, key);
    json traits = m.contains("traits") && m["traits"].is_object() ? std::move(m["traits"]) : json::object();
    if (call == Call::TRACK) {
        Move(m, "event_name", out, "event");
        context["traits"] = std::move(traits);
        out["properties"] = m.contains("properties") && m["properties"].is_object() ? std::move(m["properties"])
                                                                                    : json::object();
    } else {
        Move(m, "address", traits, "address");
        out["traits"] = std::move(traits);
    }
    out["context"] = std::move(context);
    out["type"] = call == Call::TRACK ? "track" : "identify";
    return out;
}

class Segment final : public HttpDestination {
public:
    Segment(std::string endpoint, const std::string& write_key, Call call, Parts parts)
        : HttpDestination("segment", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          url_(TrimSlash(endpoint) + "/v1/batch"), auth_("Basic " + Base64(write_key + ":")), call_(call) {}

protected:
    std::optional<std::string> Prepare(json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        if (call_ == Call::AS_MAPPED) return std::nullopt;
        if (!m.contains("user_id") && !m.contains("anonymous_id")) {
            return std::string("Segment needs a user_id or an anonymous_id, and the event has neither");
        }
        m = CallOf(call_, m);
        return std::nullopt;
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.url = url_;
        r.headers = {{"Authorization", auth_}};
        r.body = JoinTexts(batch, "{\"batch\":[", "],\"sentAt\":\"" + text::IsoMillis(WallClockMs()) + "\"}");
        return r;
    }

private:
    std::string url_;
    std::string auth_;
    Call call_;
};

} // namespace

std::string SegmentBase(const json& s) {
    std::string region = StringSetting(s, "region", "us-west-2");
    return StringSetting(s, "base_url",
                         region == "eu-west-1" ? "https://events.eu1.segmentapis.com" : "https://api.segment.io");
}

Result<std::unique_ptr<Destination>> MakeSegment(const json& s, const std::string& action, Parts parts) {
    std::string endpoint = SegmentBase(s);
    if (auto ok = NeedUrl("segment", "base_url", endpoint); !ok) return std::unexpected(ok.error());
    auto key = NeedString("segment", s, "source_write_key");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 100, 500);
    parts.limits.max_bytes = 500 * 1024 - 64; // room for {"batch":[...],"sentAt":"..."}
    Call call = action == "sendTrack" ? Call::TRACK : action == "sendIdentify" ? Call::IDENTIFY : Call::AS_MAPPED;
    return std::make_unique<Segment>(endpoint, *key, call, std::move(parts));
}

} // namespace kith::deliver::http_types
