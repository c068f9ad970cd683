// The stop of the statement a warehouse connection is running, for Warehouse::Interrupt: the statement's thread
// begins and ends it, any other thread may ask it to stop. The REST and Thrift drivers pass the token to their waits
// and requests, which then end within ~100 ms, and cancel the statement on the server.
//
//   std::stop_token stop = running_.Begin();  // the statement's thread, before it sends anything
//   auto answer = Run(sql, stop);              // waits with RetryLoop::SleepUnlessStopped(delay, stop), ...
//   running_.End();                            // when its last row was read, or it failed
//   ...
//   running_.RequestStop();                    // Interrupt(), from another thread; nothing when none is running
//   return std::unexpected(InterruptedError("snowflake"));
#pragma once

#include "common/error.hpp"

#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace kith::warehouse {

//! The stop source of the running statement, if any; thread-safe.
class StatementStop {
public:
    //! A new statement begins: its token, not stopped yet.
    std::stop_token Begin() {
        std::lock_guard lock(mutex_);
        running_.emplace();
        return running_->get_token();
    }
    //! The statement has ended: a later RequestStop does nothing.
    void End() {
        std::lock_guard lock(mutex_);
        running_.reset();
    }
    //! Asks the running statement to stop (its thread wakes at once); nothing when none is running.
    void RequestStop() {
        std::lock_guard lock(mutex_);
        if (running_) running_->request_stop();
    }

private:
    std::mutex mutex_;
    std::optional<std::stop_source> running_;
};

//! The error of a statement stopped by Interrupt, located at the engine ("snowflake").
inline Error InterruptedError(std::string engine) {
    return Error{ErrorCode::WAREHOUSE, "the statement was interrupted (cancelled on the server)", std::move(engine)};
}

} // namespace kith::warehouse
