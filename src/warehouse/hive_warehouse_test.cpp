// The HiveServer2 driver: SASL framing, type mapping and URIs without a server; then against the local stand-ins
// (scripts/standin.sh): a real Spark Thrift server (binary transport) and, for Databricks, the same server in HTTP
// transport behind a proxy that checks the bearer token and injects faults.
#include "warehouse/hive_warehouse.hpp"

#include "warehouse/copy.hpp"
#include "warehouse/duckdb_warehouse.hpp"
#include "warehouse/hive/databricks_auth.hpp"
#include "warehouse/hive/hive_values.hpp"
#include "warehouse/hive/http_transport.hpp"
#include "warehouse/hive/sasl_transport.hpp"
#include "support/http_server.hpp"
#include "support/spark_standin.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <thrift/transport/TBufferTransports.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace kith::warehouse {
namespace {

namespace rpc = hive::rpc;
using apache::thrift::transport::TMemoryBuffer;

// ---- Without a server ----

TEST(HiveSasl, NegotiationMessagesAndFrames) {
    EXPECT_EQ(hive::EncodeSaslMessage(hive::SaslStatus::START, "PLAIN"), std::string("\x01\0\0\0\x05PLAIN", 10));
    EXPECT_EQ(hive::PlainInitialResponse("kith", "pw"), std::string("\0kith\0pw", 8));
    EXPECT_EQ(hive::EncodeFrameLength(0x01020304), "\x01\x02\x03\x04");
    EXPECT_EQ(hive::EncodeSaslMessage(hive::SaslStatus::COMPLETE, ""), std::string("\x05\0\0\0\0", 5));
}

TEST(HiveSasl, HandshakeThenLengthFramedMessages) {
    // The server's side, queued up: COMPLETE, then one framed message "pong".
    auto wire = std::make_shared<TMemoryBuffer>();
    std::string from_server = hive::EncodeSaslMessage(hive::SaslStatus::COMPLETE, "") +
                              hive::EncodeFrameLength(4) + "pong";
    wire->write(reinterpret_cast<const uint8_t*>(from_server.data()), static_cast<uint32_t>(from_server.size()));
    hive::SaslPlainTransport sasl(wire, "ada", "secret");
    sasl.open();
    EXPECT_TRUE(sasl.isOpen());
    sasl.write(reinterpret_cast<const uint8_t*>("ping!"), 5);
    sasl.flush();
    uint8_t got[4];
    EXPECT_EQ(sasl.readAll(got, 4), 4u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(got), 4), "pong");
    // What the client sent (the memory buffer keeps it after what was read): START PLAIN, OK with the credentials,
    // then the frame.
    std::string expected = hive::EncodeSaslMessage(hive::SaslStatus::START, "PLAIN") +
                           hive::EncodeSaslMessage(hive::SaslStatus::OK, std::string("\0ada\0secret", 11)) +
                           hive::EncodeFrameLength(5) + "ping!";
    EXPECT_EQ(wire->getBufferAsString(), expected);
}

TEST(HiveSasl, ARefusalCarriesTheServersReason) {
    auto wire = std::make_shared<TMemoryBuffer>();
    std::string from_server = hive::EncodeSaslMessage(hive::SaslStatus::BAD, "Error validating the login");
    wire->write(reinterpret_cast<const uint8_t*>(from_server.data()), static_cast<uint32_t>(from_server.size()));
    hive::SaslPlainTransport sasl(wire, "ada", "wrong");
    try {
        sasl.open();
        FAIL() << "a refused login must throw";
    } catch (const apache::thrift::transport::TTransportException& e) {
        EXPECT_NE(std::string(e.what()).find("Error validating the login"), std::string::npos) << e.what();
    }
}

TEST(HiveTypes, SparkTypeNamesMapToKithTypes) {
    EXPECT_EQ(hive::MapTypeName("INT"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("bigint"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("DECIMAL(10,2)"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("double"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("FLOAT"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("TINYINT"), DataType::NUMBER);
    EXPECT_EQ(hive::MapTypeName("STRING"), DataType::STRING);
    EXPECT_EQ(hive::MapTypeName("varchar(20)"), DataType::STRING);
    EXPECT_EQ(hive::MapTypeName("CHAR(3)"), DataType::STRING);
    EXPECT_EQ(hive::MapTypeName("BOOLEAN"), DataType::BOOLEAN);
    EXPECT_EQ(hive::MapTypeName("DATE"), DataType::DATE);
    EXPECT_EQ(hive::MapTypeName("TIMESTAMP"), DataType::TIMESTAMP);
    EXPECT_EQ(hive::MapTypeName("TIMESTAMP_NTZ"), DataType::TIMESTAMP);
    EXPECT_EQ(hive::MapTypeName("TIME(6)"), DataType::TIME);
    EXPECT_EQ(hive::MapTypeName("ARRAY<INT>"), DataType::OTHER);
    EXPECT_EQ(hive::MapTypeName("BINARY"), DataType::OTHER);
    EXPECT_EQ(hive::MapTypeName("INTERVAL DAY TO SECOND"), DataType::OTHER);
}

rpc::TTypeDesc Primitive(rpc::TTypeId::type id, std::map<std::string, int> qualifiers = {}) {
    rpc::TPrimitiveTypeEntry p;
    p.__set_type(id);
    if (!qualifiers.empty()) {
        rpc::TTypeQualifiers q;
        for (const auto& [k, v] : qualifiers) {
            rpc::TTypeQualifierValue value;
            value.__set_i32Value(v);
            q.qualifiers[k] = value;
        }
        p.__set_typeQualifiers(q);
    }
    rpc::TTypeEntry e;
    e.__set_primitiveEntry(p);
    rpc::TTypeDesc d;
    d.types.push_back(e);
    return d;
}

TEST(HiveTypes, ResultColumnTypeNames) {
    EXPECT_EQ(hive::TypeName(Primitive(rpc::TTypeId::DECIMAL_TYPE, {{"precision", 10}, {"scale", 2}})),
              "DECIMAL(10,2)");
    EXPECT_EQ(hive::TypeName(Primitive(rpc::TTypeId::VARCHAR_TYPE, {{"characterMaximumLength", 20}})),
              "VARCHAR(20)");
    EXPECT_EQ(hive::TypeName(Primitive(rpc::TTypeId::BIGINT_TYPE)), "BIGINT");
    rpc::TTableSchema schema;
    rpc::TColumnDesc c;
    c.columnName = "at";
    c.typeDesc = Primitive(rpc::TTypeId::TIMESTAMP_TYPE);
    schema.columns.push_back(c);
    auto columns = hive::ResultColumns(schema);
    ASSERT_EQ(columns.size(), 1u);
    EXPECT_EQ(columns[0].name, "at");
    EXPECT_EQ(columns[0].engine_type, "TIMESTAMP");
    EXPECT_EQ(columns[0].type, DataType::TIMESTAMP);
}

TEST(HiveTypes, TextValuesBecomeCanonical) {
    using T = rpc::TTypeId;
    EXPECT_EQ(hive::CanonicalText(T::DECIMAL_TYPE, "12.50"), "12.5");
    EXPECT_EQ(hive::CanonicalText(T::DECIMAL_TYPE, "100.00"), "100");
    EXPECT_EQ(hive::CanonicalText(T::DECIMAL_TYPE, "-0.00"), "0");
    EXPECT_EQ(hive::CanonicalText(T::DECIMAL_TYPE, "7"), "7");
    EXPECT_EQ(hive::CanonicalText(T::TIMESTAMP_TYPE, "2024-05-01 10:00:00"), "2024-05-01T10:00:00Z");
    EXPECT_EQ(hive::CanonicalText(T::TIMESTAMP_TYPE, "2024-05-01 10:00:00.5"), "2024-05-01T10:00:00.500000Z");
    EXPECT_EQ(hive::CanonicalText(T::TIMESTAMP_TYPE, "2024-05-01 10:00:00.123456"), "2024-05-01T10:00:00.123456Z");
    EXPECT_EQ(hive::CanonicalText(T::DATE_TYPE, "2024-02-29"), "2024-02-29");
    EXPECT_EQ(hive::CanonicalText(T::STRING_TYPE, "a\tb"), "a\tb");
}

TEST(HiveTypes, ColumnarRowsWithNullBitmaps) {
    rpc::TRowSet rows;
    rpc::TColumn ints;
    ints.__isset.i32Val = true;
    ints.i32Val.values = {1, 0, -3};
    ints.i32Val.nulls = std::string(1, '\x02'); // row 1 is NULL
    rpc::TColumn doubles;
    doubles.__isset.doubleVal = true;
    doubles.doubleVal.values = {0.1, 2.0, 1e300};
    doubles.doubleVal.nulls = "";
    rpc::TColumn strings;
    strings.__isset.stringVal = true;
    strings.stringVal.values = {"1.50", "", "-0.0"};
    strings.stringVal.nulls = std::string(1, '\x02');
    rpc::TColumn bools;
    bools.__isset.boolVal = true;
    bools.boolVal.values = {true, false, false};
    bools.boolVal.nulls = std::string(1, '\x04');
    rows.columns = {ints, doubles, strings, bools};
    std::vector<std::vector<Cell>> out;
    ASSERT_TRUE(hive::AppendRows(rows, {rpc::TTypeId::INT_TYPE, rpc::TTypeId::DOUBLE_TYPE,
                                        rpc::TTypeId::DECIMAL_TYPE, rpc::TTypeId::BOOLEAN_TYPE},
                                 out));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], (std::vector<Cell>{"1", "0.1", "1.5", "true"}));
    EXPECT_EQ(out[1], (std::vector<Cell>{std::nullopt, "2", std::nullopt, "false"}));
    EXPECT_EQ(out[2], (std::vector<Cell>{"-3", "1e+300", "0", std::nullopt}));
    // Skipping rows already received (a re-read page).
    std::vector<std::vector<Cell>> tail;
    ASSERT_TRUE(hive::AppendRows(rows, {rpc::TTypeId::INT_TYPE, rpc::TTypeId::DOUBLE_TYPE,
                                        rpc::TTypeId::DECIMAL_TYPE, rpc::TTypeId::BOOLEAN_TYPE},
                                 tail, 2));
    ASSERT_EQ(tail.size(), 1u);
    EXPECT_EQ(tail[0][0], "-3");
}

const char* NoEnv(const char*) { return nullptr; }

TEST(HiveUri, Spark) {
    auto o = HiveWarehouse::ParseUri("spark://ada@spark.example.com:10001/crm", &NoEnv);
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_EQ(o->engine, "spark");
    EXPECT_FALSE(o->http);
    EXPECT_EQ(o->host, "spark.example.com");
    EXPECT_EQ(o->port, 10001);
    EXPECT_EQ(o->user, "ada");
    EXPECT_EQ(o->schema, "crm");
    EXPECT_TRUE(o->sasl);
    auto plain = HiveWarehouse::ParseUri("spark://h/db?auth=nosasl", [](const char* n) -> const char* {
        return std::string_view(n) == "SPARK_PASSWORD" ? "pw" : nullptr;
    });
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->port, 10000);
    EXPECT_EQ(plain->user, "kith");
    EXPECT_EQ(plain->password, "pw");
    EXPECT_FALSE(plain->sasl);
    auto secret = HiveWarehouse::ParseUri("spark://ada:pw@h:1/db", &NoEnv);
    ASSERT_FALSE(secret);
    EXPECT_EQ(secret.error().code, ErrorCode::USAGE);
    EXPECT_EQ(secret.error().message.find("pw@"), std::string::npos);
}

TEST(HiveUri, Databricks) {
    auto env = [](const char* n) -> const char* {
        return std::string_view(n) == "DATABRICKS_TOKEN" ? "dapi123" : nullptr;
    };
    auto o = HiveWarehouse::ParseUri(
        "databricks://adb-1.azuredatabricks.net/main/crm?http_path=/sql/1.0/warehouses/abc", env);
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_TRUE(o->http);
    EXPECT_EQ(o->url, "https://adb-1.azuredatabricks.net/sql/1.0/warehouses/abc");
    EXPECT_EQ(o->catalog, "main");
    EXPECT_EQ(o->schema, "crm");
    ASSERT_TRUE(o->authorization);
    EXPECT_EQ(*o->authorization(), "Bearer dapi123");
    auto local = HiveWarehouse::ParseUri(
        "databricks://127.0.0.1:9/spark_catalog/default?http_path=/sql/1.0/warehouses/x&endpoint=http://127.0.0.1:9",
        env);
    ASSERT_TRUE(local);
    EXPECT_EQ(local->url, "http://127.0.0.1:9/sql/1.0/warehouses/x");
    auto no_path = HiveWarehouse::ParseUri("databricks://h/c/s", env);
    ASSERT_FALSE(no_path);
    EXPECT_EQ(no_path.error().code, ErrorCode::USAGE);
    auto no_token = HiveWarehouse::ParseUri("databricks://h/c/s?http_path=/x", &NoEnv);
    ASSERT_FALSE(no_token);
    EXPECT_NE(no_token.error().message.find("DATABRICKS_TOKEN"), std::string::npos);
}

TEST(HiveUri, Base64ForBasicAuthentication) {
    EXPECT_EQ(hive::Base64(""), "");
    EXPECT_EQ(hive::Base64("f"), "Zg==");
    EXPECT_EQ(hive::Base64("fo"), "Zm8=");
    EXPECT_EQ(hive::Base64("foo"), "Zm9v");
    EXPECT_EQ(hive::Base64("id:secret"), "aWQ6c2VjcmV0");
}

TEST(HiveDatabricksAuth, OAuthMachineToMachineTokensAreFetchedAndRenewed) {
    int issued = 0;
    int expires_in = 3600;
    test::HttpServer idp([&](const test::HttpServer::Request&) {
        ++issued;
        test::HttpServer::Reply reply;
        reply.body = fmt::format(R"({{"access_token": "tok{}", "token_type": "Bearer", "expires_in": {}}})", issued,
                                 expires_in);
        return reply;
    });
    auto env = [](const char* name) -> const char* {
        std::string_view n(name);
        return n == "DATABRICKS_CLIENT_ID" ? "id" : n == "DATABRICKS_CLIENT_SECRET" ? "s3cret" : nullptr;
    };
    auto auth = hive::DatabricksAuth::FromEnvironment(idp.url(), env);
    ASSERT_TRUE(auth) << auth.error().ToString();
    EXPECT_EQ((*auth)->Authorization(), "Bearer tok1");
    EXPECT_EQ((*auth)->Authorization(), "Bearer tok1"); // still valid: not asked again
    auto requests = idp.Requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].path, "/oidc/v1/token");
    EXPECT_EQ(requests[0].headers["authorization"], "Basic " + hive::Base64("id:s3cret"));
    EXPECT_EQ(requests[0].body, "grant_type=client_credentials&scope=all-apis");
    // A token that expires within a minute is renewed before it is used.
    expires_in = 30;
    auto fresh = hive::DatabricksAuth::FromEnvironment(idp.url(), env);
    ASSERT_TRUE(fresh);
    EXPECT_EQ((*fresh)->Authorization(), "Bearer tok2");
    EXPECT_EQ((*fresh)->Authorization(), "Bearer tok3");
    // A refused exchange names the endpoint and the answer, never the secret.
    test::HttpServer::Reply no;
    no.status = 401;
    no.body = R"({"error": "invalid_client"})";
    idp.Script({no});
    auto refused = hive::DatabricksAuth::FromEnvironment(idp.url(), env);
    ASSERT_TRUE(refused);
    auto header = (*refused)->Authorization();
    ASSERT_FALSE(header);
    EXPECT_EQ(header.error().location, "databricks");
    EXPECT_NE(header.error().message.find("invalid_client"), std::string::npos) << header.error().message;
    EXPECT_EQ(header.error().message.find("s3cret"), std::string::npos);
    EXPECT_FALSE(header.error().transient);
}

// ---- Against the stand-ins ----

// The Spark stand-in's URI (scripts/standin.sh via SparkStandin); "" when it cannot start, which fails the test.
std::string SparkUri() {
    auto standin = test::SparkStandin::Start("spark");
    EXPECT_TRUE(standin) << standin.error().ToString();
    return standin ? standin->uri : "";
}

std::unique_ptr<HiveWarehouse> OpenSpark(int page_rows = 10000) {
    std::string uri = SparkUri();
    EXPECT_FALSE(uri.empty()) << "scripts/standin.sh start spark failed";
    if (uri.empty()) return nullptr;
    auto options = HiveWarehouse::ParseUri(uri);
    EXPECT_TRUE(options) << options.error().ToString();
    if (!options) return nullptr;
    options->page_rows = page_rows;
    auto wh = HiveWarehouse::Open(*options);
    EXPECT_TRUE(wh) << wh.error().ToString();
    return wh ? std::move(*wh) : nullptr;
}

std::vector<std::vector<Cell>> All(Warehouse& wh, const std::string& sql) {
    auto rows = QueryAll(wh, sql);
    EXPECT_TRUE(rows) << sql << ": " << rows.error().ToString();
    return rows ? *rows : std::vector<std::vector<Cell>>{};
}

TEST(HiveSpark, StreamsAResultOverManyPagesInSmallChunks) {
    auto wh = OpenSpark(10000);
    ASSERT_TRUE(wh);
    EXPECT_EQ(wh->dialect(), "spark");
    auto stream = wh->Query("SELECT id, CAST(id AS STRING) AS s FROM range(0, 25003) ORDER BY id");
    ASSERT_TRUE(stream) << stream.error().ToString();
    ASSERT_EQ((*stream)->columns().size(), 2u);
    EXPECT_EQ((*stream)->columns()[0].name, "id");
    EXPECT_EQ((*stream)->columns()[0].engine_type, "BIGINT");
    EXPECT_EQ((*stream)->columns()[0].type, DataType::NUMBER);
    EXPECT_EQ((*stream)->columns()[1].type, DataType::STRING);
    Chunk chunk;
    int64_t expected = 0;
    size_t chunks = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        ++chunks;
        EXPECT_LE(chunk.size(), 2048u);
        for (const auto& row : chunk.rows) {
            ASSERT_EQ(row[0], std::to_string(expected));
            ASSERT_EQ(row[1], std::to_string(expected));
            ++expected;
        }
    }
    EXPECT_EQ(expected, 25003);
    EXPECT_GE(chunks, 13u);
    // The connection serves the next statement.
    EXPECT_EQ(All(*wh, "SELECT 1 + 1"), (std::vector<std::vector<Cell>>{{"2"}}));
}

TEST(HiveSpark, EveryTypesCanonicalText) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    // The texts are what DuckDB's driver gives for the same literals (value.hpp).
    struct Case {
        std::string expr;
        Cell text;
        DataType type;
    };
    std::vector<Case> cases = {
        {"CAST(7 AS TINYINT)", "7", DataType::NUMBER},
        {"CAST(-300 AS SMALLINT)", "-300", DataType::NUMBER},
        {"CAST(2147483647 AS INT)", "2147483647", DataType::NUMBER},
        {"CAST(-9223372036854775808 AS BIGINT)", "-9223372036854775808", DataType::NUMBER},
        {"CAST(0.1 AS DOUBLE)", "0.1", DataType::NUMBER},
        {"CAST(1e300 AS DOUBLE)", "1e+300", DataType::NUMBER},
        {"CAST(3 AS DOUBLE)", "3", DataType::NUMBER},
        {"CAST(1.1 AS FLOAT)", "1.100000023841858", DataType::NUMBER},
        {"CAST(12.50 AS DECIMAL(10,2))", "12.5", DataType::NUMBER},
        {"CAST(100 AS DECIMAL(10,2))", "100", DataType::NUMBER},
        {"CAST(-0.00 AS DECIMAL(10,2))", "0", DataType::NUMBER},
        {"CAST(-1.05 AS DECIMAL(38,10))", "-1.05", DataType::NUMBER},
        {"'it\\'s'", "it's", DataType::STRING},
        {"''", "", DataType::STRING},
        {"'täst ✓'", "täst ✓", DataType::STRING},
        {"true", "true", DataType::BOOLEAN},
        {"false", "false", DataType::BOOLEAN},
        {"DATE '2024-02-29'", "2024-02-29", DataType::DATE},
        {"TIMESTAMP '2024-05-01 10:00:00'", "2024-05-01T10:00:00Z", DataType::TIMESTAMP},
        {"TIMESTAMP '2024-05-01 10:00:00.5'", "2024-05-01T10:00:00.500000Z", DataType::TIMESTAMP},
        {"TIMESTAMP '1969-12-31 23:59:59.999999'", "1969-12-31T23:59:59.999999Z", DataType::TIMESTAMP},
        {"TIMESTAMP_NTZ '2024-05-01 10:00:00.123456'", "2024-05-01T10:00:00.123456Z", DataType::TIMESTAMP},
        {"CAST(NULL AS INT)", std::nullopt, DataType::NUMBER},
        {"CAST(NULL AS STRING)", std::nullopt, DataType::STRING},
        {"CAST(NULL AS TIMESTAMP)", std::nullopt, DataType::TIMESTAMP},
    };
    std::string sql = "SELECT ";
    for (size_t i = 0; i < cases.size(); ++i) sql += (i ? ", " : "") + cases[i].expr + " AS c" + std::to_string(i);
    auto stream = wh->Query(sql);
    ASSERT_TRUE(stream) << stream.error().ToString();
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more && *more);
    ASSERT_EQ(chunk.size(), 1u);
    for (size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(chunk.rows[0][i], cases[i].text) << cases[i].expr;
        EXPECT_EQ((*stream)->columns()[i].type, cases[i].type) << cases[i].expr << " is "
                                                               << (*stream)->columns()[i].engine_type;
    }
    // A timestamp computed in the session time zone is UTC.
    EXPECT_EQ(All(*wh, "SELECT current_timezone()"), (std::vector<std::vector<Cell>>{{"UTC"}}));
}

TEST(HiveSpark, DescribeTableThroughGetColumns) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.described"));
    ASSERT_TRUE(wh->Execute("CREATE TABLE kith_hive_test.described (id BIGINT, name STRING, total DECIMAL(10,2), "
                            "seen TIMESTAMP, born DATE, vip BOOLEAN, score DOUBLE, tags ARRAY<STRING>) USING parquet"));
    auto columns = wh->DescribeTable(TableName{"", "kith_hive_test", "described"});
    ASSERT_TRUE(columns) << columns.error().ToString();
    ASSERT_TRUE(*columns);
    std::vector<std::tuple<std::string, DataType>> got;
    for (const auto& c : **columns) got.emplace_back(c.name, c.type);
    EXPECT_EQ(got, (std::vector<std::tuple<std::string, DataType>>{
                       {"id", DataType::NUMBER},
                       {"name", DataType::STRING},
                       {"total", DataType::NUMBER},
                       {"seen", DataType::TIMESTAMP},
                       {"born", DataType::DATE},
                       {"vip", DataType::BOOLEAN},
                       {"score", DataType::NUMBER},
                       {"tags", DataType::OTHER},
                   }));
    EXPECT_NE((**columns)[2].engine_type.find("DECIMAL(10,2)"), std::string::npos) << (**columns)[2].engine_type;
    // A missing table, and a name whose '_' would be a wildcard in a pattern.
    auto missing = wh->DescribeTable(TableName{"", "kith_hive_test", "describe_"});
    ASSERT_TRUE(missing) << missing.error().ToString();
    EXPECT_FALSE(*missing);
    auto other_schema = wh->DescribeTable(TableName{"", "", "described"}); // the URI's database is default
    ASSERT_TRUE(other_schema);
    EXPECT_FALSE(*other_schema);
    // ListTables through GetTables (Spark has no information_schema): base tables, not views.
    ASSERT_TRUE(wh->Execute("CREATE OR REPLACE VIEW kith_hive_test.described_view AS SELECT id FROM "
                            "kith_hive_test.described"));
    auto tables = wh->ListTables("kith_hive_test");
    ASSERT_TRUE(tables) << tables.error().ToString();
    auto has = [&](const std::vector<TableName>& list, const std::string& table) {
        return std::any_of(list.begin(), list.end(), [&](const TableName& t) {
            return t.schema == "kith_hive_test" && t.table == table && t.database.empty();
        });
    };
    EXPECT_TRUE(has(*tables, "described"));
    EXPECT_FALSE(has(*tables, "described_view"));
    auto everywhere = wh->ListTables();
    ASSERT_TRUE(everywhere) << everywhere.error().ToString();
    EXPECT_TRUE(has(*everywhere, "described"));
}

TEST(HiveSpark, ErrorsCarrySparksMessage) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    auto bad = wh->Query("SELECT * FROM kith_no_such_table");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(bad.error().location, "spark");
    EXPECT_NE(bad.error().message.find("TABLE_OR_VIEW_NOT_FOUND"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(bad.error().transient);
    // Spark's own words, without Java's wrapping or a stack trace.
    EXPECT_EQ(bad.error().message.find("Exception"), std::string::npos) << bad.error().message;
    EXPECT_EQ(bad.error().message.find("\tat "), std::string::npos) << bad.error().message;
    EXPECT_TRUE(bad.error().message.starts_with("[TABLE_OR_VIEW_NOT_FOUND]")) << bad.error().message;
    EXPECT_EQ(bad.error().message.find("UnresolvedRelation"), std::string::npos) << "no query plan: "
                                                                                  << bad.error().message;
    auto syntax = wh->Execute("SELEC 1");
    ASSERT_FALSE(syntax);
    EXPECT_NE(syntax.error().message.find("PARSE_SYNTAX_ERROR"), std::string::npos) << syntax.error().message;
    // A syntax error deep in a long query keeps its words too.
    auto deep = wh->Query("WITH\n`a` AS (\n  SELECT 1 AS `x`\n)\nSELECT TIME(6) '06:00:00' FROM `a`");
    ASSERT_FALSE(deep);
    EXPECT_TRUE(deep.error().message.starts_with("[PARSE_SYNTAX_ERROR]")) << deep.error().message;
    // Parameters are refused: the protocol cannot bind them.
    Param p[] = {Param{"1"}};
    auto with_params = wh->Query("SELECT 1", p);
    ASSERT_FALSE(with_params);
    EXPECT_EQ(with_params.error().code, ErrorCode::USAGE);
    // The session still works.
    EXPECT_EQ(All(*wh, "SELECT 'ok'"), (std::vector<std::vector<Cell>>{{"ok"}}));
}

TEST(HiveSpark, InterruptCancelsTheRunningStatementOnTheServer) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    Status result;
    auto start = std::chrono::steady_clock::now();
    std::thread runner([&] {
        // Hours of work for local[2]: only a cancel ends it early.
        Status s = wh->Execute("SELECT sum(id % 7) FROM range(0, 1000000000000000, 1, 2)");
        std::lock_guard lock(mutex);
        result = s;
        done = true;
        cv.notify_all();
    });
    {
        // Interrupt until the statement gives up (an Interrupt before it started does nothing).
        std::unique_lock lock(mutex);
        while (!done) {
            lock.unlock();
            wh->Interrupt();
            lock.lock();
            cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done; });
        }
    }
    runner.join();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::WAREHOUSE);
    EXPECT_NE(result.error().message.find("interrupted"), std::string::npos) << result.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(120));
    // The server let go of it: the same connection answers the next query at once (Spark runs a session's
    // statements one after another, local[2] has two task slots).
    auto next = std::chrono::steady_clock::now();
    EXPECT_EQ(All(*wh, "SELECT count(*) FROM range(0, 10, 1, 2)"), (std::vector<std::vector<Cell>>{{"10"}}));
    EXPECT_LT(std::chrono::steady_clock::now() - next, std::chrono::seconds(30));
}

TEST(HiveSpark, InterruptWhenIdleDoesNothing) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    wh->Interrupt();
    EXPECT_EQ(All(*wh, "SELECT 42"), (std::vector<std::vector<Cell>>{{"42"}}));
}

TEST(HiveSpark, ConnectOpensAnotherSession) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    auto other = wh->Connect();
    ASSERT_TRUE(other) << other.error().ToString();
    EXPECT_EQ(All(**other, "SELECT current_database()"), (std::vector<std::vector<Cell>>{{"default"}}));
}

TEST(HiveSpark, AWrongPortFailsWithTheEnginesName) {
    HiveOptions options;
    options.host = "127.0.0.1";
    options.port = 1;
    options.retry = RetryPolicy{std::chrono::milliseconds(10), std::chrono::milliseconds(20),
                                std::chrono::milliseconds(100)};
    auto wh = HiveWarehouse::Open(options);
    ASSERT_FALSE(wh);
    EXPECT_EQ(wh.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(wh.error().location, "spark");
    EXPECT_TRUE(wh.error().transient);
    EXPECT_NE(wh.error().message.find("127.0.0.1:1"), std::string::npos) << wh.error().message;
}


TEST(HiveSpark, CreateTableAndBulkLoadRoundTripEveryType) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    TableName table{"", "kith_hive_test", "loaded"};
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.loaded"));
    std::vector<ColumnDef> defs = {
        {"i", StorageType::INTEGER, 0, 0},       {"b", StorageType::BIGINT, 0, 0},
        {"s", StorageType::SMALLINT, 0, 0},      {"d", StorageType::DECIMAL, 12, 3},
        {"r", StorageType::REAL, 0, 0},          {"f", StorageType::DOUBLE, 0, 0},
        {"t", StorageType::TEXT, 0, 0},          {"ok", StorageType::BOOLEAN, 0, 0},
        {"day", StorageType::DATE, 0, 0},        {"at", StorageType::TIMESTAMP, 0, 0},
        {"atz", StorageType::TIMESTAMPTZ, 0, 0},
    };
    auto created = wh->CreateTable(table, defs);
    ASSERT_TRUE(created) << created.error().ToString();
    std::vector<std::string> names;
    for (const auto& d : defs) names.push_back(d.name);
    auto writer = wh->BulkWriter(table, names);
    ASSERT_TRUE(writer) << writer.error().ToString();
    // Enough rows for several INSERT statements, with every kind of awkward text.
    Chunk chunk;
    std::vector<std::vector<Cell>> expected;
    for (int n = 0; n < 4500; ++n) {
        std::vector<Cell> row = {std::to_string(n - 2000),
                                 std::to_string(int64_t{n} * 1000000007LL),
                                 std::to_string(n % 300),
                                 n % 7 == 0 ? Cell{} : Cell{std::to_string(n) + ".125"},
                                 "1.100000023841858",
                                 n % 2 ? "0.1" : "-2.5e-300",
                                 n % 5 == 0 ? Cell{"it's a \\ back'slash\t\"quote\"\n✓"} : Cell{"t" + std::to_string(n)},
                                 n % 3 == 0 ? "true" : "false",
                                 "2024-02-29",
                                 "2024-05-01T10:00:00.500000Z",
                                 n % 11 == 0 ? Cell{} : Cell{"1969-12-31T23:59:59Z"}};
        expected.push_back(row);
        chunk.rows.push_back(std::move(row));
        if (chunk.rows.size() == 1000) {
            auto ok = (*writer)->Append(chunk);
            ASSERT_TRUE(ok) << ok.error().ToString();
            chunk.rows.clear();
        }
    }
    ASSERT_TRUE((*writer)->Append(chunk));
    // Nothing is visible before Finish.
    EXPECT_EQ(All(*wh, "SELECT count(*) FROM kith_hive_test.loaded"), (std::vector<std::vector<Cell>>{{"0"}}));
    auto finished = (*writer)->Finish();
    ASSERT_TRUE(finished) << finished.error().ToString();
    writer->reset();
    auto rows = All(*wh, "SELECT i, b, s, d, r, f, t, ok, day, at, atz FROM kith_hive_test.loaded ORDER BY i");
    ASSERT_EQ(rows.size(), expected.size());
    for (size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows[i], expected[i]) << "row " << i;
    // The staging table is gone.
    auto staging = wh->DescribeTable(TableName{"", "kith_hive_test", "loaded__kith_load"});
    ASSERT_TRUE(staging);
    EXPECT_FALSE(*staging);
}

TEST(HiveSpark, ADroppedBulkWriterLeavesTheTableAsItWas) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.kept"));
    ASSERT_TRUE(wh->Execute("CREATE TABLE kith_hive_test.kept (id INT, name STRING) USING parquet"));
    ASSERT_TRUE(wh->Execute("INSERT INTO kith_hive_test.kept VALUES (1, 'one')"));
    std::vector<std::string> names = {"id", "name"};
    {
        auto writer = wh->BulkWriter(TableName{"", "kith_hive_test", "kept"}, names);
        ASSERT_TRUE(writer) << writer.error().ToString();
        Chunk chunk;
        for (int n = 0; n < 2500; ++n) chunk.rows.push_back({std::to_string(n), "x"});
        ASSERT_TRUE((*writer)->Append(chunk));
    }
    EXPECT_EQ(All(*wh, "SELECT id, name FROM kith_hive_test.kept"), (std::vector<std::vector<Cell>>{{"1", "one"}}));
    auto staging = wh->DescribeTable(TableName{"", "kith_hive_test", "kept__kith_load"});
    ASSERT_TRUE(staging);
    EXPECT_FALSE(*staging);
    // A value the column cannot hold fails the load, naming Spark's reason; the table stays as it was.
    auto writer = wh->BulkWriter(TableName{"", "kith_hive_test", "kept"}, names);
    ASSERT_TRUE(writer);
    Chunk bad;
    bad.rows.push_back({"not a number", "x"});
    auto appended = (*writer)->Append(bad);
    auto finished = appended ? (*writer)->Finish() : appended;
    ASSERT_FALSE(finished);
    EXPECT_EQ(finished.error().location, "spark");
    writer->reset();
    EXPECT_EQ(All(*wh, "SELECT count(*) FROM kith_hive_test.kept"), (std::vector<std::vector<Cell>>{{"1"}}));
}

TEST(HiveSpark, KithCopyToSparkAndBackKeepsEveryValuesText) {
    auto spark = OpenSpark();
    ASSERT_TRUE(spark);
    auto duck = DuckDbWarehouse::Open(":memory:");
    ASSERT_TRUE(duck) << duck.error().ToString();
    auto& d = **duck;
    auto run = [](Warehouse& wh, const std::string& sql) {
        auto ok = wh.Execute(sql);
        EXPECT_TRUE(ok) << sql << ": " << ok.error().ToString();
        return ok.has_value();
    };
    ASSERT_TRUE(run(d, "CREATE SCHEMA kith_hive_copy"));
    ASSERT_TRUE(run(d,
        "CREATE TABLE kith_hive_copy.everything (id INTEGER, small SMALLINT, big BIGINT, amount DECIMAL(12,3), "
        "wide DECIMAL(38,10), r REAL, f DOUBLE, name VARCHAR, ok BOOLEAN, day DATE, seen TIMESTAMP, "
        "seen_tz TIMESTAMPTZ)"));
    ASSERT_TRUE(run(d,
        "INSERT INTO kith_hive_copy.everything VALUES "
        "(1, -32768, 9223372036854775807, 123456789.125, -1.05, 1.1, 0.1, 'plain', true, DATE '2024-02-29', "
        "TIMESTAMP '2024-05-01 10:00:00.123456', TIMESTAMPTZ '2024-05-01 10:00:00+02'), "
        "(2, 0, -1, -0.000, 0, -2.5, 1e300, 'it''s \\ a \"tab\"\t and a\nnewline ✓', false, DATE '1969-12-31', "
        "TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1970-01-01 00:00:00+00'), "
        "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "(4, 7, 42, 100, 123456789012345678.0123456789, 3.4028235e38, -0.0, '', true, DATE '0001-01-01', "
        "TIMESTAMP '2262-04-11 23:47:16', TIMESTAMPTZ '2000-02-29 12:00:00+00')"));
    ASSERT_TRUE(spark->Execute("DROP TABLE IF EXISTS kith_hive_copy.everything"));
    auto copied = CopySchemas(d, *spark, {"kith_hive_copy"});
    ASSERT_TRUE(copied) << copied.error().ToString();
    const std::string select = "SELECT * FROM kith_hive_copy.everything ORDER BY id";
    auto expected = All(d, select);
    auto got = All(*spark, select);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "row " << i;
    // And back into a DuckDB database: the same text again, and kith's types for every column.
    auto back = DuckDbWarehouse::Open(":memory:");
    ASSERT_TRUE(back);
    auto returned = CopySchemas(*spark, **back, {"kith_hive_copy"});
    ASSERT_TRUE(returned) << returned.error().ToString();
    EXPECT_EQ(All(**back, select), expected);
    auto spark_columns = spark->DescribeTable(TableName{"", "kith_hive_copy", "everything"});
    ASSERT_TRUE(spark_columns && *spark_columns);
    std::vector<DataType> types;
    for (const auto& c : **spark_columns) types.push_back(c.type);
    EXPECT_EQ(types, (std::vector<DataType>{DataType::NUMBER, DataType::NUMBER, DataType::NUMBER, DataType::NUMBER,
                                            DataType::NUMBER, DataType::NUMBER, DataType::NUMBER, DataType::STRING,
                                            DataType::BOOLEAN, DataType::DATE, DataType::TIMESTAMP,
                                            DataType::TIMESTAMP}));
}

// Spark 4.1+ with spark.sql.timeType.enabled (the stand-in's setting) stores TIME(6); its Thrift server sends TIME
// values as STRING with Spark's text and its GetColumns call fails on a table that has one. kith copy still loads
// such a table (the bulk writer knows the columns it created), and DescribeTable says what is wrong.
TEST(HiveSpark, TimeColumnsLoadAndDescribeTableNamesSparksLimit) {
    auto wh = OpenSpark();
    ASSERT_TRUE(wh);
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.timed"));
    TableName table{"", "kith_hive_test", "timed"};
    std::vector<ColumnDef> defs = {{"id", StorageType::INTEGER, 0, 0}, {"t", StorageType::TIME, 0, 0}};
    auto created = wh->CreateTable(table, defs);
    ASSERT_TRUE(created) << created.error().ToString();
    std::vector<std::string> names = {"id", "t"};
    auto writer = wh->BulkWriter(table, names);
    ASSERT_TRUE(writer) << writer.error().ToString();
    Chunk chunk;
    chunk.rows = {{"1", "10:00:00.500000"}, {"2", "00:00:00"}, {"3", std::nullopt}};
    ASSERT_TRUE((*writer)->Append(chunk));
    auto finished = (*writer)->Finish();
    ASSERT_TRUE(finished) << finished.error().ToString();
    writer->reset();
    auto rows = All(*wh, "SELECT id, CAST(t AS STRING) IS NOT NULL FROM kith_hive_test.timed ORDER BY id");
    EXPECT_EQ(rows, (std::vector<std::vector<Cell>>{{"1", "true"}, {"2", "true"}, {"3", "false"}}));
    auto described = wh->DescribeTable(table);
    if (!described) {
        EXPECT_NE(described.error().message.find("TIME"), std::string::npos) << described.error().message;
        EXPECT_EQ(described.error().location, "spark");
    } else {
        // A Spark whose GetColumns knows TIME.
        ASSERT_TRUE(*described);
        EXPECT_EQ((**described)[1].type, DataType::TIME);
    }
}

// ---- Databricks: HTTP transport, bearer token, the proxy's faults ----

std::unique_ptr<HiveWarehouse> OpenDatabricks(const test::Standin& standin, RetryPolicy retry = {}) {
    auto options = HiveWarehouse::ParseUri(standin.uri); // DATABRICKS_TOKEN is in the environment
    EXPECT_TRUE(options) << options.error().ToString();
    if (!options) return nullptr;
    options->retry = retry;
    auto wh = HiveWarehouse::Open(*options);
    EXPECT_TRUE(wh) << wh.error().ToString();
    return wh ? std::move(*wh) : nullptr;
}

// Each test has a warehouse ID of its own at the proxy: its faults and counters are its alone.
class HiveDatabricks : public ::testing::Test {
protected:
    void SetUp() override {
        auto standin = test::SparkStandin::Start("databricks");
        ASSERT_TRUE(standin) << standin.error().ToString();
        d_ = standin->OwnWarehouse();
    }
    test::Standin d_;
};

TEST_F(HiveDatabricks, QueriesOverHttpWithABearerToken) {
    auto wh = OpenDatabricks(d_);
    ASSERT_TRUE(wh);
    EXPECT_EQ(wh->options().engine, "databricks");
    EXPECT_EQ(wh->dialect(), "spark");
    EXPECT_EQ(All(*wh, "SELECT CAST(12.50 AS DECIMAL(10,2)), TIMESTAMP '2024-05-01 10:00:00.5', 'x'"),
              (std::vector<std::vector<Cell>>{{"12.5", "2024-05-01T10:00:00.500000Z", "x"}}));
    auto rows = All(*wh, "SELECT count(*), max(id) FROM range(0, 12345)");
    EXPECT_EQ(rows, (std::vector<std::vector<Cell>>{{"12345", "12344"}}));
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.over_http"));
    auto created = wh->Execute("CREATE TABLE kith_hive_test.over_http (id INT, name STRING) USING parquet");
    ASSERT_TRUE(created) << created.error().ToString();
    auto columns = wh->DescribeTable(TableName{"", "kith_hive_test", "over_http"});
    ASSERT_TRUE(columns) << columns.error().ToString();
    ASSERT_TRUE(*columns);
    EXPECT_EQ((*columns)->size(), 2u);
}

TEST_F(HiveDatabricks, ABadTokenIsRefusedClearly) {
    std::string token = "dapi-not-the-token";
    auto options = HiveWarehouse::ParseUri(d_.uri, [&token](const char* name) -> const char* {
        return std::string_view(name) == "DATABRICKS_TOKEN" ? token.c_str() : nullptr;
    });
    ASSERT_TRUE(options);
    auto wh = HiveWarehouse::Open(*options);
    ASSERT_FALSE(wh);
    EXPECT_EQ(wh.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(wh.error().location, "databricks");
    EXPECT_FALSE(wh.error().transient);
    EXPECT_NE(wh.error().message.find("HTTP 403"), std::string::npos) << wh.error().message;
    EXPECT_NE(wh.error().message.find("Invalid access token"), std::string::npos) << wh.error().message;
    EXPECT_EQ(wh.error().message.find(token), std::string::npos) << "the token must not be printed";
}

TEST_F(HiveDatabricks, APageWhoseAnswerWasLostIsReadAgainWithoutGapsOrRepeats) {
    // A proxy of the test's own in front of the stand-in passes every request on, but cuts the answer of the third
    // FetchResults short after Spark has moved its cursor past that page.
    std::string target = d_.uri.substr(d_.uri.find("endpoint=") + 9);
    target = target.substr(0, target.find('&'));
    std::string path = "/sql/1.0/warehouses/" + d_.warehouse_id;
    std::mutex mutex;
    int fetches = 0;
    test::HttpServer lossy([&](const test::HttpServer::Request& request) {
        auto answer = hive::HttpPost(target + path,
                                     {"Content-Type: application/x-thrift",
                                      "Authorization: " + request.headers.at("authorization")},
                                     request.body);
        test::HttpServer::Reply reply;
        if (!answer) {
            reply.status = 502;
            return reply;
        }
        reply.status = static_cast<int>(answer->status);
        reply.body = answer->body;
        reply.headers = {{"Content-Type", "application/x-thrift"}};
        std::lock_guard lock(mutex);
        if (request.body.find("FetchResults") != std::string::npos && ++fetches == 3) reply.drop = true;
        return reply;
    });
    auto options = HiveWarehouse::ParseUri(d_.uri);
    ASSERT_TRUE(options);
    options->url = lossy.url() + path;
    options->page_rows = 1000;
    auto wh = HiveWarehouse::Open(*options);
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto rows = All(**wh, "SELECT id FROM range(0, 5500) ORDER BY id");
    ASSERT_EQ(rows.size(), 5500u);
    for (size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows[i][0], std::to_string(i)) << "row " << i;
    // 3 pages, the lost one asked again (its start is past what was received), FETCH_FIRST and one more page read
    // again, then the 4 new pages and the empty one that ends the result.
    EXPECT_EQ(fetches, 11);
}

TEST_F(HiveDatabricks, AnOAuthTokenRefusedIsRenewedOnce) {
    // An identity provider of the test's own: its first token is no longer accepted, its second is the stand-in's.
    int issued = 0;
    std::string good = d_.Env("DATABRICKS_TOKEN");
    test::HttpServer idp([&](const test::HttpServer::Request&) {
        test::HttpServer::Reply reply;
        reply.body = fmt::format(R"({{"access_token": "{}", "expires_in": 3600}})",
                                 ++issued == 1 ? std::string("dapi-expired") : good);
        return reply;
    });
    auto env = [](const char* name) -> const char* {
        std::string_view n(name);
        return n == "DATABRICKS_CLIENT_ID" ? "id" : n == "DATABRICKS_CLIENT_SECRET" ? "s3cret" : nullptr;
    };
    auto options = HiveWarehouse::ParseUri(d_.uri); // for the URL; the credentials are replaced below
    ASSERT_TRUE(options) << options.error().ToString();
    auto auth = hive::DatabricksAuth::FromEnvironment(idp.url(), env);
    ASSERT_TRUE(auth);
    std::shared_ptr<hive::DatabricksAuth> shared = *auth;
    options->authorization = [shared] { return shared->Authorization(); };
    options->unauthorized = [shared] { return shared->Invalidate(); };
    auto wh = HiveWarehouse::Open(*options);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ(All(**wh, "SELECT 9"), (std::vector<std::vector<Cell>>{{"9"}}));
    EXPECT_EQ(issued, 2);
    auto stats = test::SparkStandin::Stats(d_);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->forbidden, 1);
}

TEST_F(HiveDatabricks, ServiceUnavailableIsRetriedThenSucceeds) {
    auto wh = OpenDatabricks(d_);
    ASSERT_TRUE(wh);
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, 503, 2));
    EXPECT_EQ(All(*wh, "SELECT 7"), (std::vector<std::vector<Cell>>{{"7"}}));
    auto stats = test::SparkStandin::Stats(d_);
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->faulted, 2);
    EXPECT_EQ(stats->pending, 0);
}

TEST_F(HiveDatabricks, TooManyRequestsWaitsForRetryAfter) {
    auto wh = OpenDatabricks(d_);
    ASSERT_TRUE(wh);
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, 429, 1, 1));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(All(*wh, "SELECT 8"), (std::vector<std::vector<Cell>>{{"8"}}));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(HiveDatabricks, AStatementRunsOnceWhateverFails) {
    auto wh = OpenDatabricks(d_);
    ASSERT_TRUE(wh);
    ASSERT_TRUE(wh->Execute("CREATE SCHEMA IF NOT EXISTS kith_hive_test"));
    ASSERT_TRUE(wh->Execute("DROP TABLE IF EXISTS kith_hive_test.once"));
    auto created = wh->Execute("CREATE TABLE kith_hive_test.once (n INT) USING parquet");
    ASSERT_TRUE(created) << created.error().ToString();
    auto count = [&] { return All(*wh, "SELECT count(*) FROM kith_hive_test.once"); };
    using Rows = std::vector<std::vector<Cell>>;

    // 503 is answered before the statement is taken on: it is sent again, and runs once.
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, 503));
    ASSERT_TRUE(wh->Execute("INSERT INTO kith_hive_test.once VALUES (1)"));
    EXPECT_EQ(count(), (Rows{{"1"}}));

    // The statement goes through; the first status poll's connection drops, then one is reset: the polls are
    // repeated, the statement is not.
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, test::Fault{.delay_ms = 1}));
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, test::Fault{.drop = true}));
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, test::Fault{.reset = true}));
    ASSERT_TRUE(wh->Execute("INSERT INTO kith_hive_test.once VALUES (2)"));
    EXPECT_EQ(count(), (Rows{{"2"}}));

    // The statement's own connection drops: the server may have received it, so it is not sent again; the error
    // says retrying may help, and nothing ran twice.
    ASSERT_TRUE(test::SparkStandin::FailNext(d_, test::Fault{.drop = true}));
    auto dropped = wh->Execute("INSERT INTO kith_hive_test.once VALUES (3)");
    ASSERT_FALSE(dropped);
    EXPECT_EQ(dropped.error().location, "databricks");
    EXPECT_TRUE(dropped.error().transient);
    EXPECT_NE(dropped.error().message.find("ExecuteStatement"), std::string::npos) << dropped.error().message;
    EXPECT_EQ(count(), (Rows{{"2"}}));
}

TEST_F(HiveDatabricks, AFailedPageRequestIsAskedAgain) {
    auto options_wh = OpenDatabricks(d_);
    ASSERT_TRUE(options_wh);
    HiveOptions options = options_wh->options();
    options.page_rows = 1000;
    auto wh = HiveWarehouse::Open(options);
    ASSERT_TRUE(wh) << wh.error().ToString();
    auto stream = (*wh)->Query("SELECT id FROM range(0, 5000) ORDER BY id");
    ASSERT_TRUE(stream) << stream.error().ToString();
    Chunk chunk;
    int64_t expected = 0;
    bool faulted = false;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        for (const auto& row : chunk.rows) ASSERT_EQ(row[0], std::to_string(expected++));
        if (!faulted && expected >= 2000) {
            // The next FetchResults's connection is dropped: it is asked again, and no row is lost or repeated.
            ASSERT_TRUE(test::SparkStandin::FailNext(d_, test::Fault{.drop = true}));
            faulted = true;
        }
    }
    EXPECT_EQ(expected, 5000);
}

} // namespace
} // namespace kith::warehouse
