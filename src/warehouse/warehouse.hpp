// The warehouse interface: what kith needs of an engine (DuckDB, PostgreSQL, ...).
//
//   auto wh = warehouse::Open("duckdb:demo.duckdb");
//   auto rows = (*wh)->Query("SELECT id FROM t WHERE name = ?", {"ada"});
//   warehouse::Chunk chunk;
//   while (true) { auto more = (*rows)->Next(chunk); if (!more || !*more) break; ... }
//
// Results are streamed in chunks: a large result is never held in memory whole.
// Every error carries the engine's own message (ErrorCode::WAREHOUSE).
#pragma once

#include "common/error.hpp"
#include "warehouse/value.hpp"

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

//! A table's location: catalog (database) and schema may be empty (the engine's default).
struct TableName {
    std::string database;
    std::string schema;
    std::string table;
    //! "db.schema.table" with the empty parts left out.
    std::string ToString() const;
    //! "db"."schema"."table" with the empty parts left out; double quotes inside a part are doubled.
    std::string Quoted() const;
};

//! A connection to one warehouse.
class Warehouse {
public:
    virtual ~Warehouse() = default;
    //! The SQL dialect this engine speaks: "duckdb", "postgres", ...
    virtual std::string_view dialect() const = 0;
    //! Runs statements that return no rows (several may be separated by ';' when params is empty).
    virtual Status Execute(const std::string& sql, std::span<const Param> params = {}) = 0;
    //! Runs one query and streams its rows. Parameters are written '?' in DuckDB and $1.. in PostgreSQL.
    virtual Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) = 0;
    //! The columns of a table or view, in order; nullopt when it does not exist.
    virtual Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) = 0;
};

//! Opens a warehouse from a URI: "duckdb:PATH", "duckdb::memory:", or "postgresql://...".
Result<std::unique_ptr<Warehouse>> Open(const std::string& uri);

//! Runs a query and collects all rows; for small results only (tests, introspection).
Result<std::vector<std::vector<Cell>>> QueryAll(Warehouse& warehouse, const std::string& sql,
                                                std::span<const Param> params = {});

} // namespace kith::warehouse
