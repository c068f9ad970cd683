#include "warehouse/warehouse.hpp"

#include "warehouse/duckdb_warehouse.hpp"
#include "warehouse/postgres_warehouse.hpp"

namespace kith::warehouse {

std::string DataTypeKey(DataType type) {
    std::string key(DataTypeName(type));
    for (char& ch : key) ch = static_cast<char>(ch - 'A' + 'a'); // the names are upper-case ASCII letters
    return key;
}

std::string_view DataTypeName(DataType type) {
    switch (type) {
    case DataType::NUMBER:
        return "NUMBER";
    case DataType::STRING:
        return "STRING";
    case DataType::BOOLEAN:
        return "BOOLEAN";
    case DataType::DATE:
        return "DATE";
    case DataType::TIME:
        return "TIME";
    case DataType::TIMESTAMP:
        return "TIMESTAMP";
    case DataType::OTHER:
        return "OTHER";
    }
    return "OTHER";
}

std::string TableName::ToString() const {
    std::string out;
    for (const std::string* part : {&database, &schema}) {
        if (!part->empty()) out += *part + ".";
    }
    return out + table;
}

std::string TableName::Quoted() const {
    std::string out;
    for (const std::string* part : {&database, &schema, &table}) {
        if (part->empty()) continue;
        if (!out.empty()) out += '.';
        out += '"';
        for (char c : *part) {
            if (c == '"') out += '"';
            out += c;
        }
        out += '"';
    }
    return out;
}

Result<std::unique_ptr<Warehouse>> Warehouse::Connect() {
    return Fail(ErrorCode::USAGE, "this warehouse cannot open another connection");
}

Status Warehouse::CreateTable(const TableName& name, std::span<const ColumnDef>) {
    return Fail(ErrorCode::USAGE, "this warehouse cannot create tables", name.ToString());
}

Result<std::unique_ptr<TableWriter>> Warehouse::BulkWriter(const TableName& name, std::span<const std::string>) {
    return Fail(ErrorCode::USAGE, "this warehouse cannot bulk-load tables", name.ToString());
}

Result<std::unique_ptr<Warehouse>> Open(const std::string& uri) {
    if (uri.starts_with("duckdb:")) {
        auto wh = DuckDbWarehouse::Open(uri.substr(7));
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
        auto wh = PostgresWarehouse::Open(uri);
        if (!wh) return std::unexpected(wh.error());
        return std::unique_ptr<Warehouse>(std::move(*wh));
    }
    return Fail(ErrorCode::USAGE, "unknown warehouse URI (expected duckdb:PATH or postgresql://...)", uri);
}

Result<std::vector<std::vector<Cell>>> QueryAll(Warehouse& warehouse, const std::string& sql,
                                                std::span<const Param> params) {
    auto stream = warehouse.Query(sql, params);
    if (!stream) return std::unexpected(stream.error());
    std::vector<std::vector<Cell>> rows;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (auto& row : chunk.rows) rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace kith::warehouse
