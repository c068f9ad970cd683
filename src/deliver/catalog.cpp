#include "deliver/catalog.hpp"

namespace kith::deliver {

std::string_view SettingKindName(SettingKind kind) {
    switch (kind) {
    case SettingKind::STRING: return "string";
    case SettingKind::URL: return "url";
    case SettingKind::INTEGER: return "integer";
    case SettingKind::OBJECT: return "object";
    case SettingKind::STRING_MAP: return "object of strings";
    }
    return "?";
}

const std::vector<DestinationType>& DestinationTypes() {
    using K = SettingKind;
    static const std::vector<DestinationType> types = {
        {"webhook",
         "HTTP requests to any URL",
         {{"send", "one request per event (body: the mapped event), or per batch (body: a JSON array of them)"}},
         {{"url", K::URL, true, 0, {}, "the URL to call"},
          {"method",
           K::STRING,
           false,
           0,
           {"POST", "PUT", "PATCH", "GET", "DELETE"},
           "the HTTP method, POST by default"},
          {"headers", K::STRING_MAP, false, 0, {}, "extra request headers"},
          {"batch_size", K::INTEGER, false, 10000, {}, "events per request (default 1: the body is one event)"}}},
        {"braze",
         "Braze's REST API",
         {{"track_event", "POST {endpoint}/users/track with {\"events\": [...]}, up to 75 a request"},
          {"update_user_profile", "POST {endpoint}/users/track with {\"attributes\": [...]}, up to 75 a request"}},
         {{"endpoint", K::URL, true, 0, {}, "the REST endpoint of the Braze instance (https://rest.iad-01.braze.com)"},
          {"api_key", K::STRING, true, 0, {}, "a REST API key with users.track"},
          {"batch_size", K::INTEGER, false, 75, {}, "events per request (default 75)"}}},
        {"iterable",
         "Iterable's API",
         {{"custom_event", "POST /api/events/track, or /api/events/trackBulk for batches (up to 1000)"},
          {"upsert_user", "POST /api/users/update, or /api/users/bulkUpdate for batches (up to 1000)"}},
         {{"api_key", K::STRING, true, 0, {}, "a server-side API key"},
          {"endpoint", K::URL, false, 0, {}, "the API's base URL (default https://api.iterable.com)"},
          {"batch_size", K::INTEGER, false, 1000, {}, "events per request (default 1000)"}}},
        {"segment",
         "any Segment-compatible HTTP collector",
         {{"send", "POST {endpoint}/v1/batch, the write key as basic auth"}},
         {{"write_key", K::STRING, true, 0, {}, "the source's write key"},
          {"endpoint", K::URL, false, 0, {}, "the collector's base URL (default https://api.segment.io)"}}},
        {"file",
         "a local file, for tests and for piping events into other tools",
         {{"send", "appends each event as one JSON line (NDJSON), on disk before it counts as delivered"}},
         {{"path",
           K::STRING,
           true,
           0,
           {},
           "the file to append to; a relative path is relative to the config file's folder"}}},
    };
    return types;
}

const std::vector<Setting>& CommonSettings() {
    using K = SettingKind;
    static const std::vector<Setting> common = {
        {"rate_limit",
         K::INTEGER,
         false,
         1000000,
         {},
         "events per second to this activation (default [delivery] activation_rate)"},
        {"max_event_bytes",
         K::INTEGER,
         false,
         64 * 1024 * 1024,
         {},
         "larger events are filtered at source (default [delivery] max_event_bytes)"},
        {"filter",
         K::OBJECT,
         false,
         0,
         {},
         "a condition on the payload; events it rejects are filtered at destination"},
    };
    return common;
}

const DestinationType* FindDestinationType(std::string_view type) {
    for (const auto& t : DestinationTypes()) {
        if (t.type == type) return &t;
    }
    return nullptr;
}

std::string DestinationTypeList() {
    std::string out;
    for (const auto& t : DestinationTypes()) out += (out.empty() ? "" : ", ") + t.type;
    return out;
}

} // namespace kith::deliver
