// `kith deliver`, `kith test-event` and `kith destinations` as scripts use them: a config and a store prepared by
// `kith apply`, events queued through the store API, then the built binary drains them; test events of activations
// that never ran, built from the warehouse, on DuckDB and PostgreSQL.
#include "common/text.hpp"
#include "support/http_server.hpp"
#include "support/fixture_dir.hpp"
#include "support/fixture_events.hpp"
#include "support/pg_server.hpp"
#include "support/run_kith.hpp"
#include "store/store.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Outcome = kith::test::KithOutcome;

class CliDeliver : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir("kith_cli_deliver");
        ASSERT_EQ(kith::test::MakeFixtureDir(root_), "");
        Write("vip.json", R"({"kind": "audience", "key": "vip", "name": "Pro plan",
            "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                           "filter": {"op": "equals", "value": "pro"}}]}]},
            "schedule": {"type": "manual"}, "enabled": true})");
    }
    void TearDown() override { fs::remove_all(root_); }

    Outcome Kith(const std::string& args) { return kith::test::RunKith(args); }
    Outcome Deliver(const std::string& flags) { return Kith("deliver --config " + Config() + " " + flags); }
    std::string Config() { return (root_ / "kith.toml").string(); }
    void Write(const std::string& name, const std::string& text) { std::ofstream(root_ / "dir" / name) << text; }

    // An activation of vip to the given destination (JSON), applied with `kith apply`.
    void ApplyActivation(const std::string& key, const std::string& destination) {
        Write(key + ".json", R"({"kind": "activation", "key": ")" + key + R"(", "audience": "vip",
            "destination": )" + destination +
                                 R"(, "trigger": "profile_enters",
            "identifiers": [{"type": "user_id", "as": "userId"}]})");
        Outcome applied = Kith("apply --config " + Config() + " " + (root_ / "dir").string());
        ASSERT_EQ(applied.code, 0) << applied.err;
    }

    // Queues events m<first>.. for the activation through the store API; returns their payloads.
    std::vector<json> Queue(const std::string& key, int n, int first = 0) {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        EXPECT_TRUE(store) << store.error().ToString();
        auto activation = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.GetActivation(1, key); });
        EXPECT_TRUE(activation && *activation);
        std::vector<kith::store::NewEvent> events;
        std::vector<json> payloads;
        for (int i = first; i < first + n; ++i) {
            std::string id = "m" + std::to_string(i);
            json payload = {{"type", "track"},
                            {"event", "Audience Entered"},
                            {"messageId", id},
                            {"userId", "u" + std::to_string(i)},
                            {"properties", {{"audience_key", "vip"}, {"note", "naïve \"quoted\"\ttab"}}}};
            events.push_back({(*activation)->id, id, "Audience Entered", payload, "", "", ""});
            payloads.push_back(payload);
        }
        auto queued =
            (*store)->Transaction([&](kith::store::Tx& tx) { return tx.EnqueueEvents(std::nullopt, events); });
        EXPECT_TRUE(queued && *queued == n);
        return payloads;
    }

    std::string ReadOut(const std::string& name) {
        return kith::text::ReadFile((root_ / "out" / name).string()).value_or("<missing>");
    }

    static json Summary(const Outcome& o) {
        json s = json::parse(o.out, nullptr, false);
        EXPECT_FALSE(s.is_discarded()) << "stdout is not JSON: " << o.out;
        return s;
    }

    fs::path root_;
};

TEST_F(CliDeliver, UntilIdleAppendsEachEventOnceAndPrintsTheCounts) {
    ApplyActivation("vip_file", R"({"type": "file", "path": "out/events.ndjson"})");
    std::vector<json> payloads = Queue("vip_file", 3);
    Outcome r = Deliver("--until-idle --timeout 30");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(Summary(r), json::parse(R"({"result": "idle", "delivered": 3, "retried": 0, "failed": 0,
                                          "filtered": 0, "pending": 0, "held": []})"));
    std::string expected;
    for (const auto& p : payloads) expected += p.dump() + "\n";
    // Beneath [delivery] file_root (the state store's folder), one line each, in order.
    EXPECT_EQ(ReadOut("events.ndjson"), expected);

    // Again: nothing to send, the file is unchanged; new events are appended.
    Outcome again = Deliver("--until-idle --timeout 60");
    EXPECT_EQ(again.code, 0) << again.err;
    EXPECT_EQ(Summary(again)["delivered"], 0);
    EXPECT_EQ(ReadOut("events.ndjson"), expected);
    std::vector<json> more = Queue("vip_file", 1, 3);
    EXPECT_EQ(Summary(Deliver("--until-idle --timeout 60"))["delivered"], 1);
    EXPECT_EQ(ReadOut("events.ndjson"), expected + more[0].dump() + "\n");
}

TEST_F(CliDeliver, TheTimeoutPassingFirstExitsFour) {
    ApplyActivation("vip_file", R"({"type": "file", "path": "missing/events.ndjson"})");
    Queue("vip_file", 2);
    Outcome r = Deliver("--until-idle --timeout 1");
    EXPECT_EQ(r.code, 4) << r.err;
    json s = Summary(r);
    EXPECT_EQ(s["result"], "timeout");
    EXPECT_EQ(s["delivered"], 0);
    EXPECT_EQ(s["failed"], 0);
    EXPECT_GE(s["retried"].get<int>(), 2);
    EXPECT_EQ(s["pending"], 2);
    EXPECT_NE(r.err.find("the timeout passed with 2 events pending"), std::string::npos) << r.err;
    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    auto e = (*store)->Transaction([](kith::store::Tx& tx) { return tx.GetEvent("m0"); });
    ASSERT_TRUE(e && *e);
    EXPECT_EQ((*e)->status, kith::store::EventStatus::PENDING);
    EXPECT_EQ((*e)->last_error,
              "cannot open " + (root_ / "missing/events.ndjson").string() + ": No such file or directory");
}

TEST_F(CliDeliver, ADisabledActivationKeepsItsEventsPending) {
    ApplyActivation("vip_hook", R"({"type": "webhook", "url": "http://127.0.0.1:9/in"}, "enabled": false)");
    Queue("vip_hook", 2);
    Outcome r = Deliver("--until-idle --timeout 30");
    EXPECT_EQ(r.code, 1);
    json s = Summary(r);
    EXPECT_EQ(s["result"], "held");
    EXPECT_EQ(s["pending"], 2);
    ASSERT_EQ(s["held"].size(), 1u);
    EXPECT_EQ(s["held"][0]["activation"], "vip_hook");
    EXPECT_NE(r.err.find("kith: activation \"vip_hook\": the activation is disabled; its 2 events stay pending"),
              std::string::npos)
        << r.err;
}

TEST_F(CliDeliver, WithoutUntilIdleItRunsUntilTheTimeout) {
    ApplyActivation("vip_file", R"({"type": "file", "path": "out/events.ndjson"})");
    Queue("vip_file", 2);
    Outcome r = Deliver("--timeout 0.5");
    EXPECT_EQ(r.code, 0) << r.err;
    json s = Summary(r);
    EXPECT_EQ(s["result"], "timeout");
    EXPECT_EQ(s["delivered"], 2);
    std::istringstream lines(ReadOut("events.ndjson"));
    int n = 0;
    for (std::string line; std::getline(lines, line); ++n) EXPECT_TRUE(json::accept(line)) << line;
    EXPECT_EQ(n, 2);
}

TEST_F(CliDeliver, WebhookDeliveryAndATestEvent) {
    kith::test::HttpServer hook([](const kith::test::HttpServer::Request& r) {
        json e = json::parse(r.body);
        return kith::test::HttpServer::Reply{e["userId"] == "u2" ? 422 : 200, R"({"ok": true})", {}, 0, false};
    });
    // The local webhook's address is internal: the config allows it.
    std::ofstream(Config(), std::ios::app) << "[delivery]\nallow_hosts = [\"127.0.0.1:" << hook.port() << "\"]\n";
    ApplyActivation("vip_hook", R"({"type": "webhook", "url": ")" + hook.url() +
                                    R"(/events", "headers": {"X-Api-Key": "sekret"}})");
    std::vector<json> payloads = Queue("vip_hook", 3);
    Outcome r = Deliver("--until-idle --timeout 30");
    EXPECT_EQ(r.code, 0) << r.err;
    json s = Summary(r);
    EXPECT_EQ(s["delivered"], 2);
    EXPECT_EQ(s["failed"], 1); // 422: not retried
    ASSERT_EQ(hook.RequestCount(), 3u);
    for (const auto& req : hook.Requests()) {
        EXPECT_EQ(req.path, "/events");
        EXPECT_EQ(req.headers.at("x-api-key"), "sekret");
    }

    // A test event for u1: sent now with a test- messageId; the request is shown with the key redacted.
    Outcome t = Kith("test-event --config " + Config() + " --activation vip_hook --user-id u1 --json");
    EXPECT_EQ(t.code, 0) << t.err;
    json shown = Summary(t);
    EXPECT_EQ(shown["result"], "delivered");
    EXPECT_EQ(shown["message_id"], "test-m1");
    ASSERT_EQ(shown["exchanges"].size(), 1u);
    EXPECT_EQ(shown["exchanges"][0]["request"]["headers"]["X-Api-Key"], "(redacted)");
    EXPECT_EQ(shown["exchanges"][0]["request"]["body"]["messageId"], "test-m1");
    EXPECT_EQ(shown["exchanges"][0]["response"]["status"], 200);
    EXPECT_EQ(shown["exchanges"][0]["response"]["body"], json({{"ok", true}}));
    ASSERT_EQ(hook.RequestCount(), 4u);
    json sent = json::parse(hook.Requests().back().body);
    json expected = payloads[1];
    expected["messageId"] = "test-m1";
    EXPECT_EQ(sent, expected);

    // The destination's refusal is shown, with exit 1; unknown users and activations are errors.
    Outcome refused = Kith("test-event --config " + Config() + " --activation vip_hook --user-id u2");
    EXPECT_EQ(refused.code, 1);
    EXPECT_NE(refused.out.find("failed: status 422: {\"ok\": true}"), std::string::npos) << refused.out;
    Outcome nobody = Kith("test-event --config " + Config() + " --activation vip_hook --user-id u9");
    EXPECT_EQ(nobody.code, 1);
    EXPECT_NE(nobody.err.find("kith: no profile has userId \"u9\" (activation vip_hook: identifier types user_id)"),
              std::string::npos)
        << nobody.err;
    EXPECT_EQ(Kith("test-event --config " + Config() + " --activation nope --user-id u1").code, 1);
    EXPECT_EQ(hook.RequestCount(), 5u);
    // Test events leave the outbox as it was: no new event, the counts unchanged.
    EXPECT_EQ(Summary(Deliver("--until-idle --timeout 30"))["delivered"], 0);
}

// Without an allow rule a local webhook is refused: its events wait with the reason, a test event shows the refusal
// and no answer, and nothing reaches the server. `kith apply` refuses file paths outside the file root.
TEST_F(CliDeliver, InternalAddressesAndPathsOutsideTheFileRootAreRefused) {
    kith::test::HttpServer internal([](const kith::test::HttpServer::Request&) {
        return kith::test::HttpServer::Reply{200, R"({"internal": "answer"})", {}, 0, false};
    });
    ApplyActivation("vip_hook", R"({"type": "webhook", "url": ")" + internal.url() + R"(/hook"})");
    Queue("vip_hook", 1);
    Outcome r = Deliver("--until-idle --timeout 1");
    EXPECT_EQ(r.code, 4) << r.err; // retried until the timeout
    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    auto e = (*store)->Transaction([](kith::store::Tx& tx) { return tx.GetEvent("m0"); });
    ASSERT_TRUE(e && *e);
    EXPECT_EQ((*e)->last_error, "refused to connect: 127.0.0.1 port " + std::to_string(internal.port()) +
                                    " is a loopback address; kith sends to internal addresses only when [delivery] "
                                    "allow_hosts lists them");
    Outcome t = Kith("test-event --config " + Config() + " --activation vip_hook --user-id u0 --json");
    EXPECT_EQ(t.code, 1);
    json shown = Summary(t);
    EXPECT_EQ(shown["result"], "retry");
    EXPECT_NE(shown["error"].get<std::string>().find("is a loopback address"), std::string::npos) << t.out;
    EXPECT_EQ(shown["exchanges"][0]["response"]["body"], "");
    EXPECT_EQ(t.out.find("answer"), std::string::npos) << t.out;
    EXPECT_EQ(internal.RequestCount(), 0u);

    Write("vip_file.json", R"({"kind": "activation", "key": "vip_file", "audience": "vip",
        "destination": {"type": "file", "path": "/etc/passwd"}, "trigger": "profile_enters"})");
    Outcome applied = Kith("apply --config " + Config() + " " + (root_ / "dir").string());
    EXPECT_EQ(applied.code, 1);
    EXPECT_NE(applied.err.find((root_ / "dir" / "vip_file.json").string() +
                               ":/destination/path: \"/etc/passwd\" is outside [delivery] file_root (" +
                               root_.string() + ")"),
              std::string::npos)
        << applied.err;
}

TEST_F(CliDeliver, UsageAndConfigErrors) {
    EXPECT_EQ(Kith("deliver --until-idle").code, 2); // --config is required
    EXPECT_EQ(Kith("deliver --config " + Config() + " --timeout -1").code, 2);
    std::ofstream(root_ / "kith.toml") << "[delivery]\nretry_for_s = \"long\"\n";
    Outcome bad = Deliver("--until-idle --timeout 60");
    EXPECT_EQ(bad.code, 1);
    EXPECT_NE(bad.err.find("kith.toml:2:15: delivery.retry_for_s must be an integer"), std::string::npos) << bad.err;
}

TEST_F(CliDeliver, DestinationsListsTypesActionsAndSettings) {
    Outcome j = Kith("destinations --json");
    ASSERT_EQ(j.code, 0) << j.err;
    json types = Summary(j);
    ASSERT_TRUE(types.is_array());
    std::vector<std::string> names;
    for (const auto& t : types) names.push_back(t["type"]);
    EXPECT_EQ(names, (std::vector<std::string>{"webhook", "braze", "iterable", "segment", "file"}));
    const json& file = types[4];
    EXPECT_EQ(file["implemented"], true);
    EXPECT_EQ(types[0]["implemented"], true);
    EXPECT_EQ(types[1]["actions"][0]["fields"][0]["name"], "name");
    EXPECT_EQ(types[1]["actions"][0]["fields"][0]["required"], true);
    EXPECT_EQ(types[1]["actions"][0]["fields"][0]["default"], json({{"@path", "$.event"}}));
    EXPECT_EQ(file["actions"][0]["name"], "send");
    EXPECT_EQ(file["actions"][0]["default"], true);
    EXPECT_EQ(file["settings"][0]["name"], "path");
    EXPECT_EQ(file["settings"][0]["required"], true);
    EXPECT_EQ(file["settings"].back()["common"], true);
    EXPECT_EQ(types[1]["actions"][1]["name"], "updateUserProfile");
    EXPECT_EQ(types[1]["actions"][1]["label"], "Update User Profile");
    EXPECT_EQ(types[2]["settings"][0]["name"], "apiKey");
    EXPECT_EQ(types[2]["settings"][0]["label"], "API Key");

    Outcome t = Kith("destinations");
    ASSERT_EQ(t.code, 0) << t.err;
    EXPECT_NE(t.out.find("file: a local file"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("webhook: HTTP requests to any URL\n"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("      name                   required  string   the custom event's name; default "
                         "{\"@path\": \"$.event\"}"),
              std::string::npos)
        << t.out;
    EXPECT_NE(t.out.find("trackEvent (default)"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("    path               required  string;"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("    endpoint           required unless base_url string; the REST endpoint of the Braze "
                         "instance (one of: https://rest.iad-01.braze.com, "),
              std::string::npos)
        << t.out;
    EXPECT_NE(t.out.find("europe); default united_states\n"), std::string::npos) << t.out;
}

enum class Backend { DUCKDB, POSTGRES };

// `kith test-event` for activations whose audience never ran, on the fixture warehouse in DuckDB or PostgreSQL.
class CliTestEvent : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir(GetParam() == Backend::DUCKDB ? "kith_cli_test_event_duckdb"
                                                                  : "kith_cli_test_event_pg");
        sink_ = std::make_unique<kith::test::HttpServer>(
            [](const kith::test::HttpServer::Request&) { return kith::test::HttpServer::Reply{}; });
        ASSERT_EQ(kith::test::MakeFixtureDir(root_, "[delivery]\nallow_hosts = [\"127.0.0.1:" +
                                                        std::to_string(sink_->port()) + "\"]\n"),
                  "");
        if (GetParam() == Backend::POSTGRES) {
            auto server = kith::test::PgServer::Shared();
            ASSERT_TRUE(server) << server.error().ToString();
            auto uri = (*server)->FreshDatabase("cli_test_event");
            ASSERT_TRUE(uri) << uri.error().ToString();
            auto from = kith::warehouse::Open("duckdb:" + (root_ / "w.duckdb").string());
            auto to = kith::warehouse::Open(*uri);
            ASSERT_TRUE(from && to);
            auto copied = kith::warehouse::CopySchemas(**from, **to, {"segment", "crm"}, {});
            ASSERT_TRUE(copied) << copied.error().ToString();
            std::string config = kith::text::ReadFile(Config()).value_or("");
            std::ofstream(Config()) << std::regex_replace(config, std::regex("duckdb:w.duckdb"), *uri);
        }
        Write("active_accounts.json", Audience("active_accounts", kith::test::ActiveAccountsDefinition()));
        Write("carts.json", Audience("carts", kith::test::CartsDefinition()));
        std::string url = sink_->url() + "/in";
        Write("accounts_hook.json",
              Activation(kith::test::AccountsActivation("accounts_hook", "active_accounts", url)));
        Write("carts_hook.json", Activation(kith::test::CartsActivation("carts_hook", "carts", url)));
        Outcome applied = kith::test::RunKith("apply --config " + Config() + " " + (root_ / "dir").string());
        ASSERT_EQ(applied.code, 0) << applied.err;
    }
    void TearDown() override { fs::remove_all(root_); }

    std::string Config() const { return (root_ / "kith.toml").string(); }
    void Write(const std::string& name, const json& value) { std::ofstream(root_ / "dir" / name) << value.dump(2); }
    static json Audience(const std::string& key, const json& definition) {
        return {{"kind", "audience"}, {"key", key}, {"name", key}, {"definition", definition},
                {"schedule", {{"type", "manual"}}}, {"enabled", false}};
    }
    static json Activation(json activation) {
        activation["kind"] = "activation";
        return activation;
    }
    Outcome TestEvent(const std::string& activation, const std::string& user_id) {
        return kith::test::RunKith("test-event --config " + Config() + " --activation " + activation + " --user-id " +
                                   user_id + " --as-of " + kith::test::kEventsAsOf + " --json");
    }
    // The (audience id, activation id) of an activation, from the state store.
    std::pair<int64_t, int64_t> Ids(const std::string& activation) {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        EXPECT_TRUE(store) << store.error().ToString();
        auto a = (*store)->Read([&](kith::store::Tx& tx) { return tx.GetActivation(1, activation); });
        EXPECT_TRUE(a && *a);
        return {(*a)->audience_id, (*a)->id};
    }

    fs::path root_;
    std::unique_ptr<kith::test::HttpServer> sink_;
};

TEST_P(CliTestEvent, BuildsTheEventFromTheWarehouseBeforeTheFirstRun) {
    auto [accounts_audience, accounts_id] = Ids("accounts_hook");
    auto [carts_audience, carts_id] = Ids("carts_hook");
    std::vector<std::pair<std::string, json>> cases{
        {"accounts_hook",
         kith::test::ExpectedAccountsEvent(accounts_audience, "active_accounts", accounts_id, "accounts_hook")},
        {"carts_hook", kith::test::ExpectedCartsEvent(carts_audience, "carts", carts_id, "carts_hook")}};
    for (const auto& [activation, expected] : cases) {
        Outcome t = TestEvent(activation, "u1");
        ASSERT_EQ(t.code, 0) << activation << ": " << t.err;
        json shown = json::parse(t.out);
        json want = expected;
        want["messageId"] = "test-" + expected["messageId"].get<std::string>();
        EXPECT_EQ(shown["source"], "warehouse");
        EXPECT_EQ(shown["result"], "delivered");
        EXPECT_EQ(shown["message_id"], want["messageId"]);
        EXPECT_EQ(shown["exchanges"][0]["request"]["body"], want) << shown.dump(2);
        EXPECT_EQ(json::parse(sink_->Requests().back().body), want);
    }
    ASSERT_EQ(sink_->RequestCount(), 2u);

    // A userId no profile has; a profile outside the audience: exit 1, nothing sent.
    Outcome nobody = TestEvent("accounts_hook", "nobody");
    EXPECT_EQ(nobody.code, 1);
    EXPECT_EQ(nobody.err,
              "kith: no profile has userId \"nobody\" (activation accounts_hook: identifier types user_id)\n");
    Outcome outside = TestEvent("carts_hook", "7");
    EXPECT_EQ(outside.code, 1);
    EXPECT_EQ(outside.err, "kith: the profile with userId \"7\" is not a member of audience carts as of "
                           "2026-01-01T00:00:00.000Z: events are built for its members\n");
    EXPECT_EQ(sink_->RequestCount(), 2u);
    // The outbox is as it was: empty.
    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    ASSERT_TRUE(store);
    for (int64_t id : {accounts_id, carts_id}) {
        auto counts = (*store)->Read([&](kith::store::Tx& tx) { return tx.CountEvents(id); });
        ASSERT_TRUE(counts);
        EXPECT_TRUE(counts->empty());
    }
}

INSTANTIATE_TEST_SUITE_P(Warehouses, CliTestEvent, ::testing::Values(Backend::DUCKDB, Backend::POSTGRES),
                         [](const auto& info) { return info.param == Backend::DUCKDB ? "DuckDb" : "Postgres"; });

} // namespace
