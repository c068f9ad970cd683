#include "run/snapshot.hpp"

#include "sql/printer.hpp"

#include <fmt/format.h>

namespace kith::run {

namespace {

using sql::Col;
using sql::ExprPtr;
using sql::OrderItem;

sql::OrderItem Bytewise(ExprPtr e) { return OrderItem{std::move(e), false, true, true}; }

std::string CreateAs(const sql::TableName& table, const sql::Query& query, const sql::Dialect& d) {
    return "CREATE TABLE " + sql::QuoteTable(table) + " AS\n" + sql::Print(query, d);
}

std::string DropIfExists(const sql::TableName& table) { return "DROP TABLE IF EXISTS " + sql::QuoteTable(table); }

// SELECT row_number() OVER (ORDER BY keys) AS seq, <columns> FROM <from> ORDER BY seq: the numbered form of a set.
sql::Select Numbered(sql::Source from, const std::vector<std::string>& columns, const std::vector<std::string>& keys) {
    std::vector<OrderItem> order;
    for (const auto& k : keys) order.push_back(Bytewise(Col("u", k)));
    sql::Select inner;
    inner.From(std::move(from)).Item(sql::RowNumber({}, order), "seq");
    for (const auto& c : columns) inner.Item(Col("u", c), c);
    sql::Select outer;
    outer.From(sql::Sub(sql::Share(std::move(inner)), "n")).Item(Col("n", "seq"), "seq");
    for (const auto& c : columns) outer.Item(Col("n", c), c);
    outer.OrderBy(Col("n", "seq"));
    return outer;
}

// Rows of `from` (alias "a") that have no equal row in `other` (alias "b"), compared on `keys`, tagged with kind.
sql::SelectPtr Missing(const sql::TableName& from, const sql::TableName& other, const std::vector<std::string>& keys,
                       const std::string& kind) {
    std::vector<ExprPtr> on;
    for (const auto& k : keys) on.push_back(sql::Eq(Col("b", k), Col("a", k)));
    sql::Select s;
    s.From(sql::Table(from, "a")).JoinLeft(sql::Table(other, "b"), sql::And(on));
    s.Item(sql::Str(kind), "kind");
    for (const auto& k : keys) s.Item(Col("a", k), k);
    s.Where(sql::IsNull(Col("b", keys[0])));
    return sql::Share(std::move(s));
}

sql::SelectPtr AllEntered(const sql::TableName& from, const std::vector<std::string>& keys) {
    sql::Select s;
    s.From(sql::Table(from, "a")).Item(sql::Str("entered"), "kind");
    for (const auto& k : keys) s.Item(Col("a", k), k);
    return sql::Share(std::move(s));
}

sql::Query Diff(const sql::TableName& current, const std::optional<sql::TableName>& baseline,
                const std::vector<std::string>& keys) {
    sql::Select u;
    if (baseline) {
        u.union_all = {Missing(current, *baseline, keys, "entered"), Missing(*baseline, current, keys, "exited")};
    } else {
        u.union_all = {AllEntered(current, keys)};
    }
    std::vector<std::string> columns{"kind"};
    columns.insert(columns.end(), keys.begin(), keys.end());
    std::vector<std::string> order = keys;
    order.push_back("kind");
    sql::Query q;
    q.body = sql::Share(Numbered(sql::Sub(sql::Share(std::move(u)), "u"), columns, order));
    return q;
}

const std::vector<std::string> kProfileKeys{"pid"};
const std::vector<std::string> kEntityKeys{"pid", "relationship", "pk"};

} // namespace

SnapshotTables SnapshotTables::For(const std::string& schema, int64_t audience_id, int64_t run_id) {
    std::string base = fmt::format("a{}_r{}_", audience_id, run_id);
    return SnapshotTables{schema, base + "members", base + "entities", base + "profile_changes", base + "entity_changes"};
}

std::string CreateSchemaStatement(const std::string& schema) {
    return "CREATE SCHEMA IF NOT EXISTS " + sql::QuoteIdent(schema);
}

std::vector<std::string> SnapshotStatements(const plan::Compiled& members, const plan::Compiled& entities,
                                            const SnapshotTables& t, const sql::Dialect& d) {
    std::vector<std::string> out{DropIfExists(t.Table(t.members)), DropIfExists(t.Table(t.entities))};

    sql::Query m;
    m.ctes = members.query.ctes;
    m.body = sql::Share(Numbered(sql::Sub(members.query.body, "u"), {"pid"}, {"pid"}));
    out.push_back(CreateAs(t.Table(t.members), m, d));

    // One text primary key column; NULL keys never match (audiences.md), so none are kept.
    sql::Select flat;
    flat.From(sql::Sub(entities.query.body, "q"))
        .Item(Col("q", "pid"), "pid")
        .Item(sql::Cast(Col("q", "relationship"), sql::SqlType::STRING), "relationship");
    ExprPtr pk = sql::Cast(sql::Null(), sql::SqlType::STRING);
    for (size_t i = entities.pk_relationships.size(); i-- > 0;) {
        pk = sql::Coalesce(sql::Cast(Col("q", "pk" + std::to_string(i)), sql::SqlType::STRING), pk);
    }
    flat.Item(pk, "pk");
    sql::Select kept;
    kept.From(sql::Sub(sql::Share(std::move(flat)), "f"))
        .Item(Col("f", "pid"), "pid")
        .Item(Col("f", "relationship"), "relationship")
        .Item(Col("f", "pk"), "pk")
        .Where(sql::IsNotNull(Col("f", "pk")));
    sql::Query e;
    e.ctes = entities.query.ctes;
    e.body = sql::Share(Numbered(sql::Sub(sql::Share(std::move(kept)), "u"), kEntityKeys, kEntityKeys));
    out.push_back(CreateAs(t.Table(t.entities), e, d));
    return out;
}

std::vector<std::string> DiffStatements(const SnapshotTables& cur, const std::optional<SnapshotTables>& base,
                                        const sql::Dialect& d) {
    std::vector<std::string> out{DropIfExists(cur.Table(cur.profile_changes)),
                                 DropIfExists(cur.Table(cur.entity_changes))};
    std::optional<sql::TableName> bm, be;
    if (base) {
        bm = base->Table(base->members);
        be = base->Table(base->entities);
    }
    out.push_back(CreateAs(cur.Table(cur.profile_changes), Diff(cur.Table(cur.members), bm, kProfileKeys), d));
    out.push_back(CreateAs(cur.Table(cur.entity_changes), Diff(cur.Table(cur.entities), be, kEntityKeys), d));
    return out;
}

std::vector<std::string> DropStatements(const SnapshotTables& t) {
    return {DropIfExists(t.Table(t.members)), DropIfExists(t.Table(t.entities)),
            DropIfExists(t.Table(t.profile_changes)), DropIfExists(t.Table(t.entity_changes))};
}

namespace {

ExprPtr SeqRange(int64_t after, int64_t upto) {
    return sql::And({sql::Bin(Col("c", "seq"), ">", sql::Int(after)), sql::Bin(Col("c", "seq"), "<=", sql::Int(upto))});
}

} // namespace

sql::Query PageQuery(const sql::TableName& table, bool entities, bool snapshot, int64_t after, int64_t upto,
                     const std::vector<std::string>& relationships) {
    sql::Select s;
    s.From(sql::Table(table, "c")).Item(Col("c", "seq"), "seq");
    s.Item(snapshot ? sql::Str("entered") : Col("c", "kind"), "kind");
    s.Item(Col("c", "pid"), "pid");
    std::vector<ExprPtr> where{SeqRange(after, upto)};
    if (entities) {
        s.Item(Col("c", "relationship"), "relationship").Item(Col("c", "pk"), "pk");
        std::vector<ExprPtr> names;
        for (const auto& r : relationships) names.push_back(sql::Str(r));
        where.push_back(names.empty() ? sql::Bool(false) : sql::InList(Col("c", "relationship"), names));
    }
    s.Where(sql::And(where)).OrderBy(Col("c", "seq"));
    sql::Query q;
    q.body = sql::Share(std::move(s));
    return q;
}

sql::SelectPtr PagePids(const sql::TableName& table, bool snapshot, int64_t after, int64_t upto,
                        const std::optional<std::string>& kind) {
    sql::Select s;
    s.From(sql::Table(table, "c")).Item(Col("c", "pid"), "pid");
    std::vector<ExprPtr> where{SeqRange(after, upto)};
    if (kind && !snapshot) where.push_back(sql::Eq(Col("c", "kind"), sql::Str(*kind)));
    if (kind && snapshot && *kind != "entered") where.push_back(sql::Bool(false));
    s.Where(sql::And(where));
    return sql::Share(std::move(s));
}

sql::Query CountQuery(const sql::TableName& table, bool entities, bool snapshot) {
    sql::Select s;
    s.From(sql::Table(table, "c")).Item(snapshot ? sql::Str("entered") : Col("c", "kind"), "kind");
    s.Item(entities ? Col("c", "relationship") : sql::Cast(sql::Null(), sql::SqlType::STRING), "relationship");
    s.Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
    if (!snapshot) s.GroupBy(Col("c", "kind"));
    if (entities) s.GroupBy(Col("c", "relationship"));
    sql::Query q;
    q.body = sql::Share(std::move(s));
    return q;
}

} // namespace kith::run
