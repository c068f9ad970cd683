#include "warehouse/rest/jwt.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace kith::warehouse::rest {

namespace {

EVP_PKEY* Key(const std::shared_ptr<void>& key) { return static_cast<EVP_PKEY*>(key.get()); }

// OpenSSL's last error as text ("bad decrypt"), with the queue cleared; never key material.
std::string OpenSslError() {
    unsigned long code = ERR_get_error();
    unsigned long last = code;
    while (last != 0) {
        code = last;
        last = ERR_get_error();
    }
    if (code == 0) return "unknown error";
    const char* reason = ERR_reason_error_string(code);
    return reason ? reason : fmt::format("error {:#x}", code);
}

struct Passphrase {
    std::string_view text;
    bool asked = false;
};

// Hands OpenSSL the passphrase; with none, fails instead of prompting on the terminal.
int PassphraseCallback(char* buf, int size, int, void* user) {
    auto* p = static_cast<Passphrase*>(user);
    p->asked = true;
    if (p->text.empty() || static_cast<int>(p->text.size()) > size) return -1;
    std::memcpy(buf, p->text.data(), p->text.size());
    return static_cast<int>(p->text.size());
}

std::string Encode(std::string_view bytes, bool url) {
    static constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char* alphabet = url ? kUrl : kStd;
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                     uint32_t(uint8_t(bytes[i + 2]));
        for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
    }
    size_t rest = bytes.size() - i;
    if (rest > 0) {
        uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
        if (rest == 2) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (rest == 2) out += alphabet[(v >> 6) & 63];
        if (!url) out += rest == 2 ? "=" : "==";
    }
    return out;
}

} // namespace

std::string Base64Url(std::string_view bytes) { return Encode(bytes, true); }

std::string Base64(std::string_view bytes) { return Encode(bytes, false); }

Result<RsaKey> RsaKey::FromPem(std::string_view pem, std::string_view passphrase, std::string_view what) {
    ERR_clear_error();
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                  &BIO_free);
    if (!bio) return Fail(ErrorCode::INTERNAL, "BIO_new_mem_buf failed");
    Passphrase p{passphrase};
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, &PassphraseCallback, &p);
    if (pkey == nullptr) {
        std::string reason = OpenSslError();
        std::string message;
        if (p.asked && passphrase.empty()) {
            message = fmt::format("the private key in {} is encrypted and no passphrase was given", what);
        } else if (p.asked) {
            message = fmt::format("cannot decrypt the private key in {} (wrong passphrase?): {}", what, reason);
        } else {
            message = fmt::format("cannot read the private key in {} (expected a PKCS#8 PEM RSA key): {}", what,
                                  reason);
        }
        return Fail(ErrorCode::USAGE, std::move(message));
    }
    RsaKey key;
    key.key_ = std::shared_ptr<void>(pkey, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        return Fail(ErrorCode::USAGE, fmt::format("the private key in {} is not an RSA key", what));
    }
    return key;
}

Result<RsaKey> RsaKey::FromFile(const std::string& path, std::string_view passphrase) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Fail(ErrorCode::IO, "cannot open the private key file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string pem = text.str();
    auto key = FromPem(pem, passphrase, path);
    std::fill(pem.begin(), pem.end(), '\0');
    return key;
}

Result<std::string> RsaKey::Fingerprint() const {
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(Key(key_), &der);
    if (n <= 0) return Fail(ErrorCode::INTERNAL, "cannot encode the public key: " + OpenSslError());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    int ok = EVP_Digest(der, static_cast<size_t>(n), digest, &digest_size, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    if (!ok) return Fail(ErrorCode::INTERNAL, "SHA-256 failed: " + OpenSslError());
    return "SHA256:" + Base64(std::string_view(reinterpret_cast<const char*>(digest), digest_size));
}

Result<std::string> RsaKey::SignSha256(std::string_view data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx) return Fail(ErrorCode::INTERNAL, "EVP_MD_CTX_new failed");
    size_t size = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, Key(key_)) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) != 1) {
        return Fail(ErrorCode::INTERNAL, "RS256 signing failed: " + OpenSslError());
    }
    std::string signature(size, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        return Fail(ErrorCode::INTERNAL, "RS256 signing failed: " + OpenSslError());
    }
    signature.resize(size);
    return signature;
}

Result<std::string> RsaKey::PublicKeyPem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), Key(key_)) != 1) {
        return Fail(ErrorCode::INTERNAL, "cannot write the public key: " + OpenSslError());
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

Result<std::string> SignJwt(const RsaKey& key, const nlohmann::json& claims) {
    static const nlohmann::json kHeader = {{"alg", "RS256"}, {"typ", "JWT"}};
    std::string input = Base64Url(kHeader.dump()) + "." + Base64Url(claims.dump());
    auto signature = key.SignSha256(input);
    if (!signature) return std::unexpected(signature.error());
    return input + "." + Base64Url(*signature);
}

} // namespace kith::warehouse::rest
