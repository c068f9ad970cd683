// Preview, explain and value suggestions on the fixture warehouse (test/fixture). Built twice: on DuckDB, and
// (KITH_STANDIN_ENGINE, e.g. "spark") on that engine's stand-in, where every statement sent is also parsed by sqlglot.
#include "engine/warehouse_catalog.hpp"
#include "audience/parser.hpp"
#include "common/text.hpp"
#include "engine/preview.hpp"
#include "graph/builder.hpp"
#include "support/dataset.hpp"
#include "support/recording_warehouse.hpp"
#include "support/spark_standin.hpp"
#include "support/sqlglot_check.hpp"

#include <gtest/gtest.h>

namespace kith::engine {
namespace {

class EngineTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto wh = warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(wh.has_value());
        warehouse_ = std::move(*wh).release();
        auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(warehouse_->Execute(*sql).has_value());
#ifdef KITH_STANDIN_ENGINE
        // The golden suite's dataset: the same fixture, loaded once into the stand-in.
        auto standin = test::SparkStandin::Start(KITH_STANDIN_ENGINE);
        ASSERT_TRUE(standin) << standin.error().ToString();
        auto spark = warehouse::Open(standin->uri);
        ASSERT_TRUE(spark) << spark.error().ToString();
        auto loaded = test::LoadFixtureDataset(**spark, *warehouse_, *sql);
        ASSERT_TRUE(loaded) << loaded.error().ToString();
        delete warehouse_;
        remote_ = spark->release();
        warehouse_ = new test::RecordingWarehouse(*remote_);
#endif
        auto g = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        ASSERT_TRUE(g.has_value());
        graph_ = new graph::DataGraph(std::move(*g));
    }
    static void TearDownTestSuite() {
        delete warehouse_;
        delete remote_;
        delete graph_;
    }
#ifdef KITH_STANDIN_ENGINE
    void TearDown() override {
        if (!remote_) return; // SetUpTestSuite failed (and said why)
        auto parsed = test::SqlglotCheck(static_cast<test::RecordingWarehouse*>(warehouse_)->Statements(KITH_STANDIN_ENGINE, "engine"));
        EXPECT_TRUE(parsed) << parsed.error().ToString();
    }
#endif

    audience::Audience Parse(const std::string& json) {
        engine::WarehouseCatalog catalog(*warehouse_);
        audience::ParseContext ctx{*graph_, &catalog, nullptr};
        auto a = audience::ParseAudience(json, "a.json", ctx);
        EXPECT_TRUE(a.has_value());
        return *a;
    }

    static inline warehouse::Warehouse* warehouse_ = nullptr;
    static inline warehouse::Warehouse* remote_ = nullptr;
    static inline graph::DataGraph* graph_ = nullptr;
    engine::WarehouseCatalog catalog_{*warehouse_};
    Session session_{*graph_, *warehouse_, &catalog_, nullptr};
    int64_t as_of_ = *ParseAsOf("2026-01-01T00:00:00Z");
};

constexpr const char* kAccountsWithCarts = R"({"groups": [{"conditions": [
  {"type": "entity", "relationship": "user-accounts", "children": {"conditions": [
    {"type": "entity", "relationship": "account-carts"}]}}]}]})";

TEST_F(EngineTest, PreviewCountsSamplesAndExplores) {
    auto p = RunPreview(session_, Parse(kAccountsWithCarts), as_of_);
    ASSERT_TRUE(p.has_value()) << p.error().ToString();
    // p1 (accounts 1, 2 with carts 10, 11, 12), p2 (account 3: carts 13, 15), p3 (account 4: cart 17).
    EXPECT_EQ(p->count, 3);
    ASSERT_EQ(p->members.size(), 3u);
    EXPECT_EQ(p->members[0].profile, "p1");
    ASSERT_EQ(p->members[0].identifiers.size(), 4u);
    EXPECT_EQ(p->members[0].identifiers[0].type, "anonymous_id");
    EXPECT_EQ(p->members[0].entities.at("account-carts"), (std::vector<std::string>{"10", "11", "12"}));
    EXPECT_EQ(p->relationships.at("user-accounts").count, 4); // p1: 1, 2; p2: 3; p3: 4
    EXPECT_EQ(p->relationships.at("account-carts").count, 6);
    auto j = p->ToJson();
    EXPECT_EQ(j["count"], 3);
    EXPECT_EQ(j["members"][1]["identifiers"][0]["value"], "bob@x.com");
}

TEST_F(EngineTest, ExplainSaysWhyInAndWhyNot) {
    auto a = Parse(R"({"groups_operator": "or", "groups": [
      {"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "pro"}},
                      {"type": "event", "event": "Order Completed", "count": {"op": "at_least", "value": 3}}]},
      {"conditions": [{"type": "entity", "relationship": "user-cards", "count": {"op": "at_least", "value": 2}}]}]})");
    auto in = RunExplain(session_, a, as_of_, "p1");
    ASSERT_TRUE(in.has_value()) << in.error().ToString();
    EXPECT_TRUE(in->member);
    auto j = in->ToJson();
    EXPECT_EQ(j["groups"][0]["holds"], true);
    EXPECT_EQ(j["groups"][0]["conditions"][0]["value"], "pro");
    EXPECT_EQ(j["groups"][0]["conditions"][1]["count"], 4); // e1, e2 (m1), e12 (p9), e13
    EXPECT_EQ(j["groups"][1]["conditions"][0]["count"], 0);
    auto out = RunExplain(session_, a, as_of_, "p2");
    ASSERT_TRUE(out.has_value());
    EXPECT_FALSE(out->member);
    auto k = out->ToJson();
    EXPECT_EQ(k["groups"][0]["conditions"][0]["value"], nullptr); // p2's current plan is NULL
    EXPECT_EQ(k["groups"][0]["conditions"][1]["count"], 2);        // e3, e6 (m2)
    EXPECT_NE(out->ToText().find("NOT IN"), std::string::npos);
    auto cards = RunExplain(session_, a, as_of_, "p6");
    ASSERT_TRUE(cards.has_value());
    EXPECT_TRUE(cards->member);
    ASSERT_EQ(cards->entities.size(), 2u);
    EXPECT_EQ(cards->entities[0].relationship, "user-cards");
    auto nobody = RunExplain(session_, a, as_of_, "no-such-profile");
    ASSERT_TRUE(nobody.has_value());
    EXPECT_FALSE(nobody->exists);
}

TEST_F(EngineTest, SuggestionsFollowTheSpec) {
    WarehouseCatalog catalog(*warehouse_);
    plan::SuggestionTarget t;
    t.kind = plan::SuggestionTarget::Kind::ENTITY_COLUMN;
    t.entity = "account";
    t.column = "EMAIL";
    auto emails = Suggest(*graph_, *warehouse_, catalog, t);
    ASSERT_TRUE(emails.has_value()) << emails.error().ToString();
    EXPECT_EQ(*emails, (std::vector<std::string>{"100%_off@x.com", "Ada@x.com", "ada@work.com", "ada@x.com", "bob@x.com",
                                                 "carol@x.com", "nobody@x.com"}));
    t.kind = plan::SuggestionTarget::Kind::EVENT_COLUMN;
    t.event = "Order Completed";
    t.column = "currency";
    auto currencies = Suggest(*graph_, *warehouse_, catalog, t);
    ASSERT_TRUE(currencies.has_value());
    EXPECT_EQ(*currencies, (std::vector<std::string>{"EUR", "USD", "GBP"}));
    t.kind = plan::SuggestionTarget::Kind::TRAIT;
    t.trait = "household_id";
    auto households = Suggest(*graph_, *warehouse_, catalog, t);
    ASSERT_TRUE(households.has_value());
    EXPECT_EQ(*households, (std::vector<std::string>{"h1", "h2", "h9"}));
}

TEST_F(EngineTest, SuggestionsForNamesThatDoNotExistAreRefusedBeforeTheWarehouse) {
    WarehouseCatalog catalog(*warehouse_);
    plan::SuggestionTarget t;
    t.kind = plan::SuggestionTarget::Kind::ENTITY_COLUMN;
    t.entity = "account";
    t.column = "NO_SUCH_COLUMN";
    auto column = Suggest(*graph_, *warehouse_, catalog, t);
    ASSERT_FALSE(column.has_value());
    EXPECT_EQ(column.error().code, ErrorCode::INVALID);
    EXPECT_EQ(column.error().location, "column");
    EXPECT_NE(column.error().message.find("has no column \"NO_SUCH_COLUMN\""), std::string::npos);
    EXPECT_EQ(column.error().message.find("SELECT"), std::string::npos);
    t.entity = "no_such_entity";
    EXPECT_EQ(Suggest(*graph_, *warehouse_, catalog, t).error().location, "entity");
    t.kind = plan::SuggestionTarget::Kind::EVENT_COLUMN;
    t.event = "Never Happened";
    t.column = "currency";
    auto event = Suggest(*graph_, *warehouse_, catalog, t);
    ASSERT_FALSE(event.has_value());
    EXPECT_EQ(event.error().location, "event");
    t.event = "Order Completed";
    t.column = "context_nothing";
    EXPECT_EQ(Suggest(*graph_, *warehouse_, catalog, t).error().location, "context");
    t.column = "nothing";
    EXPECT_EQ(Suggest(*graph_, *warehouse_, catalog, t).error().location, "property");
}

} // namespace
} // namespace kith::engine
