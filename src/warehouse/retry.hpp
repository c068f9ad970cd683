// A bounded retry loop for warehouse drivers: randomized exponential backoff over a total time budget, a server's
// Retry-After honoured, and an early stop when the statement is interrupted.
//
//   warehouse::RetryLoop loop(warehouse::RetryPolicy{}, stop_token);
//   while (true) {
//       auto answer = CallTheEngine();                  // Result<T>; Error::transient says if retrying can help
//       if (answer || !loop.Again(answer.error(), retry_after)) return answer;
//   }
//
// Only failures marked Error::transient are retried; a caller retries only requests that are safe to repeat (reads,
// idempotent calls, or a statement the engine surely never received). Once the loop gives up, the last error is
// returned as it was (still transient when it was), so the caller can tell the user what the engine said.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <stop_token>
#include <string_view>
#include <vector>

namespace kith::warehouse {

//! How long and how often to retry.
struct RetryPolicy {
    std::chrono::milliseconds first_delay{200}; //!< the base of the first wait
    std::chrono::milliseconds max_delay{10000}; //!< no wait between two attempts is longer (except a Retry-After)
    std::chrono::milliseconds total{60000};     //!< no retry starts later than this after the first attempt
    uint64_t seed = 0;                          //!< seeds the jitter; 0: a random seed
};

//! Decides, after each failed attempt, whether to try again, and waits before it does.
class RetryLoop {
public:
    using Clock = std::chrono::steady_clock;
    //! Waits for a duration unless stop is requested first; returns false when stopped. Replaceable for tests.
    using Sleeper = std::function<bool(std::chrono::milliseconds, const std::stop_token&)>;

    explicit RetryLoop(RetryPolicy policy = {}, std::stop_token stop = {});

    //! After a failed attempt: when error.transient, the budget allows another attempt and no stop was requested,
    //! waits (retry_after when the server named one, else a random delay in [base/2, base] where base doubles from
    //! first_delay up to max_delay) and returns true. Returns false at once otherwise, also when the wait would end
    //! past the total budget, and false after a wait cut short by a stop request.
    bool Again(const Error& error, std::optional<std::chrono::milliseconds> retry_after = std::nullopt);

    //! Attempts so far that Again was told about (failed attempts).
    int failures() const { return failures_; }
    //! The delays waited so far, for tests and log lines.
    const std::vector<std::chrono::milliseconds>& delays() const { return delays_; }

    //! Test hooks: a sleeper that does not sleep, a clock that does not tick.
    void SetSleeperForTest(Sleeper sleeper) { sleeper_ = std::move(sleeper); }
    void SetClockForTest(std::function<Clock::time_point()> now);

    //! Sleeps for d unless stop is requested first (wakes at once then); false when stopped.
    static bool SleepUnlessStopped(std::chrono::milliseconds d, const std::stop_token& stop);

private:
    RetryPolicy policy_;
    std::stop_token stop_;
    Sleeper sleeper_;
    std::function<Clock::time_point()> now_;
    Clock::time_point start_;
    std::mt19937_64 random_;
    int failures_ = 0;
    std::vector<std::chrono::milliseconds> delays_;
};

//! Parses an HTTP Retry-After value: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT",
//! relative to now); nullopt when it is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now =
                                                             std::chrono::system_clock::now());

} // namespace kith::warehouse
