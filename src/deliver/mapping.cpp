#include "deliver/mapping.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "deliver/json_path.hpp"
#include "deliver/mapping_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace kith::deliver {

using nlohmann::json;

namespace mapping_detail {

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
    static Template Parse(std::string_view s) {
        Template t;
        std::string text;
        size_t i = 0;
        auto placeholder = [&](size_t braces) -> bool {
            if (s.compare(i, braces, std::string(braces, '{')) != 0) return false;
            size_t close = s.find('}', i + braces);
            if (close == std::string_view::npos || close == i + braces) return false;
            if (s.compare(close, braces, std::string(braces, '}')) != 0) return false;
            std::string_view inner = s.substr(i + braces, close - i - braces);
            while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.front()))) inner.remove_prefix(1);
            while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) inner.remove_suffix(1);
            if (!text.empty()) t.pieces.push_back(Piece{std::move(text), std::nullopt});
            text.clear();
            t.pieces.push_back(Piece{{}, JsonPath::Parse(inner)});
            i = close + braces;
            return true;
        };
        while (i < s.size()) {
            if (placeholder(3) || placeholder(2)) continue;
            text += s[i++];
        }
        if (!text.empty()) t.pieces.push_back(Piece{std::move(text), std::nullopt});
        return t;
    }
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

// One field of an action with fields.
struct Field {
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
    std::vector<Field> fields; // an action with fields
};

namespace {

std::string TypeName(const json& v) { return kith::JsonTypeName(v, JsonWords::ARRAY); }

bool IsDirectiveKey(const std::string& key) { return !key.empty() && key[0] == '@'; }

bool HasDirectiveKey(const json& v) {
    if (!v.is_object()) return false;
    for (const auto& [key, _] : v.items()) {
        if (IsDirectiveKey(key)) return true;
    }
    return false;
}

const std::vector<std::string> kDirectives = {"@arrayPath", "@case",    "@excludeWhenNull", "@flatten",
                                              "@if",        "@json",    "@literal",         "@merge",
                                              "@path",      "@replace", "@template",        "@transform"};

std::string Join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Turns mapping JSON into nodes, recording every problem with its pointer.
class Compiler {
public:
    explicit Compiler(std::vector<MappingError>& errors) : errors_(errors) {}

    // `depth` counts the objects and arrays around m.
    Node Compile(const json& m, const std::string& ptr, size_t depth) {
        if (m.is_structured() && depth >= kMaxMappingDepth) {
            Err(ptr, fmt::format("the mapping nests deeper than {} levels", kMaxMappingDepth));
            return Node{};
        }
        if (m.is_object()) {
            if (HasDirectiveKey(m)) return Directive(m, ptr, depth);
            Node n;
            n.kind = Kind::OBJECT;
            bool constant = true;
            for (const auto& [key, value] : m.items()) {
                n.keys.push_back(key);
                n.operands.push_back(Compile(value, ptr + JsonPointerToken(key), depth + 1));
                constant = constant && n.operands.back().kind == Kind::CONSTANT;
            }
            // A part that evaluates to a constant is kept as one: nothing to evaluate, nothing to copy. (Its
            // values are the operands' constants, not m's: `{"@literal": 1}` is the constant 1.)
            if (!constant) return n;
            json value = json::object();
            for (size_t i = 0; i < n.keys.size(); ++i) value[n.keys[i]] = std::move(n.operands[i].constant);
            return Node::Constant(std::move(value));
        }
        if (m.is_array()) {
            Node n;
            n.kind = Kind::ARRAY;
            bool constant = true;
            for (size_t i = 0; i < m.size(); ++i) {
                n.operands.push_back(Compile(m[i], fmt::format("{}/{}", ptr, i), depth + 1));
                constant = constant && n.operands.back().kind == Kind::CONSTANT;
            }
            if (!constant) return n;
            json value = json::array();
            for (auto& item : n.operands) value.push_back(std::move(item.constant));
            return Node::Constant(std::move(value));
        }
        return Node::Constant(m);
    }

private:
    void Err(const std::string& ptr, std::string message) { errors_.push_back(MappingError{ptr, std::move(message)}); }

    Node Directive(const json& m, const std::string& ptr, size_t depth) {
        std::vector<std::string> directives, others;
        for (const auto& [key, _] : m.items()) {
            // `_metadata` sits beside directives in mappings made by Segment's app; it does not change the result.
            if (IsDirectiveKey(key)) {
                directives.push_back(key);
            } else if (key != "_metadata") {
                others.push_back(text::Quote(key));
            }
        }
        if (directives.size() > 1) {
            std::vector<std::string> quoted;
            for (const auto& d : directives) quoted.push_back(text::Quote(d));
            Err(ptr, fmt::format("a directive has exactly one @ key, found {}: {}", directives.size(), Join(quoted)));
            return Node{};
        }
        const std::string& name = directives.front();
        if (!others.empty()) {
            Err(ptr, fmt::format("a directive has exactly one @ key and nothing else, found {} beside {}",
                                 Join(others), text::Quote(name)));
            return Node{};
        }
        const json& v = m[name];
        std::string p = ptr + JsonPointerToken(name);
        size_t d = depth + 1; // the directive's own object
        if (name == "@path") return Path(v, p, d);
        if (name == "@template") return TemplateNode(v, p, d);
        if (name == "@literal") return Compile(v, p, d); // mapping-kit resolves @literal's value too
        if (name == "@if") return If(v, p, d);
        if (name == "@arrayPath") return ArrayPath(v, p, d);
        if (name == "@merge") return Merge(v, p, d);
        if (name == "@json") return Json(v, p, d);
        if (name == "@flatten") return Flatten(v, p, d);
        if (name == "@case") return Case(v, p, d);
        if (name == "@replace") return Replace(v, p, d);
        if (name == "@excludeWhenNull") return Unary(Kind::EXCLUDE_WHEN_NULL, v, p, d);
        if (name == "@transform") return Transform(v, p, d);
        if (name == "@liquid") {
            Err(p, "@liquid is not supported: kith has no Liquid engine (@template fills {{placeholders}})");
            return Node{};
        }
        Err(p, fmt::format("unknown directive {} (known: {})", text::Quote(name), Join(kDirectives)));
        return Node{};
    }

    // A directive's options object: reports a non-object and unknown keys.
    bool Options(const json& v, const std::string& p, const std::string& name, const std::vector<std::string>& allowed,
                 size_t depth) {
        if (v.is_object() && depth >= kMaxMappingDepth) {
            Err(p, fmt::format("the mapping nests deeper than {} levels", kMaxMappingDepth));
            return false;
        }
        if (!v.is_object() || HasDirectiveKey(v)) {
            std::vector<std::string> quoted;
            for (const auto& a : allowed) quoted.push_back("\"" + a + "\"");
            Err(p, fmt::format("{} takes an object with {}, found {}", name, Join(quoted),
                               v.is_object() ? "a directive" : TypeName(v)));
            return false;
        }
        bool ok = true;
        for (const auto& key : UnknownJsonKeys(v, allowed)) {
            Err(p + JsonPointerToken(key), UnknownKeyMessage(key, name, allowed));
            ok = false;
        }
        return ok;
    }

    bool Require(const json& v, const std::string& p, const std::string& key) {
        if (v.contains(key)) return true;
        Err(p, fmt::format("missing \"{}\"", key));
        return false;
    }

    // v[key] as a string (a missing or null key gives fallback); reports other types.
    std::optional<std::string> StringOption(const json& v, const std::string& p, const std::string& key,
                                            const std::string& fallback = {}) {
        if (!v.contains(key) || v[key].is_null()) return fallback;
        if (!v[key].is_string()) {
            Err(p + JsonPointerToken(key), fmt::format("\"{}\" must be a string, found {}", key, TypeName(v[key])));
            return std::nullopt;
        }
        return v[key].get<std::string>();
    }

    // v[key] as one of choices; reports a missing key and other values.
    std::optional<std::string> Choice(const json& v, const std::string& p, const std::string& key,
                                      const std::vector<std::string>& choices) {
        if (!Require(v, p, key)) return std::nullopt;
        const json& c = v[key];
        if (c.is_string() && std::find(choices.begin(), choices.end(), c.get<std::string>()) != choices.end()) {
            return c.get<std::string>();
        }
        std::vector<std::string> quoted;
        for (const auto& s : choices) quoted.push_back("\"" + s + "\"");
        std::string list;
        for (const auto& q : quoted) list += (list.empty() ? "" : " or ") + q;
        Err(p + JsonPointerToken(key), fmt::format("\"{}\" must be {}, found {}", key, list,
                                                   c.is_string() ? text::Quote(c.get<std::string>()) : TypeName(c)));
        return std::nullopt;
    }

    bool BoolOption(const json& v, const std::string& p, const std::string& key, bool fallback) {
        if (!v.contains(key) || v[key].is_null()) return fallback;
        if (!v[key].is_boolean()) {
            Err(p + JsonPointerToken(key), fmt::format("\"{}\" must be true or false, found {}", key, TypeName(v[key])));
            return fallback;
        }
        return v[key].get<bool>();
    }

    // A string, or a directive giving one at evaluation time.
    bool StringOrDirective(const json& v, const std::string& p, const std::string& what, size_t depth, Node& n) {
        if (v.is_string()) return true;
        if (HasDirectiveKey(v)) {
            n.operands.push_back(Compile(v, p, depth));
            return true;
        }
        Err(p, fmt::format("{} must be a string or a directive, found {}", what, TypeName(v)));
        return false;
    }

    Node Path(const json& v, const std::string& p, size_t depth) {
        Node n;
        n.kind = Kind::PATH;
        if (!StringOrDirective(v, p, "@path", depth, n)) return Node{};
        if (v.is_string()) n.path = JsonPath::Parse(v.get<std::string>());
        return n;
    }

    Node TemplateNode(const json& v, const std::string& p, size_t depth) {
        Node n;
        n.kind = Kind::TEMPLATE;
        if (!StringOrDirective(v, p, "@template", depth, n)) return Node{};
        if (v.is_string()) {
            n.text = Template::Parse(v.get<std::string>());
            if (n.text->pieces.empty()) return Node::Constant("");
            if (n.text->pieces.size() == 1 && !n.text->pieces[0].path) return Node::Constant(n.text->pieces[0].text);
        }
        return n;
    }

    Node If(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@if", {"exists", "blank", "then", "else"}, depth)) return Node{};
        Node n;
        n.kind = Kind::IF;
        bool exists = v.contains("exists"), blank = v.contains("blank");
        if (exists == blank) {
            Err(p, exists ? "@if takes \"exists\" or \"blank\", not both" : "@if needs \"exists\" or \"blank\"");
            return Node{};
        }
        if (!v.contains("then") && !v.contains("else")) {
            Err(p, "@if needs \"then\" or \"else\"");
            return Node{};
        }
        n.blank = blank;
        const char* condition = blank ? "blank" : "exists";
        n.operands.push_back(Compile(v[condition], p + "/" + condition, depth + 1));
        if (v.contains("then")) {
            n.then_at = static_cast<int>(n.operands.size());
            n.operands.push_back(Compile(v["then"], p + "/then", depth + 1));
        }
        if (v.contains("else")) {
            n.else_at = static_cast<int>(n.operands.size());
            n.operands.push_back(Compile(v["else"], p + "/else", depth + 1));
        }
        return n;
    }

    Node ArrayPath(const json& v, const std::string& p, size_t depth) {
        if (!v.is_array() || v.empty() || v.size() > 2) {
            Err(p, fmt::format("@arrayPath takes an array [path] or [path, shape], found {}",
                               v.is_array() ? fmt::format("{} items", v.size()) : TypeName(v)));
            return Node{};
        }
        if (depth >= kMaxMappingDepth) {
            Err(p, fmt::format("the mapping nests deeper than {} levels", kMaxMappingDepth));
            return Node{};
        }
        Node n;
        n.kind = Kind::ARRAY_PATH;
        if (!StringOrDirective(v[0], p + "/0", "the path of @arrayPath", depth + 1, n)) return Node{};
        if (v[0].is_string()) n.path = JsonPath::Parse(v[0].get<std::string>());
        if (v.size() == 2 && !v[1].is_null()) {
            const json& shape = v[1];
            if (!shape.is_object()) {
                Err(p + "/1", "the shape of @arrayPath must be an object, found " + TypeName(shape));
                return Node{};
            }
            // mapping-kit applies no shape when it is empty: the items are returned as they are.
            if (!shape.empty()) {
                n.shape_at = static_cast<int>(n.operands.size());
                n.operands.push_back(Compile(shape, p + "/1", depth + 1));
            }
        }
        return n;
    }

    Node Merge(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@merge", {"objects", "direction"}, depth)) return Node{};
        Node n;
        n.kind = Kind::MERGE;
        auto direction = Choice(v, p, "direction", {"left", "right"});
        n.left = direction == "left";
        if (!Require(v, p, "objects")) return Node{};
        const json& objects = v["objects"];
        if (!objects.is_array()) {
            Err(p + "/objects", "\"objects\" must be an array, found " + TypeName(objects));
            return Node{};
        }
        if (depth + 1 >= kMaxMappingDepth) {
            Err(p + "/objects", fmt::format("the mapping nests deeper than {} levels", kMaxMappingDepth));
            return Node{};
        }
        bool ok = direction.has_value();
        for (size_t i = 0; i < objects.size(); ++i) {
            std::string ip = fmt::format("{}/objects/{}", p, i);
            if (!objects[i].is_object()) {
                Err(ip, "each of \"objects\" must be an object or a directive, found " + TypeName(objects[i]));
                ok = false;
                continue;
            }
            n.operands.push_back(Compile(objects[i], ip, depth + 2));
        }
        return ok ? n : Node{};
    }

    // The "value" option: required, compiled.
    bool ValueOption(const json& v, const std::string& p, size_t depth, Node& n) {
        if (!Require(v, p, "value")) return false;
        n.operands.push_back(Compile(v["value"], p + "/value", depth + 1));
        return true;
    }

    Node Json(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@json", {"value", "mode"}, depth)) return Node{};
        Node n;
        n.kind = Kind::JSON_CODEC;
        auto mode = Choice(v, p, "mode", {"encode", "decode"});
        n.encode = mode == "encode";
        bool value = ValueOption(v, p, depth, n);
        return mode && value ? n : Node{};
    }

    Node Flatten(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@flatten", {"value", "separator", "omitArrays"}, depth)) return Node{};
        Node n;
        n.kind = Kind::FLATTEN;
        n.omit_arrays = BoolOption(v, p, "omitArrays", false);
        bool ok = Require(v, p, "separator");
        if (ok) {
            auto separator = StringOption(v, p, "separator");
            if (separator && separator->empty()) Err(p + "/separator", "\"separator\" must not be empty");
            ok = separator && !separator->empty();
            if (ok) n.separator = *separator;
        }
        bool value = ValueOption(v, p, depth, n);
        return ok && value ? n : Node{};
    }

    Node Case(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@case", {"value", "operator"}, depth)) return Node{};
        Node n;
        n.kind = Kind::CASE;
        auto op = Choice(v, p, "operator", {"lower", "upper"});
        n.upper = op == "upper";
        // Without a value, @case gives undefined (as in mapping-kit).
        n.operands.push_back(v.contains("value") ? Compile(v["value"], p + "/value", depth + 1) : Node{});
        return op ? n : Node{};
    }

    Node Replace(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@replace",
                     {"value", "pattern", "replacement", "pattern2", "replacement2", "ignorecase", "global"}, depth)) {
            return Node{};
        }
        Node n;
        n.kind = Kind::REPLACE;
        bool ok = Require(v, p, "pattern");
        std::optional<std::string> pattern;
        if (ok) pattern = StringOption(v, p, "pattern");
        if (pattern && pattern->empty()) Err(p + "/pattern", "\"pattern\" must not be empty");
        ok = pattern && !pattern->empty();
        auto replacement = StringOption(v, p, "replacement");
        auto pattern2 = StringOption(v, p, "pattern2");
        auto replacement2 = StringOption(v, p, "replacement2");
        ok = ok && replacement && pattern2 && replacement2;
        n.ignore_case = BoolOption(v, p, "ignorecase", false);
        n.global = BoolOption(v, p, "global", true);
        ok = ValueOption(v, p, depth, n) && ok;
        if (!ok) return Node{};
        n.pattern = *pattern;
        n.replacement = *replacement;
        n.pattern2 = *pattern2;
        n.replacement2 = *replacement2;
        return n;
    }

    Node Unary(Kind kind, const json& v, const std::string& p, size_t depth) {
        Node n;
        n.kind = kind;
        n.operands.push_back(Compile(v, p, depth));
        return n;
    }

    Node Transform(const json& v, const std::string& p, size_t depth) {
        if (!Options(v, p, "@transform", {"apply", "mapping"}, depth)) return Node{};
        Node n;
        n.kind = Kind::TRANSFORM;
        bool ok = true;
        for (const char* key : {"apply", "mapping"}) {
            if (!Require(v, p, key)) {
                ok = false;
                continue;
            }
            if (!v[key].is_object()) {
                Err(p + "/" + key, fmt::format("\"{}\" must be an object or a directive, found {}", key, TypeName(v[key])));
                ok = false;
                continue;
            }
            n.operands.push_back(Compile(v[key], p + "/" + key, depth + 1));
        }
        return ok ? n : Node{};
    }

    std::vector<MappingError>& errors_;
};

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

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

class Evaluator {
public:
    explicit Evaluator(const json& event) : event_(event) {}

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }

    Value Eval(const Node& n, const json& payload) {
        if (failed()) return {};
        switch (n.kind) {
        case Kind::UNDEFINED: return {};
        case Kind::CONSTANT: return Value::Ref(&n.constant);
        case Kind::OBJECT: {
            json out = json::object();
            for (size_t i = 0; i < n.operands.size(); ++i) {
                Value v = Eval(n.operands[i], payload);
                if (v.defined()) out[n.keys[i]] = std::move(v).Take();
            }
            return Value::Own(std::move(out));
        }
        case Kind::ARRAY: {
            json out = json::array();
            for (const auto& item : n.operands) {
                Value v = Eval(item, payload);
                out.push_back(v.defined() ? std::move(v).Take() : json());
            }
            return Value::Own(std::move(out));
        }
        case Kind::PATH: return PathValue(n, payload);
        case Kind::TEMPLATE: return Render(n, payload);
        case Kind::IF: {
            Value c = Eval(n.operands[0], payload);
            bool yes = n.blank ? !IsBlank(c) : c.defined() && !c.get().is_null();
            int branch = yes ? n.then_at : n.else_at;
            return branch < 0 ? Value{} : Eval(n.operands[static_cast<size_t>(branch)], payload);
        }
        case Kind::ARRAY_PATH: return ArrayPath(n, payload);
        case Kind::MERGE: return Merge(n, payload);
        case Kind::JSON_CODEC: return JsonCodec(n, payload);
        case Kind::FLATTEN: {
            Value v = Eval(n.operands[0], payload);
            json out = json::object();
            if (v.defined() && Shallow(v.get(), "@flatten")) Flatten(v.get(), "", n, out);
            return Value::Own(std::move(out));
        }
        case Kind::CASE: {
            Value v = Eval(n.operands[0], payload);
            if (!v.defined() || !v.get().is_string()) return v;
            const auto& s = v.get().get_ref<const std::string&>();
            return Value::Own(n.upper ? ToUpperCase(s) : ToLowerCase(s));
        }
        case Kind::REPLACE: {
            Value v = Eval(n.operands[0], payload);
            // Booleans and numbers are replaced in their text; anything else that is not a string gives "".
            std::string s;
            if (v.defined() && (v.get().is_string() || v.get().is_boolean() || v.get().is_number())) {
                s = ReplaceText(JsString(v.get()), n.pattern, n.replacement, n.global, n.ignore_case);
                if (!n.pattern2.empty()) s = ReplaceText(s, n.pattern2, n.replacement2, n.global, n.ignore_case);
            }
            return Value::Own(std::move(s));
        }
        case Kind::EXCLUDE_WHEN_NULL: {
            Value v = Eval(n.operands[0], payload);
            if (!v.defined() || v.get().is_null()) return {};
            if (!v.get().is_object() || !Shallow(v.get(), "@excludeWhenNull")) return v;
            return Value::Own(WithoutNulls(v.get()));
        }
        case Kind::TRANSFORM: {
            Value applied = Eval(n.operands[0], payload);
            json next = applied.defined() ? std::move(applied).Take() : json();
            Value v = Eval(n.operands[1], next);
            // v may point into next, which ends here.
            return v.defined() ? Value::Own(std::move(v).Take()) : Value{};
        }
        }
        return {};
    }

private:
    void Fail(std::string message) {
        if (error_.empty()) error_ = std::move(message);
    }

    // Whether v nests little enough to be walked recursively; fails the evaluation otherwise.
    bool Shallow(const json& v, const char* directive) {
        if (!v.is_structured() || JsonDepth(v, kMaxValueDepth) <= kMaxValueDepth) return true;
        Fail(fmt::format("{}: the value nests deeper than {} levels", directive, kMaxValueDepth));
        return false;
    }

    Value Found(const json* v, const json& payload, const JsonPath* path) {
        if (!v) return {};
        Value out = Value::Ref(v);
        out.in_event = &payload == &event_;
        if (out.in_event) out.from = path;
        return out;
    }

    // The text a directive gives as its path or template, or nullopt (failed) when it gives something else.
    std::optional<std::string> DynamicString(const Node& n, const json& payload, const char* directive) {
        Value v = Eval(n.operands[0], payload);
        if (failed()) return std::nullopt;
        if (!v.defined() || !v.get().is_string()) {
            Fail(fmt::format("{} needs a string, found {}", directive, v.defined() ? TypeName(v.get()) : "undefined"));
            return std::nullopt;
        }
        return v.get().get<std::string>();
    }

    Value PathValue(const Node& n, const json& payload) {
        if (n.path) return Found(n.path->Find(payload), payload, &*n.path);
        auto text = DynamicString(n, payload, "@path");
        if (!text) return {};
        Value v = Found(JsonPath::Parse(*text).Find(payload), payload, nullptr);
        return v;
    }

    Value Render(const Node& n, const json& payload) {
        std::optional<mapping_detail::Template> dynamic;
        if (!n.text) {
            auto text = DynamicString(n, payload, "@template");
            if (!text) return {};
            dynamic = mapping_detail::Template::Parse(*text);
        }
        const mapping_detail::Template& t = n.text ? *n.text : *dynamic;
        std::string out;
        for (const auto& piece : t.pieces) {
            if (!piece.path) {
                out += piece.text;
                continue;
            }
            const json* v = piece.path->Find(payload);
            if (v && !v->is_null() && Shallow(*v, "@template")) out += JsString(*v);
        }
        return Value::Own(std::move(out));
    }

    // JavaScript's `value == ''` (mapping-kit's "blank"): undefined, null, "", false, 0, and arrays whose text is
    // empty.
    bool IsBlank(const Value& v) {
        if (!v.defined()) return true;
        const json& j = v.get();
        switch (j.type()) {
        case json::value_t::null: return true;
        case json::value_t::string: return j.get_ref<const std::string&>().empty();
        case json::value_t::boolean: return !j.get<bool>();
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float: return j.get<double>() == 0;
        case json::value_t::array: return Shallow(j, "@if") && JsString(j).empty();
        default: return false;
        }
    }

    Value ArrayPath(const Node& n, const json& payload) {
        Value root = n.path ? Found(n.path->Find(payload), payload, &*n.path) : Eval(n.operands[0], payload);
        if (n.shape_at < 0 || !root.defined() || !root.get().is_structured()) return root;
        const Node& shape = n.operands[static_cast<size_t>(n.shape_at)];
        json out = json::array();
        auto each = [&](const json& item) {
            Value v = Eval(shape, item);
            out.push_back(v.defined() ? std::move(v).Take() : json());
        };
        // An object is one item (mapping-kit's arrify).
        if (root.get().is_array()) {
            for (const auto& item : root.get()) each(item);
        } else {
            each(root.get());
        }
        return Value::Own(std::move(out));
    }

    Value Merge(const Node& n, const json& payload) {
        json out = json::object();
        auto merge = [&](const Node& object) {
            if (object.kind == Kind::OBJECT) {
                // A key whose value is undefined overrides too, as in JavaScript's Object.assign: it is dropped.
                for (size_t i = 0; i < object.operands.size(); ++i) {
                    Value v = Eval(object.operands[i], payload);
                    if (v.defined()) {
                        out[object.keys[i]] = std::move(v).Take();
                    } else {
                        out.erase(object.keys[i]);
                    }
                }
                return;
            }
            Value v = Eval(object, payload);
            if (!v.defined() || !v.get().is_object()) return; // only objects are merged
            for (const auto& [key, item] : v.get().items()) out[key] = item;
        };
        if (n.left) {
            for (auto it = n.operands.rbegin(); it != n.operands.rend(); ++it) merge(*it);
        } else {
            for (const auto& object : n.operands) merge(object);
        }
        return Value::Own(std::move(out));
    }

    Value JsonCodec(const Node& n, const json& payload) {
        Value v = Eval(n.operands[0], payload);
        if (!v.defined()) return {}; // JSON.stringify(undefined) is undefined too
        if (n.encode) {
            if (!Shallow(v.get(), "@json")) return {};
            return Value::Own(JsonStringify(v.get()));
        }
        if (!v.get().is_string()) return v;
        json decoded = json::parse(v.get().get_ref<const std::string&>(), nullptr, false);
        // Text that is not JSON stays the text it was (mapping-kit), and so does JSON nesting too deep to use.
        if (decoded.is_discarded()) return v;
        if (decoded.is_structured() && JsonDepth(decoded, kMaxValueDepth) > kMaxValueDepth) return v;
        return Value::Own(std::move(decoded));
    }

    // mapping-kit's flattenObject: objects (and arrays, unless omit_arrays) become keys joined by the separator.
    void Flatten(const json& v, const std::string& prefix, const Node& n, json& out) {
        if (v.is_object() || (v.is_array() && !n.omit_arrays)) {
            if (v.is_object()) {
                for (const auto& [key, item] : v.items()) {
                    Flatten(item, prefix.empty() ? key : prefix + n.separator + key, n, out);
                }
            } else {
                for (size_t i = 0; i < v.size(); ++i) {
                    std::string key = std::to_string(i);
                    Flatten(v[i], prefix.empty() ? key : prefix + n.separator + key, n, out);
                }
            }
            return;
        }
        out[prefix] = v;
    }

    // mapping-kit's cleanNulls: an object without its null members, in nested objects too (not in arrays).
    static json WithoutNulls(const json& object) {
        json out = json::object();
        for (const auto& [key, item] : object.items()) {
            if (item.is_null()) continue;
            out[key] = item.is_object() ? WithoutNulls(item) : item;
        }
        return out;
    }

    const json& event_;
    std::string error_;
};

// ---------------------------------------------------------------------------------------------------------------
// Actions

std::string_view TypeWords(FieldType type) {
    switch (type) {
    case FieldType::STRING: return "a string";
    case FieldType::INTEGER: return "an integer";
    case FieldType::NUMBER: return "a number";
    case FieldType::BOOLEAN: return "true or false";
    case FieldType::DATETIME: return "a date and time (an ISO 8601 string or a number)";
    case FieldType::OBJECT: return "an object";
    case FieldType::ARRAY: return "an array";
    case FieldType::ANY: return "any value";
    }
    return "?";
}

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// YYYY-MM-DD, optionally followed by T (or a space) and hh:mm, hh:mm:ss or hh:mm:ss.fff..., then optionally Z or
// an offset ±hh:mm, ±hhmm or ±hh.
bool IsIso8601(std::string_view s) {
    int year, month, day;
    if (!Digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
        !Digits(s, 8, 2, day)) {
        return false;
    }
    static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > kDays[static_cast<size_t>(month - 1)] ||
        (month == 2 && day == 29 && !leap)) {
        return false;
    }
    size_t i = 10;
    if (i == s.size()) return true;
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    int hour, minute, second = 0;
    if (!Digits(s, i + 1, 2, hour) || i + 3 >= s.size() || s[i + 3] != ':' || !Digits(s, i + 4, 2, minute)) {
        return false;
    }
    i += 6;
    if (i < s.size() && s[i] == ':') {
        if (!Digits(s, i + 1, 2, second)) return false;
        i += 3;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            size_t start = ++i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
            if (i == start) return false;
        }
    }
    if (hour > 23 || minute > 59 || second > 60) return false;
    if (i == s.size()) return true;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return true;
    if (s[i] != '+' && s[i] != '-') return false;
    int oh, om = 0;
    if (!Digits(s, i + 1, 2, oh)) return false;
    size_t rest = s.size() - (i + 3);
    if (rest == 3 && s[i + 3] == ':') {
        if (!Digits(s, i + 4, 2, om)) return false;
    } else if (rest == 2) {
        if (!Digits(s, i + 3, 2, om)) return false;
    } else if (rest != 0) {
        return false;
    }
    return oh <= 23 && om <= 59;
}

// Whether v fits a field of type `type`; an INTEGER field also takes a float without a fraction.
bool HasType(const json& v, FieldType type) {
    switch (type) {
    case FieldType::STRING: return v.is_string();
    case FieldType::INTEGER: {
        if (v.is_number_integer()) return true;
        if (!v.is_number_float()) return false;
        double d = v.get<double>();
        return std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18;
    }
    case FieldType::NUMBER: return v.is_number();
    case FieldType::BOOLEAN: return v.is_boolean();
    case FieldType::DATETIME: return v.is_number() || (v.is_string() && IsIso8601(v.get_ref<const std::string&>()));
    case FieldType::OBJECT: return v.is_object();
    case FieldType::ARRAY: return v.is_array();
    case FieldType::ANY: return true;
    }
    return false;
}

std::string Described(const json& v) {
    if (v.is_string()) return "the string " + text::Quote(v.get_ref<const std::string&>(), 40);
    return TypeName(v);
}

std::string WrongType(const std::string& field, FieldType type, const json& v) {
    return fmt::format("field {} must be {}, found {}", text::Quote(field), TypeWords(type), Described(v));
}

// A field's value that counts as no value: Segment leaves null and "" out of an action's fields.
bool IsEmpty(const json& v) { return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()); }

std::string Shown(const json& mapping) {
    std::string s = mapping.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 100 ? s.substr(0, 97) + "..." : s;
}

std::string FieldList(const Action& action) {
    std::vector<std::string> names;
    for (const auto& f : action.fields) names.push_back(f.name);
    return Join(names);
}

Program Build(const Action& action, const json& mapping, std::vector<MappingError>& errors) {
    Program program;
    Compiler compiler(errors);
    if (action.fields.empty()) {
        program.free_form = true;
        if (mapping.is_null()) {
            program.pass_through = true;
        } else if (!mapping.is_object()) {
            errors.push_back({"", fmt::format("the mapping of action {} must be an object or null, found {}",
                                              action.name, TypeName(mapping))});
        } else {
            program.root = compiler.Compile(mapping, "", 0);
        }
        return program;
    }
    if (!mapping.is_null() && (!mapping.is_object() || HasDirectiveKey(mapping))) {
        errors.push_back({"", fmt::format("the mapping of action {} must be an object of its fields ({}) or null, "
                                          "found {}",
                                          action.name, FieldList(action),
                                          mapping.is_object() ? "a directive" : TypeName(mapping))});
        return program;
    }
    if (mapping.is_object()) {
        for (const auto& [key, _] : mapping.items()) {
            bool known = std::any_of(action.fields.begin(), action.fields.end(),
                                     [&](const deliver::Field& f) { return f.name == key; });
            if (!known) {
                errors.push_back({JsonPointerToken(key), fmt::format("unknown field {} of action {} (fields: {})",
                                                                     text::Quote(key), action.name,
                                                                     FieldList(action))});
            }
        }
    }
    for (const auto& f : action.fields) {
        std::string ptr = JsonPointerToken(f.name);
        json source;
        if (mapping.is_object() && mapping.contains(f.name)) {
            source = mapping[f.name];
        } else if (!f.default_mapping.empty()) {
            source = json::parse(f.default_mapping, nullptr, false);
            if (source.is_discarded()) {
                errors.push_back({ptr, fmt::format("the default mapping of field {} is not JSON", text::Quote(f.name))});
                continue;
            }
        } else {
            if (f.required) {
                errors.push_back({"", fmt::format("missing required field {} of action {} (it has no default)",
                                                  text::Quote(f.name), action.name)});
            }
            continue;
        }
        Field field{f.name, f.type, f.required, compiler.Compile(source, ptr, 0), Shown(source)};
        if (field.node.kind == Kind::CONSTANT) {
            const json& c = field.node.constant;
            if (IsEmpty(c)) {
                // A constant null or "" leaves an optional field out (it overrides the default).
                if (f.required) {
                    errors.push_back({ptr, fmt::format("required field {} cannot be {}", text::Quote(f.name),
                                                       c.is_null() ? "null" : "empty")});
                }
                continue;
            }
            if (!HasType(c, f.type)) errors.push_back({ptr, WrongType(f.name, f.type, c)});
        }
        program.fields.push_back(std::move(field));
    }
    return program;
}

// The final value of a field or key: a value of the event is moved out of it when the caller gave the event
// away and nothing else in the result overlaps it; otherwise it is copied.
json Place(Value& v, json* owned_event, const std::vector<Value>& all, size_t self) {
    if (owned_event && v.ref && v.in_event && v.from) {
        bool alone = true;
        for (size_t j = 0; j < all.size() && alone; ++j) {
            if (j == self || !all[j].ref || !all[j].in_event) continue;
            alone = all[j].from && !v.from->Overlaps(*all[j].from);
        }
        // The event is the caller's, handed over: the subtree may be taken from it.
        if (alone) return std::move(const_cast<json&>(*v.ref));
    }
    return std::move(v).Take();
}

Result<json> Run(const Program& program, const json& event, json* owned_event) {
    if (program.pass_through) {
        if (owned_event) return std::move(*owned_event);
        return event;
    }
    Evaluator evaluator(event);
    if (program.free_form) {
        const Node& root = program.root;
        if (root.kind == Kind::OBJECT) {
            // Evaluate every key first, so that values of the event can be moved into the result.
            std::vector<Value> values;
            values.reserve(root.operands.size());
            for (const auto& op : root.operands) values.push_back(evaluator.Eval(op, event));
            if (evaluator.failed()) return Fail(ErrorCode::INVALID, evaluator.error());
            json out = json::object();
            for (size_t i = 0; i < values.size(); ++i) {
                if (values[i].defined()) out[root.keys[i]] = Place(values[i], owned_event, values, i);
            }
            return out;
        }
        Value v = evaluator.Eval(root, event);
        if (evaluator.failed()) return Fail(ErrorCode::INVALID, evaluator.error());
        if (!v.defined()) return Fail(ErrorCode::INVALID, "the mapping gave no value; the payload must be an object");
        if (!v.get().is_object()) {
            return Fail(ErrorCode::INVALID, "the mapped payload must be an object, found " + TypeName(v.get()));
        }
        std::vector<Value> none;
        return Place(v, owned_event, none, 0);
    }
    std::vector<Value> values;
    values.reserve(program.fields.size());
    for (const auto& f : program.fields) {
        values.push_back(evaluator.Eval(f.node, event));
        if (evaluator.failed()) {
            return Fail(ErrorCode::INVALID, fmt::format("field {}: {}", text::Quote(f.name), evaluator.error()));
        }
        Value& v = values.back();
        if (!v.defined() || IsEmpty(v.get())) {
            if (f.required) {
                return Fail(ErrorCode::INVALID, fmt::format("required field {} has no value (mapping {})",
                                                            text::Quote(f.name), f.shown));
            }
            v = Value{};
            continue;
        }
        if (!HasType(v.get(), f.type)) return Fail(ErrorCode::INVALID, WrongType(f.name, f.type, v.get()));
    }
    json out = json::object();
    for (size_t i = 0; i < values.size(); ++i) {
        Value& v = values[i];
        if (!v.defined()) continue;
        const Field& f = program.fields[i];
        if (f.type == FieldType::INTEGER && v.get().is_number_float()) {
            out[f.name] = static_cast<int64_t>(v.get().get<double>());
        } else {
            out[f.name] = Place(v, owned_event, values, i);
        }
    }
    return out;
}

} // namespace
} // namespace mapping_detail

using namespace mapping_detail;

std::vector<MappingError> ValidateMapping(const json& mapping) {
    std::vector<MappingError> errors;
    Compiler(errors).Compile(mapping, "", 0);
    return errors;
}

std::optional<json> EvaluateMapping(const json& mapping, const json& payload) {
    std::vector<MappingError> errors;
    Node root = Compiler(errors).Compile(mapping, "", 0);
    if (!errors.empty()) return std::nullopt;
    Evaluator evaluator(payload);
    Value v = evaluator.Eval(root, payload);
    if (evaluator.failed() || !v.defined()) return std::nullopt;
    return std::move(v).Take();
}

std::vector<MappingError> ValidateActionMapping(const Action& action, const json& mapping) {
    std::vector<MappingError> errors;
    Build(action, mapping, errors);
    return errors;
}

Result<CompiledMapping> CompiledMapping::Compile(const Action& action, const json& mapping) {
    std::vector<MappingError> errors;
    auto program = std::make_shared<Program>(Build(action, mapping, errors));
    if (!errors.empty()) {
        std::string message = errors[0].message;
        if (errors.size() > 1) message += fmt::format(" (and {} more problems)", errors.size() - 1);
        return Fail(ErrorCode::INVALID, std::move(message), errors[0].pointer);
    }
    CompiledMapping compiled;
    compiled.program_ = std::move(program);
    return compiled;
}

Result<json> CompiledMapping::Map(const json& event) const { return Run(*program_, event, nullptr); }

Result<json> CompiledMapping::Map(json&& event) const { return Run(*program_, event, &event); }

Result<json> MapEvent(const Action& action, const json& mapping, const json& event) {
    auto compiled = CompiledMapping::Compile(action, mapping);
    if (!compiled) return std::unexpected(compiled.error());
    return compiled->Map(event);
}

} // namespace kith::deliver
