#include "agreement/audience_generator.hpp"

#include "agreement/rng.hpp"
#include "agreement/warehouse_generator.hpp"
#include "audience/typed_text.hpp"
#include "common/text.hpp"
#include "reference/table.hpp"
#include "reference/typed_value.hpp"
#include "warehouse/canonical.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>

namespace kith::agreement {

namespace {

using Json = nlohmann::ordered_json;
using warehouse::DataType;

constexpr int64_t kHour = 3600LL * 1000000LL;

// The events of the fixture layout, as audiences name them.
const std::vector<std::string>& EventNames() {
    static const std::vector<std::string> names = {"Order Completed", "Page Viewed"};
    return names;
}

std::vector<std::string> Ops(DataType type, bool with_ref) {
    std::vector<std::string> ops = {"equals", "equals", "not_equals"};
    if (type == DataType::STRING) {
        for (const char* op : {"contains", "contains", "not_contains", "starts_with", "ends_with"}) ops.push_back(op);
    } else if (type != DataType::BOOLEAN) {
        for (const char* op : {"less_than", "greater_than", "less_than_or_equal", "greater_than_or_equal"})
            ops.push_back(op);
    }
    if (!with_ref) {
        if (type != DataType::BOOLEAN) {
            for (const char* op : {"one_of", "not_one_of"}) ops.push_back(op);
        }
        for (const char* op : {"exists", "not_exists"}) ops.push_back(op);
    }
    return ops;
}

const char* TypeKey(DataType type) {
    switch (type) {
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
        break;
    }
    return "string";
}

// Byte offsets at which a UTF-8 character starts, plus the end.
std::vector<size_t> CharBoundaries(const std::string& s) {
    std::vector<size_t> out;
    for (size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
    }
    out.push_back(s.size());
    return out;
}

// A number constant that validates (at most 20 integer and 18 fraction digits once read back), or nullopt.
std::optional<Json> NumberJson(std::string_view text) {
    auto d = reference::ParseWarehouseNumber(text);
    if (!d) return std::nullopt;
    if (d->fraction.empty() && d->integer.size() <= 18) {
        int64_t v = std::stoll(d->integer);
        return Json(d->negative ? -v : v);
    }
    double v = std::stod(d->ToString());
    auto back = reference::ParseWarehouseNumber(fmt::format("{}", v));
    if (!back || back->integer.size() > static_cast<size_t>(audience::kMaxIntegerDigits) ||
        back->fraction.size() > static_cast<size_t>(audience::kMaxFractionDigits)) {
        return std::nullopt;
    }
    return Json(v);
}

} // namespace

class AudienceGenerator::Builder {
public:
    Builder(const AudienceGenerator& g, uint64_t seed, const std::vector<std::string>& library)
        : g_(g), graph_(*g.graph_), rng_(seed), library_(library) {}

    Json Audience() {
        Json a = Json::object();
        int groups = static_cast<int>(rng_.Pick(std::vector<int64_t>{1, 1, 1, 1, 1, 2, 2, 2, 3}));
        if (groups > 1 || rng_.Chance(20)) a["groups_operator"] = rng_.Chance(55) ? "or" : "and";
        Json list = Json::array();
        for (int i = 0; i < groups; ++i) {
            Json g = Json::object();
            int conditions = static_cast<int>(rng_.Pick(std::vector<int64_t>{1, 1, 1, 1, 2, 2, 2, 3}));
            if (conditions > 1 || rng_.Chance(20)) g["operator"] = rng_.Chance(50) ? "or" : "and";
            Json cs = Json::array();
            for (int c = 0; c < conditions; ++c) cs.push_back(Condition());
            g["conditions"] = std::move(cs);
            list.push_back(std::move(g));
        }
        a["groups"] = std::move(list);
        return a;
    }

private:
    Json Condition() {
        int64_t k = rng_.Below(100);
        Json c;
        if (!library_.empty() && k < 9) {
            c = {{"type", "audience"}, {"audience", rng_.Pick(library_)}};
        } else if (k < 38) {
            c = Trait();
        } else if (k < 63 && !g_.events_.empty()) {
            c = Event();
        } else {
            std::vector<int> roots = graph_.Roots();
            c = Entity(roots[static_cast<size_t>(rng_.Below(static_cast<int64_t>(roots.size())))]);
        }
        Without(c);
        return c;
    }

    void Without(Json& c) {
        if (rng_.Chance(18)) {
            c["without"] = true;
        } else if (rng_.Chance(5)) {
            c["without"] = false;
        }
    }

    Json Trait() {
        Json c = {{"type", "trait"}};
        const Column* trait = g_.traits_.empty() || rng_.Chance(6) ? nullptr : &rng_.Pick(g_.traits_);
        c["trait"] = trait ? trait->name : "no_such_trait";
        if (rng_.Chance(12)) return c; // the trait exists
        // The type: mostly one that some of the trait's values convert to.
        std::vector<DataType> natural;
        for (DataType t : {DataType::NUMBER, DataType::BOOLEAN, DataType::DATE, DataType::TIME, DataType::TIMESTAMP}) {
            if (trait && !Converted(*trait, t).empty()) natural.push_back(t);
        }
        DataType type = DataType::STRING;
        if (!natural.empty() && rng_.Chance(65)) {
            type = rng_.Pick(natural);
        } else if (rng_.Chance(25)) {
            type = rng_.Pick(std::vector<DataType>{DataType::NUMBER, DataType::BOOLEAN, DataType::DATE, DataType::TIME,
                                                   DataType::TIMESTAMP});
        }
        std::vector<std::string> values = trait ? Converted(*trait, type) : std::vector<std::string>{};
        std::string op = rng_.Pick(Ops(type, false));
        Json f = {{"op", op}};
        bool operand = op != "exists" && op != "not_exists";
        if (operand) f["value"] = Operand(type, values, op);
        // "type" is needed unless the value's JSON type already says it.
        bool inferred = operand && (type == DataType::STRING || type == DataType::NUMBER || type == DataType::BOOLEAN);
        if (!operand && type == DataType::STRING) inferred = true;
        if (!inferred || rng_.Chance(35)) f["type"] = TypeKey(type);
        c["filter"] = std::move(f);
        return c;
    }

    // A trait's values that convert to `type`, as canonical text of that type.
    static std::vector<std::string> Converted(const Column& trait, DataType type) {
        std::vector<std::string> out;
        for (const auto& v : trait.values) {
            if (auto c = audience::CanonicalText(type, v)) out.push_back(*c);
        }
        return out;
    }

    Json Event() {
        const AudienceGenerator::Event& ev = rng_.Pick(g_.events_);
        Json c = {{"type", "event"}, {"event", EventName(ev.name)}};
        Count(c);
        if (rng_.Chance(70)) c["window"] = Window();
        if (rng_.Chance(55) && !ev.columns.empty()) {
            Json w = Json::object();
            int n = static_cast<int>(rng_.Pick(std::vector<int64_t>{1, 1, 1, 2, 2, 3}));
            if (n > 1 || rng_.Chance(20)) w["operator"] = rng_.Chance(50) ? "or" : "and";
            Json fs = Json::array();
            for (int i = 0; i < n; ++i) {
                const Column& col = rng_.Pick(ev.columns);
                Json f = Json::object();
                if (col.name.starts_with("context_") && rng_.Chance(70)) {
                    f["context"] = col.name.substr(8);
                } else {
                    f["property"] = col.name;
                }
                Operation(f, col, -1);
                fs.push_back(std::move(f));
            }
            w["filters"] = std::move(fs);
            c["where"] = std::move(w);
        }
        return c;
    }

    // The event's name as written, or another spelling of the same table name.
    std::string EventName(const std::string& name) {
        int64_t k = rng_.Below(100);
        std::string out = name;
        if (k < 75) return out;
        if (k < 88) {
            std::transform(out.begin(), out.end(), out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            return out;
        }
        std::transform(out.begin(), out.end(), out.begin(),
                       [](unsigned char c) { return c == ' ' ? '-' : static_cast<char>(std::toupper(c)); });
        return " " + out + "! ";
    }

    void Count(Json& c) {
        if (rng_.Chance(40)) return;
        int64_t k = rng_.Below(100);
        if (k < 45) {
            c["count"] = {{"op", "at_least"}, {"value", rng_.Pick(std::vector<int64_t>{1, 1, 2, 3})}};
        } else if (k < 75) {
            c["count"] = {{"op", "exactly"}, {"value", rng_.Pick(std::vector<int64_t>{0, 0, 1, 2})}};
        } else {
            c["count"] = {{"op", "at_most"}, {"value", rng_.Pick(std::vector<int64_t>{0, 1, 1, 2})}};
        }
    }

    Json Window() {
        int64_t k = rng_.Below(100);
        static const std::vector<std::string> units = {"minutes", "hours", "days", "weeks"};
        if (k < 70) {
            Json span;
            if (rng_.Chance(70)) {
                const WindowSpan& w = rng_.Pick(BoundaryWindows());
                span = {{"value", w.value}, {"unit", w.unit}};
            } else {
                span = {{"value", rng_.Between(1, 400)}, {"unit", rng_.Pick(units)}};
            }
            return Json{{rng_.Chance(60) ? "within" : "more_than_ago", std::move(span)}};
        }
        // between: from < to, often on the data's own timestamps.
        int64_t a = Instant(), b = Instant();
        if (a == b) b += rng_.Between(1, 48) * kHour;
        if (a > b) std::swap(a, b);
        return Json{{"between", {{"from", TimestampText(a, true)}, {"to", TimestampText(b, true)}}}};
    }

    // An instant: an event timestamp of the data, or near T.
    int64_t Instant() {
        if (!g_.instants_.empty() && rng_.Chance(70)) return rng_.Pick(g_.instants_);
        int64_t t = AsOfMicros();
        const WindowSpan& w = rng_.Pick(BoundaryWindows());
        return rng_.Chance(50) ? t - w.Micros() : t - rng_.Between(0, 1000) * kHour;
    }

    // An instant in one of the ISO 8601 forms audiences accept (a bare date only when it is midnight UTC and allowed).
    std::string TimestampText(int64_t micros, bool date_allowed) {
        std::string z = warehouse::canonical::TimestampMicros(micros);
        int64_t k = rng_.Below(100);
        if (date_allowed && k < 10 && z.substr(10) == "T00:00:00Z") return z.substr(0, 10);
        if (k < 50) return z;
        if (k < 70) {
            std::string s = z;
            s[10] = ' ';
            s.pop_back();
            return s;
        }
        int offset_minutes = static_cast<int>(rng_.Pick(std::vector<int64_t>{120, -300, 330, -60}));
        std::string local = warehouse::canonical::TimestampMicros(micros + offset_minutes * 60LL * 1000000LL);
        local.pop_back();
        int m = offset_minutes < 0 ? -offset_minutes : offset_minutes;
        if (m % 60 == 0 && rng_.Chance(50))
            return local + fmt::format("{}{:02}", offset_minutes < 0 ? '-' : '+', m / 60);
        return local + fmt::format("{}{:02}:{:02}", offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
    }

    Json Entity(int relationship) {
        const graph::Relationship& r = graph_.relationships[static_cast<size_t>(relationship)];
        Json c = {{"type", "entity"}, {"relationship", r.slug}};
        Count(c);
        auto cols = g_.entities_.find(relationship);
        if (cols != g_.entities_.end() && !cols->second.empty() && rng_.Chance(55)) {
            Json w = Json::object();
            int n = static_cast<int>(rng_.Pick(std::vector<int64_t>{1, 1, 1, 2, 2, 3}));
            if (n > 1 || rng_.Chance(20)) w["operator"] = rng_.Chance(50) ? "or" : "and";
            Json fs = Json::array();
            for (int i = 0; i < n; ++i) {
                const Column& col = rng_.Pick(cols->second);
                Json f = {{"column", col.name}};
                Operation(f, col, relationship);
                fs.push_back(std::move(f));
            }
            w["filters"] = std::move(fs);
            c["where"] = std::move(w);
        }
        if (!r.children.empty() && rng_.Chance(r.depth == 2 ? 55 : 62)) {
            Json ch = Json::object();
            int n = static_cast<int>(rng_.Pick(std::vector<int64_t>{1, 1, 1, 2}));
            if (n > 1 || rng_.Chance(20)) ch["operator"] = rng_.Chance(50) ? "or" : "and";
            Json cs = Json::array();
            for (int i = 0; i < n; ++i) {
                Json child =
                    Entity(r.children[static_cast<size_t>(rng_.Below(static_cast<int64_t>(r.children.size())))]);
                Without(child);
                cs.push_back(std::move(child));
            }
            ch["conditions"] = std::move(cs);
            c["children"] = std::move(ch);
        }
        return c;
    }

    // Fills op and value or ref of a filter on a column; relationship < 0 for an event column.
    void Operation(Json& f, const Column& col, int relationship) {
        if (rng_.Chance(22)) {
            if (auto ref = Ref(col, relationship)) {
                f["op"] = rng_.Pick(Ops(col.type, true));
                f["ref"] = std::move(*ref);
                return;
            }
        }
        std::string op = rng_.Pick(Ops(col.type, false));
        f["op"] = op;
        if (op != "exists" && op != "not_exists") f["value"] = Operand(col.type, col.values, op);
    }

    // A reference of the column's type: a trait, a column of the same entity, or a column of an ancestor.
    std::optional<Json> Ref(const Column& col, int relationship) {
        int64_t k = rng_.Below(100);
        if (relationship < 0 || k < 35) {
            if (g_.traits_.empty()) return std::nullopt;
            // Favour traits that convert to the column's type.
            std::vector<const Column*> fitting;
            for (const auto& t : g_.traits_) {
                if (!Converted(t, col.type).empty()) fitting.push_back(&t);
            }
            const Column& t = !fitting.empty() && rng_.Chance(80) ? *rng_.Pick(fitting) : rng_.Pick(g_.traits_);
            return Json{{"trait", t.name}};
        }
        // Candidates: (relationship, column) of this entity and its ancestors with the same type.
        std::vector<std::pair<int, std::string>> same, ancestors;
        for (int at = relationship; at >= 0; at = graph_.relationships[static_cast<size_t>(at)].parent) {
            auto cols = g_.entities_.find(at);
            if (cols == g_.entities_.end()) continue;
            for (const auto& c : cols->second) {
                if (c.type == col.type) (at == relationship ? same : ancestors).push_back({at, c.name});
            }
        }
        bool ancestor = !ancestors.empty() && (k >= 65 || same.empty());
        if (!ancestor && same.empty()) return std::nullopt;
        const auto& [at, name] = rng_.Pick(ancestor ? ancestors : same);
        Json ref = {{"column", name}};
        if (ancestor || rng_.Chance(30)) ref["relationship"] = graph_.relationships[static_cast<size_t>(at)].slug;
        return ref;
    }

    // The value of a filter: one constant, or a list for one_of / not_one_of.
    Json Operand(DataType type, const std::vector<std::string>& values, const std::string& op) {
        if (op == "one_of" || op == "not_one_of") {
            Json list = Json::array();
            int n = static_cast<int>(rng_.Between(1, 3));
            for (int i = 0; i < n; ++i) list.push_back(Constant(type, values, "equals"));
            return list;
        }
        return Constant(type, values, op);
    }

    // A constant of `type`: mostly one of the data's values (or a piece of one, for string matching).
    Json Constant(DataType type, const std::vector<std::string>& values, const std::string& op) {
        for (int attempt = 0; attempt < 8; ++attempt) {
            if (values.empty() || rng_.Chance(22)) break;
            const std::string& v = rng_.Pick(values);
            if (!text::IsValidUtf8(v)) continue;
            switch (type) {
            case DataType::NUMBER:
                if (auto j = NumberJson(v)) return *j;
                continue;
            case DataType::STRING:
                if (op == "contains" || op == "not_contains" || op == "starts_with" || op == "ends_with")
                    return Piece(v, op);
                return v;
            case DataType::BOOLEAN:
                return v == "true";
            case DataType::DATE:
            case DataType::TIME:
                return v;
            case DataType::TIMESTAMP:
                if (auto t = audience::ParseTimestamp(v)) return TimestampText(*t, false);
                continue;
            case DataType::OTHER:
                break;
            }
        }
        switch (type) {
        case DataType::NUMBER:
            return rng_.Pick(std::vector<Json>{0, 1, -1, 42, 99.5, 100, 120.5, 1000, -0.5, 0.1, 1e-7, 150});
        case DataType::STRING:
            return rng_.Pick(
                std::vector<std::string>{"", "pro", "%", "_", "\\", "%_", "'", "sale", "\xC3\xBC", "a", "EUR"});
        case DataType::BOOLEAN:
            return rng_.Chance(50);
        case DataType::DATE:
            return rng_.Pick(
                std::vector<std::string>{"2024-02-29", "2025-12-31", "2020-01-15", "1992-02-29", "2026-01-01"});
        case DataType::TIME:
            return rng_.Pick(
                std::vector<std::string>{"00:00:00", "09:00:00", "12:00:00.5", "23:59:59.999999", "07:30:00"});
        case DataType::TIMESTAMP:
            return TimestampText(Instant(), false);
        case DataType::OTHER:
            break;
        }
        return "";
    }

    // A prefix, suffix or middle of s, cut at UTF-8 character boundaries.
    std::string Piece(const std::string& s, const std::string& op) {
        std::vector<size_t> b = CharBoundaries(s);
        size_t chars = b.size() - 1;
        if (chars == 0) return s;
        if (rng_.Chance(25)) return s;
        size_t len = static_cast<size_t>(rng_.Between(1, static_cast<int64_t>(chars)));
        size_t start = op == "starts_with" ? 0
                       : op == "ends_with" ? chars - len
                                           : static_cast<size_t>(rng_.Between(0, static_cast<int64_t>(chars - len)));
        return s.substr(b[start], b[start + len] - b[start]);
    }

    const AudienceGenerator& g_;
    const graph::DataGraph& graph_;
    Rng rng_;
    const std::vector<std::string>& library_;
};

namespace {

// Distinct non-NULL values of each column of a table, sorted (so that picks are deterministic).
std::vector<AudienceGenerator::Column> ColumnsOf(const reference::Table& t, const std::set<std::string>& skip) {
    std::vector<AudienceGenerator::Column> out;
    for (size_t i = 0; i < t.columns.size(); ++i) {
        if (skip.contains(t.columns[i].name)) continue;
        AudienceGenerator::Column c{t.columns[i].name, t.columns[i].type, {}};
        std::set<std::string> values;
        for (const auto& row : t.rows) {
            if (row[i]) values.insert(*row[i]);
        }
        c.values.assign(values.begin(), values.end());
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace

Result<AudienceGenerator> AudienceGenerator::Create(const graph::DataGraph& graph, warehouse::Warehouse& warehouse) {
    AudienceGenerator g;
    g.graph_ = &graph;
    for (size_t i = 0; i < graph.relationships.size(); ++i) {
        auto t = reference::ReadTable(warehouse, graph.EntityOf(graph.relationships[i]).table);
        if (!t) return std::unexpected(t.error());
        g.entities_[static_cast<int>(i)] = ColumnsOf(*t, {});
    }
    for (const auto& name : EventNames()) {
        auto t = reference::ReadTable(warehouse, graph.ProfileTable(graph::EventTableName(name)));
        if (!t && t.error().code == ErrorCode::NOT_FOUND) continue;
        if (!t) return std::unexpected(t.error());
        g.events_.push_back(Event{name, ColumnsOf(*t, {"id", "segment_id", "timestamp"})});
        int ts = t->ColumnIndex("timestamp");
        if (ts < 0) continue;
        for (const auto& row : t->rows) {
            if (!row[static_cast<size_t>(ts)]) continue;
            if (auto v = audience::ParseTimestamp(*row[static_cast<size_t>(ts)])) g.instants_.push_back(*v);
        }
    }
    std::sort(g.instants_.begin(), g.instants_.end());
    g.instants_.erase(std::unique(g.instants_.begin(), g.instants_.end()), g.instants_.end());
    auto traits = reference::ReadTable(warehouse, graph.ProfileTable("user_traits"));
    if (!traits) return std::unexpected(traits.error());
    int name = traits->ColumnIndex("name"), value = traits->ColumnIndex("value");
    if (name < 0 || value < 0) return Fail(ErrorCode::INVALID, "user_traits lacks name or value");
    std::map<std::string, std::set<std::string>> values;
    for (const auto& row : traits->rows) {
        const auto& n = row[static_cast<size_t>(name)];
        if (!n || !text::IsValidUtf8(*n) || n->empty()) continue;
        auto& set = values[*n];
        if (const auto& v = row[static_cast<size_t>(value)]) set.insert(*v);
    }
    for (auto& [n, vs] : values) g.traits_.push_back(Column{n, DataType::STRING, {vs.begin(), vs.end()}});
    return g;
}

std::string AudienceGenerator::Generate(uint64_t seed, const std::vector<std::string>& library) const {
    Builder b(*this, seed, library);
    return b.Audience().dump();
}

std::vector<GeneratedAudience> AudienceGenerator::GenerateMany(uint64_t seed, int count) const {
    Rng rng(seed);
    std::vector<GeneratedAudience> out;
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) {
        GeneratedAudience a{"a" + std::to_string(i), Generate(rng.Fork(), keys)};
        keys.push_back(a.key);
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace kith::agreement
