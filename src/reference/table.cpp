#include "reference/table.hpp"

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

std::string QuoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

Result<Table> ReadTable(warehouse::Warehouse& warehouse, const warehouse::TableName& name) {
    auto described = warehouse.DescribeTable(name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return Fail(ErrorCode::NOT_FOUND, "the warehouse has no table " + name.ToString());
    Table t;
    t.name = name;
    std::string select;
    for (const auto& c : **described) {
        if (c.type == warehouse::DataType::OTHER) continue;
        t.columns.push_back(c);
        select += (select.empty() ? "" : ", ") + QuoteIdentifier(c.name);
    }
    if (t.columns.empty()) return t;
    auto rows = warehouse::QueryAll(warehouse, "SELECT " + select + " FROM " + name.Quoted());
    if (!rows) return std::unexpected(rows.error());
    t.rows = std::move(*rows);
    return t;
}

} // namespace kith::reference
