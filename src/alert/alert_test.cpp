#include "alert/alert.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::alert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Problems(const std::vector<Error>& errors) {
    std::string out;
    for (const auto& e : errors) out += e.ToString() + "\n";
    return out;
}

TEST(ParseAlert, AFullBody) {
    auto spec = ParseAlert(json::parse(R"({"kind": "event_health", "target": "welcome", "threshold_pct": 50,
        "channels": [{"type": "email", "to": ["a@x", "ops@example.com"]},
                     {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/xyz"}, {"type": "in_app"}],
        "enabled": false})"));
    ASSERT_TRUE(spec) << Problems(spec.error());
    EXPECT_EQ(spec->kind, store::AlertKind::EVENT_HEALTH);
    EXPECT_EQ(spec->target, "welcome");
    EXPECT_DOUBLE_EQ(spec->threshold_pct, 50);
    EXPECT_EQ(spec->channels.size(), 3u);
    EXPECT_EQ(spec->channels[0]["to"][1], "ops@example.com");
    EXPECT_FALSE(spec->enabled);

    auto minimal = ParseAlert(json::parse(R"({"kind": "audience_size", "target": "vip", "threshold_pct": 12.5,
        "channels": [{"type": "in_app"}]})"));
    ASSERT_TRUE(minimal) << Problems(minimal.error());
    EXPECT_EQ(minimal->kind, store::AlertKind::AUDIENCE_SIZE);
    EXPECT_DOUBLE_EQ(minimal->threshold_pct, 12.5);
    EXPECT_TRUE(minimal->enabled);
}

TEST(ParseAlert, EveryProblemAtItsPointer) {
    auto spec = ParseAlert(json::parse(R"({"kind": "size", "target": "", "threshold_pct": 0, "colour": 1,
        "channels": [{"type": "email", "to": ["nobody", 3]}, {"type": "slack"},
                     {"type": "slack", "url": "ftp://x/y", "channel": "#ops"}, {"type": "pager"}, "in_app",
                     {"type": "in_app"}, {"type": "in_app"}],
        "enabled": "yes"})"));
    ASSERT_FALSE(spec);
    EXPECT_EQ(Problems(spec.error()),
              "/colour: unknown key \"colour\" in an alert (allowed: kind, target, threshold_pct, channels, enabled)\n"
              "/kind: must be \"event_health\" or \"audience_size\", found \"size\"\n"
              "/target: must be a non-empty string, found \"\"\n"
              "/threshold_pct: must be above 0 and at most 1e+06, found 0\n"
              "/channels/0/to/0: not an email address: \"nobody\"\n"
              "/channels/0/to/1: must be a string\n"
              "/channels/1/url: must be the Slack incoming webhook's URL (a string)\n"
              "/channels/2/channel: unknown key \"channel\" in a Slack channel (allowed: type, url)\n"
              "/channels/2/url: must be an https:// address (http:// only to an address [delivery] allow_hosts "
              "lists)\n"
              "/channels/3/type: must be one of \"email\", \"slack\", \"in_app\", found \"pager\"\n"
              "/channels/4: a channel must be an object, found a string\n"
              "/channels/6: in_app is listed twice\n"
              "/enabled: must be true or false, found a string\n");
    for (const auto& e : spec.error()) EXPECT_EQ(e.code, ErrorCode::INVALID);
}

TEST(ParseAlert, MissingFieldsAndWrongShapes) {
    auto spec = ParseAlert(json::object());
    ASSERT_FALSE(spec);
    EXPECT_EQ(Problems(spec.error()),
              "/kind: is required: \"event_health\" or \"audience_size\"\n"
              "/target: is required: the activation's key (event_health) or the audience's key (audience_size)\n"
              "/threshold_pct: is required: the percentage of change that fires the alert\n"
              "/channels: is required: a non-empty array of channels\n");
    auto wrong = ParseAlert(json::parse(R"({"kind": "event_health", "target": "w", "threshold_pct": "50",
                                            "channels": []})"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(Problems(wrong.error()), "/threshold_pct: must be a number, found a string\n"
                                       "/channels: must be a non-empty array of channels, found an array\n");
    auto array = ParseAlert(json::array());
    ASSERT_FALSE(array);
    EXPECT_EQ(Problems(array.error()), "an alert must be an object, found an array\n");
    // Header injection through an address is refused.
    auto injected = ParseAlert(json::parse(R"({"kind": "event_health", "target": "w", "threshold_pct": 5,
        "channels": [{"type": "email", "to": ["a@x\r\nBcc: b@y"]}]})"));
    ASSERT_FALSE(injected);
    EXPECT_EQ(injected.error()[0].location, "/channels/0/to/0");
}

TEST(ParseAlert, SlackUrlsAreHttpsUnlessTheAddressIsAllowed) {
    json body = json::parse(R"({"kind": "event_health", "target": "w", "threshold_pct": 5,
        "channels": [{"type": "slack", "url": "http://127.0.0.1:8099/services/T0"}]})");
    auto plain = ParseAlert(body);
    ASSERT_FALSE(plain);
    EXPECT_EQ(Problems(plain.error()), "/channels/0/url: must be an https:// address (http:// only to an address "
                                       "[delivery] allow_hosts lists)\n");
    std::vector<outbound::AllowRule> allow = {*outbound::ParseAllowRule("127.0.0.1:8099")};
    EXPECT_TRUE(ParseAlert(body, allow));
    body["channels"][0]["url"] = "http://hooks.slack.com/services/T0";
    EXPECT_FALSE(ParseAlert(body, allow));
    body["channels"][0]["url"] = "https://hooks.slack.com/services/T0";
    EXPECT_TRUE(ParseAlert(body));
}

TEST(AlertJson, RedactsSlackUrls) {
    store::AlertRecord a;
    a.id = 4;
    a.spec.kind = store::AlertKind::AUDIENCE_SIZE;
    a.spec.target = "vip";
    a.spec.threshold_pct = 20;
    a.spec.channels = json::parse(R"([{"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/secret"},
                                      {"type": "email", "to": ["a@x"]}])");
    a.created_by = 7;
    a.state.firing = true;
    json j = AlertJson(a);
    EXPECT_EQ(j["channels"][0]["url"], "https://hooks.slack.com/…");
    EXPECT_EQ(j["channels"][1]["to"][0], "a@x");
    EXPECT_EQ(j["kind"], "audience_size");
    EXPECT_EQ(j["created_by"], 7);
    EXPECT_EQ(j["firing"], true);
    EXPECT_TRUE(j["last_checked_at"].is_null());
    EXPECT_EQ(j.dump().find("secret"), std::string::npos);
    EXPECT_EQ(RedactUrl("http://127.0.0.1:8080"), "http://127.0.0.1:8080/…");
}

TEST(CheckTarget, TheActivationOrAudienceMustExist) {
    fs::path dir = fs::temp_directory_path() / ("kith_alert_target_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto store = store::Store::Open((dir / "state.sqlite").string());
    ASSERT_TRUE(store) << store.error().ToString();
    store::AudienceSpec vip;
    vip.key = "vip";
    vip.name = "VIPs";
    ASSERT_TRUE((*store)->UpsertAudience(1, vip));
    store::AlertSpec spec;
    spec.kind = store::AlertKind::AUDIENCE_SIZE;
    spec.target = "vip";
    EXPECT_TRUE((*store)->Transaction([&](store::Tx& tx) { return CheckTarget(tx, 1, spec); }));
    spec.kind = store::AlertKind::EVENT_HEALTH; // no activation is called vip
    auto missing = (*store)->Transaction([&](store::Tx& tx) { return CheckTarget(tx, 1, spec); });
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().ToString(), "/target: no activation has the key \"vip\"");
    EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
    fs::remove_all(dir);
}

} // namespace
} // namespace kith::alert
