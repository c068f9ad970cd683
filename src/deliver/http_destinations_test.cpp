#include "deliver/datetime.hpp"
#include "deliver/http_destination_types.hpp"
#include "deliver/http_destinations.hpp"
#include "deliver/test_event.hpp"

#include "support/destination_servers.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;
using test::HttpServer;

store::OutboxEvent Event(int i, json overrides = json::object()) {
    store::OutboxEvent e;
    e.id = i + 1;
    e.message_id = "m" + std::to_string(i);
    e.event_name = "Audience Entered";
    e.payload = {{"type", "track"},
                 {"event", "Audience Entered"},
                 {"messageId", e.message_id},
                 {"timestamp", "2026-11-28T09:00:00Z"},
                 {"userId", "u" + std::to_string(i)},
                 {"properties", {{"audience_key", "vip"}, {"first_name", "Ada"}, {"i", i}}},
                 {"context", {{"traits", {{"email", "u" + std::to_string(i) + "@example.com"}}}}}};
    e.payload.merge_patch(overrides);
    return e;
}

std::vector<store::OutboxEvent> Events(int n) {
    std::vector<store::OutboxEvent> out;
    for (int i = 0; i < n; ++i) out.push_back(Event(i));
    return out;
}

// The allow rule of a test server's address: "127.0.0.1:PORT" of http://127.0.0.1:PORT/...
outbound::AllowRule AllowOf(const std::string& url) {
    std::string authority = url.substr(url.find("://") + 3);
    auto rule = outbound::ParseAllowRule(authority.substr(0, authority.find('/')));
    EXPECT_TRUE(rule) << url;
    return rule.value_or(outbound::AllowRule{});
}

// The destination, with the address of its local server allowed (internal addresses are refused by default).
std::unique_ptr<Destination> Make(const json& settings, const std::string& action = "",
                                  const json& mapping = nullptr) {
    DestinationContext ctx;
    ctx.delivery.timeout_ms = 2000;
    ctx.delivery.allow_hosts = {AllowOf(settings.value("url", settings.value("base_url", "")))};
    auto d = MakeDestination(settings, action, mapping, ctx);
    EXPECT_TRUE(d) << d.error().ToString();
    return d ? std::move(*d) : nullptr;
}

std::vector<Outcome::Kind> Kinds(const std::vector<Outcome>& outcomes) {
    std::vector<Outcome::Kind> k;
    for (const auto& o : outcomes) k.push_back(o.kind);
    return k;
}

TEST(Webhook, OneRequestPerEventWithTheMethodAndHeaders) {
    HttpServer hook([](const HttpServer::Request&) { return HttpServer::Reply{}; });
    auto d = Make({{"type", "webhook"}, {"url", hook.url() + "/in"}, {"method", "PUT"},
                   {"headers", {{"X-Token", "s3cret"}}}});
    auto events = Events(3);
    auto out = d->Send(events);
    EXPECT_EQ(Kinds(out), std::vector<Outcome::Kind>(3, Outcome::DELIVERED));
    auto seen = hook.Requests();
    ASSERT_EQ(seen.size(), 3u);
    std::vector<json> bodies;
    for (const auto& r : seen) {
        EXPECT_EQ(r.method, "PUT");
        EXPECT_EQ(r.path, "/in");
        EXPECT_EQ(r.headers.at("x-token"), "s3cret");
        bodies.push_back(json::parse(r.body));
    }
    std::sort(bodies.begin(), bodies.end(), [](const json& a, const json& b) { return a["messageId"] < b["messageId"]; });
    for (int i = 0; i < 3; ++i) EXPECT_EQ(bodies[i], events[i].payload); // mapping null: the event itself
}

TEST(Webhook, BatchesAreArraysAndA207GivesOneStatusPerEvent) {
    HttpServer hook([](const HttpServer::Request& r) {
        json batch = json::parse(r.body);
        json results = json::array();
        for (const auto& e : batch) {
            int i = e["properties"]["i"];
            results.push_back(i % 3 == 0 ? json{{"status", 200}}
                              : i % 3 == 1 ? json{{"status", 429}, {"error", "slow down"}}
                                           : json{{"status", 400}, {"error", "bad email"}});
        }
        return HttpServer::Reply{207, json{{"results", results}}.dump(), {{"Retry-After", "3"}}, 0, false};
    });
    auto d = Make({{"type", "webhook"}, {"url", hook.url() + "/batch"}, {"batch_size", 3}, {"concurrency", 2}});
    EXPECT_EQ(d->MaxBatch(), 6u);
    auto out = d->Send(Events(6));
    ASSERT_EQ(hook.RequestCount(), 2u);
    for (const auto& r : hook.Requests()) EXPECT_EQ(json::parse(r.body).size(), 3u);
    for (int i = 0; i < 6; ++i) {
        Outcome::Kind want = i % 3 == 0 ? Outcome::DELIVERED : i % 3 == 1 ? Outcome::RETRY : Outcome::FAILED;
        EXPECT_EQ(out[i].kind, want) << i;
    }
    EXPECT_EQ(out[1].Describe(), "status 429: slow down");
    EXPECT_EQ(out[1].retry_after_ms, 3000);
    EXPECT_EQ(out[2].Describe(), "status 400: bad email");

    // A 207 without one status per event is retried as a whole: never counted delivered on a guess.
    hook.Script({HttpServer::Reply{207, "[{\"status\": 200}]", {}, 0, false}});
    auto unclear = d->Send(Events(3));
    EXPECT_EQ(Kinds(unclear), std::vector<Outcome::Kind>(3, Outcome::RETRY));
}

TEST(Braze, TrackEventSendsTheDefaultMappingInBatchesOf75) {
    test::BrazeServer braze("braze-key");
    braze.RejectExternalId("u3");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url() + "/"}, {"api_key", "braze-key"}});
    auto events = Events(80);
    events[5].payload.erase("userId"); // no identifier at all: failed before sending
    events[5].payload.erase("context");
    auto out = d->Send(events);
    ASSERT_EQ(braze.http().RequestCount(), 2u); // 79 objects: 75 + 4
    EXPECT_EQ(out[5].kind, Outcome::FAILED);
    EXPECT_EQ(out[5].error, "Braze needs one of external_id, user_alias (with alias_name and alias_label), braze_id or "
                            "email, and the event has none");
    EXPECT_EQ(out[3].kind, Outcome::FAILED); // a non-fatal error for that object in a 201
    EXPECT_EQ(out[3].Describe(), "status 201: Braze: Invalid 'external_id'");
    int delivered = 0;
    for (const auto& o : out) delivered += o.kind == Outcome::DELIVERED;
    EXPECT_EQ(delivered, 78);
    auto got = braze.Events();
    ASSERT_EQ(got.size(), 78u);
    std::sort(got.begin(), got.end(), [](const json& a, const json& b) { return a["properties"]["i"] < b["properties"]["i"]; });
    EXPECT_EQ(got[0], (json{{"external_id", "u0"},
                            {"email", "u0@example.com"},
                            {"name", "Audience Entered"},
                            {"time", "2026-11-28T09:00:00.000Z"},
                            {"properties", {{"audience_key", "vip"}, {"first_name", "Ada"}, {"i", 0}}},
                            {"_update_existing_only", false}}));
    for (const auto& r : braze.http().Requests()) {
        EXPECT_EQ(r.path, "/users/track");
        EXPECT_EQ(r.headers.at("x-braze-batch"), "true"); // more than one object
    }
}

TEST(Braze, UpdateUserProfileFlattensCustomAttributesAndAWrongKeyFails) {
    test::BrazeServer braze("braze-key");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}}, "updateUserProfile");
    store::OutboxEvent identify = Event(1, {{"type", "identify"}, {"traits", {{"vip", true}, {"firstName", "Ada"}}}});
    auto out = d->Send(std::vector{identify});
    ASSERT_EQ(out[0].kind, Outcome::DELIVERED) << out[0].Describe();
    ASSERT_EQ(braze.Attributes().size(), 1u);
    EXPECT_EQ(braze.Attributes()[0], (json{{"external_id", "u1"},
                                           {"email", "u1@example.com"},
                                           {"vip", true},
                                           {"first_name", "Ada"},
                                           {"_update_existing_only", false}}));
    EXPECT_FALSE(braze.http().Requests()[0].headers.contains("x-braze-batch")); // one object

    auto wrong = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "nope"}}, "updateUserProfile");
    auto refused = wrong->Send(Events(2));
    EXPECT_EQ(Kinds(refused), std::vector<Outcome::Kind>(2, Outcome::FAILED));
    EXPECT_EQ(refused[0].status, 401);
    EXPECT_NE(refused[0].error.find("Invalid API key"), std::string::npos) << refused[0].error;
}

TEST(Iterable, BulkCustomEventsWithInvalidEmailsFailedOneByOne) {
    test::IterableServer iterable("it-key");
    auto d = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}});
    auto events = Events(4);
    events[2].payload["context"]["traits"]["email"] = "not-an-email";
    auto out = d->Send(events);
    ASSERT_EQ(iterable.http().RequestCount(), 1u);
    EXPECT_EQ(iterable.http().Requests()[0].path, "/api/events/trackBulk");
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::DELIVERED, Outcome::FAILED,
                                                      Outcome::DELIVERED}));
    EXPECT_EQ(out[2].Describe(), "status 200: Iterable: invalid email not-an-email");
    auto got = iterable.Events();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], (json{{"eventName", "Audience Entered"},
                            {"email", "u0@example.com"},
                            {"userId", "u0"},
                            {"id", "m0"},
                            {"createdAt", 1795856400},
                            {"dataFields", {{"audience_key", "vip"}, {"first_name", "Ada"}, {"i", 0}}}}));
}

TEST(Iterable, SingleEndpointsWhenTheBatchSizeIsOne) {
    test::IterableServer iterable("it-key");
    auto track = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}, {"batch_size", 1}});
    auto events = Events(2);
    events[1].payload["context"]["traits"]["email"] = "broken";
    auto out = track->Send(events);
    EXPECT_EQ(out[0].kind, Outcome::DELIVERED);
    EXPECT_EQ(out[1].kind, Outcome::FAILED);
    EXPECT_EQ(out[1].status, 400);
    EXPECT_NE(out[1].error.find("InvalidEmailAddressError"), std::string::npos);
    for (const auto& r : iterable.http().Requests()) EXPECT_EQ(r.path, "/api/events/track");

    auto users = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "updateUser");
    auto up = users->Send(Events(2));
    EXPECT_EQ(Kinds(up), std::vector<Outcome::Kind>(2, Outcome::DELIVERED));
    EXPECT_EQ(iterable.http().Requests().back().path, "/api/users/bulkUpdate");
    ASSERT_EQ(iterable.Users().size(), 2u);
    EXPECT_EQ(iterable.Users()[0]["dataFields"]["first_name"], "Ada"); // no traits on a track event: its properties
    EXPECT_FALSE(iterable.Users()[0].contains("preferUserId")); // sent only when mapped
}

// The JSON bodies of a server's requests, in order.
std::vector<json> Bodies(HttpServer& server) {
    std::vector<json> out;
    for (const auto& r : server.Requests()) out.push_back(json::parse(r.body));
    return out;
}

TEST(Iterable, CreatedAtIsWholeSecondsForEveryDatetimeTheMappingAccepts) {
    test::IterableServer iterable("it-key");
    auto d = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}, {"batch_size", 1}}, "",
                  {{"createdAt", {{"@path", "$.properties.when"}}}, {"dataFields", nullptr}});
    const std::vector<json> forms = {"2026-11-28T09:00:00", "2026-11-28 09:00:00Z", "2026-11-28",
                                     "2026-11-28T10:00:00.999+01:00", 1795856400, 1795856400999};
    const std::vector<int64_t> want = {1795856400, 1795856400, 1795824000, 1795856400, 1795856400, 1795856400};
    std::vector<store::OutboxEvent> events;
    for (size_t i = 0; i < forms.size(); ++i) {
        events.push_back(Event(static_cast<int>(i), {{"properties", {{"when", forms[i]}}}}));
    }
    auto out = d->Send(events);
    EXPECT_EQ(Kinds(out), std::vector<Outcome::Kind>(forms.size(), Outcome::DELIVERED));
    auto bodies = Bodies(iterable.http()); // one request per event, several at once: in any order
    std::sort(bodies.begin(), bodies.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
    ASSERT_EQ(bodies.size(), forms.size());
    for (size_t i = 0; i < forms.size(); ++i) {
        std::string n = std::to_string(i);
        EXPECT_EQ(bodies[i], (json{{"eventName", "Audience Entered"}, {"email", "u" + n + "@example.com"},
                                   {"userId", "u" + n}, {"id", "m" + n}, {"createdAt", want[i]},
                                   {"dataFields", json::object()}}))
            << forms[i];
    }
}

TEST(Iterable, PreferUserIdGoesOnlyWhenMapped) {
    test::IterableServer iterable("it-key");
    auto mapped = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "updateUser",
                       {{"preferUserId", true}, {"dataFields", {{"plan", "pro"}}}});
    ASSERT_EQ(Kinds(mapped->Send(Events(1))), std::vector<Outcome::Kind>{Outcome::DELIVERED});
    EXPECT_EQ(Bodies(iterable.http()).back(),
              (json{{"users", {{{"email", "u0@example.com"}, {"userId", "u0"}, {"dataFields", {{"plan", "pro"}}},
                                {"preferUserId", true}, {"mergeNestedObjects", false}}}}}));
}

TEST(Iterable, AnItemFailedForAnUnlistedReasonIsNotDelivered) {
    test::IterableServer iterable("it-key");
    iterable.FailWithoutListing("u1");
    auto d = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "updateUser");
    auto events = Events(3);
    events[2].payload["context"]["traits"]["email"] = "not-an-email";
    auto out = d->Send(events);
    // failCount 2, one listed (the invalid email): the two others cannot be told apart, so both go again.
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::RETRY, Outcome::RETRY, Outcome::FAILED}));
    EXPECT_EQ(out[0].Describe(), "status 200: Iterable counted 2 failed of the batch but listed 1: the events it did "
                                 "not list are sent again");
    EXPECT_EQ(out[2].Describe(), "status 200: Iterable: invalid email not-an-email");

    // Reasons listed in failedUpdates count as listed.
    iterable.http().Script({HttpServer::Reply{
        200, json{{"successCount", 1}, {"failCount", 1}, {"failedUpdates", {{"forgottenUserIds", {"u1"}}}}}.dump(), {},
        0, false}});
    auto again = d->Send(Events(2));
    EXPECT_EQ(Kinds(again), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::FAILED}));
    EXPECT_EQ(again[1].Describe(), "status 200: Iterable: failedUpdates.forgottenUserIds u1");
}

TEST(Braze, TimeIsIsoTextWhateverTheMappedValue) {
    test::BrazeServer braze("braze-key");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}}, "",
                  {{"time", {{"@path", "$.properties.when"}}}, {"properties", nullptr}});
    const std::vector<json> forms = {1795856400, 1795856400250, "2026-11-28 09:00:00", "2026-11-28T10:00:00+01:00",
                                     "2026-11-28"};
    const std::vector<std::string> want = {"2026-11-28T09:00:00.000Z", "2026-11-28T09:00:00.250Z",
                                           "2026-11-28T09:00:00.000Z", "2026-11-28T09:00:00.000Z",
                                           "2026-11-28T00:00:00.000Z"};
    std::vector<store::OutboxEvent> events;
    for (size_t i = 0; i < forms.size(); ++i) {
        events.push_back(Event(static_cast<int>(i), {{"properties", {{"when", forms[i]}}}}));
    }
    EXPECT_EQ(Kinds(d->Send(events)), std::vector<Outcome::Kind>(forms.size(), Outcome::DELIVERED));
    json expected = json::array();
    for (size_t i = 0; i < forms.size(); ++i) {
        std::string n = std::to_string(i);
        expected.push_back({{"external_id", "u" + n}, {"email", "u" + n + "@example.com"}, {"name", "Audience Entered"},
                            {"time", want[i]}, {"_update_existing_only", false}});
    }
    std::vector<json> want_bodies = {json{{"events", expected}}};
    EXPECT_EQ(Bodies(braze.http()), want_bodies);
}

TEST(Braze, AUserAliasCountsOnlyWithBothParts) {
    test::BrazeServer braze("braze-key");
    json alias = {{"alias_name", {{"@path", "$.properties.alias"}}}, {"alias_label", {{"@path", "$.properties.label"}}}};
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}}, "updateUserProfile",
                  {{"external_id", {{"@path", "$.properties.id"}}}, {"email", nullptr}, {"user_alias", alias},
                   {"custom_attributes", {{"vip", true}}}});
    std::vector<store::OutboxEvent> events = {
        Event(0, {{"properties", {{"alias", "a0"}, {"label", "crm"}}}}), // the alias alone identifies
        Event(1, {{"properties", {{"alias", "a1"}}}}),                   // half an alias: no identifier
        Event(2, {{"properties", {{"alias", "a2"}, {"id", "x2"}}}}),     // half an alias beside an external_id
    };
    auto out = d->Send(events);
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::FAILED, Outcome::DELIVERED}));
    EXPECT_EQ(out[1].error, "Braze needs one of external_id, user_alias (with alias_name and alias_label), braze_id or "
                            "email, and the event has none");
    json attributes = {{{"user_alias", {{"alias_name", "a0"}, {"alias_label", "crm"}}}, {"vip", true},
                        {"_update_existing_only", false}},
                       {{"external_id", "x2"}, {"vip", true}, {"_update_existing_only", false}}};
    std::vector<json> want = {json{{"attributes", attributes}}};
    EXPECT_EQ(Bodies(braze.http()), want);
}

TEST(Braze, UpdateUserProfileSendsStandardAttributesInBrazesFormsAndReservesTheirNames) {
    test::BrazeServer braze("braze-key");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}}, "updateUserProfile",
                  {{"dob", {{"@path", "$.traits.birthday"}}},
                   {"date_of_first_session", {{"@path", "$.traits.first_seen"}}},
                   {"subscription_groups", {{"@path", "$.traits.groups"}}},
                   {"push_tokens", {{"@path", "$.traits.tokens"}}}});
    json traits = {{"firstName", "Ada"}, {"lastName", "Lovelace"}, {"gender", "Woman"}, {"phone", "+441234"},
                   {"avatar", "https://x/ada.png"}, {"address", {{"city", "London"}}}, {"birthday", "1815-12-10"},
                   {"first_seen", "2026-11-28 09:00:00"}, {"groups", json::array()},
                   {"tokens", {{{"app_id", "a"}, {"token", "t"}}}},
                   // custom attributes named like a field are never sent as custom attributes
                   {"country", "XX"}, {"first_name", "Eve"}, {"time", 1}, {"subscription_groups", "kept"},
                   {"plan", "pro"}};
    store::OutboxEvent identify = Event(1, {{"type", "identify"}, {"traits", traits},
                                            {"context", {{"location", {{"country", "GB"}, {"latitude", 51.5}}}}}});
    ASSERT_EQ(Kinds(d->Send(std::vector{identify})), std::vector<Outcome::Kind>{Outcome::DELIVERED});
    json want = {{"external_id", "u1"}, {"email", "u1@example.com"}, {"country", "GB"}, {"current_location", {{"latitude", 51.5}}},
                 {"first_name", "Ada"}, {"last_name", "Lovelace"}, {"gender", "F"}, {"phone", "+441234"},
                 {"image_url", "https://x/ada.png"}, {"home_city", "London"}, {"dob", "1815-12-10"},
                 {"date_of_first_session", "2026-11-28T09:00:00.000Z"},
                 {"push_tokens", {{{"app_id", "a"}, {"token", "t"}}}},
                 // an empty subscription_groups field leaves the custom attribute of that name (Segment's rule)
                 {"subscription_groups", "kept"}, {"plan", "pro"}, {"birthday", "1815-12-10"},
                 {"first_seen", "2026-11-28 09:00:00"}, {"groups", json::array()},
                 {"tokens", {{{"app_id", "a"}, {"token", "t"}}}}, {"address", {{"city", "London"}}},
                 {"_update_existing_only", false}};
    std::vector<json> bodies = {json{{"attributes", {want}}}};
    EXPECT_EQ(Bodies(braze.http()), bodies);
}

TEST(Braze, TrackPurchaseSendsOnePurchasePerProductInUsdUnlessSaid) {
    test::BrazeServer braze("braze-key");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}, {"app_id", "app-1"}},
                  "trackPurchase",
                  {{"products", {{"@arrayPath", {"$.properties.cart", {{"product_id", {{"@path", "$.SKU"}}},
                                                                       {"price", {{"@path", "$.PRICE"}}},
                                                                       {"currency", {{"@path", "$.CURRENCY"}}},
                                                                       {"quantity", {{"@path", "$.QTY"}}},
                                                                       {"name", {{"@path", "$.NAME"}}}}}}}},
                   {"properties", {{"order", {{"@path", "$.properties.order"}}}}}});
    json cart = {{{"SKU", 324}, {"PRICE", 9.5}, {"QTY", 2}, {"NAME", "Shoes"}},
                 {{"SKU", "325"}, {"PRICE", "12"}, {"CURRENCY", "EUR"}, {"NAME", "Socks"}}};
    auto events = std::vector{Event(0, {{"properties", {{"cart", cart}, {"order", "o-1"}}}}),
                              Event(1, {{"properties", {{"cart", {{{"SKU", "x"}}}}}}}), // no price
                              Event(2, {{"properties", {{"cart", json::array()}}}})};
    auto out = d->Send(events);
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::FAILED, Outcome::FAILED}));
    EXPECT_EQ(out[1].error, "products[0]: a product needs a price, a number");
    EXPECT_EQ(out[2].error, "the event has no products: no purchase to send");
    json base = {{"external_id", "u0"}, {"email", "u0@example.com"}, {"app_id", "app-1"},
                 {"time", "2026-11-28T09:00:00.000Z"}, {"_update_existing_only", false}};
    json first = base, second = base;
    first.update({{"product_id", "324"}, {"price", 9.5}, {"currency", "USD"}, {"quantity", 2},
                  {"properties", {{"name", "Shoes"}, {"order", "o-1"}}}});
    second.update({{"product_id", "325"}, {"price", 12.0}, {"currency", "EUR"},
                   {"properties", {{"name", "Socks"}, {"order", "o-1"}}}});
    std::vector<json> bodies = {json{{"purchases", {first, second}}}};
    EXPECT_EQ(Bodies(braze.http()), bodies);
    EXPECT_EQ(braze.http().Requests()[0].headers.at("x-braze-batch"), "true");
}

TEST(Braze, PurchasesFillRequestsBy75ObjectsAndAnInvalidOneFailsItsEvent) {
    test::BrazeServer braze("braze-key");
    braze.RejectExternalId("u1");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}}, "trackPurchase",
                  {{"products", {{"@path", "$.properties.products"}}}});
    json products = json::array();
    for (int i = 0; i < 30; ++i) products.push_back({{"product_id", std::to_string(i)}, {"price", 1}});
    std::vector<store::OutboxEvent> events;
    for (int i = 0; i < 3; ++i) events.push_back(Event(i, {{"properties", {{"products", products}}}}));
    auto out = d->Send(events);
    // 90 purchase objects: 60 in one request, 30 in another; the second event's are rejected.
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::FAILED, Outcome::DELIVERED}));
    EXPECT_EQ(out[1].Describe(), "status 201: Braze: Invalid 'external_id'");
    auto bodies = Bodies(braze.http());
    ASSERT_EQ(bodies.size(), 2u);
    std::vector<size_t> sizes = {bodies[0]["purchases"].size(), bodies[1]["purchases"].size()};
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<size_t>{30, 60}));
}

TEST(Iterable, UsersCarryPhoneNumberAndIterableDatesInDataFieldsAndUpdateOnlyOnBulk) {
    test::IterableServer iterable("it-key");
    auto d = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "updateUser",
                  {{"updateOnly", true}});
    store::OutboxEvent identify = Event(0, json::parse(R"({"type": "identify", "traits": {
        "phone": "+14158675309", "email": "ada@example.com", "signed_up": "2026-11-28T10:00:00+01:00",
        "birthday": "1815-12-10", "orders": [{"at": "2026-11-28 09:00:00.5Z", "note": "2026-11-28t09:00:00"}]}})"));
    ASSERT_EQ(Kinds(d->Send(std::vector{identify})), std::vector<Outcome::Kind>{Outcome::DELIVERED});
    json user = json::parse(R"({"email": "ada@example.com", "userId": "u0", "mergeNestedObjects": false,
        "dataFields": {"phone": "+14158675309", "email": "ada@example.com", "signed_up": "2026-11-28 09:00:00 +00:00",
                       "birthday": "1815-12-10",
                       "orders": [{"at": "2026-11-28 09:00:00 +00:00", "note": "2026-11-28t09:00:00"}],
                       "phoneNumber": "+14158675309"}})");
    std::vector<json> bodies = {json{{"updateOnly", true}, {"users", {user}}}};
    EXPECT_EQ(Bodies(iterable.http()), bodies);
    EXPECT_EQ(iterable.http().Requests()[0].path, "/api/users/bulkUpdate");
}

TEST(Iterable, SegmentsBatchingFieldsAndDefaultsChooseEndpointsAndAttribution) {
    test::IterableServer iterable("it-key");
    // enable_batching false: the single-event endpoint, as Segment's perform.
    auto d = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "trackEvent",
                  {{"enable_batching", false}});
    EXPECT_EQ(d->MaxBatch(), 4u);
    auto e = Event(0, {{"properties", {{"campaignId", 42}, {"templateId", 7.0}, {"email", "p@example.com"}}}});
    ASSERT_EQ(Kinds(d->Send(std::vector{e})), std::vector<Outcome::Kind>{Outcome::DELIVERED});
    EXPECT_EQ(iterable.http().Requests()[0].path, "/api/events/track");
    json body = json::parse(iterable.http().Requests()[0].body);
    EXPECT_EQ(body["campaignId"], 42);
    EXPECT_EQ(body["templateId"], 7);
    EXPECT_EQ(body["email"], "p@example.com"); // the event's own email before the context's (Segment's default)
    auto small = Make({{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}}, "trackEvent",
                      {{"batch_size", 10}});
    EXPECT_EQ(small->MaxBatch(), 40u);
    EXPECT_EQ(http_types::IterableBase({{"dataCenterLocation", "europe"}}), "https://api.eu.iterable.com");
    EXPECT_EQ(http_types::IterableBase(json::object()), "https://api.iterable.com");
    EXPECT_EQ(http_types::SegmentBase({{"region", "eu-west-1"}}), "https://events.eu1.segmentapis.com");
    EXPECT_EQ(http_types::SegmentBase({{"region", "eu-west-1"}, {"base_url", "http://x"}}), "http://x");
}

TEST(Segment, TypedActionsBuildTrackAndIdentifyCalls) {
    test::SegmentServer segment("wk");
    auto track = Make({{"type", "segment"}, {"base_url", segment.url()}, {"source_write_key", "wk"}}, "sendTrack",
                      {{"ip_address", "1.2.3.4"}, {"consent", {{"categoryPreferences", {{"ads", false}}}}}});
    auto identify = Make({{"type", "segment"}, {"base_url", segment.url()}, {"source_write_key", "wk"}},
                         "sendIdentify", {{"address", {{"city", {{"@path", "$.traits.city"}}}}}});
    auto anonymous = Event(1);
    anonymous.payload.erase("userId");
    auto out = track->Send(std::vector{Event(0), anonymous});
    EXPECT_EQ(Kinds(out), (std::vector<Outcome::Kind>{Outcome::DELIVERED, Outcome::FAILED}));
    EXPECT_EQ(out[1].error, "Segment needs a user_id or an anonymous_id, and the event has neither");
    auto who = Event(2, {{"type", "identify"}, {"traits", {{"plan", "pro"}, {"city", "Paris"}}}});
    ASSERT_EQ(Kinds(identify->Send(std::vector{who})), std::vector<Outcome::Kind>{Outcome::DELIVERED});
    auto got = segment.Events();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], (json{{"type", "track"}, {"event", "Audience Entered"}, {"userId", "u0"}, {"messageId", "m0"},
                            {"timestamp", "2026-11-28T09:00:00Z"},
                            {"properties", {{"audience_key", "vip"}, {"first_name", "Ada"}, {"i", 0}}},
                            {"context", {{"traits", {{"email", "u0@example.com"}}}, {"ip", "1.2.3.4"},
                                         {"consent", {{"categoryPreferences", {{"ads", false}}}}}}}}));
    EXPECT_EQ(got[1], (json{{"type", "identify"}, {"userId", "u2"}, {"messageId", "m2"},
                            {"timestamp", "2026-11-28T09:00:00Z"},
                            {"traits", {{"plan", "pro"}, {"city", "Paris"}, {"address", {{"city", "Paris"}}}}},
                            {"context", {{"consent", json::object()}}}}));
}

TEST(Segment, BatchesWithBasicAuthUnder500KB) {
    test::SegmentServer segment("wk");
    auto d = Make({{"type", "segment"}, {"base_url", segment.url()}, {"source_write_key", "wk"}, {"batch_size", 100}});
    auto events = Events(30);
    for (auto& e : events) e.payload["properties"]["blob"] = std::string(30 * 1024, 'x'); // 30 KB each
    auto out = d->Send(events);
    EXPECT_EQ(Kinds(out), std::vector<Outcome::Kind>(30, Outcome::DELIVERED));
    EXPECT_EQ(segment.Events().size(), 30u);
    ASSERT_GE(segment.http().RequestCount(), 2u); // 900 KB does not fit one request
    for (const auto& r : segment.http().Requests()) EXPECT_LE(r.body.size(), 500u * 1024);
    auto wrong = Make({{"type", "segment"}, {"base_url", segment.url()}, {"source_write_key", "other"}});
    auto refused = wrong->Send(Events(1));
    EXPECT_EQ(refused[0].kind, Outcome::FAILED);
    EXPECT_EQ(refused[0].status, 401);
}

TEST(HttpDestination, ServerFailuresAreRetriedAndPermanentOnesFailed) {
    test::BrazeServer braze("k");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "k"}});
    braze.http().Script({HttpServer::Reply{503, "busy", {}, 0, false},
                         HttpServer::Reply{429, "{}", {{"X-RateLimit-Reset", "4102444800"}}, 0, false},
                         HttpServer::Reply{400, "{\"message\":\"bad\"}", {}, 0, false},
                         HttpServer::Reply{500, "", {}, 0, true}});
    auto a = d->Send(Events(2));
    EXPECT_EQ(Kinds(a), std::vector<Outcome::Kind>(2, Outcome::RETRY));
    EXPECT_EQ(a[0].Describe(), "status 503: busy");
    auto b = d->Send(Events(1));
    EXPECT_EQ(b[0].kind, Outcome::RETRY);
    ASSERT_TRUE(b[0].retry_after_ms); // from X-RateLimit-Reset (the year 2100)
    EXPECT_GT(*b[0].retry_after_ms, int64_t{365} * 24 * 3600 * 1000);
    auto c = d->Send(Events(1));
    EXPECT_EQ(c[0].kind, Outcome::FAILED);
    auto dropped = d->Send(Events(1));
    EXPECT_EQ(dropped[0].kind, Outcome::RETRY);
    EXPECT_EQ(dropped[0].status, 0);
    EXPECT_TRUE(braze.Events().empty());
}

TEST(HttpDestination, ProbeShowsTheRequestWithSecretsRedactedAndTheAnswer) {
    test::BrazeServer braze("braze-key");
    auto d = Make({{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "braze-key"}});
    ProbeResult p = d->Probe(Event(7));
    EXPECT_EQ(p.outcome.kind, Outcome::DELIVERED);
    ASSERT_EQ(p.exchanges.size(), 1u);
    const json& rq = p.exchanges[0].request;
    EXPECT_EQ(rq["method"], "POST");
    EXPECT_EQ(rq["url"], braze.url() + "/users/track");
    EXPECT_EQ(rq["headers"]["Authorization"], "(redacted)");
    EXPECT_EQ(rq["body"]["events"][0]["external_id"], "u7");
    EXPECT_EQ(p.exchanges[0].response["status"], 201);
    EXPECT_EQ(p.exchanges[0].response["body"]["message"], "success");
    EXPECT_EQ(p.exchanges[0].request.dump().find("braze-key"), std::string::npos);
}

TEST(SendTestEvent, SendsOneEventNowWithATestMessageId) {
    test::IterableServer iterable("it-key");
    store::ActivationRecord a;
    a.id = 3;
    a.spec.key = "vip_iterable";
    a.spec.destination = {{"type", "iterable"}, {"base_url", iterable.url()}, {"apiKey", "it-key"}};
    a.spec.action = "trackEvent";
    DestinationContext ctx;
    ctx.delivery.allow_hosts = {AllowOf(iterable.url())};
    auto r = SendTestEvent(a, Event(4).payload, ctx);
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(r->outcome.kind, Outcome::DELIVERED);
    ASSERT_EQ(iterable.Events().size(), 1u);
    EXPECT_EQ(iterable.Events()[0]["id"], "test-m4"); // not the real event's id: Iterable would drop that one later
    ASSERT_EQ(r->exchanges.size(), 1u);
    EXPECT_EQ(r->exchanges[0].request["headers"]["Api-Key"], "(redacted)");
    EXPECT_EQ(r->exchanges[0].response["body"]["successCount"], 1);

    // A refusal is a result to show, not an error.
    a.spec.destination["apiKey"] = "wrong";
    auto refused = SendTestEvent(a, Event(5).payload, ctx);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->outcome.kind, Outcome::FAILED);
    EXPECT_EQ(refused->exchanges[0].response["status"], 401);
    EXPECT_EQ(refused->exchanges[0].response["body"]["code"], "BadApiKey");
    a.spec.destination = {{"type", "iterable"}};
    EXPECT_FALSE(SendTestEvent(a, Event(6).payload, ctx));
}

// "Send test event" to an internal address: nothing is sent, and the exchange shows the refusal, never an answer.
TEST(SendTestEvent, ShowsNoAnswerOfARefusedAddress) {
    HttpServer internal([](const HttpServer::Request&) {
        return HttpServer::Reply{200, "{\"instance\":\"i-secret\"}", {}, 0, false};
    });
    store::ActivationRecord a;
    a.id = 4;
    a.spec.key = "vip_hook";
    a.spec.destination = {{"type", "webhook"}, {"url", internal.url() + "/latest/meta-data/"}};
    a.spec.action = "send";
    auto r = SendTestEvent(a, Event(1).payload, DestinationContext{});
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(r->outcome.kind, Outcome::RETRY);
    EXPECT_NE(r->outcome.error.find("is a loopback address"), std::string::npos) << r->outcome.error;
    EXPECT_NE(r->outcome.error.find("[delivery] allow_hosts"), std::string::npos) << r->outcome.error;
    ASSERT_EQ(r->exchanges.size(), 1u);
    EXPECT_EQ(r->exchanges[0].response["status"], 0);
    EXPECT_EQ(r->exchanges[0].response["body"], "");
    EXPECT_EQ(r->exchanges[0].response.dump().find("i-secret"), std::string::npos);
    EXPECT_EQ(internal.RequestCount(), 0u);
}

TEST(Datetime, EveryFormTheMappingAcceptsHasItsTime) {
    const int64_t at = 1795856400000; // 2026-11-28T09:00:00Z
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T09:00:00Z"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T09:00:00"), at); // no zone: UTC
    EXPECT_EQ(ParseIsoDatetime("2026-11-28 09:00:00Z"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28t09:00z"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T09:00:00.1239Z"), at + 123);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T09:00:00,5Z"), at + 500);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T10:00:00+01:00"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T10:30:00+0130"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28T04:00:00-05"), at);
    EXPECT_EQ(ParseIsoDatetime("2026-11-28"), at - 9 * 3600 * 1000); // a bare date: its midnight UTC
    EXPECT_EQ(ParseIsoDatetime("1969-12-31T23:59:59.5Z"), -500);
    for (const char* bad : {"yesterday", "2026-13-01T00:00:00Z", "2026-02-30", "2026-11-28T24:00:00Z",
                            "2026-11-28T09:00:00+25:00", "2026-11-28T09", "2026-11-28T09:00:00.Z", "2026-11-28Z"}) {
        EXPECT_EQ(ParseIsoDatetime(bad), std::nullopt) << bad;
    }
    EXPECT_TRUE(IsBareDate("2028-02-29"));
    EXPECT_FALSE(IsBareDate("2027-02-29"));
    EXPECT_EQ(DatetimeMillis(1795856400), at); // seconds
    EXPECT_EQ(DatetimeMillis(1795856400123), at + 123); // milliseconds
    EXPECT_EQ(DatetimeMillis(1795856400.5), at + 500);
    EXPECT_EQ(DatetimeMillis(json::object()), std::nullopt);
    EXPECT_EQ(FloorSeconds(-500), -1);
    EXPECT_EQ(IterableDate(at + 999), "2026-11-28 09:00:00 +00:00");
    EXPECT_EQ(IsoDate(at), "2026-11-28");
    EXPECT_EQ(Base64("wk:"), "d2s6");
}

} // namespace
} // namespace kith::deliver
