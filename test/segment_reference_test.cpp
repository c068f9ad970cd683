// kith's Braze, Iterable and Segment destinations against Segment's own: the published
// @segment/action-destinations package, fetched into the build folder at a pinned version by
// scripts/segment_reference.sh (scripts/setup.sh and the build run it), read by node through
// test/segment_reference/reference.cjs. Nothing of Segment's is kept in the repository.
//
// 1. Definitions: every action kith shares has Segment's key and title; every field Segment's action has, kith has
//    with its type, required flag and default; every setting Segment's destination has, kith has with its kind,
//    required flag, choices and default. What kith keeps different is listed below, each with its reason.
// 2. Requests: Segment's action code (its mapping kit, validation and perform / performBatch, inside actions-core)
//    and kith's destination run on the same events with the same mapping; their request bodies must be equal, but
//    for the listed differences.
//
// The test fails, never skips, when the package is missing: CI fetches it before the tests run.

#include "common/outbound.hpp"
#include "deliver/catalog.hpp"
#include "deliver/destination.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace kith {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::HttpServer;

const fs::path kReferenceDir = fs::path(KITH_BINARY_DIR) / "segment-reference";

// The actions kith shares with Segment, per destination type (kith's type = Segment's destination folder).
const std::map<std::string, std::vector<std::string>> kShared = {
    {"braze", {"trackEvent", "updateUserProfile", "trackPurchase"}},
    {"iterable", {"trackEvent", "updateUser"}},
    {"segment", {"sendTrack", "sendIdentify"}},
};

// ---------------------------------------------------------------------------------------------------------------
// What kith keeps different, and why (src/deliver/README.md, "Segment's destinations": the same list for people).

// Fields of Segment's actions kith does not have.
const std::map<std::string, std::string> kFieldsNotInKith = {};

// Fields kith has that Segment's actions do not.
const std::map<std::string, std::string> kFieldsOnlyInKith = {
    {"iterable.updateUser.preferUserId",
     "Iterable's API takes it; Segment's action has no field for it. Sent only when mapped"},
};

// Defaults kith gives differently: where kith's events carry the value (its default is checked too).
struct OwnDefault {
    const char* kith; // kith's default mapping, as JSON text
    const char* why;
};
const std::map<std::string, OwnDefault> kDefaults = {
    {"braze.trackEvent.time", {R"({"@path": "$.timestamp"})", "kith's events have no receivedAt; timestamp is when kith made the event"}},
    {"braze.trackPurchase.time", {R"({"@path": "$.timestamp"})", "kith's events have no receivedAt"}},
    {"braze.trackPurchase.email",
     {R"({"@if": {"exists": {"@path": "$.context.traits.email"}, "then": {"@path": "$.context.traits.email"}, "else": {"@path": "$.properties.email"}}})",
      "a track event has no top-level traits: kith reads the email where trackEvent does"}},
    {"braze.updateUserProfile.email",
     {R"({"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.context.traits.email"}}})",
      "kith's identifier strategy may put the email in context.traits; traits first, as Segment"}},
    {"braze.updateUserProfile.custom_attributes",
     {R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
      "kith's track triggers carry the enriched traits in properties"}},
    {"iterable.updateUser.email",
     {R"({"@if": {"exists": {"@path": "$.traits.email"}, "then": {"@path": "$.traits.email"}, "else": {"@path": "$.context.traits.email"}}})",
      "kith's identifier strategy may put the email in context.traits"}},
    {"iterable.updateUser.dataFields",
     {R"({"@if": {"exists": {"@path": "$.traits"}, "then": {"@path": "$.traits"}, "else": {"@path": "$.properties"}}})",
      "kith's track triggers carry the enriched traits in properties"}},
    // Segment's typed actions have no defaults for most fields (Segment's app asks for each); kith fills them from
    // its Segment-format events so that a mapping may be left out.
    {"segment.sendTrack.user_id", {R"({"@path": "$.userId"})", "no default in Segment"}},
    {"segment.sendTrack.anonymous_id", {R"({"@path": "$.anonymousId"})", "no default in Segment"}},
    {"segment.sendTrack.timestamp", {R"({"@path": "$.timestamp"})", "no default in Segment"}},
    {"segment.sendTrack.event_name", {R"({"@path": "$.event"})", "required without a default in Segment"}},
    {"segment.sendTrack.properties", {R"({"@path": "$.properties"})", "no default in Segment"}},
    {"segment.sendTrack.traits", {R"({"@path": "$.context.traits"})", "no default in Segment"}},
    {"segment.sendIdentify.user_id", {R"({"@path": "$.userId"})", "no default in Segment"}},
    {"segment.sendIdentify.anonymous_id", {R"({"@path": "$.anonymousId"})", "no default in Segment"}},
    {"segment.sendIdentify.timestamp", {R"({"@path": "$.timestamp"})", "no default in Segment"}},
    {"segment.sendIdentify.traits", {R"({"@path": "$.traits"})", "no default in Segment"}},
};

// Settings kith has beside Segment's.
const std::map<std::string, std::string> kSettingsOnlyInKith = {
    {"braze.base_url", "replaces endpoint: proxies, local servers in tests"},
    {"iterable.base_url", "replaces dataCenterLocation's API: proxies, local servers in tests"},
    {"segment.base_url", "any Segment-compatible collector, local servers in tests"},
    {"segment.region", "Segment picks the API by where the workspace lives; kith is told"},
    {"braze.batch_size", "a destination-wide cap (Segment's is a field, which kith honours too)"},
    {"iterable.batch_size", "a destination-wide cap (Segment's is a field, which kith honours too)"},
    {"segment.batch_size", "events per request to the tracking API"},
    {"braze.concurrency", "requests in flight at once"},
    {"iterable.concurrency", "requests in flight at once"},
    {"segment.concurrency", "requests in flight at once"},
};

// Settings kith requires differently.
const std::map<std::string, std::string> kSettingRequired = {};

// Keys of Segment's request bodies kith does not send, per destination.action.
const std::map<std::string, std::vector<std::string>> kBodyKeysNotSent = {
    {"iterable.trackEvent",
     {"enable_batching", "batch_size"}}, // Segment's action copies its batching fields into each event; Iterable ignores them
};

// ---------------------------------------------------------------------------------------------------------------

// Runs reference.cjs on input; fails the test (never skips) when the package is not there.
json Reference(const json& input) {
    if (!fs::exists(kReferenceDir / "package" / "dist" / "destinations" / "braze") ||
        !fs::exists(kReferenceDir / "node_modules" / "@segment" / "actions-core")) {
        ADD_FAILURE() << "Segment's package is not in " << kReferenceDir
                      << ": run scripts/segment_reference.sh " << kReferenceDir
                      << " (scripts/setup.sh and the build run it; it needs the npm registry)";
        return json();
    }
    fs::path tmp = fs::temp_directory_path() / ("kith_segment_reference_" + std::to_string(getpid()));
    fs::create_directories(tmp);
    std::ofstream(tmp / "input.json") << input.dump();
    pid_t pid = test::Spawn({"/usr/bin/env", "node", std::string(KITH_SOURCE_DIR) + "/test/segment_reference/reference.cjs",
                             kReferenceDir.string(), (tmp / "input.json").string()},
                            tmp / "out.json", tmp / "err.txt");
    if (pid < 0) {
        ADD_FAILURE() << "cannot start node (scripts/setup.sh installs it)";
        return json();
    }
    test::Exit exit = test::Wait(pid);
    std::ifstream out(tmp / "out.json"), err(tmp / "err.txt");
    std::string text((std::istreambuf_iterator<char>(out)), {}), errors((std::istreambuf_iterator<char>(err)), {});
    fs::remove_all(tmp);
    EXPECT_EQ(exit.code, 0) << errors;
    json parsed = json::parse(text, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << text << errors;
    return parsed.is_discarded() ? json() : parsed;
}

// kith's type for a Segment field: its type, an array when it takes several.
std::string KithTypeOf(const json& f) {
    if (f.value("multiple", false)) return "array";
    std::string t = f["type"];
    if (t == "text" || t == "password") return "string";
    return t;
}

std::string KithKindOf(const json& s) {
    std::string t = s["type"];
    if (t == "password") return "secret";
    return t;
}

TEST(SegmentReference, ActionsAndFieldsAreSegments) {
    json wanted = json::object();
    for (const auto& [type, actions] : kShared) wanted[type] = actions;
    json ref = Reference({{"definitions", wanted}});
    ASSERT_TRUE(ref.is_object());
    std::set<std::string> used_defaults;
    for (const auto& [type, actions] : kShared) {
        const deliver::DestinationType* t = deliver::FindDestinationType(type);
        ASSERT_NE(t, nullptr) << type;
        for (const auto& name : actions) {
            SCOPED_TRACE(type + "." + name);
            const json& theirs = ref["definitions"][type]["actions"][name];
            ASSERT_TRUE(theirs.is_object()) << "Segment's package has no action " << name;
            const deliver::Action* a = deliver::FindAction(*t, name);
            ASSERT_NE(a, nullptr) << "kith has no action " << name;
            EXPECT_EQ(a->label, theirs["title"].get<std::string>());
            for (const auto& [field, f] : theirs["fields"].items()) {
                std::string key = type + "." + name + "." + field;
                auto mine = std::find_if(a->fields.begin(), a->fields.end(), [&](const auto& x) { return x.name == field; });
                if (mine == a->fields.end()) {
                    EXPECT_TRUE(kFieldsNotInKith.contains(key)) << key << ": kith lacks Segment's field";
                    continue;
                }
                EXPECT_EQ(deliver::FieldTypeName(mine->type), KithTypeOf(f)) << key;
                EXPECT_EQ(mine->required, f["required"].get<bool>()) << key;
                EXPECT_EQ(mine->label, f.value("label", "")) << key;
                json kith_default = mine->default_mapping.empty() ? json() : json::parse(mine->default_mapping);
                if (auto own = kDefaults.find(key); own != kDefaults.end()) {
                    used_defaults.insert(key);
                    EXPECT_EQ(kith_default, json::parse(own->second.kith)) << key << " (kept: " << own->second.why << ")";
                    EXPECT_NE(kith_default, f.value("default", json())) << key << " is listed as different but is not";
                } else {
                    EXPECT_EQ(kith_default, f.value("default", json())) << key << ": Segment's default";
                }
            }
            for (const auto& mine : a->fields) {
                std::string key = type + "." + name + "." + mine.name;
                if (!theirs["fields"].contains(mine.name)) {
                    EXPECT_TRUE(kFieldsOnlyInKith.contains(key)) << key << ": not a field of Segment's action";
                }
            }
        }
    }
    for (const auto& [key, _] : kDefaults) EXPECT_TRUE(used_defaults.contains(key)) << key << " is not a field";
}

TEST(SegmentReference, SettingsAreSegments) {
    json wanted = json::object();
    for (const auto& [type, _] : kShared) wanted[type] = json::array();
    json ref = Reference({{"definitions", wanted}});
    ASSERT_TRUE(ref.is_object());
    for (const auto& [type, _] : kShared) {
        const deliver::DestinationType* t = deliver::FindDestinationType(type);
        ASSERT_NE(t, nullptr);
        const json& theirs = ref["definitions"][type]["settings"];
        ASSERT_TRUE(theirs.is_object() && !theirs.empty()) << type;
        for (const auto& [name, s] : theirs.items()) {
            std::string key = type + "." + name;
            auto mine = std::find_if(t->settings.begin(), t->settings.end(), [&](const auto& x) { return x.name == name; });
            ASSERT_NE(mine, t->settings.end()) << key << ": kith lacks Segment's setting";
            EXPECT_EQ(deliver::SettingKindName(mine->kind), KithKindOf(s)) << key;
            EXPECT_EQ(mine->label, s.value("label", "")) << key;
            if (!kSettingRequired.contains(key)) {
                EXPECT_EQ(mine->required, s["required"].get<bool>()) << key;
            }
            EXPECT_EQ(json(mine->choices), s.value("choices", json::array())) << key;
            EXPECT_EQ(mine->default_value, s.value("default", json("")).get<std::string>()) << key;
        }
        for (const auto& mine : t->settings) {
            if (!theirs.contains(mine.name)) {
                EXPECT_TRUE(kSettingsOnlyInKith.contains(type + "." + mine.name)) << type << "." << mine.name;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

// kith's default mapping of every field of an action, with overrides: the one mapping both sides run.
json FullMapping(const std::string& type, const std::string& action, const json& overrides) {
    const deliver::Action* a = deliver::FindAction(*deliver::FindDestinationType(type), action);
    json m = json::object();
    for (const auto& f : a->fields) {
        if (!f.default_mapping.empty()) m[f.name] = json::parse(f.default_mapping);
    }
    for (const auto& [k, v] : overrides.items()) m[k] = v;
    return m;
}

struct Sent {
    std::string path;
    std::map<std::string, std::string> headers;
    json body;
};

// What kith's destination sends for the events, to a local server answering as the service does.
std::vector<Sent> KithRequests(const std::string& type, const std::string& action, json settings, const json& mapping,
                               const std::vector<json>& events) {
    HttpServer server([&](const HttpServer::Request&) {
        json answer = type == "braze"      ? json{{"message", "success"}}
                      : type == "iterable" ? json{{"msg", ""}, {"code", "Success"}, {"successCount", 1}, {"failCount", 0}}
                                           : json{{"success", true}};
        return HttpServer::Reply{type == "braze" ? 201 : 200, answer.dump(), {}, 0, false};
    });
    settings["type"] = type;
    settings["base_url"] = server.url();
    settings["concurrency"] = 1; // one request at a time: in the events' order
    deliver::DestinationContext ctx;
    ctx.delivery.timeout_ms = 5000;
    ctx.delivery.allow_hosts = {*outbound::ParseAllowRule(server.url().substr(std::string("http://").size()))};
    auto d = deliver::MakeDestination(settings, action, mapping, ctx);
    EXPECT_TRUE(d) << d.error().ToString();
    if (!d) return {};
    std::vector<store::OutboxEvent> outbox;
    for (size_t i = 0; i < events.size(); ++i) {
        store::OutboxEvent e;
        e.id = static_cast<int64_t>(i) + 1;
        e.message_id = events[i].value("messageId", "m" + std::to_string(i));
        e.payload = events[i];
        outbox.push_back(std::move(e));
    }
    for (const auto& o : (*d)->Send(outbox)) EXPECT_EQ(o.kind, deliver::Outcome::DELIVERED) << o.Describe();
    std::vector<Sent> out;
    for (const auto& r : server.Requests()) out.push_back({r.path, r.headers, json::parse(r.body)});
    return out;
}

// The path of a URL (https://host/api/x → /api/x).
std::string PathOf(const std::string& url) {
    size_t slash = url.find('/', url.find("://") + 3);
    return slash == std::string::npos ? "/" : url.substr(slash);
}

struct Case {
    std::string name;
    std::string type, action;
    json settings; // Segment's settings; kith's are the same plus its base_url
    json overrides;
    std::vector<json> events;
    bool batch = true;
};

json Event(const json& overrides) {
    json e = {{"type", "track"},
              {"event", "Audience Entered"},
              {"messageId", "m-1"},
              {"timestamp", "2026-11-28T09:00:00Z"},
              {"userId", "u-1"},
              {"properties", {{"audience_key", "vip"}, {"first_name", "Ada"}}},
              {"context", {{"traits", {{"email", "ada@example.com"}}}}}};
    e.merge_patch(overrides);
    return e;
}

std::vector<Case> Cases() {
    return {
        {"braze events, times in every form",
         "braze",
         "trackEvent",
         {{"api_key", "k"}, {"endpoint", "https://rest.fra-01.braze.eu"}, {"app_id", "app-1"}},
         {},
         {Event({{"timestamp", "2026-11-28T09:00:00"}}), Event({{"userId", "u-2"}, {"timestamp", "2026-11-28 10:00:00Z"}}),
          Event({{"userId", "u-3"}, {"timestamp", "2026-11-28"}}),
          Event({{"userId", "u-4"}, {"timestamp", "2026-11-28T10:00:00.250+01:00"}}),
          Event({{"userId", nullptr}, {"properties", {{"braze_id", "b-5"}}}})}},
        {"braze attributes, standard ones and clashing custom ones",
         "braze",
         "updateUserProfile",
         {{"api_key", "k"}, {"endpoint", "https://rest.iad-01.braze.com"}},
         {{"dob", {{"@path", "$.traits.birthday"}}},
          {"date_of_last_session", {{"@path", "$.traits.last_seen"}}},
          {"subscription_groups", {{"@path", "$.traits.groups"}}},
          {"user_alias", {{"alias_name", {{"@path", "$.traits.alias"}}}, {"alias_label", "crm"}}}},
         {}},
        {"braze purchases", "braze", "trackPurchase", {{"api_key", "k"}, {"endpoint", "https://rest.iad-01.braze.com"}},
         {}, {}},
        {"iterable events, createdAt and dates in dataFields",
         "iterable",
         "trackEvent",
         {{"apiKey", "k"}},
         {},
         {Event({{"timestamp", "2026-11-28 09:00:00"}, {"properties", {{"signed_up", "2026-11-28T10:00:00+01:00"},
                                                                        {"birthday", "1815-12-10"},
                                                                        {"campaignId", 12}}}}),
          Event({{"messageId", "m-2"}, {"timestamp", "2026-11-28"}, {"properties", {{"email", "p@example.com"}}}})}},
        {"iterable users in bulk, updateOnly and phoneNumber",
         "iterable",
         "updateUser",
         {{"apiKey", "k"}},
         {{"updateOnly", true}},
         {},
         true},
        {"iterable one user", "iterable", "updateUser", {{"apiKey", "k"}}, {{"enable_batching", false}}, {}, false},
        {"segment track", "segment", "sendTrack", {{"source_write_key", "wk"}}, {{"ip_address", "1.2.3.4"}}, {}, false},
        {"segment identify", "segment", "sendIdentify", {{"source_write_key", "wk"}},
         {{"address", {{"city", {{"@path", "$.traits.city"}}}}}}, {}, false},
    };
}

// The events of the cases that build theirs from fuller profiles.
void FillEvents(Case& c) {
    if (!c.events.empty() && c.name.find("attributes") == std::string::npos) return;
    json who = {{"type", "identify"},
                {"traits",
                 {{"firstName", "Ada"}, {"lastName", "Lovelace"}, {"gender", "female"}, {"phone", "+441234567"},
                  {"avatar", "https://example.com/ada.png"}, {"address", {{"city", "London"}}},
                  {"birthday", "1815-12-10T00:00:00Z"}, {"last_seen", "2026-11-28 09:00:00"}, {"alias", "ada-crm"},
                  {"email", "ada@example.com"}, {"groups", {{{"subscription_group_id", "g1"},
                                                            {"subscription_state", "subscribed"}}}},
                  {"first_name", "Eve"}, {"country", "XX"}, {"time", "2026"}, {"plan", "pro"}, {"city", "Paris"},
                  {"signed_up", "2026-11-28T09:00:00Z"}}},
                {"context", {{"traits", {{"email", "ada@example.com"}}}, {"location", {{"country", "GB"}, {"latitude", 51.5}, {"longitude", -0.1}}}}}};
    if (c.type == "braze" && c.action == "updateUserProfile") {
        json plain = who;
        plain["userId"] = "u-2";
        plain["messageId"] = "m-2";
        plain["traits"] = {{"vip", true}, {"groups", json::array()}, {"subscription_groups", "kept"}};
        who["userId"] = "u-1";
        who["messageId"] = "m-1";
        who["timestamp"] = "2026-11-28T09:00:00Z";
        plain["timestamp"] = "2026-11-28T09:00:00Z";
        c.events = {who, plain};
    } else if (c.action == "trackPurchase") {
        json products = {{{"product_id", "p-1"}, {"price", 9.5}, {"quantity", 2}, {"name", "Shoes"}},
                         {{"product_id", 325}, {"price", "12"}, {"currency", "EUR"}}};
        c.events = {Event({{"properties", {{"products", products}, {"order", "o-1"}}}})};
    } else if (c.type == "iterable" && c.action == "updateUser") {
        who["userId"] = "u-1";
        who["messageId"] = "m-1";
        json second = who;
        second["userId"] = "u-2";
        second["traits"].erase("phone");
        c.events = c.batch ? std::vector<json>{who, second} : std::vector<json>{who};
    } else if (c.type == "segment") {
        json e = c.action == "sendIdentify" ? who : Event({{"anonymousId", "a-1"}});
        e["userId"] = "u-1";
        e["messageId"] = "m-1";
        e["timestamp"] = "2026-11-28T09:00:00Z";
        c.events = {e};
    }
}

TEST(SegmentReference, RequestsAreThoseSegmentsActionCodeBuilds) {
    std::vector<Case> cases = Cases();
    json input = {{"cases", json::array()}};
    for (auto& c : cases) {
        FillEvents(c);
        json mapping = FullMapping(c.type, c.action, c.overrides);
        input["cases"].push_back({{"destination", c.type}, {"action", c.action}, {"settings", c.settings},
                                  {"mapping", mapping}, {"events", c.events}, {"batch", c.batch}});
    }
    json ref = Reference(input);
    ASSERT_TRUE(ref.is_object());
    ASSERT_EQ(ref["cases"].size(), cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        SCOPED_TRACE(c.name);
        const json& theirs = ref["cases"][i];
        ASSERT_FALSE(theirs.contains("error")) << theirs["error"];
        std::vector<Sent> mine = KithRequests(c.type, c.action, c.settings, input["cases"][i]["mapping"], c.events);
        if (c.type == "segment") {
            // Segment's own destination returns the batch its platform sends to the tracking API.
            ASSERT_EQ(mine.size(), 1u);
            const json& returned = theirs["returned"];
            ASSERT_TRUE(returned.is_array() && !returned.empty());
            EXPECT_EQ(mine[0].path, "/v1/batch");
            EXPECT_EQ(mine[0].body["batch"], returned.back()["data"]["batch"]);
            continue;
        }
        ASSERT_EQ(mine.size(), theirs["requests"].size());
        for (size_t r = 0; r < mine.size(); ++r) {
            json want = theirs["requests"][r];
            EXPECT_EQ(mine[r].path, PathOf(want["url"]));
            EXPECT_EQ(mine[r].headers.contains("x-braze-batch"), want["headers"].contains("x-braze-batch"));
            json body = want["body"];
            if (auto drop = kBodyKeysNotSent.find(c.type + "." + c.action); drop != kBodyKeysNotSent.end()) {
                json* items = body.contains("events") ? &body["events"] : &body;
                auto strip = [&](json& item) { for (const auto& k : drop->second) item.erase(k); };
                if (items->is_array()) for (auto& item : *items) strip(item);
                else strip(*items);
            }
            EXPECT_EQ(mine[r].body, body);
        }
        if (c.type == "braze") {
            ASSERT_FALSE(mine.empty());
            EXPECT_EQ(mine[0].headers["authorization"], "Bearer k");
        }
    }
}

} // namespace
} // namespace kith
