// Parser for the HCL subset of data-graph.md:
//
//   file      := block*
//   block     := IDENT [STRING] '{' item* '}'
//   item      := attribute | block
//   attribute := IDENT '=' (STRING | NUMBER | 'true' | 'false')
//
// with `#`, `//` and `/* */` comments and `\"`, `\\` string escapes.
// Any byte sequence yields either a tree or diagnostics with locations.
#pragma once

#include "common/diagnostic.hpp"
#include "graph/syntax.hpp"

#include <expected>
#include <string_view>

namespace kith::graph {

//! Parses text (named path in diagnostics). On failure, the syntax errors found.
std::expected<SyntaxFile, Diagnostics> ParseHcl(std::string_view text, const std::string& path);

} // namespace kith::graph
