// Delivery throughput and memory (a benchmark, not a test): events queued in a
// fresh store's outbox are drained by the real drainer to HTTP servers on
// 127.0.0.1 in this same process (so sender and sink share the machine's cores).
//
//   deliver_bench [--events N] [--backlog M] [--dir D]
//
// 1. webhook, batches of 100, 4 requests in flight: N events, events/s.
// 2. the Braze endpoint shape (POST /users/track {"events": [...]}, 75 a request,
//    Track Event's default mapping applied to each event): N events, events/s.
// 3. memory with M events queued (default 10 million): the resident set while
//    the first 500,000 are delivered, sampled every 100,000.
#include "config/config.hpp"
#include "deliver/drain.hpp"
#include "store/store.hpp"
#include "support/http_server.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <string>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using kith::test::HttpServer;

int64_t RssKb(const char* field = "VmRSS:") {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field, 0) == 0) return std::stoll(line.substr(std::string(field).size()));
    }
    return -1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Counts events in a request body without parsing it: one "messageId" (webhook) or "external_id" (Braze) each.
int64_t Occurrences(const std::string& body, const std::string& needle) {
    int64_t n = 0;
    for (size_t at = body.find(needle); at != std::string::npos; at = body.find(needle, at + needle.size())) ++n;
    return n;
}

struct Setup {
    fs::path dir;
    kith::config::Config config;
    std::unique_ptr<kith::store::Store> store;
    int64_t activation = 0;
};

Setup Prepare(const fs::path& dir, const json& destination, const std::string& action) {
    Setup s;
    s.dir = dir;
    fs::remove_all(dir);
    fs::create_directories(dir);
    s.config = kith::config::Defaults(dir.string());
    s.config.delivery.activation_rate = 1'000'000;
    s.config.delivery.workspace_rate = 1'000'000;
    // The bench's destinations are servers of this process on 127.0.0.1, an internal address: allowed.
    s.config.delivery.allow_hosts = {*kith::outbound::ParseAllowRule("127.0.0.1")};
    auto store = kith::store::Store::Open(s.config.state);
    if (!store) throw std::runtime_error(store.error().ToString());
    s.store = std::move(*store);
    kith::store::AudienceSpec vip;
    vip.key = "vip";
    vip.name = "VIPs";
    if (!s.store->UpsertAudience(1, vip)) throw std::runtime_error("audience");
    kith::store::ActivationSpec a;
    a.key = "bench";
    a.audience = "vip";
    a.destination = destination;
    a.action = action;
    a.trigger = "profile_enters";
    if (!s.store->UpsertActivation(1, a)) throw std::runtime_error("activation");
    s.activation = (*s.store->Transaction([&](kith::store::Tx& tx) { return tx.GetActivation(1, "bench"); }))->id;
    return s;
}

// Queues n events straight into the outbox with one SQL statement (the store's own writes are measured elsewhere).
void Fill(const Setup& s, int64_t n) {
    sqlite3* db = nullptr;
    if (sqlite3_open(s.config.state.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open");
    sqlite3_busy_timeout(db, 60000);
    std::string sql = fmt::format(R"sql(
INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, next_attempt_at, created_at)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {n} - 1)
SELECT {a}, NULL, 'm' || i, 'Audience Entered',
       json_object('type', 'track', 'event', 'Audience Entered', 'messageId', 'm' || i,
                   'timestamp', '2026-11-28T09:00:00Z', 'userId', 'u' || i,
                   'properties', json_object('audience_key', 'vip', 'first_name', 'Ada', 'plan', 'pro', 'i', i),
                   'context', json_object('traits', json_object('email', 'u' || i || '@example.com'))),
       'pending', 0, 0
FROM n)sql",
                                  fmt::arg("n", n), fmt::arg("a", s.activation));
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string e = err ? err : "?";
        sqlite3_free(err);
        sqlite3_close(db);
        throw std::runtime_error(e);
    }
    sqlite3_close(db);
}

struct Throughput {
    double seconds = 0;
    int64_t delivered = 0;
    int64_t received = 0;
};

Throughput Drain(Setup& s, std::function<bool()> stop = nullptr) {
    kith::deliver::DrainOptions o;
    o.until_idle = true;
    o.stop = std::move(stop);
    auto start = std::chrono::steady_clock::now();
    auto r = kith::deliver::Drain(*s.store, s.config, o);
    if (!r) throw std::runtime_error(r.error().ToString());
    return Throughput{Seconds(start), r->counts.delivered, 0};
}

} // namespace

int main(int argc, char** argv) {
    int64_t events = 200'000, backlog = 10'000'000;
    fs::path dir = fs::temp_directory_path() / "kith_deliver_bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--events") events = std::stoll(argv[i + 1]);
        else if (k == "--backlog") backlog = std::stoll(argv[i + 1]);
        else if (k == "--dir") dir = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: deliver_bench [--events N] [--backlog M] [--dir D]\n");
            return 2;
        }
    }

    std::atomic<int64_t> received{0};
    HttpServer hook([&](const HttpServer::Request& r) {
        received += Occurrences(r.body, "\"messageId\"");
        return HttpServer::Reply{200, "{}", {}, 0, false};
    });
    hook.SetRecording(false);
    HttpServer braze([&](const HttpServer::Request& r) {
        if (r.path != "/users/track" || r.headers.at("authorization") != "Bearer k") {
            return HttpServer::Reply{401, "{}", {}, 0, false};
        }
        int64_t n = Occurrences(r.body, "\"external_id\"");
        received += n;
        return HttpServer::Reply{201, fmt::format("{{\"message\":\"success\",\"events_processed\":{}}}", n), {}, 0, false};
    });
    braze.SetRecording(false);

    std::printf("deliver_bench: %lld events per run, 2 cores shared by the drainer and the local sink\n",
                static_cast<long long>(events));
    std::printf("%-34s %10s %10s %12s %10s\n", "case", "events", "seconds", "events/s", "peak MB");

    auto run = [&](const char* name, const json& destination, const std::string& action) {
        Setup s = Prepare(dir / name, destination, action);
        Fill(s, events);
        received = 0;
        Throughput t = Drain(s);
        if (received.load() != events || t.delivered != events) {
            std::fprintf(stderr, "%s: %lld delivered, %lld received, %lld queued\n", name,
                         static_cast<long long>(t.delivered), static_cast<long long>(received.load()),
                         static_cast<long long>(events));
            std::exit(1);
        }
        std::printf("%-34s %10lld %10.2f %12.0f %10.0f\n", name, static_cast<long long>(events), t.seconds,
                    static_cast<double>(events) / t.seconds, static_cast<double>(RssKb("VmHWM:")) / 1024.0);
        std::fflush(stdout);
        s.store.reset();
        fs::remove_all(s.dir);
    };
    for (int c : {4, 8}) {
        run(fmt::format("webhook, batches of 100, {} in flight", c).c_str(),
            {{"type", "webhook"}, {"url", hook.url() + "/in"}, {"batch_size", 100}, {"concurrency", c}}, "send");
    }
    run("braze trackEvent, batches of 75", {{"type", "braze"}, {"base_url", braze.url()}, {"api_key", "k"}},
        "trackEvent");

    if (backlog > 0) {
        Setup s = Prepare(dir / "backlog", {{"type", "webhook"}, {"url", hook.url() + "/in"}, {"batch_size", 100}},
                          "send");
        auto fill_start = std::chrono::steady_clock::now();
        Fill(s, backlog);
        std::printf("\nbacklog: %lld events queued in %.1f s (outbox file %.0f MB); delivering the first 500,000:\n",
                    static_cast<long long>(backlog), Seconds(fill_start),
                    static_cast<double>(fs::file_size(s.config.state)) / 1e6);
        std::printf("%12s %10s %12s %10s\n", "delivered", "seconds", "events/s", "RSS MB");
        received = 0;
        int64_t next_sample = 0;
        auto start = std::chrono::steady_clock::now();
        Drain(s, [&] {
            int64_t got = received.load();
            if (got >= next_sample) {
                std::printf("%12lld %10.2f %12.0f %10.1f\n", static_cast<long long>(got), Seconds(start),
                            got ? static_cast<double>(got) / Seconds(start) : 0.0,
                            static_cast<double>(RssKb()) / 1024.0);
                std::fflush(stdout);
                next_sample += 100'000;
            }
            return got >= 500'000;
        });
        s.store.reset();
        fs::remove_all(s.dir);
    }
    return 0;
}
