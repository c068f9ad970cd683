#include "warehouse/warehouse.hpp"

#include "warehouse/bigquery_warehouse.hpp"
#include "warehouse/duckdb_warehouse.hpp"
#include "warehouse/hive_warehouse.hpp"
#include "warehouse/postgres_warehouse.hpp"
#include "warehouse/snowflake_warehouse.hpp"

#include "sql/introspection.hpp"

namespace kith::warehouse {

const sql::Dialect& Warehouse::sql_dialect() const {
    const sql::Dialect* d = sql::Dialect::Find(dialect());
    return d ? *d : sql::Dialect::DuckDb(); // every driver names a dialect the printer knows
}

Result<std::vector<TableName>> Warehouse::ListTables(const std::string& schema) {
    auto rows = QueryAll(*this, sql::ListTablesQuery(sql_dialect()));
    if (!rows) return std::unexpected(rows.error());
    std::vector<TableName> out;
    for (auto& row : *rows) {
        if (row[0] && row[1] && (schema.empty() || *row[0] == schema)) out.push_back(TableName{"", *row[0], *row[1]});
    }
    return out;
}

Result<std::unique_ptr<Warehouse>> Warehouse::Connect() {
    return Fail(ErrorCode::USAGE, "this warehouse cannot open another connection");
}

Status Warehouse::CreateTable(const TableName& name, std::span<const ColumnDef>) {
    return Fail(ErrorCode::USAGE, "this warehouse cannot create tables", name.ToString());
}

Result<std::unique_ptr<TableWriter>> Warehouse::BulkWriter(const TableName& name, std::span<const std::string>) {
    return Fail(ErrorCode::USAGE, "this warehouse cannot bulk-load tables", name.ToString());
}

namespace {

// The driver's options parsed (its credentials read through getenv), then the warehouse opened.
template <class Driver> Result<std::unique_ptr<Warehouse>> OpenParsed(const std::string& uri, const Getenv& getenv) {
    auto options = Driver::ParseUri(uri, getenv);
    if (!options) return std::unexpected(options.error());
    auto wh = Driver::Open(std::move(*options));
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

template <class T> Result<std::unique_ptr<Warehouse>> Upcast(Result<std::unique_ptr<T>> wh) {
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

} // namespace

Result<std::unique_ptr<Warehouse>> Open(const std::string& uri, const Getenv& getenv) {
    if (uri.starts_with("duckdb:")) return Upcast(DuckDbWarehouse::OpenUri(uri.substr(7)));
    if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
        return Upcast(PostgresWarehouse::Open(uri, getenv));
    }
    if (uri.starts_with("redshift://")) return Upcast(PostgresWarehouse::OpenRedshift(uri, getenv));
    if (uri.starts_with("spark://") || uri.starts_with("databricks://")) return OpenParsed<HiveWarehouse>(uri, getenv);
    if (uri.starts_with("bigquery://")) return OpenParsed<BigQueryWarehouse>(uri, getenv);
    if (uri.starts_with("snowflake://")) return OpenParsed<SnowflakeWarehouse>(uri, getenv);
    return Fail(ErrorCode::USAGE,
                "unknown warehouse URI (expected duckdb:PATH, postgresql://..., redshift://..., snowflake://..., "
                "bigquery://..., spark://... or databricks://...)", uri);
}

Result<std::vector<std::vector<Cell>>> QueryAll(Warehouse& warehouse, const std::string& sql,
                                                std::span<const Param> params) {
    auto stream = warehouse.Query(sql, params);
    if (!stream) return std::unexpected(stream.error());
    std::vector<std::vector<Cell>> rows;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (auto& row : chunk.rows) rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace kith::warehouse
