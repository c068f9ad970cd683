// The service's config file (TOML, cli.md): where the warehouse, the data graph
// and the state store are, where the service listens, and the settings of runs
// and delivery in tables of their own. Every value has a default, so an empty
// file (or none) is a valid config; relative paths resolve against the config
// file's folder; an unknown key or a value of the wrong type is an error at its
// file:line:col, and every such problem is reported at once.
//
//   auto c = config::LoadConfig("kith.toml");
//   if (!c) for (auto& d : c.error()) std::cerr << d.ToString() << "\n";
//   auto wh = warehouse::Open(c->warehouse);
#pragma once

#include "common/diagnostic.hpp"
#include "common/outbound.hpp"

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kith::config {

//! `[runs]`: how audience runs are scheduled.
struct RunsSettings {
    int64_t max_concurrent = 5;        //!< runs executing at once; the others queue
    int64_t max_start_delay_s = 300;   //!< a scheduled run starts up to this long after its slot (spreads load)
    int64_t keep_snapshots = 5;        //!< warehouse snapshots kept per audience, so old runs can be listed again
    int64_t page_size = 10000;         //!< changes read back from the warehouse per page while preparing events
    int64_t stage_batch = 2000;        //!< events written to the outbox per transaction while preparing events
    std::string snapshot_schema = "kith_state"; //!< the warehouse schema kith owns (snapshots and diffs)
};

//! `[delivery]`: how events reach destinations.
struct DeliverySettings {
    int64_t retry_for_s = 4 * 3600;          //!< retryable failures are retried for this long, then fail for good
    int64_t activation_rate = 500;           //!< events per second per activation
    int64_t workspace_rate = 1500;           //!< events per second per workspace
    int64_t max_event_bytes = 32 * 1024;     //!< larger events are filtered at source
    int64_t timeout_s = 30;                  //!< one request's timeout
    int64_t timeout_ms = 0;                  //!< one request's timeout in milliseconds; overrides timeout_s when set
    bool verify_tls = true;                  //!< verify destinations' TLS certificates and host names
    std::string file_root; //!< file destinations write only beneath this folder (absolute); default: the state's folder
    //! Internal addresses (loopback, private, link-local, ...) that destinations and Slack alerts may reach; every
    //! other internal address is refused (common/outbound.hpp).
    std::vector<outbound::AllowRule> allow_hosts = {};
};

//! `[alerts]`: how alerts (activations.md, "Alerts") are evaluated and sent.
struct AlertsSettings {
    int64_t interval_s = 300;             //!< alerts are evaluated this often
    std::string smtp_url;                 //!< smtp://host:port or smtps://host:port; empty: email is not configured
    std::string smtp_from = "kith@localhost"; //!< the sender of alert emails (envelope and From header)
    std::string smtp_user;                //!< empty: no SMTP authentication
    std::string smtp_password;
    bool smtp_starttls = false;           //!< require STARTTLS on smtp:// (smtps:// is TLS from the start)
    std::string public_url;               //!< the app's address for links in alert messages; empty: no links
};

//! `[auth]`: the cost of the Argon2id hashes of new passwords (a stored hash keeps the cost it was made with), and how
//! failed logins are slowed down.
struct AuthSettings {
    int64_t password_memory_mib = 64; //!< memory per hash: libsodium's "interactive" 64 MiB by default
    int64_t password_passes = 2;      //!< passes over that memory
    int64_t free_login_failures = 5;              //!< failed logins of one email from one address before each waits
    int64_t free_login_failures_per_address = 20; //!< failed logins from one address, any email, before each waits
    int64_t first_login_wait_s = 5;               //!< the first wait; each further failure doubles it
    int64_t max_login_wait_s = 60;                //!< the longest wait
};

//! One entry of `[warehouse_auth]`: a credential variable of the warehouse's ecosystem (warehouses.md), named in
//! the file rather than written there. `file` and `env` are exclusive.
struct WarehouseSecret {
    std::string variable; //!< one of WarehouseSecretVariables(), e.g. "SNOWFLAKE_TOKEN"
    //! An absolute path: for a variable that holds a path (IsPathVariable) the file it names, else the file whose
    //! text (without trailing white space) is the value.
    std::string file;
    std::string env;   //!< the name of the service's environment variable holding the value
    Location location; //!< the entry in the config file
};

//! The variables `[warehouse_auth]` may name: the drivers' credentials (warehouses.md, "Secrets").
std::span<const std::string_view> WarehouseSecretVariables();
//! Whether the variable's value is the path of a key file (SNOWFLAKE_PRIVATE_KEY_PATH, GOOGLE_APPLICATION_CREDENTIALS).
bool IsPathVariable(std::string_view variable);

struct Config {
    std::string file;      //!< the config file read; empty for Defaults()
    std::string directory; //!< the folder relative paths resolved against (absolute)
    std::string warehouse; //!< "duckdb:/abs/path", or the URI of another engine (warehouse::Open)
    std::string graph;     //!< absolute path of the data graph file
    std::string state;     //!< absolute path of the state store (SQLite)
    std::string listen = "127.0.0.1:8080"; //!< host:port of the service
    std::string web;       //!< absolute path of the built web app served at /; empty: the one built with kith, if any
    RunsSettings runs;
    DeliverySettings delivery;
    AlertsSettings alerts;
    AuthSettings auth;
    std::vector<WarehouseSecret> warehouse_auth; //!< `[warehouse_auth]`, in the file's order; empty: the environment
};

//! The defaults, with paths in directory: warehouse "duckdb:warehouse.duckdb", graph "graph.hcl",
//! state "state.sqlite", listen "127.0.0.1:8080".
Config Defaults(const std::string& directory);

//! Parses TOML text; path names the file in errors and its folder anchors relative paths.
std::expected<Config, Diagnostics> ParseConfig(std::string_view text, const std::string& path);

//! Reads and parses a config file; an unreadable file is one diagnostic at line 0.
std::expected<Config, Diagnostics> LoadConfig(const std::string& path);

//! Resolves a warehouse URI against a folder: "duckdb:rel.duckdb" becomes "duckdb:/dir/rel.duckdb";
//! "duckdb::memory:", absolute duckdb paths and every other engine's URI are kept.
std::string ResolveWarehouse(const std::string& uri, const std::string& directory);

} // namespace kith::config
