// Long operations (a preview on a big warehouse, explain, value suggestions on a large table): started by one
// request, run on a small pool of worker threads, polled for their progress and result, and cancellable. A
// cancelled operation's warehouse query is interrupted (Warehouse::Interrupt), so the warehouse stops working too.
// Finished operations are kept for `keep_ms`, then forgotten.
//
//   auto id = ops.Start("preview", user_id, [&](Operation& op) -> Result<nlohmann::json> {
//       op.Progress("counting members");
//       op.OnCancel([&] { warehouse.Interrupt(); });
//       ...
//   });
//   auto view = ops.Get(id, /*wait_ms=*/2000);   // {"id", "kind", "status": "running|succeeded|failed|cancelled", ...}
//   ops.Cancel(id);
#pragma once

#include "common/error.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kith::api {

class Operation {
public:
    //! Sets the progress text shown while it runs ("counting members").
    void Progress(std::string text);
    //! Whether Cancel was called; work checks it between steps.
    bool Cancelled() const;
    //! Called (from the cancelling thread) when the operation is cancelled while it runs; replaces the previous.
    //! Work sets it before a warehouse query and clears it (nullptr) before giving the connection back.
    void OnCancel(std::function<void()> interrupt);

private:
    friend class Operations;
    std::string id_;
    std::string kind_;
    int64_t owner_ = 0;
    std::string status_ = "queued"; //!< queued, running, succeeded, failed, cancelled
    std::string progress_;
    nlohmann::json result_;
    std::optional<Error> error_;
    int64_t created_at_ = 0;
    std::optional<int64_t> finished_at_;
    bool cancelled_ = false;
    std::function<void()> interrupt_;
    std::function<Result<nlohmann::json>(Operation&)> work_;
    mutable std::mutex* mutex_ = nullptr;
};

class Operations {
public:
    using Work = std::function<Result<nlohmann::json>(Operation&)>;

    Operations(size_t workers, int64_t keep_ms = 10 * 60 * 1000);
    //! Cancels what runs and waits for the workers.
    ~Operations();
    Operations(const Operations&) = delete;
    Operations& operator=(const Operations&) = delete;

    //! Queues the work; returns the operation's id. owner is the user who started it (only they, or an admin, may
    //! read or cancel it: the API checks).
    std::string Start(std::string kind, int64_t owner, Work work);
    //! The operation as JSON ({"id", "kind", "status", "progress", "created_at", "finished_at", and "result" or
    //! "error" once finished}), after waiting up to wait_ms for it to finish; nullopt when unknown.
    std::optional<nlohmann::json> Get(const std::string& id, int64_t wait_ms = 0);
    //! The owner of an operation, if it exists.
    std::optional<int64_t> Owner(const std::string& id);
    //! Cancels a queued or running operation; NOT_FOUND for an unknown id; a finished one is left as it is.
    Status Cancel(const std::string& id);
    //! Operations queued or running.
    size_t Active();

private:
    void Worker();
    nlohmann::json View(const Operation& op) const;
    void Forget(int64_t now);

    int64_t keep_ms_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::string, std::shared_ptr<Operation>> ops_;
    std::deque<std::shared_ptr<Operation>> queue_;
    std::vector<std::thread> workers_;
    bool stopping_ = false;
};

} // namespace kith::api
