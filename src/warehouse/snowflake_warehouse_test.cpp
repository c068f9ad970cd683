// The Snowflake driver: URIs, credentials, JWT claims and value decoding without a server; the protocol (async
// polling, partitions, retries, cancel, token renewal) against a scripted local server; and everything again
// against the Snowflake stand-in (scripts/standin.sh start snowflake), when it can be started.
#include "warehouse/snowflake_warehouse.hpp"

#include "support/spark_standin.hpp"
#include "warehouse/rest/jwt.hpp"
#include "warehouse/snowflake_values.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace kith::warehouse {
namespace {

using nlohmann::json;
using snowflake::Kind;
using snowflake::ResultType;

// ---- Helpers ----

std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

//! A fresh RSA key as PKCS#8 PEM in a temporary file (encrypted when a passphrase is given).
struct KeyFile {
    std::string path;
    explicit KeyFile(const std::string& passphrase = {}) {
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), &EVP_PKEY_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
        PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), passphrase.empty() ? nullptr : EVP_aes_256_cbc(),
                                      passphrase.empty() ? nullptr : passphrase.data(),
                                      static_cast<int>(passphrase.size()), nullptr, nullptr);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio.get(), &data);
        static std::atomic<int> serial{0};
        path = (std::filesystem::temp_directory_path() /
                ("kith_sf_key_" + std::to_string(getpid()) + "_" + std::to_string(++serial) + ".p8"))
                   .string();
        std::ofstream(path) << std::string(data, static_cast<size_t>(n));
    }
    ~KeyFile() { std::filesystem::remove(path); }
};

//! A getenv over a map.
std::function<const char*(const char*)> Env(const std::map<std::string, std::string>& vars) {
    auto copy = std::make_shared<std::map<std::string, std::string>>(vars);
    return [copy](const char* name) -> const char* {
        auto it = copy->find(name);
        return it == copy->end() ? nullptr : it->second.c_str();
    };
}

ResultType Type(Kind kind, std::string type, int precision = -1, int scale = 0) {
    ResultType t;
    t.kind = kind;
    t.type = std::move(type);
    t.precision = precision;
    t.scale = scale;
    return t;
}

// ---- URIs and credentials ----

TEST(SnowflakeUri, ParsesEveryPart) {
    auto o = SnowflakeWarehouse::ParseUri(
        "snowflake://xy12345.us-east-2.aws/ANALYTICS/CRM?warehouse=WH&role=READER&user=kith&retry_for=5"
        "&statement_timeout=30",
        Env({{"SNOWFLAKE_TOKEN", "tok"}}));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->account, "xy12345.us-east-2.aws");
    EXPECT_EQ(o->base_url, "https://xy12345.us-east-2.aws.snowflakecomputing.com");
    EXPECT_EQ(o->database, "ANALYTICS");
    EXPECT_EQ(o->schema, "CRM");
    EXPECT_EQ(o->warehouse, "WH");
    EXPECT_EQ(o->role, "READER");
    EXPECT_EQ(o->user, "kith");
    EXPECT_EQ(o->retry.total, std::chrono::seconds(5));
    EXPECT_EQ(o->statement_timeout_seconds, 30);
    EXPECT_EQ(o->auth->token_type(), "OAUTH");
}

TEST(SnowflakeUri, EndpointAndUserFromEnvironment) {
    KeyFile key;
    auto o = SnowflakeWarehouse::ParseUri("snowflake://acct/DB/S?warehouse=WH&endpoint=http://127.0.0.1:9999/",
                                          Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", key.path}, {"SNOWFLAKE_USER", "ada"}}));
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->base_url, "http://127.0.0.1:9999");
    EXPECT_EQ(o->user, "ada");
    EXPECT_EQ(o->auth->token_type(), "KEYPAIR_JWT");
    EXPECT_EQ(o->auth->subject(), "ACCT.ADA");
    EXPECT_TRUE(o->auth->issuer().starts_with("ACCT.ADA.SHA256:")) << o->auth->issuer();
}

TEST(SnowflakeUri, RefusesSecretsAndMalformedUris) {
    auto env = Env({{"SNOWFLAKE_TOKEN", "tok"}});
    for (const char* uri : {"snowflake://acct/DB/S?warehouse=WH&password=hunter2",
                            "snowflake://acct/DB/S?warehouse=WH&token=abc",
                            "snowflake://user:hunter2@acct/DB/S?warehouse=WH"}) {
        auto o = SnowflakeWarehouse::ParseUri(uri, env);
        ASSERT_FALSE(o) << uri;
        EXPECT_EQ(o.error().code, ErrorCode::USAGE);
        EXPECT_EQ(o.error().message.find("hunter2"), std::string::npos);
        EXPECT_EQ(o.error().message.find("abc"), std::string::npos);
    }
    for (const char* uri : {"snowflake://acct/DB?warehouse=WH", "snowflake://acct/DB/S", "snowflake:///DB/S?warehouse=W",
                            "snowflake://acct/DB/S?warehouse=WH&retry_for=x", "snowflake://acct/DB/S?warehouse=WH&colour=1",
                            "snowflake://acct/DB/S?warehouse=WH&endpoint=ftp://x"}) {
        auto o = SnowflakeWarehouse::ParseUri(uri, env);
        ASSERT_FALSE(o) << uri;
        EXPECT_EQ(o.error().code, ErrorCode::USAGE) << uri;
    }
}

TEST(SnowflakeUri, NamesBothCredentialVariablesWhenNoneIsSet) {
    auto o = SnowflakeWarehouse::ParseUri("snowflake://acct/DB/S?warehouse=WH&user=u", Env({}));
    ASSERT_FALSE(o);
    EXPECT_NE(o.error().message.find("SNOWFLAKE_PRIVATE_KEY_PATH"), std::string::npos);
    EXPECT_NE(o.error().message.find("SNOWFLAKE_TOKEN"), std::string::npos);
    // Key-pair authentication needs a user.
    KeyFile key;
    auto no_user =
        SnowflakeWarehouse::ParseUri("snowflake://acct/DB/S?warehouse=WH", Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", key.path}}));
    ASSERT_FALSE(no_user);
    EXPECT_NE(no_user.error().message.find("SNOWFLAKE_USER"), std::string::npos);
}

TEST(SnowflakeAuth, BadKeyOrPassphraseIsAnErrorWithoutSecrets) {
    KeyFile key("the-Passphrase-1");
    auto wrong = SnowflakeWarehouse::ParseUri(
        "snowflake://acct/DB/S?warehouse=WH&user=u",
        Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", key.path}, {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "guess-Passphrase-2"}}));
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("SNOWFLAKE_PRIVATE_KEY_PATH"), std::string::npos) << wrong.error().message;
    EXPECT_EQ(wrong.error().message.find("guess-Passphrase-2"), std::string::npos);
    EXPECT_EQ(wrong.error().message.find("the-Passphrase-1"), std::string::npos);
    auto right = SnowflakeWarehouse::ParseUri(
        "snowflake://acct/DB/S?warehouse=WH&user=u",
        Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", key.path}, {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "the-Passphrase-1"}}));
    ASSERT_TRUE(right) << right.error().message;
    auto missing = SnowflakeWarehouse::ParseUri("snowflake://acct/DB/S?warehouse=WH&user=u",
                                                 Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", "/nonexistent/key.p8"}}));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("/nonexistent/key.p8"), std::string::npos);
}

TEST(SnowflakeAuth, JwtAccountDropsRegionAndGlobalParts) {
    EXPECT_EQ(SnowflakeAuth::JwtAccount("xy12345.us-east-2.aws"), "XY12345");
    EXPECT_EQ(SnowflakeAuth::JwtAccount("myorg-myaccount"), "MYORG-MYACCOUNT");
    EXPECT_EQ(SnowflakeAuth::JwtAccount("xy12345-abcdefgh.global"), "XY12345");
    EXPECT_EQ(SnowflakeAuth::JwtAccount("acct"), "ACCT");
}

TEST(SnowflakeAuth, JwtClaimsAndRenewal) {
    KeyFile key;
    auto auth = SnowflakeAuth::FromEnvironment("acct.eu-west-1", "kith", Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", key.path}}));
    ASSERT_TRUE(auth) << auth.error().message;
    auto headers = (*auth)->Headers();
    ASSERT_TRUE(headers);
    ASSERT_EQ(headers->size(), 2u);
    EXPECT_EQ((*headers)[1], "X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT");
    std::string jwt = (*headers)[0].substr(std::string("Authorization: Bearer ").size());
    auto dot1 = jwt.find('.');
    std::string payload = jwt.substr(dot1 + 1, jwt.find('.', dot1 + 1) - dot1 - 1);
    for (char& c : payload) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (payload.size() % 4) payload += '=';
    std::string decoded(payload.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                            reinterpret_cast<const unsigned char*>(payload.data()), static_cast<int>(payload.size()));
    decoded.resize(static_cast<size_t>(n));
    while (!decoded.empty() && decoded.back() == '\0') decoded.pop_back();
    auto claims = json::parse(decoded);
    EXPECT_EQ(claims["sub"], "ACCT.KITH");
    EXPECT_TRUE(claims["iss"].get<std::string>().starts_with("ACCT.KITH.SHA256:"));
    EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 59 * 60);
    // Held while valid, signed again after a 401 or near its end.
    ASSERT_TRUE((*auth)->Headers());
    EXPECT_EQ((*auth)->signed_count(), 1);
    EXPECT_TRUE((*auth)->Invalidate());
    ASSERT_TRUE((*auth)->Headers());
    EXPECT_EQ((*auth)->signed_count(), 2);
    // A token within renew_before of its end is signed again.
    (*auth)->SetLifetimeForTest(std::chrono::seconds(60), std::chrono::seconds(60));
    EXPECT_TRUE((*auth)->Invalidate());
    ASSERT_TRUE((*auth)->Headers());
    ASSERT_TRUE((*auth)->Headers());
    EXPECT_EQ((*auth)->signed_count(), 4);

    auto oauth = SnowflakeAuth::FromEnvironment("acct", "", Env({{"SNOWFLAKE_TOKEN", "tok"}}));
    ASSERT_TRUE(oauth);
    auto h = (*oauth)->Headers();
    ASSERT_TRUE(h);
    EXPECT_EQ((*h)[0], "Authorization: Bearer tok");
    EXPECT_EQ((*h)[1], "X-Snowflake-Authorization-Token-Type: OAUTH");
    EXPECT_FALSE((*oauth)->Invalidate());
}

// ---- Values ----

TEST(SnowflakeValues, DecodesEveryRowType) {
    auto fixed0 = Type(Kind::FIXED, "fixed", 38, 0);
    auto fixed2 = Type(Kind::FIXED, "fixed", 10, 2);
    EXPECT_EQ(snowflake::CanonicalText(fixed0, "123"), "123");
    EXPECT_EQ(snowflake::CanonicalText(fixed0, "-9223372036854775808"), "-9223372036854775808");
    EXPECT_EQ(snowflake::CanonicalText(fixed0, "99999999999999999999999999999999999999"),
              "99999999999999999999999999999999999999");
    EXPECT_EQ(snowflake::CanonicalText(fixed2, "12.50"), "12.5");
    EXPECT_EQ(snowflake::CanonicalText(fixed2, "3.00"), "3");
    EXPECT_EQ(snowflake::CanonicalText(fixed2, "-0.00"), "0");
    EXPECT_EQ(snowflake::CanonicalText(fixed2, "-0.10"), "-0.1");

    auto real = Type(Kind::REAL, "real");
    EXPECT_EQ(snowflake::CanonicalText(real, "1.5"), "1.5");
    EXPECT_EQ(snowflake::CanonicalText(real, "1.000000000000000e+10"), "10000000000");
    EXPECT_EQ(snowflake::CanonicalText(real, "0.1"), "0.1");
    EXPECT_EQ(snowflake::CanonicalText(real, "-0"), "0");
    EXPECT_EQ(snowflake::CanonicalText(real, "inf"), "Infinity");
    EXPECT_EQ(snowflake::CanonicalText(real, "-inf"), "-Infinity");
    EXPECT_EQ(snowflake::CanonicalText(real, "NaN"), "NaN");

    auto text = Type(Kind::TEXT, "text");
    EXPECT_EQ(snowflake::CanonicalText(text, " a\tb "), " a\tb ");
    auto boolean = Type(Kind::BOOLEAN, "boolean");
    EXPECT_EQ(snowflake::CanonicalText(boolean, "true"), "true");
    EXPECT_EQ(snowflake::CanonicalText(boolean, "FALSE"), "false");
    EXPECT_EQ(snowflake::CanonicalText(boolean, "1"), "true");

    auto date = Type(Kind::DATE, "date");
    EXPECT_EQ(snowflake::CanonicalText(date, "0"), "1970-01-01");
    EXPECT_EQ(snowflake::CanonicalText(date, "19844"), "2024-05-01");
    EXPECT_EQ(snowflake::CanonicalText(date, "-1"), "1969-12-31");

    auto time = Type(Kind::TIME, "time");
    EXPECT_EQ(snowflake::CanonicalText(time, "0.000000000"), "00:00:00");
    EXPECT_EQ(snowflake::CanonicalText(time, "37230.500000000"), "10:20:30.500000");
    EXPECT_EQ(snowflake::CanonicalText(time, "86399.999999999"), "23:59:59.999999");
    EXPECT_EQ(snowflake::CanonicalText(time, "3723"), "01:02:03");

    auto ntz = Type(Kind::TIMESTAMP_NTZ, "timestamp_ntz");
    EXPECT_EQ(snowflake::CanonicalText(ntz, "1714557600.000000000"), "2024-05-01T10:00:00Z");
    EXPECT_EQ(snowflake::CanonicalText(ntz, "1714557600.123456000"), "2024-05-01T10:00:00.123456Z");
    EXPECT_EQ(snowflake::CanonicalText(ntz, "-1.500000000"), "1969-12-31T23:59:58.500000Z");
    EXPECT_EQ(snowflake::CanonicalText(ntz, "-0.000000001"), "1969-12-31T23:59:59.999999Z");
    auto ltz = Type(Kind::TIMESTAMP_LTZ, "timestamp_ltz");
    EXPECT_EQ(snowflake::CanonicalText(ltz, "0.5"), "1970-01-01T00:00:00.500000Z");
    auto tz = Type(Kind::TIMESTAMP_TZ, "timestamp_tz");
    // 960 = 1440 - 480: shown at -08:00, the instant is the same.
    EXPECT_EQ(snowflake::CanonicalText(tz, "1714557600.000000000 960"), "2024-05-01T10:00:00Z");
    EXPECT_EQ(snowflake::CanonicalText(tz, "1714557600.250000000 1440"), "2024-05-01T10:00:00.250000Z");

    auto variant = Type(Kind::OTHER, "variant");
    EXPECT_EQ(snowflake::CanonicalText(variant, "{\n  \"a\": 1\n}"), "{\n  \"a\": 1\n}");
    auto binary = Type(Kind::OTHER, "binary");
    EXPECT_EQ(snowflake::CanonicalText(binary, "48656C6C6F"), "48656C6C6F");
    // Text that does not parse as its type stays as it is.
    EXPECT_EQ(snowflake::CanonicalText(date, "soon"), "soon");
}

TEST(SnowflakeValues, ColumnsFromRowType) {
    auto row_type = json::parse(R"([
        {"name": "ID", "type": "fixed", "precision": 38, "scale": 0, "nullable": false},
        {"name": "amount", "type": "fixed", "precision": 10, "scale": 2},
        {"name": "F", "type": "real"}, {"name": "S", "type": "text", "length": 16777216},
        {"name": "B", "type": "boolean"}, {"name": "D", "type": "date"}, {"name": "T", "type": "time", "scale": 9},
        {"name": "TN", "type": "timestamp_ntz"}, {"name": "TL", "type": "timestamp_ltz"},
        {"name": "TZ", "type": "timestamp_tz"}, {"name": "V", "type": "variant"}, {"name": "BI", "type": "binary"}])");
    auto parsed = snowflake::ParseRowType(row_type);
    ASSERT_TRUE(parsed) << parsed.error().message;
    std::vector<std::tuple<std::string, std::string, DataType>> expected = {
        {"ID", "NUMBER(38,0)", DataType::NUMBER},   {"amount", "NUMBER(10,2)", DataType::NUMBER},
        {"F", "FLOAT", DataType::NUMBER},           {"S", "VARCHAR", DataType::STRING},
        {"B", "BOOLEAN", DataType::BOOLEAN},        {"D", "DATE", DataType::DATE},
        {"T", "TIME", DataType::TIME},              {"TN", "TIMESTAMP_NTZ", DataType::TIMESTAMP},
        {"TL", "TIMESTAMP_LTZ", DataType::TIMESTAMP}, {"TZ", "TIMESTAMP_TZ", DataType::TIMESTAMP},
        {"V", "VARIANT", DataType::OTHER},          {"BI", "BINARY", DataType::OTHER}};
    ASSERT_EQ(parsed->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ((*parsed)[i].first.name, std::get<0>(expected[i]));
        EXPECT_EQ((*parsed)[i].first.engine_type, std::get<1>(expected[i]));
        EXPECT_EQ((*parsed)[i].first.type, std::get<2>(expected[i])) << std::get<0>(expected[i]);
    }
    std::vector<ResultType> types;
    for (auto& p : *parsed) types.push_back(p.second);
    std::vector<std::vector<Cell>> rows;
    ASSERT_TRUE(snowflake::AppendRows(
        json::parse(R"([["1", "-1.50", "2.5", "x", "true", "1", "1.5", "0", "0", "0 1440", "[1]", "00"],
                        [null, null, null, null, null, null, null, null, null, null, null, null]])"),
        types, rows));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][1], "-1.5");
    EXPECT_EQ(rows[0][5], "1970-01-02");
    EXPECT_EQ(rows[0][6], "00:00:01.500000");
    EXPECT_EQ(rows[0][9], "1970-01-01T00:00:00Z");
    EXPECT_FALSE(rows[1][0].has_value());
    EXPECT_FALSE(snowflake::AppendRows(json::parse(R"([["1"]])"), types, rows));

    EXPECT_EQ(snowflake::MapTypeName("NUMBER"), DataType::NUMBER);
    EXPECT_EQ(snowflake::MapTypeName("TEXT"), DataType::STRING);
    EXPECT_EQ(snowflake::MapTypeName("timestamp_tz"), DataType::TIMESTAMP);
    EXPECT_EQ(snowflake::MapTypeName("VARIANT"), DataType::OTHER);
    EXPECT_EQ(snowflake::StorageOf("a", types[1]).type, StorageType::DECIMAL);
    EXPECT_EQ(snowflake::StorageOf("a", types[1]).scale, 2);
    EXPECT_EQ(snowflake::StorageOf("a", types[0]).precision, 38);
    EXPECT_EQ(snowflake::StorageOf("a", types[9]).type, StorageType::TIMESTAMPTZ);
}

// ---- Against the Snowflake stand-in (scripts/standin.sh start snowflake) ----

//! The running stand-in: its URI (the environment now holds its key path and passphrase) and admin port.
struct SnowflakeStandin {
    std::string uri;
    int port = 0;
    std::string oauth_token;
    std::string error;
};

const SnowflakeStandin& Standin() {
    static const SnowflakeStandin standin = [] {
        SnowflakeStandin s;
        auto started = test::SparkStandin::Start("snowflake");
        if (!started) {
            s.error = started.error().ToString();
            return s;
        }
        s.uri = started->uri;
        s.port = started->proxy_port;
        std::ifstream token(std::string(KITH_SOURCE_DIR) + "/.standin/snowflake/oauth_token");
        std::getline(token, s.oauth_token);
        if (s.port == 0) s.error = "no endpoint in KITH_WAREHOUSE: " + s.uri;
        return s;
    }();
    return standin;
}

//! A warehouse name of this test's own: the stand-in scopes faults, counters and statements by it.
struct Scope {
    std::string warehouse;
    std::string uri;
};

Scope OwnScope() {
    static std::atomic<int> serial{0};
    Scope s;
    s.warehouse = "T" + std::to_string(getpid()) + "_" + std::to_string(++serial);
    s.uri = Standin().uri;
    const std::string key = "warehouse=STANDIN_WH";
    if (auto at = s.uri.find(key); at != std::string::npos) s.uri.replace(at, key.size(), "warehouse=" + s.warehouse);
    return s;
}

json Admin(const std::string& method, const std::string& route, const Scope& scope, const json& body = {}) {
    httplib::Client cli("127.0.0.1", Standin().port);
    cli.set_read_timeout(30);
    std::string path = route + "?scope=" + scope.warehouse;
    httplib::Result r = method == "GET"    ? cli.Get(path)
                        : method == "POST" ? cli.Post(path, body.dump(), "application/json")
                                           : cli.Delete(path);
    if (!r || r->status != 200) {
        ADD_FAILURE() << method << " " << path << ": " << (r ? std::to_string(r->status) + " " + r->body : "no answer");
        return json();
    }
    return json::parse(r->body, nullptr, false);
}

void Fault(const Scope& scope, const json& rule) { Admin("POST", "/_standin/faults", scope, rule); }
json Stats(const Scope& scope) { return Admin("GET", "/_standin/stats", scope); }
json Statements(const Scope& scope) { return Admin("GET", "/_standin/statements", scope); }

class SnowflakeStandinTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(Standin().error.empty()) << Standin().error;
        scope_ = OwnScope();
        auto wh = SnowflakeWarehouse::Open(scope_.uri);
        ASSERT_TRUE(wh) << wh.error().ToString();
        wh_ = std::move(*wh);
    }
    void TearDown() override {
        if (!scope_.warehouse.empty() && Standin().error.empty()) Admin("DELETE", "/_standin/faults", scope_);
    }

    std::vector<std::vector<Cell>> All(const std::string& sql, std::span<const Param> params = {}) {
        auto rows = QueryAll(*wh_, sql, params);
        EXPECT_TRUE(rows) << sql << ": " << rows.error().ToString();
        return rows ? *rows : std::vector<std::vector<Cell>>{};
    }

    //! Every statement of this scope ran exactly once.
    void ExpectEachRanOnce() {
        json statements = Statements(scope_);
        ASSERT_TRUE(statements.is_array());
        // (The statements of a multi-statement request share its requestId.)
        for (const auto& st : statements) EXPECT_EQ(st.value("executions", 0), 1) << st.dump();
        json stats = Stats(scope_);
        for (const auto& [id, count] : stats["executions_by_request_id"].items()) EXPECT_EQ(count, 1) << id;
    }

    Scope scope_;
    std::unique_ptr<SnowflakeWarehouse> wh_;
};

TEST_F(SnowflakeStandinTest, RoundTripOfEveryType) {
    auto stream = wh_->Query(
        "SELECT 42::NUMBER(38,0) AS i, -12.50::NUMBER(10,2) AS d, 0::NUMBER(10,2) AS z, 2.25::FLOAT AS f, "
        "'Ada é'::VARCHAR AS s, TRUE AS b, '2024-05-01'::DATE AS dt, '10:20:30.5'::TIME AS t, "
        "'2024-05-01 10:00:00.25'::TIMESTAMP_NTZ AS ts, '2024-05-01 12:00:00 +02:00'::TIMESTAMP_TZ AS tz, "
        "NULL::VARCHAR AS n, '1969-12-31 23:59:58.5'::TIMESTAMP_NTZ AS old");
    ASSERT_TRUE(stream) << stream.error().ToString();
    std::vector<std::pair<std::string, DataType>> expected_columns = {
        {"I", DataType::NUMBER},  {"D", DataType::NUMBER},     {"Z", DataType::NUMBER},
        {"F", DataType::NUMBER},  {"S", DataType::STRING},     {"B", DataType::BOOLEAN},
        {"DT", DataType::DATE},   {"T", DataType::TIME},       {"TS", DataType::TIMESTAMP},
        {"TZ", DataType::TIMESTAMP}, {"N", DataType::STRING},  {"OLD", DataType::TIMESTAMP}};
    const auto& columns = (*stream)->columns();
    ASSERT_EQ(columns.size(), expected_columns.size());
    for (size_t i = 0; i < columns.size(); ++i) {
        EXPECT_EQ(Upper(columns[i].name), expected_columns[i].first);
        EXPECT_EQ(columns[i].type, expected_columns[i].second) << columns[i].name << " " << columns[i].engine_type;
    }
    EXPECT_EQ(columns[1].engine_type, "NUMBER(10,2)");
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more && *more) << (more ? "no rows" : more.error().ToString());
    ASSERT_EQ(chunk.rows.size(), 1u);
    std::vector<Cell> expected = {"42",         "-12.5",       "0",
                                  "2.25",       "Ada é",       "true",
                                  "2024-05-01", "10:20:30.500000", "2024-05-01T10:00:00.250000Z",
                                  "2024-05-01T10:00:00Z", std::nullopt, "1969-12-31T23:59:58.500000Z"};
    EXPECT_EQ(chunk.rows[0], expected);
    more = (*stream)->Next(chunk);
    ASSERT_TRUE(more);
    EXPECT_FALSE(*more);
}

TEST_F(SnowflakeStandinTest, ParametersAreBoundAsText) {
    Param params[] = {Param{"it's"}, std::nullopt, Param{"7"}};
    auto rows = All("SELECT ? AS a, ? AS b, CAST(? AS INTEGER) + 1 AS c", params);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "it's");
    EXPECT_FALSE(rows[0][1].has_value());
    EXPECT_EQ(rows[0][2], "8");
}

TEST_F(SnowflakeStandinTest, EngineErrorsCarryCodeAndState) {
    auto rows = QueryAll(*wh_, "SELECT * FROM no_such_table_anywhere");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(rows.error().location, "snowflake");
    EXPECT_NE(rows.error().message.find("002003"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find("42S02"), std::string::npos) << rows.error().message;
}

TEST_F(SnowflakeStandinTest, ExecuteRunsSeveralStatementsAndTablesRoundTrip) {
    std::string table = "SF_" + scope_.warehouse;
    ASSERT_TRUE(wh_->Execute("DROP TABLE IF EXISTS \"" + table + "\"; CREATE TABLE \"" + table +
                             "\" (\"id\" INTEGER, \"name\" VARCHAR, \"amount\" NUMBER(10,2))"));
    Param params[] = {Param{"1"}, Param{"ada"}, Param{"12.50"}};
    ASSERT_TRUE(wh_->Execute("INSERT INTO \"" + table + "\" VALUES (?, ?, ?)", params));
    auto described = wh_->DescribeTable(TableName{"", "", table});
    ASSERT_TRUE(described) << described.error().ToString();
    ASSERT_TRUE(described->has_value());
    ASSERT_EQ((*described)->size(), 3u);
    EXPECT_EQ((**described)[0].name, "id");
    EXPECT_EQ((**described)[0].type, DataType::NUMBER);
    EXPECT_EQ((**described)[1].type, DataType::STRING);
    EXPECT_EQ((**described)[2].type, DataType::NUMBER);
    auto missing = wh_->DescribeTable(TableName{"", "", table + "_missing"});
    ASSERT_TRUE(missing) << missing.error().ToString();
    EXPECT_FALSE(missing->has_value());
    // Names are compared exactly: the upper-case name is another table.
    auto upper = wh_->DescribeTable(TableName{"", "", Upper(table) + "X"});
    ASSERT_TRUE(upper);
    EXPECT_FALSE(upper->has_value());
    auto rows = All("SELECT \"name\", \"amount\" FROM \"" + table + "\"");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][1], "12.5");
    auto tables = wh_->ListTables("PUBLIC");
    ASSERT_TRUE(tables) << tables.error().ToString();
    EXPECT_TRUE(std::any_of(tables->begin(), tables->end(), [&](const TableName& t) { return t.table == table; }));
    ASSERT_TRUE(wh_->Execute("DROP TABLE \"" + table + "\""));
    ExpectEachRanOnce();
}

TEST_F(SnowflakeStandinTest, CreateTableAndBulkLoad) {
    TableName table{"", "PUBLIC", "LOAD_" + scope_.warehouse};
    std::vector<ColumnDef> defs = {{"id", StorageType::BIGINT},      {"amount", StorageType::DECIMAL, 10, 2},
                                   {"ratio", StorageType::DOUBLE},   {"name", StorageType::TEXT},
                                   {"ok", StorageType::BOOLEAN},     {"day", StorageType::DATE},
                                   {"at", StorageType::TIMESTAMP}};
    ASSERT_TRUE(wh_->Execute("DROP TABLE IF EXISTS \"PUBLIC\".\"" + table.table + "\""));
    auto created = wh_->CreateTable(table, defs);
    ASSERT_TRUE(created) << created.error().ToString();
    std::vector<std::string> names;
    for (const auto& d : defs) names.push_back(d.name);
    // A load by another connection learns the types from the table itself.
    auto other = wh_->Connect();
    ASSERT_TRUE(other);
    auto writer = (*other)->BulkWriter(table, names);
    ASSERT_TRUE(writer) << writer.error().ToString();
    Chunk chunk;
    for (int i = 0; i < 2050; ++i) {
        chunk.rows.push_back({std::to_string(i), "1.50", "0.25", i % 2 ? Cell{"x'y"} : std::nullopt, "true",
                              "2024-05-01", "2024-05-01T10:00:00.5Z"});
    }
    ASSERT_TRUE((*writer)->Append(chunk));
    EXPECT_EQ(All("SELECT count(*) AS n FROM \"PUBLIC\".\"" + table.table + "\"")[0][0], "0");
    auto finished = (*writer)->Finish();
    ASSERT_TRUE(finished) << finished.error().ToString();
    auto rows = All("SELECT count(*) AS n, min(\"amount\") AS a, max(\"name\") AS m, min(\"at\") AS t FROM \"PUBLIC\".\"" +
                    table.table + "\"");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "2050");
    EXPECT_EQ(rows[0][1], "1.5");
    EXPECT_EQ(rows[0][2], "x'y");
    EXPECT_EQ(rows[0][3], "2024-05-01T10:00:00.500000Z");
    ASSERT_TRUE(wh_->Execute("DROP TABLE \"PUBLIC\".\"" + table.table + "\""));
}

TEST_F(SnowflakeStandinTest, AsyncStatementIsPolledUntilDone) {
    Fault(scope_, {{"delay_ms", 1500}, {"method", "POST"}});
    auto start = std::chrono::steady_clock::now();
    auto rows = All("SELECT 1 AS x");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "1");
    ExpectEachRanOnce();
}

TEST_F(SnowflakeStandinTest, PartitionsAreReadOneAtATime) {
    Fault(scope_, {{"partition_rows", 3000}});
    auto stream = wh_->Query("SELECT range AS i FROM range(10000) ORDER BY i");
    ASSERT_TRUE(stream) << stream.error().ToString();
    Chunk chunk;
    int64_t expected = 0;
    size_t chunks = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        EXPECT_LE(chunk.size(), 2048u);
        ++chunks;
        for (const auto& row : chunk.rows) {
            ASSERT_EQ(row[0], std::to_string(expected));
            ++expected;
        }
    }
    EXPECT_EQ(expected, 10000);
    EXPECT_GE(chunks, 7u); // 4 partitions (3000, 3000, 3000, 1000), each in chunks of at most 2048
}

TEST_F(SnowflakeStandinTest, NextPartitionIsFetchedOnlyWhenThePreviousIsConsumed) {
    Fault(scope_, {{"partition_rows", 3}});
    auto stream = wh_->Query("SELECT range AS i FROM range(7) ORDER BY i");
    ASSERT_TRUE(stream) << stream.error().ToString();
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more && *more);
    EXPECT_EQ(chunk.size(), 3u);
    // Partition 1 has not been asked for yet: the failure set up now is what its fetch meets.
    Fault(scope_, {{"status", 500}, {"method", "GET"}, {"path", "/api/v2/statements"}});
    more = (*stream)->Next(chunk);
    ASSERT_FALSE(more);
    EXPECT_NE(more.error().message.find("partition 1"), std::string::npos) << more.error().message;
    EXPECT_NE(more.error().message.find("500"), std::string::npos) << more.error().message;
}

TEST_F(SnowflakeStandinTest, PartitionFetchesAreRetried) {
    Fault(scope_, {{"partition_rows", 2}});
    auto stream = wh_->Query("SELECT range AS i FROM range(5) ORDER BY i");
    ASSERT_TRUE(stream) << stream.error().ToString();
    Fault(scope_, {{"status", 503}, {"method", "GET"}, {"count", 2}});
    Chunk chunk;
    int rows = 0;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        rows += static_cast<int>(chunk.size());
    }
    EXPECT_EQ(rows, 5);
    EXPECT_EQ(Stats(scope_)["faulted"], 2);
}

TEST_F(SnowflakeStandinTest, InterruptCancelsOnTheServer) {
    Fault(scope_, {{"delay_ms", 20000}, {"method", "POST"}});
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        wh_->Interrupt();
    });
    auto start = std::chrono::steady_clock::now();
    auto rows = QueryAll(*wh_, "SELECT 1 AS x");
    auto took = std::chrono::steady_clock::now() - start;
    interrupter.join();
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("interrupted (cancelled on the server)"), std::string::npos)
        << rows.error().message;
    EXPECT_LT(took, std::chrono::seconds(5));
    json stats = Stats(scope_);
    EXPECT_EQ(stats["cancelled"], 1) << stats.dump();
    EXPECT_EQ(stats["executed"], 0) << stats.dump();
    // The connection serves the next statement.
    EXPECT_EQ(All("SELECT 2 AS x")[0][0], "2");
}

TEST_F(SnowflakeStandinTest, StatementTimeoutIsAnError) {
    auto wh = SnowflakeWarehouse::Open(scope_.uri + "&statement_timeout=1");
    ASSERT_TRUE(wh) << wh.error().ToString();
    Fault(scope_, {{"delay_ms", 3000}, {"method", "POST"}});
    auto rows = QueryAll(**wh, "SELECT 1 AS x");
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("timed out"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find("000630"), std::string::npos) << rows.error().message;
}

TEST_F(SnowflakeStandinTest, OtherTypesAreTheirText) {
    auto stream = wh_->Query("SELECT TO_BINARY('4869', 'HEX') AS bin, PARSE_JSON('{\"a\": [1, 2]}') AS v");
    ASSERT_TRUE(stream) << stream.error().ToString();
    const auto& columns = (*stream)->columns();
    ASSERT_EQ(columns.size(), 2u);
    EXPECT_EQ(columns[0].type, DataType::OTHER);
    EXPECT_EQ(columns[0].engine_type, "BINARY");
    EXPECT_EQ(columns[1].type, DataType::OTHER);
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more && *more);
    EXPECT_EQ(chunk.rows[0][0], "4869");
    ASSERT_TRUE(chunk.rows[0][1]);
    EXPECT_EQ(json::parse(*chunk.rows[0][1]), json::parse(R"({"a": [1, 2]})"));
}

TEST_F(SnowflakeStandinTest, InterruptCutsARetryWaitShort) {
    Fault(scope_, {{"status", 429}, {"retry_after", 30}});
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        wh_->Interrupt();
    });
    auto start = std::chrono::steady_clock::now();
    auto rows = QueryAll(*wh_, "SELECT 1 AS x");
    auto took = std::chrono::steady_clock::now() - start;
    interrupter.join();
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("interrupted"), std::string::npos) << rows.error().message;
    EXPECT_LT(took, std::chrono::seconds(3));
    EXPECT_EQ(Stats(scope_)["executed"], 0);
}

TEST_F(SnowflakeStandinTest, TooManyRequestsHonoursRetryAfter) {
    Fault(scope_, {{"status", 429}, {"retry_after", 1}});
    auto start = std::chrono::steady_clock::now();
    auto rows = All("SELECT 1 AS x");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
    ASSERT_EQ(rows.size(), 1u);
    json stats = Stats(scope_);
    EXPECT_EQ(stats["faulted"], 1);
    EXPECT_EQ(stats["executed"], 1);
    ExpectEachRanOnce();
}

TEST_F(SnowflakeStandinTest, ServiceUnavailableIsRetried) {
    Fault(scope_, {{"status", 503}, {"count", 2}});
    auto rows = All("SELECT 1 AS x");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(Stats(scope_)["faulted"], 2);
    ExpectEachRanOnce();
}

TEST_F(SnowflakeStandinTest, RetriesStopAtTheBudget) {
    auto o = SnowflakeWarehouse::ParseUri(scope_.uri + "&retry_for=1");
    ASSERT_TRUE(o);
    auto wh = SnowflakeWarehouse::Open(std::move(*o));
    ASSERT_TRUE(wh);
    Fault(scope_, {{"status", 503}, {"count", 100}});
    auto rows = QueryAll(**wh, "SELECT 1 AS x");
    ASSERT_FALSE(rows);
    EXPECT_TRUE(rows.error().transient);
    EXPECT_NE(rows.error().message.find("503"), std::string::npos) << rows.error().message;
    EXPECT_EQ(Stats(scope_)["executed"], 0);
}

TEST_F(SnowflakeStandinTest, DroppedConnectionBeforeExecution) {
    Fault(scope_, {{"drop", 1}, {"method", "POST"}});
    auto rows = All("SELECT 1 AS x");
    ASSERT_EQ(rows.size(), 1u);
    json stats = Stats(scope_);
    EXPECT_EQ(stats["executed"], 1) << stats.dump();
    ExpectEachRanOnce();
}

TEST_F(SnowflakeStandinTest, DroppedConnectionAfterExecutionDoesNotRunTwice) {
    std::string table = "DROP_" + scope_.warehouse;
    ASSERT_TRUE(wh_->Execute("CREATE OR REPLACE TABLE \"" + table + "\" (\"n\" INTEGER)"));
    Fault(scope_, {{"drop_after_execute", 1}});
    ASSERT_TRUE(wh_->Execute("INSERT INTO \"" + table + "\" VALUES (1)"));
    EXPECT_EQ(All("SELECT count(*) AS c FROM \"" + table + "\"")[0][0], "1");
    ExpectEachRanOnce();
    ASSERT_TRUE(wh_->Execute("DROP TABLE \"" + table + "\""));
}

TEST_F(SnowflakeStandinTest, ExpiredJwtIsRenewedOnce) {
    EXPECT_EQ(All("SELECT 0 AS x").size(), 1u);
    int before = wh_->options().auth->signed_count();
    Fault(scope_, {{"expire_token", 1}});
    auto rows = All("SELECT 1 AS x");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(wh_->options().auth->signed_count(), before + 1);
    EXPECT_EQ(Stats(scope_)["unauthorized"], 1);
    ExpectEachRanOnce();
    // A JWT within renew_before of its end is renewed before it is sent (here: every one, valid for 120 s and
    // renewed 150 s before its end), and no request is refused.
    wh_->options().auth->SetLifetimeForTest(std::chrono::seconds(120), std::chrono::seconds(150));
    EXPECT_TRUE(wh_->options().auth->Invalidate());
    EXPECT_EQ(All("SELECT 1 AS x").size(), 1u);
    EXPECT_EQ(All("SELECT 1 AS x").size(), 1u);
    // Each request (submission, polls) signs one.
    EXPECT_GE(wh_->options().auth->signed_count(), before + 3);
    EXPECT_EQ(Stats(scope_)["unauthorized"], 1);
}

TEST_F(SnowflakeStandinTest, OAuthTokenWorksAndAnExpiredOneIsFinal) {
    ASSERT_FALSE(Standin().oauth_token.empty());
    auto o = SnowflakeWarehouse::ParseUri(scope_.uri, Env({{"SNOWFLAKE_TOKEN", Standin().oauth_token}}));
    ASSERT_TRUE(o) << o.error().ToString();
    auto wh = SnowflakeWarehouse::Open(std::move(*o));
    ASSERT_TRUE(wh);
    EXPECT_EQ(QueryAll(**wh, "SELECT 1 AS x")->size(), 1u);
    Fault(scope_, {{"expire_token", 1}});
    auto rows = QueryAll(**wh, "SELECT 1 AS x");
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("401"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find("390318"), std::string::npos) << rows.error().message;
    EXPECT_EQ(rows.error().message.find(Standin().oauth_token), std::string::npos);
}

TEST_F(SnowflakeStandinTest, AnotherKeyIsRefusedWithoutSecrets) {
    KeyFile other("other-Passphrase-9");
    auto o = SnowflakeWarehouse::ParseUri(
        scope_.uri,
        Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", other.path}, {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "other-Passphrase-9"}}));
    ASSERT_TRUE(o) << o.error().ToString();
    auto wh = SnowflakeWarehouse::Open(std::move(*o));
    ASSERT_TRUE(wh);
    auto rows = QueryAll(**wh, "SELECT 1 AS x");
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("390144"), std::string::npos) << rows.error().message;
    EXPECT_EQ(rows.error().message.find("other-Passphrase-9"), std::string::npos);
    EXPECT_EQ(rows.error().message.find("Bearer"), std::string::npos);
    // The stand-in's key under a wrong passphrase fails before any request.
    const char* path = std::getenv("SNOWFLAKE_PRIVATE_KEY_PATH");
    ASSERT_NE(path, nullptr);
    auto wrong = SnowflakeWarehouse::ParseUri(
        scope_.uri, Env({{"SNOWFLAKE_PRIVATE_KEY_PATH", path}, {"SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "nope-nope"}}));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().message.find("nope-nope"), std::string::npos);
    EXPECT_EQ(Stats(scope_)["executed"], 0);
}

TEST_F(SnowflakeStandinTest, OpenThroughTheGenericEntryPoint) {
    auto wh = warehouse::Open(scope_.uri);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ((*wh)->dialect(), "snowflake");
    auto rows = QueryAll(**wh, "SELECT 'a' AS x");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ((*rows)[0][0], "a");
}

} // namespace
} // namespace kith::warehouse
