// Staging a run's events into the outbox on a thread of its own: while one
// batch is written, the next page of changes is read from the warehouse and
// its events are built.
//
//   Stager stager(env.store, run_id, settings.stage_batch);
//   if (auto ok = stager.Add(std::move(page_events)); !ok) ...   // per page
//   if (auto ok = stager.Finish(); !ok) ...                      // the rest written, the thread joined
//   stager.counts();                                              // queued / filtered / duplicates per activation
//
// Batches are written in one transaction each, sorted by activation and
// dedup key: the outbox's unique index on them is where a bulk insert spends
// its time, and a sorted batch reaches each page of it once. The writer's connection
// checkpoints the write-ahead log as SQLite does by default, after the
// transaction that grows it past 4 MB: deferring that made the other
// connections' writes pay for it (up to a second each). At most two batches
// wait for the writer, so memory is bounded by the batch size, not the
// number of events.
#pragma once

#include "common/error.hpp"
#include "store/store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace kith::run {

class Stager {
public:
    Stager(store::Store& store, int64_t run_id, size_t batch);
    ~Stager();
    Stager(const Stager&) = delete;
    Stager& operator=(const Stager&) = delete;

    //! Queues events; writes (or hands to the writer) every full batch. Waits while two batches wait. Fails with
    //! the error of an earlier batch, after which nothing more is written.
    Status Add(std::vector<store::NewEvent> events);
    //! Writes what is left and ends the writer. The first error of any batch, or of opening the writer.
    Status Finish();
    //! Ends the writer after the batch it is writing, dropping the batches that wait: the run failed or was
    //! stopped, and its staged events are discarded anyway.
    void Abandon();

    //! Per activation: events queued, filtered at source and skipped as duplicates, over the committed batches.
    //! Read after Finish.
    const std::map<int64_t, store::Published>& counts() const { return counts_; }
    //! Seconds the writer spent writing, and the caller spent waiting for it (in Add and Finish).
    double write_seconds() const { return write_seconds_; }
    double wait_seconds() const { return wait_seconds_; }

private:
    void Writer();
    Status Write(std::vector<store::NewEvent>& batch); // on the writer's thread

    int64_t run_id_;
    size_t batch_;
    std::unique_ptr<store::Store> own_; // the writer's connection to the store
    std::vector<store::NewEvent> filling_;
    std::map<int64_t, store::Published> counts_;
    double write_seconds_ = 0, wait_seconds_ = 0;
    bool finished_ = false;

    std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::vector<store::NewEvent>> queue_; // guarded by m_
    bool closing_ = false;                           // guarded by m_
    std::optional<Error> error_;                     // guarded by m_
    std::thread thread_;
};

} // namespace kith::run
