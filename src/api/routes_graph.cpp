// The data graph: view it (entities with their columns and types, the tree of relationships), validate a new text,
// replace it.
#include "api/router.hpp"

#include "common/text.hpp"
#include "graph/model.hpp"
#include "warehouse/value.hpp"

#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

std::string Format(const json& b) { return b.contains("format") && b["format"].is_string() ? b["format"].get<std::string>() : "hcl"; }

json Problems(const Diagnostics& ds) {
    json out = json::array();
    for (const auto& d : ds) {
        out.push_back({{"line", d.location.line}, {"column", d.location.column}, {"message", d.message}});
    }
    return out;
}

json RelationshipTree(const graph::DataGraph& g, int index) {
    const auto& r = g.relationships[index];
    json children = json::array();
    for (int c : r.children) children.push_back(RelationshipTree(g, c));
    return {{"slug", r.slug}, {"name", r.name}, {"entity", r.entity}, {"depth", r.depth}, {"children", children}};
}

Answer GraphView(Context& c) {
    auto g = c.app().graph();
    auto [text, format] = c.app().graph_source();
    json entities = json::array();
    auto wh = c.app().warehouses().Acquire();
    if (!wh) return std::unexpected(FromError(wh.error()));
    for (const auto& e : g->entities) {
        json columns = json::array();
        auto cols = (*wh)->DescribeTable(e.table);
        if (!cols) return std::unexpected(FromError(cols.error()));
        if (*cols) {
            for (const auto& col : **cols) {
                columns.push_back({{"name", col.name}, {"type", warehouse::DataTypeKey(col.type)},
                                   {"engine_type", col.engine_type}});
            }
        }
        entities.push_back({{"slug", e.slug},
                            {"name", e.name},
                            {"table", e.table.ToString()},
                            {"primary_key", e.primary_key},
                            {"description", e.description},
                            {"enrichment_enabled", e.enrichment_enabled},
                            {"table_exists", cols->has_value()},
                            {"columns", columns}});
    }
    json roots = json::array();
    for (int r : g->Roots()) roots.push_back(RelationshipTree(*g, r));
    Reply r(json{{"source", text},
                 {"format", format},
                 {"version", g->version},
                 {"profile", {{"database", g->profile.database}, {"schema", g->profile.schema}, {"type", g->profile.type}}},
                 {"entities", entities},
                 {"relationships", roots}});
    r.etag = Sha256Hex(text).substr(0, 32);
    return r;
}

std::expected<std::pair<std::string, std::string>, ApiError> GraphBody(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    if (!b.contains("source") || !b["source"].is_string()) {
        return std::unexpected(Malformed("\"source\" must be the graph file's text", "/source"));
    }
    std::string format = Format(b);
    if (format != "hcl" && format != "json") {
        return std::unexpected(Invalid(fmt::format("unknown format {:?} (expected hcl or json)", format), "/format"));
    }
    return std::pair(b["source"].get<std::string>(), format);
}

Answer ValidateGraph(Context& c) {
    auto body = GraphBody(c);
    if (!body) return std::unexpected(body.error());
    bool check = !c.body().contains("check_warehouse") || c.body()["check_warehouse"] == true;
    auto problems = c.app().ValidateGraph(body->first, body->second, check);
    if (!problems) return std::unexpected(FromError(problems.error()));
    return Reply(json{{"valid", problems->empty()}, {"problems", Problems(*problems)}});
}

Answer ReplaceGraph(Context& c) {
    auto body = GraphBody(c);
    if (!body) return std::unexpected(body.error());
    auto problems = c.app().ReplaceGraph(body->first, body->second);
    if (!problems) return std::unexpected(FromError(problems.error()));
    if (!problems->empty()) {
        ApiError e = Invalid(fmt::format("the graph has {} problem(s); nothing was changed", problems->size()), "/source");
        e.errors = json::array();
        for (const auto& d : *problems) {
            e.errors.push_back({{"pointer", "/source"}, {"line", d.location.line}, {"column", d.location.column},
                                {"message", d.message}});
        }
        return std::unexpected(e);
    }
    return GraphView(c);
}

} // namespace

void AddGraphRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("GET", "/api/v1/graph", {P::VIEW_ENTITIES}, GraphView);
    routes.Add("POST", "/api/v1/graph/validate", {P::VIEW_ENTITIES}, ValidateGraph);
    routes.Add("PUT", "/api/v1/graph", {P::ADMIN}, ReplaceGraph);
}

} // namespace kith::api
