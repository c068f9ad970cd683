// Segment, as Segment's own "Segment" destination names it: its write key setting and actions, with kith's
// free-form `send` first (src/deliver/README.md lists where kith differs and why).
#include "deliver/catalog_types.hpp"

namespace kith::deliver::catalog_types {

namespace {

using F = FieldType;

// The fields Segment's track and identify actions share, in its order; `traits` reads traits_path.
std::vector<Field> Shared(const char* traits_path) {
    auto object = [](const char* name, const char* description, const char* label) {
        return Field{name, F::OBJECT, false, "", description, label};
    };
    auto text = [](const char* name, const char* dflt, const char* description, const char* label) {
        return Field{name, F::STRING, false, dflt, description, label};
    };
    return {
        text("user_id", R"({"@path": "$.userId"})", "the user's ID (a user_id or an anonymous_id is needed)", "User ID"),
        text("anonymous_id", R"({"@path": "$.anonymousId"})", "an anonymous ID (a user_id or an anonymous_id is needed)",
             "Anonymous ID"),
        text("timestamp", R"({"@path": "$.timestamp"})", "when it happened, ISO 8601 text", "Timestamp"),
        object("application", "context.app: name, version, build, namespace", "Application"),
        object("campaign_parameters", "context.campaign: the UTM parameters", "Campaign Parameters"),
        object("device", "context.device", "Device"),
        text("ip_address", "", "context.ip", "IP Address"),
        text("locale", "", "context.locale (en-US)", "Locale"),
        object("location", "context.location: city, country, latitude, longitude, speed", "Location"),
        object("network", "context.network", "Network"),
        object("operating_system", "context.os: name, version", "Operating System"),
        object("page", "context.page: path, referrer, search, title, url", "Page"),
        object("screen", "context.screen: density, height, width", "Screen"),
        text("user_agent", "", "context.userAgent", "User Agent"),
        text("timezone", "", "context.timezone (America/New_York)", "Timezone"),
        text("group_id", "", "context.groupId", "Group ID"),
        {"traits", F::OBJECT, false, traits_path, "traits of the user", "Traits"},
        text("message_id", R"({"@path": "$.messageId"})", "the message's ID (kith's, stable across retries)",
             "MessageId"),
        {"consent", F::OBJECT, false, R"({"@path": "$.context.consent"})",
         "context.consent: {\"categoryPreferences\": {category: true or false}} (anything else is sent as {})",
         "Consent"},
    };
}

Action SendTrack() {
    std::vector<Field> fields = {
        {"event_name", F::STRING, true, R"({"@path": "$.event"})", "the event's name", "Event Name"}};
    for (auto& f : Shared(R"({"@path": "$.context.traits"})")) fields.push_back(std::move(f));
    fields.insert(fields.end() - 3,
                  Field{"properties", F::OBJECT, false, R"({"@path": "$.properties"})", "the event's properties",
                        "Properties"});
    return {"sendTrack", "a track call to Segment's tracking API, built from the fields", fields, "Send Track"};
}

Action SendIdentify() {
    std::vector<Field> fields = Shared(R"({"@path": "$.traits"})");
    fields.push_back({"address", F::OBJECT, false, "", "traits.address: street, city, state, country, postalCode",
                      "Address"});
    return {"sendIdentify", "an identify call to Segment's tracking API, built from the fields", fields,
            "Send Identify"};
}

} // namespace

DestinationType Segment() {
    using K = SettingKind;
    std::vector<Setting> settings = {
        {"source_write_key", K::SECRET, true, 0, {}, "the write key of the Segment source", "Source Write Key"},
        {"region",
         K::STRING,
         false,
         0,
         {"us-west-2", "eu-west-1"},
         "where the workspace lives: api.segment.io (us-west-2) or events.eu1.segmentapis.com (eu-west-1)",
         "Region",
         "us-west-2"},
    };
    for (auto& s : HttpSettings("a URL that replaces the region's (any Segment-compatible collector, a server in tests)",
                                500, "events per request (default 100; a request stays under 500 KB)")) {
        settings.push_back(std::move(s));
    }
    return {"segment",
            "Segment's tracking API, or any Segment-compatible HTTP collector",
            {{"send", "POST {base}/v1/batch with the event as it is (or the mapped object), the write key as basic auth",
              {},
              "Send"},
             SendTrack(),
             SendIdentify()},
            settings};
}

} // namespace kith::deliver::catalog_types
