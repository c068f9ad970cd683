#include "graph/model.hpp"

#include "common/text.hpp"

#include <fmt/format.h>

namespace kith::graph {

const Entity* DataGraph::FindEntity(const std::string& slug) const {
    for (const auto& e : entities) {
        if (e.slug == slug) return &e;
    }
    return nullptr;
}

int DataGraph::RelationshipIndex(const std::string& slug) const {
    for (size_t i = 0; i < relationships.size(); ++i) {
        if (relationships[i].slug == slug) return static_cast<int>(i);
    }
    return -1;
}

const Relationship* DataGraph::FindRelationship(const std::string& slug) const {
    int i = RelationshipIndex(slug);
    return i < 0 ? nullptr : &relationships[static_cast<size_t>(i)];
}

const Entity& DataGraph::EntityOf(const Relationship& r) const { return *FindEntity(r.entity); }

std::vector<int> DataGraph::Roots() const {
    std::vector<int> out;
    for (size_t i = 0; i < relationships.size(); ++i) {
        if (relationships[i].parent < 0) out.push_back(static_cast<int>(i));
    }
    return out;
}

schema::TableName DataGraph::ProfileTable(const std::string& table) const {
    return schema::TableName{profile.database, profile.schema, table};
}

std::string EventTableName(const std::string& event) {
    std::string out;
    bool pending_sep = false;
    for (unsigned char c : event) {
        if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (pending_sep && !out.empty()) out += '_';
            pending_sep = false;
            out += static_cast<char>(c);
        } else {
            pending_sep = true;
        }
    }
    return out;
}

namespace {

std::string JoinText(const DataGraph& g, const Relationship& r) {
    const Join& j = r.join;
    switch (j.kind) {
    case JoinKind::EXTERNAL_ID:
        return fmt::format("external_id {} = {}.{}", j.profile_key, r.entity, j.entity_column);
    case JoinKind::TRAIT:
        return fmt::format("trait {} = {}.{}", j.profile_key, r.entity, j.entity_column);
    case JoinKind::JOIN_ON: {
        const Relationship& p = g.relationships[static_cast<size_t>(r.parent)];
        return fmt::format("join_on {}.{} = {}.{}", p.entity, j.parent_column, r.entity, j.child_column);
    }
    case JoinKind::JUNCTION: {
        const Relationship& p = g.relationships[static_cast<size_t>(r.parent)];
        return fmt::format("junction {} (pk {}): {}.{} = {}, {} = {}.{}", j.junction_table.ToString(),
                           j.junction_primary_key, p.entity, j.parent_column, j.junction_left_column,
                           j.junction_right_column, r.entity, j.child_column);
    }
    }
    return "";
}

void SummarizeRelationship(const DataGraph& g, int index, int indent, std::string& out) {
    const Relationship& r = g.relationships[static_cast<size_t>(index)];
    out += fmt::format("{:{}}relationship {} \"{}\" -> {} depth {} via {}\n", "", indent, r.slug, r.name, r.entity,
                       r.depth, JoinText(g, r));
    for (int c : r.children) SummarizeRelationship(g, c, indent + 2, out);
}

} // namespace

std::string Summarize(const DataGraph& g) {
    std::string out = "version " + g.version + "\n";
    for (const auto& e : g.entities) {
        out += fmt::format("entity {} \"{}\" table {} primary_key {}{}{}\n", e.slug, e.name, e.table.ToString(),
                           e.primary_key, e.enrichment_enabled ? " enrichment" : "",
                           e.description.empty() ? "" : " description " + text::Quote(e.description, 200));
    }
    out += fmt::format("profile folder {}{} type {}\n", g.profile.database.empty() ? "" : g.profile.database + ".",
                       g.profile.schema, g.profile.type);
    for (int root : g.Roots()) SummarizeRelationship(g, root, 2, out);
    return out;
}

} // namespace kith::graph
