// Engine agreement on a remote engine (KITH_STANDIN_ENGINE: spark, redshift, snowflake, bigquery): the same
// generated warehouses and audiences as agreement_test, evaluated on the engine's stand-in, must give the reference
// evaluator's members and matched entities; every statement sent is also parsed by sqlglot in the engine's dialect.
//
// CI runs one seed (110 audiences); KITH_AGREEMENT_SEEDS=11,22,33,44,55 runs all 550 (scripts/agreement.sh ENGINE).
#include "agreement/audience_generator.hpp"
#include "agreement/warehouse_generator.hpp"
#include "audience/parser.hpp"
#include "engine/engine.hpp"
#include "engine/warehouse_catalog.hpp"
#include "graph/builder.hpp"
#include "reference/evaluator.hpp"
#include "support/dataset.hpp"
#include "support/recording_warehouse.hpp"
#include "support/spark_standin.hpp"
#include "support/sqlglot_check.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace kith::agreement {
namespace {

constexpr int kAudiencesPerWarehouse = 110;

std::vector<uint64_t> Seeds() {
    std::vector<uint64_t> out;
    const char* env = std::getenv("KITH_AGREEMENT_SEEDS");
    std::stringstream in(env ? env : "11");
    std::string item;
    while (std::getline(in, item, ',')) {
        if (!item.empty()) out.push_back(std::stoull(item));
    }
    return out;
}

std::string Lines(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

class AgreementOnStandin : public ::testing::TestWithParam<uint64_t> {};

TEST_P(AgreementOnStandin, TheEngineAndTheReferenceAgree) {
    uint64_t seed = GetParam();
    auto graph = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
    ASSERT_TRUE(graph.has_value());
    std::string sql = GenerateWarehouseSql(seed);
    auto duck = warehouse::Open("duckdb::memory:");
    ASSERT_TRUE(duck.has_value());
    ASSERT_TRUE((*duck)->Execute(sql).has_value());
    auto standin = test::SparkStandin::Start(KITH_STANDIN_ENGINE);
    ASSERT_TRUE(standin.has_value()) << standin.error().ToString();
    auto remote = warehouse::Open(standin->uri);
    ASSERT_TRUE(remote.has_value()) << remote.error().ToString();
    auto loaded = test::LoadDataset(**remote, **duck, "agreement-" + std::to_string(seed) + "-" + test::Fingerprint(sql));
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();

    auto generator = AudienceGenerator::Create(*graph, **duck);
    ASSERT_TRUE(generator.has_value()) << generator.error().ToString();
    auto reference = reference::Evaluator::Open(*graph, **duck);
    ASSERT_TRUE(reference.has_value()) << reference.error().ToString();
    auto audiences = generator->GenerateMany(seed * 7919, kAudiencesPerWarehouse);
    audience::MemoryLibrary library;
    for (const auto& g : audiences) library.Add(g.key, g.json);

    test::RecordingWarehouse recorded(**remote);
    engine::WarehouseCatalog remote_catalog(recorded);
    engine::Session session{*graph, recorded, &remote_catalog, nullptr};
    int nontrivial = 0;
    for (const auto& g : audiences) {
        engine::WarehouseCatalog catalog(**duck);
        audience::ParseContext ctx{*graph, &catalog, &library};
        auto a = audience::ParseAudience(g.json, g.key + ".json", ctx);
        ASSERT_TRUE(a.has_value()) << g.json;
        auto expected = reference->Evaluate(*a, AsOfMicros());
        ASSERT_TRUE(expected.has_value()) << expected.error().ToString();
        std::vector<std::string> want_entities;
        for (const auto& e : expected->entities) want_entities.push_back(e.profile + "\t" + e.relationship + "\t" + e.key);

        std::vector<std::string> members, entities;
        auto m = session.Members(*a, AsOfMicros(), [&](std::string_view p) {
            members.emplace_back(p);
            return true;
        });
        ASSERT_TRUE(m.has_value()) << m.error().ToString() << "\n" << g.json;
        auto e = session.Entities(*a, AsOfMicros(), [&](const engine::MatchedEntity& x) {
            entities.push_back(x.profile + "\t" + x.relationship + "\t" + x.primary_key);
            return true;
        });
        ASSERT_TRUE(e.has_value()) << e.error().ToString() << "\n" << g.json;
        EXPECT_EQ(Lines(members), Lines(expected->members)) << KITH_STANDIN_ENGINE << " members differ for " << g.key << ": " << g.json;
        EXPECT_EQ(Lines(entities), Lines(want_entities)) << KITH_STANDIN_ENGINE << " entities differ for " << g.key << ": " << g.json;
        if (!expected->members.empty() && expected->members.size() < reference->profiles().Universe().size()) ++nontrivial;
        if (HasFailure()) return;
    }
    EXPECT_GE(nontrivial, kAudiencesPerWarehouse / 5);
    auto statements = recorded.Statements(KITH_STANDIN_ENGINE, "agreement seed " + std::to_string(seed));
    EXPECT_GE(statements.size(), 2u * kAudiencesPerWarehouse);
    auto parsed = test::SqlglotCheck(statements);
    EXPECT_TRUE(parsed.has_value()) << parsed.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(Seeds, AgreementOnStandin, ::testing::ValuesIn(Seeds()));

} // namespace
} // namespace kith::agreement
