// The personalization syntax of an activation's enriched fields, checked against the events BuildEvent makes:
// every field it names is a key of the event, with the shape it says.
#include "run/personalization.hpp"

#include "graph/builder.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kith::run {
namespace {

using nlohmann::json;

// The spec's example: profiles have carts (user-carts), carts have products.
constexpr const char* kGraph = R"(data_graph {
  version = "v1.0.0"
  entity "cart" {
    name = "Carts"
    table_ref = "shop.carts"
    primary_key = "ID"
  }
  entity "product" {
    name = "Products"
    table_ref = "shop.products"
    primary_key = "SKU"
  }
  profile {
    profile_folder = "segment"
    type = "segment:materialized"
    relationship "user-carts" {
      name = "Carts"
      related_entity = "cart"
      external_id {
        type = "user_id"
        join_key = "USER_ID"
      }
      relationship "products" {
        name = "Products"
        related_entity = "product"
        join_on = "cart.SKU = product.SKU"
      }
    }
  }
})";

class Personalization : public ::testing::Test {
protected:
    void SetUp() override {
        auto g = graph::ParseGraph(kGraph, "graph.hcl");
        ASSERT_TRUE(g) << (g.error().empty() ? "" : g.error()[0].ToString());
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
    }

    ActivationPlan Plan(const std::string& trigger, const json& enrichment, const std::string& entity = "") {
        store::ActivationRecord record;
        record.id = 7;
        record.spec.key = "carts_to_braze";
        record.spec.audience = "premium_abandoners";
        record.spec.trigger = trigger;
        record.spec.entity = entity;
        record.spec.enrichment = enrichment;
        auto plan = ActivationPlan::From(record, *graph_, 32 * 1024);
        EXPECT_TRUE(plan) << plan.error().ToString();
        return *plan;
    }

    // The event of cart c-9 (TOTAL 140, one product) entering for profile p1 (first_name Ada).
    json Event(const ActivationPlan& plan) {
        Lookups lookups;
        lookups.identifiers["p1"]["user_id"] = "u-123";
        lookups.traits["p1"]["first_name"] = "Ada";
        lookups.traits["p1"]["first name"] = "Ada";
        lookups.entities["user-carts"]["c-9"] = EntityRow{"c-9", {{"TOTAL", 140}}};
        lookups.children["user-carts"]["products"]["c-9"] = {EntityRow{"324", {{"NAME", "Tennis Shoes"}}}};
        Change change{"entered", "p1", plan.EntityTrigger() ? "user-carts" : "", plan.EntityTrigger() ? "c-9" : ""};
        return BuildEvent(plan, *graph_, AudienceInfo{3, "premium_abandoners"}, change, plan.EntityTrigger(), lookups,
                          "b0", "2026-11-28T09:00:00.000Z", 1)
            .payload;
    }

    // Every field is a key of the event's properties (identify: traits), a list of objects with the item fields as
    // keys when it says so.
    void ExpectInEvent(const std::vector<PersonalizationField>& fields, const json& fields_of) {
        for (const auto& f : fields) {
            ASSERT_TRUE(fields_of.contains(f.property)) << f.property << " not in " << fields_of.dump();
            const json& v = fields_of[f.property];
            if (f.kind == FieldKind::LIST) {
                ASSERT_TRUE(v.is_array() && !v.empty()) << f.property;
                std::vector<std::string> keys;
                for (const auto& [k, _] : v[0].items()) keys.push_back(k);
                std::vector<std::string> expected = f.item_fields;
                std::sort(expected.begin(), expected.end());
                EXPECT_EQ(keys, expected) << f.property; // json objects list their keys sorted
            } else {
                EXPECT_FALSE(v.is_array()) << f.property;
            }
        }
    }

    std::unique_ptr<graph::DataGraph> graph_;
};

TEST_F(Personalization, EntityEventsGiveTraitsColumnsAndChildLoops) {
    ActivationPlan plan = Plan("entity_enters",
                               json::parse(R"({"traits": ["first_name"],
                                               "entities": {"user-carts": ["TOTAL", "ID"], "products": ["NAME"]}})"),
                               "user-carts");
    auto fields = PersonalizationSyntax(plan, *graph_);
    ASSERT_EQ(fields.size(), 4u);

    EXPECT_EQ(fields[0].property, "first_name");
    EXPECT_EQ(fields[0].source, FieldSource::TRAIT);
    EXPECT_EQ(fields[0].kind, FieldKind::VALUE);
    EXPECT_EQ(fields[0].braze.text, "{{event_properties.first_name}}");
    EXPECT_EQ(fields[0].iterable.text, "{{first_name}}");
    EXPECT_EQ(fields[0].braze.open, "");

    EXPECT_EQ(fields[1].property, "user_carts__ID");
    EXPECT_EQ(fields[1].source, FieldSource::ENTITY_KEY);
    EXPECT_EQ(fields[1].braze.text, "{{event_properties.user_carts__ID}}");
    EXPECT_EQ(fields[1].iterable.text, "{{user_carts__ID}}");

    EXPECT_EQ(fields[2].property, "user_carts__TOTAL"); // ID, named again in the enrichment, is not repeated
    EXPECT_EQ(fields[2].source, FieldSource::ENTITY_COLUMN);
    EXPECT_EQ(fields[2].column, "TOTAL");
    EXPECT_EQ(fields[2].relationship, "user-carts");

    const PersonalizationField& products = fields[3];
    EXPECT_EQ(products.property, "user_carts__products");
    EXPECT_EQ(products.kind, FieldKind::LIST);
    EXPECT_EQ(products.source, FieldSource::CHILD_ENTITIES);
    EXPECT_EQ(products.relationship, "products");
    EXPECT_EQ(products.item_fields, (std::vector<std::string>{"SKU", "NAME", "__entity"}));
    EXPECT_EQ(products.braze.text, "{% for p in event_properties.user_carts__products %}{{p.NAME}}{% endfor %}");
    EXPECT_EQ(products.braze.open, "{% for p in event_properties.user_carts__products %}");
    EXPECT_EQ(products.braze.item, "{{p.NAME}}");
    EXPECT_EQ(products.braze.close, "{% endfor %}");
    EXPECT_EQ(products.iterable.text, "{{#each user_carts__products}}{{NAME}}{{/each}}");
    EXPECT_EQ(products.iterable.open, "{{#each user_carts__products}}");
    EXPECT_EQ(products.iterable.item, "{{NAME}}");
    EXPECT_EQ(products.iterable.close, "{{/each}}");

    json event = Event(plan);
    ExpectInEvent(fields, event["properties"]);
}

TEST_F(Personalization, IdentifyEventsGiveTraitsAsCustomAttributes) {
    // Entity enrichment does not apply to identify events.
    ActivationPlan plan = Plan("membership_changed",
                               json::parse(R"({"traits": ["first_name"], "entities": {"user-carts": ["TOTAL"]}})"));
    auto fields = PersonalizationSyntax(plan, *graph_);
    ASSERT_EQ(fields.size(), 1u);
    EXPECT_EQ(fields[0].property, "first_name");
    EXPECT_EQ(fields[0].braze.text, "{{custom_attribute.${first_name}}}");
    EXPECT_EQ(fields[0].iterable.text, "{{first_name}}");
    ExpectInEvent(fields, Event(plan)["traits"]);
}

TEST_F(Personalization, ProfileEventsCarryTraitsOnly) {
    ActivationPlan plan = Plan("profile_exits", json::parse(R"({"traits": ["first_name", "first name"]})"));
    auto fields = PersonalizationSyntax(plan, *graph_);
    ASSERT_EQ(fields.size(), 2u);
    // A name that is not a plain identifier is quoted the way each language quotes it.
    EXPECT_EQ(fields[1].property, "first name");
    EXPECT_EQ(fields[1].braze.text, R"({{event_properties["first name"]}})");
    EXPECT_EQ(fields[1].iterable.text, "{{[first name]}}");
    ExpectInEvent(fields, Event(plan)["properties"]);
    EXPECT_TRUE(PersonalizationSyntax(Plan("profile_enters", json::object()), *graph_).empty());
}

TEST_F(Personalization, AChildWithoutEnrichedColumnsLoopsOverItsKeys) {
    ActivationPlan plan = Plan("entity_exits", json::parse(R"({"entities": {"products": []}})"), "user-carts");
    auto fields = PersonalizationSyntax(plan, *graph_);
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].property, "user_carts__ID");
    EXPECT_EQ(fields[1].item_fields, (std::vector<std::string>{"SKU", "__entity"}));
    EXPECT_EQ(fields[1].braze.text, "{% for p in event_properties.user_carts__products %}{{p.SKU}}{% endfor %}");
    EXPECT_EQ(fields[1].iterable.text, "{{#each user_carts__products}}{{SKU}}{{/each}}");
    ExpectInEvent(fields, Event(plan)["properties"]);
}

TEST(PersonalizationNames, KindsAndSources) {
    EXPECT_EQ(FieldKindName(FieldKind::LIST), "list");
    EXPECT_EQ(FieldSourceName(FieldSource::CHILD_ENTITIES), "child_entities");
    EXPECT_EQ(EntityProperty("user-carts", "TOTAL"), "user_carts__TOTAL");
    EXPECT_EQ(ChildrenProperty("user-carts", "cart-products"), "user_carts__cart_products");
}

} // namespace
} // namespace kith::run
