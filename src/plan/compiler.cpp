#include "plan/compiler.hpp"

#include "common/text.hpp"
#include "warehouse/canonical.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace kith::plan {

namespace {

using audience::Audience;
using audience::Condition;
using audience::Filter;
using audience::Op;
using audience::Ref;
using sql::ExprPtr;
using schema::DataType;

// Text forms of audiences.md's "Text to type" rule, as regular expressions matched against the whole text.
constexpr const char* kNumberRe = "-?[0-9]{1,20}(\\.[0-9]{1,18})?";
constexpr const char* kDateRe = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
constexpr const char* kTimeRe = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?";
constexpr const char* kTimestampRe =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?"
    "(Z|[+-]([01][0-9]|2[0-3])(:[0-5][0-9])?)?";

sql::TableName Sql(const schema::TableName& t) { return sql::TableName{t.database, t.schema, t.table}; }

ExprPtr Regex(ExprPtr text, const char* pattern) { return sql::Call(sql::Fn::REGEX_FULL_MATCH, {std::move(text), sql::Str(pattern)}); }

ExprPtr Substr(ExprPtr s, int start, int length) {
    return sql::Call(sql::Fn::SUBSTR, {std::move(s), sql::Int(start), sql::Int(length)});
}

ExprPtr IntOf(ExprPtr s, int start, int length) { return sql::Cast(Substr(std::move(s), start, length), sql::SqlType::INTEGER); }

// True when the first 10 characters of v (already matching YYYY-MM-DD) are a real date, years 0001-9999.
ExprPtr RealDate(const ExprPtr& v) {
    ExprPtr y = IntOf(v, 1, 4), m = IntOf(v, 6, 2), d = IntOf(v, 9, 2);
    ExprPtr leap = sql::Or({sql::And({sql::Eq(sql::Bin(y, sql::Op::MOD, sql::Int(4)), sql::Int(0)),
                                      sql::Bin(sql::Bin(y, sql::Op::MOD, sql::Int(100)), sql::Op::NE, sql::Int(0))}),
                            sql::Eq(sql::Bin(y, sql::Op::MOD, sql::Int(400)), sql::Int(0))});
    ExprPtr days = sql::Case({sql::InList(m, {sql::Int(4), sql::Int(6), sql::Int(9), sql::Int(11)}), sql::Int(30),
                              sql::Eq(m, sql::Int(2)), sql::Case({leap, sql::Int(29)}, sql::Int(28))},
                             sql::Int(31));
    return sql::And({sql::Bin(y, sql::Op::GE, sql::Int(1)), sql::Bin(m, sql::Op::GE, sql::Int(1)), sql::Bin(m, sql::Op::LE, sql::Int(12)),
                     sql::Bin(d, sql::Op::GE, sql::Int(1)), sql::Bin(d, sql::Op::LE, days)});
}

// Text (a trait value, an identifier) converted to a type by the exact rule; NULL when it does not convert.
ExprPtr FromText(const ExprPtr& v, DataType type) {
    switch (type) {
    case DataType::STRING:
    case DataType::OTHER:
        return v;
    case DataType::NUMBER:
        return sql::Case({Regex(v, kNumberRe), sql::TryCast(v, sql::SqlType::NUMBER)});
    case DataType::BOOLEAN:
        return sql::Case({sql::Eq(v, sql::Str("true")), sql::Bool(true), sql::Eq(v, sql::Str("false")), sql::Bool(false)});
    case DataType::DATE:
        return sql::Case({Regex(v, kDateRe), sql::Case({RealDate(v), sql::TryCast(v, sql::SqlType::DATE)})});
    case DataType::TIME:
        return sql::Case({Regex(v, kTimeRe), sql::TryCast(v, sql::SqlType::TIME)});
    case DataType::TIMESTAMP: {
        // "YYYY-MM-DD HH:MM:SS[.f]" as UTC, minus the offset that followed it.
        ExprPtr naive = sql::Call(sql::Fn::REGEX_REPLACE,
                                  {v, sql::Str("^(.{10})[T ](.{8}(\\.[0-9]+)?).*$"), sql::Str("\\1 \\2")});
        ExprPtr off = sql::Call(sql::Fn::REGEX_REPLACE, {v, sql::Str("^.{19}(\\.[0-9]+)?"), sql::Str("")});
        ExprPtr minutes = sql::Case(
            {sql::InList(off, {sql::Str(""), sql::Str("Z")}), sql::Int(0)},
            sql::Bin(sql::Bin(sql::Bin(IntOf(off, 2, 2), sql::Op::MUL, sql::Int(60)), sql::Op::ADD,
                              sql::Case({sql::Eq(sql::Call(sql::Fn::LENGTH, {off}), sql::Int(6)), IntOf(off, 5, 2)}, sql::Int(0))), sql::Op::MUL, sql::Case({sql::Eq(Substr(off, 1, 1), sql::Str("-")), sql::Int(-1)}, sql::Int(1))));
        ExprPtr instant = sql::Bin(sql::TryCast(naive, sql::SqlType::TIMESTAMP), sql::Op::SUB, sql::Call(sql::Fn::MINUTES, {minutes}));
        return sql::Case({Regex(v, kTimestampRe), sql::Case({RealDate(v), instant})});
    }
    }
    return v;
}

// A constant of the filter's type as a literal.
ExprPtr Literal(const std::string& canonical, DataType type) {
    switch (type) {
    case DataType::NUMBER:
        return sql::Num(canonical);
    case DataType::BOOLEAN:
        return sql::Bool(canonical == "true");
    case DataType::DATE:
        return sql::Typed(sql::SqlType::DATE, canonical);
    case DataType::TIME:
        return sql::Typed(sql::SqlType::TIME, canonical);
    case DataType::TIMESTAMP: {
        // "YYYY-MM-DDTHH:MM:SS[.f]Z" -> "YYYY-MM-DD HH:MM:SS[.f]" (UTC)
        std::string t = canonical;
        if (t.size() > 10) t[10] = ' ';
        if (!t.empty() && t.back() == 'Z') t.pop_back();
        return sql::Typed(sql::SqlType::TIMESTAMP, t);
    }
    default:
        return sql::Str(canonical);
    }
}

std::string TimestampLiteralText(int64_t micros) {
    std::string t = warehouse::canonical::TimestampMicros(micros);
    t[10] = ' ';
    t.pop_back();
    return t;
}

// LIKE pattern matching s literally.
std::string EscapeLike(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

ExprPtr EscapeLikeSql(ExprPtr v) {
    v = sql::Call(sql::Fn::REPLACE, {v, sql::Str("\\"), sql::Str("\\\\")});
    v = sql::Call(sql::Fn::REPLACE, {v, sql::Str("%"), sql::Str("\\%")});
    return sql::Call(sql::Fn::REPLACE, {v, sql::Str("_"), sql::Str("\\_")});
}

// Whether a count asks only "some or none" (at least 1, exactly 0, at most 0): any n >= 1 gives the same answer.
bool Existence(const audience::Count& c) {
    return (c.op == audience::CountOp::AT_LEAST && c.value == 1) || (c.op != audience::CountOp::AT_LEAST && c.value == 0);
}

// An existence count (Existence) read from whether a per-key relation has a row for the key: its key column after a
// left join is NULL when there is none (engines plan `IS NULL` after a left join as an anti-join).
ExprPtr KeyTruth(const audience::Count& c, ExprPtr key) {
    return c.op == audience::CountOp::AT_LEAST ? sql::IsNotNull(std::move(key)) : sql::IsNull(std::move(key));
}

// A condition as a WHERE clause reads it: there NULL rejects a row as FALSE does, so `coalesce(x, FALSE)` is x at the
// top and under AND and OR (not under NOT). The bare comparison lets the engine push it into the table scan (DuckDB's
// filter pushdown) and estimate it from the column's statistics (PostgreSQL).
ExprPtr WhereForm(const ExprPtr& e) {
    if (e->kind == sql::Expr::Kind::FUNC && e->fn == sql::Fn::COALESCE && e->args.size() == 2 &&
        e->args[1]->kind == sql::Expr::Kind::BOOLEAN && !e->args[1]->flag) {
        return WhereForm(e->args[0]);
    }
    if (e->kind == sql::Expr::Kind::BINARY && (e->op == sql::Op::AND || e->op == sql::Op::OR)) {
        return sql::Bin(WhereForm(e->args[0]), e->op, WhereForm(e->args[1]));
    }
    return e;
}

// NOT e, with a NULL test flipped rather than wrapped (a `without` over KeyTruth stays a plain NULL test).
ExprPtr Negate(const ExprPtr& e) {
    if (e->kind == sql::Expr::Kind::IS_NULL) return sql::IsNotNull(e->args.at(0));
    if (e->kind == sql::Expr::Kind::IS_NOT_NULL) return sql::IsNull(e->args.at(0));
    return sql::Not(e);
}

ExprPtr CountHolds(const audience::Count& c, ExprPtr n) {
    switch (c.op) {
    case audience::CountOp::AT_LEAST:
        return sql::Bin(n, sql::Op::GE, sql::Int(c.value));
    case audience::CountOp::EXACTLY:
        return sql::Eq(n, sql::Int(c.value));
    case audience::CountOp::AT_MOST:
        return sql::Bin(n, sql::Op::LE, sql::Int(c.value));
    }
    return sql::Bool(false);
}

ExprPtr Combine(audience::Logic op, std::vector<ExprPtr> terms) {
    return op == audience::Logic::AND ? sql::And(std::move(terms)) : sql::Or(std::move(terms));
}

// A filter on value x; rhs is the reference's value when the filter has one. Never NULL.
ExprPtr FilterExpr(const Filter& f, const ExprPtr& x, const ExprPtr& rhs) {
    auto operand = [&]() { return rhs ? rhs : Literal(f.values.at(0).text, f.type); };
    auto like = [&](bool prefix_any, bool suffix_any) -> ExprPtr {
        if (rhs) {
            std::vector<ExprPtr> parts;
            if (prefix_any) parts.push_back(sql::Str("%"));
            parts.push_back(EscapeLikeSql(rhs));
            if (suffix_any) parts.push_back(sql::Str("%"));
            return sql::Like(x, parts.size() == 1 ? parts[0] : sql::Call(sql::Fn::CONCAT, parts));
        }
        return sql::Like(x, sql::Str(std::string(prefix_any ? "%" : "") + EscapeLike(f.values.at(0).text) + (suffix_any ? "%" : "")));
    };
    ExprPtr e;
    switch (f.op) {
    case Op::EQUALS:
        e = sql::Eq(x, operand());
        break;
    case Op::NOT_EQUALS:
        e = sql::Bin(x, sql::Op::NE, operand());
        break;
    case Op::LESS_THAN:
        e = sql::Bin(x, sql::Op::LT, operand());
        break;
    case Op::GREATER_THAN:
        e = sql::Bin(x, sql::Op::GT, operand());
        break;
    case Op::LESS_THAN_OR_EQUAL:
        e = sql::Bin(x, sql::Op::LE, operand());
        break;
    case Op::GREATER_THAN_OR_EQUAL:
        e = sql::Bin(x, sql::Op::GE, operand());
        break;
    case Op::CONTAINS:
        e = like(true, true);
        break;
    case Op::NOT_CONTAINS:
        e = sql::Not(like(true, true));
        break;
    case Op::STARTS_WITH:
        e = like(false, true);
        break;
    case Op::ENDS_WITH:
        e = like(true, false);
        break;
    case Op::ONE_OF:
    case Op::NOT_ONE_OF: {
        std::vector<ExprPtr> values;
        for (const auto& v : f.values) values.push_back(Literal(v.text, f.type));
        e = sql::InList(x, values, f.op == Op::NOT_ONE_OF);
        break;
    }
    case Op::EXISTS:
        return sql::IsNotNull(x);
    case Op::NOT_EXISTS:
        return sql::IsNull(x);
    }
    return sql::Coalesce(e, sql::Bool(false));
}

// An outer value a nested level depends on: a trait of the profile or a column of an ancestor row.
struct Var {
    bool trait = false;
    std::string name;     // trait name or column
    int relationship = -1; // column: the ancestor relationship
    std::string Column() const;
    int id = 0;
};

std::string Var::Column() const { return "x" + std::to_string(id); }

// One entity condition, analysed.
struct Node {
    const Condition* c = nullptr;
    int rel = -1;
    bool first_level = false;
    std::vector<int> ext; // vars from above this node that its subtree uses
    std::vector<int> own; // vars of this node's columns that its descendants use
    std::string cand, rows, count, ctx;
    bool keys_only = false; //!< count's n is 1 for every key: only "some or none" matters
    std::vector<std::string> columns; // of cand and rows
    std::vector<Node> children;
};

// Where the profiles that can satisfy a condition are listed (a CTE keyed on the profile).
struct Source {
    std::string cte;
    std::string key;
    bool in_universe = false; //!< its keys are all in the profile universe
};

// Whether a condition holds for a profile that has no rows anywhere (no trait, event, entity).
bool HoldsWithoutData(const Condition& c);

bool HoldsWithoutData(const Audience& a) {
    std::vector<bool> groups;
    for (const auto& g : a.groups) {
        bool v = g.op == audience::Logic::AND;
        for (const auto& c : g.conditions) v = g.op == audience::Logic::AND ? (v && HoldsWithoutData(c)) : (v || HoldsWithoutData(c));
        groups.push_back(v);
    }
    bool v = a.groups_op == audience::Logic::AND;
    for (bool g : groups) v = a.groups_op == audience::Logic::AND ? (v && g) : (v || g);
    return v;
}

bool HoldsWithoutData(const Condition& c) {
    bool v = false;
    switch (c.kind) {
    case Condition::Kind::TRAIT:
        v = c.filter && c.filter->op == Op::NOT_EXISTS;
        break;
    case Condition::Kind::AUDIENCE:
        v = HoldsWithoutData(*c.audience);
        break;
    case Condition::Kind::EVENT:
    case Condition::Kind::ENTITY:
        v = c.count.Holds(0);
        break;
    }
    return c.without ? !v : v;
}

class Compiler {
public:
    Compiler(const graph::DataGraph& g, const Options& o, audience::Catalog* catalog) : g_(g), o_(o), catalog_(catalog) {}

    sql::Query& query() { return q_; }

    // Emits the CTEs of an audience and returns the name of the last. In full (explain, matched entities): a
    // conditions CTE (per profile, every condition's truth and count) and a groups CTE over it (every group's truth
    // and `member`). With members_only (the members and count queries, and every referenced audience): one CTE of the
    // members' pids, the conditions joined and the audience's truth as its WHERE.
    Result<std::string> CompileAudience(const Audience& a, const std::string& scope, bool members_only) {
        std::string profiles = Profiles();
        sql::Select conds;
        conds.Item(sql::Col("p", "pid"), "pid");
        std::map<const Condition*, Source> sources;
        std::vector<std::vector<std::string>> cond_cols(a.groups.size());
        std::vector<std::vector<ExprPtr>> cond_truths(a.groups.size());
        std::vector<std::string> counts;
        for (size_t i = 0; i < a.groups.size(); ++i) {
            for (size_t j = 0; j < a.groups[i].conditions.size(); ++j) {
                const Condition& c = a.groups[i].conditions[j];
                std::string suffix = std::to_string(i) + "_" + std::to_string(j);
                std::string alias = "q" + suffix;
                // A condition every member needs, and that fails for a profile without its row, joins inner: the
                // engine may then start from its rows, as an expert would write it.
                bool inner = Required(a, a.groups[i], c);
                std::string joined_key; // the key column of the relation the condition joins
                auto join = [&](const std::string& cte, const std::string& key) {
                    joined_key = key;
                    ExprPtr on = sql::Eq(sql::Col(alias, key), sql::Col("p", "pid"));
                    inner ? conds.JoinInner(sql::Cte(cte, alias), on) : conds.JoinLeft(sql::Cte(cte, alias), on);
                };
                ExprPtr truth;
                ExprPtr n;
                switch (c.kind) {
                case Condition::Kind::TRAIT: {
                    join(Trait(c.trait), "pid");
                    ExprPtr value = sql::Col(alias, "value");
                    truth = c.filter ? FilterExpr(*c.filter, FromText(value, c.filter->type), nullptr) : sql::IsNotNull(value);
                    // No source for the candidates: a trait's rows may name profiles outside the universe.
                    if (!members_only) {
                        conds.Item(value, "v" + suffix);
                        counts.push_back("v" + suffix);
                    }
                    break;
                }
                case Condition::Kind::AUDIENCE: {
                    auto members = Referenced(*c.audience);
                    if (!members) return std::unexpected(members.error());
                    join(*members, "pid");
                    truth = sql::IsNotNull(sql::Col(alias, "pid"));
                    if (!c.without) sources[&c] = Source{*members, "pid", true};
                    break;
                }
                case Condition::Kind::EVENT: {
                    auto ev = Event(c);
                    if (!ev) return std::unexpected(ev.error());
                    join(*ev, "pid");
                    sources[&c] = Source{*ev, "pid", true};
                    n = sql::Coalesce(sql::Col(alias, "n"), sql::Int(0));
                    truth = ExistenceOnly(c.count) ? KeyTruth(c.count, sql::Col(alias, "pid")) : CountHolds(c.count, n);
                    break;
                }
                case Condition::Kind::ENTITY: {
                    auto node = EntityTree(c, true);
                    if (!node) return std::unexpected(node.error());
                    nodes_[&c] = std::move(*node);
                    join(nodes_[&c].count, "k");
                    sources[&c] = Source{nodes_[&c].count, "k",
                                         g_.relationships[static_cast<size_t>(c.relationship)].join.kind == graph::JoinKind::EXTERNAL_ID};
                    n = sql::Coalesce(sql::Col(alias, "n"), sql::Int(0));
                    truth = nodes_[&c].keys_only ? KeyTruth(c.count, sql::Col(alias, "k")) : CountHolds(c.count, n);
                    break;
                }
                }
                if (c.without) truth = Negate(truth);
                // "Its row exists" holds after an inner join: a members query need not test it again.
                const ExprPtr& tested = truth->kind == sql::Expr::Kind::IS_NOT_NULL ? truth->args[0] : nullptr;
                bool joined = inner && tested && tested->kind == sql::Expr::Kind::COLUMN && tested->qualifier == alias &&
                              tested->text == joined_key;
                if (!(members_only && joined)) cond_truths[i].push_back(truth);
                if (members_only) continue;
                conds.Item(truth, "c" + suffix);
                cond_cols[i].push_back("c" + suffix);
                if (n) {
                    conds.Item(n, "n" + suffix);
                    counts.push_back("n" + suffix);
                }
            }
        }
        std::vector<ExprPtr> group_truths;
        for (size_t i = 0; i < a.groups.size(); ++i) {
            // Empty only under AND (Required): every condition of the group holds once joined.
            if (!cond_truths[i].empty()) group_truths.push_back(Combine(a.groups[i].op, cond_truths[i]));
        }
        if (members_only && !group_truths.empty()) conds.Where(WhereForm(Combine(a.groups_op, group_truths)));
        const Source* single = nullptr;
        std::set<std::string> read;
        auto candidates = Candidates(a, scope, sources, &single, &read);
        DropUnreadUniverseJoins(sources, read);
        if (single) {
            ReadFromSource(conds, *single);
        } else {
            conds.From(sql::Cte(candidates.value_or(profiles), "p"));
        }
        if (members_only) return q_.Add(scope + "members", std::move(conds));
        std::string conditions = q_.Add(scope + "conditions", std::move(conds));
        sql::Select groups;
        groups.From(sql::Cte(conditions, "c")).Item(sql::Col("c", "pid"), "pid");
        std::vector<ExprPtr> group_cols;
        for (size_t i = 0; i < a.groups.size(); ++i) {
            std::vector<ExprPtr> terms;
            for (const auto& col : cond_cols[i]) terms.push_back(sql::Col("c", col));
            ExprPtr g = Combine(a.groups[i].op, terms);
            groups.Item(g, "g" + std::to_string(i));
            group_cols.push_back(g);
        }
        groups.Item(Combine(a.groups_op, group_cols), "member");
        for (const auto& cols : cond_cols) {
            for (const auto& col : cols) groups.Item(sql::Col("c", col), col);
        }
        for (const auto& col : counts) groups.Item(sql::Col("c", col), col);
        return q_.Add(scope + "groups", std::move(groups));
    }

    // Whether every member of the audience needs condition c of group g, and c fails for a profile without its
    // row (no trait value, no event, no entity, not a member): then an inner join drops exactly the profiles that
    // fail it. Explain shows every profile and keeps left joins.
    bool Required(const Audience& a, const audience::Group& g, const Condition& c) const {
        if (!use_candidates_ || o_.only_profile) return false;
        bool all_groups = a.groups_op == audience::Logic::AND || a.groups.size() == 1;
        bool all_conditions = g.op == audience::Logic::AND || g.conditions.size() == 1;
        return all_groups && all_conditions && !HoldsWithoutData(c);
    }

    // The matched-entity CTEs of an audience compiled with CompileAudience; appends one branch per matched node.
    void MatchedEntities(const Audience& a, const std::string& groups, std::vector<sql::SelectPtr>& branches,
                         std::vector<std::string>& pk_rels) {
        for (size_t i = 0; i < a.groups.size(); ++i) {
            for (size_t j = 0; j < a.groups[i].conditions.size(); ++j) {
                const Condition& c = a.groups[i].conditions[j];
                if (c.kind != Condition::Kind::ENTITY || c.without) continue;
                const Node& node = nodes_.at(&c);
                std::string suffix = std::to_string(i) + "_" + std::to_string(j);
                sql::Select m;
                m.From(sql::Cte(node.rows, "r"))
                    .JoinInner(sql::Cte(groups, "g"), sql::Eq(sql::Col("g", "pid"), sql::Col("r", "k")))
                    .Item(sql::Col("g", "pid"), "pid");
                for (const auto& col : node.columns) m.Item(sql::Col("r", col), col);
                m.Where(sql::And({sql::Col("g", "member"), sql::Col("g", "g" + std::to_string(i)), sql::Col("g", "c" + suffix)}));
                std::string name = q_.Add(node.rows.substr(0, node.rows.size() - 4) + "matched", std::move(m));
                Matched(node, name, branches, pk_rels);
            }
        }
    }

    std::string TraitCte(const std::string& name) { return Trait(name); }

    // The conditions read from the one source the candidates would list (keys unique, all in the universe): the
    // source itself as "p" instead of a candidates CTE joined back to it, so the source is computed once (engines
    // that inline CTEs, as Spark does, would compute it twice). The source's own left join goes; every reference to
    // it, and to p.pid, reads p's key. A NULL key names no profile.
    void ReadFromSource(sql::Select& conds, const Source& src) {
        std::string alias;
        for (auto it = conds.joins.begin(); it != conds.joins.end(); ++it) {
            if (it->source.kind == sql::Source::Kind::CTE && it->source.cte == src.cte) {
                alias = it->source.alias;
                conds.joins.erase(it);
                break;
            }
        }
        std::function<ExprPtr(const ExprPtr&)> requalify = [&](const ExprPtr& e) -> ExprPtr {
            if (!e) return e;
            if (e->kind == sql::Expr::Kind::COLUMN) {
                if (e->qualifier == alias && !alias.empty()) return sql::Col("p", e->text);
                if (e->qualifier == "p" && e->text == "pid") return sql::Col("p", src.key);
                return e;
            }
            sql::Expr copy = *e;
            for (auto& x : copy.args) x = requalify(x);
            for (auto& x : copy.partition_by) x = requalify(x);
            for (auto& o : copy.order_by) o.expr = requalify(o.expr);
            return std::make_shared<const sql::Expr>(std::move(copy));
        };
        for (auto& item : conds.items) item.expr = requalify(item.expr);
        for (auto& j : conds.joins) j.on = requalify(j.on);
        conds.where = requalify(conds.where);
        conds.From(sql::Cte(src.cte, "p")).Where(sql::IsNotNull(sql::Col("p", src.key)));
    }

    // The profiles that can be members, when that set is smaller than the universe: a profile with no data
    // is not a member, so every member appears in one condition's source per group. Nullopt: the universe, or
    // (when `single` is given) one source that the conditions read directly (ReadFromSource), set in *single.
    // *read receives the sources the candidates read.
    std::optional<std::string> Candidates(const Audience& a, const std::string& scope,
                                          const std::map<const Condition*, Source>& sources, const Source** single,
                                          std::set<std::string>* read) {
        if (!use_candidates_ || o_.only_profile || HoldsWithoutData(a)) return std::nullopt;
        std::vector<const Source*> chosen;
        for (const auto& g : a.groups) {
            bool holds = g.op == audience::Logic::AND;
            for (const auto& c : g.conditions) {
                holds = g.op == audience::Logic::AND ? (holds && HoldsWithoutData(c)) : (holds || HoldsWithoutData(c));
            }
            if (holds) return std::nullopt;
            if (g.op == audience::Logic::AND) {
                // One condition that fails without data suffices; prefer one whose keys need no universe check.
                const Source* best = nullptr;
                for (const auto& c : g.conditions) {
                    auto it = sources.find(&c);
                    if (HoldsWithoutData(c) || it == sources.end()) continue;
                    if (!best || (it->second.in_universe && !best->in_universe)) best = &it->second;
                }
                if (!best || !best->in_universe) return std::nullopt;
                chosen.push_back(best);
            } else {
                for (const auto& c : g.conditions) {
                    auto it = sources.find(&c);
                    // A source outside the universe would need the universe anyway: then use it directly.
                    if (it == sources.end() || !it->second.in_universe) return std::nullopt;
                    chosen.push_back(&it->second);
                }
            }
        }
        for (const Source* src : chosen) read->insert(src->cte);
        std::vector<sql::SelectPtr> parts;
        for (const Source* src : chosen) {
            sql::Select part;
            part.From(sql::Cte(src->cte, "s")).Item(sql::Col("s", src->key), "pid");
            parts.push_back(sql::Share(std::move(part)));
        }
        if (single && chosen.size() == 1) {
            *single = chosen[0];
            return std::nullopt;
        }
        if (parts.size() == 1) return q_.Add(scope + "candidates", sql::Select(*parts[0]));
        sql::Select all;
        all.union_all = parts;
        sql::Select distinct;
        distinct.Distinct().From(sql::Sub(sql::Share(std::move(all)), "c")).Item(sql::Col("c", "pid"), "pid");
        return q_.Add(scope + "candidates", std::move(distinct));
    }

    // An event CTE that the candidates do not read needs no universe join: the conditions left join it from
    // profiles of the universe, which drops the others. Its rows are then the grouped events alone.
    void DropUnreadUniverseJoins(const std::map<const Condition*, Source>& sources, const std::set<std::string>& read) {
        for (const auto& [condition, source] : sources) {
            auto it = universe_joins_.find(source.cte);
            if (it == universe_joins_.end() || read.contains(source.cte)) continue;
            for (auto& [name, select] : q_.ctes) {
                if (name == source.cte) select = it->second;
            }
            universe_joins_.erase(it);
        }
    }

    void UseCandidates() { use_candidates_ = true; }

    // Whether a count's CTE holds only "some or none" (members, counts and entities; explain shows the number).
    bool ExistenceOnly(const audience::Count& c) const { return use_candidates_ && Existence(c); }

    std::string Profiles() {
        if (!profiles_.empty()) return profiles_;
        sql::Select s;
        auto t = Sql(g_.ProfileTable("user_identifiers"));
        s.Distinct().From(sql::Table(t, "i")).Item(sql::Col("i", "canonical_segment_id"), "pid");
        s.Where(sql::IsNotNull(sql::Col("i", "canonical_segment_id")));
        if (o_.only_profile) s.Where(sql::Eq(sql::Col("i", "canonical_segment_id"), sql::Str(*o_.only_profile)));
        profiles_ = q_.Add("profiles", std::move(s));
        return profiles_;
    }

private:
    std::string Merges() {
        if (!merges_.empty()) return merges_;
        sql::Select s;
        s.From(sql::Table(Sql(g_.ProfileTable("profile_merges")), "m"))
            .Item(sql::Col("m", "segment_id"), "segment_id")
            .Item(sql::Call(sql::Fn::MIN_BYTEWISE, {sql::Col("m", "canonical_segment_id")}), "canonical")
            .Where(sql::And({sql::IsNotNull(sql::Col("m", "segment_id")), sql::IsNotNull(sql::Col("m", "canonical_segment_id"))}))
            .GroupBy(sql::Col("m", "segment_id"));
        merges_ = q_.Add("merges", std::move(s));
        return merges_;
    }

    // The current value of a trait per profile (audiences.md, "Current trait value").
    std::string Trait(const std::string& name) {
        if (auto it = traits_.find(name); it != traits_.end()) return it->second;
        sql::Select ranked;
        ranked.From(sql::Table(Sql(g_.ProfileTable("user_traits")), "t"))
            .Item(sql::Col("t", "canonical_segment_id"), "pid")
            .Item(sql::Col("t", "value"), "value")
            .Item(sql::RowNumber({sql::Col("t", "canonical_segment_id")},
                                 {sql::OrderItem{sql::Col("t", "seq"), true, true, false},
                                  sql::OrderItem{sql::Col("t", "value"), true, true, true}}),
                  "rank")
            .Where(sql::And({sql::Eq(sql::Col("t", "name"), sql::Str(name)), sql::IsNotNull(sql::Col("t", "canonical_segment_id"))}));
        if (o_.only_profile) ranked.Where(sql::Eq(sql::Col("t", "canonical_segment_id"), sql::Str(*o_.only_profile)));
        sql::Select s;
        s.From(sql::Sub(sql::Share(std::move(ranked)), "r"))
            .Item(sql::Col("r", "pid"), "pid")
            .Item(sql::Col("r", "value"), "value")
            .Where(sql::Eq(sql::Col("r", "rank"), sql::Int(1)));
        std::string cte = q_.Add("trait_" + std::to_string(traits_.size()), std::move(s));
        traits_[name] = cte;
        return cte;
    }

    // Identifiers of one type per profile.
    std::string Ids(const std::string& type) {
        if (auto it = ids_.find(type); it != ids_.end()) return it->second;
        sql::Select s;
        s.From(sql::Table(Sql(g_.ProfileTable("user_identifiers")), "i"))
            .Item(sql::Col("i", "canonical_segment_id"), "pid")
            .Item(sql::Col("i", "value"), "value")
            .Where(sql::And({sql::Eq(sql::Col("i", "type"), sql::Str(type)), sql::IsNotNull(sql::Col("i", "canonical_segment_id")),
                             sql::IsNotNull(sql::Col("i", "value"))}));
        if (o_.only_profile) s.Where(sql::Eq(sql::Col("i", "canonical_segment_id"), sql::Str(*o_.only_profile)));
        std::string cte = q_.Add("ids_" + std::to_string(ids_.size()), std::move(s));
        ids_[type] = cte;
        return cte;
    }

    Result<DataType> ColumnType(const schema::TableName& table, const std::string& column) {
        if (!catalog_) return DataType::STRING;
        auto cols = catalog_->Columns(table);
        if (!cols) return std::unexpected(cols.error());
        if (!*cols) return Fail(ErrorCode::INVALID, "table " + text::Quote(table.ToString()) + " does not exist in the warehouse");
        for (const auto& c : **cols) {
            if (c.Named(column)) return c.type;
        }
        return Fail(ErrorCode::INVALID, "table " + text::Quote(table.ToString()) + " has no column " + text::Quote(column));
    }

    Result<std::string> Referenced(const Audience& a) {
        if (auto it = referenced_.find(&a); it != referenced_.end()) return it->second;
        // Numbered before compiling: a referenced audience may reference others.
        std::string scope = "a" + std::to_string(scopes_++) + "_";
        auto members = CompileAudience(a, scope, true);
        if (!members) return members;
        referenced_[&a] = *members;
        return *members;
    }

    // Per profile, the distinct events of the condition's table that pass window and where. The events are grouped by
    // their profile (the canonical id their segment id was merged into, else the segment id) before the universe
    // join, so that the engine joins one row per profile, not one per event. For members and counts (not explain,
    // which shows the number): n is 1 when only "some or none" matters; and when zero events fail the count, a
    // profile whose count fails is left out by HAVING (a missing row reads as 0, which fails too), which keeps the
    // join small. The universe join keeps the keys in the universe for the candidates; CompileAudience drops it when
    // the candidates do not read this CTE (its left join from the profiles does the same), see universe_joins_.
    Result<std::string> Event(const Condition& c) {
        std::string profiles = Profiles();
        std::string merges = Merges();
        schema::TableName table = g_.ProfileTable(c.event_table);
        ExprPtr pid = sql::Coalesce(sql::Col("m", "canonical"), sql::Col("e", "segment_id"));
        ExprPtr n = sql::Call(sql::Fn::COUNT_DISTINCT, {sql::Col("e", "id")});
        bool existence = ExistenceOnly(c.count);
        sql::Select s;
        s.From(sql::Table(Sql(table), "e"))
            .JoinLeft(sql::Cte(merges, "m"), sql::Eq(sql::Col("m", "segment_id"), sql::Col("e", "segment_id")))
            .Item(pid, "pid")
            .Item(existence ? sql::Int(1) : n, "n")
            .GroupBy(pid);
        if (use_candidates_ && !existence && !c.count.Holds(0)) s.Having(CountHolds(c.count, n));
        if (o_.only_profile) s.Where(sql::Eq(pid, sql::Str(*o_.only_profile)));
        ExprPtr ts = sql::Col("e", "timestamp");
        std::vector<ExprPtr> conds = {sql::IsNotNull(sql::Col("e", "id")), sql::IsNotNull(ts),
                                      sql::Bin(ts, sql::Op::LE, sql::Typed(sql::SqlType::TIMESTAMP, TimestampLiteralText(o_.as_of_micros)))};
        const auto& w = c.window;
        switch (w.kind) {
        case audience::Window::Kind::NONE:
            break;
        case audience::Window::Kind::WITHIN:
            conds.push_back(sql::Bin(ts, sql::Op::GT, sql::Typed(sql::SqlType::TIMESTAMP, TimestampLiteralText(o_.as_of_micros - w.SpanMicros()))));
            break;
        case audience::Window::Kind::MORE_THAN_AGO:
            conds.push_back(sql::Bin(ts, sql::Op::LE, sql::Typed(sql::SqlType::TIMESTAMP, TimestampLiteralText(o_.as_of_micros - w.SpanMicros()))));
            break;
        case audience::Window::Kind::BETWEEN:
            conds.push_back(sql::Bin(ts, sql::Op::GE, sql::Typed(sql::SqlType::TIMESTAMP, TimestampLiteralText(w.from_micros))));
            conds.push_back(sql::Bin(ts, sql::Op::LT, sql::Typed(sql::SqlType::TIMESTAMP, TimestampLiteralText(w.to_micros))));
            break;
        }
        if (c.where) {
            std::vector<ExprPtr> filters;
            int t = 0;
            for (const auto& f : c.where->filters) {
                ExprPtr rhs;
                if (f.ref) {
                    std::string alias = "t" + std::to_string(t++);
                    s.JoinLeft(sql::Cte(Trait(f.ref->name), alias), sql::Eq(sql::Col(alias, "pid"), pid));
                    rhs = FromText(sql::Col(alias, "value"), f.type);
                }
                filters.push_back(FilterExpr(f, sql::Col("e", f.name), rhs));
            }
            conds.push_back(Combine(c.where->op, filters));
        }
        s.Where(WhereForm(sql::And(conds)));
        auto grouped = sql::Share(std::move(s));
        sql::Select joined;
        joined.From(sql::Sub(grouped, "x"))
            .JoinInner(sql::Cte(profiles, "p"), sql::Eq(sql::Col("p", "pid"), sql::Col("x", "pid")))
            .Item(sql::Col("x", "pid"), "pid")
            .Item(sql::Col("x", "n"), "n");
        std::string name = q_.Add("ev_" + std::to_string(events_++), std::move(joined));
        universe_joins_[name] = grouped;
        return name;
    }

    int VarId(bool trait, const std::string& name, int relationship) {
        std::string key = (trait ? "t:" : "c:" + std::to_string(relationship) + ":") + name;
        if (auto it = var_ids_.find(key); it != var_ids_.end()) return it->second;
        Var v;
        v.trait = trait;
        v.name = name;
        v.relationship = relationship;
        v.id = static_cast<int>(vars_.size());
        vars_.push_back(v);
        var_ids_[key] = v.id;
        return v.id;
    }

    // Vars referenced by filters in the subtree of c (including c's own where).
    void SubtreeVars(const Condition& c, std::set<int>& out) {
        if (c.where) {
            for (const auto& f : c.where->filters) {
                if (!f.ref) continue;
                if (f.ref->kind == Ref::Kind::TRAIT) {
                    out.insert(VarId(true, f.ref->name, -1));
                } else if (f.ref->relationship != c.relationship) {
                    out.insert(VarId(false, f.ref->name, f.ref->relationship));
                }
            }
        }
        for (const auto& ch : c.children) SubtreeVars(ch, out);
    }

    bool IsStrictAncestor(int ancestor, int rel) const {
        for (int at = g_.relationships[static_cast<size_t>(rel)].parent; at >= 0; at = g_.relationships[static_cast<size_t>(at)].parent) {
            if (at == ancestor) return true;
        }
        return false;
    }

    // The outer values the subtree of c reads: traits, and columns of relationships above c's.
    std::vector<int> OuterVars(const Condition& c) {
        std::set<int> vars;
        SubtreeVars(c, vars);
        std::vector<int> out;
        for (int id : vars) {
            const Var& v = vars_[static_cast<size_t>(id)];
            if (v.trait || IsStrictAncestor(v.relationship, c.relationship)) out.push_back(id);
        }
        return out;
    }

    // The parent keys (and outer values) a nested level is evaluated for: listed from the parent's candidates,
    // or, for members and counts when every outer value is a column of the parent's own row, from the parent's
    // table (its rows that pass the parent's `where` when that reads no outer value). That lists more pairs than
    // the candidates hold (rows of no profile, rows the parent's children fail), which only evaluates the level
    // for keys nobody asks about; but the parent's candidates (the join of the parent to its keys) are then read
    // once, by the parent's rows: engines that compute a CTE at every reference (Spark) join them once.
    sql::Select Context(const Node& node, const Node& parent) {
        const graph::Relationship& r = g_.relationships[static_cast<size_t>(node.rel)];
        bool parent_row_only = use_candidates_ && !o_.only_profile;
        for (int id : node.ext) {
            const Var& v = vars_[static_cast<size_t>(id)];
            parent_row_only = parent_row_only && !v.trait && v.relationship == parent.rel;
        }
        const graph::Entity& pe = g_.EntityOf(g_.relationships[static_cast<size_t>(parent.rel)]);
        sql::Select ctx;
        // Listed from the parent's table by its primary key, a pair repeats only for a key on several rows; the level's
        // counts group by key and values, so a repeat changes nothing, and without DISTINCT PostgreSQL joins the
        // table in parallel instead of grouping all of it in every worker first.
        if (!parent_row_only || r.join.parent_column != pe.primary_key) ctx.Distinct();
        if (!parent_row_only) {
            std::string pj = "j" + std::to_string(node.rel);
            ctx.From(sql::Cte(parent.cand, "pc")).Item(sql::Col("pc", pj), "k");
            for (int id : node.ext) ctx.Item(sql::Col("pc", vars_[static_cast<size_t>(id)].Column()), vars_[static_cast<size_t>(id)].Column());
            ctx.Where(sql::IsNotNull(sql::Col("pc", pj)));
            return ctx;
        }
        ExprPtr k = sql::Col("pe", r.join.parent_column);
        ctx.From(sql::Table(Sql(pe.table), "pe")).Item(k, "k");
        for (int id : node.ext) ctx.Item(sql::Col("pe", vars_[static_cast<size_t>(id)].name), vars_[static_cast<size_t>(id)].Column());
        ctx.Where(sql::IsNotNull(k));
        if (r.join.parent_column != pe.primary_key) ctx.Where(sql::IsNotNull(sql::Col("pe", pe.primary_key)));
        const Condition& pc = *parent.c;
        if (pc.where && std::all_of(pc.where->filters.begin(), pc.where->filters.end(), [&](const audience::Filter& f) {
                return !f.ref || (f.ref->kind == Ref::Kind::COLUMN && f.ref->relationship == parent.rel);
            })) {
            std::vector<ExprPtr> filters;
            for (const auto& f : pc.where->filters) {
                filters.push_back(FilterExpr(f, sql::Col("pe", f.name), f.ref ? sql::Col("pe", f.ref->name) : nullptr));
            }
            ctx.Where(WhereForm(Combine(pc.where->op, filters)));
        }
        return ctx;
    }

    // Analyses and emits the CTEs of an entity condition and its children (parent_cand: the parent's candidates).
    Result<Node> EntityTree(const Condition& c, bool first_level, const Node* parent = nullptr) {
        Node node;
        node.c = &c;
        node.rel = c.relationship;
        node.first_level = first_level;
        node.ext = OuterVars(c);
        std::set<int> below;
        for (const auto& ch : c.children) SubtreeVars(ch, below);
        for (int id : below) {
            const Var& v = vars_[static_cast<size_t>(id)];
            if (!v.trait && v.relationship == node.rel) node.own.push_back(id);
        }
        int number = nodes_made_++;
        std::string base = "e" + std::to_string(number) + "_";
        const graph::Relationship& r = g_.relationships[static_cast<size_t>(node.rel)];
        const graph::Entity& entity = g_.EntityOf(r);
        const graph::Join& join = r.join;

        // Candidates: rows of the entity related to their key (a profile, or a parent row's join value).
        sql::Select cand;
        std::map<int, ExprPtr> var_value; // how this level reads each outer var
        ExprPtr key;
        if (first_level) {
            std::string src = join.kind == graph::JoinKind::EXTERNAL_ID ? Ids(join.profile_key) : Trait(join.profile_key);
            auto key_type = ColumnType(entity.table, join.entity_column);
            if (!key_type) return std::unexpected(key_type.error());
            cand.From(sql::Cte(src, "i"))
                .JoinInner(sql::Table(Sql(entity.table), "e"),
                           sql::Eq(sql::Col("e", join.entity_column), FromText(sql::Col("i", "value"), *key_type)));
            key = sql::Col("i", "pid");
            int t = 0;
            for (int id : node.ext) {
                std::string alias = "t" + std::to_string(t++);
                cand.JoinLeft(sql::Cte(Trait(vars_[static_cast<size_t>(id)].name), alias), sql::Eq(sql::Col(alias, "pid"), key));
                var_value[id] = sql::Col(alias, "value");
            }
        } else {
            bool with_ctx = !node.ext.empty();
            if (with_ctx) {
                node.ctx = q_.Add(base + "ctx", Context(node, *parent));
                for (int id : node.ext) var_value[id] = sql::Col("c", vars_[static_cast<size_t>(id)].Column());
            }
            if (join.kind == graph::JoinKind::JOIN_ON) {
                if (with_ctx) {
                    cand.From(sql::Cte(node.ctx, "c")).JoinInner(sql::Table(Sql(entity.table), "e"),
                                                                 sql::Eq(sql::Col("e", join.child_column), sql::Col("c", "k")));
                    key = sql::Col("c", "k");
                } else {
                    cand.From(sql::Table(Sql(entity.table), "e"));
                    key = sql::Col("e", join.child_column);
                    cand.Where(sql::IsNotNull(key));
                }
            } else {
                if (with_ctx) {
                    cand.From(sql::Cte(node.ctx, "c"))
                        .JoinInner(sql::Table(Sql(join.junction_table), "j"),
                                   sql::Eq(sql::Col("j", join.junction_left_column), sql::Col("c", "k")));
                    key = sql::Col("c", "k");
                } else {
                    cand.From(sql::Table(Sql(join.junction_table), "j"));
                    key = sql::Col("j", join.junction_left_column);
                    cand.Where(sql::IsNotNull(key));
                }
                cand.JoinInner(sql::Table(Sql(entity.table), "e"),
                               sql::Eq(sql::Col("e", join.child_column), sql::Col("j", join.junction_right_column)));
            }
        }
        cand.Item(key, "k");
        node.columns.push_back("k");
        for (int id : node.ext) {
            cand.Item(var_value.at(id), vars_[static_cast<size_t>(id)].Column());
            node.columns.push_back(vars_[static_cast<size_t>(id)].Column());
        }
        cand.Item(sql::Col("e", entity.primary_key), "pk");
        node.columns.push_back("pk");
        for (const auto& ch : c.children) {
            const graph::Relationship& cr = g_.relationships[static_cast<size_t>(ch.relationship)];
            std::string col = "j" + std::to_string(ch.relationship);
            if (std::find(node.columns.begin(), node.columns.end(), col) != node.columns.end()) continue;
            cand.Item(sql::Col("e", cr.join.parent_column), col);
            node.columns.push_back(col);
        }
        for (int id : node.own) {
            cand.Item(sql::Col("e", vars_[static_cast<size_t>(id)].name), vars_[static_cast<size_t>(id)].Column());
            node.columns.push_back(vars_[static_cast<size_t>(id)].Column());
        }
        cand.Where(sql::IsNotNull(sql::Col("e", entity.primary_key)));
        if (c.where) {
            std::vector<ExprPtr> filters;
            for (const auto& f : c.where->filters) {
                ExprPtr rhs;
                if (f.ref) {
                    if (f.ref->kind == Ref::Kind::TRAIT) {
                        rhs = FromText(var_value.at(VarId(true, f.ref->name, -1)), f.type);
                    } else if (f.ref->relationship == node.rel) {
                        rhs = sql::Col("e", f.ref->name);
                    } else {
                        rhs = var_value.at(VarId(false, f.ref->name, f.ref->relationship));
                    }
                }
                filters.push_back(FilterExpr(f, sql::Col("e", f.name), rhs));
            }
            cand.Where(WhereForm(Combine(c.where->op, filters)));
        }
        // When no child reads an outer value, no child needs this level's candidates (they are read only to list a
        // child's context): the rows are then one SELECT, the candidate join filtered by `where` and by each child
        // on this row's join column, so that the engine can filter the entity table by its children before joining
        // it to its keys. Otherwise the candidates are a CTE of their own, and the rows join the children to it.
        bool direct = std::all_of(c.children.begin(), c.children.end(), [&](const Condition& ch) { return OuterVars(ch).empty(); });
        if (!direct) node.cand = q_.Add(base + "cand", std::move(cand));

        // Children, then the rows that pass them.
        for (const auto& ch : c.children) {
            auto child = EntityTree(ch, false, &node);
            if (!child) return std::unexpected(child.error());
            node.children.push_back(std::move(*child));
        }
        bool all_needed = c.children_op == audience::Logic::AND || c.children.size() == 1;
        if (direct) {
            sql::Select rows = std::move(cand);
            std::vector<ExprPtr> truths;
            for (size_t i = 0; i < node.children.size(); ++i) {
                const Node& ch = node.children[i];
                std::string alias = "m" + std::to_string(i);
                ExprPtr parent_key = sql::Col("e", g_.relationships[static_cast<size_t>(ch.rel)].join.parent_column);
                if (NeedsOne(ch) && all_needed) {
                    // A semi-join: this row's join value is among the child's keys that pass (a NULL value is not).
                    // When only "some or none" matters, among the keys of the child's rows: the engine then reads the
                    // child's table in the semi-join (in parallel, on PostgreSQL) rather than grouping it first.
                    sql::Select keys;
                    keys.From(sql::Cte(ch.keys_only ? ch.rows : ch.count, alias)).Item(sql::Col(alias, "k"), "k");
                    if (!ch.keys_only) keys.Where(ChildTruth(ch, sql::Col(alias, "n")));
                    rows.Where(sql::InSelect(parent_key, sql::Share(std::move(keys))));
                } else if (ch.keys_only && all_needed) {
                    // An anti-join: the child must have no row for this row's join value. Only rows without a
                    // match pass, so the child's rows can be joined as they are (PostgreSQL then reads them in a
                    // parallel hash anti-join instead of grouping them first in every worker).
                    rows.JoinLeft(sql::Cte(ch.rows, alias), sql::Eq(sql::Col(alias, "k"), parent_key));
                    truths.push_back(sql::IsNull(sql::Col(alias, "k")));
                } else {
                    rows.JoinLeft(sql::Cte(ch.count, alias), sql::Eq(sql::Col(alias, "k"), parent_key));
                    truths.push_back(ChildTruthAt(ch, alias));
                }
            }
            if (!truths.empty()) rows.Where(Combine(c.children_op, truths));
            node.rows = q_.Add(base + "rows", std::move(rows));
            node.cand = node.rows;
        } else {
            sql::Select rows;
            rows.From(sql::Cte(node.cand, "r"));
            for (const auto& col : node.columns) rows.Item(sql::Col("r", col), col);
            std::vector<ExprPtr> truths;
            for (size_t i = 0; i < node.children.size(); ++i) {
                const Node& ch = node.children[i];
                std::string alias = "m" + std::to_string(i);
                // A child that needs some entity, under AND, and whose number nobody reads, is a semi-join: some
                // row of the child matches this row's key and outer values. The engine then stops at the first
                // match rather than group every child row by key and outer values first (on PostgreSQL a grouping
                // it misestimates, built again in each parallel worker). A child that needs at least one entity
                // otherwise filters by an inner join (its count has one row per key, so nothing multiplies);
                // otherwise a left join lets "none" hold.
                if (NeedsOne(ch) && all_needed && ch.keys_only) {
                    sql::Select match;
                    match.From(sql::Cte(ch.rows, alias)).Item(sql::Int(1), "one").Where(ChildKeyMatch(ch, alias, "r"));
                    // Existence-only and needing one entity: the truth is "some row matches" (KeyTruth's AT_LEAST).
                    bool none = (ch.c->count.op != audience::CountOp::AT_LEAST) != ch.c->without;
                    truths.push_back(sql::Exists(sql::Share(std::move(match)), none));
                    continue;
                }
                if (NeedsOne(ch) && all_needed) {
                    rows.JoinInner(sql::Cte(ch.count, alias), ChildKeyMatch(ch, alias, "r"));
                } else {
                    rows.JoinLeft(sql::Cte(ch.count, alias), ChildKeyMatch(ch, alias, "r"));
                }
                truths.push_back(ChildTruth(ch, sql::Coalesce(sql::Col(alias, "n"), sql::Int(0))));
            }
            rows.Where(Combine(c.children_op, truths));
            node.rows = q_.Add(base + "rows", std::move(rows));
        }
        sql::Select count;
        count.From(sql::Cte(node.rows, "r")).Item(sql::Col("r", "k"), "k").GroupBy(sql::Col("r", "k"));
        if (!first_level) {
            for (int id : node.ext) {
                count.Item(sql::Col("r", vars_[static_cast<size_t>(id)].Column()), vars_[static_cast<size_t>(id)].Column());
                count.GroupBy(sql::Col("r", vars_[static_cast<size_t>(id)].Column()));
            }
        }
        // When only "some or none" matters and nobody reads the number, the keys are enough: grouping by key alone
        // is cheaper than counting distinct (key, primary key) pairs.
        node.keys_only = ExistenceOnly(c.count);
        count.Item(node.keys_only ? sql::Int(1) : sql::Call(sql::Fn::COUNT_DISTINCT, {sql::Col("r", "pk")}), "n");
        node.count = q_.Add(base + "count", std::move(count));
        return node;
    }

    // Whether a child condition fails for a parent row with no child entity: then the row needs one.
    static bool NeedsOne(const Node& child) { return child.c->without ? child.c->count.Holds(0) : !child.c->count.Holds(0); }

    // A child condition's truth for a parent row whose key has n child entities (n never NULL).
    static ExprPtr ChildTruth(const Node& child, ExprPtr n) {
        ExprPtr truth = CountHolds(child.c->count, std::move(n));
        return child.c->without ? sql::Not(truth) : truth;
    }

    // A child condition's truth for a parent row left joined to the child's count (alias a).
    static ExprPtr ChildTruthAt(const Node& child, const std::string& a) {
        if (!child.keys_only) return ChildTruth(child, sql::Coalesce(sql::Col(a, "n"), sql::Int(0)));
        ExprPtr truth = KeyTruth(child.c->count, sql::Col(a, "k"));
        return child.c->without ? Negate(truth) : truth;
    }

    // How a child's per-key relation (count or rows, alias a) matches a parent row (alias p).
    ExprPtr ChildKeyMatch(const Node& child, const std::string& a, const std::string& p) {
        std::vector<ExprPtr> terms = {sql::Eq(sql::Col(a, "k"), sql::Col(p, "j" + std::to_string(child.rel)))};
        for (int id : child.ext) {
            std::string col = vars_[static_cast<size_t>(id)].Column();
            terms.push_back(sql::Bin(sql::Col(a, col), sql::Op::IS_NOT_DISTINCT_FROM, sql::Col(p, col)));
        }
        return sql::And(terms);
    }

    void Matched(const Node& node, const std::string& matched, std::vector<sql::SelectPtr>& branches,
                 std::vector<std::string>& pk_rels) {
        const std::string& slug = g_.relationships[static_cast<size_t>(node.rel)].slug;
        auto it = std::find(pk_rels.begin(), pk_rels.end(), slug);
        size_t col = static_cast<size_t>(it - pk_rels.begin());
        if (it == pk_rels.end()) pk_rels.push_back(slug);
        sql::Select out;
        out.From(sql::Cte(matched, "m")).Item(sql::Col("m", "pid"), "pid").Item(sql::Str(slug), "relationship");
        branch_pk_.push_back(col);
        branches.push_back(nullptr); // filled when the number of pk columns is known
        branch_src_.push_back(matched);
        (void)out;
        for (const Node& ch : node.children) {
            if (ch.c->without) continue;
            sql::Select m;
            m.From(sql::Cte(matched, "mp"))
                .JoinInner(sql::Cte(ch.count, "cm"), ChildKeyMatch(ch, "cm", "mp"))
                .JoinInner(sql::Cte(ch.rows, "r"), ChildKeyMatch(ch, "r", "mp"))
                .Item(sql::Col("mp", "pid"), "pid");
            for (const auto& c : ch.columns) m.Item(sql::Col("r", c), c);
            m.Where(CountHolds(ch.c->count, sql::Col("cm", "n")));
            std::string name = q_.Add(ch.rows.substr(0, ch.rows.size() - 4) + "matched_" + std::to_string(matched_++), std::move(m));
            Matched(ch, name, branches, pk_rels);
        }
    }

public:
    // Builds the UNION ALL of matched entities once every branch is known. A first branch with no rows gives
    // every key column its type (PostgreSQL would otherwise type two NULL columns in a row as text).
    sql::SelectPtr EntityUnion(const std::vector<std::string>& pk_rels) {
        sql::Select all;
        sql::Select proto;
        for (size_t i = 0; i < pk_rels.size(); ++i) {
            size_t b = static_cast<size_t>(std::find(branch_pk_.begin(), branch_pk_.end(), i) - branch_pk_.begin());
            std::string alias = "t" + std::to_string(i);
            if (i == 0) {
                proto.From(sql::Cte(branch_src_[b], alias));
            } else {
                proto.JoinInner(sql::Cte(branch_src_[b], alias), sql::Bool(true));
            }
        }
        proto.Item(sql::Col("t0", "pid"), "pid").Item(sql::Cast(sql::Null(), sql::SqlType::STRING), "relationship");
        for (size_t i = 0; i < pk_rels.size(); ++i) proto.Item(sql::Col("t" + std::to_string(i), "pk"), "pk" + std::to_string(i));
        proto.Where(sql::Bool(false));
        all.union_all.push_back(sql::Share(std::move(proto)));
        for (size_t b = 0; b < branch_src_.size(); ++b) {
            sql::Select s;
            s.From(sql::Cte(branch_src_[b], "m")).Item(sql::Col("m", "pid"), "pid");
            s.Item(sql::Str(pk_rels[branch_pk_[b]]), "relationship");
            for (size_t i = 0; i < pk_rels.size(); ++i) {
                s.Item(i == branch_pk_[b] ? sql::Col("m", "pk") : sql::Null(), "pk" + std::to_string(i));
            }
            all.union_all.push_back(sql::Share(std::move(s)));
        }
        return sql::Share(std::move(all));
    }

    const graph::DataGraph& g_;
    const Options& o_;
    audience::Catalog* catalog_;
    sql::Query q_;
    std::string profiles_, merges_;
    std::map<std::string, std::string> traits_, ids_;
    std::map<const Audience*, std::string> referenced_;
    std::map<const Condition*, Node> nodes_;
    //! Event CTE name -> its rows without the universe join (see Event).
    std::map<std::string, sql::SelectPtr> universe_joins_;
    std::vector<Var> vars_;
    std::map<std::string, int> var_ids_;
    int events_ = 0;
    int scopes_ = 0;
    bool use_candidates_ = false;
    int nodes_made_ = 0;
    int matched_ = 0;
    std::vector<size_t> branch_pk_;
    std::vector<std::string> branch_src_;
};

// What the audience queries share: the audience's CTEs (restricted to candidate profiles when `candidates`), then
// the final SELECT that `body` builds from the groups CTE (it may add CTEs of its own and fill in `out`).
// The names of the CTEs a select reads, directly or through its subqueries.
void CtesRead(const sql::Select& s, std::set<std::string>& out);

void CtesRead(const ExprPtr& e, std::set<std::string>& out) {
    if (!e) return;
    for (const auto& x : e->args) CtesRead(x, out);
    for (const auto& x : e->partition_by) CtesRead(x, out);
    for (const auto& o : e->order_by) CtesRead(o.expr, out);
    if (e->select) CtesRead(*e->select, out);
}

void CtesRead(const sql::Source& src, std::set<std::string>& out) {
    if (src.kind == sql::Source::Kind::CTE) out.insert(src.cte);
    if (src.kind == sql::Source::Kind::SUBQUERY) CtesRead(*src.subquery, out);
}

void CtesRead(const sql::Select& s, std::set<std::string>& out) {
    for (const auto& item : s.items) CtesRead(item.expr, out);
    if (s.from) CtesRead(*s.from, out);
    for (const auto& j : s.joins) {
        CtesRead(j.source, out);
        CtesRead(j.on, out);
    }
    CtesRead(s.where, out);
    for (const auto& g : s.group_by) CtesRead(g, out);
    CtesRead(s.having, out);
    for (const auto& o : s.order_by) CtesRead(o.expr, out);
    for (const auto& u : s.union_all) CtesRead(*u, out);
}

// Drops the CTEs that neither the body nor a CTE it reads refers to (a child's count that its parent reads as a
// semi-join on the child's rows instead), so that the printed query holds only what runs.
void DropUnread(sql::Query& q) {
    std::set<std::string> read;
    CtesRead(*q.body, read);
    for (auto it = q.ctes.rbegin(); it != q.ctes.rend(); ++it) {
        if (read.contains(it->first)) CtesRead(*it->second, read);
    }
    std::erase_if(q.ctes, [&](const auto& cte) { return !read.contains(cte.first); });
}

// How an audience query evaluates the audience (Compiler::CompileAudience).
enum class Shape {
    EXPLAIN,  //!< every profile of the universe, with every condition's truth and count
    ENTITIES, //!< the candidates, with every condition's truth (the matched entities read them)
    MEMBERS,  //!< the members' pids alone
};

// What the audience queries share: the audience's CTEs (see Shape), then the final SELECT that `body` builds from
// the last of them (it may add CTEs of its own and fill in `out`). CTEs nothing reads are left out.
Result<Compiled> CompileAudienceQuery(const graph::DataGraph& graph, const Audience& a, const Options& options,
                                      audience::Catalog* catalog, Shape shape,
                                      const std::function<sql::Select(Compiler&, const std::string& groups, Compiled& out)>& body) {
    Compiler c(graph, options, catalog);
    if (shape != Shape::EXPLAIN) c.UseCandidates();
    auto groups = c.CompileAudience(a, "", shape == Shape::MEMBERS);
    if (!groups) return std::unexpected(groups.error());
    Compiled out;
    sql::Select select = body(c, *groups, out);
    out.query = std::move(c.query());
    out.query.body = sql::Share(std::move(select));
    DropUnread(out.query);
    return out;
}

} // namespace

Result<Compiled> CompileMembers(const graph::DataGraph& graph, const audience::Audience& a, const Options& options,
                                audience::Catalog* catalog) {
    return CompileAudienceQuery(graph, a, options, catalog, Shape::MEMBERS, [](Compiler&, const std::string& members, Compiled&) {
        sql::Select body;
        body.From(sql::Cte(members, "g")).Item(sql::Col("g", "pid"), "pid");
        body.OrderBy(sql::Col("g", "pid"), false, true);
        return body;
    });
}

Result<Compiled> CompileMemberCount(const graph::DataGraph& graph, const audience::Audience& a, const Options& options,
                                    audience::Catalog* catalog) {
    return CompileAudienceQuery(graph, a, options, catalog, Shape::MEMBERS, [](Compiler&, const std::string& members, Compiled&) {
        sql::Select body;
        body.From(sql::Cte(members, "g")).Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
        return body;
    });
}

Result<Compiled> CompileSuggestions(const graph::DataGraph& graph, const SuggestionTarget& target) {
    Options options;
    Compiler c(graph, options, nullptr);
    sql::Select body;
    ExprPtr v;
    switch (target.kind) {
    case SuggestionTarget::Kind::ENTITY_COLUMN: {
        const graph::Entity* e = graph.FindEntity(target.entity);
        if (!e) return Fail(ErrorCode::NOT_FOUND, "the data graph has no entity " + text::Quote(target.entity));
        v = sql::Col("e", target.column);
        // GROUP BY rather than DISTINCT: PostgreSQL refuses ORDER BY v COLLATE "C" on a SELECT DISTINCT of v.
        body.From(sql::Table(Sql(e->table), "e")).Item(v, "value").Where(sql::IsNotNull(v)).GroupBy(v);
        body.OrderBy(v, false, true).Limit(100);
        break;
    }
    case SuggestionTarget::Kind::EVENT_COLUMN: {
        std::string table = graph::EventTableName(target.event);
        if (table.empty()) return Fail(ErrorCode::INVALID, "event name " + text::Quote(target.event) + " names no table");
        v = sql::Col("e", target.column);
        body.From(sql::Table(Sql(graph.ProfileTable(table)), "e")).Item(v, "value").Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
        body.Where(sql::IsNotNull(v)).GroupBy(v);
        body.OrderBy(sql::Call(sql::Fn::COUNT_STAR, {}), true).OrderBy(v, false, true).Limit(65);
        break;
    }
    case SuggestionTarget::Kind::TRAIT: {
        std::string trait = c.TraitCte(target.trait);
        v = sql::Col("t", "value");
        body.From(sql::Cte(trait, "t")).Item(v, "value").Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
        body.Where(sql::IsNotNull(v)).GroupBy(v);
        body.OrderBy(sql::Call(sql::Fn::COUNT_STAR, {}), true).OrderBy(v, false, true).Limit(65);
        break;
    }
    }
    Compiled out;
    out.query = std::move(c.query());
    out.query.body = sql::Share(std::move(body));
    return out;
}

Result<Compiled> CompileTraitNames(const graph::DataGraph& graph) {
    auto name = sql::Col("t", "name");
    sql::Select body;
    body.From(sql::Table(Sql(graph.ProfileTable("user_traits")), "t")).Item(name, "name");
    body.Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n").Where(sql::IsNotNull(name)).GroupBy(name);
    body.OrderBy(sql::Call(sql::Fn::COUNT_STAR, {}), true).OrderBy(name, false, true).Limit(1000);
    Compiled out;
    out.query.body = sql::Share(std::move(body));
    return out;
}

Result<Compiled> CompileEntities(const graph::DataGraph& graph, const audience::Audience& a, const Options& options,
                                 audience::Catalog* catalog) {
    return CompileAudienceQuery(graph, a, options, catalog, Shape::ENTITIES, [&a](Compiler& c, const std::string& groups, Compiled& out) {
        std::vector<sql::SelectPtr> branches;
        c.MatchedEntities(a, groups, branches, out.pk_relationships);
        sql::Select body;
        if (out.pk_relationships.empty()) {
            // No entity condition can match: an empty result of the same shape.
            body.From(sql::Cte(groups, "g")).Item(sql::Col("g", "pid"), "pid").Item(sql::Null(), "relationship");
            body.Where(sql::Bool(false));
            return body;
        }
        // DISTINCT inside, bytewise ORDER BY outside (PostgreSQL orders a DISTINCT only by selected expressions).
        sql::Select distinct;
        distinct.Distinct().From(sql::Sub(c.EntityUnion(out.pk_relationships), "u"));
        distinct.Item(sql::Col("u", "pid"), "pid").Item(sql::Col("u", "relationship"), "relationship");
        for (size_t i = 0; i < out.pk_relationships.size(); ++i) {
            distinct.Item(sql::Col("u", "pk" + std::to_string(i)), "pk" + std::to_string(i));
        }
        body.From(sql::Sub(sql::Share(std::move(distinct)), "d"));
        body.Item(sql::Col("d", "pid"), "pid").Item(sql::Col("d", "relationship"), "relationship");
        for (size_t i = 0; i < out.pk_relationships.size(); ++i) {
            body.Item(sql::Col("d", "pk" + std::to_string(i)), "pk" + std::to_string(i));
        }
        body.OrderBy(sql::Col("d", "pid"), false, true).OrderBy(sql::Col("d", "relationship"), false, true);
        return body;
    });
}

Result<Compiled> CompileConditions(const graph::DataGraph& graph, const audience::Audience& a, const Options& options,
                                   audience::Catalog* catalog) {
    return CompileAudienceQuery(graph, a, options, catalog, Shape::EXPLAIN, [&a](Compiler&, const std::string& groups, Compiled&) {
        sql::Select body;
        body.From(sql::Cte(groups, "g"));
        body.Item(sql::Col("g", "pid"), "pid").Item(sql::Col("g", "member"), "member");
        for (size_t i = 0; i < a.groups.size(); ++i) body.Item(sql::Col("g", "g" + std::to_string(i)), "g" + std::to_string(i));
        for (size_t i = 0; i < a.groups.size(); ++i) {
            for (size_t j = 0; j < a.groups[i].conditions.size(); ++j) {
                std::string suffix = std::to_string(i) + "_" + std::to_string(j);
                body.Item(sql::Col("g", "c" + suffix), "c" + suffix);
                const auto& cond = a.groups[i].conditions[j];
                if (cond.kind == Condition::Kind::EVENT || cond.kind == Condition::Kind::ENTITY) {
                    body.Item(sql::Col("g", "n" + suffix), "n" + suffix);
                }
                if (cond.kind == Condition::Kind::TRAIT) body.Item(sql::Col("g", "v" + suffix), "v" + suffix);
            }
        }
        body.OrderBy(sql::Col("g", "pid"), false, true);
        return body;
    });
}

} // namespace kith::plan
