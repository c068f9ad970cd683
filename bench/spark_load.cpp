// Benchmark helper (not a test): loads a `kith gen` DuckDB warehouse into Spark through Parquet files, for the
// Spark benchmark (bench/spark_bench.sh). `kith copy` into Spark sends SQL INSERTs through the Thrift server, which
// is too slow for a million profiles; here DuckDB writes each table of the schemas to a Parquet file
// (COPY ... TO ... (FORMAT parquet)) and Spark gets an external table over it (CREATE TABLE ... USING parquet
// LOCATION ...). Prints, per table, its rows, the export and create times and the column types Spark reports.
//
//   build/bench/spark_load --from duckdb:gen.duckdb --to spark://127.0.0.1:PORT/default --parquet DIR
//                          [--schemas segment,crm]
//
// Column types: every column is first cast in DuckDB to what `kith copy` would create in Spark (StorageFor, then
// the Spark dialect's storage type; columns kith does not read become text), so Spark's inferred types are those
// of a `kith copy`: TIMESTAMP is written as a Parquet timestamp not adjusted to UTC, which Spark reads as
// TIMESTAMP_NTZ, and TIMESTAMPTZ as an adjusted one (Spark's TIMESTAMP). TIME columns are written as their text
// (STRING): Spark 4.3's Thrift server fails the GetColumns call of any table with a TIME(6) column ("Unrecognized
// type name: TIME(6)"), so kith could not describe the table at all; `--time time` keeps them as a Parquet TIME
// (Spark's TIME(6), with spark.sql.timeType.enabled as on the stand-in). The table then checks each Spark
// column's type against that expectation and kith's type of it (DescribeTable); a mismatch is printed and makes
// the exit status 1.
// DIR must be readable by the Spark server (same machine); the Spark tables keep pointing at its files.
#include "sql/printer.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/warehouse.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace kith;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string Upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
}

std::string Base(std::string s) {
    s = Upper(s);
    s = s.substr(0, s.find('('));
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

std::string NoSpaces(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    return Upper(s);
}

// Whether Spark's reported type is the one the Spark dialect names for this storage (TIME(6) may read back as TIME).
bool SameSparkType(const std::string& reported, const std::string& expected) {
    if (NoSpaces(reported) == NoSpaces(expected)) return true;
    static const std::set<std::pair<std::string, std::string>> kAliases = {
        {"INTEGER", "INT"}, {"TIME", "TIME"}, {"TIMESTAMP_LTZ", "TIMESTAMP"}, {"LONG", "BIGINT"}, {"SHORT", "SMALLINT"}};
    return kAliases.contains({Base(reported), Base(expected)});
}

[[noreturn]] void Die(const std::string& what) {
    fmt::print(stderr, "spark_load: {}\n", what);
    std::exit(1);
}

} // namespace

int main(int argc, char** argv) {
    std::string from_uri, to_uri, dir, schemas_arg = "segment,crm";
    bool keep_time = false;
    std::vector<std::string> time_columns;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--from")) from_uri = argv[i + 1];
        if (!std::strcmp(argv[i], "--to")) to_uri = argv[i + 1];
        if (!std::strcmp(argv[i], "--parquet")) dir = argv[i + 1];
        if (!std::strcmp(argv[i], "--schemas")) schemas_arg = argv[i + 1];
        if (!std::strcmp(argv[i], "--time")) keep_time = !std::strcmp(argv[i + 1], "time");
    }
    if (from_uri.empty() || to_uri.empty() || dir.empty()) {
        Die("usage: spark_load --from duckdb:PATH --to spark://HOST:PORT/DB --parquet DIR [--schemas segment,crm] "
            "[--time text|time]");
    }
    std::vector<std::string> schemas;
    {
        std::stringstream ss(schemas_arg);
        for (std::string s; std::getline(ss, s, ',');) {
            if (!s.empty()) schemas.push_back(s);
        }
    }
    auto from = warehouse::Open(from_uri);
    if (!from) Die(from.error().ToString());
    if ((*from)->dialect() != "duckdb") Die("--from must be a DuckDB warehouse");
    auto to = warehouse::Open(to_uri);
    if (!to) Die(to.error().ToString());
    const sql::Dialect& duck = (*from)->sql_dialect();
    const sql::Dialect& spark = (*to)->sql_dialect();
    dir = std::filesystem::absolute(dir).lexically_normal().string();

    fmt::print("| table | rows | export to Parquet (s) | Parquet MB | create in Spark (s) | count in Spark (s) | "
               "Spark column types |\n");
    fmt::print("|---|---:|---:|---:|---:|---:|---|\n");
    bool ok = true;
    double total_export = 0, total_create = 0;
    int64_t total_rows = 0;
    std::vector<std::string> notes;
    for (const auto& schema : schemas) {
        auto tables = (*from)->ListTables(schema);
        if (!tables) Die(tables.error().ToString());
        if (tables->empty()) Die("no tables in schema " + schema);
        auto made = (*to)->Execute(sql::Print(sql::CreateSchema{schema}, spark));
        if (!made) Die(made.error().ToString());
        for (const auto& t : *tables) {
            warehouse::TableName name{"", t.schema, t.table};
            auto described = (*from)->DescribeTable(name);
            if (!described || !*described) Die("describe " + name.ToString());
            // The SELECT that DuckDB writes: each column cast to what `kith copy` would store in Spark.
            std::string select;
            std::vector<std::string> expected;                 // Spark's type name per column
            std::vector<warehouse::DataType> expected_kind;    // and kith's type of it
            for (const auto& c : **described) {
                schema::ColumnDef def = warehouse::StorageFor(c);
                if (def.type == schema::StorageType::TIME && !keep_time) {
                    // Spark's Thrift server fails GetColumns on a TIME column (see the header): written as its text.
                    def.type = schema::StorageType::TEXT;
                    time_columns.push_back(name.ToString() + "." + c.name);
                }
                std::string spark_type = sql::StorageTypeName(def, spark);
                std::string duck_type = Upper(spark_type) == "STRING" ? "VARCHAR" : sql::StorageTypeName(def, duck);
                expected.push_back(spark_type);
                expected_kind.push_back(def.type == schema::StorageType::TEXT && c.type == warehouse::DataType::TIME
                                            ? warehouse::DataType::STRING
                                            : c.type);
                std::string col = sql::QuoteIdent(c.name, duck);
                select += select.empty() ? "" : ", ";
                if (NoSpaces(c.engine_type) == NoSpaces(duck_type)) {
                    select += col;
                } else {
                    select += fmt::format("CAST({0} AS {1}) AS {0}", col, duck_type);
                    notes.push_back(fmt::format("{}.{}: DuckDB {} written as {}", name.ToString(), c.name, c.engine_type,
                                                duck_type));
                }
            }
            std::filesystem::path folder = std::filesystem::path(dir) / t.schema / t.table;
            std::filesystem::remove_all(folder);
            std::filesystem::create_directories(folder);
            std::string file = (folder / "data.parquet").string();
            auto start = Clock::now();
            auto exported = (*from)->Execute(fmt::format("COPY (SELECT {} FROM {}) TO {} (FORMAT parquet)", select,
                                                         sql::QuoteTable(name, duck), sql::QuoteString(file, duck)));
            if (!exported) Die(exported.error().ToString());
            double export_s = Since(start);

            start = Clock::now();
            auto created = (*to)->Execute(sql::Print(sql::DropTable{name}, spark));
            if (created) {
                created = (*to)->Execute(fmt::format("CREATE TABLE {} USING parquet LOCATION {}",
                                                     sql::QuoteTable(name, spark),
                                                     sql::QuoteString("file://" + folder.string(), spark)));
            }
            if (!created) Die(created.error().ToString());
            double create_s = Since(start);

            start = Clock::now();
            auto counted = warehouse::QueryAll(**to, "SELECT count(*) FROM " + sql::QuoteTable(name, spark));
            if (!counted) Die(counted.error().ToString());
            double count_s = Since(start);
            int64_t rows = std::stoll(*(*counted)[0][0]);
            auto source_rows = warehouse::QueryAll(**from, "SELECT count(*) FROM " + sql::QuoteTable(name, duck));
            if (!source_rows) Die(source_rows.error().ToString());
            if (std::stoll(*(*source_rows)[0][0]) != rows) {
                fmt::print(stderr, "{}: {} rows in DuckDB, {} in Spark\n", name.ToString(), *(*source_rows)[0][0], rows);
                ok = false;
            }

            auto in_spark = (*to)->DescribeTable(name);
            if (!in_spark) Die("describe in Spark " + name.ToString() + ": " + in_spark.error().ToString());
            if (!*in_spark) Die("describe in Spark " + name.ToString() + ": not found");
            std::string types;
            std::map<std::string, std::string> counts; // Spark type -> how many columns
            for (size_t i = 0; i < (*in_spark)->size(); ++i) {
                const auto& c = (**in_spark)[i];
                counts[Upper(c.engine_type)] += "x";
                const auto& source = (**described)[i];
                bool same_name = Upper(c.name) == Upper(source.name);
                if (!same_name || !SameSparkType(c.engine_type, expected[i]) ||
                    (source.type != warehouse::DataType::OTHER && c.type != expected_kind[i])) {
                    fmt::print(stderr, "{}.{}: Spark reports {} ({}), expected {} ({})\n", name.ToString(), c.name,
                               c.engine_type, schema::DataTypeName(c.type), expected[i],
                               schema::DataTypeName(expected_kind[i]));
                    ok = false;
                }
            }
            for (const auto& [type, n] : counts) types += fmt::format("{}{} {}", types.empty() ? "" : ", ", n.size(), type);
            double mb = static_cast<double>(std::filesystem::file_size(file)) / 1e6;
            fmt::print("| {} | {} | {:.2f} | {:.1f} | {:.2f} | {:.2f} | {} |\n", name.ToString(), rows, export_s, mb,
                       create_s, count_s, types);
            std::fflush(stdout);
            total_export += export_s;
            total_create += create_s;
            total_rows += rows;
        }
    }
    fmt::print("| **total** | {} | {:.2f} | | {:.2f} | | |\n", total_rows, total_export, total_create);
    for (const auto& n : notes) fmt::print(stderr, "spark_load: {}\n", n);
    if (!time_columns.empty()) {
        std::string list;
        for (const auto& c : time_columns) list += (list.empty() ? "" : ", ") + c;
        fmt::print("\nTIME columns loaded as STRING (their HH:MM:SS[.ffffff] text; --time time keeps them TIME, on which "
                   "Spark's GetColumns, and so kith's DescribeTable, fails): {}\n", list);
    }
    return ok ? 0 : 1;
}
