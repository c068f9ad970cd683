// What every API route shares: the config, pooled connections to the state store and the warehouse, the current
// data graph (replaceable while the service runs), long operations, metrics, and the service's runtime (the
// scheduler and run workers, src/service) when there is one.
//
//   auto app = api::App::Open(config, {});
//   auto store = (*app)->stores().Acquire();
//   auto graph = (*app)->graph();             // a snapshot: a replacement later does not change it
#pragma once

#include "api/auth.hpp"
#include "api/metrics.hpp"
#include "api/operations.hpp"
#include "api/pool.hpp"
#include "audience/catalog.hpp"
#include "common/diagnostic.hpp"
#include "config/config.hpp"
#include "graph/model.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace kith::api {

//! What the service's runtime offers the API. Without one (an App opened alone), "Run now" is refused.
class Runtime {
public:
    virtual ~Runtime() = default;
    //! "Run now" for an enabled audience: queued with the scheduler.
    virtual Status RunNow(const std::string& audience) = 0;
    //! Audiences changed in the store (created, enabled, disabled, schedule): the scheduler reads them again.
    virtual void AudiencesChanged() = 0;
    //! What the scheduler knows of an audience: {"state": "idle|planned|queued|running", "next_run": ISO or null}.
    virtual nlohmann::json AudienceSchedule(const std::string& audience) = 0;
    //! The last progress line of a running run.
    virtual std::optional<std::string> RunProgress(int64_t run_id) = 0;
    //! Cancels a running run: its warehouse query is interrupted, it fails at once or at its next step with "the run
    //! was cancelled by <by>", and the next run repeats its changes.
    virtual Status CancelRun(int64_t run_id, const std::string& by) = 0;
};

struct AppOptions {
    PasswordCost password_cost;                          //!< Argon2id cost of new password hashes
    int64_t session_ttl_ms = 7LL * 24 * 3600 * 1000;     //!< a login session lasts this long
    size_t store_connections = 32;                       //!< pooled state store connections
    size_t warehouse_connections = 8;                    //!< pooled warehouse connections (previews at once)
    size_t operation_workers = 2;                        //!< threads running long operations (previews)
    size_t max_body_bytes = 1 << 20;                     //!< larger request bodies get 413
    int64_t free_login_failures = 5;                     //!< failed logins of one email from one address before each waits
    int64_t free_login_failures_per_address = 20;        //!< failed logins from one address (any email) before each waits
    int64_t first_login_wait_ms = 5000;                  //!< the first wait; each further failure doubles it
    int64_t max_login_wait_ms = 60000;                   //!< the longest wait between failed logins
    std::string web_dir;                                 //!< built web app assets served at /; empty: none
    bool secure_cookies = false;                         //!< mark cookies Secure (when served over HTTPS)
    bool demo_sink = false;                              //!< `kith demo`: accept webhook events at POST /demo/sink
    std::string demo_sink_token;                         //!< the Bearer token the demo sink takes events with
    int64_t column_cache_ms = 60000;                     //!< a table's column types are asked again after this long
};

//! What `kith demo`'s own webhook sink received.
struct DemoSink {
    std::mutex mutex;
    int64_t requests = 0;
    int64_t events = 0;                 //!< events received (a batch counts each of its events)
    std::deque<nlohmann::json> recent;  //!< the latest events, newest last (at most 200)
};

class App {
public:
    static Result<std::unique_ptr<App>> Open(const config::Config& config, AppOptions options);
    ~App();

    const config::Config& config() const { return config_; }
    const AppOptions& options() const { return options_; }
    int64_t workspace() const { return 1; }

    Pool<store::Store>& stores() { return stores_; }
    Pool<warehouse::Warehouse>& warehouses() { return warehouses_; }
    Operations& operations() { return operations_; }
    Metrics& metrics() { return metrics_; }
    //! Column types of the warehouse's tables, shared by every request (validating a definition needs no
    //! warehouse connection while they are known).
    audience::SharedCatalog& catalog() { return catalog_; }

    //! The current data graph.
    std::shared_ptr<const graph::DataGraph> graph() const;
    //! The graph file's text and its format ("hcl" or "json").
    std::pair<std::string, std::string> graph_source() const;
    //! Validates a graph text (format "hcl" or "json") and, with check_warehouse, its tables against the warehouse.
    Result<Diagnostics> ValidateGraph(const std::string& text, const std::string& format, bool check_warehouse);
    //! Validates, then writes the graph file (atomically) and makes it the current graph; the diagnostics when
    //! invalid (nothing changes then).
    Result<Diagnostics> ReplaceGraph(const std::string& text, const std::string& format);

    DemoSink& demo_sink() { return demo_sink_; }
    Runtime* runtime() const { return runtime_; }
    void SetRuntime(Runtime* runtime) { runtime_ = runtime; }

private:
    App(const config::Config& config, AppOptions options);

    config::Config config_;
    AppOptions options_;
    std::unique_ptr<warehouse::Warehouse> root_; //!< holds an embedded database open; the pool connects through it
    std::mutex root_mutex_;
    Pool<store::Store> stores_;
    Pool<warehouse::Warehouse> warehouses_;
    Operations operations_;
    Metrics metrics_;
    audience::SharedCatalog catalog_;
    mutable std::mutex graph_mutex_;
    std::shared_ptr<const graph::DataGraph> graph_;
    std::string graph_text_;
    DemoSink demo_sink_;
    Runtime* runtime_ = nullptr;
};

} // namespace kith::api
