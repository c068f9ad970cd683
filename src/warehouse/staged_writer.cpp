#include "warehouse/staged_writer.hpp"

#include "sql/printer.hpp"
#include "sql/statement.hpp"

#include <fmt/format.h>

namespace kith::warehouse {

namespace {

// A multi-row INSERT is sent once it holds this many rows or about this many bytes of values.
constexpr size_t kInsertRows = 2000;
constexpr size_t kInsertBytes = 1 << 20;

std::vector<std::string> Names(const std::vector<ColumnDef>& columns) {
    std::vector<std::string> names;
    for (const auto& c : columns) names.push_back(c.name);
    return names;
}

} // namespace

TableName StagedTableWriter::StagingOf(const TableName& target) {
    TableName staging = target;
    staging.table += "__kith_load";
    return staging;
}

Result<std::unique_ptr<TableWriter>> StagedTableWriter::Start(Warehouse& wh, const sql::Dialect& dialect,
                                                              std::string engine, const TableName& target,
                                                              std::vector<ColumnDef> columns) {
    TableName staging = StagingOf(target);
    if (auto ok = wh.Execute(sql::Print(sql::Statement{sql::DropTable{staging}}, dialect)); !ok) {
        return std::unexpected(ok.error());
    }
    if (auto ok = wh.CreateTable(staging, columns); !ok) return std::unexpected(ok.error());
    return std::unique_ptr<TableWriter>(
        new StagedTableWriter(wh, dialect, std::move(engine), target, std::move(staging), std::move(columns)));
}

StagedTableWriter::StagedTableWriter(Warehouse& wh, const sql::Dialect& dialect, std::string engine,
                                     TableName target, TableName staging, std::vector<ColumnDef> columns)
    : wh_(wh), dialect_(dialect), engine_(std::move(engine)), target_(std::move(target)),
      staging_(std::move(staging)), columns_(std::move(columns)) {}

StagedTableWriter::~StagedTableWriter() {
    if (!finished_) (void)Run(sql::DropTable{staging_});
}

Status StagedTableWriter::Run(const sql::Statement& statement) { return wh_.Execute(sql::Print(statement, dialect_)); }

Status StagedTableWriter::Append(const Chunk& rows) {
    if (finished_ || failed_) return Fail(ErrorCode::INTERNAL, "bulk load already finished", engine_);
    for (const auto& row : rows.rows) {
        if (row.size() != columns_.size()) {
            failed_ = true;
            return Fail(ErrorCode::INTERNAL, fmt::format("row of {} cells for {} columns", row.size(), columns_.size()),
                        engine_);
        }
        std::vector<sql::ExprPtr> values;
        values.reserve(row.size());
        for (size_t c = 0; c < row.size(); ++c) {
            values.push_back(sql::StorageValue(row[c], columns_[c]));
            bytes_ += (row[c] ? row[c]->size() : 0) + 32;
        }
        pending_.push_back(std::move(values));
        if (pending_.size() >= kInsertRows || bytes_ >= kInsertBytes) {
            if (auto ok = Flush(); !ok) return ok;
        }
    }
    return {};
}

Status StagedTableWriter::Finish() {
    if (finished_ || failed_) return Fail(ErrorCode::INTERNAL, "bulk load already finished", engine_);
    if (auto ok = Flush(); !ok) return ok;
    sql::Select select;
    for (const auto& c : columns_) select.items.push_back(sql::SelectItem{sql::Col("s", c.name), ""});
    select.from = sql::Table(staging_, "s");
    sql::Query query;
    query.body = std::make_shared<const sql::Select>(std::move(select));
    if (auto ok = Run(sql::InsertSelect{target_, Names(columns_), std::move(query)}); !ok) {
        failed_ = true;
        return ok;
    }
    finished_ = true;
    (void)Run(sql::DropTable{staging_});
    return {};
}

Status StagedTableWriter::Flush() {
    if (pending_.empty()) return {};
    sql::InsertValues insert{staging_, Names(columns_), std::move(pending_)};
    pending_.clear();
    bytes_ = 0;
    auto ok = Run(insert);
    if (!ok) failed_ = true;
    return ok;
}

} // namespace kith::warehouse
