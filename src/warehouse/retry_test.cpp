#include "warehouse/retry.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace kith::warehouse {
namespace {

using std::chrono::milliseconds;

Error Transient() {
    Error e{ErrorCode::WAREHOUSE, "HTTP 503", "test"};
    e.transient = true;
    return e;
}

// A loop whose waits are recorded, not slept, and whose clock advances by each wait.
struct FakeTime {
    RetryLoop::Clock::time_point now{};
    void Attach(RetryLoop& loop) {
        loop.SetClockForTest([this] { return now; });
        loop.SetSleeperForTest([this](milliseconds d, const std::stop_token&) {
            now += d;
            return true;
        });
    }
};

TEST(Retry, TransientFailuresWaitLongerEachTimeWithinBounds) {
    RetryLoop loop(RetryPolicy{milliseconds(100), milliseconds(1000), milliseconds(60000), 42});
    FakeTime time;
    time.Attach(loop);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(loop.Again(Transient()));
    const auto& d = loop.delays();
    ASSERT_EQ(d.size(), 8u);
    // base 100, 200, 400, 800, then capped at 1000; each wait in [base/2, base].
    const long long bases[] = {100, 200, 400, 800, 1000, 1000, 1000, 1000};
    for (size_t i = 0; i < d.size(); ++i) {
        EXPECT_GE(d[i].count(), bases[i] / 2) << i;
        EXPECT_LE(d[i].count(), bases[i]) << i;
    }
}

TEST(Retry, PermanentFailuresAreNotRetried) {
    RetryLoop loop;
    FakeTime time;
    time.Attach(loop);
    EXPECT_FALSE(loop.Again(Error{ErrorCode::WAREHOUSE, "syntax error", "test"}));
    EXPECT_TRUE(loop.delays().empty());
    EXPECT_EQ(loop.failures(), 1);
}

TEST(Retry, GivesUpWhenTheTotalTimeIsSpent) {
    RetryLoop loop(RetryPolicy{milliseconds(100), milliseconds(1000), milliseconds(5000), 7});
    FakeTime time;
    time.Attach(loop);
    int retries = 0;
    while (loop.Again(Transient())) ++retries;
    auto waited = std::chrono::duration_cast<milliseconds>(time.now - RetryLoop::Clock::time_point{});
    EXPECT_LE(waited.count(), 5000);
    EXPECT_GE(waited.count(), 3500); // it used most of the budget before giving up
    EXPECT_GT(retries, 4);
}

TEST(Retry, HonoursRetryAfter) {
    RetryLoop loop(RetryPolicy{milliseconds(100), milliseconds(1000), milliseconds(60000), 1});
    FakeTime time;
    time.Attach(loop);
    ASSERT_TRUE(loop.Again(Transient(), milliseconds(3000)));
    EXPECT_EQ(loop.delays().back(), milliseconds(3000)); // longer than max_delay: the server asked for it
    // A Retry-After beyond the budget ends the retries at once rather than waiting in vain.
    EXPECT_FALSE(loop.Again(Transient(), milliseconds(120000)));
    EXPECT_EQ(loop.delays().size(), 1u);
}

TEST(Retry, AStopRequestEndsTheWaitAtOnce) {
    std::stop_source stop;
    RetryLoop loop(RetryPolicy{milliseconds(60000), milliseconds(60000), milliseconds(600000), 3}, stop.get_token());
    std::thread stopper([&] { stop.request_stop(); });
    auto start = std::chrono::steady_clock::now();
    bool again = loop.Again(Transient()); // would wait 30 to 60 s
    stopper.join();
    EXPECT_FALSE(again);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    // Once stopped, no further attempt.
    EXPECT_FALSE(loop.Again(Transient()));
}

TEST(Retry, SleepUnlessStoppedSleepsWithoutAStop) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(RetryLoop::SleepUnlessStopped(milliseconds(20), std::stop_token{}));
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
}

TEST(Retry, ParsesRetryAfter) {
    EXPECT_EQ(ParseRetryAfter("0"), milliseconds(0));
    EXPECT_EQ(ParseRetryAfter(" 2 "), milliseconds(2000));
    EXPECT_EQ(ParseRetryAfter("soon"), std::nullopt);
    EXPECT_EQ(ParseRetryAfter(""), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("-1"), std::nullopt);
    auto now = std::chrono::system_clock::from_time_t(1445412470); // Wed, 21 Oct 2015 07:27:50 GMT
    EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(10000));
    EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), milliseconds(0)); // in the past: at once
}

} // namespace
} // namespace kith::warehouse
