// The warehouse interface: what kith needs of an engine (DuckDB, PostgreSQL, ...).
//
//   auto wh = warehouse::Open("duckdb:demo.duckdb");
//   auto rows = (*wh)->Query("SELECT id FROM t WHERE name = ?", {"ada"});
//   warehouse::Chunk chunk;
//   while (true) { auto more = (*rows)->Next(chunk); if (!more || !*more) break; ... }
//
// Results are streamed in chunks: a large result is never held in memory whole.
// Every error carries the engine's own message (ErrorCode::WAREHOUSE).
// A RowStream or TableWriter must not outlive the Warehouse that made it, and a
// connection runs one statement at a time: finish (or drop) a stream or a
// writer before the next call on the same warehouse.
#pragma once

#include "common/error.hpp"
#include "schema/table_name.hpp"
#include "sql/dialect.hpp"
#include "warehouse/table_writer.hpp"
#include "warehouse/value.hpp"

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kith::warehouse {

//! A streamed query result.
class RowStream {
public:
    virtual ~RowStream() = default;
    //! The result's columns.
    virtual const std::vector<Column>& columns() const = 0;
    //! Replaces chunk with the next rows; false once the result is exhausted.
    virtual Result<bool> Next(Chunk& chunk) = 0;
};

using TableName = schema::TableName;

//! A connection to one warehouse.
class Warehouse {
public:
    virtual ~Warehouse() = default;
    //! The SQL dialect this engine speaks: "duckdb", "postgres", "spark", ...
    virtual std::string_view dialect() const = 0;
    //! The dialect as the SQL printer knows it.
    const sql::Dialect& sql_dialect() const;
    //! Runs statements that return no rows (several may be separated by ';' when params is empty).
    virtual Status Execute(const std::string& sql, std::span<const Param> params = {}) = 0;
    //! Runs one query and streams its rows. Parameters are written '?' in DuckDB and $1.. in PostgreSQL.
    virtual Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) = 0;
    //! The columns of a table or view, in order; nullopt when it does not exist.
    virtual Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) = 0;

    //! The base tables of the current database in `schema` (empty: in every schema but the engine's own), ordered by
    //! schema and name, their database part empty. The default asks information_schema (sql::ListTablesQuery).
    virtual Result<std::vector<TableName>> ListTables(const std::string& schema = {});
    //! Creates a table (its schema must exist) with each column stored as the engine's type for def.type.
    //! Engines without table creation return ErrorCode::USAGE.
    virtual Status CreateTable(const TableName& name, std::span<const ColumnDef> columns);
    //! Starts a bulk load into the named columns of an existing table; rows are canonical text (value.hpp), which
    //! the engine converts to each column's type. Engines without bulk loading return ErrorCode::USAGE.
    virtual Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                            std::span<const std::string> columns);
    //! Another connection to the same warehouse, for another thread (one connection serves one thread at a time).
    //! Engines without it return ErrorCode::USAGE.
    virtual Result<std::unique_ptr<Warehouse>> Connect();
    //! Asks the query running on this connection to stop; it then fails with an error. Safe to call from another
    //! thread at any time, also when nothing runs (then it does nothing).
    virtual void Interrupt() {}
};

//! Where a driver reads its credentials (SNOWFLAKE_TOKEN, PGPASSWORD, ...; warehouses.md): std::getenv, or a
//! stand-in for it (the service's [warehouse_auth], tests); nullptr for an unset variable.
using Getenv = std::function<const char*(const char*)>;

//! Opens a warehouse from a URI: "duckdb:PATH", "duckdb::memory:", "postgresql://...", "postgres://...",
//! "redshift://USER@HOST:5439/DATABASE", "snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=WH&user=U",
//! "bigquery://PROJECT/DATASET", "spark://HOST:PORT/DATABASE" or "databricks://HOST/CATALOG/SCHEMA?http_path=..."
//! (../shared/spec/warehouses.md).
//! The drivers read their credentials through getenv.
Result<std::unique_ptr<Warehouse>> Open(const std::string& uri, const Getenv& getenv = &std::getenv);

//! Runs a query and collects all rows; for small results only (tests, introspection).
Result<std::vector<std::vector<Cell>>> QueryAll(Warehouse& warehouse, const std::string& sql,
                                                std::span<const Param> params = {});

} // namespace kith::warehouse
