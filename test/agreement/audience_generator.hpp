// Random valid audience definitions (audiences.md) over the fixture graph
// (test/fixture/graph.hcl) and a warehouse laid out like the fixture, for the
// engine-agreement test. Every condition type, `without`, entity children down
// to the deepest relationship, every operator each type allows, one_of lists,
// every kind of window, dynamic references (traits in event and entity
// filters, columns of the same entity and of ancestors), count qualifiers
// including exactly 0 and at_most, groups_operator and/or, and references to
// earlier audiences (so never a cycle). Constants are mostly drawn from the
// warehouse's own values so that memberships are not trivial.
#pragma once

#include "common/error.hpp"
#include "graph/model.hpp"
#include "warehouse/warehouse.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kith::agreement {

//! One generated audience: its key (for the library of other audiences) and its JSON text.
struct GeneratedAudience {
    std::string key;
    std::string json;
};

class AudienceGenerator {
public:
    //! Reads the column types and the distinct values of the graph's entity tables, of the event tables and of the
    //! traits from the warehouse.
    static Result<AudienceGenerator> Create(const graph::DataGraph& graph, warehouse::Warehouse& warehouse);

    //! A random valid audience, the same text for the same seed and data. It may reference the audiences named in
    //! `library` (which must be valid and free of cycles: referencing only earlier ones guarantees it).
    std::string Generate(uint64_t seed, const std::vector<std::string>& library = {}) const;

    //! `count` audiences keyed "a0", "a1", ...: audience i may reference audiences 0..i-1.
    std::vector<GeneratedAudience> GenerateMany(uint64_t seed, int count) const;

    //! A column (or trait) the generator draws constants from: its kith type and distinct non-NULL canonical values.
    struct Column {
        std::string name;
        warehouse::DataType type = warehouse::DataType::STRING;
        std::vector<std::string> values;
    };
    //! An event the generator names: the name as written in audiences and its table's columns.
    struct Event {
        std::string name;
        std::vector<Column> columns;
    };

private:
    class Builder;

    const graph::DataGraph* graph_ = nullptr;
    std::map<int, std::vector<Column>> entities_; //!< relationship index -> the columns of its entity's table
    std::vector<Event> events_;
    std::vector<int64_t> instants_; //!< distinct event timestamps of the data (UTC micros), sorted
    std::vector<Column> traits_;    //!< trait name -> its raw text values (type STRING)
};

} // namespace kith::agreement
