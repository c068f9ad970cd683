// The agreement test's case generators: generated warehouses load and fit the
// fixture graph, generated audiences all validate against them, and the
// reference evaluator gives non-trivial memberships on enough of them.
#include "engine/warehouse_catalog.hpp"
#include "agreement/audience_generator.hpp"
#include "sql/printer.hpp"
#include "agreement/warehouse_generator.hpp"

#include "audience/parser.hpp"
#include "common/text.hpp"
#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"
#include "reference/evaluator.hpp"

#include <filesystem>
#include <functional>
#include <gtest/gtest.h>
#include <set>

namespace kith::agreement {
namespace {

namespace fs = std::filesystem;

fs::path Fixture() {
    return fs::path(KITH_SOURCE_DIR) / "test" / "fixture";
}

graph::DataGraph FixtureGraph() {
    auto g = graph::LoadGraph((Fixture() / "graph.hcl").string());
    EXPECT_TRUE(g.has_value());
    return std::move(*g);
}

std::unique_ptr<warehouse::Warehouse> Load(const std::string& sql) {
    auto wh = warehouse::Open("duckdb::memory:");
    EXPECT_TRUE(wh.has_value());
    auto ok = (*wh)->Execute(sql);
    EXPECT_TRUE(ok.has_value()) << ok.error().ToString();
    return std::move(*wh);
}

const std::vector<std::string>& Tables() {
    static const std::vector<std::string> tables = {"segment.user_identifiers",
                                                    "segment.user_traits",
                                                    "segment.profile_merges",
                                                    "segment.order_completed",
                                                    "segment.page_viewed",
                                                    "crm.accounts",
                                                    "crm.carts",
                                                    "crm.products",
                                                    "crm.cart_products",
                                                    "crm.brands",
                                                    "crm.households",
                                                    "crm.subscriptions",
                                                    "crm.cards"};
    return tables;
}

warehouse::TableName Name(const std::string& dotted) {
    size_t dot = dotted.find('.');
    return warehouse::TableName{"", dotted.substr(0, dot), dotted.substr(dot + 1)};
}

TEST(AgreementWarehouse, IsDeterministicPerSeed) {
    EXPECT_EQ(GenerateWarehouseSql(7), GenerateWarehouseSql(7));
    EXPECT_NE(GenerateWarehouseSql(7), GenerateWarehouseSql(8));
}

TEST(AgreementWarehouse, HasTheFixtureLayoutAndFitsTheFixtureGraph) {
    auto fixture_sql = text::ReadFile((Fixture() / "warehouse.sql").string());
    ASSERT_TRUE(fixture_sql.has_value());
    auto fixture = Load(*fixture_sql);
    graph::DataGraph graph = FixtureGraph();
    for (uint64_t seed : {1, 2, 3}) {
        auto wh = Load(GenerateWarehouseSql(seed));
        for (const auto& table : Tables()) {
            auto want = fixture->DescribeTable(Name(table));
            auto got = wh->DescribeTable(Name(table));
            ASSERT_TRUE(want.has_value() && got.has_value() && *want && *got) << table;
            ASSERT_EQ((*got)->size(), (*want)->size()) << table;
            for (size_t i = 0; i < (*want)->size(); ++i) {
                EXPECT_EQ((**got)[i].name, (**want)[i].name) << table;
                EXPECT_EQ((**got)[i].engine_type, (**want)[i].engine_type) << table << "." << (**want)[i].name;
            }
            auto rows = warehouse::QueryAll(*wh, "SELECT count(*) FROM " + sql::QuoteTable(Name(table), wh->sql_dialect()));
            ASSERT_TRUE(rows.has_value());
            EXPECT_NE((*rows)[0][0], "0") << table << " is empty";
        }
        auto diagnostics = graph::CheckAgainstWarehouse(graph, *wh);
        ASSERT_TRUE(diagnostics.has_value());
        EXPECT_TRUE(diagnostics->empty()) << "seed " << seed;
    }
}

// Facts about a parsed audience, to check the generator reaches every feature.
struct Coverage {
    std::set<std::string> seen;

    void Audience(const audience::Audience& a, const graph::DataGraph& g) {
        if (a.groups.size() > 1) seen.insert(a.groups_op == audience::Logic::OR ? "groups or" : "groups and");
        for (const auto& grp : a.groups) {
            for (const auto& c : grp.conditions) Condition(c, g);
        }
    }

    void Condition(const audience::Condition& c, const graph::DataGraph& g) {
        using K = audience::Condition::Kind;
        static const char* kinds[] = {"trait", "audience", "event", "entity"};
        seen.insert(kinds[static_cast<int>(c.kind)]);
        if (c.without) seen.insert("without");
        if (c.kind == K::EVENT || c.kind == K::ENTITY) {
            static const char* counts[] = {"at_least", "exactly", "at_most"};
            seen.insert(std::string("count ") + counts[static_cast<int>(c.count.op)]);
            if (c.count.op == audience::CountOp::EXACTLY && c.count.value == 0) seen.insert("exactly 0");
        }
        if (c.kind == K::EVENT) {
            static const char* windows[] = {"no window", "within", "more_than_ago", "between"};
            seen.insert(windows[static_cast<int>(c.window.kind)]);
        }
        if (c.kind == K::ENTITY) seen.insert("relationship " + c.relationship_slug);
        if (c.filter) Filter(*c.filter, c, g);
        if (c.where) {
            for (const auto& f : c.where->filters) Filter(f, c, g);
        }
        for (const auto& child : c.children) Condition(child, g);
    }

    void Filter(const audience::Filter& f, const audience::Condition& c, const graph::DataGraph&) {
        seen.insert("op " + std::string(audience::OpName(f.op)));
        seen.insert("type " + std::string(warehouse::DataTypeName(f.type)));
        if (!f.ref) return;
        if (f.ref->kind == audience::Ref::Kind::TRAIT) {
            seen.insert(c.kind == audience::Condition::Kind::EVENT ? "trait ref in event" : "trait ref in entity");
        } else {
            seen.insert(f.ref->relationship == c.relationship ? "same-entity column ref" : "ancestor column ref");
        }
    }
};

class RandomAudiences : public ::testing::Test {
protected:
    struct Outcome {
        int audiences = 0;
        int nontrivial = 0;
        Coverage coverage;
    };

    // Generates `count` audiences over a warehouse, validates each against the fixture graph and evaluates it.
    static Outcome Run(warehouse::Warehouse& wh, uint64_t seed, int count) {
        Outcome out;
        graph::DataGraph graph = FixtureGraph();
        auto gen = AudienceGenerator::Create(graph, wh);
        EXPECT_TRUE(gen.has_value()) << gen.error().ToString();
        if (!gen) return out;
        auto evaluator = reference::Evaluator::Open(graph, wh);
        EXPECT_TRUE(evaluator.has_value()) << evaluator.error().ToString();
        if (!evaluator) return out;
        size_t universe = evaluator->profiles().Universe().size();
        audience::MemoryLibrary library;
        for (const auto& a : gen->GenerateMany(seed, count)) {
            library.Add(a.key, a.json);
            engine::WarehouseCatalog catalog(wh);
            audience::ParseContext ctx{graph, &catalog, &library};
            auto parsed = audience::ParseAudience(a.json, a.key + ".json", ctx);
            if (!parsed) {
                std::string errors;
                for (const auto& e : parsed.error().errors) errors += e.ToString() + "\n";
                if (parsed.error().fatal) errors += parsed.error().fatal->ToString();
                ADD_FAILURE() << "seed " << seed << " " << a.key << " is invalid:\n" << errors << a.json;
                continue;
            }
            out.coverage.Audience(*parsed, graph);
            auto result = evaluator->Evaluate(*parsed, AsOfMicros());
            EXPECT_TRUE(result.has_value()) << a.key << ": " << result.error().ToString();
            if (!result) continue;
            ++out.audiences;
            if (!result->members.empty() && result->members.size() < universe) ++out.nontrivial;
            for (const auto& e : result->entities) {
                EXPECT_TRUE(std::binary_search(result->members.begin(), result->members.end(), e.profile))
                    << a.key << ": a matched entity of a non-member";
            }
        }
        return out;
    }
};

TEST_F(RandomAudiences, AreDeterministicPerSeed) {
    auto wh = Load(GenerateWarehouseSql(1));
    graph::DataGraph graph = FixtureGraph();
    auto gen = AudienceGenerator::Create(graph, *wh);
    ASSERT_TRUE(gen.has_value());
    auto a = gen->GenerateMany(5, 20), b = gen->GenerateMany(5, 20), c = gen->GenerateMany(6, 20);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].json, b[i].json);
    EXPECT_NE(a[0].json + a[1].json, c[0].json + c[1].json);
}

TEST_F(RandomAudiences, ValidateAndEvaluateOnGeneratedWarehouses) {
    Outcome total;
    for (uint64_t seed : {11, 22, 33}) {
        auto wh = Load(GenerateWarehouseSql(seed));
        Outcome o = Run(*wh, seed * 1000 + 1, 100);
        total.audiences += o.audiences;
        total.nontrivial += o.nontrivial;
        total.coverage.seen.insert(o.coverage.seen.begin(), o.coverage.seen.end());
    }
    EXPECT_EQ(total.audiences, 300);
    EXPECT_GE(total.nontrivial * 5, total.audiences)
        << total.nontrivial << " of " << total.audiences << " audiences are neither empty nor universal";
    std::printf("%d of %d audiences have a non-empty, non-universal membership\n", total.nontrivial, total.audiences);
    for (const char* feature : {"trait",
                                "audience",
                                "event",
                                "entity",
                                "without",
                                "groups or",
                                "groups and",
                                "count at_least",
                                "count exactly",
                                "count at_most",
                                "exactly 0",
                                "no window",
                                "within",
                                "more_than_ago",
                                "between",
                                "relationship user-accounts",
                                "relationship account-carts",
                                "relationship cart-products",
                                "relationship product-brand",
                                "relationship user-households",
                                "relationship household-subscriptions",
                                "relationship user-cards",
                                "trait ref in event",
                                "trait ref in entity",
                                "same-entity column ref",
                                "ancestor column ref",
                                "type NUMBER",
                                "type STRING",
                                "type BOOLEAN",
                                "type DATE",
                                "type TIME",
                                "type TIMESTAMP"}) {
        EXPECT_TRUE(total.coverage.seen.contains(feature)) << "no generated audience has " << feature;
    }
    for (int op = 0; op <= static_cast<int>(audience::Op::NOT_EXISTS); ++op) {
        std::string name = "op " + std::string(audience::OpName(static_cast<audience::Op>(op)));
        EXPECT_TRUE(total.coverage.seen.contains(name)) << "no generated audience has " << name;
    }
}

TEST_F(RandomAudiences, ValidateAndEvaluateOnTheFixture) {
    auto sql = text::ReadFile((Fixture() / "warehouse.sql").string());
    ASSERT_TRUE(sql.has_value());
    auto wh = Load(*sql);
    Outcome o = Run(*wh, 99, 100);
    EXPECT_EQ(o.audiences, 100);
    EXPECT_GE(o.nontrivial * 5, o.audiences);
}

} // namespace
} // namespace kith::agreement
