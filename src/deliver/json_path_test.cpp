#include "deliver/json_path.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

// The value at path in doc, as compact JSON, or "undefined".
std::string At(const json& doc, const std::string& path) {
    const json* v = JsonPath::Parse(path).Find(doc);
    return v ? v->dump() : "undefined";
}

TEST(JsonPath, FindsValuesTheWayMappingKitDoes) {
    const json doc = json::parse(R"({
        "a": {"b": [{"c": 1}, {"c": 2}], "b c": "spaced", "0": "zero key", "x.y": "dotted"},
        "integrations": {"Actions Amplitude": {"session_id": "s-1"}},
        "n": null, "s": "text", "$": "dollar"})");
    struct Case {
        const char* path;
        const char* expected;
    };
    const Case cases[] = {
        {"$.a.b[0].c", "1"},
        {"a.b[1].c", "2"},
        {"a.b.1.c", "2"},         // a dot works as well as brackets
        {"a.b[1]].c", "2"},       // `]]` after an index is one separator
        {"a['b c']", "\"spaced\""},
        {"a[\"b c\"]", "\"spaced\""},
        {"a[0]", "\"zero key\""}, // an index step into an object names a key
        {"$.integrations.Actions Amplitude.session_id", "\"s-1\""},
        {"a.b[2].c", "undefined"},
        {"a.b[01].c", "undefined"}, // not a canonical index
        {"a.b[-1]", "undefined"},
        {"a[b c]", "undefined"},   // brackets without a quote or digit are part of the key "a[b c]"
        {"a.x.y", "undefined"},    // a dot always separates, so keys with dots are out of reach
        {"n.x", "undefined"},      // a step into null, a string or a number is undefined
        {"s.length", "undefined"},
        {"s[0]", "undefined"},
        {"missing", "undefined"},
        {"$.$", "\"dollar\""},
        {"..a..b[0]..c..", "1"},   // empty steps are skipped
    };
    for (const auto& c : cases) EXPECT_EQ(At(doc, c.path), c.expected) << c.path;
    for (const char* root : {"", "$", "$.", ".", ".."}) EXPECT_EQ(At(doc, root), doc.dump()) << root;
    EXPECT_TRUE(JsonPath::Parse("$.").IsRoot());
    EXPECT_FALSE(JsonPath::Parse("$.a").IsRoot());
}

TEST(JsonPath, OverlapsWhenOneLeadsIntoTheOther) {
    auto p = [](const char* s) { return JsonPath::Parse(s); };
    EXPECT_TRUE(p("$.properties").Overlaps(p("properties.plan")));
    EXPECT_TRUE(p("properties.plan").Overlaps(p("$.properties")));
    EXPECT_TRUE(p("a[0]").Overlaps(p("a.0")));
    EXPECT_TRUE(p("$.").Overlaps(p("userId")));
    EXPECT_FALSE(p("$.properties").Overlaps(p("$.userId")));
    EXPECT_FALSE(p("a.b").Overlaps(p("a.c")));
}

} // namespace
} // namespace kith::deliver
