#include "deliver/catalog.hpp"

namespace kith::deliver {

std::string_view SettingKindName(SettingKind kind) {
    switch (kind) {
    case SettingKind::STRING: return "string";
    case SettingKind::URL: return "url";
    case SettingKind::INTEGER: return "integer";
    case SettingKind::OBJECT: return "object";
    case SettingKind::STRING_MAP: return "object of strings";
    case SettingKind::SECRET: return "secret";
    case SettingKind::SECRET_MAP: return "object of secrets";
    }
    return "?";
}

bool IsSecret(SettingKind kind) { return kind == SettingKind::SECRET || kind == SettingKind::SECRET_MAP; }

std::string_view FieldTypeName(FieldType type) {
    switch (type) {
    case FieldType::STRING: return "string";
    case FieldType::INTEGER: return "integer";
    case FieldType::NUMBER: return "number";
    case FieldType::BOOLEAN: return "boolean";
    case FieldType::DATETIME: return "datetime";
    case FieldType::OBJECT: return "object";
    case FieldType::ARRAY: return "array";
    case FieldType::ANY: return "any";
    }
    return "?";
}

const std::vector<DestinationType>& DestinationTypes() {
    using K = SettingKind;
    using F = FieldType;
    static const std::vector<DestinationType> types = {
        {"webhook",
         "HTTP requests to any URL",
         {{"send", "one request per event (body: the mapped event), or per batch (body: a JSON array of them)", {}}},
         {{"url", K::URL, true, 0, {}, "the URL to call"},
          {"method",
           K::STRING,
           false,
           0,
           {"POST", "PUT", "PATCH", "GET", "DELETE"},
           "the HTTP method, POST by default"},
          {"headers", K::SECRET_MAP, false, 0, {}, "extra request headers"},
          {"batch_size", K::INTEGER, false, 10000, {}, "events per request (default 1: the body is one event)"},
          {"concurrency", K::INTEGER, false, 64, {}, "requests in flight at once (default 4)"}}},
        {"braze",
         "Braze's REST API",
         {{"track_event",
           "POST {endpoint}/users/track with {\"events\": [...]}, up to 75 a request",
           {{"name", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name"},
            {"time", F::DATETIME, true, R"({"@path": "$.timestamp"})", "when the event happened (ISO 8601)"},
            {"external_id", F::STRING, false, R"({"@path": "$.userId"})",
             "the user's external ID (one of external_id, user_alias, braze_id, email is needed)"},
            {"user_alias", F::OBJECT, false, "", "{\"alias_name\": ..., \"alias_label\": ...}"},
            {"braze_id", F::STRING, false, "", "Braze's own user ID"},
            {"email", F::STRING, false, "", "the user's email address"},
            {"properties", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's properties"},
            {"_update_existing_only", F::BOOLEAN, false, "false", "only update users that already exist"}}},
          {"update_user_profile",
           "POST {endpoint}/users/track with {\"attributes\": [...]}, up to 75 a request",
           {{"external_id", F::STRING, false, R"({"@path": "$.userId"})",
             "the user's external ID (one of external_id, user_alias, braze_id, email is needed)"},
            {"user_alias", F::OBJECT, false, "", "{\"alias_name\": ..., \"alias_label\": ...}"},
            {"braze_id", F::STRING, false, "", "Braze's own user ID"},
            {"email", F::STRING, false, R"({"@path": "$.context.traits.email"})", "the user's email address"},
            {"custom_attributes", F::OBJECT, false,
             R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
             "attributes set on the user profile, each a key of the attributes object"},
            {"_update_existing_only", F::BOOLEAN, false, "false", "only update users that already exist"}}}},
         {{"endpoint", K::URL, true, 0, {}, "the REST endpoint of the Braze instance (https://rest.iad-01.braze.com)"},
          {"api_key", K::SECRET, true, 0, {}, "a REST API key with users.track"},
          {"batch_size", K::INTEGER, false, 75, {}, "events per request (default 75)"},
          {"concurrency", K::INTEGER, false, 64, {}, "requests in flight at once (default 4)"}}},
        {"iterable",
         "Iterable's API",
         {{"custom_event",
           "POST /api/events/track, or /api/events/trackBulk for batches (up to 1000)",
           {{"eventName", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name"},
            {"email", F::STRING, false, R"({"@path": "$.context.traits.email"})",
             "the user's email (email or userId is needed)"},
            {"userId", F::STRING, false, R"({"@path": "$.userId"})", "the user's ID (email or userId is needed)"},
            {"id", F::STRING, false, R"({"@path": "$.messageId"})",
             "the event's ID: Iterable keeps one event per ID, so a re-sent event is not doubled"},
            {"createdAt", F::DATETIME, false, R"({"@path": "$.timestamp"})",
             "when the event happened (sent as seconds since the epoch)"},
            {"dataFields", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's fields"},
            {"campaignId", F::INTEGER, false, "", "the campaign to attribute the event to"},
            {"templateId", F::INTEGER, false, "", "the template to attribute the event to"}}},
          {"upsert_user",
           "POST /api/users/update, or /api/users/bulkUpdate for batches (up to 1000)",
           {{"email", F::STRING, false, R"({"@path": "$.context.traits.email"})",
             "the user's email (email or userId is needed)"},
            {"userId", F::STRING, false, R"({"@path": "$.userId"})", "the user's ID (email or userId is needed)"},
            {"dataFields", F::OBJECT, false,
             R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
             "fields set on the user profile"},
            {"preferUserId", F::BOOLEAN, false, "", "match the user by userId when both are given (sent only when mapped)"},
            {"mergeNestedObjects", F::BOOLEAN, false, "false", "merge nested objects instead of replacing them"}}}},
         {{"api_key", K::SECRET, true, 0, {}, "a server-side API key"},
          {"endpoint", K::URL, false, 0, {}, "the API's base URL (default https://api.iterable.com)"},
          {"batch_size", K::INTEGER, false, 1000, {}, "events per request (default 1000; 1 uses the single-event endpoints)"},
          {"concurrency", K::INTEGER, false, 64, {}, "requests in flight at once (default 4)"}}},
        {"segment",
         "any Segment-compatible HTTP collector",
         {{"send", "POST {endpoint}/v1/batch, the write key as basic auth", {}}},
         {{"write_key", K::SECRET, true, 0, {}, "the source's write key"},
          {"endpoint", K::URL, false, 0, {}, "the collector's base URL (default https://api.segment.io)"},
          {"batch_size", K::INTEGER, false, 500, {}, "events per request (default 100; a request stays under 500 KB)"},
          {"concurrency", K::INTEGER, false, 64, {}, "requests in flight at once (default 4)"}}},
        {"file",
         "a local file, for tests and for piping events into other tools",
         {{"send", "appends each event as one JSON line (NDJSON), on disk before it counts as delivered", {}}},
         {{"path",
           K::STRING,
           true,
           0,
           {},
           "the file to append to, beneath [delivery] file_root (by default the state store's folder); a relative "
           "path is taken from that folder"}}},
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

const Action* FindAction(const DestinationType& type, std::string_view name) {
    for (const auto& a : type.actions) {
        if (a.name == name) return &a;
    }
    return nullptr;
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
