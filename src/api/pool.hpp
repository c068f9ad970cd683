// A pool of connections (state store, warehouse) shared by the API's worker threads: a thread leases one, uses it
// alone, and the lease gives it back. Connections are made on demand by the factory; at most `max` exist at once
// (a lease waits for one to come back), and idle ones are kept for the next request.
//
//   Pool<store::Store> stores([&] { return store::Store::Open(path); }, 16);
//   auto lease = stores.Acquire();
//   if (!lease) return lease.error();
//   (*lease)->ListAudiences(1);
#pragma once

#include "common/error.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace kith::api {

template <class T> class Pool {
public:
    using Factory = std::function<Result<std::unique_ptr<T>>()>;

    class Lease {
    public:
        Lease(Pool* pool, std::unique_ptr<T> item) : pool_(pool), item_(std::move(item)) {}
        Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), item_(std::move(other.item_)) {}
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (pool_) pool_->Return(std::move(item_));
        }
        T* operator->() const { return item_.get(); }
        T& operator*() const { return *item_; }
        T* get() const { return item_.get(); }
        //! The connection is broken: close it instead of giving it back (the pool may then make a new one).
        void Discard() { item_.reset(); }

    private:
        Pool* pool_;
        std::unique_ptr<T> item_;
    };

    Pool(Factory factory, size_t max) : factory_(std::move(factory)), max_(max < 1 ? 1 : max) {}

    //! An idle connection, a new one while fewer than max exist, or the next one given back.
    Result<Lease> Acquire() {
        std::unique_lock lock(mutex_);
        returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
        if (!idle_.empty()) {
            auto item = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(item));
        }
        ++open_;
        lock.unlock();
        auto made = factory_();
        if (!made) {
            std::lock_guard again(mutex_);
            --open_;
            returned_.notify_one();
            return std::unexpected(made.error());
        }
        return Lease(this, std::move(*made));
    }

    //! Connections made and not closed (in use or idle).
    size_t Open() const {
        std::lock_guard lock(mutex_);
        return open_;
    }

private:
    void Return(std::unique_ptr<T> item) {
        {
            std::lock_guard lock(mutex_);
            if (item) {
                idle_.push_back(std::move(item));
            } else {
                --open_;
            }
        }
        returned_.notify_one();
    }

    Factory factory_;
    size_t max_;
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<T>> idle_;
    size_t open_ = 0;
};

} // namespace kith::api
