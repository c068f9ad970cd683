#include "support/api_load.hpp"

#include "support/http_server.hpp"
#include "support/kith_service.hpp"
#include "support/run_kith.hpp"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>
#include <unordered_set>

namespace kith::test {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* const kEmail = "owner@load.test";
const char* const kPassword = "load-test-password";

// The audiences under load: a trait, an event and two entity audiences, run only when asked ("Run now").
const char* const kAudiences[] = {
    R"j({"kind": "audience", "key": "pro_plan", "name": "Pro plan", "folder": "Load", "enabled": true,
  "description": "", "schedule": {"type": "manual"},
  "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]}})j",
    R"j({"kind": "audience", "key": "big_spenders", "name": "Big spenders", "folder": "Load", "enabled": true,
  "description": "", "schedule": {"type": "manual"},
  "definition": {"groups": [{"conditions": [{"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
    "window": {"within": {"value": 730, "unit": "days"}}, "where": {"filters": [{"property": "total", "op": "greater_than", "value": 100}]}}]}]}})j",
    R"j({"kind": "audience", "key": "premium_abandoners", "name": "Premium abandoners", "folder": "Load", "enabled": true,
  "description": "", "schedule": {"type": "manual"},
  "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
    "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
    "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
      "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}, {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]}})j",
    R"j({"kind": "audience", "key": "premium_brand_carts", "name": "Carts with premium brands", "folder": "Load", "enabled": true,
  "description": "", "schedule": {"type": "manual"},
  "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
    "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
      "children": {"conditions": [{"type": "entity", "relationship": "cart-products",
        "where": {"filters": [{"column": "IN_STOCK", "op": "equals", "value": true}]},
        "children": {"conditions": [{"type": "entity", "relationship": "product-brand",
          "where": {"filters": [{"column": "IS_PREMIUM", "op": "equals", "value": true}]}}]}}]}}]}}]}]}})j",
};

// Two webhook activations in batches of 50: profiles entering the trait audience, carts entering the entity one.
std::vector<json> Activations(const std::string& sink) {
    return {
        json::parse(fmt::format(R"({{"kind": "activation", "key": "pro_to_webhook", "audience": "pro_plan",
  "destination": {{"type": "webhook", "url": "{}/pro", "method": "POST", "batch_size": 50}},
  "action": "send", "trigger": "profile_enters", "event_name": "Pro Entered",
  "identifiers": [{{"type": "user_id", "as": "userId"}}, {{"type": "email", "as": "context.traits.email"}}],
  "enrichment": {{"traits": ["first_name", "plan"]}}, "mapping": null, "backfill": true, "enabled": true}})",
                                sink)),
        json::parse(fmt::format(R"({{"kind": "activation", "key": "carts_to_webhook", "audience": "premium_abandoners",
  "destination": {{"type": "webhook", "url": "{}/carts", "method": "POST", "batch_size": 50}},
  "action": "send", "trigger": "entity_enters", "entity": "account-carts", "event_name": "Cart Abandoned",
  "identifiers": [{{"type": "user_id", "as": "userId"}}, {{"type": "email", "as": "context.traits.email"}}],
  "enrichment": {{"traits": ["first_name"], "entities": {{"account-carts": ["TOTAL", "STATUS"]}}}},
  "mapping": null, "backfill": true, "enabled": true}})",
                                sink)),
    };
}

enum Class { READ, WRITE, PREVIEW, RUN_NOW, CLASSES };
const char* const kClassNames[] = {"reads", "writes", "previews", "run-now"};

struct Operation {
    const char* name;
    Class kind;
};
enum Op { ME, LIST, DETAIL, OVERVIEW, RUNS, PUT_AUDIENCE, ADD_ALERT, DELETE_ALERT, PREVIEW_OP, RUN_OP, OPS };
const Operation kOps[] = {
    {"GET /api/v1/me", READ},
    {"GET /api/v1/audiences", READ},
    {"GET /api/v1/audiences/{key}", READ},
    {"GET /api/v1/overview", READ},
    {"GET /api/v1/audiences/{key}/runs", READ},
    {"PUT /api/v1/audiences/{key}", WRITE},
    {"POST /api/v1/alerts", WRITE},
    {"DELETE /api/v1/alerts/{id}", WRITE},
    {"POST /api/v1/previews", PREVIEW},
    {"POST /api/v1/audiences/{key}/run", RUN_NOW},
};

struct Answer {
    int status = 0; //!< 0: no answer
    std::string body;
    std::string failure; //!< what went wrong without an answer
    std::string set_cookie;
};

// One kept-alive connection to the API with a session's cookie and CSRF token.
class Connection {
public:
    explicit Connection(int port) : client_("127.0.0.1", port) {
        client_.set_keep_alive(true);
        client_.set_tcp_nodelay(true);
        client_.set_connection_timeout(10, 0);
        client_.set_read_timeout(120, 0);
        client_.set_write_timeout(30, 0);
    }
    void SetSession(std::string cookie, std::string csrf) {
        cookie_ = std::move(cookie);
        csrf_ = std::move(csrf);
    }

    Answer Send(const std::string& method, const std::string& path, const std::string& body = "") {
        httplib::Request req;
        req.method = method;
        req.path = path;
        if (!cookie_.empty()) req.set_header("Cookie", cookie_);
        if (!csrf_.empty() && method != "GET") req.set_header("X-CSRF-Token", csrf_);
        if (!body.empty() || method == "POST" || method == "PUT") {
            req.set_header("Content-Type", "application/json");
            req.body = body;
        }
        httplib::Response res;
        httplib::Error err = httplib::Error::Success;
        Answer a;
        if (!client_.send(req, res, err)) {
            // No answer on the kept-alive connection (the server closed it as the request went out): like browsers,
            // send it again once on a new connection, and count it.
            ++reconnects;
            client_.stop();
            res = httplib::Response();
            err = httplib::Error::Success;
            if (!client_.send(req, res, err)) {
                a.failure = httplib::to_string(err);
                return a;
            }
        }
        a.status = res.status;
        a.body = std::move(res.body);
        a.set_cookie = res.get_header_value("Set-Cookie");
        return a;
    }

    int64_t reconnects = 0; //!< requests sent again on a new connection after getting no answer

private:
    httplib::Client client_;
    std::string cookie_;
    std::string csrf_;
};

// What one client measured: latencies (ms) per operation, and its failures.
struct Tally {
    std::vector<std::vector<float>> ms = std::vector<std::vector<float>>(OPS);
    std::vector<int64_t> errors = std::vector<int64_t>(OPS, 0);
    int64_t preview_results = 0;
    int64_t reconnects = 0;
    std::vector<float> warmup_ms; //!< requests of any kind but previews started in the warm-up
};

struct Shared {
    int port = 0;
    std::string cookie, csrf;
    std::atomic<bool> stop{false};
    Clock::time_point measure_from; //!< requests started before are the warm-up's
    int preview_percent = 10;
    std::mutex mutex;
    std::vector<std::string> first_errors;
    int64_t error_count = 0;

    void Error(const std::string& what) {
        std::lock_guard lock(mutex);
        ++error_count;
        if (first_errors.size() < 10) first_errors.push_back(what);
    }
};

std::string Shorten(const std::string& s, size_t n = 300) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

// Sends one request and records its latency; true when the answer is the expected one.
bool Timed(Connection& conn, Tally& t, Shared& shared, Op op, const std::string& method, const std::string& path,
           const std::string& body, std::initializer_list<int> expected, Answer* out = nullptr) {
    auto start = Clock::now();
    Answer a = conn.Send(method, path, body);
    float ms = std::chrono::duration<float, std::milli>(Clock::now() - start).count();
    // The first seconds (every client connecting and sending at once) are timed apart: see LoadOptions.
    std::vector<float>& into = start < shared.measure_from && op != PREVIEW_OP ? t.warmup_ms : t.ms[op];
    into.push_back(ms);
    bool ok = std::find(expected.begin(), expected.end(), a.status) != expected.end();
    if (op == PREVIEW_OP) {
        // A preview answers 200 once finished, or 202 when still queued or running after wait_ms: then it is polled
        // (as the app does) until it finishes, and its time is the whole wait. It must succeed with a member count.
        bool accepted = a.status == 202;
        for (int polls = 0; (a.status == 202 || (accepted && a.status == 200)) && polls < 20; ++polls) {
            json view = json::parse(a.body, nullptr, false);
            if (view.is_discarded() || !view.contains("id") || !view["id"].is_string()) break;
            if (!view.value("finished_at", json(nullptr)).is_null()) break;
            a = conn.Send("GET", fmt::format("/api/v1/operations/{}?wait_ms=30000", view["id"].get<std::string>()));
        }
        ms = std::chrono::duration<float, std::milli>(Clock::now() - start).count();
        into.back() = ms;
        ok = a.status == 200;
    }
    if (ok && op == PREVIEW_OP) {
        json view = json::parse(a.body, nullptr, false);
        ok = !view.is_discarded() && view.value("status", "") == "succeeded" && view.contains("result");
        if (ok) ++t.preview_results;
    }
    if (!ok) {
        ++t.errors[op];
        shared.Error(fmt::format("{} {} -> {} {}", method, path, a.status ? std::to_string(a.status) : a.failure,
                                 Shorten(a.body)));
    }
    if (out) *out = std::move(a);
    return ok;
}

void Client(int index, Shared& shared, Tally& t) {
    Connection conn(shared.port);
    conn.SetSession(shared.cookie, shared.csrf);
    std::mt19937_64 rng(0x6b697468ULL + static_cast<uint64_t>(index));
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const int audiences = static_cast<int>(std::size(kAudiences));
    std::vector<json> definitions;
    std::vector<std::string> keys;
    for (const char* text : kAudiences) {
        json a = json::parse(text);
        keys.push_back(a["key"].get<std::string>());
        definitions.push_back(a["definition"]);
    }
    int64_t n = 0;
    while (!shared.stop.load(std::memory_order_relaxed)) {
        ++n;
        int roll = pick(100);
        const std::string& key = keys[static_cast<size_t>(pick(audiences))];
        // 70% reads, 15% writes, 10% previews and 5% run-now by default; fewer previews leave more reads.
        const int reads_end = 80 - shared.preview_percent, writes_end = reads_end + 15;
        if (roll < reads_end) {
            switch (pick(5)) {
            case 0: Timed(conn, t, shared, ME, "GET", "/api/v1/me", "", {200}); break;
            case 1: Timed(conn, t, shared, LIST, "GET", "/api/v1/audiences", "", {200}); break;
            case 2: Timed(conn, t, shared, DETAIL, "GET", "/api/v1/audiences/" + key, "", {200}); break;
            case 3: Timed(conn, t, shared, OVERVIEW, "GET", "/api/v1/overview", "", {200}); break;
            default: Timed(conn, t, shared, RUNS, "GET", "/api/v1/audiences/" + key + "/runs", "", {200}); break;
            }
        } else if (roll < writes_end) {
            if (pick(2) == 0) {
                json body = {{"description", fmt::format("edited by client {} ({})", index, n)}};
                Timed(conn, t, shared, PUT_AUDIENCE, "PUT", "/api/v1/audiences/" + key, body.dump(), {200});
            } else {
                json body = {{"kind", "audience_size"},
                             {"target", key},
                             {"threshold_pct", 50},
                             {"channels", json::array({{{"type", "in_app"}}})}};
                Answer created;
                if (Timed(conn, t, shared, ADD_ALERT, "POST", "/api/v1/alerts", body.dump(), {201}, &created)) {
                    json alert = json::parse(created.body, nullptr, false);
                    if (alert.is_discarded() || !alert.contains("id")) {
                        ++t.errors[ADD_ALERT];
                        shared.Error("POST /api/v1/alerts answered without an id: " + Shorten(created.body));
                    } else {
                        Timed(conn, t, shared, DELETE_ALERT, "DELETE", fmt::format("/api/v1/alerts/{}", alert["id"].dump()),
                              "", {204});
                    }
                }
            }
        } else if (roll < 95) {
            json body = {{"definition", definitions[static_cast<size_t>(pick(audiences))]}};
            Timed(conn, t, shared, PREVIEW_OP, "POST", "/api/v1/previews?wait_ms=30000", body.dump(), {200});
        } else {
            Timed(conn, t, shared, RUN_OP, "POST", "/api/v1/audiences/" + key + "/run", "", {202});
        }
    }
    t.reconnects = conn.reconnects;
}

LatencyStats Stats(std::string name, std::vector<float> ms, int64_t errors, double seconds) {
    LatencyStats s;
    s.name = std::move(name);
    s.requests = static_cast<int64_t>(ms.size());
    s.errors = errors;
    s.per_second = seconds > 0 ? static_cast<double>(s.requests) / seconds : 0;
    if (ms.empty()) return s;
    std::sort(ms.begin(), ms.end());
    // Nearest rank: the smallest latency at or above which the fraction p of the requests fall.
    auto at = [&](double p) {
        size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
        return static_cast<double>(ms[std::clamp<size_t>(rank, 1, ms.size()) - 1]);
    };
    s.p50_ms = at(0.50);
    s.p90_ms = at(0.90);
    s.p99_ms = at(0.99);
    s.max_ms = ms.back();
    return s;
}

// A counter or gauge of the service's /metrics (summed over label sets matching label_filter); -1 when absent.
double Metric(const std::string& text, const std::string& name, const std::string& label_filter = "") {
    double total = -1;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        if (!line.starts_with(name) || line.size() == name.size()) continue;
        char next = line[name.size()];
        if (next != ' ' && next != '{') continue;
        if (!label_filter.empty() && line.find(label_filter) == std::string_view::npos) continue;
        size_t space = line.rfind(' ');
        total = std::max(total, 0.0) + std::stod(std::string(line.substr(space + 1)));
    }
    return total;
}

std::string WriteFile(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    return out ? "" : "cannot write " + path.string();
}

std::string Quote(const fs::path& p) { return "'" + p.string() + "'"; }

// "127.0.0.1:PORT" of the sink's http://127.0.0.1:PORT.
std::string SinkAddress(const std::string& url) {
    std::string authority = url.substr(url.find("://") + 3);
    return authority.substr(0, authority.find('/'));
}

// The working folder: a generated warehouse, kith.toml, the owner, the audiences and activations applied.
std::string Prepare(const LoadOptions& o, const std::string& sink_url) {
    std::error_code ec;
    fs::remove_all(o.dir, ec);
    fs::create_directories(o.dir / "objects", ec);
    if (ec) return "cannot create " + o.dir.string() + ": " + ec.message();
    auto gen = RunKith(fmt::format("gen --out {} --graph-out {} --profiles {} --seed 7 --quiet",
                                   Quote(o.dir / "warehouse.duckdb"), Quote(o.dir / "graph.hcl"), o.profiles));
    if (gen.code != 0) return "kith gen failed: " + gen.err;
    // Delivery as fast as the sink takes it; alerts evaluated often, so that they run during the load too.
    std::string toml = "warehouse = \"duckdb:warehouse.duckdb\"\n"
                       "graph = \"graph.hcl\"\n"
                       "state = \"state.sqlite\"\n"
                       "[delivery]\n"
                       "activation_rate = 1000000\n"
                       "workspace_rate = 1000000\n"
                       "timeout_s = 10\n"
                       // The sink's address is internal: allowed.
                       "allow_hosts = [\"" + SinkAddress(sink_url) + "\"]\n"
                       "[alerts]\n"
                       "interval_s = 10\n";
    if (auto e = WriteFile(o.dir / "kith.toml", toml); !e.empty()) return e;
    if (auto e = WriteFile(o.dir / "password.txt", std::string(kPassword) + "\n"); !e.empty()) return e;
    auto user = RunKith(fmt::format("users add --config {} --email {} --role workspace_owner --password-stdin < {}",
                                    Quote(o.dir / "kith.toml"), kEmail, Quote(o.dir / "password.txt")));
    if (user.code != 0) return "kith users add failed: " + user.err;
    int i = 0;
    for (const char* text : kAudiences) {
        if (auto e = WriteFile(o.dir / "objects" / fmt::format("audience{}.json", i++), text); !e.empty()) return e;
    }
    for (const json& a : Activations(sink_url)) {
        if (auto e = WriteFile(o.dir / "objects" / fmt::format("activation{}.json", i++), a.dump(2)); !e.empty()) {
            return e;
        }
    }
    auto apply = RunKith(fmt::format("apply --config {} {}", Quote(o.dir / "kith.toml"), Quote(o.dir / "objects")));
    if (apply.code != 0) return "kith apply failed: " + apply.err + apply.out;
    return "";
}

// Events of the sink's requests, by messageId: a webhook body is one event, or an array of them.
struct SinkCount {
    std::mutex mutex;
    std::unordered_set<std::string> seen;
    int64_t requests = 0;
    int64_t resent = 0;
    int64_t unknown = 0;

    void Add(const std::string& body) {
        json parsed = json::parse(body, nullptr, false);
        std::vector<const json*> events;
        if (parsed.is_array()) {
            for (const auto& e : parsed) events.push_back(&e);
        } else if (!parsed.is_discarded()) {
            events.push_back(&parsed);
        }
        std::lock_guard lock(mutex);
        ++requests;
        if (parsed.is_discarded()) ++unknown;
        for (const json* e : events) {
            if (!e->is_object() || !e->contains("messageId") || !(*e)["messageId"].is_string()) {
                ++unknown;
                continue;
            }
            if (!seen.insert((*e)["messageId"].get<std::string>()).second) ++resent;
        }
    }
};

} // namespace

int64_t LoadReport::Errors() const {
    int64_t n = 0;
    for (const auto& c : classes) n += c.errors;
    return n;
}

bool LoadReport::Passed() const {
    return setup_error.empty() && Errors() == 0 && settled && failed == 0 && runs_failed == 0 && unknown_events == 0 &&
           received_events == delivered;
}

LoadReport RunApiLoad(const LoadOptions& o) {
    LoadReport report;
    report.clients = o.clients;
    auto say = [&](const std::string& line) {
        if (o.progress) o.progress(line);
    };

    SinkCount sink_count;
    HttpServer sink([&](const HttpServer::Request& r) {
        sink_count.Add(r.body);
        return HttpServer::Reply{200, "{}", {}, 0, false};
    });
    sink.SetRecording(false);

    say(fmt::format("preparing {} ({} profiles)", o.dir.string(), o.profiles));
    if (auto e = Prepare(o, sink.url()); !e.empty()) {
        report.setup_error = e;
        return report;
    }
    std::string error;
    auto service = KithService::Start(o.dir / "kith.toml", o.dir / "log", &error);
    if (!service) {
        report.setup_error = error;
        return report;
    }

    Shared shared;
    shared.port = service->port();
    {
        Connection login(shared.port);
        json body = {{"email", kEmail}, {"password", kPassword}};
        Answer a = login.Send("POST", "/api/v1/auth/login", body.dump());
        json j = json::parse(a.body, nullptr, false);
        if (a.status != 200 || j.is_discarded()) {
            report.setup_error = fmt::format("login failed: {} {}", a.status, a.body);
            return report;
        }
        shared.cookie = a.set_cookie.substr(0, a.set_cookie.find(';'));
        shared.csrf = j.value("csrf_token", "");
    }

    say(fmt::format("{} clients for {} s on port {}", o.clients, o.seconds, shared.port));
    std::vector<Tally> tallies(static_cast<size_t>(o.clients));
    std::vector<std::thread> threads;
    auto start = Clock::now();
    shared.measure_from = start + std::chrono::seconds(o.warmup_seconds);
    shared.preview_percent = std::clamp(o.preview_percent, 0, 80);
    for (int i = 0; i < o.clients; ++i) {
        threads.emplace_back([&, i] { Client(i, shared, tallies[static_cast<size_t>(i)]); });
    }
    std::this_thread::sleep_until(start + std::chrono::seconds(o.seconds));
    shared.stop = true;
    for (auto& t : threads) t.join();
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    say(fmt::format("load done in {:.1f} s; waiting for runs and deliveries", report.seconds));

    // Requests in flight at the stop finish and count; throughput is over the whole measured time.
    std::vector<std::vector<float>> by_class(CLASSES);
    std::vector<int64_t> class_errors(CLASSES, 0);
    for (int op = 0; op < OPS; ++op) {
        std::vector<float> all;
        int64_t errors = 0;
        for (auto& t : tallies) {
            all.insert(all.end(), t.ms[op].begin(), t.ms[op].end());
            errors += t.errors[op];
        }
        by_class[kOps[op].kind].insert(by_class[kOps[op].kind].end(), all.begin(), all.end());
        class_errors[kOps[op].kind] += errors;
        report.requests.push_back(Stats(kOps[op].name, std::move(all), errors, report.seconds));
    }
    for (int c = 0; c < CLASSES; ++c) {
        report.classes.push_back(Stats(kClassNames[c], std::move(by_class[c]), class_errors[c], report.seconds));
    }
    std::vector<float> warmup;
    for (const auto& t : tallies) {
        report.preview_results += t.preview_results;
        report.reconnects += t.reconnects;
        warmup.insert(warmup.end(), t.warmup_ms.begin(), t.warmup_ms.end());
    }
    report.warmup = Stats("warm-up", std::move(warmup), 0, o.warmup_seconds);
    report.warmup_seconds = o.warmup_seconds;
    report.first_errors = shared.first_errors;

    // Settled: no run queued or running, nothing waiting in the outbox, and the same counts in three polls in a row.
    Connection admin(shared.port);
    admin.SetSession(shared.cookie, shared.csrf);
    auto settle_start = Clock::now();
    auto deadline = settle_start + std::chrono::seconds(o.settle_seconds);
    std::string last_key;
    int same = 0;
    std::string metrics;
    json total;
    while (Clock::now() < deadline) {
        Answer list = admin.Send("GET", "/api/v1/audiences");
        Answer overview = admin.Send("GET", "/api/v1/overview?bucket=none");
        Answer m = admin.Send("GET", "/metrics");
        json l = json::parse(list.body, nullptr, false);
        json ov = json::parse(overview.body, nullptr, false);
        std::string busy;
        if (list.status != 200 || overview.status != 200 || m.status != 200 || l.is_discarded() || ov.is_discarded()) {
            busy = fmt::format("the service answered {} {} {}", list.status, overview.status, m.status);
        } else {
            total = ov["total"];
            metrics = m.body;
            for (const auto& a : l["items"]) {
                std::string state = a.value("state", json(nullptr)).is_string() ? a["state"].get<std::string>() : "";
                std::string last = a["last_run"].is_object() ? a["last_run"].value("status", "") : "";
                if (state == "queued" || state == "running" || last == "queued" || last == "running") {
                    busy += fmt::format("{} is {} (last run {}); ", a.value("key", ""), state, last);
                }
            }
            int64_t waiting = total.value("queued", 0) + total.value("pending_retry", 0);
            if (waiting > 0) busy += fmt::format("{} events wait in the outbox", waiting);
        }
        report.settle_state = busy;
        std::string key = busy.empty() ? fmt::format("{} {}", total.dump(), Metric(metrics, "kith_runs_total")) : "";
        same = !busy.empty() ? 0 : key == last_key ? same + 1 : 1;
        last_key = key;
        if (same >= 3) {
            report.settled = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    report.settle_seconds = std::chrono::duration<double>(Clock::now() - settle_start).count();
    if (total.is_object()) {
        report.from_audience = total.value("from_audience", int64_t{0});
        report.delivered = total.value("delivered", int64_t{0});
        report.failed = total.value("failed", int64_t{0});
        report.filtered = total.value("filtered_at_source", int64_t{0}) + total.value("filtered_at_destination", int64_t{0});
    }
    report.runs_completed = static_cast<int64_t>(std::max(0.0, Metric(metrics, "kith_runs_total", "status=\"completed\"")));
    double all_runs = std::max(0.0, Metric(metrics, "kith_runs_total"));
    report.runs_failed = static_cast<int64_t>(all_runs) - report.runs_completed;
    {
        std::lock_guard lock(sink_count.mutex);
        report.received_events = static_cast<int64_t>(sink_count.seen.size());
        report.received_requests = sink_count.requests;
        report.resent_events = sink_count.resent;
        report.unknown_events = sink_count.unknown;
    }
    // Server-side time per route, for comparison with what the clients waited.
    for (auto& r : report.requests) {
        std::string method = r.name.substr(0, r.name.find(' '));
        std::string route = r.name.substr(r.name.find(' ') + 1);
        std::string labels = fmt::format("{{method=\"{}\",route=\"{}\"}}", method, route);
        double sum = Metric(metrics, "kith_http_request_duration_seconds_sum" + labels);
        double count = Metric(metrics, "kith_http_request_duration_seconds_count" + labels);
        if (sum >= 0 && count > 0) r.server_mean_ms = sum / count * 1000;
    }
    int stopped = service->Stop();
    if (stopped != 0) say(fmt::format("kith serve exited with {}", stopped));
    return report;
}

std::string FormatLoadReport(const LoadReport& r) {
    if (!r.setup_error.empty()) return "setup failed: " + r.setup_error + "\n";
    std::string out;
    auto table = [&](const char* first, const std::vector<LatencyStats>& rows, bool server) {
        out += fmt::format("{:<36} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}{}\n", first, "requests", "errors",
                           "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", server ? "  server mean ms" : "");
        for (const auto& s : rows) {
            out += fmt::format("{:<36} {:>9} {:>7} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f}{}\n", s.name,
                               s.requests, s.errors, s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms, s.per_second,
                               server && s.server_mean_ms >= 0 ? fmt::format(" {:>15.1f}", s.server_mean_ms) : "");
        }
    };
    out += fmt::format("{} clients, {:.1f} s of load\n\n", r.clients, r.seconds);
    table("class", r.classes, false);
    out += "\n";
    table("operation", r.requests, true);
    if (r.warmup.requests > 0) {
        out += fmt::format("\nwarm-up (requests but previews started in the first {} s, while every client connects "
                           "and sends at once; not in the tables): {} requests, p50 {:.1f} ms, p99 {:.1f} ms, max "
                           "{:.1f} ms\n",
                           r.warmup_seconds, r.warmup.requests,
                           r.warmup.p50_ms, r.warmup.p99_ms, r.warmup.max_ms);
    }
    out += fmt::format("\nrequests sent again on a new connection after no answer on a kept-alive one: {}\n",
                       r.reconnects);
    out += fmt::format("runs completed: {} (failed: {})\n", r.runs_completed, r.runs_failed);
    out += fmt::format("events: {} from audiences, {} filtered, {} delivered, {} failed; the sink received {} distinct "
                       "({} requests, {} resent, {} without a messageId)\n",
                       r.from_audience, r.filtered, r.delivered, r.failed, r.received_events, r.received_requests,
                       r.resent_events, r.unknown_events);
    out += r.settled ? fmt::format("settled {:.1f} s after the load\n", r.settle_seconds)
                     : fmt::format("NOT settled after {:.1f} s: {}\n", r.settle_seconds, r.settle_state);
    if (!r.first_errors.empty()) {
        out += "first errors:\n";
        for (const auto& e : r.first_errors) out += "  " + e + "\n";
    }
    if (r.received_events != r.delivered) {
        out += fmt::format("LOST: the overview counts {} delivered, the sink received {}\n", r.delivered,
                           r.received_events);
    }
    out += r.Passed() ? "PASS\n" : "FAIL\n";
    return out;
}

} // namespace kith::test
