#include "deliver/filter.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

const json kEvent = json::parse(R"({
  "type": "track", "event": "Entity Entered", "userId": "u-123",
  "properties": {"plan": "pro", "first_name": "Ada", "user_carts__TOTAL": 140, "ratio": 0.5, "tags": ["vip", 7],
                 "nothing": null, "user_carts__products": [{"SKU": "324"}]},
  "context": {"traits": {"email": "ada@example.com"}}
})");

// Whether the condition (a COND as JSON) matches kEvent, through a "keep" filter.
bool Matches(const std::string& condition) {
    auto filter = DestinationFilter::Compile(json::parse(R"({"keep": )" + condition + "}"));
    EXPECT_TRUE(filter) << condition << ": " << filter.error().ToString();
    return filter && filter->Keeps(kEvent);
}

std::string Cond(const char* field, const char* op, const char* value = nullptr) {
    std::string out = std::string(R"({"field": ")") + field + R"(", "operator": ")" + op + "\"";
    if (value) out += std::string(R"(, "value": )") + value;
    return out + "}";
}

TEST(DestinationFilter, Operators) {
    struct Case {
        const char* field;
        const char* op;
        const char* value;
        bool matches;
    };
    const Case cases[] = {
        {"properties.plan", "=", R"("pro")", true},
        {"$.properties.plan", "=", R"("pro")", true}, // a leading $. is accepted
        {"properties.plan", "=", R"("free")", false},
        {"properties.user_carts__TOTAL", "=", "140.0", true}, // numbers by value
        {"properties.user_carts__TOTAL", "=", R"("140")", false}, // no conversion
        {"properties.nothing", "=", "null", true},
        {"properties.missing", "=", "null", false},
        {"properties.plan", "!=", R"("free")", true},
        {"properties.plan", "!=", R"("pro")", false},
        {"properties.missing", "!=", R"("pro")", true}, // != is "not =": a missing field is not "pro"
        {"properties.user_carts__TOTAL", ">", "100", true},
        {"properties.user_carts__TOTAL", ">=", "140", true},
        {"properties.user_carts__TOTAL", "<", "140", false},
        {"properties.user_carts__TOTAL", "<=", "140.5", true},
        {"properties.ratio", "<", "1", true},
        {"properties.user_carts__TOTAL", ">", R"("100")", false}, // a type mismatch is false
        {"properties.plan", ">", "1", false},
        {"properties.missing", "<", "1", false},
        {"properties.plan", "<", R"("zeta")", true}, // strings bytewise
        {"properties.plan", ">", R"("Pro")", true},
        {"properties.first_name", "contains", R"("d")", true},
        {"properties.first_name", "contains", R"("x")", false},
        {"properties.tags", "contains", R"("vip")", true}, // an array holding the value
        {"properties.user_carts__TOTAL", "contains", R"("14")", false},
        {"properties.first_name", "not_contains", R"("x")", true},
        {"properties.missing", "not_contains", R"("x")", true},
        {"context.traits.email", "ends_with", R"("@example.com")", true},
        {"context.traits.email", "starts_with", R"("ada@")", true},
        {"context.traits.email", "starts_with", R"("bob@")", false},
        {"properties.user_carts__TOTAL", "starts_with", R"("1")", false},
        {"properties.plan", "in", R"(["pro", "enterprise"])", true},
        {"properties.user_carts__TOTAL", "in", "[100, 140]", true},
        {"properties.plan", "in", "[]", false},
        {"properties.missing", "in", "[null]", false},
        {"properties.plan", "not_in", R"(["free"])", true},
        {"properties.missing", "not_in", R"(["free"])", true},
        {"userId", "exists", nullptr, true},
        {"properties.nothing", "exists", nullptr, false}, // null does not exist (as @if's "exists")
        {"properties.missing", "exists", nullptr, false},
        {"properties.nothing", "not_exists", nullptr, true},
        {"properties.user_carts__products[0].SKU", "=", R"("324")", true},
    };
    for (const auto& c : cases) {
        std::string cond = Cond(c.field, c.op, c.value);
        EXPECT_EQ(Matches(cond), c.matches) << cond;
    }
}

TEST(DestinationFilter, GroupsKeepAndDrop) {
    std::string pro = Cond("properties.plan", "=", R"("pro")");
    std::string free = Cond("properties.plan", "=", R"("free")");
    std::string big = Cond("properties.user_carts__TOTAL", ">=", "100");
    EXPECT_TRUE(Matches(R"({"and": [)" + pro + "," + big + "]}"));
    EXPECT_FALSE(Matches(R"({"and": [)" + free + "," + big + "]}"));
    EXPECT_TRUE(Matches(R"({"or": [)" + free + "," + big + "]}"));
    EXPECT_FALSE(Matches(R"({"or": [)" + free + R"(, {"and": [)" + free + "," + big + "]}]}"));

    auto drop = DestinationFilter::Compile(json::parse(R"({"drop": )" + free + "}"));
    ASSERT_TRUE(drop);
    EXPECT_TRUE(drop->Keeps(kEvent));
    json free_event = kEvent;
    free_event["properties"]["plan"] = "free";
    EXPECT_FALSE(drop->Keeps(free_event));
    EXPECT_EQ(drop->Describe(), R"(destination filter: drop when properties.plan = "free")");

    auto keep = DestinationFilter::Compile(json::parse(
        R"({"keep": {"and": [{"field": "userId", "operator": "exists"},
                             {"or": [{"field": "properties.plan", "operator": "in", "value": ["pro", "enterprise"]},
                                     {"field": "$.properties.user_carts__TOTAL", "operator": ">=", "value": 100}]},
                             {"or": [{"field": "properties.first_name", "operator": "not_contains", "value": "\"x\""}]}]}})"));
    ASSERT_TRUE(keep);
    EXPECT_TRUE(keep->Keeps(kEvent));
    EXPECT_FALSE(keep->Keeps(json::parse(R"({"properties": {"plan": "pro"}})")));
    EXPECT_EQ(keep->Describe(),
              R"(destination filter: keep only when userId exists and (properties.plan in ["pro","enterprise"] or )"
              R"($.properties.user_carts__TOTAL >= 100) and properties.first_name not_contains "\"x\"")");
}

TEST(DestinationFilter, ValidationNamesEachProblemWithAPointer) {
    struct Bad {
        const char* filter;
        std::vector<std::string> problems;
    };
    const std::string ops = "=, !=, <, <=, >, >=, contains, not_contains, starts_with, ends_with, in, not_in, exists, "
                            "not_exists";
    const Bad cases[] = {
        {"[]", {": a filter must be an object, {\"keep\": condition} or {\"drop\": condition}, found an array"}},
        {"{}", {": a filter needs \"keep\" (send only the events matching its condition) or \"drop\" (send all but "
                "those)"}},
        {R"({"keep": {"field": "a", "operator": "exists"}, "drop": {"field": "a", "operator": "exists"}})",
         {": a filter has \"keep\" or \"drop\", not both"}},
        {R"({"keep": {"field": "a", "operator": "exists"}, "when": 1})",
         {"/when: unknown key \"when\" in a filter (allowed: keep, drop)"}},
        {R"({"drop": "plan = free"})", {"/drop: a condition must be an object, found a string"}},
        {R"({"drop": {"field": "properties.plan", "operator": "==", "value": "free"}})",
         {"/drop/operator: unknown operator \"==\" (expected " + ops + ")"}},
        {R"({"drop": {"field": "", "operator": "=", "value": 1}})",
         {"/drop/field: \"field\" must be a path such as \"properties.plan\", found an empty string"}},
        {R"({"drop": {"field": 3, "operator": "=", "value": 1}})",
         {"/drop/field: \"field\" must be a path such as \"properties.plan\", found an integer"}},
        {R"({"drop": {"operator": "=", "value": 1}})", {"/drop: missing \"field\""}},
        {R"({"drop": {"field": "a", "value": 1}})", {"/drop: missing \"operator\""}},
        {R"({"drop": {"field": "a", "operator": "="}})", {"/drop: missing \"value\" (operator = compares with it)"}},
        {R"({"drop": {"field": "a", "operator": "exists", "value": true}})", {"/drop/value: operator exists takes no value"}},
        {R"({"drop": {"field": "a", "operator": "in", "value": "pro"}})",
         {"/drop/value: the value of in must be an array, found a string"}},
        {R"({"drop": {"field": "a", "operator": "<", "value": [1]}})",
         {"/drop/value: the value of < must be a number or a string, found an array"}},
        {R"({"drop": {"field": "a", "operator": "starts_with", "value": 1}})",
         {"/drop/value: the value of starts_with must be a string, found an integer"}},
        {R"({"drop": {"field": "a", "operator": "=", "value": 1, "op": "="}})",
         {"/drop/op: unknown key \"op\" in a condition (allowed: field, operator, value) (or a group: {\"and\": [...]} "
          "or {\"or\": [...]})"}},
        {R"({"keep": {"and": []}})", {"/keep/and: \"and\" must be a non-empty array of conditions, found an empty array"}},
        {R"({"keep": {"or": {"field": "a"}}})", {"/keep/or: \"or\" must be a non-empty array of conditions, found an object"}},
        {R"({"keep": {"and": [{"field": "a", "operator": "exists"}], "or": []}})",
         {"/keep/or: unknown key \"or\" in an \"and\" condition (allowed: and)"}},
        {R"({"keep": {"and": [{"field": "a", "operator": "exists"}, {"or": [{"field": "b", "operator": "~"}, 1]}]}})",
         {"/keep/and/1/or/0/operator: unknown operator \"~\" (expected " + ops + ")",
          "/keep/and/1/or/1: a condition must be an object, found an integer"}},
    };
    for (const auto& c : cases) {
        std::vector<std::string> got;
        for (const auto& e : ValidateFilter(json::parse(c.filter))) got.push_back(e.pointer + ": " + e.message);
        EXPECT_EQ(got, c.problems) << c.filter;
        auto compiled = DestinationFilter::Compile(json::parse(c.filter));
        ASSERT_FALSE(compiled) << c.filter;
        EXPECT_EQ(compiled.error().location, c.problems[0].substr(0, c.problems[0].find(": ")));
    }
}

TEST(DestinationFilter, DeepNestingIsAnError) {
    json cond = json::parse(R"({"field": "a", "operator": "exists"})");
    for (int i = 0; i < 2000; ++i) {
        json group = json::object();
        group["and"] = json::array();
        group["and"].push_back(std::move(cond));
        cond = std::move(group);
    }
    json filter = json::object();
    filter["keep"] = std::move(cond);
    auto errors = ValidateFilter(filter);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "the filter nests deeper than 64 levels");
}

} // namespace
} // namespace kith::deliver
