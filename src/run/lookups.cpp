#include "run/lookups.hpp"

#include "sql/printer.hpp"

namespace kith::run {

namespace {

using nlohmann::json;
using sql::Col;
using sql::ExprPtr;

std::string Text(const warehouse::Cell& c) { return c.value_or(""); }

sql::TableName ToSql(const warehouse::TableName& t) { return {t.database, t.schema, t.table}; }

// The entity row of a result row: its key (typed) at `at`, the enriched columns after it.
EntityRow ReadEntityRow(const std::vector<warehouse::Cell>& row, const std::vector<warehouse::Column>& meta, size_t at,
                        const std::vector<std::string>& columns) {
    EntityRow e;
    e.primary_key = ToJson(row[at], meta[at].type);
    for (size_t i = 0; i < columns.size(); ++i) e.columns[columns[i]] = ToJson(row[at + 1 + i], meta[at + 1 + i].type);
    return e;
}

// The entities themselves: key text, typed key, enriched columns.
Status LoadRows(warehouse::Warehouse& wh, const sql::Dialect& d, const graph::Entity& entity,
                const std::string& relationship, const std::set<std::string>& columns, const KeyFilter& keys,
                Lookups& out) {
    ExprPtr key_text = sql::Cast(Col("x", entity.primary_key), sql::SqlType::STRING);
    sql::Select s;
    s.From(sql::Table(ToSql(entity.table), "x")).Item(key_text, "k").Item(Col("x", entity.primary_key), "key");
    std::vector<std::string> cols(columns.begin(), columns.end());
    for (size_t i = 0; i < cols.size(); ++i) s.Item(Col("x", cols[i]), "c" + std::to_string(i));
    s.Where(keys(key_text));
    auto& rows = out.entities[relationship];
    return EachRow(wh, sql::Print(s, d), [&](const auto& row, const auto& meta) {
        std::string k = Text(row[0]);
        if (rows.contains(k)) return; // a duplicated key: the first row read speaks for it
        rows.emplace(std::move(k), ReadEntityRow(row, meta, 1, cols));
    });
}

// The children of one child relationship, per parent key text, once per child key in key text order.
Status LoadChildren(warehouse::Warehouse& wh, const sql::Dialect& d, const graph::DataGraph& graph,
                    const graph::Entity& entity, const std::string& child, const std::set<std::string>& columns,
                    const KeyFilter& keys, std::map<std::string, std::vector<EntityRow>>& out) {
    const graph::Relationship& cr = *graph.FindRelationship(child);
    const graph::Entity& ce = graph.EntityOf(cr);
    ExprPtr key_text = sql::Cast(Col("x", entity.primary_key), sql::SqlType::STRING);
    sql::Select s;
    s.From(sql::Table(ToSql(entity.table), "x"));
    if (cr.join.kind == graph::JoinKind::JUNCTION) {
        s.JoinInner(sql::Table(ToSql(cr.join.junction_table), "j"),
                    sql::Eq(Col("j", cr.join.junction_left_column), Col("x", cr.join.parent_column)));
        s.JoinInner(sql::Table(ToSql(ce.table), "ch"),
                    sql::Eq(Col("ch", cr.join.child_column), Col("j", cr.join.junction_right_column)));
    } else {
        s.JoinInner(sql::Table(ToSql(ce.table), "ch"),
                    sql::Eq(Col("ch", cr.join.child_column), Col("x", cr.join.parent_column)));
    }
    s.Item(key_text, "parent")
        .Item(sql::Cast(Col("ch", ce.primary_key), sql::SqlType::STRING), "k")
        .Item(Col("ch", ce.primary_key), "key");
    std::vector<std::string> cols(columns.begin(), columns.end());
    for (size_t i = 0; i < cols.size(); ++i) s.Item(Col("ch", cols[i]), "c" + std::to_string(i));
    s.Where(sql::And({keys(key_text), sql::IsNotNull(Col("ch", ce.primary_key))}));
    std::map<std::string, std::map<std::string, EntityRow>> found; // parent -> child key -> row (sorted)
    auto ok = EachRow(wh, sql::Print(s, d), [&](const auto& row, const auto& meta) {
        auto& rows = found[Text(row[0])];
        std::string k = Text(row[1]);
        if (rows.contains(k)) return;
        rows.emplace(std::move(k), ReadEntityRow(row, meta, 2, cols));
    });
    if (!ok) return ok;
    for (auto& [parent, rows] : found) {
        for (auto& [k, row] : rows) out[parent].push_back(std::move(row));
    }
    return {};
}

} // namespace

Value ToJson(const warehouse::Cell& cell, warehouse::DataType type) {
    if (!cell) return nullptr;
    if (type == warehouse::DataType::NUMBER) {
        json v = json::parse(*cell, nullptr, false);
        if (v.is_number()) return v;
    }
    if (type == warehouse::DataType::BOOLEAN) return *cell == "true";
    return *cell;
}

Value KeyJson(const std::string& text, bool numeric) {
    if (numeric) {
        json n = json::parse(text, nullptr, false);
        if (n.is_number()) return n;
    }
    return text;
}

Status EachRow(warehouse::Warehouse& wh, const std::string& sql, const RowSink& sink) {
    auto stream = wh.Query(sql);
    if (!stream) return std::unexpected(stream.error());
    const auto& columns = (*stream)->columns();
    warehouse::Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) return {};
        for (const auto& row : chunk.rows) sink(row, columns);
    }
}

Result<bool> NumericKey(warehouse::Warehouse& wh, const graph::DataGraph& graph, const std::string& relationship) {
    const graph::Entity& entity = graph.EntityOf(*graph.FindRelationship(relationship));
    auto cols = wh.DescribeTable(entity.table);
    if (!cols) return std::unexpected(cols.error());
    bool numeric = false;
    if (*cols) {
        for (const auto& c : **cols) {
            if (c.Named(entity.primary_key)) numeric = c.type == warehouse::DataType::NUMBER;
        }
    }
    return numeric;
}

Status LoadEntities(warehouse::Warehouse& wh, const sql::Dialect& d, const graph::DataGraph& graph,
                    const std::string& relationship, const EntityEnrichment& enrichment, const KeyFilter& keys,
                    Lookups& out) {
    const graph::Entity& entity = graph.EntityOf(*graph.FindRelationship(relationship));
    if (auto ok = LoadRows(wh, d, entity, relationship, enrichment.columns, keys, out); !ok) return ok;
    for (const auto& [child, columns] : enrichment.children) {
        auto& target = out.children[relationship][child];
        if (auto ok = LoadChildren(wh, d, graph, entity, child, columns, keys, target); !ok) return ok;
    }
    return {};
}

} // namespace kith::run
