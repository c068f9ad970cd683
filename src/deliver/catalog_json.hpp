// The destination catalog (catalog.hpp) as JSON, the one shape `kith destinations --json` prints and
// GET /api/v1/destinations answers: per type its actions (the first is the default) with their fields (type,
// required, default mapping), and its settings (its own, then the common ones; secrets marked).
#pragma once

#include "deliver/catalog.hpp"

#include <nlohmann/json.hpp>

namespace kith::deliver {

nlohmann::json SettingJson(const Setting& setting, bool common);
//! Every destination type, in the catalog's order.
nlohmann::json CatalogJson();

} // namespace kith::deliver
