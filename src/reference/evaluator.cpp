#include "reference/evaluator.hpp"

#include "reference/typed_value.hpp"

#include <set>

namespace kith::reference {

namespace {

using audience::Audience;
using audience::Condition;
using audience::Filter;
using audience::Group;
using audience::Logic;
using audience::Where;
using audience::Window;
using warehouse::Cell;

using Row = std::vector<Cell>;

std::string TableKey(const warehouse::TableName& t) {
    return t.database + '\x1f' + t.schema + '\x1f' + t.table;
}

const Cell& CellOf(const Table& t, const Row& row, std::string_view column) {
    static const Cell kNull;
    int i = t.ColumnIndex(column);
    return i < 0 ? kNull : row[static_cast<size_t>(i)];
}

// A column's value in a row, typed by the column's own type.
std::optional<Value> ColumnValue(const Table& t, const Row& row, std::string_view column) {
    return FromWarehouse(t.ColumnType(column), CellOf(t, row, column));
}

// True when the values combine to true under `op` (and: all, or: any).
bool Combine(Logic op, const std::vector<bool>& values) {
    for (bool v : values) {
        if (op == Logic::AND && !v) return false;
        if (op == Logic::OR && v) return true;
    }
    return op == Logic::AND;
}

// An event's timestamp as an instant (UTC micros): TIMESTAMP columns as they are, DATE columns at midnight UTC,
// text columns by the text-to-type rule; anything else counts as NULL.
std::optional<int64_t> Instant(warehouse::DataType type, const Cell& cell) {
    if (!cell) return std::nullopt;
    switch (type) {
    case warehouse::DataType::TIMESTAMP:
    case warehouse::DataType::STRING: {
        auto v = FromText(warehouse::DataType::TIMESTAMP, *cell);
        if (!v) return std::nullopt;
        return v->scalar;
    }
    case warehouse::DataType::DATE: {
        auto v = FromText(warehouse::DataType::DATE, *cell);
        if (!v) return std::nullopt;
        return v->scalar * 86400LL * 1000000LL;
    }
    default:
        return std::nullopt;
    }
}

} // namespace

// The evaluation of audiences at one time T over the tables an Evaluator holds.
class Evaluator::Run {
public:
    // An entity row and the chain of rows through which it was reached.
    struct Reached {
        int relationship; // index in DataGraph::relationships
        const Table* table;
        const Row* row;
        const Reached* parent; // nullptr at the first level
    };

    Run(const Evaluator& ev, int64_t as_of) : ev_(ev), graph_(*ev.graph_), profiles_(ev.profiles_), t_(as_of) {}

    // The profiles of the universe the audience holds.
    const std::set<std::string>& Members(const Audience& a) {
        if (auto it = members_.find(&a); it != members_.end()) return it->second;
        std::set<std::string> out;
        for (const auto& p : profiles_.Universe()) {
            if (Holds(a, p)) out.insert(p);
        }
        return members_.emplace(&a, std::move(out)).first->second;
    }

    bool Holds(const Audience& a, const std::string& p) {
        std::vector<bool> groups;
        for (const auto& g : a.groups) groups.push_back(GroupHolds(g, p));
        return Combine(a.groups_op, groups);
    }

    bool GroupHolds(const Group& g, const std::string& p) {
        std::vector<bool> conditions;
        for (const auto& c : g.conditions) conditions.push_back(ConditionTrue(c, p, nullptr));
        return Combine(g.op, conditions);
    }

    // Adds the matched entities of a true, non-`without` entity condition for p (below `parent` when nested).
    void Collect(const Condition& c, const std::string& p, const Reached* parent, std::set<MatchedEntity>& out) {
        const Table& table = EntityTable(c);
        for (const auto& [key, rows] : Entities(c, p, parent)) {
            out.insert(MatchedEntity{p, c.relationship_slug, key});
            // The matched children of an entity are those of every row of it that qualified.
            for (size_t i : rows) {
                Reached here{c.relationship, &table, &table.rows[i], parent};
                for (const auto& child : c.children) {
                    if (child.without || !ConditionTrue(child, p, &here)) continue;
                    Collect(child, p, &here, out);
                }
            }
        }
    }

    // A condition for p; nested entity conditions for the parent row `parent`, first-level ones with nullptr.
    bool ConditionTrue(const Condition& c, const std::string& p, const Reached* parent) {
        return Raw(c, p, parent) != c.without;
    }

private:
    bool Raw(const Condition& c, const std::string& p, const Reached* parent) {
        switch (c.kind) {
        case Condition::Kind::TRAIT: {
            auto text = profiles_.Trait(p, c.trait);
            if (!c.filter) return text.has_value();
            std::optional<Value> v;
            if (text) v = FromText(c.filter->type, *text); // text that does not convert counts as NULL
            return Passes(*c.filter, v, std::nullopt);
        }
        case Condition::Kind::AUDIENCE:
            return Members(*c.audience).contains(p);
        case Condition::Kind::EVENT:
            return c.count.Holds(EventCount(c, p));
        case Condition::Kind::ENTITY:
            return c.count.Holds(static_cast<int64_t>(Entities(c, p, parent).size()));
        }
        return false;
    }

    // The number of distinct non-NULL event ids of p's events that count for c.
    int64_t EventCount(const Condition& c, const std::string& p) {
        const Table& t = ev_.TableOf(graph_.ProfileTable(c.event_table));
        int id = t.ColumnIndex("id"), segment = t.ColumnIndex("segment_id"), ts = t.ColumnIndex("timestamp");
        warehouse::DataType ts_type = t.ColumnType("timestamp");
        std::set<std::string> ids;
        for (const auto& row : t.rows) {
            const Cell& id_cell = row[static_cast<size_t>(id)];
            const Cell& segment_cell = row[static_cast<size_t>(segment)];
            if (!id_cell || !segment_cell) continue;
            if (profiles_.Owner(*segment_cell) != p) continue;
            auto instant = Instant(ts_type, row[static_cast<size_t>(ts)]);
            if (!instant || !InWindow(c.window, *instant)) continue;
            if (c.where && !EventWherePasses(*c.where, t, row, p)) continue;
            ids.insert(*id_cell);
        }
        return static_cast<int64_t>(ids.size());
    }

    bool InWindow(const Window& w, int64_t ts) const {
        if (ts > t_) return false; // an event after T never counts
        switch (w.kind) {
        case Window::Kind::NONE:
            return true;
        case Window::Kind::WITHIN:
            return t_ - w.SpanMicros() < ts;
        case Window::Kind::MORE_THAN_AGO:
            return ts <= t_ - w.SpanMicros();
        case Window::Kind::BETWEEN:
            return w.from_micros <= ts && ts < w.to_micros;
        }
        return false;
    }

    // A trait of p converted to `type` for a reference; nullopt when p has none or it does not convert.
    std::optional<Value> TraitRef(const std::string& p, const std::string& trait, warehouse::DataType type) const {
        auto text = profiles_.Trait(p, trait);
        if (!text) return std::nullopt;
        return FromText(type, *text);
    }

    bool EventWherePasses(const Where& w, const Table& t, const Row& row, const std::string& p) {
        std::vector<bool> results;
        for (const auto& f : w.filters) {
            std::optional<Value> ref;
            if (f.ref) ref = TraitRef(p, f.ref->name, f.type); // event filters reference traits only
            results.push_back(Passes(f, ColumnValue(t, row, f.name), ref));
        }
        return Combine(w.op, results);
    }

    bool EntityWherePasses(const Where& w, const Reached& here, const std::string& p) {
        std::vector<bool> results;
        for (const auto& f : w.filters) {
            std::optional<Value> ref;
            if (f.ref && f.ref->kind == audience::Ref::Kind::TRAIT) {
                ref = TraitRef(p, f.ref->name, f.type);
            } else if (f.ref) {
                // The same row (its own relationship) or the ancestor row through which this row was reached.
                for (const Reached* at = &here; at; at = at->parent) {
                    if (at->relationship == f.ref->relationship) {
                        ref = ColumnValue(*at->table, *at->row, f.ref->name);
                        break;
                    }
                }
            }
            results.push_back(Passes(f, ColumnValue(*here.table, *here.row, f.name), ref));
        }
        return Combine(w.op, results);
    }

    const Table& EntityTable(const Condition& c) const {
        const graph::Relationship& r = graph_.relationships[static_cast<size_t>(c.relationship)];
        return ev_.TableOf(graph_.EntityOf(r).table);
    }

    // Whether an entity row relates to p (first level) or to the parent row (nested), through the join.
    bool Relates(const graph::Relationship& r, const Table& t, const Row& row, const std::string& p,
                 const Reached* parent) const {
        const graph::Join& j = r.join;
        switch (j.kind) {
        case graph::JoinKind::EXTERNAL_ID: {
            auto key = ColumnValue(t, row, j.entity_column);
            if (!key) return false;
            for (const auto& id : profiles_.Identifiers(p, j.profile_key)) {
                auto v = FromText(key->type, id);
                if (v && Equal(*v, *key)) return true;
            }
            return false;
        }
        case graph::JoinKind::TRAIT: {
            auto key = ColumnValue(t, row, j.entity_column);
            if (!key) return false;
            auto v = TraitRef(p, j.profile_key, key->type);
            return v && Equal(*v, *key);
        }
        case graph::JoinKind::JOIN_ON: {
            if (!parent) return false;
            auto pv = ColumnValue(*parent->table, *parent->row, j.parent_column);
            auto cv = ColumnValue(t, row, j.child_column);
            return pv && cv && Equal(*pv, *cv);
        }
        case graph::JoinKind::JUNCTION: {
            if (!parent) return false;
            auto pv = ColumnValue(*parent->table, *parent->row, j.parent_column);
            auto cv = ColumnValue(t, row, j.child_column);
            if (!pv || !cv) return false;
            const Table& jt = ev_.TableOf(j.junction_table);
            for (const auto& link : jt.rows) {
                auto left = ColumnValue(jt, link, j.junction_left_column);
                auto right = ColumnValue(jt, link, j.junction_right_column);
                if (left && right && Equal(*pv, *left) && Equal(*right, *cv)) return true;
            }
            return false;
        }
        }
        return false;
    }

    // The distinct entities an entity condition counts: primary key -> the indices of the rows that qualified
    // (related, passed the whole where and the children).
    std::map<std::string, std::vector<size_t>> Entities(const Condition& c, const std::string& p,
                                                        const Reached* parent) {
        const graph::Relationship& r = graph_.relationships[static_cast<size_t>(c.relationship)];
        const graph::Entity& e = graph_.EntityOf(r);
        const Table& t = ev_.TableOf(e.table);
        int pk = t.ColumnIndex(e.primary_key);
        std::map<std::string, std::vector<size_t>> keys;
        for (size_t i = 0; i < t.rows.size(); ++i) {
            const Row& row = t.rows[i];
            const Cell& key = row[static_cast<size_t>(pk)];
            if (!key) continue; // a row with a NULL primary key relates to nothing
            if (!Relates(r, t, row, p, parent)) continue;
            Reached here{c.relationship, &t, &row, parent};
            if (c.where && !EntityWherePasses(*c.where, here, p)) continue;
            if (!c.children.empty()) {
                std::vector<bool> children;
                for (const auto& child : c.children) children.push_back(ConditionTrue(child, p, &here));
                if (!Combine(c.children_op, children)) continue;
            }
            keys[*key].push_back(i);
        }
        return keys;
    }

    const Evaluator& ev_;
    const graph::DataGraph& graph_;
    const Profiles& profiles_;
    int64_t t_;
    std::map<const Audience*, std::set<std::string>> members_;
};

Result<Evaluator> Evaluator::Open(const graph::DataGraph& graph, warehouse::Warehouse& warehouse) {
    auto profiles = Profiles::Read(graph, warehouse);
    if (!profiles) return std::unexpected(profiles.error());
    return Evaluator(graph, warehouse, std::move(*profiles));
}

Result<const Table*> Evaluator::NeedTable(const warehouse::TableName& name) {
    std::string key = TableKey(name);
    if (auto it = tables_.find(key); it != tables_.end()) return &it->second;
    auto t = ReadTable(*warehouse_, name);
    if (!t) return std::unexpected(t.error());
    return &tables_.emplace(key, std::move(*t)).first->second;
}

const Table& Evaluator::TableOf(const warehouse::TableName& name) const {
    return tables_.at(TableKey(name));
}

Status Evaluator::Need(const audience::Audience& a) {
    for (const auto& g : a.groups) {
        for (const auto& c : g.conditions) {
            if (auto ok = NeedCondition(c); !ok) return ok;
        }
    }
    return {};
}

Status Evaluator::NeedCondition(const audience::Condition& c) {
    auto require = [](const Table& t, const std::string& column) -> Status {
        if (t.ColumnIndex(column) < 0) {
            return Fail(ErrorCode::INVALID,
                        "table " + t.name.ToString() + " has no column " + column + " of a type kith reads");
        }
        return {};
    };
    switch (c.kind) {
    case Condition::Kind::TRAIT:
        return {};
    case Condition::Kind::AUDIENCE:
        if (!c.audience) return Fail(ErrorCode::INTERNAL, "audience " + c.audience_key + " is not inlined", c.pointer);
        return Need(*c.audience);
    case Condition::Kind::EVENT: {
        auto t = NeedTable(graph_->ProfileTable(c.event_table));
        if (!t) return std::unexpected(t.error());
        for (const char* column : {"id", "segment_id", "timestamp"}) {
            if (auto ok = require(**t, column); !ok) return ok;
        }
        return {};
    }
    case Condition::Kind::ENTITY: {
        if (c.relationship < 0 || static_cast<size_t>(c.relationship) >= graph_->relationships.size()) {
            return Fail(ErrorCode::INTERNAL, "relationship " + c.relationship_slug + " is not in the graph", c.pointer);
        }
        const graph::Relationship& r = graph_->relationships[static_cast<size_t>(c.relationship)];
        const graph::Entity& e = graph_->EntityOf(r);
        auto t = NeedTable(e.table);
        if (!t) return std::unexpected(t.error());
        if (auto ok = require(**t, e.primary_key); !ok) return ok;
        if (r.join.kind == graph::JoinKind::EXTERNAL_ID || r.join.kind == graph::JoinKind::TRAIT) {
            if (auto ok = require(**t, r.join.entity_column); !ok) return ok;
        } else {
            if (auto ok = require(**t, r.join.child_column); !ok) return ok;
        }
        if (r.join.kind == graph::JoinKind::JUNCTION) {
            auto jt = NeedTable(r.join.junction_table);
            if (!jt) return std::unexpected(jt.error());
            if (auto ok = require(**jt, r.join.junction_left_column); !ok) return ok;
            if (auto ok = require(**jt, r.join.junction_right_column); !ok) return ok;
        }
        for (const auto& child : c.children) {
            if (auto ok = NeedCondition(child); !ok) return ok;
        }
        return {};
    }
    }
    return {};
}

Result<Evaluation> Evaluator::Evaluate(const audience::Audience& audience, int64_t as_of_micros) {
    if (auto ok = Need(audience); !ok) return std::unexpected(ok.error());
    Run run(*this, as_of_micros);
    Evaluation out;
    const auto& members = run.Members(audience);
    out.members.assign(members.begin(), members.end());
    std::set<MatchedEntity> entities;
    for (const auto& p : out.members) {
        for (const auto& g : audience.groups) {
            if (!run.GroupHolds(g, p)) continue;
            for (const auto& c : g.conditions) {
                if (c.kind != Condition::Kind::ENTITY || c.without || !run.ConditionTrue(c, p, nullptr)) continue;
                run.Collect(c, p, nullptr, entities);
            }
        }
    }
    out.entities.assign(entities.begin(), entities.end());
    return out;
}

Result<Evaluation> Evaluate(const graph::DataGraph& graph, const audience::Audience& audience, int64_t as_of_micros,
                            warehouse::Warehouse& warehouse) {
    auto ev = Evaluator::Open(graph, warehouse);
    if (!ev) return std::unexpected(ev.error());
    return ev->Evaluate(audience, as_of_micros);
}

} // namespace kith::reference
