#include "engine/warehouse_catalog.hpp"
#include "cli/serve_command.hpp"

#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "cli/state.hpp"

#include "api/auth.hpp"
#include "api/roles.hpp"
#include "apply/apply.hpp"
#include "audience/catalog.hpp"
#include "config/config.hpp"
#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"
#include "service/service.hpp"
#include "store/store.hpp"
#include "warehouse/warehouse.hpp"

#include <charconv>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <sys/stat.h>

namespace kith::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "host:port" of a listen address; nullopt when malformed.
std::optional<std::pair<std::string, int>> SplitListen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    int port = 0;
    const char* b = listen.data() + colon + 1;
    const char* e = listen.data() + listen.size();
    auto [end, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || end != e || port < 0 || port > 65535) return std::nullopt;
    return std::pair(listen.substr(0, colon), port);
}

// Blocks SIGINT and SIGTERM in this thread and the threads it starts, so that WaitForStop receives them.
void BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStop() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    sigwait(&set, &sig);
    return sig;
}

// The built web app: KITH_WEB_DIR, else the config's `web`, else the one built beside this kith's sources when it
// exists (an index.html in it); empty: the API alone.
std::string WebDir(const config::Config& config) {
    if (const char* web = std::getenv("KITH_WEB_DIR")) return web;
    if (!config.web.empty()) return config.web;
    std::error_code ec;
    if (fs::exists(fs::path(KITH_DEFAULT_WEB_DIR) / "index.html", ec)) return KITH_DEFAULT_WEB_DIR;
    return "";
}

//! demo_sink_token: `kith demo`'s; the demo sink at /demo/sink takes events with it (empty: no sink).
Result<std::unique_ptr<service::Service>> StartService(const config::Config& config,
                                                       const std::string& demo_sink_token = "") {
    auto listen = SplitListen(config.listen);
    if (!listen) return Fail(ErrorCode::USAGE, "listen must be HOST:PORT, found " + config.listen, config.file);
    service::ServiceOptions o;
    o.server.host = listen->first;
    o.server.port = listen->second;
    o.app.web_dir = WebDir(config);
    o.app.password_cost = api::PasswordCostOf(config.auth);
    o.app.free_login_failures = config.auth.free_login_failures;
    o.app.free_login_failures_per_address = config.auth.free_login_failures_per_address;
    o.app.first_login_wait_ms = config.auth.first_login_wait_s * 1000;
    o.app.max_login_wait_ms = config.auth.max_login_wait_s * 1000;
    o.app.demo_sink = !demo_sink_token.empty();
    o.app.demo_sink_token = demo_sink_token;
    // Served behind an HTTPS proxy (the app's public address says so): the session cookie never travels in clear.
    o.app.secure_cookies = config.alerts.public_url.starts_with("https://");
    return service::Service::Start(config, o);
}

// The sample audiences of the demo: one per condition type, and one 4 levels deep in the entity graph.
const char* const kSampleAudiences[] = {
    R"j({"key": "pro_plan", "name": "Pro plan", "folder": "Samples", "enabled": true,
  "description": "Profiles whose plan trait is pro (a trait condition)",
  "schedule": {"type": "interval", "every": "1h"},
  "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]}})j",
    R"j({"key": "big_spenders", "name": "Big spenders", "folder": "Samples", "enabled": true,
  "description": "At least two orders over 100 in the last two years (an event condition with a window and a filter)",
  "schedule": {"type": "interval", "every": "1h"},
  "definition": {"groups": [{"conditions": [{"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
    "window": {"within": {"value": 730, "unit": "days"}}, "where": {"filters": [{"property": "total", "op": "greater_than", "value": 100}]}}]}]}})j",
    R"j({"key": "pro_big_spenders", "name": "Pro big spenders", "folder": "Samples", "enabled": true,
  "description": "Big spenders on the pro plan (audience conditions)",
  "schedule": {"type": "interval", "every": "1h"},
  "definition": {"groups": [{"conditions": [{"type": "audience", "audience": "pro_plan"}, {"type": "audience", "audience": "big_spenders"}]}]}})j",
    R"j({"key": "premium_abandoners", "name": "Premium abandoners", "folder": "Samples", "enabled": true,
  "description": "Active accounts with an abandoned cart over 200 (entity conditions, 3 levels)",
  "schedule": {"type": "interval", "every": "15m"},
  "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
    "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
    "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
      "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}, {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]}})j",
    R"j({"key": "premium_brand_carts", "name": "Carts with premium brands", "folder": "Samples", "enabled": true,
  "description": "Profiles with a cart holding an in-stock product of a premium brand (entity conditions, 4 levels)",
  "schedule": {"type": "interval", "every": "1h"},
  "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
    "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
      "children": {"conditions": [{"type": "entity", "relationship": "cart-products",
        "where": {"filters": [{"column": "IN_STOCK", "op": "equals", "value": true}]},
        "children": {"conditions": [{"type": "entity", "relationship": "product-brand",
          "where": {"filters": [{"column": "IS_PREMIUM", "op": "equals", "value": true}]}}]}}]}}]}}]}]}})j",
};

// The sample webhook activation, to this start's port, with this start's sink token in its (write-only) headers.
json DemoActivation(int port, const std::string& sink_token) {
    return json::parse(fmt::format(R"({{"key": "abandoned_carts_to_webhook", "audience": "premium_abandoners",
  "destination": {{"type": "webhook", "url": "http://127.0.0.1:{}/demo/sink", "method": "POST", "batch_size": 50,
                   "headers": {{"Authorization": "Bearer {}"}}}},
  "action": "send", "trigger": "entity_enters", "entity": "account-carts", "event_name": "Cart Abandoned",
  "identifiers": [{{"type": "user_id", "as": "userId"}}, {{"type": "email", "as": "context.traits.email"}}],
  "enrichment": {{"traits": ["first_name", "plan"], "entities": {{"account-carts": ["TOTAL", "STATUS"]}}}},
  "mapping": null, "backfill": true, "enabled": true}})",
                                   port, sink_token));
}

struct Credentials {
    std::string email = "owner@kith.local";
    std::string password;
};

// The owner account: created on the first start (its password kept in DIR/credentials.txt, readable by this user
// only), read back on the next ones.
Result<Credentials> EnsureOwner(store::Store& store, const std::string& dir) {
    Credentials c;
    std::string file = (fs::path(dir) / "credentials.txt").string();
    auto existing = store.Transaction([&](store::Tx& tx) { return tx.GetUserByEmail(c.email); });
    if (!existing) return std::unexpected(existing.error());
    if (*existing) {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            if (line.starts_with("password: ")) c.password = line.substr(10);
        }
        if (c.password.empty()) c.password = "(see " + file + ")";
        return c;
    }
    c.password = api::RandomToken().substr(0, 16);
    auto hash = api::HashPassword(c.password);
    if (!hash) return std::unexpected(hash.error());
    store::User u;
    u.email = c.email;
    u.name = "Demo owner";
    u.password_hash = *hash;
    u.roles = {std::string(api::RoleName(api::Role::WORKSPACE_OWNER))};
    auto id = store.Transaction([&](store::Tx& tx) { return tx.CreateUser(u); });
    if (!id) return std::unexpected(id.error());
    {
        std::ofstream out(file, std::ios::trunc);
        out << "email: " << c.email << "\npassword: " << c.password << "\n";
    }
    ::chmod(file.c_str(), 0600);
    return c;
}

// The token the demo sink takes events with: made on the first start and kept in DIR/credentials.txt beside the
// owner's password (readable by this user only), so that activations sending to the sink keep working across starts.
Result<std::string> DemoSinkToken(const std::string& dir) {
    std::string file = (fs::path(dir) / "credentials.txt").string();
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("sink token: ") && line.size() > 12) return line.substr(12);
    }
    std::string token = api::RandomToken();
    std::ofstream out(file, std::ios::app);
    out << "sink token: " << token << "\n";
    out.close();
    if (!out) return std::unexpected(Error{ErrorCode::IO, "cannot write the demo sink's token", file});
    ::chmod(file.c_str(), 0600);
    return token;
}

} // namespace

int Serve(const ServeArgs& args) {
    auto config = config::LoadConfig(args.config);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    if (!args.listen.empty()) config->listen = args.listen;
    BlockStopSignals();
    auto service = StartService(*config);
    if (!service) return Report(service.error());
    fmt::print(stderr, "kith: serving on http://{} (SIGINT or SIGTERM stops)\n", config->listen);
    WaitForStop();
    (*service)->Stop();
    return 0;
}

int Demo(const DemoArgs& args) {
    std::error_code ec;
    fs::create_directories(args.dir, ec);
    if (ec) return Report(Error{ErrorCode::IO, "cannot create folder: " + ec.message(), args.dir});
    std::string dir = fs::absolute(args.dir).lexically_normal().string();
    std::string db = (fs::path(dir) / "warehouse.duckdb").string();
    std::string graph_file = (fs::path(dir) / "graph.hcl").string();
    if (!fs::exists(db) || !fs::exists(graph_file)) {
        fmt::print(stderr, "demo: generating a warehouse with {} profiles in {}\n", args.profiles, dir);
        GenArgs g{db, graph_file, args.profiles, 1, false};
        if (int rc = Gen(g); rc != 0) return rc;
    } else {
        fmt::print(stderr, "demo: reusing the warehouse in {}\n", dir);
    }
    std::string config_file = (fs::path(dir) / "kith.toml").string();
    if (!fs::exists(config_file)) {
        std::ofstream(config_file) << "# kith demo: paths are relative to this file's folder.\n"
                                   << "warehouse = \"duckdb:warehouse.duckdb\"\n"
                                   << "graph = \"graph.hcl\"\n"
                                   << "state = \"state.sqlite\"\n"
                                   << "listen = \"127.0.0.1:8080\"\n";
    }
    auto config = config::LoadConfig(config_file);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    config->listen = fmt::format("127.0.0.1:{}", args.port);
    // The sample webhook sends to this server's own sink: its address is internal, so the demo allows it (only for
    // this start: the config file does not).
    auto sink = outbound::ParseAllowRule(config->listen);
    if (!sink) return Report(sink.error());
    config->delivery.allow_hosts.push_back(*sink);

    // The owner, the sample audiences and the webhook activation to kith's own sink, which takes events only with its
    // token.
    auto store = store::Store::Open(config->state);
    if (!store) return Report(store.error());
    auto owner = EnsureOwner(**store, dir);
    if (!owner) return Report(owner.error());
    auto token = DemoSinkToken(dir);
    if (!token) return Report(token.error());
    const std::string sink_token = *token;
    auto graph = graph::LoadGraph(config->graph);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto wh = OpenWarehouse(*config);
    if (!wh) return Report(wh.error());
    auto audiences = (*store)->ListAudiences(1);
    if (!audiences) return Report(audiences.error());
    bool first = audiences->empty();
    {
        std::vector<apply::Source> sources;
        if (first) {
            for (const char* text : kSampleAudiences) {
                json a = json::parse(text);
                a["kind"] = "audience";
                sources.push_back({"sample audience " + a["key"].get<std::string>(), std::move(a)});
            }
        }
        // The activation follows the port and the sink token of this start.
        json act = DemoActivation(args.port, sink_token);
        act["kind"] = "activation";
        auto existing = (*store)->Transaction([](store::Tx& tx) { return tx.GetActivation(1, "abandoned_carts_to_webhook"); });
        if (!existing) return Report(existing.error());
        if (first || *existing) {
            if (*existing) act["enabled"] = (*existing)->spec.enabled;
            sources.push_back({"sample activation", std::move(act)});
        }
        engine::WarehouseCatalog catalog(**wh);
        apply::Context ctx{*graph, &catalog, **store, 1, config->delivery.file_root};
        auto applied = apply::ApplyObjects(std::move(sources), ctx, {}, "the demo");
        if (!applied) {
            if (applied.error().fatal) return Report(*applied.error().fatal);
            for (const auto& p : applied.error().problems) fmt::print(stderr, "{}\n", p.ToString());
            return 1;
        }
    }
    wh->reset();
    store->reset();

    std::string url = fmt::format("http://127.0.0.1:{}", args.port);
    if (args.no_serve) {
        fmt::print("kith demo is set up in {}\n  sign in as {} with password {}\n"
                   "  the demo sink takes events with the header Authorization: Bearer {}\n"
                   "  serve it with: kith demo --dir {}\n",
                   dir, owner->email, owner->password, sink_token, args.dir);
        return 0;
    }
    BlockStopSignals();
    auto service = StartService(*config, sink_token);
    if (!service) return Report(service.error());
    if (first) {
        // The first start shows runs, events and the delivery overview at once instead of at the next slots.
        for (const char* text : kSampleAudiences) (void)(*service)->RunNow(json::parse(text)["key"].get<std::string>());
    }
    fmt::print("\nkith is running at {}\n"
               "  sign in as:   {}\n"
               "  password:     {}\n"
               "  API:          {}/api/v1 (OpenAPI document at {}/api/v1/openapi.json)\n"
               "  health:       {}/healthz   metrics: {}/metrics\n"
               "  demo sink:    the webhook activation sends its events to {}/demo/sink\n"
               "                (with the header Authorization: Bearer {})\n"
               "  files:        {}\n"
               "Stop with Ctrl-C; the next `kith demo --dir {}` reuses everything.\n",
               url, owner->email, owner->password, url, url, url, url, url, sink_token, dir, args.dir);
    std::fflush(stdout);
    WaitForStop();
    (*service)->Stop();
    return 0;
}

int UserAdd(const UserAddArgs& args) {
    auto config = config::LoadConfig(args.config);
    if (!config) {
        PrintDiagnostics(config.error());
        return 1;
    }
    auto roles = api::ParseRoles(args.roles);
    if (!roles) return Report(Error{ErrorCode::USAGE, roles.error().message, "--role"});
    std::string password;
    bool generated = false;
    if (args.password_stdin) {
        std::getline(std::cin, password);
        if (password.size() < 8) return Report(Error{ErrorCode::USAGE, "a password has at least 8 characters", "stdin"});
    } else {
        password = api::RandomToken().substr(0, 16);
        generated = true;
    }
    auto hash = api::HashPassword(password, api::PasswordCostOf(config->auth));
    if (!hash) return Report(hash.error());
    auto store = store::Store::Open(config->state);
    if (!store) return Report(store.error());
    store::User u;
    u.email = args.email;
    u.name = args.name;
    u.password_hash = *hash;
    u.roles = api::RoleNames(*roles);
    auto id = (*store)->Transaction([&](store::Tx& tx) { return tx.CreateUser(u); });
    if (!id) return Report(id.error());
    fmt::print("created user {} ({}){}\n", args.email, *id, generated ? ", password: " + password : "");
    return 0;
}

} // namespace kith::cli
