#include "deliver/catalog.hpp"

#include "deliver/catalog_types.hpp"

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
        catalog_types::Braze(),
        catalog_types::Iterable(),
        catalog_types::Segment(),
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

namespace catalog_types {

std::vector<Setting> HttpSettings(const std::string& base_url_description, int64_t max_batch,
                                  const std::string& batch_description) {
    using K = SettingKind;
    return {{"base_url", K::URL, false, 0, {}, base_url_description, "Base URL"},
            {"batch_size", K::INTEGER, false, max_batch, {}, batch_description, "Batch Size"},
            {"concurrency", K::INTEGER, false, 64, {}, "requests in flight at once (default 4)", "Concurrency"}};
}

} // namespace catalog_types

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
