// Segment HTTP: POST {region's API or base_url}/v1/batch, the write key as basic auth's user name, {"batch": [...], "sentAt": ...},
// up to 500 KB a request (Segment's limit; 32 KB an event is enforced at source).

#include "deliver/http_destination_types.hpp"

#include "common/text.hpp"

namespace kith::deliver::http_types {

using nlohmann::json;

namespace {

class Segment final : public HttpDestination {
public:
    Segment(std::string endpoint, const std::string& write_key, Parts parts)
        : HttpDestination("segment", parts.limits, std::move(parts.mapper), std::move(parts.http)),
          url_(TrimSlash(endpoint) + "/v1/batch"), auth_("Basic " + Base64(write_key + ":")) {}

protected:
    std::optional<std::string> Prepare(json& m) const override {
        if (!m.is_object()) return "the mapped event is not an object";
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
};

} // namespace

Result<std::unique_ptr<Destination>> MakeSegment(const json& s, const std::string&, Parts parts) {
    // The region's tracking API, unless base_url replaces it.
    std::string region = StringSetting(s, "region", "us-west-2");
    std::string endpoint = StringSetting(s, "base_url", region == "eu-west-1" ? "https://events.eu1.segmentapis.com"
                                                                             : "https://api.segment.io");
    if (auto ok = NeedUrl("segment", "base_url", endpoint); !ok) return std::unexpected(ok.error());
    auto key = NeedString("segment", s, "source_write_key");
    if (!key) return std::unexpected(key.error());
    parts.limits.batch_size = BatchSize(s, parts, 100, 500);
    parts.limits.max_bytes = 500 * 1024 - 64; // room for {"batch":[...],"sentAt":"..."}
    return std::make_unique<Segment>(endpoint, *key, std::move(parts));
}

} // namespace kith::deliver::http_types
