#include "warehouse/rest/jwt.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace kith::warehouse::rest {
namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

Pkey Generate() { return Pkey(EVP_RSA_gen(2048), &EVP_PKEY_free); }

// The key as PKCS#8 PEM, encrypted with AES-256-CBC when a passphrase is given.
std::string Pkcs8Pem(EVP_PKEY* key, const std::string& passphrase = {}) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    const EVP_CIPHER* cipher = passphrase.empty() ? nullptr : EVP_aes_256_cbc();
    EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, passphrase.empty() ? nullptr : passphrase.data(),
                                            static_cast<int>(passphrase.size()), nullptr, nullptr),
              1);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

std::string Base64Decode(std::string text, bool url) {
    if (url) {
        for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
        while (text.size() % 4) text += '=';
    }
    std::string out(text.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    EXPECT_GE(n, 0);
    size_t pad = text.size() >= 2 && text.substr(text.size() - 2) == "==" ? 2 : !text.empty() && text.back() == '=';
    out.resize(static_cast<size_t>(n) - pad);
    return out;
}

std::pair<int, std::string> Shell(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, ""};
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return {status, out};
}

TEST(Jwt, Base64UrlHasNoPaddingAndUrlAlphabet) {
    EXPECT_EQ(Base64Url(""), "");
    EXPECT_EQ(Base64Url("f"), "Zg");
    EXPECT_EQ(Base64Url("fo"), "Zm8");
    EXPECT_EQ(Base64Url("foo"), "Zm9v");
    EXPECT_EQ(Base64Url("\xfb\xff\xbf"), "-_-_");
    EXPECT_EQ(Base64("f"), "Zg==");
    EXPECT_EQ(Base64("fo"), "Zm8=");
    EXPECT_EQ(Base64("\xfb\xff\xbf"), "+/+/");
}

TEST(Jwt, SignedTokenVerifiesWithThePublicKey) {
    Pkey generated = Generate();
    ASSERT_TRUE(generated);
    auto key = RsaKey::FromPem(Pkcs8Pem(generated.get()), "");
    ASSERT_TRUE(key) << key.error().message;
    nlohmann::json claims = {{"iss", "ACCT.KITH.SHA256:abc"}, {"sub", "ACCT.KITH"}, {"iat", 1700000000},
                             {"exp", 1700003540}};
    auto jwt = SignJwt(*key, claims);
    ASSERT_TRUE(jwt) << jwt.error().message;
    auto dot1 = jwt->find('.');
    auto dot2 = jwt->find('.', dot1 + 1);
    ASSERT_NE(dot2, std::string::npos);
    EXPECT_EQ(jwt->find_first_of("+/="), std::string::npos);
    auto header = nlohmann::json::parse(Base64Decode(jwt->substr(0, dot1), true));
    EXPECT_EQ(header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}}));
    EXPECT_EQ(nlohmann::json::parse(Base64Decode(jwt->substr(dot1 + 1, dot2 - dot1 - 1), true)), claims);
    std::string signature = Base64Decode(jwt->substr(dot2 + 1), true);
    EXPECT_EQ(signature.size(), 256u);

    // Verified with OpenSSL against the original key's public half.
    std::string input = jwt->substr(0, dot2);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, generated.get()), 1);
    EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    // A changed claim no longer verifies.
    std::string tampered = input;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, generated.get()), 1);
    EXPECT_NE(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(tampered.data()), tampered.size()),
              1);
}

TEST(Jwt, EncryptedKeyNeedsItsPassphraseAndErrorsHoldNoSecret) {
    Pkey generated = Generate();
    const std::string passphrase = "s3cret-Passphrase!";
    std::string pem = Pkcs8Pem(generated.get(), passphrase);
    ASSERT_NE(pem.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
    auto key = RsaKey::FromPem(pem, passphrase, "test.p8");
    ASSERT_TRUE(key) << key.error().message;

    auto wrong = RsaKey::FromPem(pem, "not-the-passphrase", "test.p8");
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos) << wrong.error().message;
    EXPECT_EQ(wrong.error().message.find("not-the-passphrase"), std::string::npos);
    EXPECT_EQ(wrong.error().message.find("PRIVATE KEY-----"), std::string::npos);

    auto none = RsaKey::FromPem(pem, "", "test.p8");
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("encrypted and no passphrase"), std::string::npos) << none.error().message;

    auto garbage = RsaKey::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "x.p8");
    ASSERT_FALSE(garbage);
    EXPECT_NE(garbage.error().message.find("x.p8"), std::string::npos);
}

TEST(Jwt, EcKeyIsRefused) {
    Pkey ec(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    ASSERT_TRUE(ec);
    auto key = RsaKey::FromPem(Pkcs8Pem(ec.get()), "", "ec.p8");
    ASSERT_FALSE(key);
    EXPECT_NE(key.error().message.find("not an RSA key"), std::string::npos);
}

TEST(Jwt, FingerprintMatchesOpenSslCli) {
    Pkey generated = Generate();
    std::string pem = Pkcs8Pem(generated.get());
    auto dir = std::filesystem::temp_directory_path() / ("kith_jwt_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto path = (dir / "key.p8").string();
    std::ofstream(path) << pem;
    auto key = RsaKey::FromFile(path, "");
    ASSERT_TRUE(key) << key.error().message;
    auto fingerprint = key->Fingerprint();
    ASSERT_TRUE(fingerprint);
    ASSERT_TRUE(fingerprint->starts_with("SHA256:"));

    // As Snowflake's docs compute RSA_PUBLIC_KEY_FP.
    auto [status, cli] = Shell("openssl pkey -in '" + path +
                               "' -pubout -outform DER 2>/dev/null | openssl dgst -sha256 -binary | base64");
    std::filesystem::remove_all(dir);
    if (status != 0 || cli.empty()) GTEST_SKIP() << "the openssl command is not available";
    EXPECT_EQ(*fingerprint, "SHA256:" + cli);
}

} // namespace
} // namespace kith::warehouse::rest
