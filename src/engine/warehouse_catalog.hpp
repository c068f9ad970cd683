// The audience language's column catalog (audience/catalog.hpp) answered by a
// warehouse: the bridge that keeps src/audience free of any driver.
//
//   engine::WarehouseCatalog catalog(*warehouse);
//   audience::ParseContext ctx{graph, &catalog, &library};
#pragma once

#include "audience/catalog.hpp"
#include "warehouse/warehouse.hpp"

#include <map>
#include <string>

namespace kith::engine {

//! A Catalog that asks a warehouse once per table.
class WarehouseCatalog final : public audience::Catalog {
public:
    explicit WarehouseCatalog(warehouse::Warehouse& warehouse) : warehouse_(warehouse) {}
    Result<std::optional<std::vector<schema::Column>>> Columns(const schema::TableName& table) override;

private:
    warehouse::Warehouse& warehouse_;
    std::map<std::string, std::optional<std::vector<schema::Column>>> cache_;
};

//! The shared catalog, fetching a table it does not know through a connection the caller holds.
audience::SharedCatalog::Through Via(audience::SharedCatalog& catalog, warehouse::Warehouse& warehouse);

} // namespace kith::engine
