#include "deliver/drain.hpp"

#include "deliver/destination.hpp"
#include "deliver/filter.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <random>
#include <thread>

namespace kith::deliver {

namespace {

template <class T> std::unexpected<Error> Propagate(const Result<T>& r) {
    return std::unexpected(r.error());
}

// An activation's destination, built once and rebuilt when its settings change.
struct CachedDestination {
    std::string settings; // canonical destination JSON + action it was built from
    std::unique_ptr<Destination> destination;
    std::optional<DestinationFilter> filter; // the destination's "filter" setting, when it has one
};

struct Held {
    std::string key;
    std::string error;
    int64_t until = 0; // looked at again from then on
};

// A token bucket: `rate` events a second, at most one second's worth saved up.
struct Bucket {
    double rate = 0;
    double tokens = 0;
    int64_t last = 0;

    void Refill(int64_t now) {
        if (now > last) tokens = std::min(rate, tokens + static_cast<double>(now - last) * rate / 1000.0);
        last = std::max(last, now);
    }
    // Milliseconds until `n` tokens are there (n is at most the rate).
    int64_t WaitFor(double n) const {
        double missing = std::min(n, rate) - tokens;
        return missing <= 0 ? 0 : static_cast<int64_t>(std::ceil(missing * 1000.0 / rate));
    }
};

class Drainer {
public:
    Drainer(store::Store& store, const config::Config& config, const DrainOptions& options)
        : store_(store), options_(options), rng_(options.seed ? options.seed : std::random_device{}()) {
        context_.delivery = config.delivery;
        retry_for_ms_ = config.delivery.retry_for_s * 1000;
        delivery_ = config.delivery;
        clock_ = options.clock ? options.clock : [this] { return store_.Now(); };
        sleep_ = options.sleep ? options.sleep
                               : [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
    }

    Result<DrainReport> Run();

private:
    store::OutboxFilter Filter(int64_t now);
    Status SendGroup(int64_t activation_id, std::vector<store::OutboxEvent>& group);
    Bucket& ActivationBucket(const store::ActivationRecord& a, int64_t now);
    Bucket& WorkspaceBucket(int64_t workspace, int64_t now);
    Status Hold(const store::ActivationRecord& activation, const std::string& error);
    Status Mark(std::span<const store::OutboxEvent> events, const std::vector<Outcome>& outcomes);
    int64_t Backoff(int64_t attempts);
    void Progress(int64_t now);
    Result<DrainReport> Finish(DrainEnd end);
    void Log(const std::string& line) {
        if (options_.log) options_.log(line);
    }

    store::Store& store_;
    const DrainOptions& options_;
    DestinationContext context_;
    int64_t retry_for_ms_ = 0;
    std::function<int64_t()> clock_;
    std::function<void(int64_t)> sleep_;
    std::mt19937_64 rng_;
    std::map<int64_t, CachedDestination> destinations_;
    std::map<int64_t, Held> held_;
    std::map<int64_t, int64_t> throttled_; // activation → when its rate limit lets it send again
    std::map<int64_t, Bucket> activation_buckets_;
    std::map<int64_t, Bucket> workspace_buckets_;
    config::DeliverySettings delivery_;
    std::map<int64_t, std::string> held_errors_said_;
    DrainCounts counts_;
    int64_t last_progress_ = 0;
    DrainCounts last_logged_;
};

store::OutboxFilter Drainer::Filter(int64_t now) {
    store::OutboxFilter filter;
    filter.run_id = options_.run_id;
    for (auto it = held_.begin(); it != held_.end();) {
        if (it->second.until <= now) {
            it = held_.erase(it); // look at it again
        } else {
            filter.exclude_activations.push_back(it->first);
            ++it;
        }
    }
    // Activations over their rate limit wait, so that the others are not held up behind them.
    for (auto it = throttled_.begin(); it != throttled_.end();) {
        if (it->second <= now) {
            it = throttled_.erase(it);
        } else {
            filter.exclude_activations.push_back(it->first);
            ++it;
        }
    }
    return filter;
}

Result<DrainReport> Drainer::Run() {
    int64_t start = clock_();
    last_progress_ = start;
    std::optional<int64_t> deadline;
    if (options_.timeout_ms) deadline = start + *options_.timeout_ms;
    const int batch = std::max(1, options_.batch_size);

    while (true) {
        if (options_.stop && options_.stop()) return Finish(DrainEnd::STOPPED);
        int64_t now = clock_();
        if (deadline && now >= *deadline) return Finish(DrainEnd::TIMEOUT);
        store::OutboxFilter filter = Filter(now);
        // Payloads are parsed only where needed (SendGroup): a free-form action without mapping sends the stored text.
        auto due = store_.Read([&](store::Tx& tx) { return tx.DueEvents(now, batch, filter, false); });
        if (!due) return Propagate(due);
        if (!due->empty()) {
            // Group by activation, keeping the outbox's order within each group.
            std::vector<int64_t> order;
            std::map<int64_t, std::vector<store::OutboxEvent>> groups;
            for (auto& e : *due) {
                auto& g = groups[e.activation_id];
                if (g.empty()) order.push_back(e.activation_id);
                g.push_back(std::move(e));
            }
            for (int64_t id : order) {
                if (auto ok = SendGroup(id, groups[id]); !ok) return std::unexpected(ok.error());
            }
            Progress(clock_());
            continue;
        }

        auto pending = store_.Read([&](store::Tx& tx) { return tx.Pending(filter); });
        if (!pending) return Propagate(pending);
        if (pending->count == 0 && options_.until_idle && throttled_.empty()) {
            if (held_.empty()) return Finish(DrainEnd::IDLE);
            // Only held activations' events are left, unless someone else sent them meanwhile.
            store::OutboxFilter of_run;
            of_run.run_id = options_.run_id;
            auto all = store_.Read([&](store::Tx& tx) { return tx.Pending(of_run); });
            if (!all) return Propagate(all);
            return Finish(all->count == 0 ? DrainEnd::IDLE : DrainEnd::HELD);
        }
        int64_t wait = options_.poll_ms;
        if (pending->next_attempt_at) wait = std::min(wait, *pending->next_attempt_at - now);
        for (const auto& [id, h] : held_) wait = std::min(wait, h.until - now);
        for (const auto& [id, until] : throttled_) wait = std::min(wait, until - now);
        if (deadline) wait = std::min(wait, *deadline - now);
        Progress(now);
        sleep_(std::max<int64_t>(wait, 1));
    }
}

Status Drainer::SendGroup(int64_t activation_id, std::vector<store::OutboxEvent>& group) {
    auto activation = store_.Read([&](store::Tx& tx) { return tx.GetActivationById(activation_id); });
    if (!activation) return std::unexpected(activation.error());
    if (!*activation) return {}; // deleted meanwhile: its events went with it
    const store::ActivationRecord& a = **activation;
    if (!a.spec.enabled) return Hold(a, "the activation is disabled");

    std::string settings =
        store::CanonicalJson(a.spec.destination) + " " + a.spec.action + " " + store::CanonicalJson(a.spec.mapping);
    CachedDestination& cached = destinations_[activation_id];
    if (!cached.destination || cached.settings != settings) {
        auto built = MakeDestination(a.spec.destination, a.spec.action, a.spec.mapping, context_);
        if (!built) {
            destinations_.erase(activation_id);
            return Hold(a, built.error().message);
        }
        std::optional<DestinationFilter> filter;
        if (auto f = a.spec.destination.find("filter"); f != a.spec.destination.end() && !f->is_null()) {
            auto compiled = DestinationFilter::Compile(*f);
            if (!compiled) {
                destinations_.erase(activation_id);
                return Hold(a, "unusable destination filter: " + compiled.error().message);
            }
            filter = std::move(*compiled);
        }
        cached.settings = settings;
        cached.destination = std::move(*built);
        cached.filter = std::move(filter);
    }
    Destination& destination = *cached.destination;
    if (cached.filter || !destination.SendsStoredText()) {
        for (auto& e : group) {
            if (!e.payload.is_null() || e.payload_text.empty()) continue;
            e.payload = nlohmann::json::parse(e.payload_text, nullptr, false);
            if (e.payload.is_discarded()) e.payload = nullptr; // cannot happen: the store checks json_valid
        }
    }
    std::span<const store::OutboxEvent> events(group);
    if (cached.filter) {
        // Events the destination filter drops are filtered at destination, without a request or a rate token.
        const DestinationFilter& filter = *cached.filter;
        auto kept_end = std::stable_partition(group.begin(), group.end(),
                                              [&](const store::OutboxEvent& e) { return filter.Keeps(e.payload); });
        size_t kept = static_cast<size_t>(kept_end - group.begin());
        if (kept < group.size()) {
            std::span<const store::OutboxEvent> dropped = std::span<const store::OutboxEvent>(group).subspan(kept);
            std::vector<Outcome> outcomes(dropped.size(), Outcome::Filtered(filter.Describe()));
            if (auto ok = Mark(dropped, outcomes); !ok) return ok;
        }
        events = std::span<const store::OutboxEvent>(group).first(kept);
    }
    const size_t chunk = std::max<size_t>(1, destination.MaxBatch());
    for (size_t at = 0; at < events.size();) {
        // Rate limits: as many events as both the activation's and its workspace's buckets allow now; the rest
        // stay due, and the activation waits until there are tokens for a whole chunk again.
        int64_t now = clock_();
        Bucket& mine = ActivationBucket(a, now);
        Bucket& workspace = WorkspaceBucket(a.workspace_id, now);
        size_t want = std::min(chunk, events.size() - at);
        size_t allowed = static_cast<size_t>(std::max(0.0, std::floor(std::min(mine.tokens, workspace.tokens))));
        size_t n = std::min(want, allowed);
        if (n == 0) {
            double need = static_cast<double>(want);
            throttled_[activation_id] = now + std::max<int64_t>(1, std::max(mine.WaitFor(need), workspace.WaitFor(need)));
            return {};
        }
        mine.tokens -= static_cast<double>(n);
        workspace.tokens -= static_cast<double>(n);
        auto part = events.subspan(at, n);
        at += n;
        std::vector<Outcome> outcomes = destination.Send(part);
        if (outcomes.size() != part.size()) {
            std::string error = fmt::format("internal error: the {} destination answered {} outcomes for {} events",
                                            destination.type(), outcomes.size(), part.size());
            outcomes.assign(part.size(), Outcome::Retry(error));
        }
        if (auto ok = Mark(part, outcomes); !ok) return ok;
    }
    return {};
}

Bucket& Drainer::ActivationBucket(const store::ActivationRecord& a, int64_t now) {
    double rate = static_cast<double>(delivery_.activation_rate);
    auto limit = a.spec.destination.find("rate_limit");
    if (limit != a.spec.destination.end() && limit->is_number_integer() && limit->get<int64_t>() > 0) {
        rate = static_cast<double>(limit->get<int64_t>());
    }
    auto [it, fresh] = activation_buckets_.try_emplace(a.id);
    Bucket& b = it->second;
    if (fresh || b.rate != rate) b = Bucket{rate, rate, now}; // starts full: a second's worth at once
    b.Refill(now);
    return b;
}

Bucket& Drainer::WorkspaceBucket(int64_t workspace, int64_t now) {
    double rate = static_cast<double>(delivery_.workspace_rate);
    auto [it, fresh] = workspace_buckets_.try_emplace(workspace);
    Bucket& b = it->second;
    if (fresh) b = Bucket{rate, rate, now};
    b.Refill(now);
    return b;
}

Status Drainer::Hold(const store::ActivationRecord& a, const std::string& error) {
    std::string note = error + "; its events stay pending";
    auto noted = store_.Transaction([&](store::Tx& tx) { return tx.NotePendingError(a.id, note); });
    if (!noted) return std::unexpected(noted.error());
    held_[a.id] = Held{a.spec.key, error, clock_() + options_.hold_ms};
    // Said once per activation and reason, not each time it is looked at again.
    auto [said, first] = held_errors_said_.try_emplace(a.id, error);
    if (first || said->second != error) Log(fmt::format("deliver: activation \"{}\": {}", a.spec.key, note));
    said->second = error;
    return {};
}

int64_t Drainer::Backoff(int64_t attempts) {
    // base * 2^attempts, capped, then a random value in [delay/2, delay] so that retries spread out.
    int64_t delay = std::max<int64_t>(1, options_.backoff_base_ms);
    for (int64_t i = 0; i < attempts && delay < options_.backoff_max_ms; ++i) delay *= 2;
    delay = std::min(delay, std::max<int64_t>(1, options_.backoff_max_ms));
    std::uniform_int_distribution<int64_t> jitter(delay / 2, delay);
    return jitter(rng_);
}

Status Drainer::Mark(std::span<const store::OutboxEvent> events, const std::vector<Outcome>& outcomes) {
    int64_t now = clock_();
    // One jittered delay per attempt number and chunk: events that failed together are retried together, so a
    // batch stays a batch.
    std::map<int64_t, int64_t> backoff;
    auto delay = [&](int64_t attempts) {
        auto [it, fresh] = backoff.try_emplace(attempts, 0);
        if (fresh) it->second = Backoff(attempts);
        return it->second;
    };
    DrainCounts add;
    auto ok = store_.Transaction([&](store::Tx& tx) -> Status {
        add = DrainCounts{};
        std::map<int, std::vector<int64_t>> delivered; // by status, one statement each: most outcomes are these
        for (size_t i = 0; i < events.size(); ++i) {
            const store::OutboxEvent& e = events[i];
            const Outcome& o = outcomes[i];
            Status s;
            switch (o.kind) {
            case Outcome::DELIVERED:
                delivered[o.status].push_back(e.id);
                ++add.delivered;
                break;
            case Outcome::FILTERED:
                s = tx.MarkFiltered(e.id, "destination", o.error);
                ++add.filtered;
                break;
            case Outcome::FAILED:
                s = tx.MarkFailed(e.id, o.Describe(), o.status);
                ++add.failed;
                break;
            case Outcome::RETRY:
                if (auto at = NextAttempt(e, o.retry_after_ms, now, retry_for_ms_, delay(e.attempts))) {
                    s = tx.MarkRetry(e.id, *at, o.Describe(), o.status);
                    ++add.retried;
                } else {
                    s = tx.MarkFailed(
                        e.id, fmt::format("gave up after retrying for {} s: {}", retry_for_ms_ / 1000, o.Describe()),
                        o.status);
                    ++add.failed;
                }
                break;
            }
            if (!s) return s;
        }
        for (const auto& [status, ids] : delivered) {
            if (auto s = tx.MarkDeliveredMany(ids, status); !s) return s;
        }
        return Status{};
    });
    if (!ok) return ok;
    counts_.delivered += add.delivered;
    counts_.retried += add.retried;
    counts_.failed += add.failed;
    counts_.filtered += add.filtered;
    return {};
}

void Drainer::Progress(int64_t now) {
    if (!options_.log) return;
    if (now - last_progress_ < options_.progress_ms) return;
    last_progress_ = now;
    if (counts_.delivered == last_logged_.delivered && counts_.retried == last_logged_.retried &&
        counts_.failed == last_logged_.failed && counts_.filtered == last_logged_.filtered) {
        return; // nothing happened since the last line
    }
    last_logged_ = counts_;
    Log(fmt::format("deliver: {} delivered, {} retried, {} failed, {} filtered so far", counts_.delivered,
                    counts_.retried, counts_.failed, counts_.filtered));
}

Result<DrainReport> Drainer::Finish(DrainEnd end) {
    DrainReport report;
    report.end = end;
    report.counts = counts_;
    store::OutboxFilter all;
    all.run_id = options_.run_id;
    auto pending = store_.Read([&](store::Tx& tx) { return tx.Pending(all); });
    if (!pending) return Propagate(pending);
    report.pending = pending->count;
    for (const auto& [id, h] : held_) {
        auto counts = store_.Read([&](store::Tx& tx) { return tx.CountEvents(id); });
        if (!counts) return Propagate(counts);
        auto n = counts->find(store::EventStatus::PENDING);
        report.held.push_back(HeldActivation{id, h.key, h.error, n == counts->end() ? 0 : n->second});
    }
    return report;
}

} // namespace

std::string_view DrainEndName(DrainEnd end) {
    switch (end) {
    case DrainEnd::IDLE: return "idle";
    case DrainEnd::TIMEOUT: return "timeout";
    case DrainEnd::STOPPED: return "stopped";
    case DrainEnd::HELD: return "held";
    }
    return "?";
}

std::optional<int64_t> NextAttempt(const store::OutboxEvent& event, std::optional<int64_t> retry_after_ms, int64_t now,
                                   int64_t retry_for_ms, int64_t backoff_ms) {
    int64_t window_end = event.created_at + retry_for_ms;
    if (now >= window_end) return std::nullopt;
    int64_t wait = std::max<int64_t>(backoff_ms, 0);
    if (retry_after_ms) {
        if (now + *retry_after_ms > window_end) return std::nullopt;
        wait = std::max(wait, *retry_after_ms);
    }
    return std::min(now + wait, window_end);
}

Result<DrainReport> Drain(store::Store& store, const config::Config& config, const DrainOptions& options) {
    return Drainer(store, config, options).Run();
}

} // namespace kith::deliver
