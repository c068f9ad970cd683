// The BigQuery driver: URIs, credentials, the service account's JWT and value decoding without a server; the
// protocol (async polling, pages, retries, cancel, token renewal) and the catalog against the BigQuery stand-in
// (scripts/standin.sh start bigquery), each test in a project id of its own (the stand-in scopes faults,
// counters and statements by it).
#include "warehouse/bigquery_warehouse.hpp"

#include "support/spark_standin.hpp"
#include "warehouse/bigquery_auth.hpp"
#include "warehouse/bigquery_values.hpp"
#include "warehouse/canonical.hpp"
#include "warehouse/rest/jwt.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace kith::warehouse {
namespace {

using nlohmann::json;
using bigquery::FieldType;

// ---- Helpers ----

//! A getenv over a map.
std::function<const char*(const char*)> Env(const std::map<std::string, std::string>& vars) {
    auto copy = std::make_shared<std::map<std::string, std::string>>(vars);
    return [copy](const char* name) -> const char* {
        auto it = copy->find(name);
        return it == copy->end() ? nullptr : it->second.c_str();
    };
}

std::string TempPath(const std::string& stem) {
    static std::atomic<int> serial{0};
    return (std::filesystem::temp_directory_path() /
            ("kith_bq_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(++serial)))
        .string();
}

//! A fresh RSA key: its PKCS#8 PEM and its public key.
struct RsaPair {
    std::string private_pem;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, &EVP_PKEY_free};
    RsaPair() {
        key.reset(EVP_RSA_gen(2048));
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
        PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        char* data = nullptr;
        long n = BIO_get_mem_data(bio.get(), &data);
        private_pem.assign(data, static_cast<size_t>(n));
    }
};

//! A service-account key file (Google's JSON) in a temporary file.
struct KeyFile {
    std::string path;
    json content;
    KeyFile(const std::string& private_pem, const std::string& token_uri, const std::string& kid = "kid123",
            const std::string& type = "service_account") {
        content = {{"type", type},
                   {"project_id", "unit-project"},
                   {"private_key_id", kid},
                   {"private_key", private_pem},
                   {"client_email", "kith@unit-project.iam.gserviceaccount.com"},
                   {"client_id", "1234567890"},
                   {"token_uri", token_uri}};
        path = TempPath("key") + ".json";
        std::ofstream(path) << content.dump(2);
    }
    explicit KeyFile(const json& j) : content(j) {
        path = TempPath("key") + ".json";
        std::ofstream(path) << content.dump(2);
    }
    ~KeyFile() { std::filesystem::remove(path); }
};

std::string FromBase64Url(std::string_view s) {
    std::string b64(s);
    for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (b64.size() % 4) b64 += '=';
    std::string out(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    if (n < 0) return {};
    size_t pad = b64.size() - b64.find_last_not_of('=') - 1;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

FieldType Field(const std::string& type, const std::string& mode = "NULLABLE") {
    return bigquery::FieldTypeOf(json{{"name", "x"}, {"type", type}, {"mode", mode}});
}

// ---- URIs and credentials ----

TEST(BigQueryUri, ParsesEveryPart) {
    RsaPair rsa;
    KeyFile key(rsa.private_pem, "https://oauth2.googleapis.com/token");
    auto o = BigQueryWarehouse::ParseUri(
        "bigquery://my-project/crm_data?location=EU&endpoint=http://127.0.0.1:9999/&retry_for=7",
        Env({{"GOOGLE_APPLICATION_CREDENTIALS", key.path}}));
    ASSERT_TRUE(o) << o.error().ToString();
    EXPECT_EQ(o->project, "my-project");
    EXPECT_EQ(o->dataset, "crm_data");
    EXPECT_EQ(o->location, "EU");
    EXPECT_EQ(o->base_url, "http://127.0.0.1:9999");
    EXPECT_EQ(o->retry.total, std::chrono::seconds(7));
    ASSERT_TRUE(o->auth);
    EXPECT_TRUE(o->auth->renewable());
    EXPECT_EQ(o->auth->Describe(), "service account kith@unit-project.iam.gserviceaccount.com");

    auto plain = BigQueryWarehouse::ParseUri("bigquery://p/d", Env({{"BIGQUERY_ACCESS_TOKEN", "ya29.x"}}));
    ASSERT_TRUE(plain) << plain.error().ToString();
    EXPECT_EQ(plain->base_url, "https://bigquery.googleapis.com");
    EXPECT_EQ(plain->location, "");
    EXPECT_EQ(plain->retry.total, std::chrono::seconds(60));
    EXPECT_FALSE(plain->auth->renewable());
}

TEST(BigQueryUri, RefusesSecretsAndMalformedUris) {
    auto env = Env({{"BIGQUERY_ACCESS_TOKEN", "ya29.secret-token"}});
    for (const char* uri : {"bigquery://p", "bigquery://p/d/extra", "bigquery:///d", "bigquery://p/d?token=abc",
                            "bigquery://p/d?access_token=abc", "bigquery://p/d?colour=blue",
                            "bigquery://user:pw@p/d", "bigquery://p/d-with-dash", "bigquery://p/d?retry_for=x",
                            "bigquery://p/d?endpoint=ftp://h", "bigquery://p%60x/d", "bigquery://p/d?location=a%20b"}) {
        auto o = BigQueryWarehouse::ParseUri(uri, env);
        EXPECT_FALSE(o) << uri;
        if (!o) {
            EXPECT_EQ(o.error().code, ErrorCode::USAGE) << uri;
            EXPECT_EQ(o.error().message.find("abc"), std::string::npos) << o.error().message;
            EXPECT_EQ(o.error().message.find("pw"), std::string::npos) << o.error().message;
        }
    }
}

TEST(BigQueryAuth, NamesBothVariablesWhenNoneIsSet) {
    auto o = BigQueryWarehouse::ParseUri("bigquery://p/d", Env({}));
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().code, ErrorCode::USAGE);
    EXPECT_NE(o.error().message.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);
    EXPECT_NE(o.error().message.find("BIGQUERY_ACCESS_TOKEN"), std::string::npos);
}

TEST(BigQueryAuth, KeyFileComesFirstThenTheToken) {
    RsaPair rsa;
    KeyFile key(rsa.private_pem, "https://oauth2.googleapis.com/token");
    auto both = bigquery::Auth::FromEnvironment(
        Env({{"GOOGLE_APPLICATION_CREDENTIALS", key.path}, {"BIGQUERY_ACCESS_TOKEN", "ya29.t"}}));
    ASSERT_TRUE(both) << both.error().ToString();
    EXPECT_TRUE((*both)->renewable());
    EXPECT_EQ((*both)->key_project(), "unit-project");
    auto token = bigquery::Auth::FromEnvironment(Env({{"BIGQUERY_ACCESS_TOKEN", "ya29.t\n"}}));
    ASSERT_TRUE(token);
    EXPECT_FALSE((*token)->renewable());
    // A given token cannot be renewed: a 401 is final.
    EXPECT_FALSE((*token)->Invalidate("Authorization: Bearer ya29.t"));
}

TEST(BigQueryAuth, BadKeyFilesAreErrorsWithoutSecrets) {
    RsaPair rsa;
    KeyFile user(rsa.private_pem, "https://oauth2.googleapis.com/token", "kid", "authorized_user");
    KeyFile no_email(json{{"type", "service_account"}, {"private_key_id", "k"}, {"private_key", rsa.private_pem}});
    KeyFile bad_pem(json{{"type", "service_account"},
                         {"private_key_id", "k"},
                         {"client_email", "a@b"},
                         {"private_key", "-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n"}});
    std::string not_json_path = TempPath("notjson");
    std::ofstream(not_json_path) << "TOPSECRET not json";
    for (const std::string& path : {user.path, no_email.path, bad_pem.path, not_json_path,
                                    std::string("/nonexistent/key.json")}) {
        auto auth = bigquery::Auth::FromEnvironment(Env({{"GOOGLE_APPLICATION_CREDENTIALS", path}}));
        ASSERT_FALSE(auth) << path;
        EXPECT_EQ(auth.error().code, ErrorCode::USAGE) << auth.error().ToString();
        EXPECT_NE(auth.error().message.find("GOOGLE_APPLICATION_CREDENTIALS"), std::string::npos);
        EXPECT_EQ(auth.error().message.find("TOPSECRET"), std::string::npos) << auth.error().message;
        EXPECT_EQ(auth.error().message.find("BEGIN PRIVATE KEY"), std::string::npos) << auth.error().message;
    }
    std::filesystem::remove(not_json_path);
}

TEST(BigQueryAuth, AssertionClaimsAndSignature) {
    RsaPair rsa;
    KeyFile file(rsa.private_pem, "https://oauth2.googleapis.com/token", "0123abcd");
    std::ifstream in(file.path);
    std::stringstream text;
    text << in.rdbuf();
    auto key = bigquery::ParseServiceAccountKey(text.str(), "test key");
    ASSERT_TRUE(key) << key.error().ToString();
    auto jwt = bigquery::SignAssertion(*key, 1700000000);
    ASSERT_TRUE(jwt) << jwt.error().ToString();
    auto first = jwt->find('.');
    auto second = jwt->find('.', first + 1);
    ASSERT_NE(second, std::string::npos);
    json header = json::parse(FromBase64Url(jwt->substr(0, first)));
    json claims = json::parse(FromBase64Url(jwt->substr(first + 1, second - first - 1)));
    EXPECT_EQ(header, (json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "0123abcd"}}));
    EXPECT_EQ(claims["iss"], "kith@unit-project.iam.gserviceaccount.com");
    EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/bigquery");
    EXPECT_EQ(claims["aud"], "https://oauth2.googleapis.com/token");
    EXPECT_EQ(claims["iat"], 1700000000);
    EXPECT_EQ(claims["exp"], 1700003600);
    // The signature verifies with the public key (RSASSA-PKCS1-v1_5, SHA-256).
    std::string signature = FromBase64Url(jwt->substr(second + 1));
    std::string input = jwt->substr(0, second);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, rsa.key.get()), 1);
    EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    std::string tampered = input;
    tampered[tampered.size() - 1] ^= 1;
    ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, rsa.key.get()), 1);
    EXPECT_NE(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(tampered.data()), tampered.size()),
              1);
}

// ---- Values ----

TEST(BigQueryValues, DecodesEveryType) {
    struct Case {
        std::string type;
        std::string text;
        std::string expected;
    };
    std::vector<Case> cases = {
        {"INTEGER", "12", "12"},
        {"INT64", "-9223372036854775808", "-9223372036854775808"},
        {"FLOAT", "1.5", "1.5"},
        {"FLOAT", "100.0", "100"},
        {"FLOAT", "1.0E7", "10000000"},
        {"FLOAT", "1.5E-5", "1.5e-05"},
        {"FLOAT64", "-0.0", "0"},
        {"FLOAT", "NaN", "NaN"},
        {"FLOAT", "Infinity", "Infinity"},
        {"FLOAT", "-Infinity", "-Infinity"},
        {"NUMERIC", "-12.50", "-12.5"},
        {"NUMERIC", "100", "100"},
        {"NUMERIC", "-0", "0"},
        {"NUMERIC", "0.000000000", "0"},
        {"BIGNUMERIC", "12345678901234567890.123456789012345678", "12345678901234567890.123456789012345678"},
        {"BOOLEAN", "true", "true"},
        {"BOOL", "false", "false"},
        {"STRING", "Ada é 'x'", "Ada é 'x'"},
        {"DATE", "2024-01-02", "2024-01-02"},
        {"DATE", "0001-01-01", "0001-01-01"},
        {"TIME", "10:00:00", "10:00:00"},
        {"TIME", "23:59:59.500000", "23:59:59.500000"},
        {"DATETIME", "2024-01-02T10:00:00", "2024-01-02T10:00:00Z"},
        {"DATETIME", "2024-01-02T10:00:00.250000", "2024-01-02T10:00:00.250000Z"},
        {"DATETIME", "1969-12-31 23:59:59.5", "1969-12-31T23:59:59.500000Z"},
        {"TIMESTAMP", "1700000000000000", "2023-11-14T22:13:20Z"},
        {"TIMESTAMP", "1700000000500000", "2023-11-14T22:13:20.500000Z"},
        {"TIMESTAMP", "-1500000", "1969-12-31T23:59:58.500000Z"},
        {"TIMESTAMP", "1.7E9", "2023-11-14T22:13:20Z"},
        {"BYTES", "AAEC", "AAEC"},
        {"JSON", "{\"a\":1}", "{\"a\":1}"},
        {"GEOGRAPHY", "POINT(1 2)", "POINT(1 2)"},
    };
    for (const auto& c : cases) {
        FieldType t = Field(c.type);
        Cell cell = bigquery::CellOf(t, json(c.text));
        ASSERT_TRUE(cell) << c.type;
        EXPECT_EQ(*cell, c.expected) << c.type << " " << c.text;
    }
    // Kith's own canonical doubles.
    EXPECT_EQ(bigquery::CanonicalText(Field("FLOAT"), "NaN"), canonical::Double(std::nan("")));
    EXPECT_EQ(bigquery::CanonicalText(Field("FLOAT"), "1.5E-5"), canonical::Double(1.5e-5));
    // NULL, and text that does not parse as its type, unchanged.
    EXPECT_FALSE(bigquery::CellOf(Field("INTEGER"), json()).has_value());
    EXPECT_EQ(bigquery::CanonicalText(Field("DATE"), "not a date"), "not a date");
    EXPECT_EQ(bigquery::CanonicalText(Field("TIMESTAMP"), "soon"), "soon");
}

TEST(BigQueryValues, ColumnsFromTheSchema) {
    json schema = {{"fields",
                    {{{"name", "i"}, {"type", "INTEGER"}, {"mode", "NULLABLE"}},
                     {{"name", "f"}, {"type", "FLOAT"}},
                     {{"name", "n"}, {"type", "NUMERIC"}, {"precision", "10"}, {"scale", "2"}},
                     {{"name", "bn"}, {"type", "BIGNUMERIC"}},
                     {{"name", "b"}, {"type", "BOOLEAN"}},
                     {{"name", "s"}, {"type", "STRING"}},
                     {{"name", "d"}, {"type", "DATE"}},
                     {{"name", "t"}, {"type", "TIME"}},
                     {{"name", "dt"}, {"type", "DATETIME"}},
                     {{"name", "ts"}, {"type", "TIMESTAMP"}},
                     {{"name", "by"}, {"type", "BYTES"}},
                     {{"name", "a"}, {"type", "INTEGER"}, {"mode", "REPEATED"}},
                     {{"name", "r"},
                      {"type", "RECORD"},
                      {"fields", {{{"name", "x"}, {"type", "STRING"}}, {{"name", "y"}, {"type", "FLOAT"}}}}}}}};
    auto fields = bigquery::ParseSchema(schema);
    ASSERT_TRUE(fields) << fields.error().ToString();
    std::vector<std::tuple<std::string, std::string, DataType>> expected = {
        {"i", "INT64", DataType::NUMBER},
        {"f", "FLOAT64", DataType::NUMBER},
        {"n", "NUMERIC(10, 2)", DataType::NUMBER},
        {"bn", "BIGNUMERIC", DataType::NUMBER},
        {"b", "BOOL", DataType::BOOLEAN},
        {"s", "STRING", DataType::STRING},
        {"d", "DATE", DataType::DATE},
        {"t", "TIME", DataType::TIME},
        {"dt", "DATETIME", DataType::TIMESTAMP},
        {"ts", "TIMESTAMP", DataType::TIMESTAMP},
        {"by", "BYTES", DataType::OTHER},
        {"a", "ARRAY<INT64>", DataType::OTHER},
        {"r", "STRUCT<x STRING, y FLOAT64>", DataType::OTHER}};
    ASSERT_EQ(fields->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ((*fields)[i].first.name, std::get<0>(expected[i]));
        EXPECT_EQ((*fields)[i].first.engine_type, std::get<1>(expected[i]));
        EXPECT_EQ((*fields)[i].first.type, std::get<2>(expected[i])) << std::get<0>(expected[i]);
    }
    // Rows: cells by type; arrays and records as JSON text of their canonical values.
    std::vector<FieldType> types;
    for (const auto& [column, type] : *fields) types.push_back(type);
    json rows = json::array();
    rows.push_back({{"f",
                     {{{"v", "1"}},
                      {{"v", "2.5E10"}},
                      {{"v", "-3.10"}},
                      {{"v", nullptr}},
                      {{"v", "true"}},
                      {{"v", "x"}},
                      {{"v", "2024-05-01"}},
                      {{"v", "10:20:30.500000"}},
                      {{"v", "2024-05-01T10:00:00"}},
                      {{"v", "1714557600000000"}},
                      {{"v", "AAEC"}},
                      {{"v", json::array({{{"v", "1"}}, {{"v", "2"}}})}},
                      {{"v", {{"f", {{{"v", "a"}}, {{"v", "1.0E7"}}}}}}}}}});
    std::vector<std::vector<Cell>> out;
    ASSERT_TRUE(bigquery::AppendRows(rows, types, out));
    ASSERT_EQ(out.size(), 1u);
    std::vector<Cell> want = {"1",          "25000000000",          "-3.1",
                              std::nullopt, "true",                 "x",
                              "2024-05-01", "10:20:30.500000",      "2024-05-01T10:00:00Z",
                              "2024-05-01T10:00:00Z", "AAEC",       "[\"1\",\"2\"]",
                              "{\"x\":\"a\",\"y\":\"10000000\"}"};
    EXPECT_EQ(out[0], want);
    // A row of the wrong width is an error, not a shifted row.
    json bad = json::array({{{"f", {{{"v", "1"}}}}}});
    EXPECT_FALSE(bigquery::AppendRows(bad, types, out));
}

TEST(BigQueryValues, TypeNamesAndStorage) {
    EXPECT_EQ(bigquery::MapTypeName("INT64"), DataType::NUMBER);
    EXPECT_EQ(bigquery::MapTypeName("numeric(10, 2)"), DataType::NUMBER);
    EXPECT_EQ(bigquery::MapTypeName("STRING(20)"), DataType::STRING);
    EXPECT_EQ(bigquery::MapTypeName("BOOL"), DataType::BOOLEAN);
    EXPECT_EQ(bigquery::MapTypeName("DATETIME"), DataType::TIMESTAMP);
    EXPECT_EQ(bigquery::MapTypeName("ARRAY<INT64>"), DataType::OTHER);
    EXPECT_EQ(bigquery::MapTypeName("JSON"), DataType::OTHER);
    auto s = bigquery::StorageOf("n", "NUMERIC(10, 2)");
    EXPECT_EQ(s.type, StorageType::DECIMAL);
    EXPECT_EQ(s.precision, 10);
    EXPECT_EQ(s.scale, 2);
    EXPECT_EQ(bigquery::StorageOf("n", "NUMERIC").scale, 9);
    EXPECT_EQ(bigquery::StorageOf("n", "BIGNUMERIC").precision, 76);
    EXPECT_EQ(bigquery::StorageOf("i", "INT64").type, StorageType::BIGINT);
    EXPECT_EQ(bigquery::StorageOf("f", "FLOAT64").type, StorageType::DOUBLE);
    EXPECT_EQ(bigquery::StorageOf("dt", "DATETIME").type, StorageType::TIMESTAMP);
    EXPECT_EQ(bigquery::StorageOf("ts", "TIMESTAMP").type, StorageType::TIMESTAMPTZ);
    EXPECT_EQ(bigquery::StorageOf("a", "ARRAY<INT64>").type, StorageType::TEXT);
}

// ---- Against the BigQuery stand-in (scripts/standin.sh start bigquery) ----

struct BigQueryStandin {
    std::string uri;
    std::string key_path;
    int port = 0;
    std::string access_token;
    std::string error;
};

//! The running stand-in (started once per process; the environment then holds its GOOGLE_APPLICATION_CREDENTIALS).
const BigQueryStandin& Standin() {
    static const BigQueryStandin standin = [] {
        BigQueryStandin s;
        auto started = test::SparkStandin::Start("bigquery");
        if (!started) {
            s.error = started.error().ToString();
            return s;
        }
        s.uri = started->uri;
        s.key_path = started->Env("GOOGLE_APPLICATION_CREDENTIALS");
        s.port = started->proxy_port;
        std::ifstream token(std::string(KITH_SOURCE_DIR) + "/.standin/bigquery/access_token");
        std::getline(token, s.access_token);
        if (s.port == 0 || s.key_path.empty()) {
            s.error = "no endpoint in KITH_WAREHOUSE (" + s.uri + ") or no GOOGLE_APPLICATION_CREDENTIALS exported";
        }
        return s;
    }();
    return standin;
}

//! A project id of this test's own: the stand-in scopes faults, counters and statements by it (storage is shared).
struct Scope {
    std::string project;
    std::string uri;
};

Scope OwnScope(const std::string& query = {}) {
    static std::atomic<int> serial{0};
    Scope s;
    s.project = "kith-t" + std::to_string(getpid()) + "-" + std::to_string(++serial);
    s.uri = Standin().uri;
    const std::string key = "bigquery://standin-project/";
    if (auto at = s.uri.find(key); at != std::string::npos) {
        s.uri.replace(at, key.size(), "bigquery://" + s.project + "/");
    }
    if (!query.empty()) s.uri += "&" + query;
    return s;
}

json Admin(const std::string& method, const std::string& route, const Scope& scope, const json& body = {}) {
    httplib::Client cli("127.0.0.1", Standin().port);
    cli.set_read_timeout(30);
    std::string path = route + "?scope=" + scope.project;
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

//! A copy of the stand-in's key file whose token_uri carries ?scope=PROJECT (the token endpoint's faults and
//! counters are then the scope's).
struct ScopedKey {
    std::unique_ptr<KeyFile> file;
    explicit ScopedKey(const Scope& scope) {
        std::ifstream in(Standin().key_path);
        json key = json::parse(in);
        key["token_uri"] = key["token_uri"].get<std::string>() + "?scope=" + scope.project;
        file = std::make_unique<KeyFile>(key);
    }
};

class BigQueryStandinTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(Standin().error.empty()) << Standin().error;
        scope_ = OwnScope();
        key_ = std::make_unique<ScopedKey>(scope_);
        auto o = BigQueryWarehouse::ParseUri(scope_.uri, Env({{"GOOGLE_APPLICATION_CREDENTIALS", key_->file->path}}));
        ASSERT_TRUE(o) << o.error().ToString();
        options_ = *o;
        auto wh = BigQueryWarehouse::Open(options_);
        ASSERT_TRUE(wh) << wh.error().ToString();
        wh_ = std::move(*wh);
    }
    void TearDown() override {
        if (!scope_.project.empty() && Standin().error.empty()) Admin("DELETE", "/_standin/faults", scope_);
    }

    std::unique_ptr<BigQueryWarehouse> Reopen(const BigQueryOptions& o) {
        auto wh = BigQueryWarehouse::Open(o);
        EXPECT_TRUE(wh);
        return wh ? std::move(*wh) : nullptr;
    }

    std::vector<std::vector<Cell>> All(const std::string& sql, std::span<const Param> params = {}) {
        auto rows = QueryAll(*wh_, sql, params);
        EXPECT_TRUE(rows) << sql << ": " << rows.error().ToString();
        return rows ? *rows : std::vector<std::vector<Cell>>{};
    }

    //! Every statement of this scope ran exactly once, and no requestId made two jobs.
    void ExpectEachRanOnce() {
        json statements = Statements(scope_);
        ASSERT_TRUE(statements.is_array());
        std::map<std::string, int> by_request;
        for (const auto& st : statements) {
            EXPECT_EQ(st.value("executions", 0), 1) << st.dump();
            ++by_request[st.value("request_id", "")];
        }
        for (const auto& [id, count] : by_request) EXPECT_EQ(count, 1) << "requestId " << id << " made " << count;
        json stats = Stats(scope_);
        for (const auto& [id, count] : stats["executions_by_request_id"].items()) EXPECT_EQ(count, 1) << id;
    }

    //! A table name of this test's own in the dataset kith.
    std::string Table(const std::string& stem) {
        std::string t = stem + "_" + scope_.project;
        std::replace(t.begin(), t.end(), '-', '_');
        return t;
    }

    Scope scope_;
    std::unique_ptr<ScopedKey> key_;
    BigQueryOptions options_;
    std::unique_ptr<BigQueryWarehouse> wh_;
};

TEST_F(BigQueryStandinTest, RoundTripOfEveryType) {
    auto stream = wh_->Query(
        "SELECT 42 AS i, CAST(-12.50 AS NUMERIC) AS n, CAST(0 AS NUMERIC) AS z, "
        "CAST('123.4500' AS BIGNUMERIC) AS bn, CAST(2.25 AS FLOAT64) AS f, CAST(1e7 AS FLOAT64) AS big, 'Ada é' AS s, TRUE AS b, "
        "DATE '2024-05-01' AS d, TIME '10:20:30.5' AS t, DATETIME '2024-05-01 10:00:00.25' AS dt, "
        "TIMESTAMP '2024-05-01 12:00:00+02:00' AS ts, CAST(NULL AS STRING) AS nul, "
        "DATETIME '1969-12-31 23:59:58.5' AS old, b'\\x00\\x01' AS by");
    ASSERT_TRUE(stream) << stream.error().ToString();
    std::vector<std::tuple<std::string, std::string, DataType>> expected_columns = {
        {"i", "INT64", DataType::NUMBER},       {"n", "NUMERIC", DataType::NUMBER},
        {"z", "NUMERIC", DataType::NUMBER},     {"bn", "BIGNUMERIC", DataType::NUMBER},
        {"f", "FLOAT64", DataType::NUMBER},     {"big", "FLOAT64", DataType::NUMBER},
        {"s", "STRING", DataType::STRING},      {"b", "BOOL", DataType::BOOLEAN},
        {"d", "DATE", DataType::DATE},          {"t", "TIME", DataType::TIME},
        {"dt", "DATETIME", DataType::TIMESTAMP}, {"ts", "TIMESTAMP", DataType::TIMESTAMP},
        {"nul", "STRING", DataType::STRING},    {"old", "DATETIME", DataType::TIMESTAMP},
        {"by", "BYTES", DataType::OTHER}};
    const auto& columns = (*stream)->columns();
    ASSERT_EQ(columns.size(), expected_columns.size());
    for (size_t i = 0; i < columns.size(); ++i) {
        EXPECT_EQ(columns[i].name, std::get<0>(expected_columns[i]));
        EXPECT_EQ(columns[i].engine_type, std::get<1>(expected_columns[i])) << columns[i].name;
        EXPECT_EQ(columns[i].type, std::get<2>(expected_columns[i])) << columns[i].name;
    }
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more && *more) << (more ? "no rows" : more.error().ToString());
    ASSERT_EQ(chunk.rows.size(), 1u);
    std::vector<Cell> expected = {"42",
                                  "-12.5",
                                  "0",
                                  "123.45",
                                  "2.25",
                                  "10000000",
                                  "Ada é",
                                  "true",
                                  "2024-05-01",
                                  "10:20:30.500000",
                                  "2024-05-01T10:00:00.250000Z",
                                  "2024-05-01T10:00:00Z",
                                  std::nullopt,
                                  "1969-12-31T23:59:58.500000Z",
                                  "AAE="};
    EXPECT_EQ(chunk.rows[0], expected);
    more = (*stream)->Next(chunk);
    ASSERT_TRUE(more);
    EXPECT_FALSE(*more);
}

TEST_F(BigQueryStandinTest, ParametersAreBoundAsText) {
    Param params[] = {Param{"it's \\ \"x\""}, std::nullopt, Param{"7"}, Param{"2024-01-02"}};
    auto rows = All("SELECT ? AS a, ? AS b, CAST(? AS INT64) + 1 AS c, CAST(? AS DATE) AS d", params);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "it's \\ \"x\"");
    EXPECT_FALSE(rows[0][1].has_value());
    EXPECT_EQ(rows[0][2], "8");
    EXPECT_EQ(rows[0][3], "2024-01-02");
    json statements = Statements(scope_);
    ASSERT_EQ(statements.size(), 1u);
}

TEST_F(BigQueryStandinTest, InvalidQueryIsNotRetried) {
    auto rows = QueryAll(*wh_, "SELEKT 1");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().code, ErrorCode::WAREHOUSE);
    EXPECT_EQ(rows.error().location, "bigquery");
    EXPECT_FALSE(rows.error().transient);
    EXPECT_NE(rows.error().message.find("jobs.query"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find("invalidQuery"), std::string::npos) << rows.error().message;
    EXPECT_EQ(Stats(scope_)["queries"], 1);
    auto missing = QueryAll(*wh_, "SELECT * FROM no_such_table_anywhere");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("Not found"), std::string::npos) << missing.error().message;
    EXPECT_EQ(Stats(scope_)["queries"], 2);
}

TEST_F(BigQueryStandinTest, AsyncJobIsPolledUntilDone) {
    BigQueryOptions o = options_;
    o.wait_ms = 100; // jobs.query answers jobComplete false before the delayed job has run
    auto wh = Reopen(o);
    ASSERT_TRUE(wh);
    Fault(scope_, {{"delay_ms", 1200}});
    auto start = std::chrono::steady_clock::now();
    auto rows = QueryAll(*wh, "SELECT 'late' AS x");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1100));
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0][0], "late");
    ExpectEachRanOnce();
}

TEST_F(BigQueryStandinTest, PagesAreReadOneAtATime) {
    Fault(scope_, {{"page_rows", 700}});
    auto stream = wh_->Query("SELECT x FROM UNNEST(GENERATE_ARRAY(1, 5000)) AS x ORDER BY x");
    ASSERT_TRUE(stream) << stream.error().ToString();
    auto* bq = dynamic_cast<BigQueryRowStream*>(stream->get());
    ASSERT_NE(bq, nullptr);
    EXPECT_EQ(bq->pages_read(), 1u);
    size_t total = 0;
    long expect = 1;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        EXPECT_LE(chunk.size(), 2048u);
        for (const auto& row : chunk.rows) {
            ASSERT_EQ(row[0], std::to_string(expect));
            ++expect;
        }
        total += chunk.size();
        // Memory stays flat: never more than one page held.
        EXPECT_LE(bq->max_buffered_rows(), 700u);
    }
    EXPECT_EQ(total, 5000u);
    EXPECT_EQ(bq->pages_read(), 8u); // ceil(5000 / 700)
}

TEST_F(BigQueryStandinTest, LargePageIsHandedOutInChunks) {
    auto stream = wh_->Query("SELECT x, CONCAT('row ', CAST(x AS STRING)) AS s FROM UNNEST(GENERATE_ARRAY(1, 5000)) AS x");
    ASSERT_TRUE(stream) << stream.error().ToString();
    std::vector<size_t> sizes;
    Chunk chunk;
    while (true) {
        auto more = (*stream)->Next(chunk);
        ASSERT_TRUE(more) << more.error().ToString();
        if (!*more) break;
        sizes.push_back(chunk.size());
    }
    EXPECT_EQ(sizes, (std::vector<size_t>{2048, 2048, 904}));
}

TEST_F(BigQueryStandinTest, InterruptCancelsTheJobOnTheServer) {
    Fault(scope_, {{"delay_ms", 8000}});
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        wh_->Interrupt();
    });
    auto start = std::chrono::steady_clock::now();
    auto rows = QueryAll(*wh_, "SELECT 'never' AS x");
    interrupter.join();
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().message, "the statement was interrupted (cancelled on the server)");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
    // The job was cancelled on the server and never ran.
    json stats = Stats(scope_);
    EXPECT_GE(stats.value("cancelled", 0), 1) << stats.dump();
    EXPECT_EQ(stats.value("executed", -1), 0) << stats.dump();
    // The connection serves the next statement.
    auto next = QueryAll(*wh_, "SELECT 1 AS one");
    ASSERT_TRUE(next) << next.error().ToString();
}

TEST_F(BigQueryStandinTest, InterruptWhileWaitingForPollsCancels) {
    BigQueryOptions o = options_;
    o.wait_ms = 100;
    auto wh = Reopen(o);
    Fault(scope_, {{"delay_ms", 8000}});
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        wh->Interrupt();
    });
    auto rows = QueryAll(*wh, "SELECT 'never' AS x");
    interrupter.join();
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().message, "the statement was interrupted (cancelled on the server)");
    EXPECT_GE(Stats(scope_).value("cancelled", 0), 1);
}

TEST_F(BigQueryStandinTest, TooManyRequestsHonoursRetryAfter) {
    Fault(scope_, {{"status", 429}, {"reason", "rateLimitExceeded"}, {"retry_after", 1}});
    auto start = std::chrono::steady_clock::now();
    auto rows = All("SELECT 1 AS one");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(Stats(scope_)["faulted"], 1);
    ExpectEachRanOnce();
}

TEST_F(BigQueryStandinTest, BackendErrorsAreRetried) {
    Fault(scope_, {{"status", 503}, {"reason", "backendError"}});
    Fault(scope_, {{"status", 500}, {"reason", "backendError"}});
    Fault(scope_, {{"status", 403}, {"reason", "rateLimitExceeded"}});
    Fault(scope_, {{"status", 500}, {"reason", "internalError"}});
    auto rows = All("SELECT 1 AS one");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(Stats(scope_)["faulted"], 4);
    ExpectEachRanOnce();
}

TEST_F(BigQueryStandinTest, PollsAndPagesAreRetriedToo) {
    Fault(scope_, {{"page_rows", 2}});
    Fault(scope_, {{"status", 503}, {"reason", "backendError"}, {"method", "GET"}, {"count", 2}});
    auto rows = All("SELECT x FROM UNNEST(GENERATE_ARRAY(1, 5)) AS x ORDER BY x");
    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[4][0], "5");
    EXPECT_EQ(Stats(scope_)["faulted"], 2);
}

TEST_F(BigQueryStandinTest, RetriesStopAtTheBudget) {
    BigQueryOptions o = options_;
    o.retry.total = std::chrono::milliseconds(1500);
    auto wh = Reopen(o);
    Fault(scope_, {{"status", 503}, {"reason", "backendError"}, {"count", 1000}});
    auto start = std::chrono::steady_clock::now();
    auto rows = QueryAll(*wh, "SELECT 1");
    ASSERT_FALSE(rows);
    EXPECT_TRUE(rows.error().transient);
    EXPECT_NE(rows.error().message.find("backendError"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find("attempts"), std::string::npos) << rows.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
    EXPECT_EQ(Stats(scope_)["executed"], 0);
}

TEST_F(BigQueryStandinTest, DroppedConnectionBeforeExecution) {
    std::string table = Table("dropped_before");
    ASSERT_TRUE(wh_->Execute("CREATE TABLE " + table + " (x INT64)"));
    Fault(scope_, {{"drop", 1}});
    auto ok = wh_->Execute("INSERT INTO " + table + " (x) VALUES (1)");
    ASSERT_TRUE(ok) << ok.error().ToString();
    auto rows = All("SELECT COUNT(*) FROM " + table);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "1");
    ExpectEachRanOnce();
    (void)wh_->Execute("DROP TABLE " + table);
}

TEST_F(BigQueryStandinTest, DroppedConnectionAfterExecutionDoesNotRunTwice) {
    std::string table = Table("dropped_after");
    ASSERT_TRUE(wh_->Execute("CREATE TABLE " + table + " (x INT64)"));
    Fault(scope_, {{"drop_after_execute", 1}});
    auto ok = wh_->Execute("INSERT INTO " + table + " (x) VALUES (1)");
    ASSERT_TRUE(ok) << ok.error().ToString();
    auto rows = All("SELECT COUNT(*) FROM " + table);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "1");
    EXPECT_EQ(Stats(scope_)["faulted"], 1);
    ExpectEachRanOnce();
    (void)wh_->Execute("DROP TABLE " + table);
}

TEST_F(BigQueryStandinTest, ExpiredTokenIsRenewedOnce) {
    ASSERT_TRUE(All("SELECT 1").size() == 1);
    EXPECT_EQ(Stats(scope_)["tokens_issued"], 1);
    Fault(scope_, {{"expire_token", 1}});
    ASSERT_TRUE(All("SELECT 2").size() == 1);
    json stats = Stats(scope_);
    EXPECT_EQ(stats["tokens_issued"], 2);
    EXPECT_EQ(stats["unauthorized"], 1);
    // Two refusals in a row: renewed once, then the error (naming the credentials, not the token).
    Fault(scope_, {{"expire_token", 1}, {"count", 2}});
    auto rows = QueryAll(*wh_, "SELECT 3");
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("authentication failed"), std::string::npos) << rows.error().message;
    EXPECT_EQ(rows.error().message.find("ya29"), std::string::npos) << rows.error().message;
}

TEST_F(BigQueryStandinTest, ShortLivedTokensAreRenewedBeforeTheyExpire) {
    Fault(scope_, {{"token_lifetime_s", 4}}); // expires_in 3: renewed after 2 s (1 s before its end)
    ASSERT_TRUE(All("SELECT 1").size() == 1);
    ASSERT_TRUE(All("SELECT 1").size() == 1);
    EXPECT_EQ(Stats(scope_)["tokens_issued"], 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    ASSERT_TRUE(All("SELECT 1").size() == 1);
    json stats = Stats(scope_);
    EXPECT_EQ(stats["tokens_issued"], 2);
    EXPECT_EQ(stats["unauthorized"], 0); // renewed before the server refused it
    // Another connection shares the token.
    auto other = wh_->Connect();
    ASSERT_TRUE(other);
    ASSERT_TRUE(QueryAll(**other, "SELECT 1"));
    EXPECT_EQ(Stats(scope_)["tokens_issued"], 2);
}

TEST_F(BigQueryStandinTest, AccessTokenWorksAndAnExpiredOneIsFinal) {
    ASSERT_FALSE(Standin().access_token.empty());
    auto o = BigQueryWarehouse::ParseUri(scope_.uri, Env({{"BIGQUERY_ACCESS_TOKEN", Standin().access_token}}));
    ASSERT_TRUE(o) << o.error().ToString();
    auto wh = Reopen(*o);
    auto rows = QueryAll(*wh, "SELECT 'ok' AS x");
    ASSERT_TRUE(rows) << rows.error().ToString();
    Fault(scope_, {{"expire_token", 1}});
    rows = QueryAll(*wh, "SELECT 'ok' AS x");
    ASSERT_FALSE(rows);
    EXPECT_NE(rows.error().message.find("BIGQUERY_ACCESS_TOKEN"), std::string::npos) << rows.error().message;
    EXPECT_EQ(rows.error().message.find(Standin().access_token), std::string::npos) << rows.error().message;
    EXPECT_EQ(Stats(scope_)["unauthorized"], 1);
}

TEST_F(BigQueryStandinTest, AnotherKeyIsRefusedWithoutSecrets) {
    std::ifstream in(key_->file->path);
    json key = json::parse(in);
    RsaPair other;
    key["private_key"] = other.private_pem;
    KeyFile wrong(key);
    auto o = BigQueryWarehouse::ParseUri(scope_.uri, Env({{"GOOGLE_APPLICATION_CREDENTIALS", wrong.path}}));
    ASSERT_TRUE(o) << o.error().ToString();
    auto wh = Reopen(*o);
    auto rows = QueryAll(*wh, "SELECT 1");
    ASSERT_FALSE(rows);
    const std::string& m = rows.error().message;
    EXPECT_NE(m.find("invalid_grant"), std::string::npos) << m;
    EXPECT_EQ(m.find("PRIVATE KEY"), std::string::npos) << m;
    EXPECT_EQ(m.find("eyJ"), std::string::npos) << m; // no JWT (assertion)
    EXPECT_EQ(Stats(scope_)["queries"], 0);
}

TEST_F(BigQueryStandinTest, TokenEndpointFailuresAreRetried) {
    Fault(scope_, {{"status", 503}, {"path", "/token"}});
    auto rows = QueryAll(*wh_, "SELECT 1");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ(Stats(scope_)["tokens_issued"], 1);
}

TEST_F(BigQueryStandinTest, CatalogCreateTableAndBulkLoad) {
    std::string table = Table("loaded");
    TableName name{"", "", table};
    std::vector<ColumnDef> defs = {{"id", StorageType::BIGINT, 0, 0},
                                   {"amount", StorageType::DECIMAL, 10, 2},
                                   {"ratio", StorageType::DOUBLE, 0, 0},
                                   {"name", StorageType::TEXT, 0, 0},
                                   {"ok", StorageType::BOOLEAN, 0, 0},
                                   {"day", StorageType::DATE, 0, 0},
                                   {"at", StorageType::TIMESTAMPTZ, 0, 0}};
    (void)wh_->Execute("DROP TABLE IF EXISTS " + table);
    auto created = wh_->CreateTable(name, defs);
    ASSERT_TRUE(created) << created.error().ToString();
    auto described = wh_->DescribeTable(name);
    ASSERT_TRUE(described) << described.error().ToString();
    ASSERT_TRUE(described->has_value());
    ASSERT_EQ((*described)->size(), defs.size());
    EXPECT_EQ((**described)[0].name, "id");
    EXPECT_EQ((**described)[0].engine_type, "INT64");
    EXPECT_EQ((**described)[0].type, DataType::NUMBER);
    EXPECT_EQ((**described)[3].type, DataType::STRING);
    EXPECT_EQ((**described)[6].type, DataType::TIMESTAMP);
    auto qualified = wh_->DescribeTable(TableName{scope_.project, "kith", table});
    ASSERT_TRUE(qualified && qualified->has_value());
    auto none = wh_->DescribeTable(TableName{"", "", "no_such_table_here"});
    ASSERT_TRUE(none) << none.error().ToString();
    EXPECT_FALSE(none->has_value());
    auto no_dataset = wh_->DescribeTable(TableName{"", "no_such_dataset", "t"});
    ASSERT_TRUE(no_dataset) << no_dataset.error().ToString();
    EXPECT_FALSE(no_dataset->has_value());

    std::vector<std::string> columns = {"id", "amount", "ratio", "name", "ok", "day", "at"};
    auto writer = wh_->BulkWriter(name, columns);
    ASSERT_TRUE(writer) << writer.error().ToString();
    Chunk chunk;
    chunk.rows = {{"1", "12.5", "0.25", "it's \\ a", "true", "2024-05-01", "2024-05-01T10:00:00Z"},
                  {"2", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
    auto appended = (*writer)->Append(chunk);
    ASSERT_TRUE(appended) << appended.error().ToString();
    auto finished = (*writer)->Finish();
    ASSERT_TRUE(finished) << finished.error().ToString();
    auto rows = All("SELECT id, amount, ratio, name, ok, day, at FROM " + table + " ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    std::vector<Cell> first = {"1", "12.5", "0.25", "it's \\ a", "true", "2024-05-01", "2024-05-01T10:00:00Z"};
    EXPECT_EQ(rows[0], first);
    EXPECT_EQ(rows[1][0], "2");
    EXPECT_FALSE(rows[1][1].has_value());

    auto tables = wh_->ListTables("kith");
    ASSERT_TRUE(tables) << tables.error().ToString();
    EXPECT_NE(std::find(tables->begin(), tables->end(), TableName{"", "kith", table}), tables->end());
    EXPECT_EQ(std::find(tables->begin(), tables->end(), TableName{"", "kith", table + "__kith_load"}),
              tables->end());
    auto all = wh_->ListTables();
    ASSERT_TRUE(all) << all.error().ToString();
    EXPECT_NE(std::find(all->begin(), all->end(), TableName{"", "kith", table}), all->end());
    (void)wh_->Execute("DROP TABLE " + table);
}

TEST_F(BigQueryStandinTest, ScriptsAndDmlRunAsOneStatement) {
    std::string table = Table("script");
    auto ok = wh_->Execute("CREATE TABLE " + table + " (x INT64); INSERT INTO " + table + " (x) VALUES (1), (2)");
    ASSERT_TRUE(ok) << ok.error().ToString();
    auto rows = All("SELECT SUM(x) FROM " + table);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "3");
    auto stream = wh_->Query("DELETE FROM " + table + " WHERE x = 1");
    ASSERT_TRUE(stream) << stream.error().ToString();
    EXPECT_TRUE((*stream)->columns().empty());
    Chunk chunk;
    auto more = (*stream)->Next(chunk);
    ASSERT_TRUE(more);
    EXPECT_FALSE(*more);
    stream->reset();
    (void)wh_->Execute("DROP TABLE " + table);
}

TEST_F(BigQueryStandinTest, OpenThroughTheGenericEntryPoint) {
    auto wh = warehouse::Open(scope_.uri);
    ASSERT_TRUE(wh) << wh.error().ToString();
    EXPECT_EQ((*wh)->dialect(), "bigquery");
    auto rows = QueryAll(**wh, "SELECT 'generic' AS x");
    ASSERT_TRUE(rows) << rows.error().ToString();
    EXPECT_EQ((*rows)[0][0], "generic");
}

} // namespace
} // namespace kith::warehouse
