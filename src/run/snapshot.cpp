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
    return sql::Print(sql::CreateTableAs{table, query}, d);
}

std::string DropIfExists(const sql::TableName& table, const sql::Dialect& d) {
    return sql::Print(sql::DropTable{table}, d);
}

// The index pages are read by, where the engine needs one.
void IndexPages(std::vector<std::string>& out, const sql::TableName& table, const sql::Dialect& d) {
    if (!d.index_pages) return;
    out.push_back(sql::Print(sql::CreateIndex{table.table + "_pn", table, {"pn"}}, d));
}

// SELECT row_number() OVER (ORDER BY keys) AS seq, dense_rank() OVER (ORDER BY pid) AS pn, <columns> FROM <from>
// ORDER BY seq: the numbered form of a set (keys start with pid). Pages are ranges of pn: whole profiles.
sql::Select Numbered(sql::Source from, const std::vector<std::string>& columns, const std::vector<std::string>& keys) {
    std::vector<OrderItem> order;
    for (const auto& k : keys) order.push_back(Bytewise(Col("u", k)));
    sql::Select inner;
    inner.From(std::move(from)).Item(sql::RowNumber({}, order), "seq");
    inner.Item(sql::DenseRank({}, {Bytewise(Col("u", "pid"))}), "pn");
    for (const auto& c : columns) inner.Item(Col("u", c), c);
    sql::Select outer;
    outer.From(sql::Sub(sql::Share(std::move(inner)), "n")).Item(Col("n", "seq"), "seq").Item(Col("n", "pn"), "pn");
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

// The members table's rows: seq, pn, pid.
sql::Query MembersQuery(const plan::Compiled& members) {
    sql::Query m;
    m.ctes = members.query.ctes;
    m.body = sql::Share(Numbered(sql::Sub(members.query.body, "u"), kProfileKeys, kProfileKeys));
    return m;
}

} // namespace

SnapshotTables SnapshotTables::For(const std::string& schema, int64_t audience_id, int64_t run_id) {
    std::string base = fmt::format("a{}_r{}_", audience_id, run_id);
    return SnapshotTables{schema, base + "members", base + "entities", base + "profile_changes", base + "entity_changes"};
}

std::string CreateSchemaStatement(const std::string& schema, const sql::Dialect& d) {
    return sql::Print(sql::CreateSchema{schema}, d);
}

std::optional<std::pair<int64_t, int64_t>> RunOfTable(const std::string& table) {
    // a<audience>_r<run>_<what>
    int64_t audience = 0, run = 0;
    size_t i = 0;
    auto number = [&](int64_t& out) {
        size_t start = i;
        while (i < table.size() && table[i] >= '0' && table[i] <= '9' && i - start < 18) out = out * 10 + (table[i++] - '0');
        return i > start;
    };
    if (table.empty() || table[i++] != 'a' || !number(audience)) return std::nullopt;
    if (table.compare(i, 2, "_r") != 0) return std::nullopt;
    i += 2;
    if (!number(run) || i >= table.size() || table[i] != '_') return std::nullopt;
    return std::make_pair(audience, run);
}

sql::Query EntitiesQuery(const plan::Compiled& entities) {
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
    return e;
}

std::vector<std::string> SnapshotStatements(const plan::Compiled& members, const plan::Compiled& entities,
                                            const SnapshotTables& t, const sql::Dialect& d) {
    std::vector<std::string> out{DropIfExists(t.Table(t.members), d), DropIfExists(t.Table(t.entities), d)};
    out.push_back(CreateAs(t.Table(t.members), MembersQuery(members), d));
    IndexPages(out, t.Table(t.members), d);
    out.push_back(CreateAs(t.Table(t.entities), EntitiesQuery(entities), d));
    IndexPages(out, t.Table(t.entities), d);
    return out;
}

std::vector<std::string> DiffStatements(const SnapshotTables& cur, const std::optional<SnapshotTables>& base,
                                        const sql::Dialect& d) {
    std::vector<std::string> out{DropIfExists(cur.Table(cur.profile_changes), d),
                                 DropIfExists(cur.Table(cur.entity_changes), d)};
    std::optional<sql::TableName> bm, be;
    if (base) {
        bm = base->Table(base->members);
        be = base->Table(base->entities);
    }
    out.push_back(CreateAs(cur.Table(cur.profile_changes), Diff(cur.Table(cur.members), bm, kProfileKeys), d));
    IndexPages(out, cur.Table(cur.profile_changes), d);
    out.push_back(CreateAs(cur.Table(cur.entity_changes), Diff(cur.Table(cur.entities), be, kEntityKeys), d));
    IndexPages(out, cur.Table(cur.entity_changes), d);
    return out;
}

sql::TableName LookupTable(const sql::TableName& table, const char* suffix) {
    return {table.database, table.schema, table.table + suffix};
}

std::vector<std::string> DropLookupStatements(const SnapshotTables& t, const sql::Dialect& d) {
    std::vector<std::string> out;
    for (const std::string* name : {&t.members, &t.entities, &t.profile_changes, &t.entity_changes}) {
        out.push_back(DropIfExists(LookupTable(t.Table(*name), "_lk"), d));
        out.push_back(DropIfExists(LookupTable(t.Table(*name), "_cx"), d));
    }
    return out;
}

std::vector<std::string> DropStatements(const SnapshotTables& t, const sql::Dialect& d) {
    std::vector<std::string> out = DropLookupStatements(t, d);
    for (const std::string* name : {&t.members, &t.entities, &t.profile_changes, &t.entity_changes}) {
        out.push_back(DropIfExists(t.Table(*name), d));
    }
    return out;
}

ExprPtr PageRange(const std::string& alias, int64_t after, int64_t upto) {
    return sql::And({sql::Bin(Col(alias, "pn"), sql::Op::GT, sql::Int(after)), sql::Bin(Col(alias, "pn"), sql::Op::LE, sql::Int(upto))});
}

sql::Query PageQuery(const sql::TableName& table, bool entities, bool snapshot, int64_t after, int64_t upto,
                     const std::vector<std::string>& relationships) {
    sql::Select s;
    s.From(sql::Table(table, "c")).Item(Col("c", "seq"), "seq");
    s.Item(snapshot ? sql::Str("entered") : Col("c", "kind"), "kind");
    s.Item(Col("c", "pid"), "pid");
    std::vector<ExprPtr> where{PageRange("c", after, upto)};
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

sql::Query CountQuery(const sql::TableName& table, bool entities, bool snapshot) {
    sql::Select s;
    s.From(sql::Table(table, "c")).Item(snapshot ? sql::Str("entered") : Col("c", "kind"), "kind");
    s.Item(entities ? Col("c", "relationship") : sql::Cast(sql::Null(), sql::SqlType::STRING), "relationship");
    s.Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
    s.Item(sql::Call(sql::Fn::MAX, {Col("c", "pn")}), "pages");
    if (!snapshot) s.GroupBy(Col("c", "kind"));
    if (entities) s.GroupBy(Col("c", "relationship"));
    sql::Query q;
    q.body = sql::Share(std::move(s));
    return q;
}

namespace {

// The profiles of a change or snapshot table (of the given relationships' rows, when any), once each: pn, pid.
sql::Select ProfilesOf(const sql::TableName& table, const std::vector<std::string>& relationships) {
    sql::Select pids;
    pids.Distinct().From(sql::Table(table, "c")).Item(Col("c", "pn"), "pn").Item(Col("c", "pid"), "pid");
    if (!relationships.empty()) {
        std::vector<ExprPtr> names;
        for (const auto& r : relationships) names.push_back(sql::Str(r));
        pids.Where(sql::InList(Col("c", "relationship"), names));
    }
    return pids;
}

} // namespace

sql::Select OneProfile(const std::string& pid) {
    sql::Select s;
    s.Item(sql::Int(1), "pn").Item(sql::Cast(sql::Str(pid), sql::SqlType::STRING), "pid");
    return s;
}

std::string LookupStatement(const sql::TableName& table, const std::vector<std::string>& relationships,
                            const std::vector<std::string>& types, const std::vector<std::string>& traits,
                            const sql::TableName& identifiers, const sql::TableName& user_traits, const sql::Dialect& d) {
    return CreateAs(LookupTable(table, "_lk"),
                    LookupQuery(ProfilesOf(table, relationships), types, traits, identifiers, user_traits), d);
}

sql::Query LookupQuery(sql::Select profiles, const std::vector<std::string>& types,
                       const std::vector<std::string>& traits, const sql::TableName& identifiers,
                       const sql::TableName& user_traits) {
    sql::Query q;
    const std::string& p = q.Add("p", std::move(profiles));
    std::vector<sql::SelectPtr> parts;
    if (!types.empty()) {
        std::vector<ExprPtr> names;
        for (const auto& t : types) names.push_back(sql::Str(t));
        sql::Select s;
        s.From(sql::Cte(p, "p"))
            .JoinInner(sql::Table(identifiers, "i"), sql::Eq(Col("i", "canonical_segment_id"), Col("p", "pid")))
            .Item(Col("p", "pn"), "pn")
            .Item(Col("p", "pid"), "pid")
            .Item(sql::Str("i"), "kind")
            .Item(Col("i", "type"), "name")
            .Item(sql::Call(sql::Fn::MIN_BYTEWISE, {Col("i", "value")}), "value")
            .Where(sql::And({sql::InList(Col("i", "type"), names), sql::IsNotNull(Col("i", "value"))}))
            .GroupBy(Col("p", "pn"))
            .GroupBy(Col("p", "pid"))
            .GroupBy(Col("i", "type"));
        parts.push_back(sql::Share(std::move(s)));
    }
    if (!traits.empty()) {
        std::vector<ExprPtr> names;
        for (const auto& t : traits) names.push_back(sql::Str(t));
        // The current value as the compiler reads it (audiences.md, "Current trait value").
        sql::Select ranked;
        ranked.From(sql::Cte(p, "p"))
            .JoinInner(sql::Table(user_traits, "t"), sql::Eq(Col("t", "canonical_segment_id"), Col("p", "pid")))
            .Item(Col("p", "pn"), "pn")
            .Item(Col("p", "pid"), "pid")
            .Item(Col("t", "name"), "name")
            .Item(Col("t", "value"), "value")
            .Item(sql::RowNumber({Col("t", "canonical_segment_id"), Col("t", "name")},
                                 {sql::OrderItem{Col("t", "seq"), true, true, false},
                                  sql::OrderItem{Col("t", "value"), true, true, true}}),
                  "rank")
            .Where(sql::InList(Col("t", "name"), names));
        sql::Select s;
        s.From(sql::Sub(sql::Share(std::move(ranked)), "r"))
            .Item(Col("r", "pn"), "pn")
            .Item(Col("r", "pid"), "pid")
            .Item(sql::Str("t"), "kind")
            .Item(Col("r", "name"), "name")
            .Item(Col("r", "value"), "value")
            .Where(sql::And({sql::Eq(Col("r", "rank"), sql::Int(1)), sql::IsNotNull(Col("r", "value"))}));
        parts.push_back(sql::Share(std::move(s)));
    }
    sql::Select u;
    u.union_all = parts;
    sql::Select body;
    body.From(sql::Sub(sql::Share(std::move(u)), "u"))
        .Item(Col("u", "pn"), "pn")
        .Item(Col("u", "pid"), "pid")
        .Item(Col("u", "kind"), "kind")
        .Item(Col("u", "name"), "name")
        .Item(Col("u", "value"), "value")
        .OrderBy(Col("u", "pn"));
    q.body = sql::Share(std::move(body));
    return q;
}

sql::Query ProfilesWithIdentifierQuery(const sql::TableName& identifiers, const std::vector<std::string>& types,
                                       const std::string& value) {
    std::vector<ExprPtr> names;
    for (const auto& t : types) names.push_back(sql::Str(t));
    sql::Select s;
    s.Distinct()
        .From(sql::Table(identifiers, "i"))
        .Item(Col("i", "canonical_segment_id"), "pid")
        .Where(sql::And({sql::InList(Col("i", "type"), names), sql::Eq(Col("i", "value"), sql::Str(value)),
                         sql::IsNotNull(Col("i", "canonical_segment_id"))}));
    sql::Query q;
    q.body = sql::Share(std::move(s));
    return q;
}

std::string ContextStatement(const sql::TableName& table, bool snapshot, const sql::TableName& entered_from,
                             const std::optional<sql::TableName>& exited_from, const sql::Dialect& d) {
    sql::Query q;
    sql::Select pids;
    pids.Distinct().From(sql::Table(table, "c")).Item(Col("c", "pn"), "pn").Item(Col("c", "pid"), "pid");
    pids.Item(snapshot ? sql::Str("entered") : Col("c", "kind"), "kind");
    const std::string& p = q.Add("p", std::move(pids));
    auto part = [&](const sql::TableName& from, const char* kind) {
        sql::Select s;
        s.From(sql::Cte(p, "p"))
            .JoinInner(sql::Table(from, "e"), sql::Eq(Col("e", "pid"), Col("p", "pid")))
            .Item(Col("p", "pn"), "pn")
            .Item(Col("p", "pid"), "pid")
            .Item(Col("p", "kind"), "kind")
            .Item(Col("e", "relationship"), "relationship")
            .Item(Col("e", "pk"), "pk")
            .Item(Col("e", "seq"), "eseq")
            .Where(sql::Eq(Col("p", "kind"), sql::Str(kind)));
        return sql::Share(std::move(s));
    };
    sql::Select u;
    u.union_all.push_back(part(entered_from, "entered"));
    if (exited_from) u.union_all.push_back(part(*exited_from, "exited"));
    sql::Select body;
    body.From(sql::Sub(sql::Share(std::move(u)), "u"))
        .Item(Col("u", "pn"), "pn")
        .Item(Col("u", "pid"), "pid")
        .Item(Col("u", "kind"), "kind")
        .Item(Col("u", "relationship"), "relationship")
        .Item(Col("u", "pk"), "pk")
        .Item(Col("u", "eseq"), "eseq")
        .OrderBy(Col("u", "pn"));
    q.body = sql::Share(std::move(body));
    return CreateAs(LookupTable(table, "_cx"), q, d);
}

std::vector<std::string> IndexStatements(const sql::TableName& table, const sql::Dialect& d) {
    std::vector<std::string> out;
    IndexPages(out, table, d);
    return out;
}

} // namespace kith::run
