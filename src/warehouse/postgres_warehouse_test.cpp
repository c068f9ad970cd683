// PostgresWarehouse against a real PostgreSQL server (test/support/pg_server.hpp).
#include "warehouse/postgres_warehouse.hpp"

#include "support/pg_server.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <thread>

namespace kith::warehouse {
namespace {

// Each test gets a fresh database, named after it, on the binary's shared server.
class Postgres : public ::testing::Test {
protected:
    void SetUp() override {
        auto server = test::PgServer::Shared();
        ASSERT_TRUE(server.has_value()) << server.error().ToString();
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto uri = (*server)->FreshDatabase("t_" + name);
        ASSERT_TRUE(uri.has_value()) << uri.error().ToString();
        uri_ = *uri;
        auto wh = Open(uri_);
        ASSERT_TRUE(wh.has_value()) << wh.error().ToString();
        wh_ = std::move(*wh);
    }

    void Exec(const std::string& sql) {
        auto ok = wh_->Execute(sql);
        ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    }

    std::vector<std::vector<Cell>> Rows(const std::string& sql, std::span<const Param> params = {}) {
        auto rows = QueryAll(*wh_, sql, params);
        EXPECT_TRUE(rows.has_value()) << rows.error().ToString();
        return rows ? *rows : std::vector<std::vector<Cell>>{};
    }

    std::string uri_;
    std::unique_ptr<Warehouse> wh_;
};

TEST_F(Postgres, OpensWithTheDialectAndUtcSession) {
    EXPECT_EQ(wh_->dialect(), "postgres");
    auto rows = Rows("SELECT current_setting('TimeZone'), current_setting('DateStyle'), "
                     "current_setting('IntervalStyle'), current_setting('extra_float_digits')");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], (std::vector<Cell>{"UTC", "ISO, YMD", "iso_8601", "1"}));
    auto short_scheme = Open("postgres://" + uri_.substr(std::string("postgresql://").size()));
    ASSERT_TRUE(short_scheme.has_value()) << short_scheme.error().ToString();
    EXPECT_EQ((*short_scheme)->dialect(), "postgres");
}

TEST_F(Postgres, StreamsLargeResultsInChunks) {
    auto stream = wh_->Query("SELECT i FROM generate_series(0, 99999) AS g(i)");
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    ASSERT_EQ((*stream)->columns().size(), 1u);
    EXPECT_EQ((*stream)->columns()[0].name, "i");
    Chunk chunk;
    size_t chunks = 0, rows = 0, max_chunk = 0;
    long long sum = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more.has_value()) << more.error().ToString();
        if (!*more) break;
        ++chunks;
        rows += chunk.size();
        max_chunk = std::max(max_chunk, chunk.size());
        for (auto& r : chunk.rows) sum += std::stoll(*r[0]);
    }
    EXPECT_EQ(rows, 100000u);
    EXPECT_GT(chunks, 10u);
    EXPECT_LE(max_chunk, 2048u);
    EXPECT_EQ(sum, 4999950000LL);
    auto again = (*stream)->Next(chunk);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(*again);
}

TEST_F(Postgres, AbandonedStreamLeavesTheConnectionUsable) {
    {
        // In the select list generate_series streams (in FROM it would be materialized before the first row).
        auto stream = wh_->Query("SELECT generate_series(1, 50000000) AS i");
        ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
        Chunk chunk;
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more.has_value() && *more);
        EXPECT_EQ(chunk.size(), 2048u);
    }
    auto rows = Rows("SELECT 42");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(*rows[0][0], "42");
}

TEST_F(Postgres, OneStatementAtATime) {
    auto stream = wh_->Query("SELECT i FROM generate_series(1, 5000) AS g(i)");
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    auto busy = wh_->Execute("SELECT 1");
    ASSERT_FALSE(busy.has_value()) << "libpq would have swallowed the open stream's rows";
    EXPECT_EQ(busy.error().code, ErrorCode::INTERNAL);
    EXPECT_FALSE(wh_->Query("SELECT 1").has_value());
    EXPECT_FALSE(wh_->DescribeTable({"", "", "t"}).has_value());
    size_t rows = 0;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more.has_value()) << more.error().ToString();
        if (!*more) break;
        rows += chunk.size();
    }
    EXPECT_EQ(rows, 5000u);
    EXPECT_TRUE(wh_->Execute("SELECT 1").has_value()) << "idle again once the stream is exhausted";

    // COPY through STDIN/STDOUT belongs to BulkWriter; elsewhere it is refused and the connection stays usable.
    Exec("CREATE TABLE c(x int)");
    auto copy_in = wh_->Execute("COPY c FROM STDIN");
    ASSERT_FALSE(copy_in.has_value());
    EXPECT_EQ(copy_in.error().code, ErrorCode::USAGE);
    auto copy_out = wh_->Query("COPY (SELECT 1) TO STDOUT");
    ASSERT_FALSE(copy_out.has_value());
    EXPECT_EQ(copy_out.error().code, ErrorCode::USAGE);
    EXPECT_EQ(*Rows("SELECT count(*) FROM c")[0][0], "0");
}

// The same literals through both drivers must give the same text, byte for byte.
TEST_F(Postgres, ValuesMatchDuckDbCellByCell) {
    const std::string sql =
        "SELECT CAST(100.00 AS numeric(10,2)), CAST(-12.340 AS numeric(10,3)), CAST(2.5 AS double precision), "
        "CAST(0.1 AS double precision), CAST(9007199254740993 AS bigint), true, CAST(NULL AS text), 'x', "
        "DATE '2024-02-29', TIME '07:05:03.25', TIMESTAMP '2024-01-02 03:04:05', "
        "TIMESTAMPTZ '2024-01-02 03:04:05+02:00', CAST(0 AS numeric(4,2)), CAST(-0.5 AS numeric(4,2)), "
        "CAST(1e20 AS double precision), CAST(1.5 AS real), CAST(0.1 AS real), CAST(-123 AS smallint), "
        "CAST(7 AS integer), TIMESTAMP '1969-12-31 23:59:59.000120', TIME '23:59:59', false, "
        "CAST('NaN' AS double precision), CAST('Infinity' AS double precision), CAST(-1e-7 AS double precision), "
        "CAST(123456789012.345678 AS numeric(18,6)), 'tab\there', ''";
    auto duck = Open("duckdb::memory:");
    ASSERT_TRUE(duck.has_value()) << duck.error().ToString();
    auto expected = QueryAll(**duck, sql);
    ASSERT_TRUE(expected.has_value()) << expected.error().ToString();
    auto got = Rows(sql);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(expected->size(), 1u);
    ASSERT_EQ(got[0].size(), (*expected)[0].size());
    for (size_t c = 0; c < got[0].size(); ++c) {
        EXPECT_EQ(got[0][c], (*expected)[0][c]) << "column " << c << ": postgres " << got[0][c].value_or("NULL")
                                                << ", duckdb " << (*expected)[0][c].value_or("NULL");
    }
    EXPECT_EQ(*got[0][0], "100");
    EXPECT_EQ(*got[0][1], "-12.34");
    EXPECT_EQ(*got[0][11], "2024-01-02T01:04:05Z");
}

TEST_F(Postgres, TimestampsWithAnyOffsetBecomeUtc) {
    Exec("SET TimeZone = 'Asia/Kolkata'");
    auto rows = Rows("SELECT TIMESTAMPTZ '2024-01-02 03:04:05.5+00', TIMESTAMP '2024-01-02 03:04:05'");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(*rows[0][0], "2024-01-02T03:04:05.500000Z");
    EXPECT_EQ(*rows[0][1], "2024-01-02T03:04:05Z");
}

TEST_F(Postgres, ResultColumnsCarryTypes) {
    auto stream = wh_->Query("SELECT CAST(1 AS numeric(10,2)) AS total, CAST('a' AS varchar(5)) AS name, "
                             "1 AS n, now() AS at, CAST('{}' AS json) AS doc");
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    std::vector<std::string> got;
    for (const auto& c : (*stream)->columns()) {
        got.push_back(c.name + ":" + c.engine_type + ":" + std::string(DataTypeName(c.type)));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"total:numeric(10,2):NUMBER", "name:character varying(5):STRING",
                                             "n:integer:NUMBER", "at:timestamp with time zone:TIMESTAMP",
                                             "doc:json:OTHER"}));
}

TEST_F(Postgres, ParametersAreBoundLiterally) {
    Exec("CREATE TABLE t(name text)");
    std::string evil = "x'); DROP TABLE t; --";
    Param p[] = {evil};
    auto ok = wh_->Execute("INSERT INTO t VALUES ($1)", p);
    ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
    auto rows = Rows("SELECT count(*), min(name) FROM t WHERE name = $1", p);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(*rows[0][0], "1");
    EXPECT_EQ(*rows[0][1], evil);
    Param null[] = {std::nullopt, std::string("7")};
    rows = Rows("SELECT $1::text IS NULL, $2::int + 1", null);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], (std::vector<Cell>{"true", "8"}));
}

TEST_F(Postgres, ExecuteRunsSeveralStatements) {
    Exec("CREATE TABLE a(x int); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2)");
    auto rows = Rows("SELECT sum(x) FROM a");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(*rows[0][0], "3");
}

TEST_F(Postgres, EngineErrorsCarryTheEnginesMessage) {
    auto r = wh_->Query("SELECT * FROM no_such_table");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(r.error().location, "postgres");
    EXPECT_EQ(r.error().message, "relation \"no_such_table\" does not exist (SQLSTATE 42P01)");
    auto e = wh_->Execute("CREATE TABLE (");
    ASSERT_FALSE(e.has_value());
    EXPECT_NE(e.error().message.find("syntax error"), std::string::npos) << e.error().message;
    // An error after some rows have streamed surfaces from Next; the connection stays usable.
    auto stream = wh_->Query("SELECT 1 / (i - 5000) FROM generate_series(1, 10000) AS g(i)");
    ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
    Chunk chunk;
    std::optional<Error> failure;
    size_t rows = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        if (!more) {
            failure = more.error();
            break;
        }
        if (!*more) break;
        rows += chunk.size();
    }
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->message, "division by zero (SQLSTATE 22012)");
    EXPECT_LT(rows, 5000u);
    auto after = Rows("SELECT 1");
    EXPECT_EQ(after.size(), 1u);
}

TEST_F(Postgres, ConnectionFailureIsAWarehouseError) {
    auto wh = Open("postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2");
    ASSERT_FALSE(wh.has_value());
    EXPECT_EQ(wh.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(wh.error().location, "postgres");
    EXPECT_NE(wh.error().message.find("127.0.0.1"), std::string::npos) << wh.error().message;
}

TEST_F(Postgres, DescribesTablesWithKithTypes) {
    Exec("CREATE SCHEMA crm; CREATE TABLE crm.accounts(\"ID\" bigint, \"EMAIL\" varchar(200), "
         "\"TOTAL\" numeric(12,2), \"ACTIVE\" boolean, \"OPENED\" date, \"AT_TIME\" time, \"SEEN\" timestamp, "
         "\"SEEN_TZ\" timestamptz, \"TAGS\" text[], \"CODE\" char(3), \"RATIO\" real, \"N\" smallint, "
         "\"DOC\" jsonb); ALTER TABLE crm.accounts DROP COLUMN \"N\"");
    auto cols = wh_->DescribeTable({"", "crm", "accounts"});
    ASSERT_TRUE(cols.has_value()) << cols.error().ToString();
    ASSERT_TRUE(cols->has_value());
    std::vector<std::string> got;
    for (const auto& c : **cols) got.push_back(c.name + ":" + std::string(DataTypeName(c.type)));
    EXPECT_EQ(got, (std::vector<std::string>{"ID:NUMBER", "EMAIL:STRING", "TOTAL:NUMBER", "ACTIVE:BOOLEAN",
                                             "OPENED:DATE", "AT_TIME:TIME", "SEEN:TIMESTAMP", "SEEN_TZ:TIMESTAMP",
                                             "TAGS:OTHER", "CODE:STRING", "RATIO:NUMBER", "DOC:OTHER"}));
    EXPECT_EQ((**cols)[2].engine_type, "numeric(12,2)");
    EXPECT_EQ((**cols)[7].engine_type, "timestamp with time zone");

    auto missing = wh_->DescribeTable({"", "crm", "nope"});
    ASSERT_TRUE(missing.has_value()) << missing.error().ToString();
    EXPECT_FALSE(missing->has_value());
    auto bare = wh_->DescribeTable({"", "", "accounts"});
    ASSERT_TRUE(bare.has_value());
    EXPECT_FALSE(bare->has_value()) << "crm is not on the search_path";
    auto same_db = wh_->DescribeTable({"t_describestableswithkithtypes", "crm", "accounts"});
    ASSERT_TRUE(same_db.has_value());
    EXPECT_TRUE(same_db->has_value());
    auto other_db = wh_->DescribeTable({"elsewhere", "crm", "accounts"});
    ASSERT_TRUE(other_db.has_value());
    EXPECT_FALSE(other_db->has_value()) << "another database's tables are not reachable";
}

TEST_F(Postgres, BareNamesResolveInTheSearchPath) {
    Exec("CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE b.items(x int); CREATE TABLE a.items(y text, z text); "
         "CREATE TABLE public.only_public(p date)");
    auto in_public = wh_->DescribeTable({"", "", "only_public"});
    ASSERT_TRUE(in_public.has_value() && in_public->has_value());
    EXPECT_EQ((**in_public)[0].name, "p");
    EXPECT_FALSE(wh_->DescribeTable({"", "", "items"})->has_value());
    Exec("SET search_path = b, a, public");
    auto first = wh_->DescribeTable({"", "", "items"});
    ASSERT_TRUE(first.has_value() && first->has_value());
    EXPECT_EQ((**first).size(), 1u) << "b comes first in the search_path";
    Exec("SET search_path = a, b");
    auto second = wh_->DescribeTable({"", "", "items"});
    ASSERT_TRUE(second.has_value() && second->has_value());
    EXPECT_EQ((**second).size(), 2u);
    EXPECT_FALSE(wh_->DescribeTable({"", "", "only_public"})->has_value());
}

TEST_F(Postgres, BulkWriterEscapesEverything) {
    Exec("CREATE TABLE w(id int, s text, at timestamptz, ok boolean)");
    TableName t{"", "public", "w"};
    Chunk chunk;
    chunk.rows = {{"1", "tab\there", "2024-01-02T03:04:05Z", "true"},
                  {"2", "line\nbreak\rand\\back\\slash", std::nullopt, "false"},
                  {"3", "", "2024-01-02T03:04:05.250000Z", std::nullopt},
                  {"4", "\\N", "1969-12-31T23:59:59.999999Z", "true"},
                  {"5", std::nullopt, std::nullopt, std::nullopt}};
    std::vector<std::string> names = {"id", "s", "at", "ok"};
    {
        auto writer = wh_->BulkWriter(t, names);
        ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
        ASSERT_TRUE((*writer)->Append(chunk).has_value());
        auto done = (*writer)->Finish();
        ASSERT_TRUE(done.has_value()) << done.error().ToString();
    }
    auto rows = Rows("SELECT id, s, at, ok FROM w ORDER BY id");
    ASSERT_EQ(rows.size(), chunk.rows.size());
    for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i], chunk.rows[i]) << "row " << i;

    // Dropped before Finish: nothing is loaded and the connection is usable.
    {
        auto writer = wh_->BulkWriter(t, names);
        ASSERT_TRUE(writer.has_value()) << writer.error().ToString();
        ASSERT_TRUE((*writer)->Append(chunk).has_value());
    }
    EXPECT_EQ(*Rows("SELECT count(*) FROM w")[0][0], "5");

    // A value that does not convert fails the load with PostgreSQL's message.
    auto writer = wh_->BulkWriter(t, names);
    ASSERT_TRUE(writer.has_value());
    Chunk bad;
    bad.rows = {{"x", "s", std::nullopt, std::nullopt}};
    ASSERT_TRUE((*writer)->Append(bad).has_value());
    auto done = (*writer)->Finish();
    ASSERT_FALSE(done.has_value());
    EXPECT_EQ(done.error().code, ErrorCode::WAREHOUSE);
    EXPECT_NE(done.error().message.find("invalid input syntax for type integer"), std::string::npos)
        << done.error().message;
    EXPECT_EQ(*Rows("SELECT count(*) FROM w")[0][0], "5");
}

TEST(PostgresTypes, MapTypeName) {
    EXPECT_EQ(PostgresWarehouse::MapTypeName("numeric(12,2)"), DataType::NUMBER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("NUMERIC"), DataType::NUMBER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("double precision"), DataType::NUMBER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("int8"), DataType::NUMBER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("character varying(20)"), DataType::STRING);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("character(3)"), DataType::STRING);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("text"), DataType::STRING);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("boolean"), DataType::BOOLEAN);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("date"), DataType::DATE);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("time(3) without time zone"), DataType::TIME);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("time with time zone"), DataType::OTHER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("timestamp(6) with time zone"), DataType::TIMESTAMP);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("timestamp without time zone"), DataType::TIMESTAMP);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("timestamptz"), DataType::TIMESTAMP);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("text[]"), DataType::OTHER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("jsonb"), DataType::OTHER);
    EXPECT_EQ(PostgresWarehouse::MapTypeName("interval"), DataType::OTHER);
}

TEST_F(Postgres, ConnectOpensAnotherSessionAndInterruptCancels) {
    Exec("CREATE TABLE t AS SELECT 42 AS v");
    auto second = wh_->Connect();
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    auto rows = QueryAll(**second, "SELECT v FROM t");
    ASSERT_TRUE(rows.has_value()) << rows.error().ToString();
    EXPECT_EQ((*rows)[0][0], "42");
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        (*second)->Interrupt();
    });
    auto slow = (*second)->Execute("SELECT pg_sleep(60)");
    stopper.join();
    ASSERT_FALSE(slow.has_value());
    EXPECT_NE(slow.error().message.find("cancel"), std::string::npos) << slow.error().message;
    auto after = QueryAll(**second, "SELECT 1");
    EXPECT_TRUE(after.has_value());
}

} // namespace
} // namespace kith::warehouse

namespace kith::warehouse {
namespace {

TEST(RedshiftUri, BecomesALibpqUriWithRedshiftsPort) {
    auto plain = PostgresWarehouse::RedshiftConnInfo("redshift://kith@cluster.example.com/dev");
    ASSERT_TRUE(plain) << plain.error().ToString();
    EXPECT_EQ(*plain, "postgresql://kith@cluster.example.com:5439/dev");
    auto tls = PostgresWarehouse::RedshiftConnInfo("redshift://kith@h:5440/dev?sslmode=require&connect_timeout=5");
    ASSERT_TRUE(tls) << tls.error().ToString();
    EXPECT_EQ(*tls, "postgresql://kith@h:5440/dev?sslmode=require&connect_timeout=5");
    auto local = PostgresWarehouse::RedshiftConnInfo("redshift://kith@h/dev?endpoint=127.0.0.1:5999&sslmode=disable");
    ASSERT_TRUE(local) << local.error().ToString();
    EXPECT_EQ(*local, "postgresql://kith@127.0.0.1:5999/dev?sslmode=disable");
    auto v6 = PostgresWarehouse::RedshiftConnInfo("redshift://kith@[::1]/dev");
    ASSERT_TRUE(v6) << v6.error().ToString();
    EXPECT_EQ(*v6, "postgresql://kith@[::1]:5439/dev");
}

TEST(RedshiftUri, RefusesPasswordsAndMissingDatabasesWithoutEchoingTheSecret) {
    auto in_user = PostgresWarehouse::RedshiftConnInfo("redshift://kith:s3cret-pw@h/dev");
    ASSERT_FALSE(in_user);
    EXPECT_EQ(in_user.error().code, ErrorCode::USAGE);
    EXPECT_EQ(in_user.error().ToString().find("s3cret-pw"), std::string::npos) << in_user.error().ToString();
    EXPECT_NE(in_user.error().message.find("PGPASSWORD"), std::string::npos);
    auto in_query = PostgresWarehouse::RedshiftConnInfo("redshift://kith@h/dev?password=s3cret-pw");
    ASSERT_FALSE(in_query);
    EXPECT_EQ(in_query.error().ToString().find("s3cret-pw"), std::string::npos) << in_query.error().ToString();
    EXPECT_FALSE(PostgresWarehouse::RedshiftConnInfo("redshift://kith@h"));
    EXPECT_FALSE(PostgresWarehouse::RedshiftConnInfo("postgresql://kith@h/dev"));
}

TEST(RedshiftUri, AuthIamTakesItsParametersOutOfLibpqsUri) {
    auto plain = PostgresWarehouse::ParseRedshiftUri("redshift://kith@cluster.example.com/dev?sslmode=require");
    ASSERT_TRUE(plain) << plain.error().ToString();
    EXPECT_FALSE(plain->iam);
    auto iam = PostgresWarehouse::ParseRedshiftUri(
        "redshift://kith@examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com:5439/dev?sslmode=require&auth=iam"
        "&iam_duration=1800&endpoint=127.0.0.1:5999&iam_endpoint=http%3A%2F%2F127.0.0.1%3A8999");
    ASSERT_TRUE(iam) << iam.error().ToString();
    EXPECT_EQ(iam->conninfo, "postgresql://kith@127.0.0.1:5999/dev?sslmode=require");
    ASSERT_TRUE(iam->iam);
    // The cluster and region are those of the host named, not of the endpoint= that replaced it.
    EXPECT_EQ(iam->iam->cluster_id, "examplecluster");
    EXPECT_EQ(iam->iam->region, "us-west-2");
    EXPECT_EQ(iam->iam->endpoint, "http://127.0.0.1:8999");
    EXPECT_EQ(iam->iam->db_user, "kith");
    EXPECT_EQ(iam->iam->db_name, "dev");
    EXPECT_EQ(iam->iam->duration_seconds, 1800);
    auto given =
        PostgresWarehouse::ParseRedshiftUri("redshift://kith@10.0.0.5/dev?auth=iam&cluster_id=c1&region=eu-west-1");
    ASSERT_TRUE(given) << given.error().ToString();
    EXPECT_EQ(given->conninfo, "postgresql://kith@10.0.0.5:5439/dev");
    EXPECT_EQ(given->iam->cluster_id, "c1");
    EXPECT_EQ(given->iam->endpoint, "https://redshift.eu-west-1.amazonaws.com");
}

TEST(RedshiftUri, AuthIamSaysWhatIsMissingAndRefusesPasswords) {
    auto no_cluster = PostgresWarehouse::ParseRedshiftUri("redshift://kith@10.0.0.5/dev?auth=iam");
    ASSERT_FALSE(no_cluster);
    EXPECT_EQ(no_cluster.error().code, ErrorCode::USAGE);
    EXPECT_NE(no_cluster.error().message.find("the host 10.0.0.5 is not a cluster endpoint"), std::string::npos)
        << no_cluster.error().message;
    EXPECT_NE(no_cluster.error().message.find("cluster_id=ID&region=REGION"), std::string::npos);
    auto no_auth = PostgresWarehouse::ParseRedshiftUri("redshift://kith@10.0.0.5/dev?cluster_id=c1&region=eu-west-1");
    ASSERT_FALSE(no_auth);
    EXPECT_NE(no_auth.error().message.find("add auth=iam"), std::string::npos) << no_auth.error().message;
    const std::string host = "c1.x.us-east-1.redshift.amazonaws.com";
    for (const std::string& uri : {"redshift://kith:s3cret-pw@" + host + "/dev?auth=iam",
                                   "redshift://kith@" + host + "/dev?auth=iam&password=s3cret-pw"}) {
        auto with_password = PostgresWarehouse::ParseRedshiftUri(uri);
        ASSERT_FALSE(with_password) << uri;
        EXPECT_EQ(with_password.error().code, ErrorCode::USAGE);
        const std::string& message = with_password.error().message;
        EXPECT_NE(message.find("a password does not belong in a Redshift URI"), std::string::npos);
        EXPECT_NE(message.find("auth=iam"), std::string::npos);
        EXPECT_EQ(with_password.error().ToString().find("s3cret-pw"), std::string::npos) << message;
    }
}

} // namespace
} // namespace kith::warehouse
