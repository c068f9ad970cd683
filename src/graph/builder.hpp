// Turns a syntax tree into a validated DataGraph, checking every rule of
// data-graph.md and reporting every broken one at once, each at its location.
//
//   auto graph = graph::LoadGraph("graph.hcl");   // parse (HCL or JSON by extension) + build
//   if (!graph) for (auto& d : graph.error()) std::cerr << d.ToString() << "\n";
#pragma once

#include "common/diagnostic.hpp"
#include "graph/model.hpp"
#include "graph/syntax.hpp"

#include <expected>
#include <string_view>

namespace kith::graph {

//! Checks the tree against the spec's rules; all problems, sorted by location, on failure.
std::expected<DataGraph, Diagnostics> BuildGraph(const SyntaxFile& file);

//! Parses text as JSON when path ends in ".json" (or text starts with '{'), otherwise as HCL, then builds.
std::expected<DataGraph, Diagnostics> ParseGraph(std::string_view text, const std::string& path);

//! Reads and parses a graph file; an unreadable file is one diagnostic at line 0.
std::expected<DataGraph, Diagnostics> LoadGraph(const std::string& path);

} // namespace kith::graph
