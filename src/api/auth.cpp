#include "api/auth.hpp"

#include <sodium.h>

#include <mutex>
#include <vector>

namespace kith::api {

namespace {

void InitSodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (sodium_init() < 0) std::abort(); // no usable random source: nothing secure can be done
    });
}

} // namespace

PasswordCost PasswordCostOf(const config::AuthSettings& auth) {
    return PasswordCost{static_cast<unsigned long long>(auth.password_passes),
                        static_cast<size_t>(auth.password_memory_mib) << 20};
}

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
    InitSodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.memory_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return Fail(ErrorCode::INTERNAL, "cannot hash the password (out of memory)");
    }
    return std::string(out);
}

bool VerifyPassword(const std::string& hash, std::string_view password) {
    InitSodium();
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string RandomToken(std::string_view prefix) {
    InitSodium();
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::vector<char> text(sodium_base64_ENCODED_LEN(sizeof bytes, variant));
    sodium_bin2base64(text.data(), text.size(), bytes, sizeof bytes, variant);
    return std::string(prefix) + text.data();
}

std::string Sha256Hex(std::string_view text) {
    InitSodium();
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace kith::api
