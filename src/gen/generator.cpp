#include "gen/generator.hpp"
#include "sql/printer.hpp"

#include "gen/internal.hpp"
#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"
#include "warehouse/duckdb_warehouse.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace kith::gen {

namespace {

namespace fs = std::filesystem;

class Stopwatch {
public:
    double Lap() {
        auto now = std::chrono::steady_clock::now();
        double s = std::chrono::duration<double>(now - last_).count();
        last_ = now;
        return s;
    }

private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

Result<int64_t> CountRows(warehouse::Warehouse& wh, const std::string& schema, const std::string& table) {
    warehouse::TableName name{"", schema, table};
    auto rows = warehouse::QueryAll(wh, "SELECT count(*) FROM " + sql::QuoteTable(name, sql::Dialect::DuckDb()));
    if (!rows) return std::unexpected(rows.error());
    int64_t n = 0;
    if (rows->size() != 1 || rows->front().empty() || !rows->front()[0]) {
        return Fail(ErrorCode::INTERNAL, "count(*) of " + name.ToString() + " returned no value");
    }
    const std::string& text = *rows->front()[0];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return Fail(ErrorCode::INTERNAL, "count(*) of " + name.ToString() + " returned " + text);
    }
    return n;
}

Status RemoveFile(const std::string& path) {
    std::error_code ec;
    fs::remove(path, ec);
    if (ec) return Fail(ErrorCode::IO, "cannot remove the previous file: " + ec.message(), path);
    return {};
}

Status WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return Fail(ErrorCode::IO, "cannot open for writing", path);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) return Fail(ErrorCode::IO, "cannot write", path);
    return {};
}

void Report(const Options& options, std::string_view step, int64_t rows, double seconds) {
    if (options.progress) options.progress(step, rows, seconds);
}

// Builds every table in the open database, then writes the graph file and checks it against the tables.
Status Build(const Options& options, warehouse::Warehouse& wh) {
    Stopwatch clock;
    Sizes sizes = SizesFor(options.profiles);
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    // One transaction for the whole warehouse: one commit instead of one per table.
    if (auto ok = wh.Execute("BEGIN TRANSACTION"); !ok) return ok;
    if (auto ok = wh.Execute(PreludeSql(sizes, options.seed, threads)); !ok) return ok;
    Report(options, "prepare", sizes.numbers, clock.Lap());

    for (const Step& step : TableSteps()) {
        if (auto ok = wh.Execute(step.sql); !ok) {
            Error e = ok.error();
            e.message = step.name + ": " + e.message;
            return std::unexpected(std::move(e));
        }
        auto rows = CountRows(wh, step.schema, step.table);
        if (!rows) return std::unexpected(rows.error());
        Report(options, step.name, *rows, clock.Lap());
    }

    if (auto ok = wh.Execute("DROP TABLE kg_numbers; COMMIT; CHECKPOINT"); !ok) return ok;
    Report(options, "checkpoint", 0, clock.Lap());

    if (auto ok = WriteFile(options.graph_out, GraphFileText(options)); !ok) return ok;
    auto graph = graph::LoadGraph(options.graph_out);
    if (!graph) {
        return Fail(ErrorCode::INTERNAL, "the generated graph does not parse: " + graph.error().front().ToString(),
                    options.graph_out);
    }
    auto problems = graph::CheckAgainstWarehouse(*graph, wh);
    if (!problems) return std::unexpected(problems.error());
    if (!problems->empty()) {
        return Fail(ErrorCode::INTERNAL,
                    "the generated graph does not fit the warehouse: " + problems->front().ToString(),
                    options.graph_out);
    }
    Report(options, "graph file", 0, clock.Lap());
    return {};
}

} // namespace

Status Generate(const Options& options) {
    if (options.out.empty() || options.graph_out.empty()) {
        return Fail(ErrorCode::USAGE, "kith gen needs an output warehouse and an output graph file");
    }
    if (options.profiles < 1) return Fail(ErrorCode::USAGE, "the profile count must be at least 1");
    const std::string wal = options.out + ".wal";
    for (const std::string* path : {&options.out, &wal}) {
        if (auto ok = RemoveFile(*path); !ok) return ok;
    }

    Status built;
    {
        auto wh = warehouse::DuckDbWarehouse::Open(options.out);
        if (!wh) return std::unexpected(wh.error());
        built = Build(options, **wh);
    }
    if (!built) {
        // A failed run leaves no half-written warehouse behind.
        std::error_code ec;
        fs::remove(options.out, ec);
        fs::remove(wal, ec);
    }
    return built;
}

} // namespace kith::gen
