// A warehouse that records every statement it is given and passes it on: what the SQL-validity checks (sqlglot,
// test/support/sqlglot_check.hpp) read, so that they see exactly what kith sent to an engine.
//
//   test::RecordingWarehouse rec(*spark);
//   run::Execute(env_with(rec), ...);
//   auto ok = test::SqlglotCheck(rec.Statements("spark", "run e2e"));
#pragma once

#include "support/sqlglot_check.hpp"
#include "warehouse/warehouse.hpp"

#include <mutex>
#include <string>
#include <vector>

namespace kith::test {

class RecordingWarehouse final : public warehouse::Warehouse {
public:
    explicit RecordingWarehouse(warehouse::Warehouse& inner) : inner_(inner) {}

    std::string_view dialect() const override { return inner_.dialect(); }
    Status Execute(const std::string& sql, std::span<const warehouse::Param> params = {}) override {
        Record(sql);
        return inner_.Execute(sql, params);
    }
    Result<std::unique_ptr<warehouse::RowStream>> Query(const std::string& sql,
                                                        std::span<const warehouse::Param> params = {}) override {
        Record(sql);
        return inner_.Query(sql, params);
    }
    Result<std::optional<std::vector<warehouse::Column>>> DescribeTable(const warehouse::TableName& name) override {
        return inner_.DescribeTable(name);
    }
    Result<std::vector<warehouse::TableName>> ListTables(const std::string& schema = {}) override {
        return inner_.ListTables(schema);
    }
    Status CreateTable(const warehouse::TableName& name, std::span<const warehouse::ColumnDef> columns) override {
        return inner_.CreateTable(name, columns);
    }
    Result<std::unique_ptr<warehouse::TableWriter>> BulkWriter(const warehouse::TableName& name,
                                                               std::span<const std::string> columns) override {
        return inner_.BulkWriter(name, columns);
    }
    void Interrupt() override { inner_.Interrupt(); }

    //! Every statement so far, labelled "<label> #<n>", for sqlglot in `dialect`.
    std::vector<SqlStatement> Statements(const std::string& dialect, const std::string& label) const {
        std::lock_guard lock(mutex_);
        std::vector<SqlStatement> out;
        for (size_t i = 0; i < sql_.size(); ++i) out.push_back({dialect, sql_[i], label + " #" + std::to_string(i + 1)});
        return out;
    }
    size_t size() const {
        std::lock_guard lock(mutex_);
        return sql_.size();
    }

private:
    void Record(const std::string& sql) {
        std::lock_guard lock(mutex_);
        sql_.push_back(sql);
    }
    warehouse::Warehouse& inner_;
    mutable std::mutex mutex_;
    std::vector<std::string> sql_;
};

} // namespace kith::test
