// `kith run`, `kith runs` and `kith changes` as scripts use them, on the fixture warehouse (DuckDB file):
// the change summary as JSON, the events delivered to a file destination, the history and a run's changes.
#include "common/text.hpp"
#include "support/run_kith.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using Outcome = kith::test::KithOutcome;

class CliRun : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = fs::temp_directory_path() / ("kith_cli_run_" + std::to_string(getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(root_);
        fs::create_directories(root_ / "dir");
        auto sql = kith::text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql);
        Sql(*sql);
        std::ofstream(root_ / "kith.toml") << "warehouse = \"duckdb:w.duckdb\"\n"
                                           << "graph = \"" << KITH_SOURCE_DIR << "/test/fixture/graph.hcl\"\n"
                                           << "state = \"state.sqlite\"\n";
        std::ofstream(root_ / "dir" / "pro.json") << R"({"kind": "audience", "key": "pro", "name": "Pro",
            "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                           "filter": {"op": "equals", "value": "pro"}}]}]}, "enabled": true})";
        std::ofstream(root_ / "dir" / "pro_file.json") << R"({"kind": "activation", "key": "pro_file", "audience": "pro",
            "destination": {"type": "file", "path": "out/events.ndjson"}, "action": "send",
            "trigger": "membership_changed",
            "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "userId"}]})";
        fs::create_directories(root_ / "out");
        ASSERT_EQ(Kith("apply --config " + Config() + " " + (root_ / "dir").string()).code, 0);
    }
    void TearDown() override { fs::remove_all(root_); }

    // Changes the warehouse (closed before kith opens it).
    void Sql(const std::string& sql) {
        auto wh = kith::warehouse::Open("duckdb:" + (root_ / "w.duckdb").string());
        ASSERT_TRUE(wh) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute(sql));
    }
    std::string Config() const { return (root_ / "kith.toml").string(); }
    Outcome Kith(const std::string& args) { return kith::test::RunKith(args); }
    std::vector<json> Delivered() {
        std::vector<json> out;
        std::ifstream in(root_ / "out" / "events.ndjson");
        std::string line;
        while (std::getline(in, line)) out.push_back(json::parse(line));
        return out;
    }

    fs::path root_;
};

TEST_F(CliRun, RunsDeliverAndListTheirHistoryAndChanges) {
    // pro: p1 (plan pro at seq 2), p3 (ties at NULL seq: "pro" > "enterprise"), p4 (ties at seq 3: "pro" > "free").
    Outcome r1 = Kith("run --config " + Config() + " --audience pro --as-of 2026-01-01T00:00:00Z");
    ASSERT_EQ(r1.code, 0) << r1.err;
    json s1 = json::parse(r1.out);
    EXPECT_EQ(s1["status"], "completed");
    EXPECT_EQ(s1["members"], 3);
    EXPECT_EQ(s1["profiles"], json({{"entered", 3}, {"exited", 0}}));
    EXPECT_EQ(s1["activations"]["pro_file"]["queued"], 3);
    EXPECT_EQ(s1["delivery"]["result"], "idle");
    EXPECT_EQ(s1["delivery"]["delivered"], 3);
    EXPECT_NE(r1.err.find("\"msg\":\"extracting from warehouse\""), std::string::npos) << r1.err;
    auto events = Delivered();
    ASSERT_EQ(events.size(), 3u);
    std::set<std::string> users;
    for (const auto& e : events) {
        EXPECT_EQ(e["type"], "identify");
        EXPECT_EQ(e["traits"]["pro"], true);
        users.insert(e["userId"].get<std::string>());
    }
    EXPECT_EQ(users, (std::set<std::string>{"u1", "p3", "42"}));

    // p4 moves to enterprise: one exit, delivered; the first events are not sent again.
    Sql("INSERT INTO segment.user_traits VALUES ('p4', 'plan', 'enterprise', 9)");
    Outcome r2 = Kith("run --quiet --config " + Config() + " --audience pro --as-of 2026-01-01T00:00:00Z");
    ASSERT_EQ(r2.code, 0) << r2.err;
    json s2 = json::parse(r2.out);
    EXPECT_EQ(s2["profiles"], json({{"entered", 0}, {"exited", 1}}));
    EXPECT_EQ(r2.err, "");
    events = Delivered();
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[3]["userId"], "42");
    EXPECT_EQ(events[3]["traits"]["pro"], false);

    Outcome runs = Kith("runs --config " + Config() + " --audience pro");
    ASSERT_EQ(runs.code, 0) << runs.err;
    json history = json::parse(runs.out);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0]["id"], s2["run_id"]);
    EXPECT_EQ(history[0]["status"], "completed");
    EXPECT_TRUE(history[0]["steps"].contains("extracting_ms"));

    Outcome changes = Kith("changes --config " + Config() + " --run " + std::to_string(s1["run_id"].get<int>()));
    ASSERT_EQ(changes.code, 0) << changes.err;
    EXPECT_EQ(changes.out, "{\"kind\":\"entered\",\"profile\":\"p1\"}\n"
                           "{\"kind\":\"entered\",\"profile\":\"p3\"}\n"
                           "{\"kind\":\"entered\",\"profile\":\"p4\"}\n");
}

TEST_F(CliRun, UnknownAudienceAndQueueOnly) {
    Outcome bad = Kith("run --config " + Config() + " --audience nope");
    EXPECT_EQ(bad.code, 1);
    EXPECT_NE(bad.err.find("no audience with key nope"), std::string::npos) << bad.err;
    Outcome queued = Kith("run --quiet --no-deliver --config " + Config() + " --audience pro");
    ASSERT_EQ(queued.code, 0) << queued.err;
    EXPECT_FALSE(json::parse(queued.out).contains("delivery"));
    EXPECT_TRUE(Delivered().empty());
    Outcome d = Kith("deliver --until-idle --config " + Config());
    ASSERT_EQ(d.code, 0) << d.err;
    EXPECT_EQ(Delivered().size(), 3u);
}

} // namespace
