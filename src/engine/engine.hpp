// Evaluating audiences on a warehouse: members, matched entities, preview,
// explain and value suggestions. Library functions first; the CLI and the API
// call them. Results stream: memory stays bounded whatever the member count.
//
//   engine::Session s{graph, *warehouse, &catalog, &library};
//   auto a = s.Parse(text, "a.json");
//   s.Members(*a, as_of, [](std::string_view pid) { ... return true; });
#pragma once

#include "audience/catalog.hpp"
#include "audience/model.hpp"
#include "audience/parser.hpp"
#include "common/error.hpp"
#include "graph/model.hpp"
#include "plan/compiler.hpp"
#include "sql/dialect.hpp"
#include "warehouse/warehouse.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::engine {

//! A matched entity: (profile, relationship slug, primary key as canonical text).
struct MatchedEntity {
    std::string profile;
    std::string relationship;
    std::string primary_key;
};

//! Returns false to stop early.
using MemberSink = std::function<bool(std::string_view profile)>;
using EntitySink = std::function<bool(const MatchedEntity& entity)>;

//! The dialect of a warehouse; an error for an engine kith has no dialect for.
Result<const sql::Dialect*> DialectOf(const warehouse::Warehouse& warehouse);

//! The SQL text of a compiled query for a dialect.
std::string SqlText(const plan::Compiled& compiled, const sql::Dialect& dialect);

struct Session {
    const graph::DataGraph& graph;
    warehouse::Warehouse& warehouse;
    audience::Catalog* catalog = nullptr;
    audience::Library* library = nullptr;

    //! Streams members in bytewise order.
    Status Members(const audience::Audience& audience, int64_t as_of_micros, const MemberSink& sink);
    //! Streams matched entities sorted bytewise by "profile\trelationship\tkey".
    Status Entities(const audience::Audience& audience, int64_t as_of_micros, const EntitySink& sink);
};

//! Parses an ISO 8601 timestamp (or date) as UTC microseconds; "now" when empty.
Result<int64_t> ParseAsOf(const std::string& text);

} // namespace kith::engine
