#include "common/json.hpp"

#include <gtest/gtest.h>

namespace kith {
namespace {

TEST(Json, TypeNamesInBothWordings) {
    nlohmann::json values = nlohmann::json::parse(R"([null, true, 3, 3.5, "s", [], {}])");
    std::vector<std::string> list, array;
    for (const auto& v : values) {
        list.push_back(JsonTypeName(v));
        array.push_back(JsonTypeName(v, JsonWords::ARRAY));
    }
    EXPECT_EQ(list, (std::vector<std::string>{"null", "a boolean", "a number", "a number", "a string", "a list",
                                              "an object"}));
    EXPECT_EQ(array, (std::vector<std::string>{"null", "a boolean", "an integer", "a number", "a string", "an array",
                                               "an object"}));
    EXPECT_EQ(JsonTypeName(nlohmann::ordered_json::parse("[1]")), "a list");
}

TEST(Json, PointerTokensEscapeTildeAndSlash) {
    EXPECT_EQ(JsonPointerToken("a"), "/a");
    EXPECT_EQ(JsonPointerToken("b/c~"), "/b~1c~0");
    EXPECT_EQ(JsonPointerToken(""), "/");
}

TEST(Json, UnknownKeysInObjectOrder) {
    auto v = nlohmann::ordered_json::parse(R"({"type": 1, "zeta": 2, "every": 3, "alpha": 4})");
    std::initializer_list<std::string_view> allowed = {"type", "every"};
    EXPECT_EQ(UnknownJsonKeys(v, allowed), (std::vector<std::string>{"zeta", "alpha"}));
    std::vector<std::string> names = {"type", "every", "zeta", "alpha"};
    EXPECT_TRUE(UnknownJsonKeys(v, names).empty());
    EXPECT_TRUE(UnknownJsonKeys(nlohmann::json::parse("[1]"), names).empty());
    EXPECT_EQ(UnknownKeyMessage("zeta", "an interval schedule", allowed),
              "unknown key \"zeta\" in an interval schedule (allowed: type, every)");
}

} // namespace
} // namespace kith
