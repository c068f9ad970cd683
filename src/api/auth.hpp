// Credentials (libsodium): passwords hashed with Argon2id, a memory-hard KDF, and random secrets for session cookies,
// CSRF tokens and API tokens, of which the store keeps only a SHA-256.
//
//   auto hash = api::HashPassword("correct horse");       // "$argon2id$v=19$m=65536,t=2,p=1$..."
//   bool ok = api::VerifyPassword(*hash, "correct horse");
//   std::string token = api::RandomToken("kith_");         // shown once; store api::Sha256Hex(token)
#pragma once

#include "common/error.hpp"
#include "config/config.hpp"

#include <string>
#include <string_view>

namespace kith::api {

//! How much work a password hash costs: libsodium's "interactive" limits by default (64 MiB, 2 passes).
struct PasswordCost {
    unsigned long long ops = 2;
    size_t memory_bytes = 64u << 20;
};

//! The cost the config's [auth] table sets.
PasswordCost PasswordCostOf(const config::AuthSettings& auth);

//! An Argon2id hash string (with its salt and cost) of the password.
Result<std::string> HashPassword(std::string_view password, PasswordCost cost = {});
//! Whether the password matches the hash string; false for a malformed hash.
bool VerifyPassword(const std::string& hash, std::string_view password);
//! 32 random bytes as URL-safe base64 without padding, after prefix.
std::string RandomToken(std::string_view prefix = "");
//! The SHA-256 of text as lowercase hex.
std::string Sha256Hex(std::string_view text);
//! Compares two strings in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

} // namespace kith::api
