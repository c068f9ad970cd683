// A warehouse table read whole into memory by the reference evaluator: one
// plain SELECT of its columns, no filtering, joining or aggregation in SQL.
#pragma once

#include "common/error.hpp"
#include "warehouse/warehouse.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kith::reference {

struct Table {
    warehouse::TableName name;
    std::vector<warehouse::Column> columns; //!< the columns read, in table order
    std::vector<std::vector<warehouse::Cell>> rows;

    //! Index of a column in columns and in each row, or -1.
    int ColumnIndex(std::string_view column) const;
    //! The column's kith type (OTHER when the table has no such column).
    warehouse::DataType ColumnType(std::string_view column) const;
};

//! Reads every column of one of kith's six types (others cannot be filtered or joined on); NOT_FOUND when the table
//! does not exist.
Result<Table> ReadTable(warehouse::Warehouse& warehouse, const warehouse::TableName& name);


} // namespace kith::reference
