// The long-running kith service (`kith serve`, `kith demo`): the HTTP API, the scheduler with its run worker, the
// delivery worker and the alert evaluator in one process, each on a thread of its own, sharing the state store
// (SQLite in WAL mode, one connection per thread) and the warehouse (one connection per thread).
//
//   auto service = service::Service::Start(config, {});
//   ... (*service)->port() ...
//   (*service)->Stop();   // on SIGTERM: stops accepting, lets requests and the batch being delivered finish,
//                         // interrupts a run's warehouse query (the run fails and is repeated at the next start)
#pragma once

#include "api/app.hpp"
#include "api/server.hpp"
#include "config/config.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kith::service {

struct ServiceOptions {
    api::AppOptions app;
    api::ServerOptions server; //!< host and port default to the config's `listen`
    bool scheduler = true;     //!< run audiences on their schedules and on "Run now"
    bool delivery = true;      //!< deliver the outbox's events
    bool alerts = true;        //!< evaluate alerts every [alerts] interval
    int64_t sync_ms = 5000;    //!< the scheduler re-reads audiences at least this often (changes via the API: at once)
    int64_t delivery_poll_ms = 500; //!< how soon the delivery worker sees events of a finished run
    //! One JSON line per notable event (and per request); default: stderr.
    std::function<void(std::string_view)> log;
};

class Service final : public api::Runtime {
public:
    static Result<std::unique_ptr<Service>> Start(const config::Config& config, ServiceOptions options);
    ~Service() override;

    //! Stops every part and waits for them; safe to call twice.
    void Stop();
    int port() const { return server_->port(); }
    api::App& app() { return *app_; }

    // api::Runtime
    Status RunNow(const std::string& audience) override;
    void AudiencesChanged() override;
    nlohmann::json AudienceSchedule(const std::string& audience) override;
    std::optional<std::string> RunProgress(int64_t run_id) override;
    Status CancelRun(int64_t run_id, const std::string& by) override;

private:
    Service(ServiceOptions options) : options_(std::move(options)) {}
    void SchedulerLoop();
    void DeliveryLoop();
    void AlertLoop();
    void Log(std::string_view level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());
    //! Sleeps up to ms, waking early on Stop or a command; returns false once stopping.
    bool Wait(int64_t ms);

    ServiceOptions options_;
    std::unique_ptr<api::App> app_;
    std::unique_ptr<api::Server> server_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stopping_ = false;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool audiences_changed_ = false;
    std::vector<std::string> run_now_;
    std::map<std::string, nlohmann::json> schedule_view_; //!< audience -> {"state", "next_run"}, from the scheduler
    std::optional<int64_t> running_run_;                  //!< the run the run worker executes now
    std::string running_progress_;
    std::map<int64_t, std::string> cancel_;               //!< runs to cancel -> the run's error
    warehouse::Warehouse* run_warehouse_ = nullptr;       //!< the run worker's connection (to interrupt)
};

} // namespace kith::service
