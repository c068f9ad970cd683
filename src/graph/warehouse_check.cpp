#include "graph/warehouse_check.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <map>

namespace kith::graph {

namespace {

using warehouse::Column;
using warehouse::DataType;
using warehouse::DataTypeName;
using warehouse::TableName;

struct ProfilesSyncTable {
    const char* table;
    std::vector<std::pair<const char*, std::vector<DataType>>> columns;
};

const std::vector<ProfilesSyncTable>& ProfilesSyncTables() {
    static const std::vector<ProfilesSyncTable> tables = {
        {"user_identifiers",
         {{"canonical_segment_id", {DataType::STRING}}, {"type", {DataType::STRING}}, {"value", {DataType::STRING}}}},
        {"user_traits",
         {{"canonical_segment_id", {DataType::STRING}},
          {"name", {DataType::STRING}},
          {"value", {DataType::STRING}},
          {"seq", {DataType::NUMBER, DataType::TIMESTAMP}}}},
        {"profile_merges", {{"canonical_segment_id", {DataType::STRING}}, {"segment_id", {DataType::STRING}}}},
    };
    return tables;
}

class Checker {
public:
    Checker(const DataGraph& g, warehouse::Warehouse& w) : g_(g), w_(w) {}

    Result<Diagnostics> Run() {
        for (const auto& t : ProfilesSyncTables()) {
            TableName name = g_.ProfileTable(t.table);
            auto cols = Describe(name);
            if (!cols) return std::unexpected(cols.error());
            if (!*cols) {
                Error(g_.profile.folder_location, "Profiles Sync table " + text::Quote(name.ToString()) +
                                                      " does not exist in the warehouse");
                continue;
            }
            for (const auto& [col, types] : t.columns) {
                const Column* c = Find(**cols, col);
                if (!c) {
                    Error(g_.profile.folder_location, "Profiles Sync table " + text::Quote(name.ToString()) +
                                                          " has no column " + text::Quote(col) + Similar(**cols, col));
                } else if (std::find(types.begin(), types.end(), c->type) == types.end()) {
                    Error(g_.profile.folder_location, "column " + text::Quote(name.ToString() + "." + col) + " is " +
                                                          std::string(DataTypeName(c->type)) + " (" + c->engine_type +
                                                          "); expected " + std::string(DataTypeName(types[0])));
                }
            }
        }
        for (const auto& e : g_.entities) {
            auto cols = Describe(e.table);
            if (!cols) return std::unexpected(cols.error());
            if (!*cols) {
                Error(e.table_location, "entity " + text::Quote(e.slug) + ": table " + text::Quote(e.table.ToString()) +
                                            " does not exist in the warehouse");
                continue;
            }
            Usable(**cols, e.primary_key, e.primary_key_location, "entity " + text::Quote(e.slug) + ": primary_key",
                   e.table);
        }
        for (const auto& r : g_.relationships) {
            auto ok = CheckJoin(r);
            if (!ok) return std::unexpected(ok.error());
        }
        SortByLocation(diagnostics_);
        return std::move(diagnostics_);
    }

private:
    void Error(const Location& at, std::string message) { diagnostics_.push_back(Diagnostic{at, std::move(message)}); }

    Result<std::optional<std::vector<Column>>> Describe(const TableName& name) {
        std::string key = name.database + "\x1f" + name.schema + "\x1f" + name.table;
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        auto cols = w_.DescribeTable(name);
        if (!cols) return std::unexpected(cols.error());
        cache_[key] = *cols;
        return *cols;
    }

    static const Column* Find(const std::vector<Column>& cols, const std::string& name) {
        for (const auto& c : cols) {
            if (c.Named(name)) return &c;
        }
        return nullptr;
    }

    static std::string Similar(const std::vector<Column>& cols, const std::string& name) {
        auto lower = [](std::string s) {
            for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return s;
        };
        for (const auto& c : cols) {
            if (lower(c.name) == lower(name)) return " (did you mean " + text::Quote(c.name) + "? names are case-sensitive)";
        }
        return "";
    }

    // The column, when it exists in the table and has one of kith's six types; otherwise a diagnostic.
    const Column* Usable(const std::vector<Column>& cols, const std::string& name, const Location& at,
                         const std::string& what, const TableName& table) {
        const Column* c = Find(cols, name);
        if (!c) {
            Error(at, what + " " + text::Quote(name) + " is not a column of " + text::Quote(table.ToString()) + Similar(cols, name));
            return nullptr;
        }
        if (c->type == DataType::OTHER) {
            Error(at, what + " " + text::Quote(name) + " has type " + c->engine_type +
                          ", which kith cannot join on (expected a number, string, boolean, date, time or timestamp)");
            return nullptr;
        }
        return c;
    }

    // The columns of an entity's table, when the table exists (a missing table was reported once already).
    Result<const std::vector<Column>*> EntityColumns(const std::string& slug) {
        const Entity* e = g_.FindEntity(slug);
        auto cols = Describe(e->table);
        if (!cols) return std::unexpected(cols.error());
        auto it = cache_.find(e->table.database + "\x1f" + e->table.schema + "\x1f" + e->table.table);
        return it->second ? &*it->second : nullptr;
    }

    void Comparable(const Column* a, const std::string& a_name, const Column* b, const std::string& b_name, const Location& at,
                    const std::string& what) {
        if (!a || !b || a->type == b->type) return;
        Error(at, what + " compares " + a_name + " (" + std::string(DataTypeName(a->type)) + ") with " + b_name + " (" +
                      std::string(DataTypeName(b->type)) + "); both sides need the same type");
    }

    Status CheckJoin(const Relationship& r) {
        auto child = EntityColumns(r.entity);
        if (!child) return std::unexpected(child.error());
        const Entity& ce = g_.EntityOf(r);
        std::string rel = "relationship " + text::Quote(r.slug);
        const Join& j = r.join;
        if (j.kind == JoinKind::EXTERNAL_ID || j.kind == JoinKind::TRAIT) {
            if (*child) Usable(**child, j.entity_column, j.location, rel + ": join_key", ce.table);
            return {};
        }
        const Relationship& p = g_.relationships[static_cast<size_t>(r.parent)];
        const Entity& pe = g_.EntityOf(p);
        auto parent = EntityColumns(p.entity);
        if (!parent) return std::unexpected(parent.error());
        if (j.kind == JoinKind::JOIN_ON) {
            const Column* pc = *parent ? Usable(**parent, j.parent_column, j.location, rel + ": join_on column", pe.table) : nullptr;
            const Column* cc = *child ? Usable(**child, j.child_column, j.location, rel + ": join_on column", ce.table) : nullptr;
            Comparable(pc, p.entity + "." + j.parent_column, cc, r.entity + "." + j.child_column, j.location, rel + ": join_on");
            return {};
        }
        auto junction = Describe(j.junction_table);
        if (!junction) return std::unexpected(junction.error());
        if (!*junction) {
            Error(j.junction_table_location, rel + ": junction table " + text::Quote(j.junction_table.ToString()) +
                                                 " does not exist in the warehouse");
            return {};
        }
        const auto& jc = **junction;
        Usable(jc, j.junction_primary_key, j.location, rel + ": junction primary_key", j.junction_table);
        const Column* jl = Usable(jc, j.junction_left_column, j.location, rel + ": left_join_on column", j.junction_table);
        const Column* jr = Usable(jc, j.junction_right_column, j.location, rel + ": right_join_on column", j.junction_table);
        const Column* pc = *parent ? Usable(**parent, j.parent_column, j.location, rel + ": left_join_on column", pe.table) : nullptr;
        const Column* cc = *child ? Usable(**child, j.child_column, j.location, rel + ": right_join_on column", ce.table) : nullptr;
        Comparable(pc, p.entity + "." + j.parent_column, jl, "junction " + j.junction_left_column, j.location, rel + ": left_join_on");
        Comparable(jr, "junction " + j.junction_right_column, cc, r.entity + "." + j.child_column, j.location, rel + ": right_join_on");
        return {};
    }

    const DataGraph& g_;
    warehouse::Warehouse& w_;
    Diagnostics diagnostics_;
    std::map<std::string, std::optional<std::vector<Column>>> cache_;
};

} // namespace

Result<Diagnostics> CheckAgainstWarehouse(const DataGraph& graph, warehouse::Warehouse& warehouse) {
    return Checker(graph, warehouse).Run();
}

} // namespace kith::graph
