#include "sql/printer.hpp"

#include <gtest/gtest.h>

namespace kith::sql {
namespace {

const Dialect& Duck() { return Dialect::DuckDb(); }
const Dialect& Pg() { return Dialect::Postgres(); }

TEST(QuoteString, EscapesPerDialect) {
    EXPECT_EQ(QuoteString("it's", Duck()), "'it''s'");
    EXPECT_EQ(QuoteString("a\\b", Duck()), "'a\\b'");
    EXPECT_EQ(QuoteString("it's", Pg()), "E'it''s'");
    EXPECT_EQ(QuoteString("a\\b", Pg()), "E'a\\\\b'");
    EXPECT_EQ(QuoteString("", Pg()), "E''");
}

TEST(QuoteIdent, DoublesQuotes) {
    EXPECT_EQ(QuoteIdent("ID"), "\"ID\"");
    EXPECT_EQ(QuoteIdent("we\"ird"), "\"we\"\"ird\"");
    EXPECT_EQ(QuoteTable(TableName{"db", "", "t"}), "\"db\".\"t\"");
}

TEST(Printer, DialectDifferencesAreData) {
    ExprPtr re = Call(Fn::REGEX_FULL_MATCH, {Col("t", "v"), Str("[0-9]+")});
    EXPECT_EQ(Print(*re, Duck()), "regexp_full_match(\"t\".\"v\", '[0-9]+')");
    EXPECT_EQ(Print(*re, Pg()), "(\"t\".\"v\" ~ E'^(?:[0-9]+)$')");
    ExprPtr m = Call(Fn::MIN_BYTEWISE, {Col("t", "v")});
    EXPECT_EQ(Print(*m, Duck()), "min(\"t\".\"v\")");
    EXPECT_EQ(Print(*m, Pg()), "min(\"t\".\"v\" COLLATE \"C\")");
    EXPECT_EQ(Print(*Cast(Col("t", "v"), SqlType::NUMBER), Pg()), "CAST(\"t\".\"v\" AS NUMERIC(38, 18))");
    EXPECT_EQ(Print(*TryCast(Col("t", "v"), SqlType::DATE), Duck()), "TRY_CAST(\"t\".\"v\" AS DATE)");
    EXPECT_EQ(Print(*TryCast(Col("t", "v"), SqlType::DATE), Pg()), "CAST(\"t\".\"v\" AS DATE)");
    EXPECT_EQ(Print(*Like(Col("t", "v"), Str("%a\\_%")), Pg()), "(\"t\".\"v\" LIKE E'%a\\\\_%' ESCAPE E'\\\\')");
    EXPECT_EQ(Print(*Call(Fn::MINUTES, {Int(5)}), Duck()), "to_minutes(CAST(5 AS BIGINT))");
    EXPECT_EQ(Print(*Call(Fn::MINUTES, {Int(5)}), Pg()), "make_interval(mins => CAST(5 AS INTEGER))");
}

TEST(Printer, QueriesWithCtesJoinsAndOrder) {
    Query q;
    Select a;
    a.From(Table({"", "crm", "accounts"}, "e")).Item(Col("e", "ID"), "id").Where(Eq(Col("e", "STATUS"), Str("active")));
    std::string name = q.Add("active", std::move(a));
    Select body;
    body.From(Cte(name, "a")).JoinLeft(Cte(name, "b"), Eq(Col("a", "id"), Col("b", "id"))).Item(Col("a", "id"));
    body.OrderBy(Col("a", "id"), false, true).Limit(3);
    q.body = Share(std::move(body));
    EXPECT_EQ(Print(q, Pg()),
              "WITH\n\"active\" AS (\n  SELECT \"e\".\"ID\" AS \"id\"\n  FROM \"crm\".\"accounts\" AS \"e\"\n"
              "  WHERE (\"e\".\"STATUS\" = E'active')\n)\n"
              "SELECT \"a\".\"id\"\nFROM \"active\" AS \"a\"\nLEFT JOIN \"active\" AS \"b\" ON (\"a\".\"id\" = \"b\".\"id\")\n"
              "ORDER BY \"a\".\"id\" COLLATE \"C\" ASC NULLS LAST\nLIMIT 3");
}

TEST(Printer, EmptyAndOrAreConstants) {
    EXPECT_EQ(Print(*And({}), Duck()), "TRUE");
    EXPECT_EQ(Print(*Or({}), Duck()), "FALSE");
    EXPECT_EQ(Print(*And({Bool(true), Bool(false)}), Duck()), "(TRUE AND FALSE)");
}

} // namespace
} // namespace kith::sql
