// The syntax tree that both graph file forms (HCL subset and JSON) parse to,
// before any rule of the data graph is checked (see builder.hpp).
#pragma once

#include "common/diagnostic.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kith::graph {

//! An attribute's value: a string, a number (kept as written) or a boolean.
struct SyntaxValue {
    enum class Kind { STRING, NUMBER, BOOLEAN };
    Kind kind = Kind::STRING;
    std::string text; //!< the string's content, the number as written, or "true"/"false"
    Location location;
};

//! `name = value`.
struct SyntaxAttribute {
    std::string name;
    Location location;
    SyntaxValue value;
};

//! `type ["label"] { attributes and blocks }`.
struct SyntaxBlock {
    std::string type;
    std::optional<std::string> label;
    Location location;       //!< where the block's type is written
    Location label_location; //!< where its label is written (or the type's location)
    std::vector<SyntaxAttribute> attributes;
    std::vector<SyntaxBlock> blocks;
};

//! A whole file: its top-level blocks (and top-level attributes, which are errors).
struct SyntaxFile {
    std::string path;
    std::vector<SyntaxBlock> blocks;
    std::vector<SyntaxAttribute> attributes;
};

//! How deeply blocks may nest before the file is refused (far beyond any valid graph).
inline constexpr int kMaxSyntaxDepth = 64;

} // namespace kith::graph
