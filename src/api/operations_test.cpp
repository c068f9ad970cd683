#include "api/operations.hpp"

#include "warehouse/warehouse.hpp"

#include <atomic>
#include <chrono>
#include <gtest/gtest.h>
#include <thread>

namespace kith::api {
namespace {

using nlohmann::json;

TEST(Operations, ResultProgressAndWaiting) {
    Operations ops(1);
    std::atomic<bool> go = false;
    std::string id = ops.Start("preview", 7, [&](Operation& op) -> Result<json> {
        op.Progress("counting");
        while (!go) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return json{{"count", 3}};
    });
    EXPECT_EQ(ops.Owner(id), 7);
    // Running, with its progress, until released.
    json view;
    for (int i = 0; i < 1000; ++i) {
        view = *ops.Get(id);
        if (view["progress"] == "counting") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(view["status"], "running");
    EXPECT_EQ(view["progress"], "counting");
    EXPECT_FALSE(view.contains("result"));
    go = true;
    view = *ops.Get(id, 10000);
    EXPECT_EQ(view["status"], "succeeded");
    EXPECT_EQ(view["result"]["count"], 3);
    EXPECT_FALSE(view["finished_at"].is_null());
    EXPECT_FALSE(ops.Get("op_unknown"));
    EXPECT_EQ(ops.Active(), 0u);
}

TEST(Operations, FailuresAreReported) {
    Operations ops(1);
    std::string id = ops.Start("preview", 1, [](Operation&) -> Result<json> {
        return Fail(ErrorCode::WAREHOUSE, "no such table");
    });
    json view = *ops.Get(id, 10000);
    EXPECT_EQ(view["status"], "failed");
    EXPECT_NE(view["error"]["message"].get<std::string>().find("no such table"), std::string::npos);
}

TEST(Operations, CancelInterruptsTheWarehouseQuery) {
    auto wh = warehouse::Open("duckdb::memory:");
    ASSERT_TRUE(wh);
    Operations ops(1);
    std::atomic<bool> querying = false;
    std::string id = ops.Start("preview", 1, [&](Operation& op) -> Result<json> {
        warehouse::Warehouse* w = wh->get();
        op.OnCancel([w] { w->Interrupt(); });
        querying = true;
        // Minutes of work unless interrupted.
        auto rows = warehouse::QueryAll(*w, "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3");
        op.OnCancel(nullptr);
        if (!rows) return std::unexpected(rows.error());
        return json{{"rows", rows->size()}};
    });
    // A second operation waits behind it in the queue and is cancelled before it starts.
    std::atomic<bool> second_ran = false;
    std::string queued = ops.Start("preview", 1, [&](Operation&) -> Result<json> {
        second_ran = true;
        return json::object();
    });
    while (!querying) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(ops.Cancel(queued));
    EXPECT_EQ((*ops.Get(queued))["status"], "cancelled");
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(ops.Cancel(id));
    json view = *ops.Get(id, 30000);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(view["status"], "cancelled");
    EXPECT_LT(s, 30.0);
    EXPECT_FALSE(second_ran);
    EXPECT_FALSE(ops.Cancel("op_nothing"));
    // The connection serves the next query.
    EXPECT_TRUE(warehouse::QueryAll(**wh, "SELECT 1"));
}

} // namespace
} // namespace kith::api
