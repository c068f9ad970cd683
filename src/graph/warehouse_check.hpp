// Checks a data graph against a live warehouse: every table_ref, primary_key,
// join column and Profiles Sync table exists, and joined columns have
// comparable types. Each problem is a diagnostic at the graph location that
// names the missing or mismatched thing.
#pragma once

#include "common/diagnostic.hpp"
#include "graph/model.hpp"
#include "warehouse/warehouse.hpp"

namespace kith::graph {

//! The problems found (empty when the graph fits the warehouse); an error only when the warehouse fails.
Result<Diagnostics> CheckAgainstWarehouse(const DataGraph& graph, warehouse::Warehouse& warehouse);

} // namespace kith::graph
