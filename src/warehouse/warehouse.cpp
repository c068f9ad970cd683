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

Result<std::unique_ptr<Warehouse>> Open(const std::string& uri) {
    if (uri.starts_with("duckdb:")) {
        auto wh = DuckDbWarehouse::Open(uri.substr(7));
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
        auto wh = PostgresWarehouse::Open(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("redshift://")) {
        auto wh = PostgresWarehouse::OpenRedshift(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("spark://") || uri.starts_with("databricks://")) {
        auto wh = HiveWarehouse::Open(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("bigquery://")) {
        auto wh = BigQueryWarehouse::Open(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("snowflake://")) {
        auto wh = SnowflakeWarehouse::Open(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
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
