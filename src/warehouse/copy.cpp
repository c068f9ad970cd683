#include "warehouse/copy.hpp"

#include "common/text.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

namespace kith::warehouse {

namespace {

using text::Lower;

// "decimal(12,2)" -> 12 and 2; false without a parenthesized precision.
bool PrecisionScale(const std::string& type, int& precision, int& scale) {
    size_t open = type.find('(');
    if (open == std::string::npos) return false;
    precision = 0;
    scale = 0;
    size_t i = open + 1;
    auto number = [&](int& out) {
        size_t start = i;
        while (i < type.size() && std::isdigit(static_cast<unsigned char>(type[i]))) out = out * 10 + (type[i++] - '0');
        return i > start && out <= 100000;
    };
    if (!number(precision)) return false;
    while (i < type.size() && type[i] == ' ') ++i;
    if (i < type.size() && type[i] == ',') {
        ++i;
        while (i < type.size() && type[i] == ' ') ++i;
        if (!number(scale)) return false;
    }
    return true;
}

ColumnDef NumberStorage(const std::string& name, const std::string& type) {
    ColumnDef def{name, StorageType::DOUBLE, 0, 0};
    std::string base = type.substr(0, type.find('('));
    while (!base.empty() && base.back() == ' ') base.pop_back();
    if (base == "decimal" || base == "numeric") {
        def.type = StorageType::DECIMAL;
        if (!PrecisionScale(type, def.precision, def.scale)) def.precision = def.scale = 0;
        return def;
    }
    static const std::pair<const char*, ColumnDef> kTypes[] = {
        {"tinyint", {"", StorageType::SMALLINT, 0, 0}},   {"utinyint", {"", StorageType::SMALLINT, 0, 0}},
        {"smallint", {"", StorageType::SMALLINT, 0, 0}},  {"int2", {"", StorageType::SMALLINT, 0, 0}},
        {"usmallint", {"", StorageType::INTEGER, 0, 0}},  {"integer", {"", StorageType::INTEGER, 0, 0}},
        {"int", {"", StorageType::INTEGER, 0, 0}},        {"int4", {"", StorageType::INTEGER, 0, 0}},
        {"uinteger", {"", StorageType::BIGINT, 0, 0}},    {"bigint", {"", StorageType::BIGINT, 0, 0}},
        {"int8", {"", StorageType::BIGINT, 0, 0}},        {"oid", {"", StorageType::BIGINT, 0, 0}},
        {"ubigint", {"", StorageType::DECIMAL, 20, 0}},   {"hugeint", {"", StorageType::DECIMAL, 39, 0}},
        {"uhugeint", {"", StorageType::DECIMAL, 39, 0}},  {"real", {"", StorageType::REAL, 0, 0}},
        {"float4", {"", StorageType::REAL, 0, 0}},        {"float", {"", StorageType::REAL, 0, 0}},
        {"double", {"", StorageType::DOUBLE, 0, 0}},      {"double precision", {"", StorageType::DOUBLE, 0, 0}},
        {"float8", {"", StorageType::DOUBLE, 0, 0}},
    };
    for (const auto& [type_name, storage] : kTypes) {
        if (base == type_name) {
            def.type = storage.type;
            def.precision = storage.precision;
            def.scale = storage.scale;
        }
    }
    return def;
}

struct SourceTable {
    std::string schema;
    std::string table;
};

Result<std::vector<SourceTable>> ListTables(Warehouse& from, const std::vector<std::string>& schemas) {
    // information_schema reads the same in DuckDB and PostgreSQL; "pg_" schemas are PostgreSQL's own.
    auto rows = from.ListTables();
    if (!rows) return std::unexpected(rows.error());
    std::set<std::string> wanted(schemas.begin(), schemas.end());
    std::set<std::string> seen;
    std::vector<SourceTable> tables;
    for (auto& t : *rows) {
        if (!wanted.empty() && !wanted.contains(t.schema)) continue;
        seen.insert(t.schema);
        tables.push_back({t.schema, t.table});
    }
    std::string missing;
    for (const auto& s : wanted) {
        if (!seen.contains(s)) missing += (missing.empty() ? "" : ", ") + s;
    }
    if (!missing.empty()) return Fail(ErrorCode::NOT_FOUND, "no tables in schema(s) of the source: " + missing);
    return tables;
}

Status CopyTable(Warehouse& from, Warehouse& to, const SourceTable& source, const CopyProgressFn& progress) {
    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    TableName name{"", source.schema, source.table};
    auto described = from.DescribeTable(name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return Fail(ErrorCode::NOT_FOUND, "table disappeared from the source", name.ToString());
    const std::vector<Column>& columns = **described;

    std::vector<ColumnDef> defs;
    std::vector<std::string> names;
    sql::Select select;
    select.From(sql::Table(name, "t"));
    for (const auto& c : columns) {
        defs.push_back(StorageFor(c));
        names.push_back(c.name);
        // Columns kith does not read travel as the engine's text for them.
        sql::ExprPtr e = sql::Col("t", c.name);
        select.Item(c.type == DataType::OTHER ? sql::Cast(e, sql::SqlType::STRING) : e, c.name);
    }

    const sql::Dialect& target = to.sql_dialect();
    auto ok = to.Execute(sql::Print(sql::CreateSchema{source.schema}, target));
    if (ok) ok = to.Execute(sql::Print(sql::DropTable{name}, target));
    if (ok) ok = to.CreateTable(name, defs);
    if (!ok) return ok;

    auto stream = from.Query(sql::Print(select, from.sql_dialect()));
    if (!stream) return std::unexpected(stream.error());
    auto writer = to.BulkWriter(name, names);
    if (!writer) return std::unexpected(writer.error());
    CopyProgress p{name, 0, 0, false};
    auto last_report = start;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        auto appended = (*writer)->Append(chunk);
        if (!appended) return appended;
        p.rows += static_cast<int64_t>(chunk.size());
        auto now = Clock::now();
        if (progress && now - last_report >= std::chrono::seconds(1)) {
            last_report = now;
            p.seconds = std::chrono::duration<double>(now - start).count();
            progress(p);
        }
    }
    stream->reset();
    auto finished = (*writer)->Finish();
    if (!finished) return finished;
    if (progress) {
        p.done = true;
        p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        progress(p);
    }
    return {};
}

} // namespace

ColumnDef StorageFor(const Column& source) {
    std::string type = Lower(source.engine_type);
    switch (source.type) {
    case DataType::NUMBER:
        return NumberStorage(source.name, type);
    case DataType::BOOLEAN:
        return {source.name, StorageType::BOOLEAN, 0, 0};
    case DataType::DATE:
        return {source.name, StorageType::DATE, 0, 0};
    case DataType::TIME:
        return {source.name, StorageType::TIME, 0, 0};
    case DataType::TIMESTAMP: {
        bool zoned = type.find("with time zone") != std::string::npos || type == "timestamptz";
        return {source.name, zoned ? StorageType::TIMESTAMPTZ : StorageType::TIMESTAMP, 0, 0};
    }
    case DataType::STRING:
    case DataType::OTHER:
        break;
    }
    return {source.name, StorageType::TEXT, 0, 0};
}

Status CopySchemas(Warehouse& from, Warehouse& to, const std::vector<std::string>& schemas,
                   const CopyProgressFn& progress) {
    if (&from == &to) return Fail(ErrorCode::USAGE, "cannot copy a warehouse onto itself");
    auto tables = ListTables(from, schemas);
    if (!tables) return std::unexpected(tables.error());
    for (const auto& t : *tables) {
        auto ok = CopyTable(from, to, t, progress);
        if (!ok) {
            Error e = ok.error();
            e.message = "copying " + t.schema + "." + t.table + ": " + e.message;
            return std::unexpected(std::move(e));
        }
    }
    return {};
}

} // namespace kith::warehouse
