#include "deliver/mapping_program.hpp"

#include "deliver/mapping_text.hpp"

#include <fmt/format.h>

namespace kith::deliver::mapping_detail {

Value Evaluator::Eval(const Node& n, const json& payload) {
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

void Evaluator::Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
}

bool Evaluator::Shallow(const json& v, const char* directive) {
    if (!v.is_structured() || JsonDepth(v, kMaxValueDepth) <= kMaxValueDepth) return true;
    Fail(fmt::format("{}: the value nests deeper than {} levels", directive, kMaxValueDepth));
    return false;
}

Value Evaluator::Found(const json* v, const json& payload, const JsonPath* path) {
    if (!v) return {};
    Value out = Value::Ref(v);
    out.in_event = &payload == &event_;
    if (out.in_event) out.from = path;
    return out;
}

std::optional<std::string> Evaluator::DynamicString(const Node& n, const json& payload, const char* directive) {
    Value v = Eval(n.operands[0], payload);
    if (failed()) return std::nullopt;
    if (!v.defined() || !v.get().is_string()) {
        Fail(fmt::format("{} needs a string, found {}", directive, v.defined() ? TypeName(v.get()) : "undefined"));
        return std::nullopt;
    }
    return v.get().get<std::string>();
}

Value Evaluator::PathValue(const Node& n, const json& payload) {
    if (n.path) return Found(n.path->Find(payload), payload, &*n.path);
    auto text = DynamicString(n, payload, "@path");
    if (!text) return {};
    Value v = Found(JsonPath::Parse(*text).Find(payload), payload, nullptr);
    return v;
}

Value Evaluator::Render(const Node& n, const json& payload) {
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

bool Evaluator::IsBlank(const Value& v) {
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

Value Evaluator::ArrayPath(const Node& n, const json& payload) {
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

Value Evaluator::Merge(const Node& n, const json& payload) {
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

Value Evaluator::JsonCodec(const Node& n, const json& payload) {
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

void Evaluator::Flatten(const json& v, const std::string& prefix, const Node& n, json& out) {
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

json Evaluator::WithoutNulls(const json& object) {
    json out = json::object();
    for (const auto& [key, item] : object.items()) {
        if (item.is_null()) continue;
        out[key] = item.is_object() ? WithoutNulls(item) : item;
    }
    return out;
}

} // namespace kith::deliver::mapping_detail
