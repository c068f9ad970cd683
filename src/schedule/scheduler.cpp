#include "schedule/scheduler.hpp"

#include <algorithm>

namespace kith::schedule {

std::string_view ReasonName(RunReason reason) {
    switch (reason) {
    case RunReason::SCHEDULED:
        return "scheduled";
    case RunReason::MANUAL:
        return "manual";
    case RunReason::ENABLED:
        return "enabled";
    }
    return "scheduled";
}

Scheduler::Scheduler(SchedulerOptions options) : max_concurrent_(std::max(1, options.max_concurrent)) {}

Scheduler::Entry* Scheduler::Find(std::string_view key) {
    auto it = audiences_.find(key);
    return it == audiences_.end() ? nullptr : &it->second;
}

static std::unexpected<Error> Unknown(std::string_view key) {
    return Fail(ErrorCode::NOT_FOUND, "unknown audience \"" + std::string(key) + "\"");
}

void Scheduler::Plan(Entry& e, Instant after) {
    e.planned.reset();
    if (!e.enabled || e.queued || e.running)
        return;
    // The first slot whose start (slot + spread) is after `after`, and never a slot that was run already.
    Instant from = after - e.spread;
    if (e.last_slot && *e.last_slot > from)
        from = *e.last_slot;
    e.planned = NextSlot(e.schedule, from);
}

void Scheduler::Enqueue(const std::string& key, Entry& e, Request r) {
    e.planned.reset();
    e.queued = true;
    QueueItem q{key, r, seq_++};
    auto at = std::upper_bound(queue_.begin(), queue_.end(), q, [](const QueueItem& a, const QueueItem& b) {
        return a.request.due != b.request.due ? a.request.due < b.request.due : a.seq < b.seq;
    });
    queue_.insert(at, std::move(q));
}

Status Scheduler::Add(std::string key, Schedule schedule, bool enabled, Instant now) {
    if (key.empty())
        return Fail(ErrorCode::USAGE, "an audience key must not be empty");
    if (audiences_.contains(key))
        return Fail(ErrorCode::INVALID, "audience \"" + key + "\" is already scheduled");
    Entry e;
    e.schedule = std::move(schedule);
    e.enabled = enabled;
    e.spread = SpreadOffset(key);
    Plan(e, now);
    audiences_.emplace(std::move(key), std::move(e));
    return {};
}

Status Scheduler::SetSchedule(std::string_view key, Schedule schedule, Instant now) {
    Entry* e = Find(key);
    if (!e)
        return Unknown(key);
    e->schedule = std::move(schedule);
    Plan(*e, now);
    return {};
}

Status Scheduler::Enable(std::string_view key, Instant now) {
    auto it = audiences_.find(key);
    if (it == audiences_.end())
        return Unknown(key);
    Entry& e = it->second;
    if (e.enabled)
        return {};
    e.enabled = true;
    const Request r{RunReason::ENABLED, now, now};
    if (e.running)
        e.follow_up = r;
    else
        Enqueue(it->first, e, r);
    return {};
}

Status Scheduler::Disable(std::string_view key) {
    Entry* e = Find(key);
    if (!e)
        return Unknown(key);
    e->enabled = false;
    e->planned.reset();
    e->follow_up.reset();
    if (e->queued) {
        std::erase_if(queue_, [&](const QueueItem& q) { return q.key == key; });
        e->queued = false;
    }
    return {};
}

Status Scheduler::RunNow(std::string_view key, Instant now) {
    auto it = audiences_.find(key);
    if (it == audiences_.end())
        return Unknown(key);
    Entry& e = it->second;
    if (!e.enabled)
        return Fail(ErrorCode::INVALID, "audience \"" + std::string(key) + "\" is disabled");
    if (e.queued)
        return {};
    const Request r{RunReason::MANUAL, now, now};
    if (e.running) {
        if (!e.follow_up)
            e.follow_up = r;
    } else {
        Enqueue(it->first, e, r);
    }
    return {};
}

std::vector<RunStart> Scheduler::Tick(Instant now) {
    // Planned runs due by now join the queue (in key order, so that ties are deterministic).
    for (auto& [key, e] : audiences_) {
        if (!e.planned || *e.planned + e.spread > now)
            continue;
        Instant slot = *e.planned;
        // Slots missed while Tick was not called run once, as the latest of them.
        for (auto next = NextSlot(e.schedule, slot); next && *next + e.spread <= now; next = NextSlot(e.schedule, slot))
            slot = *next;
        e.last_slot = slot;
        Enqueue(key, e, Request{RunReason::SCHEDULED, slot, slot + e.spread});
    }
    std::vector<RunStart> starts;
    size_t taken = 0;
    while (running_ < max_concurrent_ && taken < queue_.size()) {
        const QueueItem& q = queue_[taken++];
        Entry& e = audiences_.find(q.key)->second;
        e.queued = false;
        e.running = true;
        ++running_;
        starts.push_back(RunStart{q.key, q.request.slot, q.request.reason, q.request.due});
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    return starts;
}

Status Scheduler::Finished(std::string_view key, Instant at) {
    auto it = audiences_.find(key);
    if (it == audiences_.end())
        return Unknown(key);
    Entry& e = it->second;
    if (!e.running)
        return Fail(ErrorCode::INVALID, "audience \"" + std::string(key) + "\" has no run running");
    e.running = false;
    --running_;
    if (e.follow_up && e.enabled) {
        Request r = *e.follow_up;
        r.due = std::max(r.due, at);
        e.follow_up.reset();
        Enqueue(it->first, e, r);
        return {};
    }
    e.follow_up.reset();
    Plan(e, at);
    return {};
}

std::optional<Instant> Scheduler::NextWake() const {
    std::optional<Instant> wake;
    auto consider = [&](Instant t) {
        if (!wake || t < *wake)
            wake = t;
    };
    for (const auto& [key, e] : audiences_) {
        if (e.planned)
            consider(*e.planned + e.spread);
    }
    if (!queue_.empty() && running_ < max_concurrent_)
        consider(queue_.front().request.due);
    return wake;
}

Result<AudienceStatus> Scheduler::Inspect(std::string_view key) const {
    auto it = audiences_.find(key);
    if (it == audiences_.end())
        return Unknown(key);
    const Entry& e = it->second;
    AudienceStatus s;
    s.enabled = e.enabled;
    s.follow_up = e.follow_up.has_value();
    if (e.running)
        s.state = AudienceState::RUNNING;
    else if (e.queued)
        s.state = AudienceState::QUEUED;
    else if (e.planned) {
        s.state = AudienceState::PLANNED;
        s.next_slot = e.planned;
        s.next_start = *e.planned + e.spread;
    }
    return s;
}

std::vector<std::string> Scheduler::Queued() const {
    std::vector<std::string> keys;
    for (const auto& q : queue_)
        keys.push_back(q.key);
    return keys;
}

} // namespace kith::schedule
