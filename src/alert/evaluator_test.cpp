#include "alert/evaluator.hpp"

#include "support/http_server.hpp"
#include "support/smtp_server.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace kith::alert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using store::AlertKind;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT = 1'767'261'600'000 + 48 * kHour; // 2026-01-03T10:00:00Z: the evaluation time

// A store with two activations and three audiences, a real SMTP server and a local server standing in for Slack.
// The store's clock is now_, so events are delivered and runs finish when the test says.
class Evaluator : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_alert_evaluator_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        store::Store::Options o;
        o.clock = [this] { return now_; };
        auto s = store::Store::Open((dir_ / "state.sqlite").string(), o);
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        for (const char* key : {"vip", "new", "empty"}) {
            store::AudienceSpec a;
            a.key = key;
            a.name = key;
            ASSERT_TRUE(store_->UpsertAudience(1, a));
        }
        store::User ada;
        ada.email = "ada@example.com";
        ada.roles = {"engage_user"};
        auto user = store_->Transaction([&](store::Tx& tx) { return tx.CreateUser(ada); });
        ASSERT_TRUE(user) << user.error().ToString();
        user_ = *user;
        welcome_ = Activation("welcome");
        quiet_ = Activation("quiet");

        smtp_ = std::make_unique<test::SmtpServer>(dir_ / "smtp");
        ASSERT_TRUE(smtp_->ok()) << smtp_->error();
        slack_ = std::make_unique<test::HttpServer>([](const test::HttpServer::Request&) {
            test::HttpServer::Reply r;
            r.body = "ok";
            return r;
        });
        channels_.smtp.url = smtp_->url();
        channels_.smtp.from = "kith@example.com";
        channels_.public_url = "https://kith.example.com/";
        // The local Slack stand-in's address is internal: allowed as [delivery] allow_hosts would.
        channels_.allow_hosts = {*outbound::ParseAllowRule("127.0.0.1:" + std::to_string(slack_->port()))};
    }
    void TearDown() override {
        smtp_.reset();
        fs::remove_all(dir_);
    }

    int64_t Activation(const std::string& key) {
        store::ActivationSpec act;
        act.key = key;
        act.audience = "vip";
        act.destination = {{"type", "file"}, {"path", key + ".ndjson"}};
        act.action = "send";
        act.trigger = "profile_enters";
        EXPECT_TRUE(store_->UpsertActivation(1, act));
        return (*store_->Transaction([&](store::Tx& tx) { return tx.GetActivation(1, key); }))->id;
    }

    // n events of the activation delivered at `at`.
    void Deliver(int64_t activation, int n, int64_t at) {
        now_ = at;
        std::vector<store::NewEvent> events;
        for (int i = 0; i < n; ++i) {
            std::string id = "e" + std::to_string(++events_);
            events.push_back(store::NewEvent{activation, id, "Audience Entered", {{"messageId", id}}, "", "", ""});
        }
        auto ok = store_->Transaction([&](store::Tx& tx) -> Status {
            if (auto q = tx.EnqueueEvents(std::nullopt, events); !q) return std::unexpected(q.error());
            for (const auto& e : events) {
                auto got = tx.GetEvent(e.message_id);
                if (!got) return std::unexpected(got.error());
                if (auto d = tx.MarkDelivered((*got)->id, 200); !d) return d;
            }
            return {};
        });
        ASSERT_TRUE(ok) << ok.error().ToString();
    }

    // A completed run of the audience with `members` members, finished at `at`.
    void Members(const std::string& audience, int64_t members, int64_t at) {
        now_ = at;
        int64_t id = (*store_->GetAudience(1, audience))->id;
        int64_t run = *store_->CreateRun(id, "manual");
        store::Run r = **store_->GetRun(run);
        r.status = store::RunStatus::COMPLETED;
        r.finished_at = at;
        r.summary = {{"members", members}};
        ASSERT_TRUE(store_->UpdateRun(r));
    }

    int64_t Alert(AlertKind kind, const std::string& target, double threshold, const json& channels,
                  bool by_user = true) {
        std::optional<int64_t> created_by;
        if (by_user) created_by = user_;
        store::AlertSpec spec;
        spec.kind = kind;
        spec.target = target;
        spec.threshold_pct = threshold;
        spec.channels = channels;
        auto id = store_->Transaction([&](store::Tx& tx) { return tx.CreateAlert(1, spec, created_by); });
        EXPECT_TRUE(id) << id.error().ToString();
        return id ? *id : 0;
    }

    json AllChannels() const {
        return json::array({{{"type", "email"}, {"to", {"ops@example.com"}}},
                            {{"type", "slack"}, {"url", slack_->url() + "/services/T0/B0/xyz"}},
                            {{"type", "in_app"}}});
    }

    Evaluation Evaluate(int64_t at) {
        now_ = at;
        auto e = EvaluateAlerts(*store_, 1, at, channels_);
        EXPECT_TRUE(e) << e.error().ToString();
        return e ? *e : Evaluation{};
    }

    store::AlertRecord Get(int64_t id) {
        return **store_->Transaction([&](store::Tx& tx) { return tx.GetAlert(1, id); });
    }
    std::vector<store::Notification> Notifications() {
        return *store_->Transaction([&](store::Tx& tx) { return tx.ListNotifications(user_, false, 100); });
    }
    // What Details says when every channel of AllChannels() worked.
    std::string AllSent() const {
        return "email ok: sent to ops@example.com\nslack ok: posted\nin_app ok: notified user " +
               std::to_string(user_) + "\n";
    }
    static std::string Details(const AlertResult& r) {
        std::string out;
        for (const auto& c : r.channels) out += c.channel + (c.ok ? " ok: " : " failed: ") + c.detail + "\n";
        return out;
    }

    fs::path dir_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<test::SmtpServer> smtp_;
    std::unique_ptr<test::HttpServer> slack_;
    Channels channels_;
    int64_t now_ = 1'000'000;
    int64_t welcome_ = 0, quiet_ = 0;
    int64_t user_ = 0; // the alerts' creator
    int events_ = 0;
};

TEST(Compare, ThresholdsBothWaysAndFromZero) {
    EXPECT_TRUE(Compare(100, 151, 50).exceeds);
    EXPECT_FALSE(Compare(100, 150, 50).exceeds); // exactly the threshold does not fire
    EXPECT_TRUE(Compare(100, 49, 50).exceeds);
    EXPECT_FALSE(Compare(100, 50, 50).exceeds);
    EXPECT_DOUBLE_EQ(*Compare(100, 40, 50).change_pct, -60);
    // From 0: anything fires, nothing does not; there is no percentage.
    EXPECT_TRUE(Compare(0, 1, 1000).exceeds);
    EXPECT_FALSE(Compare(0, 1, 1000).change_pct);
    EXPECT_FALSE(Compare(0, 0, 1).exceeds);
}

TEST_F(Evaluator, ASpikeFiresOnEveryChannelOnce) {
    Deliver(welcome_, 100, kT - 30 * kHour); // the previous 24 h
    Deliver(welcome_, 200, kT - 2 * kHour);  // the last 24 h
    int64_t id = Alert(AlertKind::EVENT_HEALTH, "welcome", 50, AllChannels());

    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 1u);
    const AlertResult& r = e.alerts[0];
    EXPECT_EQ(r.error, "");
    EXPECT_EQ(r.current, 200);
    EXPECT_EQ(r.previous, 100);
    EXPECT_DOUBLE_EQ(*r.comparison.change_pct, 100);
    EXPECT_EQ(r.transition, Transition::FIRED);
    EXPECT_EQ(e.Fired(), 1);
    EXPECT_EQ(e.ChannelFailures(), 0) << Details(r);
    ASSERT_EQ(r.channels.size(), 3u);
    EXPECT_EQ(Details(r), AllSent());

    const std::string subject = "Event health alert: activation \"welcome\" delivered 200 events in 24 h (+100.0%)";
    EXPECT_EQ(r.message.subject, subject);
    auto mails = smtp_->Messages(1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].Header("to"), "ops@example.com");
    EXPECT_EQ(mails[0].Header("subject"), subject);
    EXPECT_EQ(mails[0].body, "Activation \"welcome\" delivered 200 events in the last 24 hours, against 100 in the 24 "
                             "hours before: +100.0%, beyond the alert's threshold of 50%.\n"
                             "Checked at 2026-01-03T10:00:00.000Z.\n"
                             "https://kith.example.com/alerts/" + std::to_string(id) + "\n");
    auto posts = slack_->Requests();
    ASSERT_EQ(posts.size(), 1u);
    json text = json::parse(posts[0].body);
    ASSERT_TRUE(text["text"].is_string());
    EXPECT_TRUE(text["text"].get<std::string>().starts_with("*" + subject + "*\nActivation \"welcome\" delivered"))
        << posts[0].body;
    auto notes = Notifications();
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0].title, subject);
    EXPECT_EQ(notes[0].alert_id, id);
    EXPECT_EQ(notes[0].workspace_id, 1);

    store::AlertRecord a = Get(id);
    EXPECT_TRUE(a.state.firing);
    EXPECT_EQ(a.state.last_checked_at, kT);
    EXPECT_EQ(a.state.last_value, (json{{"current", 200}, {"previous", 100}, {"change_pct", 100.0}}));

    // Still firing ten minutes later: nothing is sent again.
    Evaluation again = Evaluate(kT + 10 * 60'000);
    ASSERT_EQ(again.alerts.size(), 1u);
    EXPECT_TRUE(again.alerts[0].firing);
    EXPECT_EQ(again.alerts[0].transition, Transition::NONE);
    EXPECT_TRUE(again.alerts[0].channels.empty());
    EXPECT_EQ(smtp_->Messages(0, 0).size(), 1u);
    EXPECT_EQ(slack_->RequestCount(), 1u);
    EXPECT_EQ(Notifications().size(), 1u);
    EXPECT_EQ(Get(id).state.last_checked_at, kT + 10 * 60'000);
}

TEST_F(Evaluator, ADropFires) {
    Deliver(welcome_, 100, kT - 47 * kHour);
    Deliver(welcome_, 40, kT - 1);
    Alert(AlertKind::EVENT_HEALTH, "welcome", 50, json::parse(R"([{"type": "email", "to": ["ops@example.com"]}])"));
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 1u);
    EXPECT_EQ(e.alerts[0].transition, Transition::FIRED);
    EXPECT_DOUBLE_EQ(*e.alerts[0].comparison.change_pct, -60);
    auto mails = smtp_->Messages(1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].Header("subject"),
              "Event health alert: activation \"welcome\" delivered 40 events in 24 h (-60.0%)");
}

TEST_F(Evaluator, BelowOrAtTheThresholdNothingFires) {
    Deliver(welcome_, 100, kT - 30 * kHour);
    Deliver(welcome_, 150, kT - 2 * kHour); // +50%: at the threshold, not beyond it
    Deliver(welcome_, 500, kT);             // now: not in the last 24 h yet ([from, to))
    Deliver(welcome_, 500, kT - 48 * kHour - 1); // before the previous window
    int64_t id = Alert(AlertKind::EVENT_HEALTH, "welcome", 50, AllChannels());
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 1u);
    EXPECT_EQ(e.alerts[0].current, 150);
    EXPECT_EQ(e.alerts[0].previous, 100);
    EXPECT_FALSE(e.alerts[0].firing);
    EXPECT_EQ(e.alerts[0].transition, Transition::NONE);
    EXPECT_EQ(e.Fired(), 0);
    EXPECT_EQ(smtp_->Messages(0, 0).size(), 0u);
    EXPECT_EQ(slack_->RequestCount(), 0u);
    EXPECT_TRUE(Notifications().empty());
    store::AlertRecord a = Get(id);
    EXPECT_FALSE(a.state.firing);
    EXPECT_EQ(a.state.last_checked_at, kT);
    EXPECT_EQ(a.state.last_value["change_pct"], 50.0);
}

TEST_F(Evaluator, RecoveryIsSentOnce) {
    Deliver(welcome_, 100, kT - 30 * kHour);
    Deliver(welcome_, 300, kT - 2 * kHour);
    int64_t id = Alert(AlertKind::EVENT_HEALTH, "welcome", 50, AllChannels());
    ASSERT_EQ(Evaluate(kT).Fired(), 1);
    // A day later the last 24 h look like the 24 h before them.
    Deliver(welcome_, 280, kT + 20 * kHour);
    Evaluation e = Evaluate(kT + 24 * kHour);
    ASSERT_EQ(e.alerts.size(), 1u);
    const AlertResult& r = e.alerts[0];
    EXPECT_EQ(r.current, 280);
    EXPECT_EQ(r.previous, 300);
    EXPECT_EQ(r.transition, Transition::RECOVERED);
    EXPECT_EQ(e.Recovered(), 1);
    EXPECT_FALSE(Get(id).state.firing);
    EXPECT_EQ(Details(r), AllSent());
    auto mails = smtp_->Messages(2);
    ASSERT_EQ(mails.size(), 2u);
    EXPECT_EQ(mails[1].Header("subject"), "Recovered: activation \"welcome\" delivered 280 events in 24 h (-6.7%)");
    EXPECT_NE(mails[1].body.find("within the alert's threshold of 50% again"), std::string::npos) << mails[1].body;
    EXPECT_EQ(slack_->RequestCount(), 2u);
    auto notes = Notifications();
    ASSERT_EQ(notes.size(), 2u);
    EXPECT_TRUE(notes[0].title.starts_with("Recovered: ")); // newest first
    // Normal again: nothing more.
    EXPECT_EQ(Evaluate(kT + 25 * kHour).alerts[0].transition, Transition::NONE);
    EXPECT_EQ(smtp_->Messages(0, 0).size(), 2u);
}

TEST_F(Evaluator, FromNothingFiresAndNothingFromNothingDoesNot) {
    Deliver(welcome_, 5, kT - kHour); // none in the 24 h before
    int64_t from_zero = Alert(AlertKind::EVENT_HEALTH, "welcome", 1000, json::parse(R"([{"type": "in_app"}])"));
    int64_t both_zero = Alert(AlertKind::EVENT_HEALTH, "quiet", 1, json::parse(R"([{"type": "in_app"}])"));
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 2u);
    EXPECT_EQ(e.alerts[0].alert_id, from_zero);
    EXPECT_EQ(e.alerts[0].transition, Transition::FIRED);
    EXPECT_FALSE(e.alerts[0].comparison.change_pct);
    EXPECT_EQ(e.alerts[0].message.subject,
              "Event health alert: activation \"welcome\" delivered 5 events in 24 h (up from none)");
    EXPECT_TRUE(Get(from_zero).state.last_value["change_pct"].is_null());
    EXPECT_EQ(e.alerts[1].alert_id, both_zero);
    EXPECT_EQ(e.alerts[1].current, 0);
    EXPECT_FALSE(e.alerts[1].firing);
    EXPECT_EQ(Notifications().size(), 1u);
}

TEST_F(Evaluator, AudienceSizeFromCompletedRuns) {
    Members("vip", 100, kT - 30 * kHour); // the size 24 h ago
    Members("vip", 150, kT - kHour);      // the size now
    Members("new", 10, kT - kHour);       // no run 24 h ago
    int64_t vip = Alert(AlertKind::AUDIENCE_SIZE, "vip", 20, json::parse(R"([{"type": "email", "to": ["a@x"]}])"));
    int64_t fresh = Alert(AlertKind::AUDIENCE_SIZE, "new", 20, json::parse(R"([{"type": "in_app"}])"));
    int64_t empty = Alert(AlertKind::AUDIENCE_SIZE, "empty", 20, json::parse(R"([{"type": "in_app"}])"));
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 3u);
    EXPECT_EQ(e.alerts[0].alert_id, vip);
    EXPECT_EQ(e.alerts[0].current, 150);
    EXPECT_EQ(e.alerts[0].previous, 100);
    EXPECT_EQ(e.alerts[0].transition, Transition::FIRED);
    auto mails = smtp_->Messages(1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].Header("subject"), "Audience size alert: audience \"vip\" has 150 members (+50.0% in 24 h)");
    EXPECT_TRUE(mails[0].body.starts_with("Audience \"vip\" has 150 members, against 100 24 hours earlier: +50.0%, "
                                          "beyond the alert's threshold of 20%."))
        << mails[0].body;

    EXPECT_EQ(e.alerts[1].alert_id, fresh);
    EXPECT_EQ(e.alerts[1].skipped, "the audience had no completed run 24 hours ago");
    EXPECT_EQ(e.alerts[1].transition, Transition::NONE);
    EXPECT_EQ(Get(fresh).state.last_checked_at, kT);
    EXPECT_EQ(e.alerts[2].alert_id, empty);
    EXPECT_EQ(e.alerts[2].skipped, "the audience has no completed run yet");
    EXPECT_TRUE(Notifications().empty());

    // A smaller audience later: back within 20% of the size a day earlier.
    Members("vip", 160, kT + 23 * kHour);
    Evaluation later = Evaluate(kT + 24 * kHour); // 160 against 150
    EXPECT_EQ(later.alerts[0].transition, Transition::RECOVERED);
    EXPECT_EQ(later.alerts[1].current, 10);
    EXPECT_EQ(later.alerts[1].previous, 10);
    EXPECT_EQ(later.alerts[1].skipped, "");
}

TEST_F(Evaluator, ASlackFailureIsReportedAndEmailStillGoesOut) {
    Deliver(welcome_, 10, kT - 30 * kHour);
    Deliver(welcome_, 100, kT - kHour);
    test::HttpServer::Reply fail;
    fail.status = 500;
    fail.body = "internal_error";
    slack_->Script({fail});
    int64_t id = Alert(AlertKind::EVENT_HEALTH, "welcome", 50,
                       json::array({{{"type", "slack"}, {"url", slack_->url() + "/services/T0/B0/xyz"}},
                                    {{"type", "email"}, {"to", {"ops@example.com", "a@x"}}}}));
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 1u);
    const AlertResult& r = e.alerts[0];
    EXPECT_EQ(r.transition, Transition::FIRED);
    EXPECT_EQ(e.ChannelFailures(), 1);
    EXPECT_EQ(Details(r), "slack failed: Slack webhook " + slack_->url() + " answered 500: internal_error\n"
                          "email ok: sent to ops@example.com, a@x\n");
    auto mails = smtp_->Messages(1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].Header("to"), "ops@example.com, a@x");
    // The transition is recorded: the failed channel is not retried on the next evaluation.
    EXPECT_TRUE(Get(id).state.firing);
    EXPECT_EQ(Evaluate(kT + 60'000).alerts[0].transition, Transition::NONE);
    EXPECT_EQ(slack_->RequestCount(), 1u);
}

TEST_F(Evaluator, OneAlertsProblemDoesNotStopTheOthers) {
    channels_.smtp.url.clear(); // email is not configured
    Deliver(welcome_, 10, kT - kHour);
    int64_t gone = Alert(AlertKind::EVENT_HEALTH, "deleted", 50, json::parse(R"([{"type": "in_app"}])"));
    int64_t off = Alert(AlertKind::EVENT_HEALTH, "welcome", 50, json::parse(R"([{"type": "in_app"}])"));
    store::AlertSpec disabled = Get(off).spec;
    disabled.enabled = false;
    ASSERT_TRUE(store_->Transaction([&](store::Tx& tx) { return tx.UpdateAlert(1, off, disabled); }));
    int64_t system = Alert(AlertKind::EVENT_HEALTH, "welcome", 50,
                           json::parse(R"([{"type": "email", "to": ["a@x"]}, {"type": "in_app"}])"), false);
    Evaluation e = Evaluate(kT);
    ASSERT_EQ(e.alerts.size(), 2u); // the disabled alert is not evaluated
    EXPECT_EQ(e.alerts[0].alert_id, gone);
    EXPECT_EQ(e.alerts[0].error, "activation \"deleted\" does not exist");
    EXPECT_FALSE(Get(gone).state.last_checked_at);
    EXPECT_EQ(e.alerts[1].alert_id, system);
    EXPECT_EQ(e.alerts[1].transition, Transition::FIRED);
    EXPECT_EQ(Details(e.alerts[1]), "email failed: email is not configured ([alerts] smtp_url)\n"
                                    "in_app ok: the alert has no creator: nobody to notify\n");
    EXPECT_FALSE(Get(off).state.last_checked_at);
    EXPECT_TRUE(Notifications().empty());
}

} // namespace
} // namespace kith::alert
