#include "engine/warehouse_catalog.hpp"

namespace kith::engine {

Result<std::optional<std::vector<schema::Column>>> WarehouseCatalog::Columns(const schema::TableName& table) {
    std::string key = table.database + "\x1f" + table.schema + "\x1f" + table.table;
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    auto cols = warehouse_.DescribeTable(table);
    if (!cols) return std::unexpected(cols.error());
    cache_[key] = *cols;
    return *cols;
}

audience::SharedCatalog::Through Via(audience::SharedCatalog& catalog, warehouse::Warehouse& warehouse) {
    return catalog.Via([&warehouse](const schema::TableName& t) { return warehouse.DescribeTable(t); });
}

} // namespace kith::engine
