// Iterable, as Segment's "Iterable (Actions)" destination names it: its settings, actions and fields
// (src/deliver/README.md lists where kith differs and why).
#include "deliver/catalog_types.hpp"

namespace kith::deliver::catalog_types {

namespace {

using K = SettingKind;
using F = FieldType;

// The email of track events: their properties, else the context (Segment's default).
constexpr const char* kTrackEmail =
    R"({"@if": {"exists": {"@path": "$.properties.email"}, "then": {"@path": "$.properties.email"}, "else": {"@path": "$.context.traits.email"}}})";
// The email of identify events: their traits, else the context's (where kith's identifier strategy puts it).
constexpr const char* kIdentifyEmail =
    R"({"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.context.traits.email"}}})";

Field UserId() {
    return {"userId", F::STRING, false, R"({"@path": "$.userId"})", "the user's ID (email or userId is needed)",
            "User ID"};
}

// Segment's batching fields.
void AddBatching(std::vector<Field>& fields) {
    fields.push_back({"enable_batching", F::BOOLEAN, false, "true",
                      "bulk endpoints, batches of events (false: one request per event); a constant",
                      "Enable Batching"});
    fields.push_back({"batch_size", F::NUMBER, false, "1001",
                      "at most this many events a request (with the batch_size setting, the smaller); a constant",
                      "Batch Size"});
}

Action TrackEvent() {
    std::vector<Field> fields = {
        {"eventName", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name", "Event name"},
        {"email", F::STRING, false, kTrackEmail, "the user's email (email or userId is needed)", "Email Address"},
        UserId(),
        {"dataFields", F::OBJECT, false, R"({"@path": "$.properties"})",
         "the event's fields; dates with a time go as Iterable's dates (2026-11-28 09:00:00 +00:00)",
         "Event Data Fields"},
        {"id", F::STRING, false, R"({"@path": "$.messageId"})",
         "the event's ID: Iterable keeps one event per ID, so a re-sent event is not doubled", "Event ID"},
        {"createdAt", F::DATETIME, false, R"({"@path": "$.timestamp"})",
         "when the event happened (sent as whole seconds since the epoch)", "Timestamp"},
        {"campaignId", F::INTEGER, false, R"({"@path": "$.properties.campaignId"})",
         "the campaign to attribute the event to", "Campaign ID"},
        {"templateId", F::INTEGER, false, R"({"@path": "$.properties.templateId"})",
         "the template to attribute the event to", "Template ID"},
    };
    AddBatching(fields);
    return {"trackEvent", "POST /api/events/track, or /api/events/trackBulk for batches (up to 1000)", fields,
            "Custom Event"};
}

Action UpdateUser() {
    std::vector<Field> fields = {
        {"email", F::STRING, false, kIdentifyEmail, "the user's email (email or userId is needed)", "Email Address"},
        UserId(),
        {"dataFields", F::OBJECT, false,
         R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
         "fields set on the user profile; dates with a time go as Iterable's dates", "User Data Fields"},
        {"phoneNumber", F::STRING, false, R"({"@path": "$.traits.phone"})",
         "the user's phone number with its country code (+14158675309), sent in dataFields", "User Phone Number"},
        {"mergeNestedObjects", F::BOOLEAN, false, "false", "merge nested objects instead of replacing them",
         "Merge Nested Objects"},
        {"updateOnly", F::BOOLEAN, false, "",
         "with batches, only update users that exist (a constant; Iterable enables it per project)", "Update Only"},
        {"preferUserId", F::BOOLEAN, false, "",
         "match the user by userId when both are given (sent only when mapped)", "Prefer User ID"},
    };
    AddBatching(fields);
    return {"updateUser", "POST /api/users/update, or /api/users/bulkUpdate for batches (up to 1000)", fields,
            "Upsert User"};
}

} // namespace

DestinationType Iterable() {
    std::vector<Setting> settings = {
        {"apiKey", K::SECRET, true, 0, {}, "a server-side API key", "API Key"},
        {"dataCenterLocation",
         K::STRING,
         false,
         0,
         {"united_states", "europe"},
         "where the project's data is hosted: api.iterable.com or api.eu.iterable.com",
         "Data Center Location",
         "united_states"},
    };
    for (auto& s : HttpSettings("a URL that replaces dataCenterLocation's (a proxy, a server in tests)", 1000,
                                "events per request (default 1000; 1 uses the single-event endpoints)")) {
        settings.push_back(std::move(s));
    }
    return {"iterable", "Iterable's API", {TrackEvent(), UpdateUser()}, settings};
}

} // namespace kith::deliver::catalog_types
