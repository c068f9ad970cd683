#include "audience/parser.hpp"

#include "audience/typed_text.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

namespace kith::audience {

using Json = nlohmann::ordered_json;

std::string AudienceError::ToString() const { return file + ":" + pointer + ": " + message; }

namespace {

std::string Idx(size_t i) { return "/" + std::to_string(i); }

std::string TypeWord(DataType t) {
    switch (t) {
    case DataType::NUMBER:
        return "number";
    case DataType::STRING:
        return "string";
    case DataType::BOOLEAN:
        return "boolean";
    case DataType::DATE:
        return "date";
    case DataType::TIME:
        return "time";
    case DataType::TIMESTAMP:
        return "timestamp";
    case DataType::OTHER:
        return "other";
    }
    return "other";
}

const std::vector<std::pair<std::string_view, Op>>& OpNames() {
    static const std::vector<std::pair<std::string_view, Op>> ops = {
        {"equals", Op::EQUALS},
        {"not_equals", Op::NOT_EQUALS},
        {"contains", Op::CONTAINS},
        {"not_contains", Op::NOT_CONTAINS},
        {"starts_with", Op::STARTS_WITH},
        {"ends_with", Op::ENDS_WITH},
        {"less_than", Op::LESS_THAN},
        {"greater_than", Op::GREATER_THAN},
        {"less_than_or_equal", Op::LESS_THAN_OR_EQUAL},
        {"greater_than_or_equal", Op::GREATER_THAN_OR_EQUAL},
        {"one_of", Op::ONE_OF},
        {"not_one_of", Op::NOT_ONE_OF},
        {"exists", Op::EXISTS},
        {"not_exists", Op::NOT_EXISTS},
    };
    return ops;
}

bool OpAllowed(DataType t, Op op) {
    switch (op) {
    case Op::EQUALS:
    case Op::NOT_EQUALS:
    case Op::EXISTS:
    case Op::NOT_EXISTS:
        return true;
    case Op::CONTAINS:
    case Op::NOT_CONTAINS:
    case Op::STARTS_WITH:
    case Op::ENDS_WITH:
        return t == DataType::STRING;
    case Op::LESS_THAN:
    case Op::GREATER_THAN:
    case Op::LESS_THAN_OR_EQUAL:
    case Op::GREATER_THAN_OR_EQUAL:
        return t == DataType::NUMBER || t == DataType::DATE || t == DataType::TIME || t == DataType::TIMESTAMP;
    case Op::ONE_OF:
    case Op::NOT_ONE_OF:
        return t != DataType::BOOLEAN;
    }
    return false;
}

std::string AllowedOps(DataType t) {
    std::string out;
    for (const auto& [name, op] : OpNames()) {
        if (!OpAllowed(t, op)) continue;
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

// Plain decimal text of a finite double ("1e-07" -> "0.0000001").
std::string PlainDecimal(double v) {
    std::string s = fmt::format("{}", v);
    size_t e = s.find_first_of("eE");
    if (e == std::string::npos) return s;
    std::string mant = s.substr(0, e);
    int exp = std::stoi(s.substr(e + 1));
    bool neg = !mant.empty() && mant[0] == '-';
    if (neg) mant.erase(0, 1);
    size_t dot = mant.find('.');
    std::string digits = dot == std::string::npos ? mant : mant.substr(0, dot) + mant.substr(dot + 1);
    int point = static_cast<int>(dot == std::string::npos ? mant.size() : dot) + exp;
    std::string out;
    if (point <= 0) {
        out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
        out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
    } else {
        out = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    return (neg ? "-" : "") + out;
}

class Parser {
public:
    Parser(ParseContext& ctx, std::string file, std::map<std::string, std::shared_ptr<const Audience>>& cache,
           std::vector<std::string>& stack, ParseFailure& failure)
        : ctx_(ctx), file_(std::move(file)), cache_(cache), stack_(stack), failure_(failure) {}

    std::optional<Audience> Parse(std::string_view text) {
        Json root;
        try {
            root = Json::parse(text.begin(), text.end());
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            size_t colon = what.find(": ");
            Err(LineColumn(text, e.byte), "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2)));
            return std::nullopt;
        } catch (const Json::exception& e) {
            // Such as a number too large to hold; the library gives no position for it.
            std::string what = e.what();
            size_t bracket = what.find("] ");
            Err("/", "invalid JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
            return std::nullopt;
        }
        Audience a;
        size_t before = failure_.errors.size();
        AudienceRoot(root, a);
        if (failure_.errors.size() != before || failure_.fatal) return std::nullopt;
        return a;
    }

private:
    void Err(const std::string& pointer, std::string message) {
        failure_.errors.push_back(AudienceError{file_, pointer.empty() ? "/" : pointer, std::move(message)});
    }

    static std::string LineColumn(std::string_view text, size_t byte) {
        int line = 1, col = 1;
        for (size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
                ++col;
            }
        }
        return std::to_string(line) + ":" + std::to_string(col);
    }

    // Reports keys of obj outside `allowed`; false when obj is not an object.
    bool Object(const Json& j, const std::string& ptr, std::initializer_list<std::string_view> allowed, const std::string& what) {
        if (!j.is_object()) {
            Err(ptr, what + " must be an object, found " + JsonTypeName(j));
            return false;
        }
        for (const auto& key : UnknownJsonKeys(j, allowed)) Err(ptr + JsonPointerToken(key), UnknownKeyMessage(key, what, allowed));
        return true;
    }

    // A required, non-empty string member without NUL bytes.
    std::optional<std::string> Name(const Json& obj, const char* key, const std::string& ptr, bool required = true) {
        if (!obj.contains(key)) {
            if (required) Err(ptr, std::string("missing \"") + key + "\"");
            return std::nullopt;
        }
        const Json& v = obj[key];
        std::string p = ptr + "/" + key;
        if (!v.is_string()) {
            Err(p, std::string("\"") + key + "\" must be a string, found " + JsonTypeName(v));
            return std::nullopt;
        }
        std::string s = v.get<std::string>();
        if (s.empty()) {
            Err(p, std::string("\"") + key + "\" must not be empty");
            return std::nullopt;
        }
        if (s.find('\0') != std::string::npos) {
            Err(p, std::string("\"") + key + "\" must not contain the NUL character");
            return std::nullopt;
        }
        return s;
    }

    std::optional<Logic> Operator(const Json& obj, const char* key, const std::string& ptr) {
        if (!obj.contains(key)) return Logic::AND;
        const Json& v = obj[key];
        if (v == "and") return Logic::AND;
        if (v == "or") return Logic::OR;
        Err(ptr + "/" + key, std::string("\"") + key + "\" must be \"and\" or \"or\", found " + v.dump());
        return std::nullopt;
    }

    void AudienceRoot(const Json& j, Audience& a) {
        if (!Object(j, "", {"key", "groups_operator", "groups"}, "an audience")) return;
        if (j.contains("key")) {
            if (auto k = Name(j, "key", "")) a.key = *k;
        }
        if (auto op = Operator(j, "groups_operator", "")) a.groups_op = *op;
        if (!j.contains("groups")) {
            Err("", "missing \"groups\": an audience needs at least one group");
            return;
        }
        const Json& groups = j["groups"];
        if (!groups.is_array() || groups.empty()) {
            Err("/groups", "\"groups\" must be a non-empty list of groups");
            return;
        }
        for (size_t i = 0; i < groups.size(); ++i) {
            std::string gp = "/groups" + Idx(i);
            const Json& g = groups[i];
            if (!Object(g, gp, {"operator", "conditions"}, "a group")) continue;
            Group group;
            if (auto op = Operator(g, "operator", gp)) group.op = *op;
            if (!g.contains("conditions") || !g["conditions"].is_array() || g["conditions"].empty()) {
                Err(g.contains("conditions") ? gp + "/conditions" : gp, "a group needs a non-empty list of \"conditions\"");
                continue;
            }
            const Json& cs = g["conditions"];
            for (size_t c = 0; c < cs.size(); ++c) {
                if (auto cond = ParseCondition(cs[c], gp + "/conditions" + Idx(c), -1)) group.conditions.push_back(std::move(*cond));
            }
            a.groups.push_back(std::move(group));
        }
    }

    // parent: -1 for a condition directly in a group, else the relationship index of the parent entity condition.
    std::optional<Condition> ParseCondition(const Json& j, const std::string& ptr, int parent) {
        if (!j.is_object()) {
            Err(ptr, "a condition must be an object, found " + JsonTypeName(j));
            return std::nullopt;
        }
        Condition c;
        c.pointer = ptr;
        if (!j.contains("type") || !j["type"].is_string()) {
            Err(j.contains("type") ? ptr + "/type" : ptr, "a condition needs \"type\": \"trait\", \"audience\", \"event\" or \"entity\"");
            return std::nullopt;
        }
        std::string type = j["type"].get<std::string>();
        if (parent >= 0 && type != "entity") {
            Err(ptr + "/type", "children of an entity condition must be entity conditions, found " + text::Quote(type));
            return std::nullopt;
        }
        bool ok = true;
        if (type == "trait") {
            c.kind = Condition::Kind::TRAIT;
            ok = Object(j, ptr, {"type", "trait", "filter", "without"}, "a trait condition");
            auto name = Name(j, "trait", ptr);
            if (name) c.trait = *name;
            ok = ok && name;
            if (j.contains("filter")) {
                c.filter = ParseFilter(j["filter"], ptr + "/filter", Filter::Target::TRAIT, c.trait, nullptr);
                ok = ok && c.filter;
            }
        } else if (type == "audience") {
            c.kind = Condition::Kind::AUDIENCE;
            ok = Object(j, ptr, {"type", "audience", "without"}, "an audience condition");
            auto key = Name(j, "audience", ptr);
            if (key) {
                c.audience_key = *key;
                c.audience = Reference(*key, ptr + "/audience");
                ok = ok && c.audience;
            } else {
                ok = false;
            }
        } else if (type == "event") {
            c.kind = Condition::Kind::EVENT;
            ok = Object(j, ptr, {"type", "event", "count", "window", "where", "without"}, "an event condition");
            ok = Event(j, ptr, c) && ok;
        } else if (type == "entity") {
            c.kind = Condition::Kind::ENTITY;
            ok = Object(j, ptr, {"type", "relationship", "count", "where", "children", "without"}, "an entity condition");
            ok = Entity(j, ptr, parent, c) && ok;
        } else {
            Err(ptr + "/type", "unknown condition type " + text::Quote(type) + " (expected trait, audience, event or entity)");
            return std::nullopt;
        }
        if (j.contains("without")) {
            if (!j["without"].is_boolean()) {
                Err(ptr + "/without", "\"without\" must be true or false");
                ok = false;
            } else {
                c.without = j["without"].get<bool>();
            }
        }
        if (c.kind == Condition::Kind::EVENT || c.kind == Condition::Kind::ENTITY) {
            if (j.contains("count")) ok = ParseCount(j["count"], ptr + "/count", c.count) && ok;
        }
        if (!ok) return std::nullopt;
        return c;
    }

    bool ParseCount(const Json& j, const std::string& ptr, Count& count) {
        if (!Object(j, ptr, {"op", "value"}, "a count")) return false;
        bool ok = true;
        if (!j.contains("op")) {
            Err(ptr, "missing \"op\": at_least, exactly or at_most");
            ok = false;
        } else if (j["op"] == "at_least") {
            count.op = CountOp::AT_LEAST;
        } else if (j["op"] == "exactly") {
            count.op = CountOp::EXACTLY;
        } else if (j["op"] == "at_most") {
            count.op = CountOp::AT_MOST;
        } else {
            Err(ptr + "/op", "count \"op\" must be at_least, exactly or at_most, found " + j["op"].dump());
            ok = false;
        }
        if (!j.contains("value")) {
            Err(ptr, "missing \"value\"");
            return false;
        }
        const Json& v = j["value"];
        if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > 1000000000ULL) ||
            (!v.is_number_unsigned() && v.get<int64_t>() > 1000000000LL)) {
            Err(ptr + "/value", "count \"value\" must be a whole number up to 1000000000, found " + v.dump());
            return false;
        }
        count.value = v.get<int64_t>();
        if (count.value < 0) {
            Err(ptr + "/value", "count \"value\" must not be negative");
            return false;
        }
        if (ok && count.op == CountOp::AT_LEAST && count.value < 1) {
            Err(ptr + "/value", "at_least needs a value of 1 or more (at_least 0 always holds)");
            return false;
        }
        return ok;
    }

    bool Event(const Json& j, const std::string& ptr, Condition& c) {
        auto name = Name(j, "event", ptr);
        if (!name) return false;
        c.event = *name;
        c.event_table = graph::EventTableName(*name);
        bool ok = true;
        const std::vector<schema::Column>* columns = nullptr;
        if (c.event_table.empty()) {
            Err(ptr + "/event", "event name " + text::Quote(*name) + " has no letters or digits, so it names no table");
            ok = false;
        } else if (ctx_.catalog) {
            auto cols = Columns(ctx_.graph.ProfileTable(c.event_table));
            if (!cols) return false;
            if (!**cols) {
                Err(ptr + "/event", "event " + text::Quote(*name) + " has no table " +
                                        text::Quote(ctx_.graph.ProfileTable(c.event_table).ToString()) + " in the warehouse");
                ok = false;
            } else {
                columns = &***cols;
            }
        }
        if (j.contains("window")) ok = ParseWindow(j["window"], ptr + "/window", c.window) && ok;
        if (j.contains("where")) {
            c.where = ParseWhere(j["where"], ptr + "/where", Filter::Target::PROPERTY, columns);
            ok = ok && c.where;
        }
        return ok;
    }

    bool ParseWindow(const Json& j, const std::string& ptr, Window& w) {
        if (!Object(j, ptr, {"within", "more_than_ago", "between"}, "a window")) return false;
        if (j.size() != 1) {
            Err(ptr, "a window holds exactly one of within, more_than_ago or between");
            return false;
        }
        auto [key, v] = *j.items().begin();
        std::string p = ptr + "/" + key;
        if (key == "between") {
            if (!Object(v, p, {"from", "to"}, "between")) return false;
            std::optional<int64_t> from, to;
            for (const char* k : {"from", "to"}) {
                if (!v.contains(k) || !v[k].is_string()) {
                    Err(v.contains(k) ? p + "/" + k : p, std::string("\"") + k + "\" must be an ISO 8601 timestamp string");
                    continue;
                }
                std::string s = v[k].get<std::string>();
                std::optional<int64_t> t = ParseTimestamp(s);
                if (!t) {
                    if (auto d = ParseDate(s)) t = *d * 86400LL * 1000000LL;
                }
                if (!t) {
                    Err(p + "/" + k, "not an ISO 8601 timestamp: " + text::Quote(s) +
                                         " (expected YYYY-MM-DD[THH:MM:SS[.ffffff]][Z|+HH:MM])");
                    continue;
                }
                (std::string(k) == "from" ? from : to) = t;
            }
            if (!from || !to) return false;
            if (*from >= *to) {
                Err(p + "/to", "\"to\" must be after \"from\"");
                return false;
            }
            w.kind = Window::Kind::BETWEEN;
            w.from_micros = *from;
            w.to_micros = *to;
            return true;
        }
        w.kind = key == "within" ? Window::Kind::WITHIN : Window::Kind::MORE_THAN_AGO;
        if (!Object(v, p, {"value", "unit"}, key)) return false;
        bool ok = true;
        if (!v.contains("value") || !v["value"].is_number_integer() || v["value"].get<int64_t>() < 1) {
            Err(v.contains("value") ? p + "/value" : p, "\"value\" must be a whole number of 1 or more");
            ok = false;
        } else {
            w.value = v["value"].get<int64_t>();
        }
        static const std::vector<std::pair<std::string_view, TimeUnit>> units = {
            {"minutes", TimeUnit::MINUTES}, {"hours", TimeUnit::HOURS}, {"days", TimeUnit::DAYS}, {"weeks", TimeUnit::WEEKS}};
        bool unit_ok = false;
        if (v.contains("unit") && v["unit"].is_string()) {
            for (const auto& [name, unit] : units) {
                if (v["unit"] == name) {
                    w.unit = unit;
                    unit_ok = true;
                }
            }
        }
        if (!unit_ok) {
            Err(v.contains("unit") ? p + "/unit" : p, "\"unit\" must be minutes, hours, days or weeks");
            ok = false;
        }
        static const std::map<TimeUnit, int64_t> max_value = {
            {TimeUnit::MINUTES, 36600LL * 1440}, {TimeUnit::HOURS, 36600LL * 24}, {TimeUnit::DAYS, 36600}, {TimeUnit::WEEKS, 36600 / 7}};
        if (ok && w.value > max_value.at(w.unit)) {
            Err(p + "/value", "a window may span at most 100 years");
            ok = false;
        }
        return ok;
    }

    bool Entity(const Json& j, const std::string& ptr, int parent, Condition& c) {
        auto slug = Name(j, "relationship", ptr);
        if (!slug) return false;
        c.relationship_slug = *slug;
        int index = ctx_.graph.RelationshipIndex(*slug);
        if (index < 0) {
            Err(ptr + "/relationship", "the data graph has no relationship " + text::Quote(*slug));
            return false;
        }
        const graph::Relationship& r = ctx_.graph.relationships[static_cast<size_t>(index)];
        if (parent < 0 && r.parent >= 0) {
            Err(ptr + "/relationship", "relationship " + text::Quote(*slug) + " is nested under " +
                                           text::Quote(ctx_.graph.relationships[static_cast<size_t>(r.parent)].slug) +
                                           "; a condition directly in a group names a first-level relationship");
            return false;
        }
        if (parent >= 0 && r.parent != parent) {
            Err(ptr + "/relationship", "relationship " + text::Quote(*slug) + " is not nested directly under " +
                                           text::Quote(ctx_.graph.relationships[static_cast<size_t>(parent)].slug) +
                                           " in the data graph");
            return false;
        }
        c.relationship = index;
        bool ok = true;
        const std::vector<schema::Column>* columns = nullptr;
        if (ctx_.catalog) {
            const graph::Entity& e = ctx_.graph.EntityOf(r);
            auto cols = Columns(e.table);
            if (!cols) return false;
            if (!**cols) {
                Err(ptr + "/relationship", "the table " + text::Quote(e.table.ToString()) + " of entity " +
                                               text::Quote(e.slug) + " does not exist in the warehouse");
                return false;
            }
            columns = &***cols;
        }
        if (j.contains("where")) {
            current_relationship_ = index;
            c.where = ParseWhere(j["where"], ptr + "/where", Filter::Target::COLUMN, columns);
            ok = ok && c.where;
        }
        if (j.contains("children")) {
            const Json& ch = j["children"];
            std::string cp = ptr + "/children";
            if (!Object(ch, cp, {"operator", "conditions"}, "children")) return false;
            if (auto op = Operator(ch, "operator", cp)) c.children_op = *op;
            if (!ch.contains("conditions") || !ch["conditions"].is_array() || ch["conditions"].empty()) {
                Err(ch.contains("conditions") ? cp + "/conditions" : cp, "children need a non-empty list of \"conditions\"");
                return false;
            }
            if (r.depth >= graph::kMaxDepth) {
                Err(cp, "relationship " + text::Quote(*slug) + " is at the deepest level of the graph; it has no children");
                return false;
            }
            const Json& cs = ch["conditions"];
            for (size_t i = 0; i < cs.size(); ++i) {
                auto child = ParseCondition(cs[i], cp + "/conditions" + Idx(i), index);
                if (child) {
                    c.children.push_back(std::move(*child));
                } else {
                    ok = false;
                }
            }
        }
        return ok;
    }

    // nullptr when there is no catalog; a failure of the warehouse is fatal.
    std::optional<const std::optional<std::vector<schema::Column>>*> Columns(const schema::TableName& t) {
        std::string key = t.database + "\x1f" + t.schema + "\x1f" + t.table;
        auto it = columns_.find(key);
        if (it == columns_.end()) {
            auto cols = ctx_.catalog->Columns(t);
            if (!cols) {
                if (!failure_.fatal) failure_.fatal = cols.error();
                return std::nullopt;
            }
            it = columns_.emplace(key, *cols).first;
        }
        return &it->second;
    }

    std::optional<Where> ParseWhere(const Json& j, const std::string& ptr, Filter::Target target,
                                    const std::vector<schema::Column>* columns) {
        if (!Object(j, ptr, {"operator", "filters"}, "where")) return std::nullopt;
        Where w;
        bool ok = true;
        if (auto op = Operator(j, "operator", ptr)) {
            w.op = *op;
        } else {
            ok = false;
        }
        if (!j.contains("filters") || !j["filters"].is_array() || j["filters"].empty()) {
            Err(j.contains("filters") ? ptr + "/filters" : ptr, "where needs a non-empty list of \"filters\"");
            return std::nullopt;
        }
        const Json& fs = j["filters"];
        for (size_t i = 0; i < fs.size(); ++i) {
            auto f = ParseFilter(fs[i], ptr + "/filters" + Idx(i), target, "", columns);
            if (f) {
                w.filters.push_back(std::move(*f));
            } else {
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
        return w;
    }

    // target: TRAIT for a trait condition's filter (trait = its name), COLUMN for entity filters,
    // PROPERTY for event filters (which may name a property or a context key).
    std::optional<Filter> ParseFilter(const Json& j, const std::string& ptr, Filter::Target target, const std::string& trait,
                                      const std::vector<schema::Column>* columns) {
        Filter f;
        f.pointer = ptr;
        bool ok = true;
        if (target == Filter::Target::TRAIT) {
            if (!Object(j, ptr, {"op", "value", "type"}, "a trait filter")) return std::nullopt;
            f.target = Filter::Target::TRAIT;
            f.name = trait;
        } else if (target == Filter::Target::COLUMN) {
            if (!Object(j, ptr, {"column", "op", "value", "ref"}, "an entity filter")) return std::nullopt;
            f.target = Filter::Target::COLUMN;
            auto name = Name(j, "column", ptr);
            if (!name) return std::nullopt;
            f.name = *name;
        } else {
            if (!Object(j, ptr, {"property", "context", "op", "value", "ref"}, "an event filter")) return std::nullopt;
            if (j.contains("property") == j.contains("context")) {
                Err(ptr, "an event filter names exactly one of \"property\" or \"context\"");
                return std::nullopt;
            }
            if (j.contains("property")) {
                auto name = Name(j, "property", ptr);
                if (!name) return std::nullopt;
                if (*name == "id" || *name == "segment_id" || *name == "timestamp") {
                    Err(ptr + "/property", "property " + text::Quote(*name) + " is not filterable (id, segment_id and timestamp are kith's)");
                    return std::nullopt;
                }
                f.target = Filter::Target::PROPERTY;
                f.name = *name;
            } else {
                auto name = Name(j, "context", ptr);
                if (!name) return std::nullopt;
                f.target = Filter::Target::CONTEXT;
                f.name = "context_" + *name;
            }
        }
        // The operator.
        if (!j.contains("op") || !j["op"].is_string()) {
            Err(j.contains("op") ? ptr + "/op" : ptr, "a filter needs \"op\"");
            return std::nullopt;
        }
        std::string op_name = j["op"].get<std::string>();
        auto op_it = std::find_if(OpNames().begin(), OpNames().end(), [&](const auto& p) { return p.first == op_name; });
        if (op_it == OpNames().end()) {
            Err(ptr + "/op", "unknown operator " + text::Quote(op_name));
            return std::nullopt;
        }
        f.op = op_it->second;
        bool has_value = j.contains("value"), has_ref = j.contains("ref");
        bool list_op = f.op == Op::ONE_OF || f.op == Op::NOT_ONE_OF;
        bool no_operand = f.op == Op::EXISTS || f.op == Op::NOT_EXISTS;
        if (has_value && has_ref) {
            Err(ptr + "/ref", "a filter holds \"value\" or \"ref\", never both");
            return std::nullopt;
        }
        if (no_operand && (has_value || has_ref)) {
            Err(ptr + (has_value ? "/value" : "/ref"), op_name + " takes no value");
            return std::nullopt;
        }
        if (!no_operand && !has_value && !has_ref) {
            Err(ptr, op_name + " needs a \"value\"" + (target == Filter::Target::TRAIT ? "" : " or a \"ref\""));
            return std::nullopt;
        }
        if (has_ref && target == Filter::Target::TRAIT) return std::nullopt; // reported as an unknown key
        if (has_ref && list_op) {
            Err(ptr + "/ref", op_name + " takes a list of values, not a ref");
            return std::nullopt;
        }
        // The data type.
        if (target == Filter::Target::TRAIT) {
            if (j.contains("type")) {
                static const std::vector<std::pair<std::string_view, DataType>> types = {
                    {"number", DataType::NUMBER}, {"string", DataType::STRING}, {"boolean", DataType::BOOLEAN},
                    {"date", DataType::DATE},     {"time", DataType::TIME},     {"timestamp", DataType::TIMESTAMP}};
                auto t = std::find_if(types.begin(), types.end(), [&](const auto& p) { return j["type"] == p.first; });
                if (t == types.end()) {
                    Err(ptr + "/type", "\"type\" must be number, string, boolean, date, time or timestamp");
                    return std::nullopt;
                }
                f.type = t->second;
            } else {
                f.type = JsonDataType(has_value ? j["value"] : Json());
            }
        } else if (columns) {
            auto col = std::find_if(columns->begin(), columns->end(), [&](const auto& c) { return c.Named(f.name); });
            std::string key_ptr = ptr + (f.target == Filter::Target::COLUMN ? "/column" : f.target == Filter::Target::CONTEXT ? "/context" : "/property");
            if (col == columns->end()) {
                Err(key_ptr, std::string(f.target == Filter::Target::COLUMN ? "the entity has no column " : "the event has no column ") +
                                 text::Quote(f.name));
                return std::nullopt;
            }
            if (col->type == DataType::OTHER) {
                Err(key_ptr, "column " + text::Quote(f.name) + " has type " + col->engine_type + ", which kith cannot filter on");
                return std::nullopt;
            }
            f.type = col->type;
            f.engine_type = col->engine_type;
        } else {
            // No warehouse to ask: the constant's JSON type is a guess, and the engine checks the rest.
            f.type = has_value ? JsonDataType(j["value"]) : DataType::STRING;
            f.type_known = false;
        }
        if (f.type_known && !OpAllowed(f.type, f.op)) {
            Err(ptr + "/op", op_name + " does not apply to a " + TypeWord(f.type) + "; use " + AllowedOps(f.type));
            return std::nullopt;
        }
        if (has_value) {
            const Json& v = j["value"];
            if (list_op) {
                if (!v.is_array() || v.empty()) {
                    Err(ptr + "/value", op_name + " needs a non-empty list of values");
                    return std::nullopt;
                }
                for (size_t i = 0; i < v.size(); ++i) {
                    auto c = ConstantOf(v[i], f.type, ptr + "/value" + Idx(i));
                    if (c) {
                        f.values.push_back(std::move(*c));
                    } else {
                        ok = false;
                    }
                }
            } else {
                auto c = ConstantOf(v, f.type, ptr + "/value");
                if (c) {
                    f.values.push_back(std::move(*c));
                } else {
                    ok = false;
                }
            }
        }
        if (has_ref) {
            auto r = ParseRef(j["ref"], ptr + "/ref", f);
            if (r) {
                f.ref = std::move(*r);
            } else {
                ok = false;
            }
        }
        if (!ok) return std::nullopt;
        return f;
    }

    static DataType JsonDataType(const Json& v) {
        const Json& e = v.is_array() && !v.empty() ? v[0] : v;
        if (e.is_number()) return DataType::NUMBER;
        if (e.is_boolean()) return DataType::BOOLEAN;
        return DataType::STRING;
    }

    std::optional<Constant> ConstantOf(const Json& v, DataType type, const std::string& ptr) {
        auto fail = [&](const std::string& expected) -> std::optional<Constant> {
            Err(ptr, "expected " + expected + ", found " + (v.is_string() ? text::Quote(v.get<std::string>(), 40) : JsonTypeName(v)));
            return std::nullopt;
        };
        switch (type) {
        case DataType::NUMBER: {
            if (!v.is_number()) return fail("a JSON number");
            std::string s;
            if (v.is_number_unsigned()) {
                s = std::to_string(v.get<uint64_t>());
            } else if (v.is_number_integer()) {
                s = std::to_string(v.get<int64_t>());
            } else {
                double d = v.get<double>();
                if (!std::isfinite(d)) return fail("a finite number");
                s = PlainDecimal(d);
            }
            auto d = ParseNumber(s);
            if (!d) {
                Err(ptr, "number " + s + " has more than " + std::to_string(kMaxIntegerDigits) + " integer or " +
                             std::to_string(kMaxFractionDigits) + " fractional digits");
                return std::nullopt;
            }
            return Constant{d->ToString()};
        }
        case DataType::STRING: {
            if (!v.is_string()) return fail("a string");
            std::string s = v.get<std::string>();
            if (s.find('\0') != std::string::npos) {
                Err(ptr, "strings must not contain the NUL character");
                return std::nullopt;
            }
            return Constant{s};
        }
        case DataType::BOOLEAN:
            if (!v.is_boolean()) return fail("true or false");
            return Constant{v.get<bool>() ? "true" : "false"};
        case DataType::DATE:
        case DataType::TIME:
        case DataType::TIMESTAMP: {
            const char* form = type == DataType::DATE   ? "a date \"YYYY-MM-DD\""
                               : type == DataType::TIME ? "a time \"HH:MM:SS[.ffffff]\""
                                                        : "a timestamp \"YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]\"";
            if (!v.is_string()) return fail(form);
            auto c = CanonicalText(type, v.get<std::string>());
            if (!c) return fail(form);
            return Constant{*c};
        }
        case DataType::OTHER:
            return fail("a value kith can compare");
        }
        return std::nullopt;
    }

    std::optional<Ref> ParseRef(const Json& j, const std::string& ptr, const Filter& f) {
        bool entity = f.target == Filter::Target::COLUMN;
        if (!Object(j, ptr, entity ? std::initializer_list<std::string_view>{"trait", "column", "relationship"}
                                   : std::initializer_list<std::string_view>{"trait"},
                    entity ? "a reference" : "a reference (event filters may reference a trait)")) {
            return std::nullopt;
        }
        Ref r;
        if (j.contains("trait")) {
            if (j.contains("column") || j.contains("relationship")) {
                Err(ptr, "a reference names a trait or a column, not both");
                return std::nullopt;
            }
            auto name = Name(j, "trait", ptr);
            if (!name) return std::nullopt;
            r.kind = Ref::Kind::TRAIT;
            r.name = *name;
            if (!f.type_known) {
                Err(ptr, "a trait reference is converted to the column's type, which only the warehouse knows: give a warehouse");
                return std::nullopt;
            }
            return r;
        }
        if (!entity || !j.contains("column")) {
            // Unknown keys were reported already; an empty reference says what it lacks.
            if (j.empty()) Err(ptr, entity ? "a reference needs \"trait\" or \"column\"" : "a reference needs \"trait\"");
            return std::nullopt;
        }
        auto column = Name(j, "column", ptr);
        if (!column) return std::nullopt;
        r.kind = Ref::Kind::COLUMN;
        r.name = *column;
        r.relationship = current_relationship_;
        if (j.contains("relationship")) {
            auto slug = Name(j, "relationship", ptr);
            if (!slug) return std::nullopt;
            int target = ctx_.graph.RelationshipIndex(*slug);
            bool ancestor = false;
            for (int at = current_relationship_; at >= 0; at = ctx_.graph.relationships[static_cast<size_t>(at)].parent) {
                if (at == target) ancestor = true;
            }
            if (!ancestor) {
                Err(ptr + "/relationship", "relationship " + text::Quote(*slug) +
                                               " is not this condition's relationship or one of its ancestors on the same branch");
                return std::nullopt;
            }
            r.relationship = target;
        }
        if (ctx_.catalog) {
            const graph::Entity& e = ctx_.graph.EntityOf(ctx_.graph.relationships[static_cast<size_t>(r.relationship)]);
            auto cols = Columns(e.table);
            if (!cols) return std::nullopt;
            if (!**cols) return std::nullopt; // reported with the condition
            auto col = std::find_if((**cols)->begin(), (**cols)->end(), [&](const auto& c) { return c.Named(r.name); });
            if (col == (**cols)->end()) {
                Err(ptr + "/column", "entity " + text::Quote(e.slug) + " has no column " + text::Quote(r.name));
                return std::nullopt;
            }
            if (col->type != f.type) {
                Err(ptr, "the referenced column " + text::Quote(r.name) + " is a " + TypeWord(col->type) +
                             "; the filter compares a " + TypeWord(f.type));
                return std::nullopt;
            }
            r.column_type = col->type;
        } else {
            r.column_type = f.type;
        }
        return r;
    }

    std::shared_ptr<const Audience> Reference(const std::string& key, const std::string& ptr) {
        if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
            std::string cycle;
            for (const auto& k : stack_) cycle += k + " -> ";
            Err(ptr, "audience references form a cycle: " + cycle + key);
            return nullptr;
        }
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        if (!ctx_.library) {
            Err(ptr, "audience " + text::Quote(key) + " cannot be found (no library of audiences was given)");
            return nullptr;
        }
        auto entry = ctx_.library->Load(key);
        if (!entry) {
            if (!failure_.fatal) failure_.fatal = entry.error();
            return nullptr;
        }
        if (!*entry) {
            Err(ptr, "no audience " + text::Quote(key) + " in the library");
            return nullptr;
        }
        stack_.push_back(key);
        size_t before = failure_.errors.size();
        Parser inner(ctx_, (*entry)->file, cache_, stack_, failure_);
        auto a = inner.Parse((*entry)->text);
        stack_.pop_back();
        if (!a) {
            if (failure_.errors.size() == before && !failure_.fatal) Err(ptr, "audience " + text::Quote(key) + " is invalid");
            return nullptr;
        }
        a->key = key;
        auto shared = std::make_shared<const Audience>(std::move(*a));
        cache_[key] = shared;
        return shared;
    }

    ParseContext& ctx_;
    std::string file_;
    std::map<std::string, std::shared_ptr<const Audience>>& cache_;
    std::vector<std::string>& stack_;
    ParseFailure& failure_;
    std::map<std::string, std::optional<std::vector<schema::Column>>> columns_;
    int current_relationship_ = -1;
};

} // namespace

std::expected<Audience, ParseFailure> ParseAudience(std::string_view json, const std::string& file, ParseContext& ctx) {
    ParseFailure failure;
    std::map<std::string, std::shared_ptr<const Audience>> cache;
    std::vector<std::string> stack;
    // The audience's own key (or its file's stem) starts the cycle check.
    std::string stem = file;
    if (size_t slash = stem.find_last_of('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
    if (stem.ends_with(".json")) stem.resize(stem.size() - 5);
    stack.push_back(stem);
    Parser p(ctx, file, cache, stack, failure);
    auto a = p.Parse(json);
    if (!a) return std::unexpected(std::move(failure));
    if (a->key.empty()) a->key = stem;
    return std::move(*a);
}

} // namespace kith::audience
