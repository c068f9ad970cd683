#include "graph/hcl_parser.hpp"

#include <gtest/gtest.h>

namespace kith::graph {
namespace {

std::string FirstError(std::string_view text) {
    auto r = ParseHcl(text, "g.hcl");
    if (r) return "ok";
    return r.error().at(0).ToString();
}

TEST(HclParser, ParsesBlocksAttributesAndComments) {
    auto r = ParseHcl(R"(# comment
data_graph {
  // another
  version = "v1.0.0" /* inline */
  entity "a-b" {
    name = "say \"hi\" \\ there"
    n = -12.5e3
    flag = true
  }
})",
                      "g.hcl");
    ASSERT_TRUE(r.has_value()) << r.error()[0].ToString();
    ASSERT_EQ(r->blocks.size(), 1u);
    const auto& dg = r->blocks[0];
    EXPECT_EQ(dg.type, "data_graph");
    EXPECT_EQ(dg.location.line, 2);
    ASSERT_EQ(dg.attributes.size(), 1u);
    EXPECT_EQ(dg.attributes[0].value.text, "v1.0.0");
    ASSERT_EQ(dg.blocks.size(), 1u);
    const auto& e = dg.blocks[0];
    EXPECT_EQ(*e.label, "a-b");
    EXPECT_EQ(e.label_location.column, 10);
    EXPECT_EQ(e.attributes[0].value.text, "say \"hi\" \\ there");
    EXPECT_EQ(e.attributes[1].value.kind, SyntaxValue::Kind::NUMBER);
    EXPECT_EQ(e.attributes[1].value.text, "-12.5e3");
    EXPECT_EQ(e.attributes[2].value.kind, SyntaxValue::Kind::BOOLEAN);
}

TEST(HclParser, ColumnsCountCharactersNotBytes) {
    auto r = ParseHcl("x { n = \"\xC3\xA9\xC3\xA9\" m = 1 }", "g.hcl");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->blocks[0].attributes[1].location.column, 14);
}

TEST(HclParser, ReportsLexicalErrorsWithLocations) {
    EXPECT_EQ(FirstError("a {\n  b = \"open\n}"), "g.hcl:2:7: string opened here is never closed before the end of the line");
    EXPECT_EQ(FirstError("a { b = \"x\\n\" }"), "g.hcl:1:11: unknown escape \"\\\\n\" in string (only \\\" and \\\\ are allowed)");
    EXPECT_EQ(FirstError("a { /* never"), "g.hcl:1:5: comment opened here is never closed (missing '*/')");
    EXPECT_EQ(FirstError("a { b = 1x }"), "g.hcl:1:9: malformed number \"1x\"");
    EXPECT_EQ(FirstError("a { $ }"), "g.hcl:1:5: unexpected character \"$\"");
    EXPECT_EQ(FirstError("a { b = \"\xFF\" }"), "g.hcl:1:10: invalid UTF-8 byte \"\\xff\" in string");
}

TEST(HclParser, ReportsSyntaxErrors) {
    EXPECT_EQ(FirstError("a { b = }"), "g.hcl:1:9: expected a string, a number, true or false after 'b =', found '}'");
    EXPECT_EQ(FirstError("a { b }"), "g.hcl:1:7: expected '=' or '{' after 'b', found '}'");
    EXPECT_EQ(FirstError("}"), "g.hcl:1:1: unexpected '}': no block is open here");
    EXPECT_EQ(FirstError("a { = 1 }"), "g.hcl:1:5: expected a block or an attribute name, found '='");
    EXPECT_EQ(FirstError("a \"l\" = 1"), "g.hcl:1:7: expected '{' after 'a \"l\"', found '='");
}

TEST(HclParser, MissingBraceIsReportedAtTheBlockThatLacksIt) {
    // The innermost block left open at the end of the file.
    EXPECT_EQ(FirstError("a {\n  b {\n    c = 1\n"), "g.hcl:2:3: block 'b' opened here is never closed (missing '}')");
    // A block that took its parent's brace: its '}' is indented like the parent's opening line.
    EXPECT_EQ(FirstError("a {\n  b \"x\" {\n    c = 1\n  d {\n  }\n}\n"),
              "g.hcl:2:3: block 'b \"x\"' opened here is never closed (missing '}')");
}

TEST(HclParser, DeepNestingIsAnErrorNotACrash) {
    std::string deep;
    for (int i = 0; i < 10000; ++i) deep += "a {";
    EXPECT_NE(FirstError(deep).find("nested more than 64 deep"), std::string::npos);
}

TEST(HclParser, EmptyFileIsAnEmptyTree) {
    auto r = ParseHcl("  # nothing\n", "g.hcl");
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->blocks.empty());
}

} // namespace
} // namespace kith::graph
