// Benchmark (not a test): twelve representative audiences on a `kith gen` warehouse, every condition kind of
// audiences.md among them. For each: compile time, execution time of the compiled members query and of a
// hand-written expert query of the same meaning on the same engine (DuckDB, and PostgreSQL when --postgres is
// given), their ratio, and the time of the count preview. Both queries must return the same members.
//
//   build/bench/audience_bench --warehouse duckdb:gen.duckdb --graph gen.hcl [--engine URI]... [--runs 3]
//                              [--explain DIR] [--only NAME]
//
// --warehouse is the first engine and the catalog the audiences are parsed with; each --engine (--postgres is
// the same) adds one: postgresql://..., spark://... The expert queries are written with double-quoted
// identifiers and placeholders: {C} for the dialect's bytewise collation, {N} for its NUMBER type, {NUM:x:} for
// "x is text of audiences.md's number form" (the compiler's pattern, in the dialect's whole-text regex match); for
// an engine whose identifier quote differs (Spark's backtick) the double quotes are replaced (their string literals
// hold none). --explain DIR writes, per audience and engine, the compiled and the hand-written query and the
// engine's plan of each (EXPLAIN; on Spark EXPLAIN FORMATTED) to DIR. --only NAME runs the one audience of that
// name (e.g. "dynamic references").
#include "engine/warehouse_catalog.hpp"
#include "audience/parser.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "plan/compiler.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace kith;
using Clock = std::chrono::steady_clock;

constexpr const char* kAsOf = "2026-01-01T00:00:00Z";

struct Case {
    const char* name;
    const char* audience;
    // The expert query; {C} stands for the bytewise collation of the dialect.
    const char* expert;
};

constexpr const char* kUniverse =
    "u AS (SELECT DISTINCT canonical_segment_id AS pid FROM segment.user_identifiers WHERE canonical_segment_id IS NOT NULL)";
constexpr const char* kMerges =
    "m AS (SELECT segment_id, min(canonical_segment_id{C}) AS canonical FROM segment.profile_merges "
    "WHERE segment_id IS NOT NULL AND canonical_segment_id IS NOT NULL GROUP BY segment_id)";

std::string Trait(const char* alias, const char* name) {
    return fmt::format("{0} AS (SELECT pid, value FROM (SELECT canonical_segment_id AS pid, value, row_number() OVER "
                       "(PARTITION BY canonical_segment_id ORDER BY seq DESC NULLS LAST, value{{C}} DESC NULLS LAST) AS rn "
                       "FROM segment.user_traits WHERE name = '{1}' AND canonical_segment_id IS NOT NULL) x WHERE rn = 1)",
                       alias, name);
}

std::vector<Case> Cases() {
    static std::vector<std::string> experts = {
        // trait only
        fmt::format("WITH {}, {} SELECT u.pid FROM u JOIN tp ON tp.pid = u.pid WHERE tp.value = 'pro' ORDER BY u.pid{{C}}",
                    kUniverse, Trait("tp", "plan")),
        // events with window and count
        fmt::format("WITH {}, {}, e AS (SELECT coalesce(m.canonical, e.segment_id) AS pid, e.id FROM segment.order_completed e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp > TIMESTAMP '2025-10-03 00:00:00' "
                    "AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00' AND e.total > 100) "
                    "SELECT u.pid FROM u JOIN (SELECT pid FROM e GROUP BY pid HAVING count(DISTINCT id) >= 2) c ON c.pid = u.pid "
                    "ORDER BY u.pid{{C}}",
                    kUniverse, kMerges),
        // 3-level branch
        "WITH c AS (SELECT DISTINCT \"ACCOUNT_ID\" FROM crm.carts WHERE \"ID\" IS NOT NULL AND \"STATUS\" = 'abandoned' AND \"TOTAL\" > 200) "
        "SELECT pid FROM (SELECT DISTINCT i.canonical_segment_id AS pid FROM segment.user_identifiers i "
        "JOIN crm.accounts a ON a.\"EMAIL\" = i.value "
        "WHERE i.type = 'email' AND i.canonical_segment_id IS NOT NULL AND a.\"ID\" IS NOT NULL AND a.\"STATUS\" = 'active' "
        "AND a.\"ID\" IN (SELECT \"ACCOUNT_ID\" FROM c)) x ORDER BY pid{C}",
        // 5-level branch through the junction table
        "WITH b AS (SELECT \"ID\" FROM crm.brands WHERE \"ID\" IS NOT NULL AND \"COUNTRY\" = 'SE'), "
        "p AS (SELECT \"SKU\" FROM crm.products WHERE \"SKU\" IS NOT NULL AND \"BRAND_ID\" IN (SELECT \"ID\" FROM b)), "
        "c AS (SELECT \"CART_ID\" FROM crm.cart_products WHERE \"PRODUCT_SKU\" IN (SELECT \"SKU\" FROM p)), "
        "a AS (SELECT \"ACCOUNT_ID\" FROM crm.carts WHERE \"ID\" IS NOT NULL AND \"ID\" IN (SELECT \"CART_ID\" FROM c)) "
        "SELECT pid FROM (SELECT DISTINCT i.canonical_segment_id AS pid FROM segment.user_identifiers i "
        "JOIN crm.accounts x ON x.\"EMAIL\" = i.value "
        "WHERE i.type = 'email' AND i.canonical_segment_id IS NOT NULL AND x.\"ID\" IS NOT NULL AND x.\"ID\" IN (SELECT \"ACCOUNT_ID\" FROM a)) y "
        "ORDER BY pid{C}",
        // OR of groups with without
        fmt::format("WITH {}, {}, {}, {}, r AS (SELECT DISTINCT coalesce(m.canonical, e.segment_id) AS pid FROM segment.order_completed e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp > TIMESTAMP '2025-12-02 00:00:00' "
                    "AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00') "
                    "SELECT u.pid FROM u LEFT JOIN tp ON tp.pid = u.pid LEFT JOIN tv ON tv.pid = u.pid LEFT JOIN r ON r.pid = u.pid "
                    "WHERE tp.value = 'enterprise' OR (tv.value = 'true' AND r.pid IS NULL) ORDER BY u.pid{{C}}",
                    kUniverse, kMerges, Trait("tp", "plan"), Trait("tv", "is_vip")),
        // dynamic references
        fmt::format("WITH {}, {}, {}, acc AS (SELECT DISTINCT i.canonical_segment_id AS pid FROM segment.user_identifiers i "
                    "JOIN crm.accounts a ON a.\"EMAIL\" = i.value WHERE i.type = 'email' AND i.canonical_segment_id IS NOT NULL "
                    "AND a.\"ID\" IS NOT NULL AND EXISTS (SELECT 1 FROM crm.carts c WHERE c.\"ACCOUNT_ID\" = a.\"ID\" AND c.\"ID\" IS NOT NULL "
                    "AND c.\"TOTAL\" > a.\"CREDIT_LIMIT\")), "
                    "ev AS (SELECT DISTINCT coalesce(m.canonical, e.segment_id) AS pid, e.currency FROM segment.order_completed e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00') "
                    "SELECT u.pid FROM u JOIN acc ON acc.pid = u.pid JOIN hc ON hc.pid = u.pid "
                    "WHERE EXISTS (SELECT 1 FROM ev WHERE ev.pid = u.pid AND ev.currency = hc.value) ORDER BY u.pid{{C}}",
                    kUniverse, kMerges, Trait("hc", "home_currency")),
        // entity joined by a trait, nested count
        fmt::format("WITH {}, {}, s AS (SELECT \"HOUSEHOLD_ID\" FROM crm.subscriptions WHERE \"ID\" IS NOT NULL AND \"IS_ACTIVE\" = true "
                    "GROUP BY \"HOUSEHOLD_ID\" HAVING count(DISTINCT \"ID\") >= 2), "
                    "hk AS (SELECT pid, CASE WHEN {{NUM:value:}} THEN CAST(value AS {{N}}) END AS hid FROM th) "
                    "SELECT u.pid FROM u JOIN hk ON hk.pid = u.pid WHERE hk.hid IN (SELECT h.\"HOUSEHOLD_ID\" FROM crm.households h "
                    "WHERE h.\"HOUSEHOLD_ID\" IN (SELECT \"HOUSEHOLD_ID\" FROM s)) ORDER BY u.pid{{C}}",
                    kUniverse, Trait("th", "household_id")),
        // cards and their transactions, count
        "WITH t AS (SELECT \"CARD_ID\" FROM crm.transactions WHERE \"ID\" IS NOT NULL AND \"AMOUNT\" > 100 "
        "AND \"CATEGORY\" IN ('travel', 'dining') GROUP BY \"CARD_ID\" HAVING count(DISTINCT \"ID\") >= 3) "
        "SELECT pid FROM (SELECT DISTINCT i.canonical_segment_id AS pid FROM segment.user_identifiers i "
        "JOIN crm.cards c ON c.\"USER_ID\" = i.value WHERE i.type = 'user_id' AND i.canonical_segment_id IS NOT NULL "
        "AND c.\"ID\" IS NOT NULL AND c.\"STATUS\" = 'active' AND c.\"ID\" IN (SELECT \"CARD_ID\" FROM t)) y ORDER BY pid{C}",
        // child without
        "SELECT pid FROM (SELECT DISTINCT i.canonical_segment_id AS pid FROM segment.user_identifiers i "
        "JOIN crm.accounts a ON a.\"EMAIL\" = i.value WHERE i.type = 'email' AND i.canonical_segment_id IS NOT NULL "
        "AND a.\"ID\" IS NOT NULL AND a.\"STATUS\" = 'active' AND NOT EXISTS (SELECT 1 FROM crm.carts c "
        "WHERE c.\"ACCOUNT_ID\" = a.\"ID\" AND c.\"ID\" IS NOT NULL AND c.\"STATUS\" = 'abandoned')) y ORDER BY pid{C}",
        // trait and no event (exactly 0)
        fmt::format("WITH {}, {}, {}, r AS (SELECT DISTINCT coalesce(m.canonical, e.segment_id) AS pid FROM segment.page_viewed e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp > TIMESTAMP '2025-12-25 00:00:00' "
                    "AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00') "
                    "SELECT u.pid FROM u JOIN tv ON tv.pid = u.pid WHERE tv.value = 'true' AND NOT EXISTS (SELECT 1 FROM r WHERE r.pid = u.pid) "
                    "ORDER BY u.pid{{C}}",
                    kUniverse, kMerges, Trait("tv", "is_vip")),
        // referenced audience and event context
        fmt::format("WITH {}, {}, {}, s AS (SELECT DISTINCT coalesce(m.canonical, e.segment_id) AS pid FROM segment.signed_up e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00' "
                    "AND e.context_campaign_source = 'newsletter') "
                    "SELECT u.pid FROM u JOIN tp ON tp.pid = u.pid JOIN s ON s.pid = u.pid WHERE tp.value = 'pro' ORDER BY u.pid{{C}}",
                    kUniverse, kMerges, Trait("tp", "plan")),
        // page views, context contains, count
        fmt::format("WITH {}, {}, e AS (SELECT coalesce(m.canonical, e.segment_id) AS pid, e.id FROM segment.page_viewed e "
                    "LEFT JOIN m ON m.segment_id = e.segment_id WHERE e.id IS NOT NULL AND e.timestamp > TIMESTAMP '2025-12-02 00:00:00' "
                    "AND e.timestamp <= TIMESTAMP '2026-01-01 00:00:00' AND e.context_page_url LIKE '%/sale%') "
                    "SELECT u.pid FROM u JOIN (SELECT pid FROM e GROUP BY pid HAVING count(DISTINCT id) >= 3) c ON c.pid = u.pid "
                    "ORDER BY u.pid{{C}}",
                    kUniverse, kMerges),
    };
    return {
        {"trait only", R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})",
         experts[0].c_str()},
        {"events, window, count",
         R"({"groups": [{"conditions": [{"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
             "window": {"within": {"value": 90, "unit": "days"}},
             "where": {"filters": [{"property": "total", "op": "greater_than", "value": 100}]}}]}]})",
         experts[1].c_str()},
        {"3-level branch",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
             "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
             "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
               "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"},
                                     {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]})",
         experts[2].c_str()},
        {"5-level via junction",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
             {"type": "entity", "relationship": "account-carts", "children": {"conditions": [
               {"type": "entity", "relationship": "cart-products", "children": {"conditions": [
                 {"type": "entity", "relationship": "product-brand",
                  "where": {"filters": [{"column": "COUNTRY", "op": "equals", "value": "SE"}]}}]}}]}}]}}]}]})",
         experts[3].c_str()},
        {"OR groups + without",
         R"({"groups_operator": "or", "groups": [
             {"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "enterprise"}}]},
             {"conditions": [{"type": "trait", "trait": "is_vip", "filter": {"op": "equals", "value": true}},
                             {"type": "event", "event": "Order Completed", "without": true,
                              "window": {"within": {"value": 30, "unit": "days"}}}]}]})",
         experts[4].c_str()},
        {"dynamic references",
         R"({"groups": [{"conditions": [
             {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
               {"type": "entity", "relationship": "account-carts", "where": {"filters": [
                 {"column": "TOTAL", "op": "greater_than", "ref": {"column": "CREDIT_LIMIT", "relationship": "user-accounts"}}]}}]}},
             {"type": "event", "event": "Order Completed",
              "where": {"filters": [{"property": "currency", "op": "equals", "ref": {"trait": "home_currency"}}]}}]}]})",
         experts[5].c_str()},
        {"entity by trait, nested count",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-households", "children": {"conditions": [
             {"type": "entity", "relationship": "household-subscriptions", "count": {"op": "at_least", "value": 2},
              "where": {"filters": [{"column": "IS_ACTIVE", "op": "equals", "value": true}]}}]}}]}]})",
         experts[6].c_str()},
        {"cards and transactions",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-cards",
             "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
             "children": {"conditions": [{"type": "entity", "relationship": "card-transactions", "count": {"op": "at_least", "value": 3},
               "where": {"filters": [{"column": "AMOUNT", "op": "greater_than", "value": 100},
                                     {"column": "CATEGORY", "op": "one_of", "value": ["travel", "dining"]}]}}]}}]}]})",
         experts[7].c_str()},
        {"child without",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
             "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
             "children": {"conditions": [{"type": "entity", "relationship": "account-carts", "without": true,
               "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}]}}]}}]}]})",
         experts[8].c_str()},
        {"trait, no event",
         R"({"groups": [{"conditions": [{"type": "trait", "trait": "is_vip", "filter": {"op": "equals", "value": true}},
             {"type": "event", "event": "Page Viewed", "count": {"op": "exactly", "value": 0},
              "window": {"within": {"value": 7, "unit": "days"}}}]}]})",
         experts[9].c_str()},
        {"audience reference",
         R"({"groups": [{"conditions": [{"type": "audience", "audience": "pro_users"},
             {"type": "event", "event": "Signed Up",
              "where": {"filters": [{"context": "campaign_source", "op": "equals", "value": "newsletter"}]}}]}]})",
         experts[10].c_str()},
        {"event context, count",
         R"({"groups": [{"conditions": [{"type": "event", "event": "Page Viewed", "count": {"op": "at_least", "value": 3},
             "window": {"within": {"value": 30, "unit": "days"}},
             "where": {"filters": [{"context": "page_url", "op": "contains", "value": "/sale"}]}}]}]})",
         experts[11].c_str()},
    };
}

// The audiences "audience" conditions name.
audience::MemoryLibrary& Library() {
    static audience::MemoryLibrary library = [] {
        audience::MemoryLibrary l;
        l.Add("pro_users", R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})");
        return l;
    }();
    return library;
}

// "x is text of audiences.md's number form" in the dialect's whole-text regex match.
std::string NumberText(const std::string& x, const sql::Dialect& d) {
    const std::string re = "-?[0-9]{1,20}([.][0-9]{1,18})?";
    if (!d.regex_full_match_fn.empty()) return d.regex_full_match_fn + "(" + x + ", '" + re + "')";
    return x + " " + d.regex_operator + " '^(?:" + re + ")" + d.regex_end_anchor + "'";
}

// The expert query for a dialect: {C} becomes its bytewise collation, {N} its NUMBER type, {NUM:x:} NumberText(x),
// double-quoted identifiers its quote.
std::string ForDialect(std::string sql, const sql::Dialect& d) {
    std::string c = d.bytewise_collation.empty() ? "" : " " + d.bytewise_collation;
    size_t at;
    while ((at = sql.find("{C}")) != std::string::npos) sql.replace(at, 3, c);
    while ((at = sql.find("{N}")) != std::string::npos) sql.replace(at, 3, d.number_type);
    while ((at = sql.find("{NUM:")) != std::string::npos) {
        size_t end = sql.find(":}", at + 5);
        sql.replace(at, end + 2 - at, NumberText(sql.substr(at + 5, end - at - 5), d));
    }
    if (d.identifier_quote != '"') std::replace(sql.begin(), sql.end(), '"', d.identifier_quote);
    return sql;
}

// The engine's plan of a query, as text (one line per row of EXPLAIN's result).
std::string Explain(warehouse::Warehouse& wh, const std::string& sql) {
    std::string prefix = wh.dialect() == "spark" ? "EXPLAIN FORMATTED " : "EXPLAIN ";
    auto rows = warehouse::QueryAll(wh, prefix + sql);
    if (!rows) return "EXPLAIN failed: " + rows.error().ToString() + "\n";
    std::string out;
    for (const auto& row : *rows) {
        for (const auto& cell : row) out += cell.value_or("NULL") + "\n";
    }
    return out;
}

std::string FileName(std::string s) {
    for (char& ch : s) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    }
    return s;
}

struct Run {
    double seconds = 0;
    size_t rows = 0;
    size_t hash = 0;
};

kith::Result<Run> Execute(warehouse::Warehouse& wh, const std::string& sql) {
    Run r;
    auto start = Clock::now();
    auto stream = wh.Query(sql);
    if (!stream) return std::unexpected(stream.error());
    warehouse::Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (const auto& row : chunk.rows) {
            r.hash = r.hash * 1000003 ^ std::hash<std::string>()(row[0].value_or(""));
            ++r.rows;
        }
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

// Runs a and b alternately, `runs` times each, so that both see the same machine; medians of each.
kith::Result<std::pair<Run, Run>> Medians(warehouse::Warehouse& wh, const std::string& a, const std::string& b, int runs) {
    std::vector<Run> as, bs;
    for (int i = 0; i < runs; ++i) {
        auto x = Execute(wh, a);
        if (!x) return std::unexpected(x.error());
        auto y = Execute(wh, b);
        if (!y) return std::unexpected(y.error());
        as.push_back(*x);
        bs.push_back(*y);
    }
    auto by_time = [](const Run& p, const Run& q) { return p.seconds < q.seconds; };
    std::sort(as.begin(), as.end(), by_time);
    std::sort(bs.begin(), bs.end(), by_time);
    return std::pair<Run, Run>{as[as.size() / 2], bs[bs.size() / 2]};
}

} // namespace

int main(int argc, char** argv) {
    std::string graph_path, explain_dir, only;
    std::vector<std::string> uris{""}; // --warehouse first
    int runs = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--warehouse")) uris[0] = argv[i + 1];
        if (!std::strcmp(argv[i], "--graph")) graph_path = argv[i + 1];
        if (!std::strcmp(argv[i], "--postgres") || !std::strcmp(argv[i], "--engine")) uris.push_back(argv[i + 1]);
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--explain")) explain_dir = argv[i + 1];
        if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
    }
    if (uris[0].empty() || graph_path.empty()) {
        fmt::print(stderr, "usage: audience_bench --warehouse URI --graph G [--engine URI]... [--runs N] [--explain DIR] [--only NAME]\n");
        return 2;
    }
    if (!explain_dir.empty()) std::filesystem::create_directories(explain_dir);
    auto graph = graph::LoadGraph(graph_path);
    if (!graph) {
        fmt::print(stderr, "{}\n", graph.error()[0].ToString());
        return 1;
    }
    struct Engine {
        std::string name;
        std::unique_ptr<warehouse::Warehouse> wh;
    };
    std::vector<Engine> engines;
    for (const auto& uri : uris) {
        auto wh = warehouse::Open(uri);
        if (!wh) {
            fmt::print(stderr, "{}\n", wh.error().ToString());
            return 3;
        }
        engines.push_back(Engine{std::string((*wh)->dialect()), std::move(*wh)});
    }
    int64_t as_of = *engine::ParseAsOf(kAsOf);
    fmt::print("| audience | compile (ms) | engine | members | compiled (s) | hand-written (s) | compiled / hand-written | count preview (s) |\n");
    fmt::print("|---|---:|---|---:|---:|---:|---:|---:|\n");
    bool ok = true;
    for (const auto& c : Cases()) {
        if (!only.empty() && only != c.name) continue;
        engine::WarehouseCatalog catalog(*engines[0].wh);
        audience::ParseContext ctx{*graph, &catalog, &Library()};
        auto a = audience::ParseAudience(c.audience, c.name, ctx);
        if (!a) {
            fmt::print(stderr, "{}: {}\n", c.name, a.error().errors.empty() ? a.error().fatal->ToString() : a.error().errors[0].ToString());
            return 1;
        }
        plan::Options options;
        options.as_of_micros = as_of;
        // Compile time: parse-free compilation and printing, averaged.
        const int kCompiles = 2000;
        auto start = Clock::now();
        size_t sink = 0;
        for (int i = 0; i < kCompiles; ++i) {
            auto compiled = plan::CompileMembers(*graph, *a, options, &catalog);
            sink += sql::Print(compiled->query, sql::Dialect::DuckDb()).size();
        }
        double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / kCompiles;
        for (auto& e : engines) {
            const sql::Dialect& d = *sql::Dialect::Find(e.name);
            auto members = plan::CompileMembers(*graph, *a, options, &catalog);
            auto count = plan::CompileMemberCount(*graph, *a, options, &catalog);
            std::string expert = ForDialect(c.expert, d);
            std::string compiled_sql = sql::Print(members->query, d);
            if (!explain_dir.empty()) {
                std::ofstream out(std::filesystem::path(explain_dir) / (FileName(c.name) + "." + e.name + ".txt"));
                out << "-- compiled\n" << compiled_sql << "\n\n-- hand-written\n" << expert << "\n\n-- plan of the compiled query\n"
                    << Explain(*e.wh, compiled_sql) << "\n-- plan of the hand-written query\n" << Explain(*e.wh, expert);
            }
            // Warm-up; a failing query is reported here, before the timed runs.
            for (const auto& q : {compiled_sql, expert}) {
                if (auto w = Execute(*e.wh, q); !w) {
                    fmt::print(stderr, "{} on {}: {}\n{}\n", c.name, e.name, w.error().ToString(), q);
                    return 3;
                }
            }
            auto pair = Medians(*e.wh, compiled_sql, expert, runs);
            auto count_pair = Medians(*e.wh, sql::Print(count->query, d), sql::Print(count->query, d), 1);
            if (!pair || !count_pair) {
                fmt::print(stderr, "{} on {}: {}\n", c.name, e.name, !pair ? pair.error().ToString() : count_pair.error().ToString());
                return 3;
            }
            Run* compiled_run = &pair->first;
            Run* expert_run = &pair->second;
            Run* count_run = &count_pair->first;
            if (compiled_run->rows != expert_run->rows || compiled_run->hash != expert_run->hash) {
                fmt::print(stderr, "{} on {}: compiled query returned {} members, hand-written {}\n", c.name, e.name,
                           compiled_run->rows, expert_run->rows);
                ok = false;
            }
            fmt::print("| {} | {:.3f} | {} | {} | {:.3f} | {:.3f} | {:.2f} | {:.3f} |\n", c.name, compile_ms, e.name, compiled_run->rows,
                       compiled_run->seconds, expert_run->seconds, compiled_run->seconds / expert_run->seconds, count_run->seconds);
            std::fflush(stdout);
        }
        (void)sink;
    }
    return ok ? 0 : 1;
}
