// Engine agreement: on generated adversarial warehouses (NULLs, several
// identifiers per entity, duplicate keys, merges, trait history, boundary
// timestamps, % _ \ in strings), generated audiences (every condition type,
// nesting, operator, window, reference) must give identical members and
// matched entities on DuckDB, on PostgreSQL and in the reference evaluator,
// which computes them in plain C++ loops from the spec.
#include "engine/warehouse_catalog.hpp"
#include "agreement/audience_generator.hpp"
#include "agreement/warehouse_generator.hpp"
#include "audience/parser.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "reference/evaluator.hpp"
#include "support/pg_server.hpp"

#include <gtest/gtest.h>

namespace kith::agreement {
namespace {

constexpr int kAudiencesPerWarehouse = 110;

struct Result {
    std::vector<std::string> members;
    std::vector<std::string> entities; // "profile\trelationship\tkey"
};

std::string Lines(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

Result FromEngine(const graph::DataGraph& g, warehouse::Warehouse& wh, const audience::Audience& a) {
    engine::WarehouseCatalog catalog(wh);
    engine::Session s{g, wh, &catalog, nullptr};
    Result r;
    auto m = s.Members(a, AsOfMicros(), [&](std::string_view p) {
        r.members.emplace_back(p);
        return true;
    });
    EXPECT_TRUE(m.has_value()) << wh.dialect() << ": " << m.error().ToString();
    auto e = s.Entities(a, AsOfMicros(), [&](const engine::MatchedEntity& x) {
        r.entities.push_back(x.profile + "\t" + x.relationship + "\t" + x.primary_key);
        return true;
    });
    EXPECT_TRUE(e.has_value()) << wh.dialect() << ": " << e.error().ToString();
    return r;
}

class Agreement : public ::testing::TestWithParam<uint64_t> {};

TEST_P(Agreement, DuckDbPostgresAndTheReferenceAgree) {
    uint64_t seed = GetParam();
    auto graph = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
    ASSERT_TRUE(graph.has_value());
    std::string sql = GenerateWarehouseSql(seed);
    auto duck = warehouse::Open("duckdb::memory:");
    ASSERT_TRUE(duck.has_value());
    ASSERT_TRUE((*duck)->Execute(sql).has_value());
    auto server = test::PgServer::Shared();
    ASSERT_TRUE(server.has_value()) << server.error().ToString();
    auto uri = (*server)->FreshDatabase("agreement_" + std::to_string(seed));
    ASSERT_TRUE(uri.has_value());
    auto pg = warehouse::Open(*uri);
    ASSERT_TRUE(pg.has_value());
    auto loaded = (*pg)->Execute(sql);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();

    auto generator = AudienceGenerator::Create(*graph, **duck);
    ASSERT_TRUE(generator.has_value()) << generator.error().ToString();
    auto reference = reference::Evaluator::Open(*graph, **duck);
    ASSERT_TRUE(reference.has_value()) << reference.error().ToString();
    auto audiences = generator->GenerateMany(seed * 7919, kAudiencesPerWarehouse);
    audience::MemoryLibrary library;
    for (const auto& g : audiences) library.Add(g.key, g.json);

    int nontrivial = 0, with_entities = 0;
    for (const auto& g : audiences) {
        engine::WarehouseCatalog catalog(**duck);
        audience::ParseContext ctx{*graph, &catalog, &library};
        auto a = audience::ParseAudience(g.json, g.key + ".json", ctx);
        ASSERT_TRUE(a.has_value()) << g.json;
        auto expected = reference->Evaluate(*a, AsOfMicros());
        ASSERT_TRUE(expected.has_value()) << expected.error().ToString();
        Result want;
        want.members = expected->members;
        for (const auto& e : expected->entities) want.entities.push_back(e.profile + "\t" + e.relationship + "\t" + e.key);
        Result on_duck = FromEngine(*graph, **duck, *a);
        Result on_pg = FromEngine(*graph, **pg, *a);
        EXPECT_EQ(Lines(on_duck.members), Lines(want.members)) << "DuckDB members differ for " << g.key << ": " << g.json;
        EXPECT_EQ(Lines(on_pg.members), Lines(want.members)) << "PostgreSQL members differ for " << g.key << ": " << g.json;
        EXPECT_EQ(Lines(on_duck.entities), Lines(want.entities)) << "DuckDB entities differ for " << g.key << ": " << g.json;
        EXPECT_EQ(Lines(on_pg.entities), Lines(want.entities)) << "PostgreSQL entities differ for " << g.key << ": " << g.json;
        if (!want.members.empty() && want.members.size() < reference->profiles().Universe().size()) ++nontrivial;
        if (!want.entities.empty()) ++with_entities;
        if (HasFailure()) return;
    }
    // The cases must exercise something: many memberships are neither empty nor everyone, and entities match.
    EXPECT_GE(nontrivial, kAudiencesPerWarehouse / 5);
    EXPECT_GE(with_entities, kAudiencesPerWarehouse / 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, Agreement, ::testing::Values(11u, 22u, 33u, 44u, 55u));

} // namespace
} // namespace kith::agreement
