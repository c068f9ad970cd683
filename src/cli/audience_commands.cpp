#include "engine/warehouse_catalog.hpp"
#include "cli/audience_commands.hpp"

#include "cli/report.hpp"

#include "common/text.hpp"
#include "engine/engine.hpp"
#include "engine/preview.hpp"
#include "graph/builder.hpp"
#include "sql/printer.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <optional>

namespace kith::cli {

namespace {

// Everything an audience command needs, loaded and checked; exit code on failure.
struct Loaded {
    std::optional<graph::DataGraph> graph;
    std::unique_ptr<warehouse::Warehouse> warehouse;
    std::unique_ptr<engine::WarehouseCatalog> catalog;
    std::unique_ptr<audience::DirectoryLibrary> library;
    std::optional<audience::Audience> audience;
    int64_t as_of = 0;
};

int Load(const AudienceArgs& args, Loaded& out) {
    auto g = graph::LoadGraph(args.graph);
    if (!g) {
        for (const auto& d : g.error()) {
            fmt::print(stderr, "{}\n", d.location.IsSet() ? d.ToString() : d.location.file + ": " + d.message);
        }
        return 1;
    }
    out.graph = std::move(*g);
    auto as_of = engine::ParseAsOf(args.as_of);
    if (!as_of) return Report(as_of.error());
    out.as_of = *as_of;
    if (!args.warehouse.empty()) {
        auto wh = warehouse::Open(args.warehouse);
        if (!wh) return Report(wh.error());
        out.warehouse = std::move(*wh);
        out.catalog = std::make_unique<engine::WarehouseCatalog>(*out.warehouse);
    }
    if (!args.library.empty()) out.library = std::make_unique<audience::DirectoryLibrary>(args.library);
    auto text = text::ReadFile(args.audience);
    if (!text) {
        fmt::print(stderr, "{}: {}\n", args.audience, text.error().message);
        return 1;
    }
    audience::ParseContext ctx{*out.graph, out.catalog.get(), out.library.get()};
    auto a = audience::ParseAudience(*text, args.audience, ctx);
    if (!a) {
        if (a.error().fatal) return Report(*a.error().fatal);
        for (const auto& e : a.error().errors) fmt::print(stderr, "{}\n", e.ToString());
        return 1;
    }
    out.audience = std::move(*a);
    return 0;
}

} // namespace

int Compile(const AudienceArgs& args) {
    const sql::Dialect* dialect = sql::Dialect::Find(args.dialect);
    if (!dialect) {
        fmt::print(stderr, "kith: unknown dialect {} (expected duckdb, postgres, spark, databricks, redshift, snowflake or bigquery)\n", text::Quote(args.dialect));
        return 2;
    }
    if (args.what != "members" && args.what != "entities") {
        fmt::print(stderr, "kith: --what takes members or entities\n");
        return 2;
    }
    Loaded l;
    if (int rc = Load(args, l); rc != 0) return rc;
    plan::Options options;
    options.as_of_micros = l.as_of;
    auto compiled = args.what == "entities" ? plan::CompileEntities(*l.graph, *l.audience, options, l.catalog.get())
                                            : plan::CompileMembers(*l.graph, *l.audience, options, l.catalog.get());
    if (!compiled) return Report(compiled.error());
    fmt::print("{};\n", engine::SqlText(*compiled, *dialect));
    return 0;
}

// Load for the commands that evaluate on a warehouse: --warehouse is required and must name one.
int LoadWithWarehouse(const AudienceArgs& args, Loaded& out) {
    if (args.warehouse.empty()) {
        fmt::print(stderr, "kith: --warehouse names no warehouse (expected duckdb:PATH, postgresql://..., redshift://..., snowflake://..., bigquery://..., spark://... or "
                           "databricks://...)\n");
        return 2;
    }
    return Load(args, out);
}

int Members(const AudienceArgs& args) {
    Loaded l;
    if (int rc = LoadWithWarehouse(args, l); rc != 0) return rc;
    engine::Session s{*l.graph, *l.warehouse, l.catalog.get(), l.library.get()};
    auto ok = s.Members(*l.audience, l.as_of, [](std::string_view pid) {
        fwrite(pid.data(), 1, pid.size(), stdout);
        fputc('\n', stdout);
        return true;
    });
    if (!ok) return Report(ok.error());
    return fflush(stdout) == 0 ? 0 : 1;
}

int Entities(const AudienceArgs& args) {
    Loaded l;
    if (int rc = LoadWithWarehouse(args, l); rc != 0) return rc;
    engine::Session s{*l.graph, *l.warehouse, l.catalog.get(), l.library.get()};
    auto ok = s.Entities(*l.audience, l.as_of, [](const engine::MatchedEntity& e) {
        fmt::print("{}\t{}\t{}\n", e.profile, e.relationship, e.primary_key);
        return true;
    });
    if (!ok) return Report(ok.error());
    return fflush(stdout) == 0 ? 0 : 1;
}

int Preview(const AudienceArgs& args) {
    Loaded l;
    if (int rc = LoadWithWarehouse(args, l); rc != 0) return rc;
    engine::Session s{*l.graph, *l.warehouse, l.catalog.get(), l.library.get()};
    auto p = engine::RunPreview(s, *l.audience, l.as_of);
    if (!p) return Report(p.error());
    fmt::print("{}", args.json ? p->ToJson().dump(2) + "\n" : p->ToText());
    return 0;
}

int Explain(const AudienceArgs& args) {
    Loaded l;
    if (int rc = LoadWithWarehouse(args, l); rc != 0) return rc;
    engine::Session s{*l.graph, *l.warehouse, l.catalog.get(), l.library.get()};
    auto e = engine::RunExplain(s, *l.audience, l.as_of, args.profile);
    if (!e) return Report(e.error());
    fmt::print("{}", args.json ? e->ToJson().dump(2) + "\n" : e->ToText());
    return 0;
}

int Suggest(const SuggestArgs& args) {
    plan::SuggestionTarget t;
    int kinds = (!args.entity.empty()) + (!args.event.empty()) + (!args.trait.empty());
    if (kinds != 1) {
        fmt::print(stderr, "kith: give exactly one of --entity (with --column), --event (with --property or --context) or --trait\n");
        return 2;
    }
    if (!args.entity.empty()) {
        if (args.column.empty()) {
            fmt::print(stderr, "kith: --entity needs --column\n");
            return 2;
        }
        t.kind = plan::SuggestionTarget::Kind::ENTITY_COLUMN;
        t.entity = args.entity;
        t.column = args.column;
    } else if (!args.event.empty()) {
        if (args.property.empty() == args.context.empty()) {
            fmt::print(stderr, "kith: --event needs one of --property or --context\n");
            return 2;
        }
        t.kind = plan::SuggestionTarget::Kind::EVENT_COLUMN;
        t.event = args.event;
        t.column = args.property.empty() ? "context_" + args.context : args.property;
    } else {
        t.kind = plan::SuggestionTarget::Kind::TRAIT;
        t.trait = args.trait;
    }
    auto g = graph::LoadGraph(args.graph);
    if (!g) {
        for (const auto& d : g.error()) fmt::print(stderr, "{}\n", d.ToString());
        return 1;
    }
    auto wh = warehouse::Open(args.warehouse);
    if (!wh) return Report(wh.error());
    engine::WarehouseCatalog catalog(**wh);
    auto values = engine::Suggest(*g, **wh, catalog, t);
    if (!values) return Report(values.error());
    if (args.json) {
        fmt::print("{}\n", nlohmann::json(*values).dump());
    } else {
        for (const auto& v : *values) fmt::print("{}\n", v);
    }
    return 0;
}

} // namespace kith::cli
