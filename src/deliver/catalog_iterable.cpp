// Iterable, as Segment's "Iterable (Actions)" destination names it: its settings, actions and fields
// (src/deliver/README.md lists where kith differs and why).
#include "deliver/catalog_types.hpp"

namespace kith::deliver::catalog_types {

namespace {

using K = SettingKind;
using F = FieldType;

Action TrackEvent() {
    return {"trackEvent",
            "POST /api/events/track, or /api/events/trackBulk for batches (up to 1000)",
            {{"eventName", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name", "Event name"},
             {"email", F::STRING, false, R"({"@path": "$.context.traits.email"})",
              "the user's email (email or userId is needed)", "Email Address"},
             {"userId", F::STRING, false, R"({"@path": "$.userId"})", "the user's ID (email or userId is needed)",
              "User ID"},
             {"id", F::STRING, false, R"({"@path": "$.messageId"})",
              "the event's ID: Iterable keeps one event per ID, so a re-sent event is not doubled", "Event ID"},
             {"createdAt", F::DATETIME, false, R"({"@path": "$.timestamp"})",
              "when the event happened (sent as whole seconds since the epoch)", "Timestamp"},
             {"dataFields", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's fields",
              "Event Data Fields"},
             {"campaignId", F::INTEGER, false, "", "the campaign to attribute the event to", "Campaign ID"},
             {"templateId", F::INTEGER, false, "", "the template to attribute the event to", "Template ID"}},
            "Custom Event"};
}

Action UpdateUser() {
    return {"updateUser",
            "POST /api/users/update, or /api/users/bulkUpdate for batches (up to 1000)",
            {{"email", F::STRING, false, R"({"@path": "$.context.traits.email"})",
              "the user's email (email or userId is needed)", "Email Address"},
             {"userId", F::STRING, false, R"({"@path": "$.userId"})", "the user's ID (email or userId is needed)",
              "User ID"},
             {"dataFields", F::OBJECT, false,
              R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
              "fields set on the user profile", "User Data Fields"},
             {"preferUserId", F::BOOLEAN, false, "",
              "match the user by userId when both are given (sent only when mapped)", "Prefer User ID"},
             {"mergeNestedObjects", F::BOOLEAN, false, "false", "merge nested objects instead of replacing them",
              "Merge Nested Objects"}},
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
