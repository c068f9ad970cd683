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
