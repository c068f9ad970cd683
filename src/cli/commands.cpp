#include "cli/commands.hpp"

#include "cli/report.hpp"

#include "audience/parser.hpp"
#include "common/text.hpp"
#include "engine/preview.hpp"
#include "gen/generator.hpp"
#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>

namespace kith::cli {

namespace {

int PrintError(const Error& e) {
    fmt::print(stderr, "kith: {}\n", e.ToString());
    return ExitCodeFor(e.code);
}

} // namespace

int GraphValidate(const GraphArgs& args) {
    auto g = graph::LoadGraph(args.graph);
    if (!g) {
        PrintDiagnostics(g.error());
        return 1;
    }
    if (!args.warehouse.empty()) {
        auto wh = warehouse::Open(args.warehouse);
        if (!wh) return PrintError(wh.error());
        auto problems = graph::CheckAgainstWarehouse(*g, **wh);
        if (!problems) return PrintError(problems.error());
        if (!problems->empty()) {
            PrintDiagnostics(*problems);
            return 1;
        }
    }
    return 0;
}

int GraphShow(const GraphArgs& args) {
    auto g = graph::LoadGraph(args.graph);
    if (!g) {
        PrintDiagnostics(g.error());
        return 1;
    }
    fmt::print("{}", graph::Summarize(*g));
    return 0;
}

int Gen(const GenArgs& args) {
    gen::Options o;
    o.out = args.out;
    o.graph_out = args.graph_out;
    o.profiles = args.profiles;
    o.seed = args.seed;
    if (!args.quiet) {
        o.progress = [](std::string_view step, int64_t rows, double seconds) {
            fmt::print(stderr, "gen: {:<28} {:>12} rows {:>8.2f}s\n", step, rows, seconds);
        };
    }
    auto start = std::chrono::steady_clock::now();
    auto ok = gen::Generate(o);
    if (!ok) return PrintError(ok.error());
    if (!args.quiet) {
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        fmt::print(stderr, "gen: wrote {} and {} in {:.2f}s\n", args.out, args.graph_out, s);
    }
    return 0;
}

int Demo(const DemoArgs& args) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(args.dir, ec);
    if (ec) return PrintError(Error{ErrorCode::IO, "cannot create folder: " + ec.message(), args.dir});
    std::string db = (fs::path(args.dir) / "warehouse.duckdb").string();
    std::string graph_file = (fs::path(args.dir) / "graph.hcl").string();
    if (!fs::exists(db) || !fs::exists(graph_file)) {
        fmt::print(stderr, "demo: generating a warehouse with {} profiles in {}\n", args.profiles, args.dir);
        GenArgs g{db, graph_file, args.profiles, 1, false};
        if (int rc = Gen(g); rc != 0) return rc;
    } else {
        fmt::print(stderr, "demo: reusing the warehouse in {}\n", args.dir);
    }
    auto graph = graph::LoadGraph(graph_file);
    if (!graph) {
        PrintDiagnostics(graph.error());
        return 1;
    }
    auto wh = warehouse::Open("duckdb:" + db);
    if (!wh) return PrintError(wh.error());
    auto problems = graph::CheckAgainstWarehouse(*graph, **wh);
    if (!problems) return PrintError(problems.error());
    PrintDiagnostics(*problems);
    fmt::print("Data graph {} (valid against the warehouse)\n\n{}\n", graph_file, graph::Summarize(*graph));
    fmt::print("{:<40} {:>12}\n", "table", "rows");
    auto count = [&](const warehouse::TableName& t) -> std::string {
        auto rows = warehouse::QueryAll(**wh, "SELECT count(*) FROM " + t.Quoted());
        return rows ? (*rows)[0][0].value_or("?") : rows.error().message;
    };
    for (const char* t : {"user_identifiers", "user_traits", "profile_merges"}) {
        auto name = graph->ProfileTable(t);
        fmt::print("{:<40} {:>12}\n", name.ToString(), count(name));
    }
    for (const auto& e : graph->entities) fmt::print("{:<40} {:>12}\n", e.table.ToString(), count(e.table));
    // Sample audiences, written once, previewed on every start.
    fs::path audiences = fs::path(args.dir) / "audiences";
    static const std::pair<const char*, const char*> kSamples[] = {
        {"pro_plan", R"({"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}}]}]})"},
        {"recent_big_orders",
         R"({"groups": [{"conditions": [{"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 2},
  "window": {"within": {"value": 90, "unit": "days"}}, "where": {"filters": [{"property": "total", "op": "greater_than", "value": 100}]}}]}]})"},
        {"premium_abandoners",
         R"({"groups": [{"conditions": [{"type": "entity", "relationship": "user-accounts",
  "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "active"}]},
  "children": {"conditions": [{"type": "entity", "relationship": "account-carts",
    "where": {"filters": [{"column": "STATUS", "op": "equals", "value": "abandoned"}, {"column": "TOTAL", "op": "greater_than", "value": 200}]}}]}}]}]})"},
    };
    if (!fs::exists(audiences)) {
        fs::create_directories(audiences, ec);
        for (const auto& [key, json] : kSamples) std::ofstream(audiences / (std::string(key) + ".json")) << json << "\n";
    }
    audience::WarehouseCatalog catalog(**wh);
    audience::DirectoryLibrary library(audiences.string());
    engine::Session session{*graph, **wh, &catalog, &library};
    auto as_of = engine::ParseAsOf("2026-01-01T00:00:00Z");
    fmt::print("\nSample audiences (as of 2026-01-01T00:00:00Z):\n");
    for (const auto& [key, json] : kSamples) {
        (void)json;
        std::string file = (audiences / (std::string(key) + ".json")).string();
        auto text = text::ReadFile(file);
        if (!text) continue;
        audience::ParseContext ctx{*graph, &catalog, &library};
        auto a = audience::ParseAudience(*text, file, ctx);
        if (!a) continue;
        auto p = engine::RunPreview(session, *a, *as_of);
        if (!p) return PrintError(p.error());
        std::string rels;
        for (const auto& [rel, r] : p->relationships) rels += fmt::format(", {} {}", r.count, rel);
        fmt::print("  {:<20} {:>8} members{}\n", key, p->count, rels);
    }
    fmt::print("\nTry: kith preview --warehouse duckdb:{} --graph {} --audience {} --as-of 2026-01-01\n", db, graph_file,
               (audiences / "premium_abandoners.json").string());
    fmt::print("     kith graph validate {} --warehouse duckdb:{}\n", graph_file, db);
    return 0;
}

int Copy(const CopyArgs& args) {
    if (args.from == args.to) {
        return PrintError(Error{ErrorCode::USAGE, "--from and --to name the same warehouse", args.from});
    }
    auto from = warehouse::Open(args.from);
    if (!from) return PrintError(from.error());
    auto to = warehouse::Open(args.to);
    if (!to) return PrintError(to.error());
    auto start = std::chrono::steady_clock::now();
    int64_t tables = 0, rows = 0;
    auto progress = [&](const warehouse::CopyProgress& p) {
        fmt::print(stderr, "copy: {:<40} {:>12} rows {:>8.2f}s{}\n", p.table.ToString(), p.rows, p.seconds,
                   p.done ? "" : " ...");
        if (p.done) {
            ++tables;
            rows += p.rows;
        }
    };
    auto ok = warehouse::CopySchemas(**from, **to, args.schemas, progress);
    if (!ok) return PrintError(ok.error());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "copy: {} tables, {} rows in {:.2f}s\n", tables, rows, s);
    return 0;
}

} // namespace kith::cli
