#include "common/thread.hpp"

#include <gtest/gtest.h>
#include <thread>

namespace kith::thread {
namespace {

TEST(Thread, RunInBackgroundLowersOnlyTheCallingThreadAndItsChildren) {
    int before = Nice();
    int inside = -100, child = -100;
    std::thread t([&] {
        RunInBackground();
        inside = Nice();
        std::thread c([&] { child = Nice(); });
        c.join();
    });
    t.join();
    EXPECT_EQ(inside, std::max(before, kBackgroundNice));
    EXPECT_EQ(child, inside) << "threads started by a background thread are background threads too";
    EXPECT_EQ(Nice(), before) << "the calling thread's priority must not change";
}

} // namespace
} // namespace kith::thread
