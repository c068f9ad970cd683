#include "deliver/filter.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "deliver/json_path.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <string_view>

namespace kith::deliver {

using nlohmann::json;

namespace {

enum class Op {
    EQ,
    NE,
    LT,
    LE,
    GT,
    GE,
    CONTAINS,
    NOT_CONTAINS,
    STARTS_WITH,
    ENDS_WITH,
    IN,
    NOT_IN,
    EXISTS,
    NOT_EXISTS,
};

struct OpName {
    std::string_view name;
    Op op;
};

constexpr std::array<OpName, 14> kOps = {{{"=", Op::EQ},
                                          {"!=", Op::NE},
                                          {"<", Op::LT},
                                          {"<=", Op::LE},
                                          {">", Op::GT},
                                          {">=", Op::GE},
                                          {"contains", Op::CONTAINS},
                                          {"not_contains", Op::NOT_CONTAINS},
                                          {"starts_with", Op::STARTS_WITH},
                                          {"ends_with", Op::ENDS_WITH},
                                          {"in", Op::IN},
                                          {"not_in", Op::NOT_IN},
                                          {"exists", Op::EXISTS},
                                          {"not_exists", Op::NOT_EXISTS}}};

std::string OpList() {
    std::string out;
    for (const auto& o : kOps) out += (out.empty() ? "" : ", ") + std::string(o.name);
    return out;
}

std::string TypeName(const json& v) { return kith::JsonTypeName(v, JsonWords::ARRAY); }

std::string Compact(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

} // namespace

struct DestinationFilter::Condition {
    enum Kind { FIELD, AND, OR };
    Kind kind = FIELD;
    std::string field; // as written, for Describe
    JsonPath path;
    Op op = Op::EQ;
    json value;
    std::vector<Condition> children; // AND, OR
};

namespace {

using Condition = DestinationFilter::Condition;

class FilterParser {
public:
    explicit FilterParser(std::vector<FilterError>& errors) : errors_(errors) {}

    Condition Parse(const json& c, const std::string& ptr, size_t depth) {
        Condition out;
        if (!c.is_object()) {
            Err(ptr, "a condition must be an object, found " + TypeName(c));
            return out;
        }
        if (depth >= kMaxMappingDepth) {
            Err(ptr, fmt::format("the filter nests deeper than {} levels", kMaxMappingDepth));
            return out;
        }
        bool group = c.contains("and") || c.contains("or");
        if (group) {
            const char* key = c.contains("and") ? "and" : "or";
            out.kind = c.contains("and") ? Condition::AND : Condition::OR;
            std::vector<std::string> allowed = {key};
            for (const auto& k : UnknownJsonKeys(c, allowed)) {
                Err(ptr + JsonPointerToken(k), UnknownKeyMessage(k, fmt::format("an \"{}\" condition", key), allowed));
            }
            const json& list = c[key];
            std::string p = ptr + "/" + key;
            if (!list.is_array() || list.empty()) {
                Err(p, fmt::format("\"{}\" must be a non-empty array of conditions, found {}", key,
                                   list.is_array() ? "an empty array" : TypeName(list)));
                return out;
            }
            for (size_t i = 0; i < list.size(); ++i) {
                out.children.push_back(Parse(list[i], fmt::format("{}/{}", p, i), depth + 2));
            }
            return out;
        }
        const std::vector<std::string> allowed = {"field", "operator", "value"};
        for (const auto& k : UnknownJsonKeys(c, allowed)) {
            Err(ptr + JsonPointerToken(k), UnknownKeyMessage(k, "a condition", allowed) +
                                               " (or a group: {\"and\": [...]} or {\"or\": [...]})");
        }
        if (!c.contains("field")) {
            Err(ptr, "missing \"field\"");
        } else if (!c["field"].is_string() || c["field"].get_ref<const std::string&>().empty()) {
            Err(ptr + "/field", "\"field\" must be a path such as \"properties.plan\", found " +
                                    (c["field"].is_string() ? "an empty string" : TypeName(c["field"])));
        } else {
            out.field = c["field"].get<std::string>();
            out.path = JsonPath::Parse(out.field);
        }
        if (!c.contains("operator")) {
            Err(ptr, "missing \"operator\"");
            return out;
        }
        const json& o = c["operator"];
        auto found = std::find_if(kOps.begin(), kOps.end(), [&](const OpName& n) {
            return o.is_string() && o.get_ref<const std::string&>() == n.name;
        });
        if (found == kOps.end()) {
            Err(ptr + "/operator", fmt::format("unknown operator {} (expected {})",
                                               o.is_string() ? text::Quote(o.get<std::string>()) : TypeName(o),
                                               OpList()));
            return out;
        }
        out.op = found->op;
        std::string name(found->name);
        bool takes_value = out.op != Op::EXISTS && out.op != Op::NOT_EXISTS;
        if (!takes_value) {
            if (c.contains("value")) Err(ptr + "/value", fmt::format("operator {} takes no value", name));
            return out;
        }
        if (!c.contains("value")) {
            Err(ptr, fmt::format("missing \"value\" (operator {} compares with it)", name));
            return out;
        }
        const json& v = c["value"];
        std::string p = ptr + "/value";
        switch (out.op) {
        case Op::LT:
        case Op::LE:
        case Op::GT:
        case Op::GE:
            if (!v.is_number() && !v.is_string()) {
                Err(p, fmt::format("the value of {} must be a number or a string, found {}", name, TypeName(v)));
            }
            break;
        case Op::CONTAINS:
        case Op::NOT_CONTAINS:
        case Op::STARTS_WITH:
        case Op::ENDS_WITH:
            if (!v.is_string()) Err(p, fmt::format("the value of {} must be a string, found {}", name, TypeName(v)));
            break;
        case Op::IN:
        case Op::NOT_IN:
            if (!v.is_array()) Err(p, fmt::format("the value of {} must be an array, found {}", name, TypeName(v)));
            break;
        default: break;
        }
        if (v.is_structured() && JsonDepth(v) >= kMaxMappingDepth - depth) {
            Err(p, fmt::format("the filter nests deeper than {} levels", kMaxMappingDepth));
        }
        out.value = v;
        return out;
    }

private:
    static size_t JsonDepth(const json& v) {
        size_t deepest = 0;
        if (v.is_structured()) {
            for (const auto& item : v) {
                deepest = std::max(deepest, JsonDepth(item));
                if (deepest > kMaxMappingDepth) break;
            }
        }
        return v.is_structured() ? deepest + 1 : 0;
    }

    void Err(const std::string& ptr, std::string message) { errors_.push_back(FilterError{ptr, std::move(message)}); }

    std::vector<FilterError>& errors_;
};

// Parses a whole filter; keep tells whether it is a "keep" filter.
Condition ParseFilter(const json& filter, std::vector<FilterError>& errors, bool& keep) {
    if (!filter.is_object()) {
        errors.push_back({"", "a filter must be an object, {\"keep\": condition} or {\"drop\": condition}, found " +
                                  TypeName(filter)});
        return {};
    }
    const std::vector<std::string> allowed = {"keep", "drop"};
    for (const auto& k : UnknownJsonKeys(filter, allowed)) {
        errors.push_back({JsonPointerToken(k), UnknownKeyMessage(k, "a filter", allowed)});
    }
    bool has_keep = filter.contains("keep"), has_drop = filter.contains("drop");
    if (has_keep == has_drop) {
        errors.push_back({"", has_keep ? "a filter has \"keep\" or \"drop\", not both"
                                       : "a filter needs \"keep\" (send only the events matching its condition) or "
                                         "\"drop\" (send all but those)"});
        return {};
    }
    keep = has_keep;
    const char* key = keep ? "keep" : "drop";
    FilterParser parser(errors);
    return parser.Parse(filter[key], std::string("/") + key, 1);
}

// The events' value and the condition's: numbers by value, strings bytewise; other pairs are not ordered.
bool Ordered(const json& a, const json& b) {
    return (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
}

bool Matches(const Condition& c, const json& payload) {
    switch (c.kind) {
    case Condition::AND:
        return std::all_of(c.children.begin(), c.children.end(),
                           [&](const Condition& x) { return Matches(x, payload); });
    case Condition::OR:
        return std::any_of(c.children.begin(), c.children.end(),
                           [&](const Condition& x) { return Matches(x, payload); });
    case Condition::FIELD: break;
    }
    const json* v = c.path.Find(payload);
    auto is_in = [&] {
        return v && std::any_of(c.value.begin(), c.value.end(), [&](const json& item) { return item == *v; });
    };
    auto contains = [&] {
        if (!v) return false;
        if (v->is_string()) {
            return v->get_ref<const std::string&>().find(c.value.get_ref<const std::string&>()) != std::string::npos;
        }
        return v->is_array() && std::any_of(v->begin(), v->end(), [&](const json& item) { return item == c.value; });
    };
    auto string_field = [&] {
        return v && v->is_string() ? std::string_view(v->get_ref<const std::string&>()) : std::string_view();
    };
    switch (c.op) {
    case Op::EQ: return v && *v == c.value;
    case Op::NE: return !(v && *v == c.value);
    case Op::LT: return v && Ordered(*v, c.value) && *v < c.value;
    case Op::LE: return v && Ordered(*v, c.value) && *v <= c.value;
    case Op::GT: return v && Ordered(*v, c.value) && *v > c.value;
    case Op::GE: return v && Ordered(*v, c.value) && *v >= c.value;
    case Op::CONTAINS: return contains();
    case Op::NOT_CONTAINS: return !contains();
    case Op::STARTS_WITH:
        return v && v->is_string() && string_field().starts_with(c.value.get_ref<const std::string&>());
    case Op::ENDS_WITH: return v && v->is_string() && string_field().ends_with(c.value.get_ref<const std::string&>());
    case Op::IN: return is_in();
    case Op::NOT_IN: return !is_in();
    case Op::EXISTS: return v && !v->is_null();
    case Op::NOT_EXISTS: return !(v && !v->is_null());
    }
    return false;
}

std::string DescribeCondition(const Condition& c, bool nested) {
    if (c.kind != Condition::FIELD) {
        std::string out;
        for (const auto& child : c.children) {
            if (!out.empty()) out += c.kind == Condition::AND ? " and " : " or ";
            out += DescribeCondition(child, true);
        }
        return nested && c.children.size() > 1 ? "(" + out + ")" : out;
    }
    auto name = std::find_if(kOps.begin(), kOps.end(), [&](const OpName& n) { return n.op == c.op; })->name;
    if (c.op == Op::EXISTS || c.op == Op::NOT_EXISTS) return fmt::format("{} {}", c.field, name);
    return fmt::format("{} {} {}", c.field, name, Compact(c.value));
}

} // namespace

std::vector<FilterError> ValidateFilter(const json& filter) {
    std::vector<FilterError> errors;
    bool keep = true;
    ParseFilter(filter, errors, keep);
    return errors;
}

Result<DestinationFilter> DestinationFilter::Compile(const json& filter) {
    std::vector<FilterError> errors;
    bool keep = true;
    Condition condition = ParseFilter(filter, errors, keep);
    if (!errors.empty()) {
        std::string message = errors[0].message;
        if (errors.size() > 1) message += fmt::format(" (and {} more problems)", errors.size() - 1);
        return Fail(ErrorCode::INVALID, std::move(message), errors[0].pointer);
    }
    DestinationFilter out;
    out.keep_ = keep;
    out.description_ = fmt::format("destination filter: {} {}", keep ? "keep only when" : "drop when",
                                   DescribeCondition(condition, false));
    out.condition_ = std::make_shared<const Condition>(std::move(condition));
    return out;
}

bool DestinationFilter::Keeps(const json& payload) const {
    return !condition_ || Matches(*condition_, payload) == keep_;
}

std::string DestinationFilter::Describe() const { return description_; }

} // namespace kith::deliver
