// SIGKILLs `kith deliver` again and again while it sends a large outbox to a webhook on 127.0.0.1 that now and
// then fails, then lets a last one finish. Afterwards every event arrived at least once, every copy of an event is
// the same body with the same messageId, and the store's counts add up: all delivered, none pending or failed. After
// every kill, the delivery overview's running totals equal a recount of the outbox.
#include "common/text.hpp"
#include "store/store.hpp"
#include "support/http_server.hpp"
#include "support/overview_check.hpp"
#include "support/process.hpp"
#include "support/fixture_dir.hpp"
#include "support/run_kith.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sys/wait.h>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::HttpServer;

constexpr int kEvents = 20000;

class DeliverKill : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir("kith_deliver_kill");
        ASSERT_EQ(kith::test::MakeFixtureDir(
                      root_, "[delivery]\nactivation_rate = 1000000\nworkspace_rate = 1000000\ntimeout_ms = 2000\n"),
                  "");
    }
    void TearDown() override {
        if (!HasFailure()) fs::remove_all(root_);
    }
    std::string Config() { return (root_ / "kith.toml").string(); }

    fs::path root_;
};

TEST_F(DeliverKill, EveryEventArrivesAtLeastOnceWithOneMessageIdThroughRepeatedKills) {
    // The sink fails one request in 9 with a 503 (retried), and records every body it accepts.
    std::mutex mu;
    std::map<std::string, std::vector<json>> received; // messageId → every copy accepted
    std::atomic<int> requests{0};
    HttpServer sink([&](const HttpServer::Request& r) {
        if (++requests % 9 == 0) return HttpServer::Reply{503, "{\"error\":\"busy\"}", {}, 0, false};
        json batch = json::parse(r.body, nullptr, false);
        if (!batch.is_array()) return HttpServer::Reply{400, "{}", {}, 0, false};
        std::lock_guard lock(mu);
        for (auto& e : batch) received[e["messageId"].get<std::string>()].push_back(e);
        return HttpServer::Reply{200, "{}", {}, 2, false};
    });

    // The sink's address is internal: the config allows it (the line joins [delivery], the file's last table).
    std::ofstream(Config(), std::ios::app) << "allow_hosts = [\"127.0.0.1:" << sink.port() << "\"]\n";
    std::ofstream(root_ / "dir" / "vip.json") << R"({"kind": "audience", "key": "vip", "name": "Pro plan",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "equals", "value": "pro"}}]}]},
        "schedule": {"type": "manual"}, "enabled": true})";
    std::ofstream(root_ / "dir" / "hook.json")
        << R"({"kind": "activation", "key": "hook", "audience": "vip", "trigger": "profile_enters",
              "destination": {"type": "webhook", "url": ")"
        << sink.url() << R"(/in", "batch_size": 50, "concurrency": 4},
              "identifiers": [{"type": "user_id", "as": "userId"}]})";
    auto applied = kith::test::RunKith("apply --config " + Config() + " " + (root_ / "dir").string());
    ASSERT_EQ(applied.code, 0) << applied.err;

    std::map<std::string, json> queued;
    {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        ASSERT_TRUE(store) << store.error().ToString();
        auto activation = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.GetActivation(1, "hook"); });
        ASSERT_TRUE(activation && *activation);
        std::vector<kith::store::NewEvent> events;
        for (int i = 0; i < kEvents; ++i) {
            std::string id = "m" + std::to_string(i);
            json payload = {{"type", "track"},
                            {"event", "Audience Entered"},
                            {"messageId", id},
                            {"userId", "u" + std::to_string(i)},
                            {"properties", {{"audience_key", "vip"}, {"i", i}}}};
            queued[id] = payload;
            events.push_back({(*activation)->id, id, "Audience Entered", payload, "", "", ""});
        }
        auto n = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.EnqueueEvents(std::nullopt, events); });
        ASSERT_TRUE(n && *n == kEvents);
    }
    auto delivered_now = [&] {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        auto a = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.GetActivation(1, "hook"); });
        auto counts = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.CountEvents((*a)->id); });
        return (*counts)[kith::store::EventStatus::DELIVERED];
    };

    std::mt19937 rng(20261129);
    std::vector<std::string> argv = {kith::test::KithBinary(), "deliver", "--config", Config(), "--until-idle",
                                     "--timeout", "300"};
    int kills = 0, mid_delivery = 0;
    for (int attempt = 0; attempt < 40 && kills < 12; ++attempt) {
        // Kill once this attempt has sent a few requests (however fast this build is), plus a random moment.
        int before = requests.load();
        int after = std::uniform_int_distribution<int>(1, 6)(rng);
        pid_t pid = kith::test::Spawn(argv, root_ / "deliver.out", root_ / "deliver.err");
        ASSERT_GT(pid, 0);
        bool exited = false;
        int status = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (requests.load() < before + after && std::chrono::steady_clock::now() < deadline) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                exited = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        if (exited) break; // it finished before the kill
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 60)(rng)));
        kill(pid, SIGKILL);
        kith::test::Exit exit = kith::test::Wait(pid);
        if (!exit.signaled) break; // it finished before the kill
        ++kills;
        int64_t delivered = delivered_now();
        if (delivered > 0 && delivered < kEvents) ++mid_delivery;
        EXPECT_EQ(kith::test::OverviewTotalsMismatch((root_ / "state.sqlite").string()), "")
            << "after kill " << kills << ", " << delivered << " delivered";
    }
    pid_t last = kith::test::Spawn(argv, root_ / "deliver.out", root_ / "deliver.err");
    kith::test::Exit done = kith::test::Wait(last);
    ASSERT_FALSE(done.signaled);
    ASSERT_EQ(done.code, 0) << kith::text::ReadFile((root_ / "deliver.err").string()).value_or("");

    EXPECT_GE(kills, 5);
    EXPECT_GE(mid_delivery, 3) << "the kills should land while events are being delivered";
    size_t copies = 0;
    {
        std::lock_guard lock(mu);
        EXPECT_EQ(received.size(), static_cast<size_t>(kEvents)); // every event arrived
        for (const auto& [id, bodies] : received) {
            copies += bodies.size();
            ASSERT_TRUE(queued.contains(id)) << id;
            for (const auto& b : bodies) ASSERT_EQ(b, queued[id]) << id; // each copy is the same event
        }
    }
    EXPECT_GE(copies, static_cast<size_t>(kEvents));
    std::cerr << "deliver kill test: " << kills << " kills (" << mid_delivery << " mid-delivery), " << copies
              << " bodies received for " << kEvents << " events (" << copies - kEvents << " re-sent after kills or "
              << "retries), " << requests.load() << " requests\n";

    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    auto a = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.GetActivation(1, "hook"); });
    auto counts = (*store)->Transaction([&](kith::store::Tx& tx) { return tx.CountEvents((*a)->id); });
    ASSERT_TRUE(counts);
    EXPECT_EQ((*counts)[kith::store::EventStatus::DELIVERED], kEvents);
    EXPECT_EQ((*counts)[kith::store::EventStatus::PENDING], 0);
    EXPECT_EQ((*counts)[kith::store::EventStatus::FAILED], 0);

    // The delivery overview adds up too: every event from the audience delivered, nothing pending.
    EXPECT_EQ(kith::test::OverviewTotalsMismatch((root_ / "state.sqlite").string()), "");
    auto overview = kith::test::RunKith("overview --config " + Config() + " --json");
    ASSERT_EQ(overview.code, 0) << overview.err;
    json o = json::parse(overview.out);
    EXPECT_EQ(o["total"]["from_audience"], kEvents) << o.dump();
    EXPECT_EQ(o["total"]["delivered"], kEvents) << o.dump();
    EXPECT_EQ(o["total"]["pending_retry"], 0);
    EXPECT_EQ(o["total"]["queued"], 0);
    EXPECT_EQ(o["total"]["failed"], 0);
}

} // namespace
