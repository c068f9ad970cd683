#include "run/stager.hpp"

#include <algorithm>
#include <chrono>

namespace kith::run {

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// How many batches may wait for the writer.
constexpr size_t kWaiting = 2;

} // namespace

Stager::Stager(store::Store& store, int64_t run_id, size_t batch)
    : run_id_(run_id), batch_(std::max<size_t>(batch, 1)) {
    auto other = store.OpenAnother();
    if (!other) {
        error_ = other.error();
        return;
    }
    own_ = std::move(*other);
    thread_ = std::thread([this] { Writer(); });
}

Stager::~Stager() { (void)Finish(); }

Status Stager::Write(std::vector<store::NewEvent>& batch) {
    auto t0 = std::chrono::steady_clock::now();
    // In the order of the outbox's unique index (activation, dedup key), so that each index page is read and
    // rewritten once per batch.
    std::stable_sort(batch.begin(), batch.end(), [](const store::NewEvent& a, const store::NewEvent& b) {
        return a.activation_id != b.activation_id ? a.activation_id < b.activation_id : a.UniqueKey() < b.UniqueKey();
    });
    // Counted into a copy that is kept only when the transaction commits.
    std::map<int64_t, store::Published> counts = counts_;
    auto staged = own_->Transaction([&](store::Tx& tx) { return tx.StageEvents(run_id_, batch, &counts); });
    if (!staged) return std::unexpected(staged.error());
    counts_ = std::move(counts);
    write_seconds_ += Since(t0);
    return {};
}

void Stager::Writer() {
    while (true) {
        std::vector<store::NewEvent> batch;
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return !queue_.empty() || closing_ || error_; });
            if (error_ || queue_.empty()) break;
            batch = std::move(queue_.front());
            queue_.pop_front();
            cv_.notify_all();
        }
        auto ok = Write(batch);
        {
            std::lock_guard lock(m_);
            if (!ok && !error_) error_ = ok.error();
            cv_.notify_all();
        }
    }
}

Status Stager::Add(std::vector<store::NewEvent> events) {
    for (auto& e : events) {
        filling_.push_back(std::move(e));
        if (filling_.size() < batch_) continue;
        std::vector<store::NewEvent> full;
        full.swap(filling_);
        auto t0 = std::chrono::steady_clock::now();
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return queue_.size() < kWaiting || error_; });
        wait_seconds_ += Since(t0);
        if (error_) return std::unexpected(*error_);
        queue_.push_back(std::move(full));
        cv_.notify_all();
    }
    std::lock_guard lock(m_);
    if (error_) return std::unexpected(*error_);
    return {};
}

void Stager::Abandon() {
    {
        std::lock_guard lock(m_);
        queue_.clear();
        filling_.clear();
        if (!error_) error_ = Error{ErrorCode::CONFLICT, "the run's staging was abandoned", ""};
        cv_.notify_all();
    }
    (void)Finish();
}

Status Stager::Finish() {
    if (finished_) {
        std::lock_guard lock(m_);
        if (error_) return std::unexpected(*error_);
        return {};
    }
    finished_ = true;
    auto t0 = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(m_);
        if (!filling_.empty() && !error_) queue_.push_back(std::move(filling_));
        filling_.clear();
        closing_ = true;
        cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    wait_seconds_ += Since(t0);
    std::lock_guard lock(m_);
    if (error_) return std::unexpected(*error_);
    return {};
}

} // namespace kith::run
