// Braze, as Segment's "Braze Cloud Mode (Actions)" destination names it: its settings, actions and fields
// (src/deliver/README.md lists where kith differs and why).
#include "deliver/catalog_types.hpp"

namespace kith::deliver::catalog_types {

namespace {

using K = SettingKind;
using F = FieldType;

// Braze's REST endpoints, one per instance (Segment's choices).
std::vector<std::string> Endpoints() {
    return {"https://rest.iad-01.braze.com", "https://rest.iad-02.braze.com", "https://rest.iad-03.braze.com",
            "https://rest.iad-04.braze.com", "https://rest.iad-05.braze.com", "https://rest.iad-06.braze.com",
            "https://rest.iad-07.braze.com", "https://rest.iad-08.braze.com", "https://rest.us-09.braze.com",
            "https://rest.us-10.braze.com",  "https://rest.fra-01.braze.eu",  "https://rest.fra-02.braze.eu",
            "https://rest.au-01.braze.com",  "https://rest.id-01.braze.com",  "https://rest.jp-01.braze.com"};
}

// The identifiers every action takes; Braze needs one of them.
std::vector<Field> Identifiers(const char* email_default) {
    return {
        {"external_id", F::STRING, false, R"({"@path": "$.userId"})",
         "the user's external ID (one of external_id, user_alias, braze_id, email is needed)", "External User ID"},
        {"user_alias", F::OBJECT, false, "",
         "{\"alias_name\": ..., \"alias_label\": ...}; an identifier only with both", "User Alias Object"},
        {"braze_id", F::STRING, false, "", "Braze's own user ID", "Braze User Identifier"},
        {"email", F::STRING, false, email_default, "the user's email address", "Email"},
    };
}

Field UpdateExistingOnly() {
    return {"_update_existing_only", F::BOOLEAN, false, "false", "only update users that already exist",
            "Update Existing Only"};
}

Action TrackEvent() {
    std::vector<Field> fields = {
        {"name", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name", "Event Name"},
        {"time", F::DATETIME, true, R"({"@path": "$.timestamp"})", "when the event happened (sent as ISO 8601 text)",
         "Time"},
    };
    for (auto& f : Identifiers("")) fields.push_back(std::move(f));
    fields.push_back({"properties", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's properties",
                      "Event Properties"});
    fields.push_back(UpdateExistingOnly());
    return {"trackEvent", "POST {endpoint}/users/track with {\"events\": [...]}, up to 75 a request", fields,
            "Track Event"};
}

Action UpdateUserProfile() {
    std::vector<Field> fields = Identifiers(R"({"@path": "$.context.traits.email"})");
    fields.push_back(
        {"custom_attributes", F::OBJECT, false,
         R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
         "attributes set on the user profile, each a key of the attributes object", "Custom Attributes"});
    fields.push_back(UpdateExistingOnly());
    return {"updateUserProfile", "POST {endpoint}/users/track with {\"attributes\": [...]}, up to 75 a request", fields,
            "Update User Profile"};
}

} // namespace

DestinationType Braze() {
    std::vector<Setting> settings = {
        {"api_key", K::SECRET, true, 0, {}, "a REST API key with users.track", "API Key"},
        {"app_id", K::STRING, false, 0, {}, "the app identifier sent with events and purchases", "App ID"},
        {"endpoint", K::STRING, true, 0, Endpoints(), "the REST endpoint of the Braze instance", "REST Endpoint",
         "https://rest.iad-01.braze.com", "base_url"},
    };
    for (auto& s : HttpSettings("a URL that replaces endpoint (a proxy, a server in tests)", 75,
                                "objects per request (default 75)")) {
        settings.push_back(std::move(s));
    }
    return {"braze", "Braze's REST API", {TrackEvent(), UpdateUserProfile()}, settings};
}

} // namespace kith::deliver::catalog_types
