// Loading and evaluating the golden SQL cases (test/sql/*.test) on the fixture warehouse.
#pragma once

#include "audience/parser.hpp"
#include "common/error.hpp"
#include "graph/model.hpp"
#include "support/sqlglot_check.hpp"
#include "warehouse/warehouse.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kith::golden {

struct Case {
    std::string name;
    std::string path;
    std::vector<std::string> header;              //!< lines before the first section
    std::string as_of = "2026-01-01T00:00:00Z";
    std::map<std::string, std::string> sections;  //!< audience, members, entities, and one per dialect (Dialects())
    std::vector<std::string> order;               //!< section order in the file
};

//! A warehouse loaded with the fixture.
struct Engine {
    std::string name;
    std::unique_ptr<warehouse::Warehouse> warehouse;
};

struct Outcome {
    std::string members;  //!< one per line
    std::string entities; //!< "profile\trelationship\tkey" per line
    std::vector<test::SqlStatement> statements; //!< what was sent to the engine, for sqlglot in its dialect
};

//! The dialects whose SQL every case holds, in the order of their sections.
const std::vector<std::string>& Dialects();
bool UpdateMode();
std::vector<std::string> CaseNames();
Result<Case> LoadCase(const std::string& name);
Status SaveCase(const Case& c);
//! The fixture graph (parsed once).
const graph::DataGraph& FixtureGraph();
//! Every engine available to this test binary, loaded with the fixture.
std::vector<Engine*> Engines();
Result<std::string> CompileMembersSql(const Case& c, const std::string& dialect);
Result<Outcome> Evaluate(const Case& c, Engine& engine);

} // namespace kith::golden
