#include "api/operations.hpp"


#include "api/auth.hpp"
#include "common/text.hpp"
#include "common/thread.hpp"
#include "deliver/http.hpp"

#include <chrono>

namespace kith::api {

void Operation::Progress(std::string text) {
    std::lock_guard lock(*mutex_);
    progress_ = std::move(text);
}

bool Operation::Cancelled() const {
    std::lock_guard lock(*mutex_);
    return cancelled_;
}

void Operation::OnCancel(std::function<void()> interrupt) {
    std::lock_guard lock(*mutex_);
    interrupt_ = std::move(interrupt);
}

Operations::Operations(size_t workers, int64_t keep_ms) : keep_ms_(keep_ms) {
    if (workers < 1) workers = 1;
    for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Worker(); });
}

Operations::~Operations() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        for (auto& [id, op] : ops_) {
            if (op->status_ == "queued" || op->status_ == "running") {
                op->cancelled_ = true;
                if (op->interrupt_) op->interrupt_();
            }
        }
    }
    changed_.notify_all();
    for (auto& t : workers_) t.join();
}

std::string Operations::Start(std::string kind, int64_t owner, Work work) {
    auto op = std::make_shared<Operation>();
    op->id_ = RandomToken("op_").substr(0, 27);
    op->kind_ = std::move(kind);
    op->owner_ = owner;
    op->created_at_ = deliver::WallClockMs();
    op->work_ = std::move(work);
    op->mutex_ = &mutex_;
    std::lock_guard lock(mutex_);
    Forget(op->created_at_);
    ops_[op->id_] = op;
    queue_.push_back(op);
    changed_.notify_all();
    return op->id_;
}

void Operations::Worker() {
    thread::RunInBackground(); // previews yield the CPU to requests
    std::unique_lock lock(mutex_);
    while (true) {
        changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        auto op = queue_.front();
        queue_.pop_front();
        if (op->cancelled_) continue;
        op->status_ = "running";
        auto work = std::move(op->work_);
        lock.unlock();
        Result<nlohmann::json> result = Fail(ErrorCode::INTERNAL, "the operation did not finish");
        try {
            result = work(*op);
        } catch (const std::exception& e) {
            result = Fail(ErrorCode::INTERNAL, e.what());
        }
        lock.lock();
        op->finished_at_ = deliver::WallClockMs();
        op->interrupt_ = nullptr;
        if (op->cancelled_) {
            op->status_ = "cancelled";
        } else if (result) {
            op->status_ = "succeeded";
            op->result_ = std::move(*result);
        } else {
            op->status_ = "failed";
            op->error_ = result.error();
        }
        changed_.notify_all();
    }
}

nlohmann::json Operations::View(const Operation& op) const {
    nlohmann::json j = {{"id", op.id_},
                        {"kind", op.kind_},
                        {"status", op.status_},
                        {"progress", op.progress_},
                        {"created_at", text::IsoMillis(op.created_at_)},
                        {"finished_at", op.finished_at_ ? nlohmann::json(text::IsoMillis(*op.finished_at_)) : nullptr}};
    if (op.status_ == "succeeded") j["result"] = op.result_;
    if (op.error_) j["error"] = {{"code", "operation_failed"}, {"message", op.error_->ToString()}};
    return j;
}

std::optional<nlohmann::json> Operations::Get(const std::string& id, int64_t wait_ms) {
    std::unique_lock lock(mutex_);
    auto it = ops_.find(id);
    if (it == ops_.end()) return std::nullopt;
    auto op = it->second;
    if (wait_ms > 0) {
        changed_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                          [&] { return op->finished_at_.has_value() || stopping_; });
    }
    return View(*op);
}

std::optional<int64_t> Operations::Owner(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = ops_.find(id);
    if (it == ops_.end()) return std::nullopt;
    return it->second->owner_;
}

Status Operations::Cancel(const std::string& id) {
    {
        std::lock_guard lock(mutex_);
        auto it = ops_.find(id);
        if (it == ops_.end()) return Fail(ErrorCode::NOT_FOUND, "no operation " + id);
        auto& op = *it->second;
        if (op.finished_at_) return {};
        op.cancelled_ = true;
        if (op.status_ == "queued") {
            op.status_ = "cancelled";
            op.finished_at_ = deliver::WallClockMs();
        }
        // Under the lock: work clears its interrupt (OnCancel(nullptr)) before it gives its connection back, so the
        // interrupt never reaches a connection another request holds by then.
        if (op.interrupt_) op.interrupt_();
    }
    changed_.notify_all();
    return {};
}

size_t Operations::Active() {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& [id, op] : ops_) n += op->finished_at_ ? 0 : 1;
    return n;
}

void Operations::Forget(int64_t now) {
    for (auto it = ops_.begin(); it != ops_.end();) {
        if (it->second->finished_at_ && *it->second->finished_at_ + keep_ms_ < now) {
            it = ops_.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace kith::api
