#include "gen/generator.hpp"
#include "sql/printer.hpp"

#include "graph/builder.hpp"
#include "graph/warehouse_check.hpp"
#include "warehouse/warehouse.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

namespace kith::gen {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kProfiles = 2000;

const std::vector<std::string>& EventTables() {
    static const std::vector<std::string> tables = {"order_completed", "product_viewed", "page_viewed",
                                                    "cart_abandoned", "signed_up"};
    return tables;
}

const std::vector<std::string>& CrmTables() {
    static const std::vector<std::string> tables = {"accounts", "carts",         "cart_products", "products", "brands",
                                                    "households", "subscriptions", "cards",       "transactions"};
    return tables;
}

struct GenRun {
    std::string warehouse;
    std::string graph;
    std::map<std::string, int64_t> progress; // step -> rows
};

// Generations shared by the tests of one process, each made on first use: seed 7 (over an existing file),
// seed 7 again and seed 8.
class GeneratorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(fs::temp_directory_path() / ("kith_gen_test_" + std::to_string(::getpid())));
        fs::remove_all(*dir_);
        fs::create_directories(*dir_);
    }

    static void TearDownTestSuite() {
        delete a_;
        delete b_;
        delete c_;
        a_ = b_ = c_ = nullptr;
        std::error_code ec;
        fs::remove_all(*dir_, ec);
        delete dir_;
    }

    static const GenRun& A() { return Lazy(a_, "a", 7, /*existing_file=*/true); }
    static const GenRun& B() { return Lazy(b_, "b", 7, false); }
    static const GenRun& C() { return Lazy(c_, "c", 8, false); }

    static const GenRun& Lazy(GenRun*& run, const std::string& name, uint64_t seed, bool existing_file) {
        if (!run) run = new GenRun(Generate(name, seed, existing_file));
        return *run;
    }

    static GenRun Generate(const std::string& name, uint64_t seed, bool existing_file) {
        GenRun run;
        run.warehouse = (*dir_ / (name + ".duckdb")).string();
        run.graph = (*dir_ / (name + ".hcl")).string();
        if (existing_file) std::ofstream(run.warehouse) << "not a database";
        Options o;
        o.out = run.warehouse;
        o.graph_out = run.graph;
        o.profiles = kProfiles;
        o.seed = seed;
        o.progress = [&run](std::string_view step, int64_t rows, double) { run.progress[std::string(step)] = rows; };
        auto ok = gen::Generate(o);
        EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().ToString());
        return run;
    }

    static std::unique_ptr<warehouse::Warehouse> Open(const GenRun& run) {
        auto wh = warehouse::Open("duckdb:" + run.warehouse);
        EXPECT_TRUE(wh.has_value()) << (wh ? "" : wh.error().ToString());
        return wh ? std::move(*wh) : nullptr;
    }

    // The first cell of a one-row query, as text ("" for NULL).
    static std::string Value(warehouse::Warehouse& wh, const std::string& sql) {
        auto rows = warehouse::QueryAll(wh, sql);
        EXPECT_TRUE(rows.has_value()) << sql << ": " << (rows ? "" : rows.error().ToString());
        if (!rows || rows->empty() || rows->front().empty()) return "";
        return rows->front()[0].value_or("");
    }

    static int64_t Count(warehouse::Warehouse& wh, const std::string& sql) {
        std::string v = Value(wh, sql);
        return v.empty() ? -1 : std::stoll(v);
    }

    // An order-independent checksum of every table in a warehouse: "schema.table" -> "rows:sum of row hashes".
    static std::map<std::string, std::string> Checksums(warehouse::Warehouse& wh) {
        std::map<std::string, std::string> sums;
        auto tables = warehouse::QueryAll(wh, "SELECT table_schema, table_name FROM information_schema.tables "
                                              "WHERE table_schema IN ('segment', 'crm') ORDER BY 1, 2");
        EXPECT_TRUE(tables.has_value());
        if (!tables) return sums;
        for (const auto& row : *tables) {
            warehouse::TableName name{"", row[0].value_or(""), row[1].value_or("")};
            sums[name.ToString()] =
                Value(wh, "SELECT count(*)::VARCHAR || ':' || coalesce(sum(hash(t))::VARCHAR, '') FROM " +
                              sql::QuoteTable(name, sql::Dialect::DuckDb()) + " t");
        }
        return sums;
    }

    static fs::path* dir_;
    static GenRun* a_;
    static GenRun* b_;
    static GenRun* c_;
};

fs::path* GeneratorTest::dir_ = nullptr;
GenRun* GeneratorTest::a_ = nullptr;
GenRun* GeneratorTest::b_ = nullptr;
GenRun* GeneratorTest::c_ = nullptr;

TEST_F(GeneratorTest, GeneratesEveryTableAndAValidGraph) {
    auto g = graph::LoadGraph(A().graph);
    ASSERT_TRUE(g.has_value()) << g.error().front().ToString();
    auto wh = Open(A());
    ASSERT_TRUE(wh);
    auto problems = graph::CheckAgainstWarehouse(*g, *wh);
    ASSERT_TRUE(problems.has_value()) << problems.error().ToString();
    for (const auto& d : *problems) ADD_FAILURE() << d.ToString();
    EXPECT_TRUE(problems->empty());

    EXPECT_EQ(g->profile.schema, "segment");
    EXPECT_EQ(g->entities.size(), 8u);
    int max_depth = 0;
    bool junction = false;
    int enrichment = 0;
    for (const auto& r : g->relationships) {
        max_depth = std::max(max_depth, r.depth);
        junction = junction || r.join.kind == graph::JoinKind::JUNCTION;
    }
    for (const auto& e : g->entities) enrichment += e.enrichment_enabled ? 1 : 0;
    EXPECT_GE(max_depth, 5); // profile -> account -> cart -> product -> brand
    EXPECT_TRUE(junction);
    EXPECT_GE(enrichment, 2);

    // The header names the generator, the seed and the profile count.
    std::ifstream in(A().graph);
    std::string first;
    std::getline(in, first);
    EXPECT_NE(first.find("kith gen"), std::string::npos) << first;
    EXPECT_NE(first.find("seed 7"), std::string::npos) << first;
    EXPECT_NE(first.find("2000 profiles"), std::string::npos) << first;

    // Progress after every table, with its row count.
    std::vector<std::string> tables = {"segment.user_identifiers", "segment.user_traits", "segment.profile_merges"};
    for (const auto& t : EventTables()) tables.push_back("segment." + t);
    for (const auto& t : CrmTables()) tables.push_back("crm." + t);
    auto progress = A().progress;
    for (const auto& t : tables) {
        ASSERT_TRUE(progress.contains(t)) << t;
        EXPECT_EQ(progress[t], Count(*wh, "SELECT count(*) FROM " + t)) << t;
        EXPECT_GT(progress[t], 0) << t;
    }
}

TEST_F(GeneratorTest, SameSeedSameContentsOtherSeedOtherContents) {
    auto wa = Open(A());
    auto wb = Open(B());
    auto wc = Open(C());
    ASSERT_TRUE(wa && wb && wc);
    auto sa = Checksums(*wa);
    auto sb = Checksums(*wb);
    auto sc = Checksums(*wc);
    ASSERT_EQ(sa.size(), 3 + EventTables().size() + CrmTables().size());
    EXPECT_EQ(sa, sb);
    for (const auto& [table, sum] : sa) EXPECT_NE(sum, sc[table]) << table;
}

TEST_F(GeneratorTest, ProfilesSyncTablesAreDirtyAsPromised) {
    auto wh = Open(A());
    ASSERT_TRUE(wh);
    int64_t profiles = Count(*wh, "SELECT count(DISTINCT canonical_segment_id) FROM segment.user_identifiers");
    EXPECT_GE(profiles, kProfiles * 99 / 100);
    EXPECT_LE(profiles, kProfiles);
    // Several identifiers per profile for some profiles, no user_id for a few.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM (SELECT canonical_segment_id FROM segment.user_identifiers "
                         "WHERE type = 'email' GROUP BY 1 HAVING count(DISTINCT value) >= 2)"),
              50);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM (SELECT canonical_segment_id FROM segment.user_identifiers "
                         "WHERE type = 'anonymous_id' GROUP BY 1 HAVING count(*) >= 3)"),
              10);
    EXPECT_GT(Count(*wh, "SELECT count(DISTINCT canonical_segment_id) FROM segment.user_identifiers u "
                         "WHERE NOT EXISTS (SELECT 1 FROM segment.user_identifiers v WHERE v.type = 'user_id' "
                         "AND v.canonical_segment_id = u.canonical_segment_id)"),
              10);
    int64_t rows = Count(*wh, "SELECT count(*) FROM segment.user_identifiers");
    EXPECT_GT(rows, kProfiles * 2);
    EXPECT_LT(rows, kProfiles * 4);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_identifiers WHERE canonical_segment_id IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_identifiers WHERE value IS NULL"), 0);

    // Trait history with NULL values, NULL seq, ties and malformed text.
    EXPECT_EQ(Count(*wh, "SELECT count(DISTINCT name) FROM segment.user_traits"), 10);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM (SELECT 1 FROM segment.user_traits "
                         "GROUP BY canonical_segment_id, name HAVING count(*) >= 3)"),
              10);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits WHERE value IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits WHERE seq IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM (SELECT 1 FROM segment.user_traits WHERE seq IS NOT NULL "
                         "GROUP BY canonical_segment_id, name, seq HAVING count(*) >= 2)"),
              0);
    for (const char* bad : {"5_0", "yes", "24:00:00", "1990-02-30"}) {
        EXPECT_GT(Count(*wh, std::string("SELECT count(*) FROM segment.user_traits WHERE value = '") + bad + "'"), 0)
            << bad;
    }
    // Well-formed values of every trait type.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits WHERE name = 'lifetime_value' "
                         "AND regexp_full_match(value, '-?[0-9]+(\\.[0-9]+)?')"),
              100);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits WHERE name = 'birthday' "
                         "AND regexp_full_match(value, '[0-9]{4}-[0-9]{2}-[0-9]{2}')"),
              100);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits "
                         "WHERE name = 'is_vip' AND value IN ('true', 'false')"),
              100);
    // household_id values name households (the trait joins crm.households).
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.user_traits t JOIN crm.households h "
                         "ON t.name = 'household_id' AND t.value = h.\"HOUSEHOLD_ID\"::VARCHAR"),
              kProfiles / 5);

    // Merges, with rows that have a NULL side.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.profile_merges WHERE canonical_segment_id IS NOT NULL "
                         "AND segment_id IS NOT NULL"),
              kProfiles / 100);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.profile_merges WHERE canonical_segment_id IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.profile_merges WHERE segment_id IS NULL"), 0);
    // Merged-away ids are not canonical ids.
    EXPECT_EQ(Count(*wh, "SELECT count(*) FROM segment.profile_merges m JOIN segment.user_identifiers u "
                         "ON m.segment_id = u.canonical_segment_id WHERE m.canonical_segment_id IS NOT NULL"),
              0);
}

TEST_F(GeneratorTest, EventsAreDirtyAsPromised) {
    auto wh = Open(A());
    ASSERT_TRUE(wh);
    int64_t rows = 0, null_ids = 0, null_ts = 0, null_sid = 0, outside = 0, after = 0, dup_ids = 0, merged = 0;
    for (const auto& t : EventTables()) {
        std::string table = "segment." + t;
        rows += Count(*wh, "SELECT count(*) FROM " + table);
        null_ids += Count(*wh, "SELECT count(*) FROM " + table + " WHERE id IS NULL");
        null_ts += Count(*wh, "SELECT count(*) FROM " + table + " WHERE \"timestamp\" IS NULL");
        null_sid += Count(*wh, "SELECT count(*) FROM " + table + " WHERE segment_id IS NULL");
        outside += Count(*wh, "SELECT count(*) FROM " + table + " e WHERE segment_id IS NOT NULL "
                                  "AND segment_id NOT IN (SELECT canonical_segment_id FROM segment.user_identifiers "
                                  "WHERE canonical_segment_id IS NOT NULL) AND segment_id NOT IN "
                                  "(SELECT segment_id FROM segment.profile_merges WHERE segment_id IS NOT NULL)");
        after += Count(*wh, "SELECT count(*) FROM " + table + " WHERE \"timestamp\" > TIMESTAMP '2026-01-01'");
        merged += Count(*wh, "SELECT count(*) FROM " + table + " WHERE segment_id IN (SELECT segment_id FROM "
                                 "segment.profile_merges WHERE canonical_segment_id IS NOT NULL)");
        int64_t dups = Count(*wh, "SELECT count(*) FROM (SELECT id FROM " + table +
                                      " WHERE id IS NOT NULL GROUP BY id HAVING count(*) = 2)");
        EXPECT_GT(dups, 0) << t;
        dup_ids += dups;
        // Nothing before two years ago, nothing more than a few days after the anchor.
        EXPECT_GE(Value(*wh, "SELECT min(\"timestamp\") FROM " + table), "2024-01-01") << t;
        EXPECT_LT(Value(*wh, "SELECT max(\"timestamp\") FROM " + table), "2026-01-07") << t;
    }
    EXPECT_GT(rows, kProfiles * 15 / 2);
    EXPECT_LT(rows, kProfiles * 10);
    EXPECT_GT(null_ids, 0);
    EXPECT_GT(null_ts, 0);
    EXPECT_GT(null_sid, 0);
    EXPECT_GT(outside, 0);
    EXPECT_GT(after, 0);
    EXPECT_GT(dup_ids, 50);
    EXPECT_GT(merged, 20);
    // Values holding LIKE wildcards and backslashes.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.page_viewed WHERE contains(context_page_url, '%_')"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.page_viewed WHERE contains(context_page_url, '\\')"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM segment.order_completed WHERE coupon_code = '50%_OFF'"), 0);

    // Typed properties.
    auto cols = wh->DescribeTable({"", "segment", "order_completed"});
    ASSERT_TRUE(cols.has_value() && cols->has_value());
    std::map<std::string, warehouse::DataType> types;
    for (const auto& c : **cols) types[c.name] = c.type;
    EXPECT_EQ(types["id"], warehouse::DataType::STRING);
    EXPECT_EQ(types["segment_id"], warehouse::DataType::STRING);
    EXPECT_EQ(types["timestamp"], warehouse::DataType::TIMESTAMP);
    EXPECT_EQ(types["total"], warehouse::DataType::NUMBER);
    EXPECT_EQ(types["quantity"], warehouse::DataType::NUMBER);
    EXPECT_EQ(types["coupon_used"], warehouse::DataType::BOOLEAN);
    EXPECT_EQ(types["delivery_date"], warehouse::DataType::DATE);
    EXPECT_EQ(types["delivery_window_start"], warehouse::DataType::TIME);
    EXPECT_EQ(types["context_page_url"], warehouse::DataType::STRING);
}

TEST_F(GeneratorTest, EntitiesAreSkewedDirtyAndTyped) {
    auto wh = Open(A());
    ASSERT_TRUE(wh);
    // Each of kith's six types among the entity columns, and no column kith cannot read.
    std::set<warehouse::DataType> seen;
    for (const auto& t : CrmTables()) {
        auto cols = wh->DescribeTable({"", "crm", t});
        ASSERT_TRUE(cols.has_value()) << cols.error().ToString();
        ASSERT_TRUE(cols->has_value()) << t;
        for (const auto& c : **cols) {
            EXPECT_NE(c.type, warehouse::DataType::OTHER) << t << "." << c.name << " " << c.engine_type;
            seen.insert(c.type);
        }
    }
    for (auto type : {warehouse::DataType::NUMBER, warehouse::DataType::STRING, warehouse::DataType::BOOLEAN,
                      warehouse::DataType::DATE, warehouse::DataType::TIME, warehouse::DataType::TIMESTAMP}) {
        EXPECT_TRUE(seen.contains(type)) << warehouse::DataTypeName(type);
    }

    // Accounts per profile (through the email identifier): most have 0-2, a few have many.
    auto rows = warehouse::QueryAll(*wh, R"(
        WITH per AS (
            SELECT u.canonical_segment_id, count(DISTINCT a."ID") AS n
            FROM segment.user_identifiers u JOIN crm.accounts a ON u.type = 'email' AND a."EMAIL" = u.value
            GROUP BY 1)
        SELECT max(n), quantile_disc(n, 0.5), quantile_disc(n, 0.9) FROM per)");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    int64_t most = std::stoll((*rows)[0][0].value_or("0"));
    int64_t median = std::stoll((*rows)[0][1].value_or("0"));
    int64_t p90 = std::stoll((*rows)[0][2].value_or("0"));
    EXPECT_LE(median, 2);
    EXPECT_LE(p90, 3);
    EXPECT_GE(most, 20);
    EXPECT_GE(most, 10 * median);
    // Accounts related to no profile, duplicated primary keys, NULL keys.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.accounts a WHERE a.\"EMAIL\" IS NOT NULL AND NOT EXISTS "
                         "(SELECT 1 FROM segment.user_identifiers u WHERE u.value = a.\"EMAIL\")"),
              0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM (SELECT \"ID\" FROM crm.accounts GROUP BY 1 HAVING count(*) > 1)"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.accounts WHERE \"EMAIL\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.carts WHERE \"ACCOUNT_ID\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.cart_products WHERE \"CART_ID\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.products WHERE \"BRAND_ID\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.cards WHERE \"USER_ID\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.subscriptions WHERE \"HOUSEHOLD_ID\" IS NULL"), 0);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.transactions WHERE \"CARD_ID\" IS NULL"), 0);
    // Every level of the graph joins for a good share of rows.
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.carts c JOIN crm.accounts a ON a.\"ID\" = c.\"ACCOUNT_ID\""),
              kProfiles);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.cart_products j "
                         "JOIN crm.products p ON p.\"SKU\" = j.\"PRODUCT_SKU\""),
              kProfiles);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.products p JOIN crm.brands b ON b.\"ID\" = p.\"BRAND_ID\""), 100);
    EXPECT_GT(Count(*wh, "SELECT count(*) FROM crm.cards c JOIN segment.user_identifiers u "
                         "ON u.type = 'user_id' AND u.value = c.\"USER_ID\""),
              kProfiles / 4);
}

TEST(GeneratorOptionsTest, RejectsBadOptions) {
    Options o;
    o.out = "";
    o.graph_out = "g.hcl";
    EXPECT_FALSE(gen::Generate(o).has_value());
    o.out = "w.duckdb";
    o.profiles = 0;
    auto r = gen::Generate(o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::USAGE);
}

} // namespace
} // namespace kith::gen
