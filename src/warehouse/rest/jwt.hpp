// RS256 JSON Web Tokens (RFC 7519) signed with an RSA private key, over OpenSSL 3's EVP APIs: what Snowflake's
// key-pair authentication (and later Google's service accounts) want.
//
//   auto key = rest::RsaKey::FromFile("/path/rsa_key.p8", passphrase);   // PKCS#8 PEM, encrypted or not
//   auto fp = key->Fingerprint();                                         // "SHA256:base64(sha256(DER SPKI))"
//   auto jwt = rest::SignJwt(*key, {{"iss", "..."}, {"sub", "..."}, {"iat", now}, {"exp", now + 3540}});
//
// Errors say what failed (a wrong passphrase, not a PEM RSA key) and never carry the key or the passphrase.
#pragma once

#include "common/error.hpp"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace kith::warehouse::rest {

//! base64url without padding (RFC 7515, section 2).
std::string Base64Url(std::string_view bytes);
//! Standard base64 with padding (RFC 4648).
std::string Base64(std::string_view bytes);

//! An RSA private key.
class RsaKey {
public:
    //! Reads a PEM private key (PKCS#8 "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY"; PKCS#1 "RSA PRIVATE KEY" too);
    //! passphrase decrypts an encrypted one (empty: the key must not be encrypted). what names the key's origin in
    //! errors (a path or a variable's name).
    static Result<RsaKey> FromPem(std::string_view pem, std::string_view passphrase, std::string_view what = "key");
    //! Reads the key from a file.
    static Result<RsaKey> FromFile(const std::string& path, std::string_view passphrase);

    //! "SHA256:" + base64 of SHA-256 over the public key's DER SubjectPublicKeyInfo (Snowflake's RSA_PUBLIC_KEY_FP).
    Result<std::string> Fingerprint() const;
    //! The RSASSA-PKCS1-v1_5 SHA-256 signature of data (raw bytes).
    Result<std::string> SignSha256(std::string_view data) const;
    //! The public key as PEM ("-----BEGIN PUBLIC KEY-----"), for tests and registration.
    Result<std::string> PublicKeyPem() const;

private:
    std::shared_ptr<void> key_; // EVP_PKEY*
};

//! header.claims.signature with header {"alg": "RS256", "typ": "JWT"}, each part base64url.
Result<std::string> SignJwt(const RsaKey& key, const nlohmann::json& claims);

} // namespace kith::warehouse::rest
