#include "deliver/mapping.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "deliver/datetime.hpp"
#include "deliver/mapping_program.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace kith::deliver {

using nlohmann::json;

namespace mapping_detail {
namespace {

std::string Join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

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
    case FieldType::DATETIME: return v.is_number() || (v.is_string() && ParseIsoDatetime(v.get_ref<const std::string&>()));
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
    if (action.fields.empty()) {
        program.free_form = true;
        if (mapping.is_null()) {
            program.pass_through = true;
        } else if (!mapping.is_object()) {
            errors.push_back({"", fmt::format("the mapping of action {} must be an object or null, found {}",
                                              action.name, TypeName(mapping))});
        } else {
            program.root = Compile(mapping, "", 0, errors);
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
                                     [&](const Field& f) { return f.name == key; });
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
                errors.push_back(
                    {ptr, fmt::format("the default mapping of field {} is not JSON", text::Quote(f.name))});
                continue;
            }
        } else {
            if (f.required) {
                errors.push_back({"", fmt::format("missing required field {} of action {} (it has no default)",
                                                  text::Quote(f.name), action.name)});
            }
            continue;
        }
        CompiledField field{f.name, f.type, f.required, Compile(source, ptr, 0, errors), Shown(source)};
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
        const CompiledField& f = program.fields[i];
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
    Compile(mapping, "", 0, errors);
    return errors;
}

std::optional<json> EvaluateMapping(const json& mapping, const json& payload) {
    std::vector<MappingError> errors;
    Node root = Compile(mapping, "", 0, errors);
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

Result<json> CompiledMapping::Map(const json& event) const {
    if (!program_) return Fail(ErrorCode::INTERNAL, "a mapping used before it was compiled");
    return Run(*program_, event, nullptr);
}

Result<json> CompiledMapping::Map(json&& event) const {
    if (!program_) return Fail(ErrorCode::INTERNAL, "a mapping used before it was compiled");
    return Run(*program_, event, &event);
}

Result<json> MapEvent(const Action& action, const json& mapping, const json& event) {
    auto compiled = CompiledMapping::Compile(action, mapping);
    if (!compiled) return std::unexpected(compiled.error());
    return compiled->Map(event);
}

} // namespace kith::deliver
