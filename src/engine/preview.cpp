#include "engine/preview.hpp"

#include "common/text.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>

namespace kith::engine {

namespace {

std::string Describe(const audience::Condition& c) {
    std::string neg = c.without ? "without " : "";
    auto count = [&]() {
        const char* op = c.count.op == audience::CountOp::AT_LEAST ? "at least" : c.count.op == audience::CountOp::EXACTLY ? "exactly" : "at most";
        return fmt::format("{} {}", op, c.count.value);
    };
    switch (c.kind) {
    case audience::Condition::Kind::TRAIT:
        return neg + "trait " + c.trait + (c.filter ? " " + std::string(audience::OpName(c.filter->op)) : " exists");
    case audience::Condition::Kind::AUDIENCE:
        return neg + "member of audience " + c.audience_key;
    case audience::Condition::Kind::EVENT:
        return neg + "event " + c.event + " " + count() + (c.where ? " (filtered)" : "");
    case audience::Condition::Kind::ENTITY:
        return neg + "entity " + c.relationship_slug + " " + count() + (c.where ? " (filtered)" : "") +
               (c.children.empty() ? "" : fmt::format(" with {} child condition(s)", c.children.size()));
    }
    return "";
}

nlohmann::json ChildrenJson(const audience::Condition& c) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& ch : c.children) {
        out.push_back({{"pointer", ch.pointer},
                       {"condition", Describe(ch)},
                       {"note", "evaluated for each related " + c.relationship_slug + " entity"},
                       {"children", ChildrenJson(ch)}});
    }
    return out;
}

} // namespace

nlohmann::json Preview::ToJson() const {
    nlohmann::json j;
    j["count"] = count;
    j["members"] = nlohmann::json::array();
    for (const auto& m : members) {
        nlohmann::json ids = nlohmann::json::array();
        for (const auto& i : m.identifiers) ids.push_back({{"type", i.type}, {"value", i.value}});
        j["members"].push_back({{"profile", m.profile}, {"identifiers", ids}, {"entities", m.entities}});
    }
    j["relationships"] = nlohmann::json::object();
    for (const auto& [rel, p] : relationships) {
        nlohmann::json sample = nlohmann::json::array();
        for (const auto& e : p.sample) sample.push_back({{"profile", e.profile}, {"key", e.primary_key}});
        j["relationships"][rel] = {{"count", p.count}, {"sample", sample}};
    }
    return j;
}

std::string Preview::ToText() const {
    std::string out = fmt::format("members: {}\n", count);
    if (!relationships.empty()) {
        out += "matched entities:\n";
        for (const auto& [rel, p] : relationships) out += fmt::format("  {}: {}\n", rel, p.count);
    }
    out += fmt::format("sample ({} of {}):\n", members.size(), count);
    for (const auto& m : members) {
        std::string ids;
        for (const auto& i : m.identifiers) ids += (ids.empty() ? "" : ", ") + i.type + "=" + i.value;
        out += fmt::format("  {}  {}\n", m.profile, ids);
        for (const auto& [rel, keys] : m.entities) {
            std::string list;
            for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
            out += fmt::format("    {}: {}\n", rel, list);
        }
    }
    return out;
}

Result<Preview> RunPreview(Session& s, const audience::Audience& a, int64_t as_of) {
    auto dialect = DialectOf(s.warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    Preview p;
    plan::Options options;
    options.as_of_micros = as_of;
    auto count = plan::CompileMemberCount(s.graph, a, options, s.catalog);
    if (!count) return std::unexpected(count.error());
    auto rows = warehouse::QueryAll(s.warehouse, SqlText(*count, **dialect));
    if (!rows) return std::unexpected(rows.error());
    p.count = std::stoll((*rows)[0][0].value_or("0"));
    std::map<std::string, size_t> index;
    auto ok = s.Members(a, as_of, [&](std::string_view pid) {
        index[std::string(pid)] = p.members.size();
        p.members.push_back(PreviewMember{std::string(pid), {}, {}});
        return p.members.size() < kMemberSample;
    });
    if (!ok) return std::unexpected(ok.error());
    if (!p.members.empty()) {
        // Identifiers of the sampled members, in one query.
        std::vector<sql::ExprPtr> ids;
        for (const auto& m : p.members) ids.push_back(sql::Str(m.profile));
        sql::Select q;
        warehouse::TableName t = s.graph.ProfileTable("user_identifiers");
        q.From(sql::Table(sql::TableName{t.database, t.schema, t.table}, "i"))
            .Item(sql::Col("i", "canonical_segment_id"), "pid")
            .Item(sql::Col("i", "type"), "type")
            .Item(sql::Col("i", "value"), "value")
            .Where(sql::And({sql::InList(sql::Col("i", "canonical_segment_id"), ids), sql::IsNotNull(sql::Col("i", "value"))}))
            .OrderBy(sql::Col("i", "canonical_segment_id"), false, true)
            .OrderBy(sql::Col("i", "type"), false, true)
            .OrderBy(sql::Col("i", "value"), false, true);
        auto idrows = warehouse::QueryAll(s.warehouse, sql::Print(q, **dialect));
        if (!idrows) return std::unexpected(idrows.error());
        for (const auto& r : *idrows) {
            auto it = index.find(r[0].value_or(""));
            if (it != index.end()) p.members[it->second].identifiers.push_back(Identifier{r[1].value_or(""), r[2].value_or("")});
        }
    }
    auto ents = s.Entities(a, as_of, [&](const MatchedEntity& e) {
        auto& rel = p.relationships[e.relationship];
        ++rel.count;
        if (rel.sample.size() < kEntitySample) rel.sample.push_back(e);
        auto it = index.find(e.profile);
        if (it != index.end()) {
            auto& keys = p.members[it->second].entities[e.relationship];
            if (keys.size() < kExplorerPerLevel) keys.push_back(e.primary_key);
        }
        return true;
    });
    if (!ents) return std::unexpected(ents.error());
    return p;
}

nlohmann::json Explanation::ToJson() const {
    nlohmann::json j = detail;
    j["profile"] = profile;
    j["exists"] = exists;
    j["member"] = member;
    nlohmann::json ents = nlohmann::json::array();
    for (const auto& e : entities) ents.push_back({{"relationship", e.relationship}, {"key", e.primary_key}});
    j["matched_entities"] = ents;
    return j;
}

std::string Explanation::ToText() const {
    if (!exists) return fmt::format("{}: no such profile (it has no row in user_identifiers)\n", profile);
    std::string out = fmt::format("{}: {} the audience\n", profile, member ? "IN" : "NOT IN");
    for (const auto& g : detail["groups"]) {
        out += fmt::format("  group {} ({}): {}\n", g["index"].get<int>(), g["operator"].get<std::string>(), g["holds"].get<bool>() ? "true" : "false");
        for (const auto& c : g["conditions"]) {
            out += fmt::format("    [{}] {} — {}\n", c["holds"].get<bool>() ? "true " : "false", c["condition"].get<std::string>(),
                               c["because"].get<std::string>());
        }
    }
    if (!entities.empty()) {
        out += "  matched entities:\n";
        for (const auto& e : entities) out += fmt::format("    {} {}\n", e.relationship, e.primary_key);
    }
    return out;
}

Result<Explanation> RunExplain(Session& s, const audience::Audience& a, int64_t as_of, const std::string& profile) {
    auto dialect = DialectOf(s.warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    plan::Options options;
    options.as_of_micros = as_of;
    options.only_profile = profile;
    auto compiled = plan::CompileConditions(s.graph, a, options, s.catalog);
    if (!compiled) return std::unexpected(compiled.error());
    auto stream = s.warehouse.Query(SqlText(*compiled, **dialect));
    if (!stream) return std::unexpected(stream.error());
    const auto columns = (*stream)->columns();
    warehouse::Chunk chunk;
    std::map<std::string, warehouse::Cell> row;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) return std::unexpected(more.error());
        if (!*more) break;
        for (const auto& r : chunk.rows) {
            for (size_t i = 0; i < columns.size(); ++i) row[columns[i].name] = r[i];
        }
    }
    Explanation e;
    e.profile = profile;
    e.exists = !row.empty();
    if (!e.exists) return e;
    auto flag = [&](const std::string& k) { return row[k].value_or("false") == "true"; };
    e.member = flag("member");
    nlohmann::json groups = nlohmann::json::array();
    for (size_t i = 0; i < a.groups.size(); ++i) {
        nlohmann::json conds = nlohmann::json::array();
        for (size_t j = 0; j < a.groups[i].conditions.size(); ++j) {
            const auto& c = a.groups[i].conditions[j];
            std::string suffix = std::to_string(i) + "_" + std::to_string(j);
            nlohmann::json cj = {{"pointer", c.pointer}, {"condition", Describe(c)}, {"holds", flag("c" + suffix)}};
            std::string because;
            switch (c.kind) {
            case audience::Condition::Kind::TRAIT: {
                auto v = row["v" + suffix];
                cj["value"] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
                because = v ? "current value " + *v : "the profile has no value for this trait";
                break;
            }
            case audience::Condition::Kind::AUDIENCE:
                because = "membership of " + c.audience_key;
                break;
            case audience::Condition::Kind::EVENT:
            case audience::Condition::Kind::ENTITY: {
                int64_t n = std::stoll(row["n" + suffix].value_or("0"));
                cj["count"] = n;
                because = fmt::format("{} {} counted", n, c.kind == audience::Condition::Kind::EVENT ? "events" : "entities");
                if (!c.children.empty()) cj["children"] = ChildrenJson(c);
                break;
            }
            }
            cj["because"] = because;
            conds.push_back(cj);
        }
        groups.push_back({{"index", i},
                          {"operator", a.groups[i].op == audience::Logic::AND ? "and" : "or"},
                          {"holds", flag("g" + std::to_string(i))},
                          {"conditions", conds}});
    }
    e.detail = {{"groups_operator", a.groups_op == audience::Logic::AND ? "and" : "or"}, {"groups", groups}};
    // The entities this profile matched (only when it is a member).
    if (e.member) {
        auto ents = plan::CompileEntities(s.graph, a, options, s.catalog);
        if (!ents) return std::unexpected(ents.error());
        auto rows = warehouse::QueryAll(s.warehouse, SqlText(*ents, **dialect));
        if (!rows) return std::unexpected(rows.error());
        for (const auto& r : *rows) {
            MatchedEntity m{r[0].value_or(""), r[1].value_or(""), ""};
            for (size_t i = 2; i < r.size(); ++i) {
                if (r[i]) m.primary_key = *r[i];
            }
            e.entities.push_back(std::move(m));
        }
        std::sort(e.entities.begin(), e.entities.end(), [](const MatchedEntity& x, const MatchedEntity& y) {
            return std::tie(x.relationship, x.primary_key) < std::tie(y.relationship, y.primary_key);
        });
    }
    return e;
}

namespace {

//! INVALID unless the table exists and has the column (where: the field that named the column).
Status CheckColumn(audience::Catalog& catalog, const schema::TableName& table, const std::string& column,
                   const std::string& where) {
    auto cols = catalog.Columns(table);
    if (!cols) return std::unexpected(cols.error());
    if (!*cols) return Fail(ErrorCode::INVALID, "table " + text::Quote(table.ToString()) + " does not exist", where);
    for (const auto& c : **cols) {
        if (c.Named(column)) return {};
    }
    return Fail(ErrorCode::INVALID, "table " + text::Quote(table.ToString()) + " has no column " + text::Quote(column),
                where);
}

//! The target's table and column exist (the catalog says), so that no name the caller made up reaches the engine.
Status CheckSuggestionTarget(const graph::DataGraph& graph, audience::Catalog& catalog,
                             const plan::SuggestionTarget& t) {
    using Kind = plan::SuggestionTarget::Kind;
    if (t.kind == Kind::ENTITY_COLUMN) {
        const graph::Entity* e = graph.FindEntity(t.entity);
        if (!e) return Fail(ErrorCode::INVALID, "the data graph has no entity " + text::Quote(t.entity), "entity");
        return CheckColumn(catalog, e->table, t.column, "column");
    }
    if (t.kind == Kind::EVENT_COLUMN) {
        std::string table = graph::EventTableName(t.event);
        if (table.empty()) return Fail(ErrorCode::INVALID, "event name " + text::Quote(t.event) + " names no table", "event");
        auto cols = catalog.Columns(graph.ProfileTable(table));
        if (!cols) return std::unexpected(cols.error());
        if (!*cols) return Fail(ErrorCode::INVALID, "no event " + text::Quote(t.event) + " in the warehouse", "event");
        bool context = t.column.starts_with("context_");
        return CheckColumn(catalog, graph.ProfileTable(table), t.column, context ? "context" : "property");
    }
    return {};
}

} // namespace

Result<std::vector<std::string>> Suggest(const graph::DataGraph& graph, warehouse::Warehouse& warehouse,
                                         audience::Catalog& catalog, const plan::SuggestionTarget& target) {
    if (auto ok = CheckSuggestionTarget(graph, catalog, target); !ok) return std::unexpected(ok.error());
    auto dialect = DialectOf(warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    auto compiled = plan::CompileSuggestions(graph, target);
    if (!compiled) return std::unexpected(compiled.error());
    auto rows = warehouse::QueryAll(warehouse, SqlText(*compiled, **dialect));
    if (!rows) return std::unexpected(rows.error());
    std::vector<std::string> out;
    for (const auto& r : *rows) out.push_back(r[0].value_or(""));
    return out;
}

Result<ProfileData> ListProfileData(const graph::DataGraph& graph, warehouse::Warehouse& warehouse,
                                    audience::Catalog& catalog) {
    auto dialect = DialectOf(warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    ProfileData out;
    auto traits = plan::CompileTraitNames(graph);
    if (!traits) return std::unexpected(traits.error());
    auto trait_rows = warehouse::QueryAll(warehouse, SqlText(*traits, **dialect));
    if (!trait_rows) return std::unexpected(trait_rows.error());
    for (const auto& r : *trait_rows) out.traits.push_back(r[0].value_or(""));
    // The event tables: every table of the Profiles Sync schema but its three own, bytewise. The driver lists them
    // its engine's way (Spark has no information_schema; BigQuery's is per dataset).
    auto tables = warehouse.ListTables(graph.ProfileTable("user_traits").schema);
    if (!tables) return std::unexpected(tables.error());
    std::vector<std::string> names;
    for (const auto& t : *tables) {
        if (t.table != "user_identifiers" && t.table != "user_traits" && t.table != "profile_merges") {
            names.push_back(t.table);
        }
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        ProfileData::Event e;
        e.table = name;
        auto cols = catalog.Columns(graph.ProfileTable(e.table));
        if (!cols) return std::unexpected(cols.error());
        if (!*cols) continue; // dropped meanwhile
        e.columns = std::move(**cols);
        out.events.push_back(std::move(e));
    }
    return out;
}

nlohmann::json ProfileData::ToJson() const {
    nlohmann::json events_json = nlohmann::json::array();
    for (const auto& e : events) {
        nlohmann::json columns = nlohmann::json::array();
        for (const auto& c : e.columns) columns.push_back({{"name", c.name}, {"type", warehouse::DataTypeKey(c.type)}});
        events_json.push_back({{"table", e.table}, {"columns", columns}});
    }
    return {{"traits", traits}, {"events", events_json}};
}

} // namespace kith::engine
