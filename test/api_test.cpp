// The service's API driven over real HTTP against a running `kith serve`, on DuckDB and on PostgreSQL as the
// warehouse: every route refuses a request without credentials (401) and one whose roles lack its permission (403);
// malformed JSON (400 with its place), oversized bodies (413), CSRF, login throttling, path traversal on static
// files; and the marketer's and admin's work end to end: audiences (ETags, history, clone, enable, run now, the
// explorer), previews as cancellable operations, explain, suggestions, activations with write-only secrets, test
// events and payload previews (also before an activation's first run), the delivery overview, alerts and
// notifications, users and API tokens, the data graph.
#include "api/router.hpp"
#include "common/text.hpp"
#include "store/store.hpp"
#include "support/fixture_dir.hpp"
#include "support/fixture_events.hpp"
#include "support/http_server.hpp"
#include "support/kith_service.hpp"
#include "support/pg_server.hpp"
#include "support/run_kith.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::ApiClient;
using kith::test::KithService;
using Response = ApiClient::Response;

enum class Backend { DUCKDB, POSTGRES };

constexpr const char* kOwnerPassword = "owner-password-1";

const char* kVip = R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "equals", "value": "pro"}}]}]})";
const char* kActiveAccounts = R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
                       "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]}}]}]})";

std::string Dump(const Response& r) { return fmt::format("HTTP {} {}", r.status, r.text.substr(0, 600)); }

class Api : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        root_ = kith::test::TestDir(GetParam() == Backend::DUCKDB ? "kith_api_duckdb" : "kith_api_pg");
        // Static files of the web app, and a secret next to (outside) their folder.
        fs::create_directories(root_ / "web");
        std::ofstream(root_ / "web" / "index.html") << "<!doctype html><title>kith</title>";
        // The webhook sink: its address is internal, and the config allows it (no other internal address).
        sink_ = std::make_unique<kith::test::HttpServer>(
            [](const kith::test::HttpServer::Request&) { return kith::test::HttpServer::Reply{}; });
        ASSERT_EQ(kith::test::MakeFixtureDir(root_, "[alerts]\ninterval_s = 3600\n"
                                                         // Cheap hashes: each test signs several users in.
                                                         "[auth]\npassword_memory_mib = 1\npassword_passes = 1\n"
                                                         "[delivery]\nallow_hosts = [\"127.0.0.1:" +
                                                             std::to_string(sink_->port()) + "\"]\n"),
                  "");
        std::ofstream(root_ / "secret.txt") << "TOP-SECRET";
        std::ofstream(root_ / "vip.json") << kVip;
        // The graph is copied: PUT /api/v1/graph rewrites the file the config names.
        fs::copy_file(fs::path(KITH_SOURCE_DIR) / "test/fixture/graph.hcl", root_ / "graph.hcl");
        {
            std::string config = kith::text::ReadFile((root_ / "kith.toml").string()).value_or("");
            config = std::regex_replace(config, std::regex("graph = \"[^\"]*\""), "graph = \"graph.hcl\"");
            std::ofstream(root_ / "kith.toml") << config;
        }
        warehouse_ = "duckdb:" + (root_ / "w.duckdb").string();
        if (GetParam() == Backend::POSTGRES) {
            auto server = kith::test::PgServer::Shared();
            ASSERT_TRUE(server) << server.error().ToString();
            std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
            name = "api_" + std::to_string(std::hash<std::string>{}(name) % 1000000);
            auto uri = (*server)->FreshDatabase(name);
            ASSERT_TRUE(uri) << uri.error().ToString();
            {
                auto from = kith::warehouse::Open(warehouse_);
                auto to = kith::warehouse::Open(*uri);
                ASSERT_TRUE(from && to);
                auto ok = kith::warehouse::CopySchemas(**from, **to, {"segment", "crm"}, {});
                ASSERT_TRUE(ok) << ok.error().ToString();
            }
            warehouse_ = *uri;
            std::string config = kith::text::ReadFile((root_ / "kith.toml").string()).value_or("");
            config = std::regex_replace(config, std::regex("warehouse = \"duckdb:w.duckdb\""),
                                        "warehouse = \"" + warehouse_ + "\"");
            std::ofstream(root_ / "kith.toml") << config;
        }
        // What the CLI says the vip audience's members are, before the server holds the warehouse.
        auto members = kith::test::RunKith(fmt::format("members --warehouse '{}' --graph {} --audience {}", warehouse_,
                                                       (root_ / "graph.hcl").string(), (root_ / "vip.json").string()));
        ASSERT_EQ(members.code, 0) << members.err;
        std::istringstream lines(members.out);
        for (std::string line; std::getline(lines, line);) vip_members_.push_back(line);
        ASSERT_FALSE(vip_members_.empty());
        std::ofstream(root_ / "pw") << kOwnerPassword << "\n";
        auto added = kith::test::RunKith(fmt::format("users add --config {} --email owner@x.test --role workspace_owner "
                                                     "--password-stdin < {}",
                                                     Config(), (root_ / "pw").string()));
        ASSERT_EQ(added.code, 0) << added.err;
        setenv("KITH_WEB_DIR", (root_ / "web").c_str(), 1);
        std::string error;
        service_ = KithService::Start(root_ / "kith.toml", root_ / "log", &error);
        unsetenv("KITH_WEB_DIR");
        ASSERT_TRUE(service_) << error;
        owner_ = std::make_unique<ApiClient>(service_->port());
        auto login = owner_->Login("owner@x.test", kOwnerPassword);
        ASSERT_EQ(login.status, 200) << Dump(login);
    }

    void TearDown() override {
        if (service_) {
            EXPECT_EQ(service_->Stop(), 0) << "kith serve did not stop cleanly:\n" << service_->Log();
        }
        fs::remove_all(root_);
    }

    std::string Config() const { return (root_ / "kith.toml").string(); }

    // A user with the roles, signed in.
    std::unique_ptr<ApiClient> UserWith(const std::vector<std::string>& roles, const std::string& email) {
        auto created = owner_->Post("/api/v1/users", {{"email", email}, {"password", "password-of-" + email},
                                                      {"roles", roles}});
        EXPECT_EQ(created.status, 201) << Dump(created);
        auto c = std::make_unique<ApiClient>(service_->port());
        auto login = c->Login(email, "password-of-" + email);
        EXPECT_EQ(login.status, 200) << Dump(login);
        return c;
    }

    Response CreateAudience(const std::string& key, const char* definition, bool enabled = false) {
        return owner_->Post("/api/v1/audiences", {{"key", key},
                                                  {"name", key},
                                                  {"folder", "Tests"},
                                                  {"definition", json::parse(definition)},
                                                  {"enabled", enabled}});
    }

    // Waits until the audience has a finished run newer than `after_id`; returns it.
    json WaitForRun(ApiClient& c, const std::string& key, int64_t after_id = 0, int seconds = 60) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            auto runs = c.Get("/api/v1/audiences/" + key + "/runs");
            if (runs.status == 200) {
                for (const auto& r : runs.json["items"]) {
                    if (r["id"].get<int64_t>() > after_id && (r["status"] == "completed" || r["status"] == "failed")) {
                        return r;
                    }
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "no run of " << key << " finished in " << seconds << " s\n" << service_->Log();
        return nullptr;
    }

    fs::path root_;
    std::unique_ptr<kith::test::HttpServer> sink_;
    std::string warehouse_;
    std::vector<std::string> vip_members_;
    std::unique_ptr<KithService> service_;
    std::unique_ptr<ApiClient> owner_;
};

// A concrete path for a route template: each {param} replaced by a value that names nothing.
std::string Concrete(const std::string& path) {
    return std::regex_replace(path, std::regex(R"(\{[a-z_]+\})"), "1");
}

TEST_P(Api, EveryRouteRefusesRequestsWithoutCredentials) {
    kith::api::Routes routes;
    kith::api::AddAllRoutes(routes);
    ApiClient anonymous(service_->port());
    int checked = 0;
    for (const auto& route : routes.all()) {
        if (route.permissions.empty()) continue;
        auto r = anonymous.Send(route.method, Concrete(route.path), route.method == "GET" ? "" : "{}");
        EXPECT_EQ(r.status, 401) << route.method << " " << route.path << ": " << Dump(r);
        EXPECT_EQ(r.json.value("code", ""), "unauthenticated") << route.path;
        ++checked;
    }
    EXPECT_GT(checked, 40);
    // A token that was never issued is refused the same way.
    anonymous.UseToken("kith_not-a-token");
    EXPECT_EQ(anonymous.Get("/api/v1/audiences").status, 401);
}

TEST_P(Api, EveryRouteRefusesRolesWithoutItsPermissions) {
    kith::api::Routes routes;
    kith::api::AddAllRoutes(routes);
    int checked = 0;
    for (kith::api::Role role : kith::api::AllRoles()) {
        std::string name(kith::api::RoleName(role));
        auto client = UserWith({name}, name + "@x.test");
        for (const auto& route : routes.all()) {
            bool allowed = std::all_of(route.permissions.begin(), route.permissions.end(),
                                       [&](kith::api::Permission p) { return kith::api::Allows({role}, p); });
            if (allowed) continue;
            auto r = client->Send(route.method, Concrete(route.path), route.method == "GET" ? "" : "{}");
            EXPECT_EQ(r.status, 403) << name << ": " << route.method << " " << route.path << ": " << Dump(r);
            EXPECT_EQ(r.json.value("code", ""), "forbidden") << route.path;
            ++checked;
        }
    }
    EXPECT_GT(checked, 100);
    // A Read-only user sees audiences but cannot change them.
    auto reader = std::make_unique<ApiClient>(service_->port());
    ASSERT_EQ(reader->Login("read_only@x.test", "password-of-read_only@x.test").status, 200);
    ASSERT_EQ(CreateAudience("vip", kVip).status, 201);
    EXPECT_EQ(reader->Get("/api/v1/audiences/vip").status, 200);
    EXPECT_EQ(reader->Put("/api/v1/audiences/vip", {{"name", "mine"}}).status, 403);
}

TEST_P(Api, MalformedOversizedAndForgedRequests) {
    // Malformed JSON: 400, with where it broke.
    auto bad = owner_->Send("POST", "/api/v1/audiences", "{\"key\": \"x\",\n \"name\": }");
    EXPECT_EQ(bad.status, 400) << Dump(bad);
    EXPECT_EQ(bad.json["code"], "malformed");
    ASSERT_TRUE(bad.json.contains("pointer"));
    ASSERT_EQ(bad.json["errors"].size(), 1u);
    EXPECT_EQ(bad.json["errors"][0]["line"], 2);
    // A body of the wrong shape: 400 at its place.
    auto shape = owner_->Post("/api/v1/auth/login", {{"email", 5}, {"password", "x"}});
    EXPECT_EQ(shape.status, 400);
    EXPECT_EQ(shape.json["pointer"], "/email");
    // Invalid content: 422 pointing into the definition.
    auto invalid = owner_->Post("/api/v1/audiences", {{"key", "broken"},
                                                      {"definition", json::parse(R"({"groups": [{"conditions": [
                                                           {"type": "entity", "relationship": "nope"}]}]})")}});
    EXPECT_EQ(invalid.status, 422) << Dump(invalid);
    EXPECT_EQ(invalid.json["code"], "invalid");
    EXPECT_TRUE(invalid.json["pointer"].get<std::string>().starts_with("/definition/groups/0/conditions/0"))
        << Dump(invalid);
    // Larger than the 1 MiB limit: 413 in the error shape.
    std::string big = "{\"key\": \"" + std::string(2 << 20, 'a') + "\"}";
    auto large = owner_->Send("POST", "/api/v1/audiences", big);
    EXPECT_EQ(large.status, 413) << Dump(large);
    EXPECT_EQ(large.json.value("code", ""), "too_large");
    // A change made with the cookie but without the CSRF token is refused.
    ApiClient forged = *owner_;
    forged.DropCsrf();
    auto csrf = forged.Post("/api/v1/audiences", {{"key", "x"}, {"definition", json::parse(kVip)}});
    EXPECT_EQ(csrf.status, 403);
    EXPECT_EQ(csrf.json["code"], "csrf");
    EXPECT_EQ(forged.Get("/api/v1/audiences").status, 200); // reads need no token
    // Unknown routes answer 404 in the same shape.
    auto none = owner_->Get("/api/v1/nothing-here");
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.json["code"], "not_found");
}

TEST_P(Api, StaticFilesStayInsideTheirFolder) {
    ApiClient anonymous(service_->port());
    auto index = anonymous.Get("/index.html");
    EXPECT_EQ(index.status, 200);
    EXPECT_NE(index.text.find("<title>kith</title>"), std::string::npos);
    for (const char* path : {"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/web/../../secret.txt",
                             "/%2e%2e%2f%2e%2e%2fsecret.txt", "/....//secret.txt"}) {
        auto r = anonymous.Get(path);
        EXPECT_NE(r.status, 200) << path;
        EXPECT_EQ(r.text.find("TOP-SECRET"), std::string::npos) << path;
    }
}

TEST_P(Api, PagesOfTheAppGetIndexHtmlAndMissingFilesStay404) {
    ApiClient anonymous(service_->port());
    for (const char* page : {"/", "/audiences", "/audiences/vip/runs", "/overview"}) {
        auto r = anonymous.Get(page);
        EXPECT_EQ(r.status, 200) << page;
        EXPECT_NE(r.text.find("<title>kith</title>"), std::string::npos) << page;
        EXPECT_EQ(r.headers["cache-control"], "no-cache") << page;
    }
    // A missing asset, and anything under /api/, are not pages.
    EXPECT_EQ(anonymous.Get("/assets/missing-1234.js").status, 404);
    auto api = anonymous.Get("/api/v1/nothing-here");
    EXPECT_EQ(api.status, 404);
    EXPECT_EQ(api.json["code"], "not_found");
    EXPECT_EQ(anonymous.Get("/api/").status, 404);
}

TEST_P(Api, LoginFailuresAreSlowedDown) {
    ApiClient c(service_->port());
    for (int i = 0; i < 5; ++i) {
        auto r = c.Login("owner@x.test", "wrong-password");
        EXPECT_EQ(r.status, 401) << i;
    }
    auto throttled = c.Login("owner@x.test", "wrong-password");
    EXPECT_EQ(throttled.status, 429) << Dump(throttled);
    EXPECT_FALSE(throttled.headers["retry-after"].empty());
    // Even the right password waits its turn.
    EXPECT_EQ(c.Login("owner@x.test", kOwnerPassword).status, 429);
    // An unknown email fails the same way as a wrong password.
    EXPECT_EQ(c.Login("nobody@x.test", "whatever-pass").status, 401);
}

TEST_P(Api, AudiencesFromCreateToDelete) {
    auto created = CreateAudience("vip", kVip);
    ASSERT_EQ(created.status, 201) << Dump(created);
    EXPECT_EQ(created.json["enabled"], false); // a new audience starts disabled
    EXPECT_EQ(created.json["version"], 1);
    EXPECT_EQ(CreateAudience("vip", kVip).status, 409);

    auto read = owner_->Get("/api/v1/audiences/vip");
    ASSERT_EQ(read.status, 200);
    std::string etag = read.headers["etag"];
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(owner_->Get("/api/v1/audiences/vip", {{"If-None-Match", etag}}).status, 304);
    auto stale = owner_->Put("/api/v1/audiences/vip", {{"description", "x"}}, {{"If-Match", "\"a0-0-0\""}});
    EXPECT_EQ(stale.status, 412);
    auto edited = owner_->Put("/api/v1/audiences/vip",
                              {{"definition", json::parse(R"({"groups": [{"conditions": [{"type": "trait",
                                 "trait": "plan", "filter": {"op": "equals", "value": "free"}}]}]})")}},
                              {{"If-Match", etag}});
    ASSERT_EQ(edited.status, 200) << Dump(edited);
    EXPECT_EQ(edited.json["version"], 2);
    auto back = owner_->Put("/api/v1/audiences/vip", {{"definition", json::parse(kVip)}});
    ASSERT_EQ(back.status, 200);
    auto history = owner_->Get("/api/v1/audiences/vip/history");
    ASSERT_EQ(history.status, 200);
    EXPECT_EQ(history.json["items"].size(), 3u);
    EXPECT_EQ(history.json["items"][0]["version"], 3);

    // List: folders, search, paging.
    ASSERT_EQ(CreateAudience("active_accounts", kActiveAccounts).status, 201);
    auto clone = owner_->Post("/api/v1/audiences/vip/clone", {{"key", "vip_copy"}, {"folder", "Copies"}});
    ASSERT_EQ(clone.status, 201) << Dump(clone);
    EXPECT_EQ(clone.json["definition"], json::parse(kVip));
    auto page = owner_->Get("/api/v1/audiences?limit=2");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.json["items"].size(), 2u);
    EXPECT_EQ(page.json["folders"], json({"Copies", "Tests"}));
    auto rest = owner_->Get("/api/v1/audiences?limit=2&after=" + page.json["next_after"].get<std::string>());
    EXPECT_EQ(rest.json["items"].size(), 1u);
    auto search = owner_->Get("/api/v1/audiences?q=COPY");
    ASSERT_EQ(search.json["items"].size(), 1u);
    EXPECT_EQ(search.json["items"][0]["key"], "vip_copy");
    EXPECT_EQ(owner_->Get("/api/v1/audiences?folder=Copies").json["items"].size(), 1u);

    // Enabling runs it; the explorer pages through the members of that run.
    ASSERT_EQ(owner_->Post("/api/v1/audiences/vip/run").status, 409); // disabled
    auto enabled = owner_->Post("/api/v1/audiences/vip/enable");
    ASSERT_EQ(enabled.status, 200);
    json run = WaitForRun(*owner_, "vip");
    ASSERT_EQ(run["status"], "completed") << run.dump();
    EXPECT_EQ(run["members"], vip_members_.size());
    std::vector<std::string> explored;
    std::string after;
    for (int pages = 0; pages < 20; ++pages) {
        auto m = owner_->Get("/api/v1/audiences/vip/members?limit=1" + (after.empty() ? "" : "&after=" + after));
        ASSERT_EQ(m.status, 200) << Dump(m);
        for (const auto& item : m.json["items"]) {
            explored.push_back(item["profile"]);
            EXPECT_TRUE(item["identifiers"].is_array());
        }
        if (m.json["next_after"].is_null()) break;
        after = m.json["next_after"].get<std::string>();
    }
    EXPECT_EQ(explored, vip_members_);
    auto again = owner_->Post("/api/v1/audiences/vip/run");
    EXPECT_EQ(again.status, 202) << Dump(again);
    json second = WaitForRun(*owner_, "vip", run["id"].get<int64_t>());
    EXPECT_EQ(second["status"], "completed");
    auto detail = owner_->Get("/api/v1/runs/" + std::to_string(run["id"].get<int64_t>()));
    ASSERT_EQ(detail.status, 200);
    EXPECT_EQ(detail.json["change_summary"]["profiles"]["entered"], vip_members_.size());
    auto changes = owner_->Get("/api/v1/runs/" + std::to_string(run["id"].get<int64_t>()) + "/changes?limit=1000");
    ASSERT_EQ(changes.status, 200) << Dump(changes);
    EXPECT_EQ(changes.json["items"].size(), vip_members_.size());

    EXPECT_EQ(owner_->Delete("/api/v1/audiences/vip_copy").status, 204);
    EXPECT_EQ(owner_->Get("/api/v1/audiences/vip_copy").status, 404);
    EXPECT_EQ(owner_->Delete("/api/v1/audiences/vip_copy").status, 404);

    // Deleting an audience that ran drops its snapshot tables from the warehouse too.
    auto count_tables = [&]() -> int64_t {
        auto wh = kith::warehouse::Open(warehouse_);
        if (!wh) return -1;
        auto rows = kith::warehouse::QueryAll(
            **wh, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'kith_state'");
        return rows && !rows->empty() && (*rows)[0][0] ? std::stoll(*(*rows)[0][0]) : -1;
    };
    if (GetParam() == Backend::POSTGRES) {
        EXPECT_GT(count_tables(), 0); // DuckDB's file is the service's alone while it runs
    }
    EXPECT_EQ(owner_->Delete("/api/v1/audiences/vip").status, 204);
    ASSERT_EQ(service_->Stop(), 0) << service_->Log();
    service_.reset();
    EXPECT_EQ(count_tables(), 0);
}

TEST_P(Api, PreviewsExplainAndSuggestions) {
    auto started = owner_->Post("/api/v1/previews?wait_ms=60000", {{"definition", json::parse(kVip)}});
    ASSERT_EQ(started.status, 200) << Dump(started);
    EXPECT_EQ(started.json["status"], "succeeded");
    EXPECT_EQ(started.json["result"]["count"], vip_members_.size());
    std::string id = started.json["id"];
    auto polled = owner_->Get("/api/v1/operations/" + id);
    EXPECT_EQ(polled.status, 200);
    EXPECT_EQ(polled.json["result"]["count"], vip_members_.size());
    // Another user cannot read it.
    auto other = UserWith({"read_only"}, "reader@x.test");
    EXPECT_EQ(other->Get("/api/v1/operations/" + id).status, 404);
    // A broken definition is refused before any operation starts.
    auto broken = owner_->Post("/api/v1/previews", {{"definition", {{"groups", 5}}}});
    EXPECT_EQ(broken.status, 422) << Dump(broken);
    EXPECT_TRUE(broken.json["pointer"].get<std::string>().starts_with("/definition"));
    // Cancelling a finished operation leaves it as it was.
    auto cancelled = owner_->Delete("/api/v1/operations/" + id);
    EXPECT_EQ(cancelled.json["status"], "succeeded");

    auto explain = owner_->Post("/api/v1/explain", {{"definition", json::parse(kVip)}, {"profile", vip_members_[0]}});
    ASSERT_EQ(explain.status, 200) << Dump(explain);
    EXPECT_EQ(explain.json["member"], true);
    auto values = owner_->Get("/api/v1/suggestions?trait=plan");
    ASSERT_EQ(values.status, 200) << Dump(values);
    auto list = values.json["values"];
    EXPECT_NE(std::find(list.begin(), list.end(), "pro"), list.end());
    auto entity = owner_->Get("/api/v1/suggestions?entity=account&column=STATUS");
    ASSERT_EQ(entity.status, 200) << Dump(entity);
    EXPECT_FALSE(entity.json["values"].empty());
    EXPECT_EQ(owner_->Get("/api/v1/suggestions").status, 400);

    // The catalog of traits (most used first) and event tables with their columns and types.
    auto catalog = owner_->Get("/api/v1/catalog");
    ASSERT_EQ(catalog.status, 200) << Dump(catalog);
    ASSERT_FALSE(catalog.json["traits"].empty());
    EXPECT_EQ(catalog.json["traits"][0], "plan");
    auto traits = catalog.json["traits"];
    EXPECT_NE(std::find(traits.begin(), traits.end(), "home_currency"), traits.end());
    std::vector<std::string> tables;
    for (const auto& e : catalog.json["events"]) tables.push_back(e["table"]);
    EXPECT_EQ(tables, (std::vector<std::string>{"order_completed", "page_viewed"})) << Dump(catalog);
    std::map<std::string, std::string> types;
    for (const auto& col : catalog.json["events"][0]["columns"]) types[col["name"]] = col["type"];
    EXPECT_EQ(types["total"], "number");
    EXPECT_EQ(types["coupon"], "boolean");
    EXPECT_EQ(types["delivery_date"], "date");
    EXPECT_EQ(types["timestamp"], "timestamp");
    EXPECT_EQ(types["context_page_url"], "string");
}

TEST_P(Api, ActivationsDeliverAndKeepTheirSecrets) {
    kith::test::HttpServer& sink = *sink_;
    ASSERT_EQ(CreateAudience("vip", kVip).status, 201);
    auto catalog = owner_->Get("/api/v1/destinations");
    ASSERT_EQ(catalog.status, 200);
    EXPECT_GE(catalog.json["items"].size(), 5u);
    json activation = {{"key", "vip_hook"},
                       {"audience", "vip"},
                       {"destination",
                        {{"type", "webhook"},
                         {"url", sink.url() + "/in"},
                         {"headers", {{"Authorization", "Bearer hook-secret"}}}}},
                       {"trigger", "profile_enters"},
                       {"identifiers", json::parse(R"([{"type": "user_id", "as": "userId"}])")},
                       {"enrichment", {{"traits", {"plan"}}}},
                       {"enabled", true}};
    auto created = owner_->Post("/api/v1/activations", activation);
    ASSERT_EQ(created.status, 201) << Dump(created);
    EXPECT_EQ(created.json["destination"]["headers"]["Authorization"], "********");
    EXPECT_EQ(created.text.find("hook-secret"), std::string::npos);
    // An edit that sends the masked value back keeps the secret.
    json edit = created.json["destination"];
    auto updated = owner_->Put("/api/v1/activations/vip_hook", {{"destination", edit}, {"event_name", "VIP Entered"}});
    ASSERT_EQ(updated.status, 200) << Dump(updated);
    EXPECT_EQ(updated.json["event_name"], "VIP Entered");
    // An Engage User may edit the activation but not where it sends.
    auto engage = UserWith({"engage_user"}, "engage@x.test");
    json elsewhere = edit;
    elsewhere["url"] = "http://127.0.0.1:1/elsewhere";
    EXPECT_EQ(engage->Put("/api/v1/activations/vip_hook", {{"destination", elsewhere}}).status, 403);
    EXPECT_EQ(engage->Put("/api/v1/activations/vip_hook", {{"event_name", "VIP In"}}).status, 200);

    ASSERT_EQ(owner_->Post("/api/v1/audiences/vip/enable").status, 200);
    json run = WaitForRun(*owner_, "vip");
    ASSERT_EQ(run["status"], "completed") << run.dump();
    // Every event arrives, with the real secret header.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    json total;
    while (std::chrono::steady_clock::now() < deadline) {
        auto overview = owner_->Get("/api/v1/overview?bucket=none");
        ASSERT_EQ(overview.status, 200);
        total = overview.json["total"];
        if (total["from_audience"].get<int64_t>() > 0 && total["queued"] == 0 && total["pending_retry"] == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    int64_t users = total["from_audience"].get<int64_t>() - total["filtered_at_source"].get<int64_t>();
    EXPECT_EQ(total["delivered"], users) << total.dump();
    EXPECT_EQ(total["from_audience"], vip_members_.size());
    auto requests = sink.Requests();
    ASSERT_EQ(static_cast<int64_t>(requests.size()), users);
    std::string user_id;
    for (const auto& r : requests) {
        EXPECT_EQ(r.headers.at("authorization"), "Bearer hook-secret");
        auto body = json::parse(r.body);
        EXPECT_EQ(body["event"], "VIP In");
        user_id = body["userId"];
    }
    auto delivered = owner_->Get("/api/v1/overview/delivered?activation=vip_hook");
    ASSERT_EQ(delivered.status, 200);
    EXPECT_EQ(static_cast<int64_t>(delivered.json["events"].size()), users);
    EXPECT_EQ(delivered.json["events"][0]["status_code"], 200);
    EXPECT_EQ(owner_->Get("/api/v1/overview/pending_retry").status, 404);

    // Test event, payload preview, personalization syntax.
    auto test_event = owner_->Post("/api/v1/activations/vip_hook/test-event", {{"user_id", user_id}});
    ASSERT_EQ(test_event.status, 200) << Dump(test_event);
    EXPECT_EQ(test_event.json["result"], "delivered");
    EXPECT_TRUE(test_event.json["message_id"].get<std::string>().starts_with("test-"));
    EXPECT_EQ(test_event.text.find("hook-secret"), std::string::npos); // redacted in the request shown
    EXPECT_NE(test_event.text.find(user_id), std::string::npos);         // the payload, to who may see profiles
    EXPECT_EQ(sink.Requests().size(), requests.size() + 1);
    // A user who may send test events but not view profiles sees how the exchange went, not what it carried.
    auto sender = UserWith({"engage_user"}, "sender@x.test");
    auto hidden = sender->Post("/api/v1/activations/vip_hook/test-event", {{"user_id", user_id}});
    ASSERT_EQ(hidden.status, 200) << Dump(hidden);
    EXPECT_EQ(hidden.json["result"], "delivered");
    for (const char* part : {"request", "response"}) {
        EXPECT_NE(hidden.json["exchanges"][0][part]["body"].get<std::string>().find("hidden"), std::string::npos)
            << Dump(hidden);
    }
    EXPECT_EQ(hidden.json["exchanges"][0]["response"]["status"], 200);
    EXPECT_EQ(sink.Requests().size(), requests.size() + 2);
    auto preview = owner_->Post("/api/v1/activations/vip_hook/payload-preview",
                                {{"mapping", {{"who", {{"@path", "$.userId"}}}}}});
    ASSERT_EQ(preview.status, 200) << Dump(preview);
    EXPECT_TRUE(preview.json["mapped"]["who"].is_string());
    auto syntax = owner_->Get("/api/v1/activations/vip_hook/personalization");
    ASSERT_EQ(syntax.status, 200);
    EXPECT_NE(syntax.text.find("plan"), std::string::npos);
    EXPECT_EQ(owner_->Post("/api/v1/activations/vip_hook/disable").json["enabled"], false);
    EXPECT_EQ(owner_->Delete("/api/v1/activations/vip_hook").status, 204);
    EXPECT_EQ(owner_->Get("/api/v1/activations/vip_hook").status, 404);

    // A mapping exported from Segment's Braze destination is taken unchanged, under Segment's names.
    json braze = {{"key", "vip_braze"},
                  {"audience", "vip"},
                  {"destination", {{"type", "braze"}, {"api_key", "braze-secret"}, {"endpoint", "https://rest.fra-01.braze.eu"}}},
                  {"action", "trackEvent"},
                  {"trigger", "profile_enters"},
                  {"mapping", json::parse(R"({"external_id": {"@path": "$.userId"}, "name": {"@path": "$.event"},
                      "time": {"@path": "$.receivedAt"}, "properties": {"@path": "$.properties"},
                      "_update_existing_only": false, "enable_batching": true, "batch_size": 75})")}};
    auto saved = owner_->Post("/api/v1/activations", braze);
    ASSERT_EQ(saved.status, 201) << Dump(saved);
    EXPECT_EQ(saved.json["action"], "trackEvent");
    EXPECT_EQ(saved.json["destination"]["api_key"], "********");
    braze["key"] = "vip_braze_old";
    braze["action"] = "track_event"; // kith's former name
    auto old = owner_->Post("/api/v1/activations", braze);
    EXPECT_EQ(old.status, 422) << Dump(old);
    EXPECT_EQ(old.json["pointer"], "/action");
    EXPECT_EQ(old.json["message"], "unknown action \"track_event\" for a braze destination (expected trackEvent, "
                                   "updateUserProfile, trackPurchase)");
}

// Before an audience ever ran, a payload preview and a test event are built from the warehouse as the run would build
// them: a profile trigger (identifiers, traits, matched entities) and an entity trigger (the first matched cart with its
// columns and products); the outbox stays empty. A userId no profile has, or a profile that is not a member, is a 404
// at /user_id.
TEST_P(Api, TestEventsAndPreviewsBeforeTheFirstRun) {
    kith::test::HttpServer& sink = *sink_;
    ASSERT_EQ(CreateAudience("active_accounts", kith::test::ActiveAccountsDefinition().dump().c_str()).status, 201);
    ASSERT_EQ(CreateAudience("carts", kith::test::CartsDefinition().dump().c_str()).status, 201);
    for (const json& a : {kith::test::AccountsActivation("accounts_hook", "active_accounts", sink.url() + "/in"),
                          kith::test::CartsActivation("carts_hook", "carts", sink.url() + "/in")}) {
        auto created = owner_->Post("/api/v1/activations", a);
        ASSERT_EQ(created.status, 201) << Dump(created);
    }
    // The ids the events carry, from the state store.
    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    ASSERT_TRUE(store) << store.error().ToString();
    auto id_of = [&](const std::string& activation, const std::string& audience) {
        auto a = (*store)->Read([&](kith::store::Tx& tx) { return tx.GetActivation(1, activation); });
        auto b = (*store)->GetAudience(1, audience);
        EXPECT_TRUE(a && *a && b && *b);
        return std::make_pair((*b)->id, (*a)->id);
    };
    auto [accounts_audience, accounts_id] = id_of("accounts_hook", "active_accounts");
    auto [carts_audience, carts_id] = id_of("carts_hook", "carts");
    json expected_accounts =
        kith::test::ExpectedAccountsEvent(accounts_audience, "active_accounts", accounts_id, "accounts_hook");
    json expected_carts = kith::test::ExpectedCartsEvent(carts_audience, "carts", carts_id, "carts_hook");
    const std::string as_of = kith::test::kEventsAsOf;

    // Previews: of u1, and of the audience's first member (p1 too) when no user is named.
    auto accounts =
        owner_->Post("/api/v1/activations/accounts_hook/payload-preview", {{"user_id", "u1"}, {"as_of", as_of}});
    ASSERT_EQ(accounts.status, 200) << Dump(accounts);
    EXPECT_EQ(accounts.json["source"], "warehouse");
    EXPECT_EQ(accounts.json["event"], expected_accounts) << accounts.json["event"].dump(2);
    EXPECT_EQ(accounts.json["mapped"], expected_accounts);
    EXPECT_EQ(accounts.json["message_id"], expected_accounts["messageId"]);
    EXPECT_FALSE(accounts.json.contains("filter_reason"));
    json cart_id = {{"cart", {{"@path", "$.properties.account_carts__ID"}}}};
    auto carts = owner_->Post("/api/v1/activations/carts_hook/payload-preview",
                              {{"user_id", "u1"}, {"as_of", as_of}, {"mapping", cart_id}});
    ASSERT_EQ(carts.status, 200) << Dump(carts);
    EXPECT_EQ(carts.json["event"], expected_carts) << carts.json["event"].dump(2);
    EXPECT_EQ(carts.json["mapped"], json({{"cart", 10}}));
    auto first = owner_->Post("/api/v1/activations/carts_hook/payload-preview", {{"as_of", as_of}});
    ASSERT_EQ(first.status, 200) << Dump(first);
    EXPECT_EQ(first.json["event"], expected_carts);

    // Test events: sent now with a test- messageId, the sink receives the event as built.
    for (const auto& [key, expected] :
         {std::pair{"accounts_hook", expected_accounts}, std::pair{"carts_hook", expected_carts}}) {
        auto sent = owner_->Post(std::string("/api/v1/activations/") + key + "/test-event",
                                 {{"user_id", "u1"}, {"as_of", as_of}});
        ASSERT_EQ(sent.status, 200) << Dump(sent);
        EXPECT_EQ(sent.json["result"], "delivered") << Dump(sent);
        EXPECT_EQ(sent.json["source"], "warehouse");
        std::string message_id = "test-" + expected["messageId"].get<std::string>();
        EXPECT_EQ(sent.json["message_id"], message_id);
        json received = json::parse(sink.Requests().back().body);
        json want = expected;
        want["messageId"] = message_id;
        EXPECT_EQ(received, want) << received.dump(2);
    }
    EXPECT_EQ(sink.Requests().size(), 2u);

    // Who is not there: a userId no profile has, a profile outside the audience; an empty userId is malformed.
    auto nobody = owner_->Post("/api/v1/activations/accounts_hook/test-event", {{"user_id", "nobody"}});
    EXPECT_EQ(nobody.status, 404) << Dump(nobody);
    EXPECT_EQ(nobody.json["code"], "not_found");
    EXPECT_EQ(nobody.json["pointer"], "/user_id");
    EXPECT_EQ(nobody.json["message"],
              "no profile has userId \"nobody\" (activation accounts_hook: identifier types user_id)");
    auto outside = owner_->Post("/api/v1/activations/carts_hook/payload-preview", {{"user_id", "7"}, {"as_of", as_of}});
    EXPECT_EQ(outside.status, 404) << Dump(outside);
    EXPECT_EQ(outside.json["pointer"], "/user_id");
    EXPECT_EQ(outside.json["message"], "the profile with userId \"7\" is not a member of audience carts as of "
                                       "2026-01-01T00:00:00.000Z: events are built for its members");
    auto empty = owner_->Post("/api/v1/activations/accounts_hook/test-event", {{"user_id", std::string()}});
    EXPECT_EQ(empty.status, 400) << Dump(empty);
    EXPECT_EQ(sink.Requests().size(), 2u);
    // Nothing entered the outbox.
    for (const char* key : {"accounts_hook", "carts_hook"}) {
        auto a = owner_->Get(std::string("/api/v1/activations/") + key);
        EXPECT_EQ(a.json["events"], json::object()) << key;
    }

    // The first run queues the same events (same messageIds), but for its run id and time; previews then show the
    // newest queued one.
    for (const auto& [audience, key, expected] : {std::tuple{"active_accounts", "accounts_hook", expected_accounts},
                                                 std::tuple{"carts", "carts_hook", expected_carts}}) {
        ASSERT_EQ(owner_->Post(std::string("/api/v1/audiences/") + audience + "/enable").status, 200);
        json run = WaitForRun(*owner_, audience);
        ASSERT_EQ(run["status"], "completed") << run.dump();
        auto queued = (*store)->Read([&](kith::store::Tx& tx) { return tx.GetEvent(expected["messageId"]); });
        ASSERT_TRUE(queued && *queued) << key;
        json want = expected;
        want["timestamp"] = (*queued)->payload["timestamp"];
        want["context"]["personas"]["computation_run_id"] = std::to_string(run["id"].get<int64_t>());
        EXPECT_EQ((*queued)->payload, want) << (*queued)->payload.dump(2);
        auto newest = owner_->Post(std::string("/api/v1/activations/") + key + "/payload-preview", {{"user_id", "u1"}});
        ASSERT_EQ(newest.status, 200) << Dump(newest);
        EXPECT_EQ(newest.json["source"], "outbox");
        EXPECT_EQ(newest.json["event"]["userId"], "u1");
    }
}

// Destinations reach no internal address the config does not allow (the service's own API, a name resolving to
// loopback, cloud metadata), and "send test event" never shows an internal answer; file destinations write only
// beneath [delivery] file_root, checked when saved (422 at /destination/path).
TEST_P(Api, DestinationsReachNoInternalAddressOrFileOutsideTheRoot) {
    ASSERT_EQ(CreateAudience("vip", kVip).status, 201);
    const std::string own = "http://127.0.0.1:" + std::to_string(service_->port());
    json activation = {{"key", "vip_internal"},
                       {"audience", "vip"},
                       {"destination", {{"type", "webhook"}, {"url", own + "/api/v1/openapi.json"}, {"method", "GET"}}},
                       {"trigger", "profile_enters"},
                       {"identifiers", json::parse(R"([{"type": "user_id", "as": "userId"}])")},
                       {"enabled", true}};
    auto created = owner_->Post("/api/v1/activations", activation);
    ASSERT_EQ(created.status, 201) << Dump(created);
    ASSERT_EQ(owner_->Post("/api/v1/audiences/vip/enable").status, 200);
    json run = WaitForRun(*owner_, "vip");
    ASSERT_EQ(run["status"], "completed") << run.dump();
    auto newest = owner_->Post("/api/v1/activations/vip_internal/payload-preview", json::object());
    ASSERT_EQ(newest.status, 200) << Dump(newest);
    std::string user_id = newest.json["event"]["userId"];
    for (const std::string& url : {own + "/api/v1/openapi.json",
                                  "http://localhost:" + std::to_string(service_->port()) + "/api/v1/openapi.json",
                                  std::string("http://169.254.169.254/latest/meta-data/")}) {
        json dest = {{"type", "webhook"}, {"url", url}, {"method", "GET"}};
        ASSERT_EQ(owner_->Put("/api/v1/activations/vip_internal", {{"destination", dest}}).status, 200);
        auto test_event = owner_->Post("/api/v1/activations/vip_internal/test-event", {{"user_id", user_id}});
        ASSERT_EQ(test_event.status, 200) << Dump(test_event);
        EXPECT_EQ(test_event.json["result"], "retry") << url;
        std::string error = test_event.json["error"];
        EXPECT_TRUE(error.starts_with("refused to connect")) << error;
        EXPECT_NE(error.find("[delivery] allow_hosts"), std::string::npos) << error;
        EXPECT_EQ(test_event.json["exchanges"][0]["response"]["body"], "") << url;
        EXPECT_EQ(test_event.text.find("openapi\":"), std::string::npos) << test_event.text.substr(0, 600);
        EXPECT_EQ(test_event.text.find("\"paths\""), std::string::npos);
    }

    // File paths outside the root, climbing out, or to kernel files: 422 naming the field.
    json file = activation;
    file["key"] = "vip_file";
    for (const std::string& path : {std::string("/etc/passwd"), std::string("/proc/self/mem"),
                                   std::string("../../etc/passwd"), (root_ / ".." / "x.ndjson").string()}) {
        file["destination"] = {{"type", "file"}, {"path", path}};
        auto refused = owner_->Post("/api/v1/activations", file);
        EXPECT_EQ(refused.status, 422) << path << ": " << Dump(refused);
        EXPECT_EQ(refused.json["pointer"], "/destination/path") << Dump(refused);
        EXPECT_NE(refused.json["message"].get<std::string>().find("[delivery] file_root"), std::string::npos)
            << Dump(refused);
    }
    file["destination"] = {{"type", "file"}, {"path", "out/vip.ndjson"}};
    ASSERT_EQ(owner_->Post("/api/v1/activations", file).status, 201);
    auto moved =
        owner_->Put("/api/v1/activations/vip_file", {{"destination", {{"type", "file"}, {"path", "/etc/shadow"}}}});
    EXPECT_EQ(moved.status, 422) << Dump(moved);
    EXPECT_EQ(moved.json["pointer"], "/destination/path");
}

TEST_P(Api, NewPasswordsAreHashedAtTheConfiguredCost) {
    // [auth] in kith.toml: 1 MiB, 1 pass. Both `kith users add` and POST /api/v1/users use it.
    auto made = owner_->Post("/api/v1/users", {{"email", "cost@x.test"}, {"password", "password-of-cost"},
                                               {"roles", {"read_only"}}});
    ASSERT_EQ(made.status, 201) << Dump(made);
    auto store = kith::store::Store::Open((root_ / "state.sqlite").string());
    ASSERT_TRUE(store) << store.error().ToString();
    for (const char* email : {"owner@x.test", "cost@x.test"}) {
        auto user = (*store)->Read([&](kith::store::Tx& tx) { return tx.GetUserByEmail(email); });
        ASSERT_TRUE(user && *user) << email;
        EXPECT_TRUE((*user)->password_hash.starts_with("$argon2id$v=19$m=1024,t=1,")) << (*user)->password_hash;
    }
    ApiClient c(service_->port());
    EXPECT_EQ(c.Login("cost@x.test", "password-of-cost").status, 200);
}

TEST_P(Api, UsersTokensAlertsAndNotifications) {
    // API tokens: shown once, act as their user, need no CSRF token, revocable.
    auto token = owner_->Post("/api/v1/tokens", {{"name", "ci"}});
    ASSERT_EQ(token.status, 201) << Dump(token);
    std::string secret = token.json["token"];
    ApiClient script(service_->port());
    script.UseToken(secret);
    EXPECT_EQ(script.Post("/api/v1/audiences", {{"key", "scripted"}, {"definition", json::parse(kVip)}}).status, 201);
    auto listed = owner_->Get("/api/v1/tokens");
    EXPECT_EQ(listed.text.find(secret), std::string::npos);
    EXPECT_EQ(owner_->Delete("/api/v1/tokens/" + std::to_string(token.json["id"].get<int64_t>())).status, 204);
    EXPECT_EQ(script.Get("/api/v1/audiences").status, 401);

    // The workspace keeps an owner.
    auto me = owner_->Get("/api/v1/me");
    ASSERT_EQ(me.status, 200);
    int64_t owner_id = me.json["user"]["id"];
    EXPECT_EQ(owner_->Put("/api/v1/users/" + std::to_string(owner_id), {{"roles", {"read_only"}}}).status, 409);
    EXPECT_EQ(owner_->Post("/api/v1/users", {{"email", "x@x.test"}, {"roles", {"wizard"}}}).status, 422);

    // Alerts: anyone creates; only the creator or an owner changes.
    ASSERT_EQ(CreateAudience("vip", kVip).status, 201);
    auto alice = UserWith({"read_only"}, "alice@x.test");
    auto bob = UserWith({"engage_user"}, "bob@x.test");
    json body = {{"kind", "audience_size"}, {"target", "vip"}, {"threshold_pct", 10},
                 {"channels", json::parse(R"([{"type": "in_app"}])")}};
    auto created = alice->Post("/api/v1/alerts", body);
    ASSERT_EQ(created.status, 201) << Dump(created);
    std::string path = "/api/v1/alerts/" + std::to_string(created.json["id"].get<int64_t>());
    body["threshold_pct"] = 20;
    EXPECT_EQ(bob->Put(path, body).status, 403);
    EXPECT_EQ(alice->Put(path, body).status, 200);
    EXPECT_EQ(owner_->Put(path, body).status, 200);
    body["target"] = "missing";
    auto bad = alice->Post("/api/v1/alerts", body);
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(bad.json["pointer"], "/target");
    EXPECT_EQ(bob->Delete(path).status, 403);
    auto notes = alice->Get("/api/v1/notifications");
    ASSERT_EQ(notes.status, 200);
    EXPECT_EQ(notes.json["unread"], 0);
    EXPECT_EQ(alice->Post("/api/v1/notifications/read", json::object()).json["marked"], 0);
    auto evaluated = owner_->Post("/api/v1/alerts/evaluate");
    ASSERT_EQ(evaluated.status, 200) << Dump(evaluated);
    EXPECT_EQ(evaluated.json["alerts"].size(), 1u);
    EXPECT_EQ(alice->Delete(path).status, 204);
}

TEST_P(Api, TheDataGraphHealthAndMetrics) {
    auto graph = owner_->Get("/api/v1/graph");
    ASSERT_EQ(graph.status, 200) << Dump(graph);
    bool found = false;
    for (const auto& e : graph.json["entities"]) {
        if (e["slug"] != "account") continue;
        found = true;
        bool status = false;
        for (const auto& c : e["columns"]) status = status || (c["name"] == "STATUS" && c["type"] == "string");
        EXPECT_TRUE(status) << e.dump();
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(graph.json["relationships"][0]["slug"], "user-accounts");
    auto check = owner_->Post("/api/v1/graph/validate", {{"source", "data_graph {\n  version = \"v9\"\n}\n"},
                                                         {"format", "hcl"}});
    ASSERT_EQ(check.status, 200);
    EXPECT_EQ(check.json["valid"], false);
    EXPECT_GT(check.json["problems"][0]["line"].get<int>(), 0);
    auto replace = owner_->Put("/api/v1/graph", {{"source", "nonsense {"}, {"format", "hcl"}});
    EXPECT_EQ(replace.status, 422);
    EXPECT_FALSE(replace.json["errors"].empty());
    auto same = owner_->Put("/api/v1/graph", {{"source", graph.json["source"]}, {"format", "hcl"}});
    EXPECT_EQ(same.status, 200) << Dump(same);

    ApiClient anonymous(service_->port());
    auto health = anonymous.Get("/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.json["checks"]["warehouse"], "ok");
    auto metrics = anonymous.Get("/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.text.find("kith_http_requests_total{method=\"GET\",route=\"/api/v1/graph\",status=\"200\"} 1"),
              std::string::npos)
        << metrics.text.substr(0, 2000);
    EXPECT_NE(metrics.text.find("kith_outbox_pending 0"), std::string::npos);
    auto doc = anonymous.Get("/api/v1/openapi.json");
    EXPECT_EQ(doc.status, 200);
    EXPECT_TRUE(doc.json["openapi"].get<std::string>().starts_with("3.1"));
}

INSTANTIATE_TEST_SUITE_P(Warehouses, Api, ::testing::Values(Backend::DUCKDB, Backend::POSTGRES),
                         [](const auto& info) { return info.param == Backend::DUCKDB ? "DuckDb" : "Postgres"; });

} // namespace
