#include "deliver/mapping_text.hpp"

#include <gtest/gtest.h>

namespace kith::deliver {
namespace {

using nlohmann::json;

TEST(MappingText, NumbersAsJavaScriptWritesThem) {
    struct Case {
        json number;
        const char* expected;
    };
    const Case cases[] = {
        {json(0), "0"},
        {json(-0.0), "0"},
        {json(140), "140"},
        {json(-7), "-7"},
        {json(18446744073709551615ull), "18446744073709551615"},
        {json(1.0), "1"},
        {json(140.5), "140.5"},
        {json(0.1), "0.1"},
        {json(0.1 + 0.2), "0.30000000000000004"},
        {json(123456789012345680000.0), "123456789012345680000"},
        {json(1e21), "1e+21"},
        {json(1.5e300), "1.5e+300"},
        {json(0.000001), "0.000001"},
        {json(1e-7), "1e-7"},
        {json(-2.5e-8), "-2.5e-8"},
        {json(1e16), "10000000000000000"},
    };
    for (const auto& c : cases) EXPECT_EQ(JsNumber(c.number), c.expected) << c.number.dump();
}

TEST(MappingText, StringOfAValue) {
    EXPECT_EQ(JsString(json("Ada")), "Ada");
    EXPECT_EQ(JsString(json(true)), "true");
    EXPECT_EQ(JsString(json(nullptr)), "null");
    EXPECT_EQ(JsString(json(2.0)), "2");
    EXPECT_EQ(JsString(json::parse(R"([1, null, "a", [2, 3], {"k": 1}])")), "1,,a,2,3,[object Object]");
    EXPECT_EQ(JsString(json::array()), "");
    EXPECT_EQ(JsString(json::object()), "[object Object]");
}

TEST(MappingText, StringifyLikeJavaScript) {
    EXPECT_EQ(JsonStringify(json::parse(R"({"b": [1.0, 2.5, true, null], "a": "x\"y\\z\n\u0001é"})")),
              R"({"a":"x\"y\\z\n\u0001é","b":[1,2.5,true,null]})");
    EXPECT_EQ(JsonStringify(json("bar")), "\"bar\"");
    EXPECT_EQ(JsonStringify(json(std::string("a\xff" "b"))), "\"a\xEF\xBF\xBD" "b\"");
}

TEST(MappingText, CaseOfLatinGreekCyrillic) {
    EXPECT_EQ(ToLowerCase("MAKE ME LOWER CASE"), "make me lower case");
    EXPECT_EQ(ToLowerCase("mIXeD StRinG CasING W/ NuMBErs 190wdB"), "mixed string casing w/ numbers 190wdb");
    EXPECT_EQ(ToLowerCase("ÉLODIE ÀÖØÞ ŁÓDŹ ŸÜ ΑΘΗΝΑ МОСКВА ĞİŞ"), "élodie àöøþ łódź ÿü αθηνα москва ği̇ş");
    EXPECT_EQ(ToUpperCase("élodie straße łódź ÿ αθηνα москва ı"), "ÉLODIE STRASSE ŁÓDŹ Ÿ ΑΘΗΝΑ МОСКВА I");
    EXPECT_EQ(ToUpperCase("nguyễn"), "NGUYỄN");
    EXPECT_EQ(ToUpperCase("×÷"), "×÷");
    EXPECT_EQ(ToLowerCase("日本 \xff X"), "日本 \xff x"); // not UTF-8: kept
}

TEST(MappingText, ReplaceLiteralText) {
    EXPECT_EQ(ReplaceText("many+different+things", "+", "_", true, false), "many_different_things");
    EXPECT_EQ(ReplaceText("many+different+things", "+", "_", false, false), "many_different+things");
    EXPECT_EQ(ReplaceText("a.b.c", ".", "", true, false), "abc"); // `.` is a dot, not any character
    EXPECT_EQ(ReplaceText("cWWl-story-ww", "WW", "oo", true, false), "cool-story-ww");
    EXPECT_EQ(ReplaceText("aab-----AaB---aab", "AaB", "nice", true, true), "nice-----nice---nice");
    EXPECT_EQ(ReplaceText("ÉLODIE élodie", "élo", "x", true, true), "xDIE xdie");
    EXPECT_EQ(ReplaceText("ſ S s", "s", "x", true, true), "ſ x x"); // /i does not map ſ to ASCII
    EXPECT_EQ(ReplaceText("abc", "b", "[$&|$`|$'|$$|$1]", true, false), "a[b|a|c|$|$1]c");
    EXPECT_EQ(ReplaceText("aaa", "aa", "b", true, false), "ba"); // matches do not overlap
    EXPECT_EQ(ReplaceText("", "_", "x", true, false), "");
    EXPECT_EQ(ReplaceText("abc", "", "x", true, false), "abc");
}

TEST(MappingText, DepthStopsAtTheLimit) {
    EXPECT_EQ(JsonDepth(json(1), 10), 0u);
    EXPECT_EQ(JsonDepth(json::array(), 10), 1u);
    EXPECT_EQ(JsonDepth(json::parse("[[1], {\"a\": [[]]}]"), 10), 4u);
    json deep = 1;
    for (int i = 0; i < 1000; ++i) deep = json::array({deep});
    EXPECT_EQ(JsonDepth(deep, 10), 11u);
}

} // namespace
} // namespace kith::deliver
