// SIGTERM to `kith serve` in the middle of a run (activations.md, "Runs": a run is never lost or doubled): the
// service exits 0 within seconds, the run ends failed without leaving an event in the outbox, and after a restart
// the audience's next run sends every member's event exactly once. A page size of 1 makes the run prepare its
// events page by page for long enough to be stopped halfway.
#include "store/store.hpp"
#include "support/kith_service.hpp"
#include "support/run_kith.hpp"

#include <chrono>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using kith::test::ApiClient;
using kith::test::KithService;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "stop-test-password";

class ServiceStop : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("kith_service_stop_" + std::to_string(getpid()));
        fs::remove_all(root_);
        fs::create_directories(root_ / "objects");
        auto gen = kith::test::RunKith(fmt::format("gen --out {} --graph-out {} --profiles 3000 --seed 7",
                                                   (root_ / "w.duckdb").string(), (root_ / "graph.hcl").string()));
        ASSERT_EQ(gen.code, 0) << gen.err;
        std::ofstream(root_ / "kith.toml") << "warehouse = \"duckdb:w.duckdb\"\ngraph = \"graph.hcl\"\n"
                                              "state = \"state.sqlite\"\n"
                                              "[runs]\npage_size = 1\n"
                                              "[auth]\npassword_memory_mib = 1\npassword_passes = 1\n";
        std::ofstream(root_ / "objects" / "pro.json")
            << R"({"kind": "audience", "key": "pro", "name": "Pro plan", "enabled": true,
  "schedule": {"type": "manual"},
  "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]}})";
        std::ofstream(root_ / "objects" / "pro_file.json")
            << R"({"kind": "activation", "key": "pro_file", "audience": "pro",
  "destination": {"type": "file", "path": "events.ndjson"}, "trigger": "profile_enters",
  "identifiers": [{"type": "segment_id", "as": "userId"}], "enabled": true})";
        auto applied = kith::test::RunKith(fmt::format("apply --config {} {}", Config(), (root_ / "objects").string()));
        ASSERT_EQ(applied.code, 0) << applied.err << applied.out;
        std::ofstream(root_ / "pw") << kPassword << "\n";
        auto user = kith::test::RunKith(fmt::format(
            "users add --config {} --email owner@x.test --role workspace_owner --password-stdin < {}", Config(),
            (root_ / "pw").string()));
        ASSERT_EQ(user.code, 0) << user.err;
    }
    void TearDown() override {
        if (!HasFailure()) fs::remove_all(root_);
    }
    std::string Config() const { return (root_ / "kith.toml").string(); }

    std::unique_ptr<KithService> Start() {
        std::string error;
        auto s = KithService::Start(root_ / "kith.toml", root_ / "log", &error);
        EXPECT_TRUE(s) << error;
        return s;
    }

    // The run's progress line once it contains text, or the last one seen when the run left "running" first.
    static std::string WaitForProgress(ApiClient& c, int64_t run, std::string_view text) {
        auto deadline = Clock::now() + std::chrono::seconds(60);
        std::string progress;
        while (Clock::now() < deadline && progress.find(text) == std::string::npos) {
            auto detail = c.Get(fmt::format("/api/v1/runs/{}", run));
            if (detail.json.contains("progress") && detail.json["progress"].is_string()) progress = detail.json["progress"];
            if (detail.json.value("status", "") != "running") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return progress;
    }

    // Lines in the file destination's output and distinct messageIds among them, once there are at least `expect`
    // lines or after two minutes.
    std::pair<int64_t, int64_t> Delivered(int64_t expect) const {
        std::set<std::string> ids;
        int64_t lines = 0;
        auto deadline = Clock::now() + std::chrono::seconds(120);
        while (Clock::now() < deadline) {
            ids.clear();
            lines = 0;
            std::ifstream in(root_ / "events.ndjson");
            for (std::string line; std::getline(in, line);) {
                json e = json::parse(line, nullptr, false);
                if (e.is_discarded()) continue;
                ++lines;
                ids.insert(e.value("messageId", ""));
            }
            if (lines >= expect) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return {lines, static_cast<int64_t>(ids.size())};
    }

    // The audience's newest run once it is in one of the states, or null after the deadline.
    static json WaitForRun(ApiClient& c, const std::set<std::string>& states, int64_t after_id, int seconds) {
        auto deadline = Clock::now() + std::chrono::seconds(seconds);
        while (Clock::now() < deadline) {
            auto runs = c.Get("/api/v1/audiences/pro/runs");
            if (runs.status == 200 && !runs.json["items"].empty()) {
                const json& r = runs.json["items"][0];
                if (r["id"].get<int64_t>() > after_id && states.count(r["status"].get<std::string>())) return r;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return nullptr;
    }

    fs::path root_;
};

TEST_F(ServiceStop, SigtermDuringARunFailsItCleanlyAndTheNextRunSendsEveryEventOnce) {
    int64_t stopped_run = 0;
    {
        auto service = Start();
        ASSERT_TRUE(service);
        ApiClient owner(service->port());
        ASSERT_EQ(owner.Login("owner@x.test", kPassword).status, 200);
        ASSERT_EQ(owner.Post("/api/v1/audiences/pro/run").status, 202);
        json running = WaitForRun(owner, {"running"}, 0, 60);
        ASSERT_FALSE(running.is_null()) << service->Log();
        stopped_run = running["id"].get<int64_t>();
        // Halfway through preparing its events (one page per member).
        std::string progress = WaitForProgress(owner, stopped_run, "preparing profile changes");
        ASSERT_NE(progress.find("preparing profile changes"), std::string::npos)
            << "the run ended before it could be stopped: " << progress << "\n" << service->Log();
        auto asked = Clock::now();
        EXPECT_EQ(service->Stop(30), 0) << service->Log();
        EXPECT_LT(Clock::now() - asked, std::chrono::seconds(20)) << "the stop waited for the run to finish";
        EXPECT_NE(service->Log().find("\"msg\":\"stopped\""), std::string::npos) << service->Log();
    }
    {
        auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
        ASSERT_TRUE(store);
        auto run = (*store)->GetRun(stopped_run);
        ASSERT_TRUE(run && *run);
        EXPECT_EQ((*run)->status, kith::store::RunStatus::FAILED);
        EXPECT_NE((*run)->error.find("stopped"), std::string::npos) << (*run)->error;
        auto events = (*store)->Read([&](kith::store::Tx& tx) { return tx.RunEvents(stopped_run); });
        ASSERT_TRUE(events);
        EXPECT_TRUE(events->empty()) << "a failed run left " << events->size() << " events in the outbox";
    }
    EXPECT_FALSE(fs::exists(root_ / "events.ndjson")) << "events of the stopped run were delivered";

    // The next start: the audience's next run finds the same baseline, and every member's event arrives once.
    auto service = Start();
    ASSERT_TRUE(service);
    ApiClient owner(service->port());
    ASSERT_EQ(owner.Login("owner@x.test", kPassword).status, 200);
    ASSERT_EQ(owner.Post("/api/v1/audiences/pro/run").status, 202);
    json done = WaitForRun(owner, {"completed", "failed"}, stopped_run, 300);
    ASSERT_FALSE(done.is_null()) << service->Log();
    ASSERT_EQ(done["status"], "completed") << done.dump();
    int64_t members = done["members"].get<int64_t>();
    ASSERT_GT(members, 100);
    // Delivered to the file: one line per member, each messageId once.
    auto [lines, ids] = Delivered(members);
    EXPECT_EQ(lines, members) << service->Log();
    EXPECT_EQ(ids, members);
    EXPECT_EQ(service->Stop(), 0) << service->Log();
}

TEST_F(ServiceStop, CancellingARunFailsItWithWhoCancelledAndTheNextRunSendsEveryEventOnce) {
    auto service = Start();
    ASSERT_TRUE(service);
    ApiClient owner(service->port());
    ASSERT_EQ(owner.Login("owner@x.test", kPassword).status, 200);
    ASSERT_EQ(owner.Post("/api/v1/audiences/pro/run").status, 202);
    json running = WaitForRun(owner, {"running"}, 0, 60);
    ASSERT_FALSE(running.is_null()) << service->Log();
    int64_t cancelled = running["id"].get<int64_t>();
    std::string progress = WaitForProgress(owner, cancelled, "preparing profile changes");
    ASSERT_NE(progress.find("preparing profile changes"), std::string::npos)
        << "the run ended before it could be cancelled: " << progress << "\n" << service->Log();
    auto asked = owner.Post(fmt::format("/api/v1/runs/{}/cancel", cancelled));
    ASSERT_EQ(asked.status, 202) << asked.text;
    EXPECT_EQ(asked.json["cancelling"], true);

    json failed = WaitForRun(owner, {"completed", "failed"}, cancelled - 1, 60);
    ASSERT_FALSE(failed.is_null()) << service->Log();
    EXPECT_EQ(failed["id"], cancelled);
    EXPECT_EQ(failed["status"], "failed");
    auto detail = owner.Get(fmt::format("/api/v1/runs/{}", cancelled));
    ASSERT_EQ(detail.status, 200);
    EXPECT_NE(detail.json.value("error", "").find("the run was cancelled by owner@x.test"), std::string::npos)
        << detail.json.dump();
    // A finished run cannot be cancelled.
    EXPECT_EQ(owner.Post(fmt::format("/api/v1/runs/{}/cancel", cancelled)).status, 409);

    // Nothing of the cancelled run went out; the next run sends every member's event once.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_FALSE(fs::exists(root_ / "events.ndjson")) << "events of the cancelled run were delivered";
    ASSERT_EQ(owner.Post("/api/v1/audiences/pro/run").status, 202);
    json done = WaitForRun(owner, {"completed", "failed"}, cancelled, 300);
    ASSERT_FALSE(done.is_null()) << service->Log();
    ASSERT_EQ(done["status"], "completed") << done.dump();
    int64_t members = done["members"].get<int64_t>();
    ASSERT_GT(members, 100);
    auto [lines, ids] = Delivered(members);
    EXPECT_EQ(lines, members) << service->Log();
    EXPECT_EQ(ids, members);
    EXPECT_EQ(service->Stop(), 0) << service->Log();
}

} // namespace
