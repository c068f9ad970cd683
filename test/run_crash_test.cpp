// Crash safety of `kith run` (activations.md, "Runs": "A run is never lost or doubled by a crash: after a
// restart an interrupted run either completes or is marked failed and repeated").
//
// One generated warehouse, one audience with six activations (the five triggers, with identifiers and
// enrichment), two runs: a backfill, then a diff after the warehouse changed (profiles join and leave, carts
// appear, disappear and change). The reference runs them without interruption, timing its progress lines. The
// crashy copy starts each run with `kith run` and SIGKILLs it at seeded random points spread over the clean run's
// duration (one in each of N equal strata, in increasing order), many times, then lets one run finish. After
// each run:
//   - every run row is completed or failed as "interrupted", and each failed run is followed by its repeat (the
//     next run, against the same baseline);
//   - the outbox holds exactly the reference's events (compared by a semantic key, since messageIds depend on
//     the baseline run's id), each once, with the same payload (but for messageId and run id);
//   - no event is left of a run that did not complete, and the warehouse schema holds only completed runs' snapshot tables;
//   - the delivery overview's running totals equal a recount of the outbox (also after every kill, when a killed
//     run's staged events are counted apart).
// Where the kills landed (by the state they left) is printed, and the kills must have hit the snapshot and the
// staging of events.
//
// On a shared machine one run's wall time varies twofold, so a kill point is not a bare delay: it is the clean
// run's last progress line before that point plus the time since, and the attempt is killed that long after it
// prints the same line. The sweep ends when a kill finds the run completed (or the run ends first). A failing
// test keeps its folder (kith_run_crash_<pid>_<test> in the temp dir).
//
// KITH_CRASH_SEED=N reruns with another seed; KITH_CRASH_KILLS=N sets the kill points per run.
#include "common/text.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support/overview_check.hpp"
#include "support/process.hpp"
#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <poll.h>
#include <random>
#include <set>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace sqlite = kith::store::sqlite;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kProfiles = 1000;
constexpr int kPageSize = 40;
// The crashed site stages its events in transactions of this many (on the stager's thread): fewer than a page's,
// so that pages end inside batches and a kill lands between a page's batches; the reference site stages with the
// default (every page of this warehouse in one batch), so their outboxes are compared across batch sizes too.
constexpr int kStageBatch = 7;
constexpr const char* kAudience = "cart_watch";
constexpr const char* kAsOf[] = {"2026-01-10T00:00:00Z", "2026-01-11T00:00:00Z"};

int EnvInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

// ----------------------------------------------------------------------------------------------------------------
// The setup: definitions, config, the change made to the warehouse between the two runs.

const char* const kDefinitions[][2] = {
    {"audience.json", R"({"kind": "audience", "key": "cart_watch", "name": "Cart watch",
 "definition": {"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
   "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
   "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
     "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"},
                           {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]},
 "schedule": {"type": "manual"}, "enabled": true})"},
    {"joined.json", R"({"kind": "activation", "key": "joined", "audience": "cart_watch",
 "destination": {"type": "file", "path": "joined.ndjson"}, "action": "send", "trigger": "profile_enters",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"traits": ["first_name", "plan"]}})"},
    {"left.json", R"({"kind": "activation", "key": "left", "audience": "cart_watch",
 "destination": {"type": "file", "path": "left.ndjson"}, "action": "send", "trigger": "profile_exits",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"traits": ["first_name"]}})"},
    {"cart_in.json", R"({"kind": "activation", "key": "cart_in", "audience": "cart_watch",
 "destination": {"type": "file", "path": "cart_in.ndjson"}, "action": "send",
 "trigger": "entity_enters", "entity": "account-carts", "event_name": "Cart Entered",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "email", "as": "context.traits.email"},
                 {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"traits": ["first_name"], "entities": {"account-carts": ["TOTAL", "STATUS"]}}})"},
    {"cart_out.json", R"({"kind": "activation", "key": "cart_out", "audience": "cart_watch",
 "destination": {"type": "file", "path": "cart_out.ndjson"}, "action": "send",
 "trigger": "entity_exits", "entity": "account-carts",
 "identifiers": [{"type": "user_id", "as": "userId"}, {"type": "segment_id", "as": "anonymousId"}],
 "enrichment": {"entities": {"account-carts": ["TOTAL"]}}})"},
    {"account_in.json", R"({"kind": "activation", "key": "account_in", "audience": "cart_watch",
 "destination": {"type": "file", "path": "account_in.ndjson"}, "action": "send",
 "trigger": "entity_enters", "entity": "user-accounts",
 "identifiers": [{"type": "segment_id", "as": "userId"}],
 "enrichment": {"entities": {"user-accounts": ["STATUS", "COUNTRY"], "account-carts": ["TOTAL"]}}})"},
    {"member.json", R"({"kind": "activation", "key": "member", "audience": "cart_watch",
 "destination": {"type": "file", "path": "member.ndjson"}, "action": "send", "trigger": "membership_changed",
 "identifiers": [{"type": "segment_id", "as": "userId"}], "enrichment": {"traits": ["first_name", "plan"]}})"},
};

// Between the runs: carts become abandoned and expensive (entities and profiles enter), abandoned carts are checked
// out or deleted (entities exit, some profiles exit), new carts appear, accounts are suspended or reopened.
constexpr const char* kChange = R"sql(
UPDATE crm.carts SET "STATUS" = 'abandoned', "TOTAL" = 450 WHERE "ID" % 9 = 1;
UPDATE crm.carts SET "STATUS" = 'checked_out' WHERE "STATUS" = 'abandoned' AND "ID" % 5 = 2;
DELETE FROM crm.carts WHERE "ID" % 13 = 4;
INSERT INTO crm.carts SELECT * REPLACE ("ID" + 1000000 AS "ID", 'abandoned' AS "STATUS", 999 AS "TOTAL")
    FROM crm.carts WHERE "ID" % 17 = 6;
UPDATE crm.accounts SET "STATUS" = 'suspended' WHERE "ID" % 10 = 3;
UPDATE crm.accounts SET "STATUS" = 'active' WHERE "STATUS" = 'closed' AND "ID" % 4 = 1;
)sql";

// ----------------------------------------------------------------------------------------------------------------
// Processes.

using kith::test::Decode;
using kith::test::Exit;
using kith::test::KithBinary;
using kith::test::Spawn;
using kith::test::Wait;

struct Outcome {
    Exit exit;
    std::string out, err;
    double ms = 0;
    std::vector<std::pair<double, std::string>> lines; //!< RunTimed: stderr lines with the ms they arrived at
};

Outcome RunToEnd(const std::vector<std::string>& argv, const fs::path& dir) {
    auto start = Clock::now();
    pid_t pid = Spawn(argv, dir / "stdout", dir / "stderr");
    Outcome o;
    if (pid < 0) return o;
    o.exit = Wait(pid);
    o.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    o.out = kith::text::ReadFile((dir / "stdout").string()).value_or("");
    o.err = kith::text::ReadFile((dir / "stderr").string()).value_or("");
    return o;
}

// Runs argv to its end, timing each line it writes on stderr (its progress).
Outcome RunTimed(const std::vector<std::string>& argv, const fs::path& dir) {
    Outcome o;
    int fds[2];
    if (pipe(fds) != 0) return o;
    auto start = Clock::now();
    pid_t pid = Spawn(argv, dir / "stdout", dir / "stderr", fds[1], fds[0]);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return o;
    }
    std::string partial;
    char buf[4096];
    while (true) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        double at = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        partial.append(buf, static_cast<size_t>(n));
        for (size_t eol; (eol = partial.find('\n')) != std::string::npos; partial.erase(0, eol + 1)) {
            o.lines.emplace_back(at, partial.substr(0, eol));
            o.err += partial.substr(0, eol + 1);
        }
    }
    close(fds[0]);
    o.exit = Wait(pid);
    o.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    o.out = kith::text::ReadFile((dir / "stdout").string()).value_or("");
    return o;
}

// ----------------------------------------------------------------------------------------------------------------
// One copy of the setup: its config, state store and warehouse.

struct Site {
    fs::path dir;

    std::string Config() const { return (dir / "kith.toml").string(); }
    std::string State() const { return (dir / "state.sqlite").string(); }
    std::string Warehouse() const { return "duckdb:" + (dir / "wh.duckdb").string(); }
    std::vector<std::string> RunArgs(int phase) const {
        return {KithBinary(), "run", "--config", Config(), "--audience", kAudience, "--as-of", kAsOf[phase]};
    }
};

struct RunRow {
    int64_t id = 0;
    std::string status, reason, error;
    std::optional<int64_t> baseline;
    json summary;
};

struct EventRow {
    std::string activation;
    std::string message_id;
    std::string status;
    json payload;
};

// Reads the state store with plain queries (the test never writes it).
class State {
public:
    explicit State(const Site& site) {
        auto db = sqlite::Database::Open(site.State());
        if (db) db_ = std::move(*db);
        ok_ = db.has_value();
    }
    bool ok() const { return ok_; }

    std::vector<RunRow> Runs() {
        std::vector<RunRow> out;
        auto st = db_.Prepare("SELECT id, status, reason, error, baseline_run_id, summary FROM runs ORDER BY id");
        if (!st) return out;
        while (true) {
            auto row = st->Step();
            if (!row || !*row) break;
            RunRow r{st->Int(0), st->Text(1), st->Text(2), st->Text(3), st->OptionalInt(4), nullptr};
            if (!st->IsNull(5)) r.summary = json::parse(st->Text(5));
            out.push_back(std::move(r));
        }
        return out;
    }

    int64_t Scalar(const std::string& sql) {
        auto st = db_.Prepare(sql);
        if (!st) return -1;
        auto row = st->Step();
        return row && *row ? st->Int(0) : -1;
    }
    int64_t Staged(int64_t run_id) {
        return Scalar(fmt::format("SELECT count(*) FROM outbox WHERE run_id = {}", run_id));
    }
    // Events of runs that did not complete (written while a run prepared them; deleted when it fails).
    int64_t AllStaged() {
        return Scalar("SELECT count(*) FROM outbox WHERE run_id NOT IN (SELECT id FROM runs WHERE status = 'completed')");
    }

    std::vector<EventRow> Outbox() {
        std::vector<EventRow> out;
        auto st = db_.Prepare("SELECT a.key, o.message_id, o.status, o.payload FROM outbox o "
                              "JOIN activations a ON a.id = o.activation_id ORDER BY o.id");
        if (!st) return out;
        while (true) {
            auto row = st->Step();
            if (!row || !*row) break;
            out.push_back(EventRow{st->Text(0), st->Text(1), st->Text(2), json::parse(st->Text(3))});
        }
        return out;
    }

    //! Every warehouse table the kept snapshots name.
    std::set<std::string> SnapshotTables() {
        std::set<std::string> out;
        auto st = db_.Prepare("SELECT members_table, entities_table, profile_changes_table, entity_changes_table "
                              "FROM snapshots");
        if (!st) return out;
        while (true) {
            auto row = st->Step();
            if (!row || !*row) break;
            for (int i = 0; i < 4; ++i) out.insert(st->Text(i));
        }
        return out;
    }

private:
    sqlite::Database db_;
    bool ok_ = false;
};

// What identifies an event whatever run produced it: activation, type, event or membership, identifiers and
// the triggering entity's key.
std::string SemanticKey(const EventRow& e) {
    const json& p = e.payload;
    std::string type = p.value("type", "");
    std::string what = type == "identify" ? (p["traits"].value(kAudience, false) ? "in" : "out") : p.value("event", "");
    std::string entity;
    if (p.contains("properties")) {
        for (const auto& [k, v] : p["properties"].items()) {
            if (k.ends_with("__ID") && !v.is_array()) entity += k + "=" + v.dump();
        }
    }
    return fmt::format("{}|{}|{}|user={}|anon={}|{}", e.activation, type, what, p.value("userId", "-"),
                       p.value("anonymousId", "-"), entity);
}

// The event as the reference must have it too: no messageId, no run id, and only whether it was filtered.
json Comparable(const EventRow& e) {
    json p = e.payload;
    p.erase("messageId");
    if (p.contains("context") && p["context"].contains("personas")) {
        p["context"]["personas"].erase("computation_run_id");
    }
    return {{"payload", p}, {"filtered", e.status == "filtered"}};
}

// The warehouse tables of kith's schema.
std::set<std::string> KithTables(const Site& site) {
    std::set<std::string> out;
    auto wh = kith::warehouse::Open(site.Warehouse());
    EXPECT_TRUE(wh) << wh.error().ToString();
    if (!wh) return out;
    auto rows = kith::warehouse::QueryAll(
        **wh, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'kith_state'");
    EXPECT_TRUE(rows) << rows.error().ToString();
    if (!rows) return out;
    for (const auto& r : *rows) out.insert(r[0].value_or(""));
    return out;
}

// kith's schema holds the tables of the kept snapshots, all of completed runs, and nothing else.
void ExpectOnlySnapshotTables(const Site& site, State& state) {
    std::set<std::string> tables = KithTables(site);
    EXPECT_EQ(tables, state.SnapshotTables());
    std::map<int64_t, std::string> status;
    for (const RunRow& r : state.Runs()) status[r.id] = r.status;
    std::vector<std::string> stray; // tables of runs that did not complete (a<audience>_r<run>_...)
    for (const std::string& t : tables) {
        auto r = t.find("_r");
        int64_t run = r == std::string::npos ? 0 : std::atoll(t.c_str() + r + 2);
        if (status[run] != "completed") stray.push_back(t + " (run " + std::to_string(run) + " " + status[run] + ")");
    }
    EXPECT_TRUE(stray.empty()) << stray.size() << " tables of runs that did not complete, such as "
                               << (stray.empty() ? "" : stray.front());
}

void ChangeWarehouse(const Site& site) {
    auto wh = kith::warehouse::Open(site.Warehouse());
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto ok = (*wh)->Execute(kChange);
    ASSERT_TRUE(ok) << ok.error().ToString();
} // closed here, before kith opens it again

// ----------------------------------------------------------------------------------------------------------------
// The kills.

// When a clean run reached its steps, in ms from its start, by its progress lines: extracting (the snapshot and
// the diff), preparing (pages of events staged), its last page, its exit (publishing, then closing).
struct Profile {
    double extracting = 0, preparing = 0, last_page = 0, end = 0;
};

Profile ProfileOf(const Outcome& o) {
    Profile p;
    p.end = o.ms;
    for (const auto& [at, line] : o.lines) {
        if (line.find("extracting from warehouse") != std::string::npos) p.extracting = at;
        if (line.find("preparing to deliver events") != std::string::npos) p.preparing = at;
        if (line.find("preparing") != std::string::npos) p.last_page = at;
    }
    return p;
}

constexpr const char* kSnapshot = "snapshot and diff";
constexpr const char* kStaging = "staging events";
constexpr const char* kCompleted = "after publishing (run completed)";

// Where a kill landed, from the state it left: the newest run (if the killed process had made one) and whether it
// had staged events; the progress lines tell extraction from preparation, and whether every page was staged (the
// run was publishing: the transaction that moves the staged events into the outbox and completes the run).
std::string Landed(State& state, int64_t newest_before, const std::string& progress, const std::string& last_page) {
    auto runs = state.Runs();
    if (runs.empty() || runs.back().id <= newest_before) return "start-up (no run yet)";
    const RunRow& r = runs.back();
    if (r.status == "queued") return "queued, not claimed";
    if (r.status == "completed") return kCompleted;
    if (r.status != "running") return "run " + r.status + " (unexpected)";
    if (state.Staged(r.id) > 0) {
        return progress.find(last_page) != std::string::npos ? "publishing (every page staged)" : kStaging;
    }
    if (progress.find("preparing to deliver events") != std::string::npos) return "preparing, nothing staged yet";
    return kSnapshot;
}

struct CrashReport {
    int kills = 0;
    std::map<std::string, std::vector<double>> landed; // where -> when the kills that landed there came (ms)
};

// A kill point on the clean run's timeline, re-anchored on the attempt's own progress: `offset` ms after the
// attempt prints the line the clean run had printed last before that point (or after its start, when none).
struct KillPoint {
    std::optional<std::string> anchor;
    double offset = 0;
};

// Kill points at random times of the clean run, one in each of `kills` equal strata of its duration, in
// increasing order.
std::vector<KillPoint> KillPoints(const Outcome& clean, int kills, std::mt19937& rng) {
    std::uniform_real_distribution<double> within(0.0, 1.0);
    std::vector<KillPoint> points;
    for (int i = 0; i < kills; ++i) {
        double at = (i + within(rng)) / kills * clean.ms;
        KillPoint p{std::nullopt, at};
        for (const auto& [when, line] : clean.lines) {
            if (when > at) break;
            p = KillPoint{line, at - when};
        }
        points.push_back(std::move(p));
    }
    return points;
}

struct Attempt {
    Exit exit;
    bool killed = false; // false: it ended before the kill came
    double at = 0;       // ms from its start to the kill (or its end)
    std::string progress; // what it printed on stderr
};

// Starts one attempt of the phase's run and kills it at the point.
Attempt AttemptUntil(const Site& site, int phase, const KillPoint& point) {
    Attempt a;
    int fds[2];
    if (pipe(fds) != 0) return a;
    auto start = Clock::now();
    pid_t pid = Spawn(site.RunArgs(phase), site.dir / "attempt.out", site.dir / "attempt.err", fds[1], fds[0]);
    close(fds[1]);
    EXPECT_GT(pid, 0);
    if (pid <= 0) {
        close(fds[0]);
        return a;
    }
    auto offset = std::chrono::microseconds(static_cast<int64_t>(point.offset * 1000));
    std::optional<Clock::time_point> deadline;
    if (!point.anchor) deadline = start + offset;
    std::string partial;
    bool eof = false;
    while (!deadline || Clock::now() < *deadline) {
        // Wait for output, at most until the deadline (or 50 ms while there is none yet).
        auto wait = deadline ? std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - Clock::now())
                             : std::chrono::nanoseconds(std::chrono::milliseconds(50));
        if (wait.count() < 0) break;
        timespec ts{static_cast<time_t>(wait.count() / 1000000000), static_cast<long>(wait.count() % 1000000000)};
        pollfd pfd{fds[0], POLLIN, 0};
        int ready = ppoll(&pfd, 1, &ts, nullptr);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        char buf[4096];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            eof = true; // the attempt ended
            break;
        }
        partial.append(buf, static_cast<size_t>(n));
        for (size_t eol; (eol = partial.find('\n')) != std::string::npos; partial.erase(0, eol + 1)) {
            std::string line = partial.substr(0, eol);
            a.progress += line + "\n";
            if (!deadline && point.anchor && line == *point.anchor) deadline = Clock::now() + offset;
        }
    }
    a.at = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    a.killed = !eof;
    if (a.killed) kill(pid, SIGKILL);
    a.exit = Wait(pid); // reaped: a zombie would still count as a live worker
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) partial.append(buf, static_cast<size_t>(n));
    a.progress += partial;
    close(fds[0]);
    return a;
}

// Runs the phase's run under kills until one completes: each attempt is killed at the next kill point; the sweep
// stops when an attempt completes before its kill comes or when a kill finds the run completed, else one last
// attempt is left to finish.
CrashReport RunWithKills(const Site& site, int phase, const Outcome& clean, int kills, std::mt19937& rng) {
    CrashReport report;
    if (clean.lines.empty()) {
        ADD_FAILURE() << "the clean run printed no progress";
        return report;
    }
    for (const KillPoint& point : KillPoints(clean, kills, rng)) {
        int64_t newest_before = 0;
        {
            State state(site);
            auto runs = state.Runs();
            if (!runs.empty()) newest_before = runs.back().id;
        }
        Attempt a = AttemptUntil(site, phase, point);
        if (!a.killed) {
            EXPECT_FALSE(a.exit.signaled);
            EXPECT_EQ(a.exit.code, 0) << a.progress;
            report.landed["finished before the kill"].push_back(a.at);
            return report;
        }
        EXPECT_TRUE(a.exit.signaled) << "exit " << a.exit.code << "\n" << a.progress;
        ++report.kills;
        State state(site);
        std::string where = Landed(state, newest_before, a.progress, clean.lines.back().second);
        report.landed[where].push_back(a.at);
        EXPECT_EQ(kith::test::OverviewTotalsMismatch(site.State()), "") << "killed " << where;
        if (where == kCompleted) return report;
    }
    Outcome last = RunToEnd(site.RunArgs(phase), site.dir);
    EXPECT_EQ(last.exit.code, 0) << last.err;
    EXPECT_FALSE(last.exit.signaled);
    return report;
}

// ----------------------------------------------------------------------------------------------------------------
// The checks.

// Every run is completed or failed as interrupted and then repeated (by the next run, against the same baseline);
// the newest run is completed. Returns the newest completed run. A repeat's reason is "retry" when the process
// that failed the interrupted run also created the repeat; a process killed between the two leaves the repeat to
// the next one, which finds nothing to recover and gives the reason it was asked for: counted in not_retry.
RunRow CheckRuns(State& state, size_t expected_completed, int* not_retry = nullptr) {
    auto runs = state.Runs();
    EXPECT_FALSE(runs.empty());
    if (runs.empty()) return {};
    size_t completed = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
        const RunRow& r = runs[i];
        if (r.status == "completed") {
            ++completed;
            continue;
        }
        EXPECT_EQ(r.status, "failed") << "run " << r.id;
        EXPECT_TRUE(r.error.starts_with("interrupted")) << "run " << r.id << ": " << r.error;
        if (i + 1 < runs.size()) {
            if (runs[i + 1].reason != "retry" && not_retry) ++*not_retry;
            // A run killed before it claimed its baseline has none recorded; its repeat may.
            if (r.baseline) {
                EXPECT_EQ(runs[i + 1].baseline, r.baseline) << "run " << runs[i + 1].id;
            }
        } else {
            ADD_FAILURE() << "failed run " << r.id << " is not repeated";
        }
    }
    EXPECT_EQ(completed, expected_completed);
    EXPECT_EQ(runs.back().status, "completed");
    EXPECT_EQ(state.AllStaged(), 0) << "events left of runs that did not complete";
    return runs.back();
}

using EventMap = std::map<std::string, json>;

// The outbox by semantic key; duplicated keys and messageIds are failures.
EventMap Events(State& state, const std::string& label) {
    EventMap out;
    std::set<std::string> ids;
    for (const EventRow& e : state.Outbox()) {
        EXPECT_TRUE(ids.insert(e.message_id).second) << label << ": messageId twice: " << e.message_id;
        auto [it, fresh] = out.emplace(SemanticKey(e), Comparable(e));
        EXPECT_TRUE(fresh) << label << ": the outbox holds an event twice: " << it->first;
    }
    return out;
}

void ExpectSameEvents(const EventMap& reference, const EventMap& crashy) {
    EXPECT_EQ(reference.size(), crashy.size());
    int shown = 0;
    for (const auto& [key, event] : reference) {
        auto it = crashy.find(key);
        if (it == crashy.end()) {
            if (shown++ < 5) ADD_FAILURE() << "missing after the crashes: " << key;
            continue;
        }
        if (it->second != event && shown++ < 5) {
            ADD_FAILURE() << "differs: " << key << "\n reference: " << event.dump()
                          << "\n crashy:    " << it->second.dump();
        }
    }
    for (const auto& [key, event] : crashy) {
        if (!reference.contains(key) && shown++ < 5) ADD_FAILURE() << "not in the reference: " << key;
    }
}

// Events per activation, for the report.
std::map<std::string, int> PerActivation(const EventMap& events) {
    std::map<std::string, int> n;
    for (const auto& [key, e] : events) n[key.substr(0, key.find('|'))]++;
    return n;
}

class RunCrash : public ::testing::Test {
protected:
    void SetUp() override {
        const char* test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        root_ = fs::temp_directory_path() / fmt::format("kith_run_crash_{}_{}", getpid(), test);
        fs::remove_all(root_);
        fs::create_directories(root_ / "base");
    }
    void TearDown() override {
        if (!HasFailure()) fs::remove_all(root_);
    }

    // The generated warehouse, once.
    void Generate() {
        Outcome gen = RunToEnd({KithBinary(), "gen", "--out", (root_ / "base" / "wh.duckdb").string(), "--graph-out",
                                (root_ / "base" / "graph.hcl").string(), "--profiles", std::to_string(kProfiles),
                                "--seed", "11", "--quiet"},
                               root_ / "base");
        ASSERT_EQ(gen.exit.code, 0) << gen.err;
        ASSERT_FALSE(gen.exit.signaled);
    }

    // A copy of the generated warehouse with the config and definitions applied.
    Site Make(const std::string& name, int stage_batch = 0) {
        Site site{root_ / name};
        fs::create_directories(site.dir / "defs");
        for (const char* f : {"wh.duckdb", "wh.duckdb.wal", "graph.hcl"}) {
            if (fs::exists(root_ / "base" / f)) fs::copy_file(root_ / "base" / f, site.dir / f);
        }
        std::ofstream(site.dir / "kith.toml") << "warehouse = \"duckdb:wh.duckdb\"\ngraph = \"graph.hcl\"\n"
                                              << "state = \"state.sqlite\"\n\n[runs]\npage_size = " << kPageSize
                                              << "\n";
        if (stage_batch > 0) std::ofstream(site.dir / "kith.toml", std::ios::app) << "stage_batch = " << stage_batch << "\n";
        for (const auto& [file, text] : kDefinitions) std::ofstream(site.dir / "defs" / file) << text;
        Outcome apply = RunToEnd({KithBinary(), "apply", "--config", site.Config(), (site.dir / "defs").string()},
                                 site.dir);
        EXPECT_EQ(apply.exit.code, 0) << apply.err;
        return site;
    }

    fs::path root_;
};

TEST_F(RunCrash, SigkilledRunsEndCompletedOrRepeatedAndTheOutboxHoldsEachEventOnce) {
    const int seed = EnvInt("KITH_CRASH_SEED", 20261129);
    const int kills = EnvInt("KITH_CRASH_KILLS", 26);
    std::mt19937 rng(static_cast<unsigned>(seed));
    ASSERT_NO_FATAL_FAILURE(Generate());
    Site reference = Make("reference");
    Site crashy = Make("crashy", kStageBatch);
    ASSERT_FALSE(HasFailure());

    for (int phase = 0; phase < 2; ++phase) {
        SCOPED_TRACE(fmt::format("run {} (seed {})", phase + 1, seed));
        if (phase == 1) {
            ASSERT_NO_FATAL_FAILURE(ChangeWarehouse(reference));
            ASSERT_NO_FATAL_FAILURE(ChangeWarehouse(crashy));
        }
        Outcome clean = RunTimed(reference.RunArgs(phase), reference.dir);
        ASSERT_EQ(clean.exit.code, 0) << clean.err;
        ASSERT_FALSE(clean.exit.signaled);
        Profile profile = ProfileOf(clean);
        std::cout << fmt::format("[ crash    ] run {}: the clean run: start-up 0-{:.0f} ms, snapshot and diff -{:.0f}, "
                                 "preparing and staging -{:.0f}, publishing and closing -{:.0f}\n",
                                 phase + 1, profile.extracting, profile.preparing, profile.last_page, profile.end);

        CrashReport report = RunWithKills(crashy, phase, clean, kills, rng);

        State ref_state(reference), crash_state(crashy);
        ASSERT_TRUE(ref_state.ok() && crash_state.ok());
        RunRow ref_run = CheckRuns(ref_state, static_cast<size_t>(phase + 1));
        int not_retry = 0;
        RunRow crash_run = CheckRuns(crash_state, static_cast<size_t>(phase + 1), &not_retry);
        EXPECT_EQ(crash_run.summary, ref_run.summary);
        for (const auto& [activation, a] : crash_run.summary["activations"].items()) {
            EXPECT_EQ(a.value("duplicates", -1), 0) << activation;
        }
        EventMap ref_events = Events(ref_state, "reference");
        EventMap crash_events = Events(crash_state, "crashy");
        ExpectSameEvents(ref_events, crash_events);
        ExpectOnlySnapshotTables(crashy, crash_state);
        ExpectOnlySnapshotTables(reference, ref_state);
        EXPECT_EQ(kith::test::OverviewTotalsMismatch(crashy.State()), "");
        EXPECT_EQ(kith::test::OverviewTotalsMismatch(reference.State()), "");

        auto runs = crash_state.Runs();
        auto failed = std::count_if(runs.begin(), runs.end(), [](const RunRow& r) { return r.status == "failed"; });
        std::cout << fmt::format("[ crash    ] run {}: clean run {:.0f} ms; {} kills; {} runs in all, {} failed as "
                                 "interrupted, {} repeats not marked retry\n[ crash    ]   outbox: {} events,",
                                 phase + 1, clean.ms, report.kills, runs.size(), failed, not_retry,
                                 crash_events.size());
        for (const auto& [activation, n] : PerActivation(crash_events)) std::cout << " " << activation << "=" << n;
        std::cout << "\n";
        for (const auto& [where, delays] : report.landed) {
            auto [lo, hi] = std::minmax_element(delays.begin(), delays.end());
            std::cout << fmt::format("[ crash    ]   {:3}  {} ({:.0f}-{:.0f} ms)\n", delays.size(), where, *lo, *hi);
        }
        EXPECT_GE(report.kills, kills / 3) << "too few kills landed before the run finished";
        // The kills must have hit the snapshot and the staging of events.
        EXPECT_FALSE(report.landed[kSnapshot].empty());
        EXPECT_FALSE(report.landed[kStaging].empty());
    }
}

// The narrowest window, between `kith run` queueing its run and claiming it, is found by random kills only now
// and then: a process killed there leaves a queued run carrying its worker. The next run fails it as interrupted
// and repeats it, instead of leaving it queued for ever.
TEST_F(RunCrash, ARunQueuedByAProcessThatDiedIsFailedAndRepeated) {
    Site site{root_ / "queued"};
    fs::create_directories(site.dir / "defs");
    {
        auto sql = kith::text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql);
        auto wh = kith::warehouse::Open(site.Warehouse());
        ASSERT_TRUE(wh) << wh.error().ToString();
        ASSERT_TRUE((*wh)->Execute(*sql));
    }
    std::ofstream(site.dir / "kith.toml") << "warehouse = \"duckdb:wh.duckdb\"\ngraph = \"" << KITH_SOURCE_DIR
                                          << "/test/fixture/graph.hcl\"\nstate = \"state.sqlite\"\n";
    std::ofstream(site.dir / "defs" / "a.json") << R"({"kind": "audience", "key": "cart_watch", "name": "Pro",
        "definition": {"groups": [{"conditions": [{"type": "trait", "trait": "plan",
                       "filter": {"op": "equals", "value": "pro"}}]}]}, "enabled": true})";
    std::ofstream(site.dir / "defs" / "b.json") << R"({"kind": "activation", "key": "joined", "audience": "cart_watch",
        "destination": {"type": "file", "path": "joined.ndjson"}, "trigger": "profile_enters",
        "identifiers": [{"type": "segment_id", "as": "userId"}]})";
    Outcome apply =
        RunToEnd({KithBinary(), "apply", "--config", site.Config(), (site.dir / "defs").string()}, site.dir);
    ASSERT_EQ(apply.exit.code, 0) << apply.err;

    // What a `kith run` killed right after queueing leaves: a queued run whose worker no longer exists.
    pid_t gone = Spawn({"/bin/true"}, site.dir / "stdout", site.dir / "stderr");
    ASSERT_GT(gone, 0);
    Wait(gone);
    char host[256] = {};
    ASSERT_EQ(gethostname(host, sizeof host - 1), 0);
    {
        auto store = kith::store::Store::Open(site.State());
        ASSERT_TRUE(store) << store.error().ToString();
        auto audience = (*store)->GetAudience(1, "cart_watch");
        ASSERT_TRUE(audience && *audience);
        auto queued = (*store)->CreateRun((*audience)->id, "manual", fmt::format("{}:{}", host, gone));
        ASSERT_TRUE(queued) << queued.error().ToString();
        // A run queued without a worker waits for whoever queued it: recovery leaves it alone.
        ASSERT_TRUE((*store)->CreateRun((*audience)->id, "schedule"));
    }
    Outcome run = RunToEnd(site.RunArgs(0), site.dir);
    ASSERT_EQ(run.exit.code, 0) << run.err;
    State state(site);
    auto runs = state.Runs();
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0].status, "failed");
    EXPECT_TRUE(runs[0].error.starts_with("interrupted")) << runs[0].error;
    EXPECT_EQ(runs[1].status, "queued");
    EXPECT_EQ(runs[2].status, "completed");
    EXPECT_EQ(runs[2].reason, "retry");
}

} // namespace
