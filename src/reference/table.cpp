#include "reference/table.hpp"
#include "sql/printer.hpp"

namespace kith::reference {

int Table::ColumnIndex(std::string_view column) const {
    for (size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].name == column) return static_cast<int>(i);
    }
    return -1;
}

warehouse::DataType Table::ColumnType(std::string_view column) const {
    int i = ColumnIndex(column);
    return i < 0 ? warehouse::DataType::OTHER : columns[static_cast<size_t>(i)].type;
}

Result<Table> ReadTable(warehouse::Warehouse& warehouse, const warehouse::TableName& name) {
    auto described = warehouse.DescribeTable(name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return Fail(ErrorCode::NOT_FOUND, "the warehouse has no table " + name.ToString());
    Table t;
    t.name = name;
    sql::Select select;
    select.From(sql::Table(name, "t"));
    for (const auto& c : **described) {
        if (c.type == warehouse::DataType::OTHER) continue;
        t.columns.push_back(c);
        select.Item(sql::Col("t", c.name));
    }
    if (t.columns.empty()) return t;
    auto rows = warehouse::QueryAll(warehouse, sql::Print(select, warehouse.sql_dialect()));
    if (!rows) return std::unexpected(rows.error());
    t.rows = std::move(*rows);
    return t;
}

} // namespace kith::reference
