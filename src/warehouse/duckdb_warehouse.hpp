// The embedded DuckDB warehouse, over DuckDB's stable C API.
#pragma once

#include "warehouse/warehouse.hpp"

#include <duckdb.h>

#include <array>
#include <map>
#include <memory>
#include <string_view>

namespace kith::warehouse {

//! A DuckDB database file (or ":memory:") opened in-process; results stream as data chunks.
class DuckDbWarehouse final : public Warehouse {
public:
    //! Opens (creating when missing) the database at path; the session time zone is UTC. settings are DuckDB's
    //! configuration options for the database (kSettings), applied before it opens.
    static Result<std::unique_ptr<DuckDbWarehouse>> Open(const std::string& path,
                                                         const std::map<std::string, std::string>& settings = {});
    //! What follows "duckdb:" in a URI: PATH[?memory_limit=4GB&threads=2&temp_directory=DIR&...], the settings
    //! among kSettings (USAGE error naming any other). The path is taken as written up to the first '?'.
    static Result<std::unique_ptr<DuckDbWarehouse>> OpenUri(std::string rest);
    //! The DuckDB options a URI may set: those that bound the memory, threads and spill space of the engine.
    static constexpr std::array<std::string_view, 5> kSettings = {"memory_limit", "threads", "temp_directory",
                                                                  "max_temp_directory_size", "preserve_insertion_order"};
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
