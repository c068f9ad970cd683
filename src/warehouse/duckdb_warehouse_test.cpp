#include "warehouse/duckdb_warehouse.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <thread>

namespace kith::warehouse {
namespace {

std::unique_ptr<Warehouse> Memory() {
    auto wh = Open("duckdb::memory:");
    EXPECT_TRUE(wh.has_value()) << wh.error().ToString();
    return std::move(*wh);
}

// The URI's settings bound what the engine may use (memory, threads, spill space); others are refused by name.
TEST(DuckDb, TheUriSetsTheEnginesMemoryAndThreads) {
    auto wh = Open("duckdb::memory:?memory_limit=512MB&threads=1");
    ASSERT_TRUE(wh.has_value()) << wh.error().ToString();
    auto rows = QueryAll(**wh, "SELECT current_setting('memory_limit'), current_setting('threads')");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0][0].value_or(""), "488.2 MiB"); // 512 MB, as DuckDB prints it
    EXPECT_EQ((*rows)[0][1].value_or(""), "1");

    auto unknown = Open("duckdb::memory:?memory_limt=1GB");
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, ErrorCode::USAGE);
    EXPECT_NE(unknown.error().message.find("unknown DuckDB setting \"memory_limt\""), std::string::npos)
        << unknown.error().ToString();
    EXPECT_NE(unknown.error().message.find("memory_limit"), std::string::npos);

    auto bad = Open("duckdb::memory:?memory_limit=lots");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().ToString().find("memory_limit"), std::string::npos) << bad.error().ToString();
}

TEST(DuckDb, StreamsLargeResultsInChunks) {
    auto wh = Memory();
    auto stream = wh->Query("SELECT range AS i FROM range(100000)");
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    Chunk chunk;
    size_t chunks = 0, rows = 0, max_chunk = 0;
    long long sum = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more.has_value());
        if (!*more) break;
        ++chunks;
        rows += chunk.size();
        max_chunk = std::max(max_chunk, chunk.size());
        for (auto& r : chunk.rows) sum += std::stoll(*r[0]);
    }
    EXPECT_EQ(rows, 100000u);
    EXPECT_GT(chunks, 10u);
    EXPECT_LE(max_chunk, 4096u);
    EXPECT_EQ(sum, 4999950000LL);
}

TEST(DuckDb, ValuesAreCanonicalText) {
    auto wh = Memory();
    auto rows = QueryAll(*wh,
                         "SELECT 100.00::DECIMAL(10,2), 2.5::DOUBLE, 7::HUGEINT, true, NULL::VARCHAR, 'x'::VARCHAR, "
                         "DATE '2024-02-29', TIME '07:05:03.25', TIMESTAMP '2024-01-02 03:04:05', "
                         "TIMESTAMPTZ '2024-01-02 03:04:05+02:00', -12.340::DECIMAL(30,3)");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    ASSERT_EQ(rows->size(), 1u);
    const auto& r = (*rows)[0];
    EXPECT_EQ(*r[0], "100");
    EXPECT_EQ(*r[1], "2.5");
    EXPECT_EQ(*r[2], "7");
    EXPECT_EQ(*r[3], "true");
    EXPECT_FALSE(r[4].has_value());
    EXPECT_EQ(*r[5], "x");
    EXPECT_EQ(*r[6], "2024-02-29");
    EXPECT_EQ(*r[7], "07:05:03.250000");
    EXPECT_EQ(*r[8], "2024-01-02T03:04:05Z");
    EXPECT_EQ(*r[9], "2024-01-02T01:04:05Z");
    EXPECT_EQ(*r[10], "-12.34");
}

TEST(DuckDb, ParametersAreBoundLiterally) {
    auto wh = Memory();
    ASSERT_TRUE(wh->Execute("CREATE TABLE t(name VARCHAR)").has_value());
    std::string evil = "x'); DROP TABLE t; --";
    Param p[] = {evil};
    ASSERT_TRUE(wh->Execute("INSERT INTO t VALUES (?)", p).has_value());
    auto rows = QueryAll(*wh, "SELECT count(*) FROM t WHERE name = ?", p);
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(*(*rows)[0][0], "1");
}

TEST(DuckDb, EngineErrorsCarryTheEnginesMessage) {
    auto wh = Memory();
    auto r = wh->Query("SELECT * FROM no_such_table");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::WAREHOUSE);
    EXPECT_NE(r.error().message.find("no_such_table"), std::string::npos) << r.error().message;
    auto e = wh->Execute("CREATE TABLE (");
    ASSERT_FALSE(e.has_value());
    EXPECT_NE(e.error().message.find("syntax error"), std::string::npos) << e.error().message;
}

TEST(DuckDb, DescribesTablesWithKithTypes) {
    auto wh = Memory();
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA crm; CREATE TABLE crm.accounts(ID BIGINT, EMAIL VARCHAR, TOTAL DECIMAL(12,2), "
                            "ACTIVE BOOLEAN, OPENED DATE, AT_TIME TIME, SEEN TIMESTAMP, SEEN_TZ TIMESTAMPTZ, TAGS VARCHAR[])")
                    .has_value());
    auto cols = wh->DescribeTable({"", "crm", "accounts"});
    ASSERT_TRUE(cols.has_value()) << cols.error().ToString();
    ASSERT_TRUE(cols->has_value());
    std::vector<std::string> got;
    for (const auto& c : **cols) got.push_back(c.name + ":" + std::string(DataTypeName(c.type)));
    EXPECT_EQ(got, (std::vector<std::string>{"ID:NUMBER", "EMAIL:STRING", "TOTAL:NUMBER", "ACTIVE:BOOLEAN",
                                             "OPENED:DATE", "AT_TIME:TIME", "SEEN:TIMESTAMP", "SEEN_TZ:TIMESTAMP",
                                             "TAGS:OTHER"}));
    auto missing = wh->DescribeTable({"", "crm", "nope"});
    ASSERT_TRUE(missing.has_value());
    EXPECT_FALSE(missing->has_value());
    auto bare = wh->DescribeTable({"", "", "accounts"});
    ASSERT_TRUE(bare.has_value());
    EXPECT_FALSE(bare->has_value()) << "a bare name resolves in main, not crm";
}

TEST(DuckDb, UnknownUriIsAUsageError) {
    auto wh = Open("mysql://x");
    ASSERT_FALSE(wh.has_value());
    EXPECT_EQ(wh.error().code, ErrorCode::USAGE);
}

TEST(DuckDb, ConnectionsShareTheDatabaseAndOutliveTheFirst) {
    auto first = Memory();
    ASSERT_TRUE(first->Execute("CREATE TABLE t AS SELECT 42 AS v"));
    auto second = first->Connect();
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    first.reset(); // the database stays open while a connection does
    auto rows = QueryAll(**second, "SELECT v FROM t");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    EXPECT_EQ((*rows)[0][0], "42");
}

TEST(DuckDb, InterruptStopsARunningQueryFromAnotherThread) {
    auto wh = Memory();
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        wh->Interrupt();
    });
    auto start = std::chrono::steady_clock::now();
    // Minutes of work when not interrupted.
    auto rows = QueryAll(*wh, "SELECT count(*) FROM range(100000000000) a WHERE a.range % 7 = 3");
    stopper.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(rows.has_value());
    EXPECT_NE(rows.error().message.find("nterrupt"), std::string::npos) << rows.error().message;
    EXPECT_LT(s, 30.0);
    // The connection is usable afterwards.
    auto after = QueryAll(*wh, "SELECT 1");
    ASSERT_TRUE(after.has_value()) << after.error().ToString();
}

} // namespace
} // namespace kith::warehouse
