#include "service/service.hpp"


#include "alert/channels.hpp"
#include "alert/evaluator.hpp"
#include "common/text.hpp"
#include "common/thread.hpp"
#include "deliver/drain.hpp"
#include "deliver/http.hpp"
#include "run/dispatcher.hpp"
#include "schedule/clock.hpp"

#include <chrono>
#include <fmt/format.h>

namespace kith::service {

namespace {

using nlohmann::json;

std::string_view StateName(schedule::AudienceState s) {
    switch (s) {
    case schedule::AudienceState::IDLE: return "idle";
    case schedule::AudienceState::PLANNED: return "planned";
    case schedule::AudienceState::QUEUED: return "queued";
    case schedule::AudienceState::RUNNING: return "running";
    }
    return "idle";
}

} // namespace

Result<std::unique_ptr<Service>> Service::Start(const config::Config& config, ServiceOptions options) {
    std::unique_ptr<Service> s(new Service(std::move(options)));
    if (!s->options_.server.log) s->options_.server.log = s->options_.log;
    auto app = api::App::Open(config, s->options_.app);
    if (!app) return std::unexpected(app.error());
    s->app_ = std::move(*app);
    s->app_->SetRuntime(s.get());
    api::Metrics& m = s->app_->metrics();
    api::App* a = s->app_.get();
    m.Gauge("kith_outbox_pending", "Events waiting for delivery (queued or waiting for a retry)", [a] {
        auto store = a->stores().Acquire();
        if (!store) return -1.0;
        auto p = (*store)->Read([](store::Tx& tx) { return tx.Pending(); });
        return p ? static_cast<double>(p->count) : -1.0;
    });
    m.Gauge("kith_operations_active", "Long operations (previews) queued or running",
            [a] { return static_cast<double>(a->operations().Active()); });
    Service* self = s.get();
    m.Gauge("kith_runs_running", "Audience runs executing now", [self] {
        std::lock_guard lock(self->mutex_);
        return self->running_run_ ? 1.0 : 0.0;
    });
    s->server_ = std::make_unique<api::Server>(*s->app_, s->options_.server);
    if (auto ok = s->server_->Start(); !ok) return std::unexpected(ok.error());
    if (s->options_.scheduler) s->threads_.emplace_back([self] { self->SchedulerLoop(); });
    if (s->options_.delivery) s->threads_.emplace_back([self] { self->DeliveryLoop(); });
    if (s->options_.alerts) s->threads_.emplace_back([self] { self->AlertLoop(); });
    s->Log("info", "started", {{"listen", fmt::format("{}:{}", s->options_.server.host, s->server_->port())},
                                {"warehouse", config.warehouse},
                                {"state", config.state}});
    return s;
}

Service::~Service() { Stop(); }

void Service::Stop() {
    if (stopping_.exchange(true)) return;
    Log("info", "stopping");
    // No new requests; those in progress finish.
    if (server_) server_->Stop();
    {
        std::lock_guard lock(mutex_);
        // A run's warehouse query stops now; the run is marked failed and repeated at the next start.
        if (run_warehouse_ && running_run_) run_warehouse_->Interrupt();
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
    Log("info", "stopped");
}

void Service::Log(std::string_view level, std::string_view msg, json fields) {
    fields["ts"] = text::IsoMillis(deliver::WallClockMs());
    fields["level"] = level;
    fields["msg"] = msg;
    std::string line = fields.dump(-1, ' ', false, json::error_handler_t::replace);
    if (options_.log) {
        options_.log(line);
    } else {
        fmt::print(stderr, "{}\n", line);
    }
}

bool Service::Wait(int64_t ms) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(ms, 1)),
                   [&] { return stopping_.load() || audiences_changed_ || !run_now_.empty(); });
    return !stopping_;
}

Status Service::RunNow(const std::string& audience) {
    if (!options_.scheduler) return Fail(ErrorCode::CONFLICT, "this server runs no scheduler");
    {
        std::lock_guard lock(mutex_);
        run_now_.push_back(audience);
    }
    wake_.notify_all();
    return {};
}

void Service::AudiencesChanged() {
    {
        std::lock_guard lock(mutex_);
        audiences_changed_ = true;
    }
    wake_.notify_all();
}

json Service::AudienceSchedule(const std::string& audience) {
    std::lock_guard lock(mutex_);
    auto it = schedule_view_.find(audience);
    if (it == schedule_view_.end()) return json{{"state", nullptr}, {"next_run", nullptr}};
    return it->second;
}

std::optional<std::string> Service::RunProgress(int64_t run_id) {
    std::lock_guard lock(mutex_);
    if (running_run_ && *running_run_ == run_id) return running_progress_;
    return std::nullopt;
}

Status Service::CancelRun(int64_t run_id, const std::string& by) {
    std::lock_guard lock(mutex_);
    if (!running_run_ || *running_run_ != run_id || !run_warehouse_) {
        return Fail(ErrorCode::CONFLICT, fmt::format("run {} is not executing in this process", run_id));
    }
    cancel_[run_id] = fmt::format("the run was cancelled by {}; the next run repeats its changes", by);
    run_warehouse_->Interrupt();
    return {};
}

void Service::SchedulerLoop() {
    thread::RunInBackground();
    const config::Config& config = app_->config();
    auto store = store::Store::Open(config.state);
    auto wh = app_->warehouses().Acquire();
    if (!store || !wh) {
        Log("error", "the scheduler cannot start", {{"error", !store ? store.error().ToString() : wh.error().ToString()}});
        return;
    }
    {
        std::lock_guard lock(mutex_);
        run_warehouse_ = wh->get();
    }
    schedule::SystemClock clock;
    run::Settings settings;
    settings.schema = config.runs.snapshot_schema;
    settings.keep_snapshots = config.runs.keep_snapshots;
    settings.max_event_bytes = config.delivery.max_event_bytes;
    settings.page_size = config.runs.page_size;
    settings.stage_batch = config.runs.stage_batch;
    settings.stop = [this] { return stopping_.load(); };
    settings.cancelled = [this]() -> std::optional<std::string> {
        std::lock_guard lock(mutex_);
        if (!running_run_) return std::nullopt;
        auto it = cancel_.find(*running_run_);
        if (it == cancel_.end()) return std::nullopt;
        return it->second;
    };
    settings.progress = [this](const std::string& line) {
        std::lock_guard lock(mutex_);
        running_progress_ = line;
    };
    settings.checkpoint = [this, &store](const std::string&) {
        {
            std::lock_guard lock(mutex_);
            if (running_run_) return;
        }
        // The run that just started (its first step) is the running run of this process.
        auto runs = (*store)->Read([](store::Tx& tx) { return tx.UnfinishedRuns(); });
        if (!runs) return;
        std::lock_guard lock(mutex_);
        for (const auto& r : *runs) {
            if (r.status == store::RunStatus::RUNNING && r.worker == run::ThisWorker()) running_run_ = r.id;
        }
    };
    // The graph the dispatcher works with; rebuilt when the graph is replaced.
    std::shared_ptr<const graph::DataGraph> graph;
    std::unique_ptr<run::Environment> env;
    std::unique_ptr<run::Dispatcher> dispatcher;
    schedule::SchedulerOptions sopts{.max_concurrent = static_cast<int>(config.runs.max_concurrent)};
    int64_t next_sync = 0;
    while (!stopping_) {
        auto current = app_->graph();
        bool sync = false;
        if (current != graph) {
            graph = current;
            env = std::make_unique<run::Environment>(run::Environment{**store, **wh, *graph});
            dispatcher = std::make_unique<run::Dispatcher>(*env, app_->workspace(), settings, sopts, clock);
            sync = true;
        }
        std::vector<std::string> run_now;
        {
            std::lock_guard lock(mutex_);
            if (audiences_changed_) sync = true;
            audiences_changed_ = false;
            run_now.swap(run_now_);
        }
        if (sync || deliver::WallClockMs() >= next_sync) {
            if (auto ok = dispatcher->Sync(); !ok) Log("error", "reading audiences failed", {{"error", ok.error().ToString()}});
            next_sync = deliver::WallClockMs() + options_.sync_ms;
        }
        for (const auto& key : run_now) {
            if (auto ok = dispatcher->RunNow(key); !ok) {
                Log("warn", "run now refused", {{"audience", key}, {"error", ok.error().ToString()}});
            }
        }
        auto runs = dispatcher->Step();
        {
            std::lock_guard lock(mutex_);
            running_run_.reset();
            running_progress_.clear();
            cancel_.clear();
        }
        if (!runs) {
            Log("error", "a run failed to execute", {{"error", runs.error().ToString()}});
        } else {
            for (const auto& r : *runs) {
                app_->metrics().Add("kith_runs_total", {{"status", std::string(store::RunStatusName(r.status))}}, 1,
                                    "Audience runs finished, by status");
                json fields = {{"run", r.id}, {"status", store::RunStatusName(r.status)}};
                if (r.summary.is_object()) fields["summary"] = r.summary;
                if (!r.error.empty()) fields["error"] = r.error;
                Log(r.status == store::RunStatus::COMPLETED ? "info" : "warn", "run finished", fields);
            }
        }
        // What the scheduler knows, for the API.
        auto audiences = (*store)->ListAudiences(app_->workspace());
        if (audiences) {
            std::map<std::string, json> view;
            for (const auto& a : *audiences) {
                auto s = dispatcher->scheduler().Inspect(a.spec.key);
                if (!s) continue;
                json next = nullptr;
                if (s->next_start) {
                    next = text::IsoMillis(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               s->next_start->time_since_epoch())
                                               .count());
                }
                view[a.spec.key] = {{"state", StateName(s->state)}, {"next_run", next}};
            }
            std::lock_guard lock(mutex_);
            schedule_view_ = std::move(view);
        }
        int64_t sleep = options_.sync_ms;
        if (auto wake = dispatcher->NextWake()) {
            int64_t at = std::chrono::duration_cast<std::chrono::milliseconds>(wake->time_since_epoch()).count();
            sleep = std::clamp<int64_t>(at - deliver::WallClockMs(), 0, options_.sync_ms);
        }
        Wait(sleep);
    }
    std::lock_guard lock(mutex_);
    run_warehouse_ = nullptr;
}

void Service::DeliveryLoop() {
    thread::RunInBackground();
    const config::Config& config = app_->config();
    while (!stopping_) {
        auto store = store::Store::Open(config.state);
        if (!store) {
            Log("error", "the delivery worker cannot open the state store", {{"error", store.error().ToString()}});
            Wait(5000);
            continue;
        }
        deliver::DrainOptions o;
        o.until_idle = false;
        o.poll_ms = options_.delivery_poll_ms;
        o.stop = [this] { return stopping_.load(); };
        o.sleep = [this](int64_t ms) {
            auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
            while (!stopping_ && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                    until - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
            }
        };
        o.log = [this](std::string_view line) { Log("info", "delivery", {{"detail", line}}); };
        auto report = deliver::Drain(**store, config, o);
        if (!report) {
            Log("error", "delivery failed; restarting in 5 s", {{"error", report.error().ToString()}});
            Wait(5000);
            continue;
        }
        api::Metrics& m = app_->metrics();
        m.Add("kith_events_delivered_total", {}, static_cast<double>(report->counts.delivered), "Events delivered");
        m.Add("kith_events_failed_total", {}, static_cast<double>(report->counts.failed), "Events failed for good");
        m.Add("kith_events_retried_total", {}, static_cast<double>(report->counts.retried), "Retryable failures");
    }
}

void Service::AlertLoop() {
    thread::RunInBackground();
    const config::Config& config = app_->config();
    alert::Channels channels = alert::ChannelsFromConfig(config);
    int64_t interval_ms = config.alerts.interval_s * 1000;
    while (!stopping_) {
        auto store = app_->stores().Acquire();
        if (store) {
            auto e = alert::EvaluateAlerts(**store, app_->workspace(), deliver::WallClockMs(), channels);
            if (!e) {
                Log("error", "evaluating alerts failed", {{"error", e.error().ToString()}});
            } else {
                for (const auto& r : e->alerts) {
                    if (r.transition == alert::Transition::NONE && r.error.empty()) continue;
                    Log(r.error.empty() ? "info" : "warn", "alert",
                        {{"alert", r.alert_id}, {"target", r.target}, {"transition", alert::TransitionName(r.transition)},
                         {"error", r.error}});
                }
                app_->metrics().Add("kith_alerts_fired_total", {}, e->Fired(), "Alerts that started firing");
            }
        }
        // Sleeps in steps so that a stop is seen at once; commands for the scheduler do not wake it.
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
        while (!stopping_ && std::chrono::steady_clock::now() < until) {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, std::chrono::milliseconds(200));
        }
    }
}

} // namespace kith::service
