#include "engine/warehouse_catalog.hpp"
#include "golden.hpp"

#include "audience/catalog.hpp"
#include "common/text.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "plan/compiler.hpp"
#include "support/recording_warehouse.hpp"
#include "sql/dialect.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kith::golden {

namespace fs = std::filesystem;

namespace {

fs::path Dir() { return fs::path(KITH_SOURCE_DIR) / "test" / "sql"; }

Result<audience::Audience> Parse(const Case& c, audience::Catalog* catalog) {
    audience::DirectoryLibrary library((fs::path(KITH_SOURCE_DIR) / "test" / "audience" / "library").string());
    audience::ParseContext ctx{FixtureGraph(), catalog, &library};
    auto it = c.sections.find("audience");
    if (it == c.sections.end()) return Fail(ErrorCode::INVALID, "no audience section", c.path);
    auto a = audience::ParseAudience(it->second, c.name + ".json", ctx);
    if (!a) {
        std::string msg;
        for (const auto& e : a.error().errors) msg += e.ToString() + "; ";
        if (a.error().fatal) msg += a.error().fatal->ToString();
        return Fail(ErrorCode::INVALID, msg, c.path);
    }
    return std::move(*a);
}

} // namespace

bool UpdateMode() { return std::getenv("KITH_UPDATE_EXPECTED") != nullptr; }

std::vector<std::string> CaseNames() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(Dir())) {
        if (e.path().extension() == ".test") out.push_back(e.path().stem().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<Case> LoadCase(const std::string& name) {
    Case c;
    c.name = name;
    c.path = (Dir() / (name + ".test")).string();
    auto text = text::ReadFile(c.path);
    if (!text) return std::unexpected(text.error());
    std::istringstream in(*text);
    std::string line, current;
    while (std::getline(in, line)) {
        if (line.starts_with("---- ")) {
            current = line.substr(5);
            c.order.push_back(current);
            c.sections[current];
            continue;
        }
        if (current.empty()) {
            c.header.push_back(line);
            if (line.starts_with("as-of ")) c.as_of = line.substr(6);
            continue;
        }
        c.sections[current] += line + "\n";
    }
    for (auto& [k, v] : c.sections) {
        // Sections end with one newline per line; a blank separator line before the next section is dropped.
        while (v.size() >= 2 && v.ends_with("\n\n")) v.pop_back();
        if (v == "\n") v.clear();
    }
    for (const char* required : {"audience", "members", "entities"}) {
        if (!c.sections.count(required)) return Fail(ErrorCode::INVALID, std::string("missing section ") + required, c.path);
    }
    return c;
}

const std::vector<std::string>& Dialects() {
    static const std::vector<std::string> dialects = {"duckdb", "postgres", "spark", "redshift", "snowflake", "bigquery"};
    return dialects;
}

Status SaveCase(const Case& c) {
    std::ofstream out(c.path);
    for (const auto& h : c.header) out << h << "\n";
    std::vector<std::string> order = c.order;
    for (const auto& d : Dialects()) {
        if (std::find(order.begin(), order.end(), d) == order.end()) order.push_back(d);
    }
    for (const auto& s : order) out << "---- " << s << "\n" << c.sections.at(s);
    if (!out) return Fail(ErrorCode::IO, "cannot write", c.path);
    return {};
}

const graph::DataGraph& FixtureGraph() {
    static const graph::DataGraph g = [] {
        auto parsed = graph::LoadGraph((fs::path(KITH_SOURCE_DIR) / "test" / "fixture" / "graph.hcl").string());
        if (!parsed) std::abort();
        return std::move(*parsed);
    }();
    return g;
}

Result<std::string> CompileMembersSql(const Case& c, const std::string& dialect) {
    // Column types come from the fixture as DuckDB describes it; both engines hold the same types.
    engine::WarehouseCatalog catalog(*Engines().front()->warehouse);
    auto a = Parse(c, &catalog);
    if (!a) return std::unexpected(a.error());
    auto as_of = engine::ParseAsOf(c.as_of);
    if (!as_of) return std::unexpected(as_of.error());
    plan::Options options;
    options.as_of_micros = *as_of;
    auto compiled = plan::CompileMembers(FixtureGraph(), *a, options, &catalog);
    if (!compiled) return std::unexpected(compiled.error());
    return engine::SqlText(*compiled, *sql::Dialect::Find(dialect)) + "\n";
}

Result<Outcome> Evaluate(const Case& c, Engine& e) {
    test::RecordingWarehouse recorded(*e.warehouse);
    engine::WarehouseCatalog catalog(recorded);
    auto a = Parse(c, &catalog);
    if (!a) return std::unexpected(a.error());
    auto as_of = engine::ParseAsOf(c.as_of);
    if (!as_of) return std::unexpected(as_of.error());
    engine::Session s{FixtureGraph(), recorded, &catalog, nullptr};
    Outcome out;
    auto m = s.Members(*a, *as_of, [&](std::string_view pid) {
        out.members += std::string(pid) + "\n";
        return true;
    });
    if (!m) return std::unexpected(m.error());
    auto en = s.Entities(*a, *as_of, [&](const engine::MatchedEntity& x) {
        out.entities += x.profile + "\t" + x.relationship + "\t" + x.primary_key + "\n";
        return true;
    });
    if (!en) return std::unexpected(en.error());
    out.statements = recorded.Statements(e.name, c.name + " on " + e.name);
    return out;
}

} // namespace kith::golden
