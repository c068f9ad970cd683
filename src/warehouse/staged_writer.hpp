// A bulk load through SQL for engines without a bulk loader or without transactions that span statements (Spark,
// Databricks, Redshift, Snowflake, BigQuery): rows go to a staging table with multi-row INSERT ... VALUES of
// sql::StorageValue casts, and Finish copies them into the target with one INSERT ... SELECT (one statement,
// committed as a whole), then drops the staging table. Nothing is visible in the target before Finish; a writer
// dropped before Finish leaves the target as it was and drops its staging table.
//
//   auto writer = StagedTableWriter::Start(wh, wh.sql_dialect(), "spark", target, column_defs);
//   (*writer)->Append(chunk); ... (*writer)->Finish();
#pragma once

#include "warehouse/warehouse.hpp"

#include "sql/statement.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kith::warehouse {

class StagedTableWriter final : public TableWriter {
public:
    //! Drops what a crashed load left (`<table>__kith_load` beside the target), creates the staging table with the
    //! columns' definitions (through wh.CreateTable) and returns the writer. `engine` names the engine in errors.
    static Result<std::unique_ptr<TableWriter>> Start(Warehouse& wh, const sql::Dialect& dialect, std::string engine,
                                                      const TableName& target, std::vector<ColumnDef> columns);
    //! The staging table of a target.
    static TableName StagingOf(const TableName& target);

    ~StagedTableWriter() override;
    StagedTableWriter(const StagedTableWriter&) = delete;
    StagedTableWriter& operator=(const StagedTableWriter&) = delete;

    Status Append(const Chunk& rows) override;
    Status Finish() override;

private:
    StagedTableWriter(Warehouse& wh, const sql::Dialect& dialect, std::string engine, TableName target,
                      TableName staging, std::vector<ColumnDef> columns);
    Status Flush();
    Status Run(const sql::Statement& statement);

    Warehouse& wh_;
    const sql::Dialect& dialect_;
    std::string engine_;
    TableName target_;
    TableName staging_;
    std::vector<ColumnDef> columns_;
    std::vector<std::vector<sql::ExprPtr>> pending_;
    size_t bytes_ = 0;
    bool finished_ = false;
    bool failed_ = false;
};

} // namespace kith::warehouse
