#include "store/store.hpp"
#include "store/store_test_data.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::store {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Alerts, notifications and the two measurements alerts watch, on a store file whose clock the test sets.
class StoreAlerts : public ::testing::Test {
protected:
    static constexpr int64_t kHour = 3'600'000;

    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("kith_store_alerts_test_" + std::to_string(getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        Store::Options o;
        o.clock = [this] { return now_; };
        auto s = Store::Open((dir_ / "state.sqlite").string(), o);
        ASSERT_TRUE(s) << s.error().ToString();
        store_ = std::move(*s);
        auto vip = store_test_data::AddVipWithFileActivation(*store_, "welcome");
        ASSERT_TRUE(vip) << vip.error().ToString();
        audience_ = vip->audience;
        activation_ = vip->activation;
        user_ = User("ada@example.com");
        other_ = User("bob@example.com");
    }

    int64_t User(const std::string& email) {
        store::User u;
        u.email = email;
        u.roles = {"engage_user"};
        auto id = store_->Transaction([&](Tx& tx) { return tx.CreateUser(u); });
        EXPECT_TRUE(id) << id.error().ToString();
        return id ? *id : 0;
    }
    void TearDown() override { fs::remove_all(dir_); }

    static AlertSpec Spec(const std::string& target = "welcome") {
        AlertSpec a;
        a.kind = AlertKind::EVENT_HEALTH;
        a.target = target;
        a.threshold_pct = 25.5;
        a.channels = json::parse(R"([{"type": "in_app"}, {"type": "email", "to": ["ops@example.com"]}])");
        return a;
    }

    fs::path dir_;
    std::unique_ptr<Store> store_;
    int64_t now_ = 1'000'000;
    int64_t audience_ = 0, activation_ = 0;
    int64_t user_ = 0, other_ = 0; // the alerts' creator, another user
};

TEST_F(StoreAlerts, CreateGetUpdateListDelete) {
    auto id = store_->Transaction([&](Tx& tx) { return tx.CreateAlert(1, Spec(), user_); });
    ASSERT_TRUE(id) << id.error().ToString();
    auto got = *store_->Transaction([&](Tx& tx) { return tx.GetAlert(1, *id); });
    ASSERT_TRUE(got);
    EXPECT_EQ(got->spec.kind, AlertKind::EVENT_HEALTH);
    EXPECT_EQ(got->spec.target, "welcome");
    EXPECT_DOUBLE_EQ(got->spec.threshold_pct, 25.5);
    EXPECT_EQ(got->spec.channels, Spec().channels);
    EXPECT_EQ(got->created_by, user_);
    EXPECT_EQ(got->created_at, 1'000'000);
    EXPECT_FALSE(got->state.firing);
    EXPECT_FALSE(got->state.last_checked_at);
    // Another workspace does not see it.
    int64_t other = *store_->Transaction([](Tx& tx) { return tx.EnsureWorkspace("other"); });
    EXPECT_FALSE(*store_->Transaction([&](Tx& tx) { return tx.GetAlert(other, *id); }));
    auto wrong = store_->Transaction([&](Tx& tx) { return tx.DeleteAlert(other, *id); });
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::NOT_FOUND);

    // The same target keeps the evaluation state; another target resets it.
    ASSERT_TRUE(store_->Transaction(
        [&](Tx& tx) { return tx.RecordAlertCheck(*id, AlertState{true, 5, json{{"current", 3}}}); }));
    now_ += kHour;
    AlertSpec changed = Spec();
    changed.threshold_pct = 10;
    changed.enabled = false;
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.UpdateAlert(1, *id, changed); }));
    got = *store_->Transaction([&](Tx& tx) { return tx.GetAlert(1, *id); });
    EXPECT_DOUBLE_EQ(got->spec.threshold_pct, 10);
    EXPECT_FALSE(got->spec.enabled);
    EXPECT_EQ(got->updated_at, 1'000'000 + kHour);
    EXPECT_TRUE(got->state.firing);
    EXPECT_EQ(got->state.last_checked_at, 5);
    EXPECT_EQ(got->state.last_value, (json{{"current", 3}}));
    changed.kind = AlertKind::AUDIENCE_SIZE;
    changed.target = "vip";
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.UpdateAlert(1, *id, changed); }));
    got = *store_->Transaction([&](Tx& tx) { return tx.GetAlert(1, *id); });
    EXPECT_EQ(got->spec.kind, AlertKind::AUDIENCE_SIZE);
    EXPECT_FALSE(got->state.firing);
    EXPECT_FALSE(got->state.last_checked_at);
    EXPECT_TRUE(got->state.last_value.is_null());

    auto second = *store_->Transaction([](Tx& tx) { return tx.CreateAlert(1, Spec(), std::nullopt); });
    auto list = *store_->Transaction([](Tx& tx) { return tx.ListAlerts(1); });
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0].id, *id);
    EXPECT_EQ(list[1].id, second);
    EXPECT_FALSE(list[1].created_by);
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DeleteAlert(1, *id); }));
    EXPECT_EQ(store_->Transaction([](Tx& tx) { return tx.ListAlerts(1); })->size(), 1u);
    EXPECT_FALSE(store_->Transaction([&](Tx& tx) { return tx.UpdateAlert(1, *id, Spec()); }));
}

TEST_F(StoreAlerts, TheTableRefusesBadValues) {
    AlertSpec zero = Spec();
    zero.threshold_pct = 0;
    EXPECT_FALSE(store_->Transaction([&](Tx& tx) { return tx.CreateAlert(1, zero, user_); }));
    AlertSpec object = Spec();
    object.channels = json::object();
    auto bad = store_->Transaction([&](Tx& tx) { return tx.CreateAlert(1, object, user_); });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::INVALID);
}

TEST_F(StoreAlerts, NotificationsPageAndMarkRead) {
    auto alert = *store_->Transaction([&](Tx& tx) { return tx.CreateAlert(1, Spec(), user_); });
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        now_ += 1000;
        auto id = store_->Transaction([&](Tx& tx) {
            return tx.AddNotification(NewNotification{1, user_, alert, "title " + std::to_string(i), "body"});
        });
        ASSERT_TRUE(id) << id.error().ToString();
        ids.push_back(*id);
    }
    ASSERT_TRUE(
        store_->Transaction([&](Tx& tx) { return tx.AddNotification(NewNotification{1, other_, {}, "other", ""}); }));
    EXPECT_EQ(*store_->Transaction([&](Tx& tx) { return tx.CountUnread(user_); }), 5);

    // Newest first, two at a time.
    auto page = *store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, false, 2); });
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, ids[4]);
    EXPECT_EQ(page[0].title, "title 4");
    EXPECT_EQ(page[0].alert_id, alert);
    EXPECT_EQ(page[0].created_at, 1'005'000);
    EXPECT_EQ(page[1].id, ids[3]);
    page = *store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, false, 2, page[1].id); });
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0].id, ids[2]);

    // Marking: chosen ids (another user's id is ignored), then all.
    now_ = 2'000'000;
    int64_t others = store_->Transaction([&](Tx& tx) { return tx.ListNotifications(other_, false, 10); })->at(0).id;
    auto marked = store_->Transaction([&](Tx& tx) {
        return tx.MarkNotificationsRead(user_, std::vector<int64_t>{ids[0], ids[4], others});
    });
    ASSERT_TRUE(marked) << marked.error().ToString();
    EXPECT_EQ(*marked, 2);
    EXPECT_EQ(*store_->Transaction([&](Tx& tx) { return tx.CountUnread(user_); }), 3);
    EXPECT_EQ(*store_->Transaction([&](Tx& tx) { return tx.CountUnread(other_); }), 1);
    auto unread = *store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, true, 10); });
    ASSERT_EQ(unread.size(), 3u);
    EXPECT_EQ(unread[0].id, ids[3]);
    auto all = *store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, false, 10); });
    EXPECT_EQ(all[0].read_at, 2'000'000);
    EXPECT_FALSE(all[1].read_at);
    EXPECT_EQ(*store_->Transaction([&](Tx& tx) { return tx.MarkNotificationsRead(user_, std::nullopt); }), 3);
    EXPECT_EQ(*store_->Transaction([&](Tx& tx) { return tx.CountUnread(user_); }), 0);

    // Deleting the alert keeps its notifications.
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DeleteAlert(1, alert); }));
    all = *store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, false, 10); });
    ASSERT_EQ(all.size(), 5u);
    EXPECT_FALSE(all[0].alert_id);
}

TEST_F(StoreAlerts, ADeletedUserLeavesTheAlertAndTakesTheNotifications) {
    auto alert = *store_->Transaction([&](Tx& tx) { return tx.CreateAlert(1, Spec(), user_); });
    auto notify = [&](int64_t user) {
        return store_->Transaction([&](Tx& tx) { return tx.AddNotification(NewNotification{1, user, alert, "t", ""}); });
    };
    ASSERT_TRUE(notify(user_));
    EXPECT_FALSE(notify(999)); // a notification for nobody known is refused
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.DeleteUser(user_); }));
    auto got = *store_->Transaction([&](Tx& tx) { return tx.GetAlert(1, alert); });
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->created_by);
    EXPECT_TRUE(store_->Transaction([&](Tx& tx) { return tx.ListNotifications(user_, false, 10); })->empty());
}

TEST_F(StoreAlerts, DeliveredEventsInAWindowOfFinishTimes) {
    auto deliver = [&](const std::string& id, int64_t at) {
        now_ = at;
        std::vector<NewEvent> events{NewEvent{activation_, id, "Audience Entered", {{"messageId", id}}, "", "", ""}};
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(std::nullopt, events); }));
        int64_t event = (*store_->Transaction([&](Tx& tx) { return tx.GetEvent(id); }))->id;
        ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.MarkDelivered(event, 200); }));
    };
    deliver("e1", 10 * kHour - 1);
    deliver("e2", 10 * kHour);
    deliver("e3", 11 * kHour);
    deliver("e4", 12 * kHour);
    // A failed event is not counted.
    now_ = 11 * kHour;
    std::vector<NewEvent> failed{NewEvent{activation_, "f1", "Audience Entered", {{"messageId", "f1"}}, "", "", ""}};
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.EnqueueEvents(std::nullopt, failed); }));
    int64_t f1 = (*store_->Transaction([](Tx& tx) { return tx.GetEvent("f1"); }))->id;
    ASSERT_TRUE(store_->Transaction([&](Tx& tx) { return tx.MarkFailed(f1, "400", 400); }));

    auto count = [&](int64_t from, int64_t to) {
        return *store_->Transaction([&](Tx& tx) { return tx.CountDelivered(activation_, from, to); });
    };
    EXPECT_EQ(count(10 * kHour, 12 * kHour), 2); // e2, e3: the window is [from, to)
    EXPECT_EQ(count(0, 13 * kHour), 4);
    EXPECT_EQ(count(12 * kHour + 1, 13 * kHour), 0);
}

TEST_F(StoreAlerts, MembersAtATimeFromCompletedRuns) {
    auto run = [&](int64_t finished, RunStatus status, json summary) {
        int64_t id = *store_->CreateRun(audience_, "manual");
        store::Run r = **store_->GetRun(id);
        r.status = status;
        r.finished_at = finished;
        r.summary = std::move(summary);
        ASSERT_TRUE(store_->UpdateRun(r));
    };
    auto at = [&](int64_t t) {
        auto n = store_->Transaction([&](Tx& tx) { return tx.AudienceMembersAt(audience_, t); });
        EXPECT_TRUE(n) << n.error().ToString();
        return n ? *n : std::nullopt;
    };
    EXPECT_FALSE(at(100 * kHour));
    run(10 * kHour, RunStatus::COMPLETED, {{"members", 100}, {"entered", 100}});
    run(20 * kHour, RunStatus::COMPLETED, {{"members", 150}});
    run(25 * kHour, RunStatus::FAILED, nullptr);
    run(30 * kHour, RunStatus::COMPLETED, {{"members", 90}});
    EXPECT_FALSE(at(10 * kHour - 1));
    EXPECT_EQ(at(10 * kHour), 100);
    EXPECT_EQ(at(29 * kHour), 150); // the failed run does not count
    EXPECT_EQ(at(100 * kHour), 90);
}

} // namespace
} // namespace kith::store
