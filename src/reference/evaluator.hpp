// The reference evaluator: the test oracle for the SQL compiler. It computes
// an audience's members and matched entities (audiences.md, "What an audience
// produces") by reading the tables it needs whole, with plain SELECTs, and
// applying every rule of audiences.md and data-graph.md in ordinary C++ loops.
// It is written to be obviously correct, not fast.
//
//   auto ev = reference::Evaluator::Open(graph, *warehouse);
//   auto out = ev->Evaluate(audience, as_of_micros);
//   for (const auto& p : out->members) ...
#pragma once

#include "audience/model.hpp"
#include "common/error.hpp"
#include "graph/model.hpp"
#include "reference/profiles.hpp"
#include "reference/table.hpp"
#include "warehouse/warehouse.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kith::reference {

//! One matched entity: an entity counted for a member by a true, non-`without` entity condition (or, recursively,
//! by a true, non-`without` child condition of a counted entity).
struct MatchedEntity {
    std::string profile;      //!< canonical_segment_id of the member
    std::string relationship; //!< slug of the relationship the entity was reached through
    std::string key;          //!< the entity's primary key as canonical text
    auto operator<=>(const MatchedEntity&) const = default;
};

//! What an audience produces at one evaluation time.
struct Evaluation {
    std::vector<std::string> members;    //!< canonical_segment_id values, sorted bytewise
    std::vector<MatchedEntity> entities; //!< sorted, distinct
};

class Evaluator {
public:
    //! Reads the Profiles Sync tables (identifiers, traits, merges); event, entity and junction tables are read the
    //! first time an audience needs them.
    static Result<Evaluator> Open(const graph::DataGraph& graph, warehouse::Warehouse& warehouse);

    //! Members and matched entities of a validated audience at `as_of_micros` (UTC microseconds since the epoch).
    //! The audience must have been parsed against this graph.
    Result<Evaluation> Evaluate(const audience::Audience& audience, int64_t as_of_micros);

    const Profiles& profiles() const { return profiles_; }

private:
    class Run;

    Evaluator(const graph::DataGraph& graph, warehouse::Warehouse& warehouse, Profiles profiles)
        : graph_(&graph), warehouse_(&warehouse), profiles_(std::move(profiles)) {}

    Status Need(const audience::Audience& audience);
    Status NeedCondition(const audience::Condition& condition);
    Result<const Table*> NeedTable(const warehouse::TableName& name);
    const Table& TableOf(const warehouse::TableName& name) const;

    const graph::DataGraph* graph_;
    warehouse::Warehouse* warehouse_;
    Profiles profiles_;
    std::map<std::string, Table> tables_; //!< by TableName::ToString()
};

//! Opens an evaluator and evaluates one audience.
Result<Evaluation> Evaluate(const graph::DataGraph& graph, const audience::Audience& audience, int64_t as_of_micros,
                            warehouse::Warehouse& warehouse);

} // namespace kith::reference
