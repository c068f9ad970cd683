// CopySchemas between DuckDB and a real PostgreSQL server, compared cell by cell.
#include "warehouse/copy.hpp"
#include "sql/printer.hpp"

#include "support/pg_server.hpp"
#include "warehouse/duckdb_warehouse.hpp"
#include "warehouse/postgres_warehouse.hpp"

#include <algorithm>
#include <gtest/gtest.h>

namespace kith::warehouse {
namespace {

std::unique_ptr<Warehouse> OpenOrDie(const std::string& uri) {
    auto wh = Open(uri);
    EXPECT_TRUE(wh.has_value()) << wh.error().ToString();
    return wh ? std::move(*wh) : nullptr;
}

// A fresh database on the binary's shared PostgreSQL server, named after the running test.
std::unique_ptr<Warehouse> FreshPostgres(const std::string& suffix = "") {
    auto server = test::PgServer::Shared();
    EXPECT_TRUE(server.has_value()) << server.error().ToString();
    if (!server) return nullptr;
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto uri = (*server)->FreshDatabase("c_" + name + suffix);
    EXPECT_TRUE(uri.has_value()) << uri.error().ToString();
    return uri ? OpenOrDie(*uri) : nullptr;
}

void Exec(Warehouse& wh, const std::string& sql) {
    auto ok = wh.Execute(sql);
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
}

std::vector<std::pair<std::string, std::string>> Tables(Warehouse& wh) {
    auto rows = QueryAll(wh, "SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' "
                             "AND table_schema NOT IN ('information_schema', 'pg_catalog') "
                             "ORDER BY table_schema, table_name");
    EXPECT_TRUE(rows.has_value()) << rows.error().ToString();
    std::vector<std::pair<std::string, std::string>> out;
    if (rows) {
        for (auto& r : *rows) out.emplace_back(*r[0], *r[1]);
    }
    return out;
}

// Every row of a table as canonical text, sorted; columns kith does not read are read as their text.
std::vector<std::vector<Cell>> SortedRows(Warehouse& wh, const TableName& table, const std::vector<Column>& columns) {
    sql::Select select;
    select.From(sql::Table(table, "t"));
    for (const auto& c : columns) {
        sql::ExprPtr e = sql::Col("t", c.name);
        select.Item(c.type == DataType::OTHER ? sql::Cast(e, sql::SqlType::STRING) : e);
    }
    auto rows = QueryAll(wh, sql::Print(select, wh.sql_dialect()));
    EXPECT_TRUE(rows.has_value()) << rows.error().ToString();
    if (!rows) return {};
    std::sort(rows->begin(), rows->end());
    return *rows;
}

// The source's tables exist in the destination with the same columns, kith types and rows, cell by cell.
void ExpectSameTables(Warehouse& from, Warehouse& to, size_t expected_tables) {
    auto tables = Tables(from);
    EXPECT_EQ(tables.size(), expected_tables);
    EXPECT_EQ(Tables(to), tables);
    for (const auto& [schema, name] : tables) {
        SCOPED_TRACE(schema + "." + name);
        TableName t{"", schema, name};
        auto src_cols = from.DescribeTable(t);
        auto dst_cols = to.DescribeTable(t);
        ASSERT_TRUE(src_cols.has_value() && src_cols->has_value());
        ASSERT_TRUE(dst_cols.has_value() && dst_cols->has_value()) << "missing in the destination";
        ASSERT_EQ((*src_cols)->size(), (*dst_cols)->size());
        for (size_t i = 0; i < (*src_cols)->size(); ++i) {
            const Column& s = (**src_cols)[i];
            const Column& d = (**dst_cols)[i];
            EXPECT_EQ(s.name, d.name);
            EXPECT_EQ(s.type == DataType::OTHER ? DataType::STRING : s.type, d.type)
                << s.name << ": " << s.engine_type << " became " << d.engine_type;
        }
        auto expected = SortedRows(from, t, **src_cols);
        auto got = SortedRows(to, t, **dst_cols);
        ASSERT_EQ(got.size(), expected.size());
        for (size_t r = 0; r < got.size(); ++r) {
            ASSERT_EQ(got[r].size(), expected[r].size());
            for (size_t c = 0; c < got[r].size(); ++c) {
                EXPECT_EQ(got[r][c], expected[r][c]) << "row " << r << ", column " << (**src_cols)[c].name;
            }
        }
    }
}

// A small DuckDB warehouse: every kith type, NULLs, strings that need escaping, an empty table.
void FillDuckDb(Warehouse& duck) {
    Exec(duck, R"sql(
        CREATE SCHEMA segment; CREATE SCHEMA crm;
        CREATE TABLE segment.user_identifiers(canonical_segment_id VARCHAR, type VARCHAR, value VARCHAR);
        INSERT INTO segment.user_identifiers VALUES
          ('p1', 'email', 'ada@x.com'), ('p1', 'user_id', 'tab' || chr(9) || 'in'),
          ('p2', 'note', 'line' || chr(10) || 'break' || chr(13) || 'cr'), ('p2', 'path', 'C:\dir\N'),
          ('p3', 'quote', 'it''s "q"'), ('p3', 'empty', ''), ('p4', NULL, NULL), ('p5', 'utf8', 'héllo ✓'),
          ('p6', 'slashN', '\N');
        CREATE TABLE crm.accounts("ID" BIGINT, "SMALL" SMALLINT, "COUNT" INTEGER, "TOTAL" DECIMAL(12,2),
          "BIG" HUGEINT, "RATIO" DOUBLE, "R" REAL, "NAME" VARCHAR, "ACTIVE" BOOLEAN, "OPENED" DATE,
          "AT_TIME" TIME, "SEEN" TIMESTAMP, "SEEN_TZ" TIMESTAMPTZ, "TAGS" VARCHAR[]);
        INSERT INTO crm.accounts VALUES
          (1, -3, 70000, 100.00, 170141183460469231731687303715884105727, 0.1, 1.5, 'Acme', true,
           DATE '2024-02-29', TIME '07:05:03.25', TIMESTAMP '2024-01-02 03:04:05',
           TIMESTAMPTZ '2024-01-02 03:04:05+02:00', ['a', 'b']),
          (2, NULL, NULL, -12.34, -1, -2.5e-7, 0.1, 'x' || chr(9) || 'y\z', false, DATE '1970-01-01',
           TIME '23:59:59.999999', TIMESTAMP '1969-12-31 23:59:59.000001', TIMESTAMPTZ '2000-06-01 00:00:00+00', []),
          (3, NULL, NULL, NULL, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          (4, 32767, -2147483648, 0.05, 0, 'Infinity', -0.0, '', true, DATE '2099-12-31', TIME '00:00:00',
           TIMESTAMP '2024-01-02 03:04:05.5', TIMESTAMPTZ '2024-01-02 03:04:05.123456-08:00', NULL);
        CREATE TABLE main.empty_table(x INTEGER, d DATE);
    )sql");
}

TEST(Copy, StorageForKeepsNumberKinds) {
    auto def = [](const char* engine_type, DataType type) { return StorageFor(Column{"c", engine_type, type}); };
    EXPECT_EQ(def("BIGINT", DataType::NUMBER).type, StorageType::BIGINT);
    EXPECT_EQ(def("integer", DataType::NUMBER).type, StorageType::INTEGER);
    EXPECT_EQ(def("SMALLINT", DataType::NUMBER).type, StorageType::SMALLINT);
    EXPECT_EQ(def("UINTEGER", DataType::NUMBER).type, StorageType::BIGINT);
    ColumnDef d = def("DECIMAL(12,2)", DataType::NUMBER);
    EXPECT_EQ(d.type, StorageType::DECIMAL);
    EXPECT_EQ(d.precision, 12);
    EXPECT_EQ(d.scale, 2);
    d = def("numeric(7)", DataType::NUMBER);
    EXPECT_EQ(d.type, StorageType::DECIMAL);
    EXPECT_EQ(d.precision, 7);
    EXPECT_EQ(d.scale, 0);
    d = def("numeric", DataType::NUMBER);
    EXPECT_EQ(d.type, StorageType::DECIMAL);
    EXPECT_EQ(d.precision, 0);
    d = def("HUGEINT", DataType::NUMBER);
    EXPECT_EQ(d.type, StorageType::DECIMAL);
    EXPECT_EQ(d.precision, 39);
    EXPECT_EQ(def("DOUBLE", DataType::NUMBER).type, StorageType::DOUBLE);
    EXPECT_EQ(def("double precision", DataType::NUMBER).type, StorageType::DOUBLE);
    EXPECT_EQ(def("FLOAT", DataType::NUMBER).type, StorageType::REAL);
    EXPECT_EQ(def("real", DataType::NUMBER).type, StorageType::REAL);
    EXPECT_EQ(def("character varying(20)", DataType::STRING).type, StorageType::TEXT);
    EXPECT_EQ(def("BOOLEAN", DataType::BOOLEAN).type, StorageType::BOOLEAN);
    EXPECT_EQ(def("DATE", DataType::DATE).type, StorageType::DATE);
    EXPECT_EQ(def("time without time zone", DataType::TIME).type, StorageType::TIME);
    EXPECT_EQ(def("TIMESTAMP", DataType::TIMESTAMP).type, StorageType::TIMESTAMP);
    EXPECT_EQ(def("TIMESTAMP_NS", DataType::TIMESTAMP).type, StorageType::TIMESTAMP);
    EXPECT_EQ(def("TIMESTAMP WITH TIME ZONE", DataType::TIMESTAMP).type, StorageType::TIMESTAMPTZ);
    EXPECT_EQ(def("timestamp(3) with time zone", DataType::TIMESTAMP).type, StorageType::TIMESTAMPTZ);
    EXPECT_EQ(def("VARCHAR[]", DataType::OTHER).type, StorageType::TEXT);
    EXPECT_EQ(PostgresWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 12, 2}), "numeric(12,2)");
    EXPECT_EQ(PostgresWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 0, 0}), "numeric");
    EXPECT_EQ(DuckDbWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 12, 2}), "DECIMAL(12,2)");
    EXPECT_EQ(DuckDbWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 0, 0}), "DOUBLE");
    EXPECT_EQ(DuckDbWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 39, 0}), "HUGEINT");
    EXPECT_EQ(DuckDbWarehouse::StorageTypeName({"c", StorageType::DECIMAL, 40, 2}), "DOUBLE");
}

TEST(Copy, DuckDbToPostgresAndBack) {
    auto duck = OpenOrDie("duckdb::memory:");
    ASSERT_TRUE(duck);
    FillDuckDb(*duck);
    auto pg = FreshPostgres();
    ASSERT_TRUE(pg);

    std::vector<std::string> progress;
    auto ok = CopySchemas(*duck, *pg, {}, [&](const CopyProgress& p) {
        if (p.done) progress.push_back(p.table.ToString() + ":" + std::to_string(p.rows));
    });
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    EXPECT_EQ(progress, (std::vector<std::string>{"crm.accounts:4", "main.empty_table:0",
                                                  "segment.user_identifiers:9"}));
    ExpectSameTables(*duck, *pg, 3);

    // Column types keep what they were: integers, decimal precision, time zones.
    auto cols = pg->DescribeTable({"", "crm", "accounts"});
    ASSERT_TRUE(cols.has_value() && cols->has_value());
    std::vector<std::string> types;
    for (const auto& c : **cols) types.push_back(c.engine_type);
    EXPECT_EQ(types, (std::vector<std::string>{"bigint", "smallint", "integer", "numeric(12,2)", "numeric(39,0)",
                                               "double precision", "real", "text", "boolean", "date",
                                               "time without time zone", "timestamp without time zone",
                                               "timestamp with time zone", "text"}));

    // And back: PostgreSQL to a second DuckDB, named schemas only.
    auto duck2 = OpenOrDie("duckdb::memory:");
    ASSERT_TRUE(duck2);
    ok = CopySchemas(*pg, *duck2, {"crm", "segment", "main"});
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    ExpectSameTables(*pg, *duck2, 3);
    ExpectSameTables(*duck, *duck2, 3);
}

TEST(Copy, PostgresToDuckDb) {
    auto pg = FreshPostgres();
    ASSERT_TRUE(pg);
    Exec(*pg, R"sql(
        CREATE SCHEMA shop;
        CREATE TABLE shop.orders(id int4, code char(3), label varchar(10), amount numeric, exact numeric(30,10),
          ratio real, hits int8, flag bool, placed timestamptz, day date, at time, note text, doc jsonb, tiny int2);
        INSERT INTO shop.orders VALUES
          (1, 'ab', 'x', 12.5, 12345678901234567890.0123456789, 0.1, 9007199254740993, true,
           '2024-01-02 03:04:05.000001+05:30', '2024-02-29', '12:00:00.5', E'a\tb\nc\\d', '{"k": [1, 2]}', 7),
          (2, NULL, '', -0.25, 0, 3.25, -1, false, NULL, NULL, NULL, NULL, NULL, NULL),
          (3, 'xyz', NULL, NULL, NULL, NULL, NULL, NULL, '1900-01-01 00:00:00+00', '0044-03-15 BC', '00:00:00',
           '', 'null', -32768);
        CREATE TABLE public.plain(v text);
        INSERT INTO public.plain SELECT 'row ' || i FROM generate_series(1, 5000) AS g(i);
    )sql");
    auto duck = OpenOrDie("duckdb::memory:");
    ASSERT_TRUE(duck);
    std::vector<std::string> done;
    auto ok = CopySchemas(*pg, *duck, {}, [&](const CopyProgress& p) {
        if (p.done) done.push_back(p.table.ToString() + ":" + std::to_string(p.rows));
    });
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    EXPECT_EQ(done, (std::vector<std::string>{"public.plain:5000", "shop.orders:3"}));
    ExpectSameTables(*pg, *duck, 2);
    auto cols = duck->DescribeTable({"", "shop", "orders"});
    ASSERT_TRUE(cols.has_value() && cols->has_value());
    EXPECT_EQ((**cols)[3].engine_type, "DOUBLE") << "unconstrained numeric";
    EXPECT_EQ((**cols)[4].engine_type, "DECIMAL(30,10)");
    EXPECT_EQ((**cols)[8].engine_type, "TIMESTAMP WITH TIME ZONE");
}

TEST(Copy, ReplacesExistingTablesAndChecksSchemas) {
    auto duck = OpenOrDie("duckdb::memory:");
    ASSERT_TRUE(duck);
    FillDuckDb(*duck);
    auto pg = FreshPostgres();
    ASSERT_TRUE(pg);
    Exec(*pg, "CREATE SCHEMA segment; CREATE TABLE segment.user_identifiers(old_column int)");
    ASSERT_TRUE(CopySchemas(*duck, *pg, {"segment"}).has_value());
    ASSERT_TRUE(CopySchemas(*duck, *pg, {"segment"}).has_value());
    auto rows = QueryAll(*pg, "SELECT count(*) FROM segment.user_identifiers");
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(*(*rows)[0][0], "9") << "copied twice, loaded once";
    EXPECT_FALSE(pg->DescribeTable({"", "crm", "accounts"})->has_value()) << "only the named schema";

    auto missing = CopySchemas(*duck, *pg, {"segment", "nope"});
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::NOT_FOUND);
    EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
    auto self = CopySchemas(*duck, *duck, {});
    ASSERT_FALSE(self.has_value());
    EXPECT_EQ(self.error().code, ErrorCode::USAGE);
}

TEST(Copy, DuckDbBulkWriterIsOneTransaction) {
    auto duck = OpenOrDie("duckdb::memory:");
    ASSERT_TRUE(duck);
    Exec(*duck, "CREATE TABLE t(id INTEGER, s VARCHAR, ts TIMESTAMPTZ, d DECIMAL(6,2), ok BOOLEAN)");
    std::vector<std::string> names = {"id", "s", "ts", "d", "ok"};
    Chunk chunk;
    chunk.rows = {{"1", "a\tb", "2024-01-02T03:04:05.250000Z", "-1.5", "true"},
                  {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
    {
        auto writer = duck->BulkWriter({"", "", "t"}, names);
        ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
        ASSERT_TRUE((*writer)->Append(chunk).has_value());
    }
    auto count = QueryAll(*duck, "SELECT count(*) FROM t");
    ASSERT_TRUE(count.has_value());
    EXPECT_EQ(*(*count)[0][0], "0") << "dropped before Finish";
    {
        auto writer = duck->BulkWriter({"", "", "t"}, names);
        ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
        ASSERT_TRUE((*writer)->Append(chunk).has_value());
        auto done = (*writer)->Finish();
        ASSERT_TRUE(done.has_value()) << done.error().ToString();
    }
    auto rows = QueryAll(*duck, "SELECT * FROM t ORDER BY id");
    ASSERT_TRUE(rows.has_value());
    EXPECT_EQ(*rows, chunk.rows);
    // A value that does not convert is the engine's error; nothing is loaded.
    auto writer = duck->BulkWriter({"", "", "t"}, names);
    ASSERT_TRUE(writer.has_value());
    Chunk bad;
    bad.rows = {{"3", "s", std::nullopt, std::nullopt, std::nullopt},
                {"x", "s", std::nullopt, std::nullopt, std::nullopt}};
    auto appended = (*writer)->Append(bad);
    auto done = appended ? (*writer)->Finish() : appended;
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, ErrorCode::WAREHOUSE);
    writer->reset();
    count = QueryAll(*duck, "SELECT count(*) FROM t");
    ASSERT_TRUE(count.has_value());
    EXPECT_EQ(*(*count)[0][0], "2");
}

} // namespace
} // namespace kith::warehouse
