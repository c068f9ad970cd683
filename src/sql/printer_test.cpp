#include "sql/printer.hpp"

#include <gtest/gtest.h>

namespace kith::sql {
namespace {

const Dialect& Duck() { return Dialect::DuckDb(); }
const Dialect& Pg() { return Dialect::Postgres(); }
const Dialect& Spark() { return Dialect::Spark(); }

TEST(QuoteString, EscapesPerDialect) {
    EXPECT_EQ(QuoteString("it's", Duck()), "'it''s'");
    EXPECT_EQ(QuoteString("a\\b", Duck()), "'a\\b'");
    EXPECT_EQ(QuoteString("it's", Pg()), "E'it''s'");
    EXPECT_EQ(QuoteString("a\\b", Pg()), "E'a\\\\b'");
    EXPECT_EQ(QuoteString("", Pg()), "E''");
}

TEST(QuoteIdent, DoublesTheDialectsQuote) {
    EXPECT_EQ(QuoteIdent("ID", Duck()), "\"ID\"");
    EXPECT_EQ(QuoteIdent("we\"ird", Pg()), "\"we\"\"ird\"");
    EXPECT_EQ(QuoteTable(TableName{"db", "", "t"}, Duck()), "\"db\".\"t\"");
    EXPECT_EQ(QuoteIdent("ID", Spark()), "`ID`");
    EXPECT_EQ(QuoteIdent("we`ird\"", Spark()), "`we``ird\"`");
    EXPECT_EQ(QuoteTable(TableName{"", "kith_state", "a1"}, Spark()), "`kith_state`.`a1`");
}

TEST(QuoteString, SparkEscapesWithBackslashes) {
    // Spark reads 'a''b' as two adjacent literals ('ab'): a quote must be escaped with a backslash.
    EXPECT_EQ(QuoteString("it's", Spark()), "'it\\'s'");
    EXPECT_EQ(QuoteString("a\\b", Spark()), "'a\\\\b'");
    EXPECT_EQ(QuoteString("\\'", Spark()), "'\\\\\\''");
}

TEST(Printer, SparkSpellings) {
    ExprPtr re = Call(Fn::REGEX_FULL_MATCH, {Col("t", "v"), Str("[0-9]+")});
    EXPECT_EQ(Print(*re, Spark()), "(`t`.`v` RLIKE '^(?:[0-9]+)\\\\z')");
    ExprPtr rr = Call(Fn::REGEX_REPLACE, {Col("t", "v"), Str("^(.)(.)$"), Str("\\2 \\1")});
    EXPECT_EQ(Print(*rr, Spark()), "regexp_replace(`t`.`v`, '^(.)(.)$', '$2 $1')");
    EXPECT_EQ(Print(*rr, Duck()), "regexp_replace(\"t\".\"v\", '^(.)(.)$', '\\2 \\1')");
    EXPECT_EQ(Print(*Bin(Col("a", "x"), Op::IS_NOT_DISTINCT_FROM, Col("b", "x")), Spark()), "(`a`.`x` <=> `b`.`x`)");
    EXPECT_EQ(Print(*Bin(Col("a", "x"), Op::IS_NOT_DISTINCT_FROM, Col("b", "x")), Pg()),
              "(\"a\".\"x\" IS NOT DISTINCT FROM \"b\".\"x\")");
    EXPECT_EQ(Print(*TryCast(Col("t", "v"), SqlType::NUMBER), Spark()), "TRY_CAST(`t`.`v` AS DECIMAL(38, 18))");
}

TEST(Printer, SparkLeavesOutAliasesThatRepeatTheColumnsName) {
    Select s;
    s.From(Table({"", "s", "t"}, "a")).Item(Col("a", "pid"), "pid").Item(Col("a", "v"), "value").Item(Str("x"), "kind");
    EXPECT_EQ(Print(s, Spark()), "SELECT `a`.`pid`, `a`.`v` AS `value`, 'x' AS `kind`\nFROM `s`.`t` AS `a`");
    EXPECT_EQ(Print(s, Duck()), "SELECT \"a\".\"pid\" AS \"pid\", \"a\".\"v\" AS \"value\", 'x' AS \"kind\"\nFROM \"s\".\"t\" AS \"a\"");
}

TEST(Num, AcceptsOnlyNumericLiterals) {
    EXPECT_TRUE(IsNumberLiteral("0"));
    EXPECT_TRUE(IsNumberLiteral("-12.50"));
    EXPECT_FALSE(IsNumberLiteral(""));
    EXPECT_FALSE(IsNumberLiteral("-"));
    EXPECT_FALSE(IsNumberLiteral("1."));
    EXPECT_FALSE(IsNumberLiteral(".5"));
    EXPECT_FALSE(IsNumberLiteral("1e5"));
    EXPECT_FALSE(IsNumberLiteral("1 OR 1=1"));
    EXPECT_EQ(Print(*Num("-12.50"), Duck()), "-12.50");
    EXPECT_DEATH(Num("1; DROP TABLE t"), "not a numeric literal");
}

TEST(Statements, DdlPrintedPerDialect) {
    TableName t{"", "kith_state", "a1_r2_members"};
    Query q;
    q.body = Share(Select{}.Item(Int(1), "pid"));
    EXPECT_EQ(Print(Statement{CreateTableAs{t, q}}, Spark()), "CREATE TABLE `kith_state`.`a1_r2_members` AS\nSELECT 1 AS `pid`");
    EXPECT_EQ(Print(Statement{DropTable{t}}, Pg()), "DROP TABLE IF EXISTS \"kith_state\".\"a1_r2_members\"");
    EXPECT_EQ(Print(Statement{CreateSchema{"kith_state"}}, Spark()), "CREATE SCHEMA IF NOT EXISTS `kith_state`");
    EXPECT_EQ(Print(Statement{CreateIndex{"i", t, {"pn"}}}, Pg()),
              "CREATE INDEX \"i\" ON \"kith_state\".\"a1_r2_members\" (\"pn\")");
    EXPECT_EQ(Print(Statement{RenameTable{t, "b"}}, Pg()), "ALTER TABLE \"kith_state\".\"a1_r2_members\" RENAME TO \"b\"");
    EXPECT_EQ(Print(Statement{RenameTable{t, "b"}}, Spark()),
              "ALTER TABLE `kith_state`.`a1_r2_members` RENAME TO `kith_state`.`b`");
    EXPECT_EQ(Print(Statement{SetOption{"TimeZone", "UTC"}}, Duck()), "SET TimeZone = 'UTC'");
    EXPECT_EQ(Print(Statement{DescribeTable{t}}, Spark()), "DESCRIBE TABLE `kith_state`.`a1_r2_members`");
}

TEST(Statements, CreateTableAndInsertUseStorageTypes) {
    using schema::StorageType;
    std::vector<schema::ColumnDef> cols{{"id", StorageType::BIGINT},
                                        {"amount", StorageType::DECIMAL, 12, 2},
                                        {"huge", StorageType::DECIMAL, 50, 0},
                                        {"at", StorageType::TIME}};
    TableName t{"", "s", "t"};
    EXPECT_EQ(Print(Statement{CreateTable{t, cols}}, Spark()),
              "CREATE TABLE `s`.`t` (`id` BIGINT, `amount` DECIMAL(12,2), `huge` STRING, `at` TIME(6))");
    EXPECT_EQ(Print(Statement{CreateTable{t, cols}}, Duck()),
              "CREATE TABLE \"s\".\"t\" (\"id\" BIGINT, \"amount\" DECIMAL(12,2), \"huge\" DOUBLE, \"at\" TIME)");
    InsertValues ins{t, {"id", "amount"}, {{StorageValue("7", cols[0]), StorageValue(std::nullopt, cols[1])}}};
    EXPECT_EQ(Print(Statement{ins}, Spark()),
              "INSERT INTO `s`.`t` (`id`, `amount`) VALUES\n  (CAST('7' AS BIGINT), NULL)");
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

TEST(Printer, SubqueriesOnOneLineKeepTheirLiterals) {
    // An IN or EXISTS subquery is printed on one line; a literal's spaces and line breaks stay as they are.
    Select inner;
    inner.From(Sub(Share(Select().From(Table(TableName{"", "s", "t"}, "t")).Item(Col("t", "k"), "k")), "x"))
        .Item(Col("x", "k"), "k")
        .Where(Eq(Col("x", "k"), Str("a  b\nc")));
    Select outer;
    outer.From(Table(TableName{"", "s", "u"}, "u"))
        .Item(Col("u", "k"), "k")
        .Where(And({InSelect(Col("u", "k"), Share(inner)), Exists(Share(inner), true)}));
    const std::string sub = "SELECT \"x\".\"k\" AS \"k\" FROM (SELECT \"t\".\"k\" AS \"k\" FROM \"s\".\"t\" AS \"t\") AS \"x\" "
                            "WHERE (\"x\".\"k\" = 'a  b\nc')";
    EXPECT_EQ(Print(Statement{Query{{}, Share(outer)}}, Duck()),
              "SELECT \"u\".\"k\" AS \"k\"\nFROM \"s\".\"u\" AS \"u\"\nWHERE ((\"u\".\"k\" IN (" + sub + ")) AND (NOT EXISTS (" +
                  sub + ")))");
}

TEST(Printer, EmptyAndOrAreConstants) {
    EXPECT_EQ(Print(*And({}), Duck()), "TRUE");
    EXPECT_EQ(Print(*Or({}), Duck()), "FALSE");
    EXPECT_EQ(Print(*And({Bool(true), Bool(false)}), Duck()), "(TRUE AND FALSE)");
}

} // namespace
} // namespace kith::sql
