// Reader for the JSON form of a data graph. It follows HCL's JSON convention:
// a block is an object under its type's key; labeled blocks (`entity`,
// `relationship`) are objects keyed by their label; repeated blocks may be
// written as an array of objects; scalars are attributes.
//
//   {"data_graph": {"version": "v1.0.0",
//     "entity": {"account": {"name": "Accounts", "table_ref": "crm.accounts", "primary_key": "ID"}},
//     "profile": {"profile_folder": "segment", "type": "segment:materialized",
//       "relationship": {"user-accounts": {"name": "Accounts", "related_entity": "account",
//         "external_id": {"type": "email", "join_key": "EMAIL"}}}}}}
#pragma once

#include "common/diagnostic.hpp"
#include "graph/syntax.hpp"

#include <expected>
#include <string_view>

namespace kith::graph {

//! Parses the JSON form to the same syntax tree as the HCL form, with line:column locations.
std::expected<SyntaxFile, Diagnostics> ParseGraphJson(std::string_view text, const std::string& path);

} // namespace kith::graph
