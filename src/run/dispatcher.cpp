#include "run/dispatcher.hpp"

#include "schedule/schedule.hpp"

#include <fmt/format.h>

namespace kith::run {

namespace {

template <class T> std::unexpected<Error> Propagate(const Result<T>& r) { return std::unexpected(r.error()); }

int64_t Micros(schedule::Instant t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

} // namespace

Dispatcher::Dispatcher(Environment& env, int64_t workspace, Settings settings, schedule::SchedulerOptions options,
                       const schedule::Clock& clock)
    : env_(env), workspace_(workspace), settings_(std::move(settings)), clock_(clock), scheduler_(options) {}

Status Dispatcher::Sync() {
    auto audiences = env_.store.ListAudiences(workspace_);
    if (!audiences) return Propagate(audiences);
    schedule::Instant now = clock_.Now();
    for (const auto& a : *audiences) {
        auto parsed = schedule::ParseSchedule(a.spec.schedule);
        if (!parsed) {
            return Fail(ErrorCode::INVALID, fmt::format("audience {}: its schedule is invalid: {}", a.spec.key,
                                                        parsed.error().empty() ? "" : parsed.error()[0].message));
        }
        std::string canonical = store::CanonicalJson(a.spec.schedule);
        auto it = known_.find(a.spec.key);
        if (it == known_.end()) {
            // At the first sync the state is restored; an audience that appears later enabled was just enabled.
            bool enable_now = synced_ && a.spec.enabled;
            if (auto ok = scheduler_.Add(a.spec.key, *parsed, a.spec.enabled && !enable_now, now); !ok) return ok;
            if (enable_now) {
                if (auto ok = scheduler_.Enable(a.spec.key, now); !ok) return ok;
            }
            known_[a.spec.key] = Known{a.spec.enabled, canonical};
            continue;
        }
        if (it->second.schedule != canonical) {
            if (auto ok = scheduler_.SetSchedule(a.spec.key, *parsed, now); !ok) return ok;
            it->second.schedule = canonical;
        }
        if (it->second.enabled != a.spec.enabled) {
            auto ok = a.spec.enabled ? scheduler_.Enable(a.spec.key, now) : scheduler_.Disable(a.spec.key);
            if (!ok) return ok;
            it->second.enabled = a.spec.enabled;
        }
    }
    synced_ = true;
    return {};
}

Status Dispatcher::RunNow(const std::string& key) { return scheduler_.RunNow(key, clock_.Now()); }

Result<std::vector<store::Run>> Dispatcher::Step() {
    if (!recovered_) {
        // Runs a previous process left running end failed; their audiences run again when next due.
        auto failed = RecoverInterrupted(env_, std::nullopt, settings_.schema);
        if (!failed) return Propagate(failed);
        recovered_ = true;
    }
    std::vector<store::Run> out;
    for (const schedule::RunStart& start : scheduler_.Tick(clock_.Now())) {
        if (settings_.stop && settings_.stop()) {
            // Stopping: what is due stays due; the next process plans it again.
            (void)scheduler_.Finished(start.audience, clock_.Now());
            continue;
        }
        auto audience = env_.store.GetAudience(workspace_, start.audience);
        if (!audience) return Propagate(audience);
        if (!*audience) {
            (void)scheduler_.Finished(start.audience, clock_.Now());
            continue;
        }
        auto run_id = env_.store.CreateRun((*audience)->id, std::string(schedule::ReasonName(start.reason)),
                                           ThisWorker());
        if (!run_id) return Propagate(run_id);
        Settings s = settings_;
        s.as_of_micros = Micros(clock_.Now());
        auto run = Execute(env_, *run_id, s);
        if (auto ok = scheduler_.Finished(start.audience, clock_.Now()); !ok) return Propagate(ok);
        if (!run) return Propagate(run);
        out.push_back(std::move(*run));
    }
    return out;
}

} // namespace kith::run
