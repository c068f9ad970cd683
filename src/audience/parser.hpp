// Parses an audience definition (JSON, audiences.md) and validates it against
// the data graph, the warehouse's column types and the library of other
// audiences. Every problem is reported at once, each with the JSON pointer of
// the most specific member at fault.
//
//   engine::WarehouseCatalog catalog(*warehouse);
//   audience::DirectoryLibrary library("audiences/");
//   audience::ParseContext ctx{graph, &catalog, &library};
//   auto a = audience::ParseAudience(text, "premium.json", ctx);
//   if (!a) for (auto& e : a.error().errors) std::cerr << e.ToString() << "\n";
#pragma once

#include "audience/catalog.hpp"
#include "audience/model.hpp"
#include "graph/model.hpp"

#include <expected>
#include <map>
#include <memory>
#include <string_view>

namespace kith::audience {

//! One validation problem: the file, the JSON pointer (or line:column for a JSON syntax error), the message.
struct AudienceError {
    std::string file;
    std::string pointer;
    std::string message;
    //! "file:pointer: message", e.g. "a.json:/groups/0/conditions/1/count/value: ...".
    std::string ToString() const;
};

//! Why an audience could not be built: its problems, or a failure of the warehouse or a file.
struct ParseFailure {
    std::vector<AudienceError> errors;
    std::optional<Error> fatal;
};

struct ParseContext {
    const graph::DataGraph& graph;
    Catalog* catalog = nullptr; //!< without it, column types come from the constants' JSON types
    Library* library = nullptr; //!< without it, `audience` conditions are errors
};

//! Parses and validates; the file name only labels errors.
std::expected<Audience, ParseFailure> ParseAudience(std::string_view json, const std::string& file, ParseContext& ctx);

} // namespace kith::audience
