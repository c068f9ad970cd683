// Braze: POST {endpoint or base_url}/users/track, "Authorization: Bearer <api_key>", {"events": [...]} (Track Event) or
// {"attributes": [...]} (Update User Profile), up to 75 objects a request. A 201 may list non-fatal errors, each
// with the index of the object it concerns in "input_array": those objects failed (they are invalid); the others
// were processed. A 429 comes with X-RateLimit-Reset (epoch seconds), used when there is no Retry-After.

#include "deliver/datetime.hpp"
#include "deliver/http_destination_types.hpp"

#include "common/text.hpp"

#include <charconv>
#include <fmt/format.h>

namespace kith::deliver::http_types {

using nlohmann::json;

namespace {

bool NonEmptyString(const json& m, const char* key) {
    auto it = m.find(key);
    return it != m.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// A user alias counts only with both of its parts (Braze refuses one without); it is sent with those two alone.
void KeepWholeAlias(json& m) {
    auto it = m.find("user_alias");
    if (it == m.end()) return;
    if (!NonEmptyString(*it, "alias_name") || !NonEmptyString(*it, "alias_label")) {
        m.erase(it);
        return;
    }
    *it = json{{"alias_name", (*it)["alias_name"]}, {"alias_label", (*it)["alias_label"]}};
}

// Replaces a datetime field by Braze's ISO 8601 text; a message when it is not a date.
std::optional<std::string> IsoField(json& m, const char* key) {
    auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    auto ms = DatetimeMillis(*it);
    if (!ms) return fmt::format("{} is not a date: {}", key, BodyExcerpt(it->dump()));
    *it = text::IsoMillis(*ms);
    return std::nullopt;
}

class Braze final : public HttpDestination {
public:
    Braze(std::string endpoint, std::string api_key, bool attributes, Parts parts)
        : HttpDestination("braze", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          url_(TrimSlash(endpoint) + "/users/track"), api_key_(std::move(api_key)),
          array_(attributes ? "attributes" : "events"), attributes_(attributes) {}

protected:
    std::optional<std::string> Prepare(json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
        KeepWholeAlias(m);
        if (!NonEmptyString(m, "external_id") && !m.contains("user_alias") && !NonEmptyString(m, "braze_id") &&
            !NonEmptyString(m, "email")) {
            return std::string("Braze needs one of external_id, user_alias (with alias_name and alias_label), "
                               "braze_id or email, and the event has none");
        }
        if (attributes_) {
            FlattenAttributes(m);
            return std::nullopt;
        }
        return IsoField(m, "time");
    }

    HttpRequest Build(std::span<const Item> batch) const override {
        HttpRequest r;
        r.url = url_;
        r.headers = {{"Authorization", "Bearer " + api_key_}};
        r.body = JoinTexts(batch, "{\"" + array_ + "\":[", "]}");
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
    // Update User Profile: each custom attribute becomes a key of the attributes object, beside the identifiers.
    static void FlattenAttributes(json& m) {
        auto it = m.find("custom_attributes");
        if (it == m.end()) return;
        json custom = std::move(*it);
        m.erase("custom_attributes");
        if (!custom.is_object()) return;
        for (auto& [k, v] : custom.items()) {
            if (!m.contains(k)) m[k] = std::move(v);
        }
    }

    std::string url_;
    std::string api_key_;
    std::string array_;
    bool attributes_;
};

} // namespace

Result<std::unique_ptr<Destination>> MakeBraze(const json& s, const std::string& action, Parts parts) {
    // base_url, when given, replaces the instance's endpoint (a proxy, a server in tests).
    const char* which = s.contains("base_url") ? "base_url" : "endpoint";
    std::string endpoint = StringSetting(s, which);
    if (auto ok = NeedUrl("braze", which, endpoint); !ok) return std::unexpected(ok.error());
    auto key = NeedString("braze", s, "api_key");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 75, 75);
    return std::make_unique<Braze>(endpoint, *key, action == "updateUserProfile", std::move(parts));
}

} // namespace kith::deliver::http_types
