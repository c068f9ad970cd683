// The Snowflake driver: URIs, credentials, JWT claims and value decoding without a server; the protocol (async
// polling, partitions, retries, cancel, token renewal) against a scripted local server; and everything again
// against the Snowflake stand-in (scripts/standin.sh start snowflake), when it can be started.
#include "warehouse/snowflake_warehouse.hpp"

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

} // namespace
} // namespace kith::warehouse
