// The time source of the scheduler's driver: the system clock in the service, a fake clock in tests
// (which never sleep: they move the fake clock and call Scheduler::Tick).
#pragma once

#include "schedule/time_zone.hpp"

#include <chrono>

namespace kith::schedule {

//! Tells the time, in whole seconds.
class Clock {
public:
    virtual ~Clock() = default;
    virtual Instant Now() const = 0;
};

//! std::chrono::system_clock, truncated to the second.
class SystemClock final : public Clock {
public:
    Instant Now() const override { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }
};

//! A clock that only moves when told to.
class FakeClock final : public Clock {
public:
    explicit FakeClock(Instant start) : now_(start) {}
    Instant Now() const override { return now_; }
    void Set(Instant t) { now_ = t; }
    void Advance(std::chrono::seconds d) { now_ += d; }

private:
    Instant now_;
};

} // namespace kith::schedule
