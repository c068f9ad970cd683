// BigQuery's credentials: a service-account key (Google's key JSON file, GOOGLE_APPLICATION_CREDENTIALS) exchanged
// for OAuth 2.0 access tokens, or an access token given as is (BIGQUERY_ACCESS_TOKEN).
//
//   auto auth = bigquery::Auth::FromEnvironment();                  // reads and checks the key file
//   auto header = (*auth)->Header(http, stop, retry);               // "Authorization: Bearer ya29...."
//   ... the API answers 401 ... if ((*auth)->Invalidate(header)) resend with a new Header(...)
//
// A service account signs an RS256 JWT (header kid = private_key_id; claims iss = client_email, scope =
// https://www.googleapis.com/auth/bigquery, aud = token_uri, iat, exp = iat + 3600) and POSTs it to the key's
// token_uri as `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT` (RFC 7523). The token is
// cached and shared by every connection; it is renewed when less than min(5 minutes, half its lifetime) remains,
// and once after an API call is refused with 401. A given access token cannot be renewed: a 401 is final.
// Secrets (the private key, the assertion, tokens) never appear in errors.
#pragma once

#include "common/error.hpp"
#include "warehouse/rest/jwt.hpp"
#include "warehouse/retry.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

namespace kith::warehouse::rest {
class HttpClient;
} // namespace kith::warehouse::rest

namespace kith::warehouse::bigquery {

//! The scope kith asks for.
inline constexpr const char* kBigQueryScope = "https://www.googleapis.com/auth/bigquery";

//! The parts of a service-account key file kith uses.
struct ServiceAccountKey {
    std::string client_email;
    std::string private_key_id;
    std::string token_uri;
    std::string project_id;
    rest::RsaKey key;
};

//! Parses Google's service-account key JSON ("type": "service_account"); what names its origin in errors.
Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text, std::string_view what);

//! The signed JWT a service account exchanges for an access token (iat in seconds since the epoch).
Result<std::string> SignAssertion(const ServiceAccountKey& key, int64_t iat, int64_t lifetime_seconds = 3600);

//! The credentials of a BigQuery project; thread-safe, shared by every connection of a warehouse.
class Auth {
public:
    //! GOOGLE_APPLICATION_CREDENTIALS (a service-account key file, read and checked here), else
    //! BIGQUERY_ACCESS_TOKEN; neither is ErrorCode::USAGE naming both. getenv replaceable for tests.
    static Result<std::shared_ptr<Auth>> FromEnvironment(
        const std::function<const char*(const char*)>& getenv = &std::getenv);
    static std::shared_ptr<Auth> FromKey(ServiceAccountKey key);
    static std::shared_ptr<Auth> FromToken(std::string token);

    //! "Authorization: Bearer TOKEN". With a service account, asks the token endpoint (through http, transient
    //! failures retried within retry's budget) when no token is held or the held one is about to expire.
    Result<std::string> Header(rest::HttpClient& http, const std::stop_token& stop, const RetryPolicy& retry);
    //! After a 401 answered to a request sent with header: forgets that token (the next Header fetches a new one)
    //! and returns true; false when the token cannot be renewed (a given access token).
    bool Invalidate(const std::string& header);

    //! "service account KEY_EMAIL" or "access token (BIGQUERY_ACCESS_TOKEN)", for messages.
    std::string Describe() const;
    bool renewable() const { return key_ != nullptr; }
    //! Tokens fetched so far.
    int fetched_count() const;
    //! The key's project_id (empty with an access token).
    std::string key_project() const;

private:
    Result<std::string> Fetch(rest::HttpClient& http, const std::stop_token& stop, const RetryPolicy& retry);

    std::shared_ptr<ServiceAccountKey> key_;
    std::string token_;
    std::chrono::steady_clock::time_point renew_at_{};
    int fetched_ = 0;
    mutable std::mutex mutex_;
};

} // namespace kith::warehouse::bigquery
