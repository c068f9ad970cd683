#include "warehouse/retry.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <mutex>

namespace kith::warehouse {

RetryLoop::RetryLoop(RetryPolicy policy, std::stop_token stop)
    : policy_(policy), stop_(std::move(stop)), sleeper_(&RetryLoop::SleepUnlessStopped), now_(&Clock::now),
      start_(Clock::now()), random_(policy.seed != 0 ? policy.seed : std::random_device{}()) {}

void RetryLoop::SetClockForTest(std::function<Clock::time_point()> now) {
    now_ = std::move(now);
    start_ = now_();
}

bool RetryLoop::Again(const Error& error, std::optional<std::chrono::milliseconds> retry_after) {
    ++failures_;
    if (!error.transient || stop_.stop_requested()) return false;
    std::chrono::milliseconds delay;
    if (retry_after) {
        delay = std::max(*retry_after, std::chrono::milliseconds(0));
    } else {
        // base = first_delay * 2^(failures-1), capped; the wait is uniform in [base/2, base] ("equal jitter").
        auto base = policy_.first_delay;
        for (int i = 1; i < failures_ && base < policy_.max_delay; ++i) base *= 2;
        base = std::min(base, policy_.max_delay);
        auto low = base.count() / 2;
        std::uniform_int_distribution<long long> pick(low, std::max<long long>(low, base.count()));
        delay = std::chrono::milliseconds(pick(random_));
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now_() - start_);
    if (elapsed + delay > policy_.total) return false;
    delays_.push_back(delay);
    return sleeper_(delay, stop_);
}

bool RetryLoop::SleepUnlessStopped(std::chrono::milliseconds d, const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock(mutex);
    // Returns the predicate's value: false unless stopped; wakes at once when stop is requested.
    cv.wait_for(lock, stop, d, [] { return false; });
    return !stop.stop_requested();
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
        value.remove_suffix(1);
    }
    if (value.empty()) return std::nullopt;
    if (value.find_first_not_of("0123456789") == std::string_view::npos) {
        long long seconds = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
        seconds = std::min<long long>(seconds, 24 * 3600);
        return std::chrono::milliseconds(seconds * 1000);
    }
    // IMF-fixdate, the form HTTP/1.1 senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
    std::tm tm{};
    std::string text(value);
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
    return std::max(delay, std::chrono::milliseconds(0));
}

} // namespace kith::warehouse
