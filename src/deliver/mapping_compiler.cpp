#include "deliver/mapping_program.hpp"

#include "common/json.hpp"
#include "common/text.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace kith::deliver::mapping_detail {

Template Template::Parse(std::string_view s) {
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

namespace {

bool IsDirectiveKey(const std::string& key) { return !key.empty() && key[0] == '@'; }

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
            Err(p + JsonPointerToken(key),
                fmt::format("\"{}\" must be true or false, found {}", key, TypeName(v[key])));
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
                Err(p + "/" + key,
                    fmt::format("\"{}\" must be an object or a directive, found {}", key, TypeName(v[key])));
                ok = false;
                continue;
            }
            n.operands.push_back(Compile(v[key], p + "/" + key, depth + 1));
        }
        return ok ? n : Node{};
    }

    std::vector<MappingError>& errors_;
};

} // namespace

std::string TypeName(const json& v) { return kith::JsonTypeName(v, JsonWords::ARRAY); }

bool HasDirectiveKey(const json& v) {
    if (!v.is_object()) return false;
    for (const auto& [key, _] : v.items()) {
        if (IsDirectiveKey(key)) return true;
    }
    return false;
}

Node Compile(const json& m, const std::string& ptr, size_t depth, std::vector<MappingError>& errors) {
    return Compiler(errors).Compile(m, ptr, depth);
}

} // namespace kith::deliver::mapping_detail
