// Hostile names and values: they are matched literally or rejected by
// validation; every compiled query is exactly one statement; the warehouse is
// unchanged after evaluating audiences full of SQL fragments. Built twice: on
// DuckDB, and (KITH_STANDIN_ENGINE, e.g. "spark") on that engine's stand-in, where
// backslashes escape in literals and every statement is parsed by sqlglot too.
#include "engine/warehouse_catalog.hpp"
#include "audience/parser.hpp"
#include "common/text.hpp"
#include "engine/engine.hpp"
#include "graph/builder.hpp"
#include "plan/compiler.hpp"
#include "sql/printer.hpp"
#include "support/dataset.hpp"
#include "support/recording_warehouse.hpp"
#include "support/spark_standin.hpp"
#include "support/sqlglot_check.hpp"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kith {
namespace {

const std::vector<std::string>& Hostile() {
    static const std::vector<std::string> values = {
        "x'); DROP TABLE crm.accounts; --",
        "\"; DROP TABLE crm.accounts; --",
        "\\",
        "\\'",
        "'",
        "''",
        "%",
        "_",
        "a%b_c\\d",
        "$1 $$ $tag$",
        "?",
        "/* comment */",
        "-- comment",
        "\xC3\xA9t\xC3\xA9 \xF0\x9F\x8E\x89 \xE4\xB8\xAD\xE6\x96\x87",
        std::string(5000, 'x') + "'",
        "\n\r\t",
    };
    return values;
}

int64_t AsOf() { return *engine::ParseAsOf("2026-01-01T00:00:00Z"); }

class Injection : public ::testing::Test {
protected:
    void SetUp() override {
        auto wh = warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(wh.has_value());
        source_ = std::move(*wh);
        auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
        ASSERT_TRUE(sql.has_value());
        ASSERT_TRUE(source_->Execute(*sql).has_value());
        // Every hostile value as an account status and a trait value of p1.
        for (size_t i = 0; i < Hostile().size(); ++i) {
            warehouse::Param p[] = {std::to_string(100 + i), Hostile()[i]};
            ASSERT_TRUE(source_->Execute("INSERT INTO crm.accounts (\"ID\", \"EMAIL\", \"STATUS\") VALUES (CAST(? AS BIGINT), 'ada@x.com', ?)", p));
            warehouse::Param t[] = {Hostile()[i], Hostile()[i]};
            ASSERT_TRUE(source_->Execute("INSERT INTO segment.user_traits VALUES ('p1', ?, ?, 1)", t));
        }
#ifdef KITH_STANDIN_ENGINE
        auto standin = test::SparkStandin::Start(KITH_STANDIN_ENGINE);
        ASSERT_TRUE(standin) << standin.error().ToString();
        auto spark = warehouse::Open(standin->uri);
        ASSERT_TRUE(spark) << spark.error().ToString();
        remote_ = std::move(*spark);
        auto loaded = test::LoadDataset(*remote_, *source_, "injection-" + test::Fingerprint(*sql + std::to_string(Hostile().size())));
        ASSERT_TRUE(loaded) << loaded.error().ToString();
        warehouse_ = std::make_unique<test::RecordingWarehouse>(*remote_);
#else
        warehouse_ = std::move(source_);
#endif
        auto g = graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        ASSERT_TRUE(g.has_value());
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
    }

#ifdef KITH_STANDIN_ENGINE
    void TearDown() override {
        if (!warehouse_ || !remote_) return; // SetUp failed (and said why)
        auto parsed = test::SqlglotCheck(static_cast<test::RecordingWarehouse&>(*warehouse_).Statements(KITH_STANDIN_ENGINE, "injection"));
        EXPECT_TRUE(parsed) << parsed.error().ToString();
    }
#endif

    // The tables and the row counts of the two tables holding hostile values.
    std::string Fingerprint() {
        auto tables = warehouse_->ListTables();
        EXPECT_TRUE(tables) << tables.error().ToString();
        std::string out;
        for (const auto& t : *tables) out += t.ToString() + ",";
        for (const auto& t : {warehouse::TableName{"", "crm", "accounts"}, warehouse::TableName{"", "segment", "user_traits"}}) {
            sql::Select s;
            s.From(sql::Table(t, "t")).Item(sql::Call(sql::Fn::COUNT_STAR, {}), "n");
            auto rows = warehouse::QueryAll(*warehouse_, sql::Print(s, warehouse_->sql_dialect()));
            EXPECT_TRUE(rows) << rows.error().ToString();
            out += "|" + (*rows)[0][0].value_or("");
        }
        return out;
    }

    std::expected<audience::Audience, audience::ParseFailure> Parse(const nlohmann::json& j) {
        engine::WarehouseCatalog catalog(*warehouse_);
        audience::ParseContext ctx{*graph_, &catalog, nullptr};
        return audience::ParseAudience(j.dump(), "a.json", ctx);
    }

    std::vector<std::string> Members(const audience::Audience& a) {
        engine::WarehouseCatalog catalog(*warehouse_);
        engine::Session s{*graph_, *warehouse_, &catalog, nullptr};
        std::vector<std::string> out;
        auto ok = s.Members(a, AsOf(), [&](std::string_view p) {
            out.emplace_back(p);
            return true;
        });
        EXPECT_TRUE(ok.has_value()) << ok.error().ToString();
        return out;
    }

    std::unique_ptr<warehouse::Warehouse> source_;    // DuckDB with the fixture and the hostile values
    std::unique_ptr<warehouse::Warehouse> remote_;     // Spark: the stand-in holding a copy of source_
    std::unique_ptr<warehouse::Warehouse> warehouse_; // the engine under test
    std::unique_ptr<graph::DataGraph> graph_;
};

// The number of statements DuckDB finds in a text.
size_t Statements(const std::string& sql) {
    duckdb_database db;
    duckdb_connection con;
    duckdb_open(nullptr, &db);
    duckdb_connect(db, &con);
    duckdb_extracted_statements stmts = nullptr;
    idx_t n = duckdb_extract_statements(con, sql.c_str(), &stmts);
    duckdb_destroy_extracted(&stmts);
    duckdb_disconnect(&con);
    duckdb_close(&db);
    return n;
}

TEST_F(Injection, HostileValuesMatchLiterally) {
    std::string before = Fingerprint();
    for (const auto& v : Hostile()) {
        nlohmann::json a = {{"groups",
                             {{{"conditions",
                                {{{"type", "entity"},
                                  {"relationship", "user-accounts"},
                                  {"where", {{"filters", {{{"column", "STATUS"}, {"op", "equals"}, {"value", v}}}}}}}}}}}}};
        auto parsed = Parse(a);
        ASSERT_TRUE(parsed.has_value()) << v;
        EXPECT_EQ(Members(*parsed), std::vector<std::string>{"p1"}) << v;
        // contains with the value matches exactly the rows holding it (LIKE metacharacters are literal).
        a["groups"][0]["conditions"][0]["where"]["filters"][0]["op"] = "contains";
        auto contains = Parse(a);
        ASSERT_TRUE(contains.has_value());
        EXPECT_EQ(Members(*contains), std::vector<std::string>{"p1"}) << v;
        // A hostile trait name and value.
        nlohmann::json t = {{"groups",
                             {{{"conditions", {{{"type", "trait"}, {"trait", v}, {"filter", {{"op", "equals"}, {"value", v}}}}}}}}}};
        auto trait = Parse(t);
        ASSERT_TRUE(trait.has_value());
        EXPECT_EQ(Members(*trait), std::vector<std::string>{"p1"}) << v;
        plan::Options o;
        o.as_of_micros = AsOf();
        auto c = plan::CompileMembers(*graph_, *trait, o, nullptr);
        ASSERT_TRUE(c.has_value());
        EXPECT_EQ(Statements(engine::SqlText(*c, sql::Dialect::DuckDb())), 1u) << v;
    }
    EXPECT_EQ(Fingerprint(), before);
}

TEST_F(Injection, HostileNamesAreRejectedByValidation) {
    for (const auto& v : Hostile()) {
        nlohmann::json col = {{"groups",
                               {{{"conditions",
                                  {{{"type", "entity"},
                                    {"relationship", "user-accounts"},
                                    {"where", {{"filters", {{{"column", v}, {"op", "exists"}}}}}}}}}}}}};
        auto a = Parse(col);
        ASSERT_FALSE(a.has_value()) << v;
        EXPECT_NE(a.error().errors.at(0).message.find("has no column"), std::string::npos);
        nlohmann::json ev = {{"groups", {{{"conditions", {{{"type", "event"}, {"event", v}}}}}}}};
        auto e = Parse(ev);
        ASSERT_FALSE(e.has_value()) << v;
        nlohmann::json rel = {{"groups", {{{"conditions", {{{"type", "entity"}, {"relationship", v}}}}}}}};
        auto r = Parse(rel);
        ASSERT_FALSE(r.has_value()) << v;
        EXPECT_EQ(r.error().errors.at(0).pointer, "/groups/0/conditions/0/relationship");
    }
}

} // namespace
} // namespace kith
