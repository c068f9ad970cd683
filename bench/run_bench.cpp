// Benchmark (not a test): audience runs on a `kith gen` warehouse. For two
// audiences (a large trait audience and a 3-level entity audience with entity,
// profile and identify activations), three runs: the first (every member and
// entity enters: the backfill), a second with nothing changed, and a third
// after about 1% of the data changed. For each: members, changes, events
// queued, the extracting and preparing step times, and side by side the time
// of the audience's members query alone (what `kith members` does), as a
// ratio; and the process's peak RSS after each run (events stream a page at a
// time, so it must not grow with the backfill).
//
//   build/bench/run_bench --warehouse duckdb:COPY.duckdb --graph gen.hcl --state DIR [--stage-batch N]
// The warehouse gets a kith_state schema and is changed: pass a copy. On Spark (--warehouse spark://...) the
// changes are made with Spark SQL (ChurnSpark): crm.accounts is replaced by a rewritten managed table, and rows
// are appended to segment.user_traits (into its Parquet folder when it is an external table). Each --set KEY=VALUE
// is run as `SET KEY=VALUE` on the session first (one session serves the whole benchmark), to try Spark settings.
#include "engine/warehouse_catalog.hpp"
#include "audience/parser.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "run/run.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <sys/resource.h>
#include <vector>

namespace {

using namespace kith;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kAsOf = "2026-01-01T00:00:00Z";

const char* kPro = R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "one_of", "value": ["pro", "enterprise"]}}]}]})";
const char* kAbandoners = R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
  "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
  "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
    "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}, {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]})";

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

long PeakRssMb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

[[noreturn]] void Die(const std::string& what) {
    fmt::print(stderr, "run_bench: {}\n", what);
    std::exit(1);
}

// The same changes on Spark, whose Parquet tables have no UPDATE: crm.accounts is rewritten with the new statuses
// into a managed table (CREATE TABLE AS) that then takes its name; the new plans are appended (INSERT INTO). Spark's
// hash() is a signed 32-bit murmur3, hence pmod.
void ChurnSpark(warehouse::Warehouse& wh) {
    auto columns = wh.DescribeTable(warehouse::TableName{"", "crm", "accounts"});
    if (!columns || !*columns) Die("describe crm.accounts");
    std::string select;
    for (const auto& c : **columns) {
        select += select.empty() ? "" : ", ";
        if (c.name == "STATUS") {
            select += "CASE WHEN `ID` % 100 = 7 THEN 'closed' WHEN `ID` % 100 = 8 THEN 'active' ELSE `STATUS` END AS `STATUS`";
        } else {
            select += "`" + c.name + "`";
        }
    }
    for (const std::string& sql : {std::string("DROP TABLE IF EXISTS crm.accounts__bench"),
                                   "CREATE TABLE crm.accounts__bench USING parquet AS SELECT " + select + " FROM crm.accounts",
                                   std::string("DROP TABLE crm.accounts"),
                                   std::string("ALTER TABLE crm.accounts__bench RENAME TO crm.accounts"),
                                   std::string("INSERT INTO segment.user_traits SELECT canonical_segment_id, 'plan', 'pro', 1000000 "
                                               "FROM (SELECT DISTINCT canonical_segment_id FROM segment.user_identifiers "
                                               "WHERE canonical_segment_id IS NOT NULL) p WHERE pmod(hash(canonical_segment_id), 100) = 3")}) {
        auto ok = wh.Execute(sql);
        if (!ok) Die(sql + ": " + ok.error().ToString());
    }
}

} // namespace

int main(int argc, char** argv) {
    std::string wh_uri, graph_path, state_dir;
    std::vector<std::string> session_settings;
    int64_t stage_batch = run::Settings{}.stage_batch;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--warehouse")) wh_uri = argv[i + 1];
        if (!std::strcmp(argv[i], "--set")) session_settings.push_back(argv[i + 1]);
        if (!std::strcmp(argv[i], "--graph")) graph_path = argv[i + 1];
        if (!std::strcmp(argv[i], "--state")) state_dir = argv[i + 1];
        if (!std::strcmp(argv[i], "--stage-batch")) stage_batch = std::atoll(argv[i + 1]);
    }
    if (wh_uri.empty() || graph_path.empty() || state_dir.empty()) {
        Die("usage: --warehouse W --graph G --state DIR [--stage-batch N] [--set KEY=VALUE]...");
    }
    auto graph = graph::LoadGraph(graph_path);
    if (!graph) Die("invalid graph");
    auto wh = warehouse::Open(wh_uri);
    if (!wh) Die(wh.error().ToString());
    // The state store is new: what an earlier benchmark left in the warehouse's kith_state schema is stale.
    if (auto ok = (*wh)->Execute("DROP SCHEMA IF EXISTS kith_state CASCADE"); !ok) Die(ok.error().ToString());
    for (const auto& setting : session_settings) {
        if (auto ok = (*wh)->Execute("SET " + setting); !ok) Die("SET " + setting + ": " + ok.error().ToString());
    }
    std::filesystem::create_directories(state_dir);
    std::filesystem::remove(std::filesystem::path(state_dir) / "state.sqlite");
    auto store = store::Store::Open((std::filesystem::path(state_dir) / "state.sqlite").string());
    if (!store) Die(store.error().ToString());
    int64_t ws = *(*store)->DefaultWorkspace();

    auto audience = [&](const char* key, const char* def) {
        store::AudienceSpec a;
        a.key = key;
        a.name = key;
        a.enabled = true;
        a.definition = json::parse(def);
        if (!(*store)->UpsertAudience(ws, a)) Die("audience");
    };
    auto activation = [&](const char* key, const char* aud, const char* trigger, json enrichment, const char* entity = "") {
        store::ActivationSpec a;
        a.key = key;
        a.audience = aud;
        a.destination = {{"type", "file"}, {"path", "/dev/null"}};
        a.action = "send";
        a.trigger = trigger;
        a.entity = entity;
        a.identifiers = json::array({{{"type", "user_id"}, {"as", "userId"}}, {{"type", "email"}, {"as", "context.traits.email"}}});
        a.enrichment = std::move(enrichment);
        if (!(*store)->UpsertActivation(ws, a)) Die("activation");
    };
    audience("pro", kPro);
    activation("pro_enters", "pro", "profile_enters", {{"traits", {"first_name", "plan"}}});
    audience("abandoners", kAbandoners);
    activation("carts", "abandoners", "entity_enters",
               {{"traits", {"first_name"}}, {"entities", {{"account-carts", {"TOTAL", "STATUS"}}}}}, "account-carts");
    activation("abandoners_exit", "abandoners", "profile_exits", json::object());
    activation("abandoners_identify", "abandoners", "membership_changed", {{"traits", {"plan"}}});

    run::Environment env{**store, **wh, *graph};
    run::Settings settings;
    settings.as_of_micros = *engine::ParseAsOf(kAsOf);
    settings.stage_batch = stage_batch;
    if (std::getenv("RUN_BENCH_VERBOSE")) settings.progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };

    // The members query alone, streamed (what `kith members` does).
    auto query_only = [&](const char* def) {
        engine::WarehouseCatalog catalog(**wh);
        audience::ParseContext ctx{*graph, &catalog, nullptr};
        auto a = audience::ParseAudience(def, "bench", ctx);
        if (!a) Die("parse");
        engine::Session s{*graph, **wh, &catalog, nullptr};
        auto t0 = Clock::now();
        int64_t n = 0;
        if (!s.Members(*a, *settings.as_of_micros, [&](std::string_view) { return ++n, true; })) Die("members");
        return Seconds(t0, Clock::now());
    };

    fmt::print("| audience | run | members | profile changes | entity changes | events queued | extracting (s) | "
               "preparing (s) | members query alone (s) | extracting / query | events/s prepared | peak RSS (MB) |\n");
    fmt::print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    auto one = [&](const char* key, const char* def, const char* label) {
        auto r = run::RunNow(env, ws, key, "manual", settings);
        if (!r || r->status != store::RunStatus::COMPLETED) Die(r ? r->error : r.error().ToString());
        double q = query_only(def);
        const json& s = r->summary;
        int64_t events = 0;
        for (const auto& [k, v] : s["activations"].items()) events += v["queued"].get<int64_t>() + v["filtered"].get<int64_t>();
        double ext = *r->extracting_ms / 1000.0, prep = *r->preparing_ms / 1000.0;
        fmt::print("| {} | {} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.0f} | {} |\n", key, label,
                   s["members"].get<int64_t>(),
                   s["profiles"]["entered"].get<int64_t>() + s["profiles"]["exited"].get<int64_t>(),
                   s["entities"]["entered"].get<int64_t>() + s["entities"]["exited"].get<int64_t>(), events, ext, prep, q,
                   ext / q, prep > 0 ? events / prep : 0.0, PeakRssMb());
    };
    for (auto [key, def] : {std::pair{"pro", kPro}, std::pair{"abandoners", kAbandoners}}) {
        one(key, def, "1 (backfill)");
        one(key, def, "2 (no change)");
    }
    // About 1% of the data changes: accounts close, plans change.
    if ((*wh)->dialect() == "spark") {
        ChurnSpark(**wh);
    } else {
        auto ok = (*wh)->Execute(R"(UPDATE crm.accounts SET "STATUS" = 'closed' WHERE "ID" % 100 = 7)");
        if (!ok) Die(ok.error().ToString());
        ok = (*wh)->Execute(R"(UPDATE crm.accounts SET "STATUS" = 'active' WHERE "ID" % 100 = 8)");
        if (!ok) Die(ok.error().ToString());
        ok = (*wh)->Execute("INSERT INTO segment.user_traits SELECT canonical_segment_id, 'plan', 'pro', 1000000 "
                            "FROM (SELECT DISTINCT canonical_segment_id FROM segment.user_identifiers "
                            "WHERE canonical_segment_id IS NOT NULL) p WHERE hash(canonical_segment_id) % 100 = 3");
        if (!ok) Die(ok.error().ToString());
    }
    for (auto [key, def] : {std::pair{"pro", kPro}, std::pair{"abandoners", kAbandoners}}) one(key, def, "3 (1% changed)");
    return 0;
}
