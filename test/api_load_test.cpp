// The service under load, shortened: 200 clients for 8 s on 2,000 profiles, each on its own kept-alive connection,
// mixing reads, writes, previews and "Run now" while runs and deliveries proceed (test/support/api_load.hpp). No
// request may fail, runs must complete and deliver events, and every event the overview calls delivered must have
// reached the webhook sink, none failed. Latencies are printed, not asserted (bench/api_load measures them).
#include "support/api_load.hpp"
#include "support/fixture_dir.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>

namespace {

namespace fs = std::filesystem;

TEST(ApiLoad, ManyClientsLoseNothing) {
    kith::test::LoadOptions o;
    o.clients = 200;
    o.seconds = 8;
    o.profiles = 2000;
    o.dir = kith::test::TestDir("kith_api_load");
    o.settle_seconds = 180;
    o.progress = [](std::string_view line) { std::cout << "api_load: " << line << std::endl; };
    kith::test::LoadReport r = kith::test::RunApiLoad(o);
    std::cout << kith::test::FormatLoadReport(r);
    ASSERT_EQ(r.setup_error, "");

    EXPECT_EQ(r.Errors(), 0) << "first errors: " << (r.first_errors.empty() ? "" : r.first_errors.front());
    for (const auto& c : r.classes) EXPECT_GT(c.requests, 0) << c.name << " were never sent";
    EXPECT_GT(r.preview_results, 0);
    EXPECT_TRUE(r.settled) << r.settle_state;
    EXPECT_GT(r.runs_completed, 0);
    EXPECT_EQ(r.runs_failed, 0);
    EXPECT_GT(r.delivered, 0);
    EXPECT_EQ(r.failed, 0);
    EXPECT_EQ(r.unknown_events, 0);
    EXPECT_EQ(r.received_events, r.delivered) << "events lost (or counted delivered without reaching the sink)";
    EXPECT_TRUE(r.Passed());
    if (!HasFailure()) fs::remove_all(o.dir);
}

} // namespace
