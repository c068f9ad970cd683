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
        {"braze_id", F::STRING, false, R"({"@path": "$.properties.braze_id"})", "Braze's own user ID",
         "Braze User Identifier"},
        {"email", F::STRING, false, email_default, "the user's email address", "Email"},
    };
}

// The email of track events: the event's context, else its properties (Segment's default).
constexpr const char* kTrackEmail =
    R"({"@if": {"exists": {"@path": "$.context.traits.email"}, "then": {"@path": "$.context.traits.email"}, "else": {"@path": "$.properties.email"}}})";
// The email of identify events: their traits, else the context's (where kith's identifier strategy puts it).
constexpr const char* kIdentifyEmail =
    R"({"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.context.traits.email"}}})";

// The fields every action ends with: update-only mode and Segment's batching.
void AddCommon(std::vector<Field>& fields) {
    fields.push_back({"_update_existing_only", F::BOOLEAN, false, "false",
                      "only update users that already exist (with a user_alias, Braze always does)",
                      "Update Existing Only"});
    fields.push_back({"enable_batching", F::BOOLEAN, false, "true",
                      "batch events (false: one request per event); a constant", "Batch Data to Braze"});
    fields.push_back({"batch_size", F::NUMBER, false, "75",
                      "at most this many objects a request (with the batch_size setting, the smaller); a constant",
                      "Batch Size"});
}

Action TrackEvent() {
    std::vector<Field> fields = {
        {"name", F::STRING, true, R"({"@path": "$.event"})", "the custom event's name", "Event Name"},
        {"time", F::DATETIME, true, R"({"@path": "$.timestamp"})", "when the event happened (sent as ISO 8601 text)",
         "Time"},
    };
    for (auto& f : Identifiers(kTrackEmail)) fields.push_back(std::move(f));
    fields.push_back({"properties", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's properties",
                      "Event Properties"});
    AddCommon(fields);
    return {"trackEvent", "POST {endpoint}/users/track with {\"events\": [...]}, up to 75 a request", fields,
            "Track Event"};
}

Action TrackPurchase() {
    std::vector<Field> fields = {
        {"time", F::DATETIME, true, R"({"@path": "$.timestamp"})", "when the purchase happened (sent as ISO 8601 text)",
         "Time"},
        {"products", F::ARRAY, true, R"({"@path": "$.properties.products"})",
         "the products bought, each {\"product_id\", \"price\", \"currency\" (USD when absent), \"quantity\", ...}; "
         "one purchase object each, its other keys in the purchase's properties",
         "Products"},
    };
    for (auto& f : Identifiers(kTrackEmail)) fields.push_back(std::move(f));
    fields.push_back({"properties", F::OBJECT, false, R"({"@path": "$.properties"})",
                      "properties of every purchase (without products)", "Event Properties"});
    AddCommon(fields);
    return {"trackPurchase",
            "POST {endpoint}/users/track with {\"purchases\": [...]}, one per product, up to 75 a request", fields,
            "Track Purchase"};
}

// Braze's standard user attributes, with Segment's defaults (Segment's identify traits).
std::vector<Field> StandardAttributes() {
    auto text = [](const char* name, const char* dflt, const char* description, const char* label) {
        return Field{name, F::STRING, false, dflt, description, label};
    };
    return {
        text("country", R"({"@path": "$.context.location.country"})", "the user's country code", "Country"),
        {"current_location", F::OBJECT, false,
         R"({"latitude": {"@path": "$.context.location.latitude"}, "longitude": {"@path": "$.context.location.longitude"}})",
         "{\"latitude\", \"longitude\"}; left out when empty", "Current Location"},
        {"date_of_first_session", F::DATETIME, false, "", "when the user first used the app", "Date of First Session"},
        {"date_of_last_session", F::DATETIME, false, "", "when the user last used the app", "Date of Last Session"},
        {"dob", F::DATETIME, false, "", "the user's date of birth (sent as YYYY-MM-DD)", "Date of Birth"},
        text("email_subscribe", "", "opted_in, unsubscribed or subscribed", "Email Subscribe"),
        {"email_open_tracking_disabled", F::BOOLEAN, false, "", "no open tracking pixel in emails to the user",
         "Email Open Tracking Disabled"},
        {"email_click_tracking_disabled", F::BOOLEAN, false, "", "no click tracking in emails to the user",
         "Email Click Tracking Disabled"},
        {"facebook", F::OBJECT, false, "", "{\"id\", \"likes\", \"num_friends\"}", "Facebook Attribution Data"},
        text("first_name", R"({"@path": "$.traits.firstName"})", "the user's first name", "First Name"),
        text("gender", R"({"@path": "$.traits.gender"})",
             "M, F, O, N or P (male, woman, other... are turned into these)", "Gender"),
        text("home_city", R"({"@path": "$.traits.address.city"})", "the user's home city", "Home City"),
        text("image_url", R"({"@path": "$.traits.avatar"})", "the URL of the user's picture", "Image URL"),
        text("language", "", "the user's preferred language", "Language"),
        text("last_name", R"({"@path": "$.traits.lastName"})", "the user's last name", "Last Name"),
        {"marked_email_as_spam_at", F::DATETIME, false, "", "when the user marked an email as spam",
         "Marked Email as Spam At"},
        text("phone", R"({"@path": "$.traits.phone"})", "the user's phone number", "Phone Number"),
        text("push_subscribe", "", "opted_in, unsubscribed or subscribed", "Push Subscribe"),
        {"push_tokens", F::ARRAY, false, "", "[{\"app_id\", \"token\", \"device_id\"}]", "Push Tokens"},
        text("time_zone", "", "an IANA time zone name (America/New_York)", "Time zone"),
        {"twitter", F::OBJECT, false, "",
         "{\"id\", \"screen_name\", \"followers_count\", \"friends_count\", \"statuses_count\"}",
         "Twitter Attribution Data"},
        {"subscription_groups", F::ARRAY, false, "",
         "[{\"subscription_group_id\", \"subscription_state\": subscribed or unsubscribed}]; sent when not empty",
         "Subscription Groups"},
    };
}

Action UpdateUserProfile() {
    std::vector<Field> fields = Identifiers(kIdentifyEmail);
    for (auto& f : StandardAttributes()) fields.push_back(std::move(f));
    fields.push_back(
        {"custom_attributes", F::OBJECT, false,
         R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
         "attributes set on the user profile, each a key of the attributes object; a key named like a field above, "
         "or like a purchase's field, or firstName, lastName or avatar, is left out",
         "Custom Attributes"});
    AddCommon(fields);
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
    return {"braze", "Braze's REST API", {TrackEvent(), UpdateUserProfile(), TrackPurchase()}, settings};
}

} // namespace kith::deliver::catalog_types
