// The embedded DuckDB warehouse, over DuckDB's stable C API.
#pragma once

#include "warehouse/warehouse.hpp"

#include <duckdb.h>

#include <memory>

namespace kith::warehouse {

//! A DuckDB database file (or ":memory:") opened in-process; results stream as data chunks.
class DuckDbWarehouse final : public Warehouse {
public:
    //! Opens (creating when missing) the database at path; the session time zone is UTC.
    static Result<std::unique_ptr<DuckDbWarehouse>> Open(const std::string& path);
    ~DuckDbWarehouse() override;
    DuckDbWarehouse(const DuckDbWarehouse&) = delete;
    DuckDbWarehouse& operator=(const DuckDbWarehouse&) = delete;

    std::string_view dialect() const override { return "duckdb"; }
    Status Execute(const std::string& sql, std::span<const Param> params = {}) override;
    Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) override;
    Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) override;
    Status CreateTable(const TableName& name, std::span<const ColumnDef> columns) override;
    //! DuckDB's appender inside a transaction; cells are appended as VARCHAR and cast to each column's type.
    Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                    std::span<const std::string> columns) override;
    //! A new connection to the same database instance (which stays open while any connection does).
    Result<std::unique_ptr<Warehouse>> Connect() override;
    //! duckdb_interrupt on this connection.
    void Interrupt() override;

    //! kith's type for a DuckDB type name as information_schema spells it.
    static DataType MapTypeName(std::string_view engine_type);
    //! The DuckDB type that stores a column of this definition; DECIMAL(39,0) becomes HUGEINT and other decimals
    //! DuckDB cannot hold (unconstrained, or more than 38 digits) become DOUBLE.
    static std::string StorageTypeName(const ColumnDef& column);

private:
    DuckDbWarehouse() = default;
    Status SetUpSession();
    Result<duckdb_prepared_statement> Prepare(const std::string& sql, std::span<const Param> params);

    struct Database; // the duckdb_database, closed with its last connection
    std::shared_ptr<Database> db_;
    duckdb_connection con_ = nullptr;
    std::string path_;
};

} // namespace kith::warehouse
