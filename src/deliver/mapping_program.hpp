// Internal to mappings (mapping.hpp is the interface): a mapping compiled into nodes (mapping_compiler.cpp builds
// them from JSON and checks the grammar on the way) and the evaluation of nodes on an event
// (mapping_evaluator.cpp). mapping.cpp puts them together for actions.
#pragma once

#include "deliver/json_path.hpp"
#include "deliver/mapping.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::deliver::mapping_detail {

using json = nlohmann::json;

// Values that a directive walks recursively (flattens, encodes, joins) nest at most this deep; an event kith
// builds is far shallower, so only a decoded string or a hostile payload reaches it.
constexpr size_t kMaxValueDepth = 256;

enum class Kind {
    UNDEFINED,         // evaluates to undefined
    CONSTANT,          // constant: a JSON value without directives
    OBJECT,            // keys[i]: operands[i]; undefined values are left out
    ARRAY,             // operands are the items; an undefined item is null (as JSON.stringify writes it)
    PATH,              // path, or operands[0] giving it
    TEMPLATE,          // text, or operands[0] giving it
    IF,                // operands[0] is the condition, then_at/else_at the branches
    ARRAY_PATH,        // path or operands[0] is the array; operands[shape_at] the shape of each item
    MERGE,             // operands are the objects
    JSON_CODEC,        // operands[0] is the value (encode or decode)
    FLATTEN,           // operands[0] is the value
    CASE,              // operands[0] is the value (missing: undefined)
    REPLACE,           // operands[0] is the value
    EXCLUDE_WHEN_NULL, // operands[0] is the value
    TRANSFORM,         // operands[0] maps the payload, operands[1] maps the result
};

// A template split into its text and its {{placeholders}}.
struct Template {
    struct Piece {
        std::string text;             // text as is, when path is empty
        std::optional<JsonPath> path; // a placeholder
    };
    std::vector<Piece> pieces;

    // As mapping-kit's placeholders: `{{{path}}}` or `{{path}}`, the path being one or more characters other than
    // `}`, trimmed. (mapping-kit replaces triple braces everywhere first, then double ones in the result, so a
    // value holding `{{x}}` would be rendered again; one left-to-right pass renders values as they are.)
    static Template Parse(std::string_view s);
};

struct Node {
    Kind kind = Kind::UNDEFINED;
    json constant;                 // CONSTANT
    std::vector<std::string> keys; // OBJECT
    std::vector<Node> operands;
    std::optional<JsonPath> path;  // PATH, ARRAY_PATH: a constant path
    std::optional<Template> text;  // TEMPLATE: a constant template
    int then_at = -1, else_at = -1; // IF
    int shape_at = -1;              // ARRAY_PATH
    bool blank = false;             // IF: the condition is "blank" (else "exists")
    bool left = false;              // MERGE: earlier objects win
    bool encode = false;            // JSON_CODEC
    bool omit_arrays = false;       // FLATTEN
    bool upper = false;             // CASE
    bool global = true;             // REPLACE
    bool ignore_case = false;       // REPLACE
    std::string separator;          // FLATTEN
    std::string pattern, replacement, pattern2, replacement2; // REPLACE

    static Node Constant(json v) {
        Node n;
        n.kind = Kind::CONSTANT;
        n.constant = std::move(v);
        return n;
    }
};

// One field of an action with fields, compiled.
struct CompiledField {
    std::string name;
    FieldType type = FieldType::ANY;
    bool required = false;
    Node node;
    std::string shown; // the field's mapping, for messages
};

struct Program {
    bool pass_through = false; // a free-form action without a mapping: the event itself
    bool free_form = false;
    Node root;                 // free-form
    std::vector<CompiledField> fields; // an action with fields
};

//! m compiled; each problem is added to errors, its pointer starting with ptr. depth counts the objects and arrays
//! around m (at most kMaxMappingDepth).
Node Compile(const json& m, const std::string& ptr, size_t depth, std::vector<MappingError>& errors);

//! "a string", "an integer", "an array", ... for messages.
std::string TypeName(const json& v);

//! Whether v is an object with a key starting with @ (a directive, or an attempt at one).
bool HasDirectiveKey(const json& v);

// What a node evaluates to: undefined, a value held elsewhere (in the event or in the mapping's constants: not
// copied until it is placed in the result), or a value of its own.
struct Value {
    const json* ref = nullptr;
    json own;
    bool owned = false;
    bool in_event = false;          // ref points into the event being mapped
    const JsonPath* from = nullptr; // ref is the event's value at this path

    static Value Ref(const json* v) { return Value{v, {}, false, false, nullptr}; }
    static Value Own(json v) { return Value{nullptr, std::move(v), true, false, nullptr}; }
    bool defined() const { return ref != nullptr || owned; }
    const json& get() const { return ref ? *ref : own; }
    json Take() && { return ref ? *ref : std::move(own); }
};

//! Evaluates nodes on one event. The first failure (a dynamic @path that is not a string, a value nested too
//! deeply) stops the evaluation: failed() and error() tell.
class Evaluator {
public:
    explicit Evaluator(const json& event) : event_(event) {}

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }

    Value Eval(const Node& n, const json& payload);

private:
    void Fail(std::string message);

    // Whether v nests little enough to be walked recursively; fails the evaluation otherwise.
    bool Shallow(const json& v, const char* directive);
    Value Found(const json* v, const json& payload, const JsonPath* path);

    // The text a directive gives as its path or template, or nullopt (failed) when it gives something else.
    std::optional<std::string> DynamicString(const Node& n, const json& payload, const char* directive);

    Value PathValue(const Node& n, const json& payload);
    Value Render(const Node& n, const json& payload);

    // JavaScript's `value == ''` (mapping-kit's "blank"): undefined, null, "", false, 0, and arrays whose text is
    // empty.
    bool IsBlank(const Value& v);

    Value ArrayPath(const Node& n, const json& payload);
    Value Merge(const Node& n, const json& payload);
    Value JsonCodec(const Node& n, const json& payload);

    // mapping-kit's flattenObject: objects (and arrays, unless omit_arrays) become keys joined by the separator.
    void Flatten(const json& v, const std::string& prefix, const Node& n, json& out);

    // mapping-kit's cleanNulls: an object without its null members, in nested objects too (not in arrays).
    static json WithoutNulls(const json& object);

    const json& event_;
    std::string error_;
};

} // namespace kith::deliver::mapping_detail
