// The delivery overview at 1 and 10 million outbox events (a benchmark, not a test): side by side, the overview as
// kith answers it (Tx::DeliveryOverview, from the running totals kept per activation, event name and minute) and the
// recount of the outbox it replaced (Tx::RecountDeliveryOverview, one statement over the covering index), on the
// same store in the same run, interleaved, with both answers compared.
//
//   overview_bench [--events 1000000,10000000] [--repeat 5] [--queueing N] [--dir D] [--keep]
//
// The outbox: 10 activations of one audience whose runs every 6 hours over 30 days queue their events in pages of
// 500, one page every 500 ms (so a run's events span a few seconds, as runs stage them), in the states a working
// destination leaves (90% delivered, 3% filtered at source, 2% at destination, 2% failed, 1% pending a retry, 2%
// queued); 200-byte payloads. Events are written with SQL straight into the outbox (the triggers keeping the totals
// run as for any insert). The store grows from one size to the next: the larger one has the same runs, each with
// more events. --queueing N measures what the totals add to queueing: N events written into a fresh store with and
// without the totals' triggers.
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <sqlite3.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using kith::store::OverviewFilter;
using kith::store::OverviewRow;
using kith::store::Tx;

constexpr int kActivations = 10;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kStart = 1'764'547'200'000; // 2025-12-01T00:00:00Z
constexpr int kRunsPerActivation = 30 * 4;    // every 6 hours for 30 days

double Seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string e = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(e);
    }
}

sqlite3* OpenRaw(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open " + path);
    sqlite3_busy_timeout(db, 60000);
    Exec(db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144");
    return db;
}

// A store with the audience, its activations (ids 1..10) and their completed runs (id = slot + 1, one per
// activation every 6 hours; slot = run index * 10 + activation index).
void Prepare(const std::string& path) {
    auto store = kith::store::Store::Open(path);
    if (!store) throw std::runtime_error(store.error().ToString());
    kith::store::AudienceSpec vip;
    vip.key = "vip";
    vip.name = "VIPs";
    if (!(*store)->UpsertAudience(1, vip)) throw std::runtime_error("audience");
    for (int a = 0; a < kActivations; ++a) {
        kith::store::ActivationSpec s;
        s.key = fmt::format("act_{:02}", a);
        s.audience = "vip";
        s.destination = {{"type", "webhook"}, {"url", "https://example.com/in"}};
        s.action = "send";
        s.trigger = "profile_enters";
        if (!(*store)->UpsertActivation(1, s)) throw std::runtime_error("activation");
    }
    store->reset();
    sqlite3* db = OpenRaw(path);
    Exec(db, fmt::format("INSERT INTO runs (id, audience_id, definition_version, status, reason, queued_at) "
                         "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {} - 1) "
                         "SELECT i + 1, 1, 1, 'completed', 'schedule', {} + (i / {}) * {} FROM n",
                         kRunsPerActivation * kActivations, kStart, kActivations, 6 * kHour));
    sqlite3_close(db);
}

// Writes events [from, to): event i belongs to slot i % 1200 (its activation and run), is the (i / 1200)th of that
// run's events, and is queued with its page of 500, 500 ms after the previous page.
void Fill(const std::string& path, int64_t from, int64_t to) {
    constexpr int slots = kRunsPerActivation * kActivations;
    sqlite3* db = OpenRaw(path);
    for (int64_t begin = from; begin < to; begin += 1'000'000) { // a transaction per million
        int64_t end = std::min(to, begin + 1'000'000);
        Exec(db, fmt::format(R"sql(
INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, attempts, next_attempt_at,
                    last_error, filter_stage, created_at, finished_at)
WITH RECURSIVE n(i) AS (SELECT {begin} UNION ALL SELECT i + 1 FROM n WHERE i < {end} - 1),
e AS (SELECT i, i % {slots} AS slot, (i * 2654435761) % 100 AS h,
             {start} + (i % {slots} / {acts}) * {run_every} + (i / {slots} / 500) * 500 AS at FROM n)
SELECT slot % {acts} + 1, slot + 1, 'm' || i, 'Audience Entered',
       json_object('type', 'track', 'event', 'Audience Entered', 'messageId', 'm' || i, 'userId', 'u' || i,
                   'timestamp', '2025-12-01T00:00:00Z',
                   'properties', json_object('audience_key', 'vip', 'plan', 'pro', 'i', i)),
       CASE WHEN h < 90 THEN 'delivered' WHEN h < 95 THEN 'filtered' WHEN h < 97 THEN 'failed' ELSE 'pending' END,
       CASE WHEN h < 90 THEN 1 WHEN h < 95 THEN 0 WHEN h < 97 THEN 3 WHEN h < 98 THEN 2 ELSE 0 END,
       at + 60000, '', CASE WHEN h >= 90 AND h < 93 THEN 'source' WHEN h >= 93 AND h < 95 THEN 'destination'
                            ELSE '' END,
       at, CASE WHEN h < 97 THEN at + 1000 END
FROM e)sql",
                             fmt::arg("begin", begin), fmt::arg("end", end), fmt::arg("slots", slots),
                             fmt::arg("start", kStart), fmt::arg("acts", kActivations),
                             fmt::arg("run_every", 6 * kHour)));
    }
    Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
}

int64_t Scalar(const std::string& path, const std::string& sql) {
    sqlite3* db = OpenRaw(path);
    sqlite3_stmt* st = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

std::string Text(const std::vector<OverviewRow>& rows) {
    std::ostringstream out;
    for (const auto& r : rows) {
        out << r.activation_key << '|' << r.event_name << '|' << r.bucket_start << ':' << r.from_audience << ','
            << r.filtered_at_source << ',' << r.filtered_at_destination << ',' << r.queued << ',' << r.pending_retry
            << ',' << r.failed << ',' << r.delivered << '\n';
    }
    return out.str();
}

struct Case {
    std::string name;
    OverviewFilter filter;
};

// What the CLI, the API and the web app ask for. "Now" is the end of the 30 days; ranges start off the minute, as
// the web app's (now minus the range, to the millisecond).
std::vector<Case> Cases() {
    const int64_t now = kStart + 30 * kDay + 12'345;
    std::vector<Case> cases;
    OverviewFilter all;
    cases.push_back({"everything, no buckets", all});
    all.bucket_ms = kHour;
    cases.push_back({"everything, 1 h buckets (CLI default)", all});
    OverviewFilter week;
    week.from_ms = now - 7 * kDay;
    week.bucket_ms = kDay;
    cases.push_back({"last 7 days, 1 d buckets (web)", week});
    OverviewFilter day;
    day.from_ms = now - kDay;
    day.bucket_ms = kHour;
    cases.push_back({"last 24 hours, 1 h buckets (web)", day});
    OverviewFilter one;
    one.activation_id = 3;
    cases.push_back({"one activation, no buckets", one});
    OverviewFilter fine;
    fine.from_ms = now - kDay;
    fine.bucket_ms = 30'000;
    cases.push_back({"last 24 hours, 30 s buckets (recounted)", fine});
    return cases;
}

double Median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Times both ways `repeat` times each, alternately, after one warm-up each; medians in ms. Exits when they differ.
void Measure(const std::string& path, int64_t events, int repeat) {
    auto store = kith::store::Store::Open(path);
    if (!store) throw std::runtime_error(store.error().ToString());
    std::printf("\n%lld events (outbox file %.1f GB, %lld rows of totals)\n", static_cast<long long>(events),
                static_cast<double>(fs::file_size(path)) / 1e9,
                static_cast<long long>(Scalar(path, "SELECT count(*) FROM outbox_totals")));
    std::printf("%-42s %8s %12s %12s %10s\n", "overview", "rows", "recount ms", "totals ms", "speed-up");
    for (const Case& c : Cases()) {
        std::vector<double> recount, totals;
        std::string a, b;
        size_t rows = 0;
        for (int i = 0; i <= repeat; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            auto r = (*store)->Read([&](Tx& tx) { return tx.RecountDeliveryOverview(c.filter); });
            double ms_r = Seconds(t0) * 1000;
            t0 = std::chrono::steady_clock::now();
            auto k = (*store)->Read([&](Tx& tx) { return tx.DeliveryOverview(c.filter); });
            double ms_k = Seconds(t0) * 1000;
            if (!r || !k) throw std::runtime_error((!r ? r.error() : k.error()).ToString());
            if (i == 0) { // the warm-up, and the check
                a = Text(*r);
                b = Text(*k);
                rows = k->size();
                continue;
            }
            recount.push_back(ms_r);
            totals.push_back(ms_k);
        }
        if (a != b) {
            std::fprintf(stderr, "%s: the totals differ from the recount\nrecount:\n%s\ntotals:\n%s", c.name.c_str(),
                         a.c_str(), b.c_str());
            std::exit(1);
        }
        std::printf("%-42s %8zu %12.1f %12.1f %9.0fx\n", c.name.c_str(), rows, Median(recount), Median(totals),
                    Median(recount) / Median(totals));
        std::fflush(stdout);
    }
}

// Marks the first n events one at a time, as the drainer marks failed attempts: a retry, then a failure, of each, in
// transactions of 100 events. Returns the seconds it took.
double MarkOneByOne(const std::string& path, int64_t n) {
    auto store = kith::store::Store::Open(path);
    if (!store) throw std::runtime_error(store.error().ToString());
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t first = 1; first <= n; first += 100) {
        auto ok = (*store)->Transaction([&](Tx& tx) -> kith::Status {
            for (int64_t id = first; id < first + 100 && id <= n; ++id) {
                if (auto r = tx.MarkRetry(id, 0, "status 503", 503); !r && r.error().code != kith::ErrorCode::NOT_FOUND) {
                    return r;
                }
                if (auto f = tx.MarkFailed(id, "status 400", 400); !f) return f;
            }
            return {};
        });
        if (!ok) throw std::runtime_error(ok.error().ToString());
    }
    return Seconds(t0);
}

// Queueing and marking with and without the totals: n events written into two fresh stores, one with its totals'
// triggers dropped, then n / 10 of them marked one at a time; alternately twice, the best of each.
void MeasureQueueing(const fs::path& dir, int64_t n) {
    double with = 1e9, without = 1e9, marked_with = 1e9, marked_without = 1e9;
    for (int round = 0; round < 2; ++round) {
        for (bool totals : {true, false}) {
            fs::path d = dir / (totals ? "q_with" : "q_without");
            fs::remove_all(d);
            fs::create_directories(d);
            std::string path = (d / "state.sqlite").string();
            Prepare(path);
            if (!totals) {
                sqlite3* db = OpenRaw(path);
                Exec(db, "DROP TRIGGER outbox_totals_insert; DROP TRIGGER outbox_totals_delete; "
                         "DROP TRIGGER outbox_totals_step; DROP TRIGGER outbox_totals_move");
                sqlite3_close(db);
            }
            auto t0 = std::chrono::steady_clock::now();
            Fill(path, 0, n);
            double s = Seconds(t0);
            (totals ? with : without) = std::min(totals ? with : without, s);
            s = MarkOneByOne(path, n / 10);
            (totals ? marked_with : marked_without) = std::min(totals ? marked_with : marked_without, s);
            fs::remove_all(d);
        }
    }
    std::printf("\nqueueing %lld events: %.1f s with the totals, %.1f s without (%.0f%% more time, %.0f and %.0f "
                "events/s)\n",
                static_cast<long long>(n), with, without, 100.0 * (with / without - 1), n / with, n / without);
    std::printf("marking %lld of them one at a time (a retry, then a failure): %.1f s with the totals, %.1f s without "
                "(%.0f%% more time, %.0f and %.0f events/s)\n",
                static_cast<long long>(n / 10), marked_with, marked_without, 100.0 * (marked_with / marked_without - 1),
                n / 10 / marked_with, n / 10 / marked_without);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<int64_t> sizes = {1'000'000, 10'000'000};
    int repeat = 5;
    int64_t queueing = 0;
    bool keep = false;
    fs::path dir = fs::temp_directory_path() / "kith_overview_bench";
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--keep") {
            keep = true;
        } else if (i + 1 < argc && k == "--events") {
            sizes.clear();
            std::stringstream list(argv[++i]);
            for (std::string n; std::getline(list, n, ',');) sizes.push_back(std::stoll(n));
        } else if (i + 1 < argc && k == "--repeat") {
            repeat = std::stoi(argv[++i]);
        } else if (i + 1 < argc && k == "--queueing") {
            queueing = std::stoll(argv[++i]);
        } else if (i + 1 < argc && k == "--dir") {
            dir = argv[++i];
        } else {
            std::fprintf(stderr, "usage: overview_bench [--events N[,N...]] [--repeat R] [--queueing N] [--dir D] "
                                 "[--keep]\n");
            return 2;
        }
    }
    std::sort(sizes.begin(), sizes.end());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string path = (dir / "state.sqlite").string();
    std::printf("overview_bench: %d activations, runs every 6 h for 30 days, pages of 500 events; medians of %d\n",
                kActivations, repeat);
    try {
        Prepare(path);
        int64_t filled = 0;
        for (int64_t n : sizes) {
            auto t0 = std::chrono::steady_clock::now();
            Fill(path, filled, n);
            std::printf("\nqueued %lld more events in %.0f s", static_cast<long long>(n - filled), Seconds(t0));
            filled = n;
            Measure(path, n, repeat);
        }
        if (queueing > 0) MeasureQueueing(dir, queueing);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "overview_bench: %s\n", e.what());
        return 1;
    }
    if (!keep) fs::remove_all(dir);
    return 0;
}
