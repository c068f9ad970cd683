// Reading from the warehouse what events are built from (activations.md, "Events"): values typed for JSON, whether a
// relationship's keys are numbers, and the enriched columns and children of entities. Runs read them a page of
// changes at a time; a profile's event built before any run (profile_event.hpp) reads them for one profile.
//
//   run::EntityEnrichment wanted{{"TOTAL"}, {{"cart-products", {"NAME"}}}};
//   auto ok = run::LoadEntities(wh, dialect, graph, "account-carts", wanted,
//                               [&](const sql::ExprPtr& key) { return sql::InList(key, {sql::Str("10")}); }, lookups);
#pragma once

#include "common/error.hpp"
#include "graph/model.hpp"
#include "run/events.hpp"
#include "sql/ast.hpp"
#include "sql/dialect.hpp"
#include "warehouse/warehouse.hpp"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kith::run {

//! A warehouse value as JSON: numbers and booleans typed, the rest text, NULL as null.
Value ToJson(const warehouse::Cell& cell, warehouse::DataType type);

//! A primary key's text as JSON: a number when the key column is numeric and the text reads as one.
Value KeyJson(const std::string& text, bool numeric);

using RowSink =
    std::function<void(const std::vector<warehouse::Cell>& row, const std::vector<warehouse::Column>& columns)>;

//! Every row of a query, chunk by chunk.
Status EachRow(warehouse::Warehouse& warehouse, const std::string& sql, const RowSink& sink);

//! Whether the primary key column of the relationship's entity is numeric (its keys then read as JSON numbers).
Result<bool> NumericKey(warehouse::Warehouse& warehouse, const graph::DataGraph& graph,
                        const std::string& relationship);

//! What one relationship's entities are enriched with.
struct EntityEnrichment {
    std::set<std::string> columns;
    std::map<std::string, std::set<std::string>> children; //!< direct child relationship -> its columns
};

//! Which entities to read: a condition on their primary key as the engine's text.
using KeyFilter = std::function<sql::ExprPtr(const sql::ExprPtr& key_text)>;

//! Reads the entities of the relationship whose keys pass `keys` into out.entities[relationship] (the first row read
//! of a duplicated key speaks for it), and their enriched children into out.children[relationship] (every child
//! related by the graph's join, once per primary key, ordered by key text).
Status LoadEntities(warehouse::Warehouse& warehouse, const sql::Dialect& dialect, const graph::DataGraph& graph,
                    const std::string& relationship, const EntityEnrichment& enrichment, const KeyFilter& keys,
                    Lookups& out);

} // namespace kith::run
