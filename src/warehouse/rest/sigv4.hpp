// AWS Signature Version 4 in the Authorization header, over OpenSSL's SHA-256 and HMAC: how requests to AWS's APIs
// are authenticated (Redshift's GetClusterCredentials, for IAM logins).
//
//   rest::AwsCredentials keys = ...;                            // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...
//   rest::SigV4Request req{.method = "POST", .headers = {{"Host", "redshift.us-east-1.amazonaws.com"},
//                          {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, .body = form};
//   auto s = rest::SignV4(req, keys, {.region = "us-east-1", .service = "redshift"}, now);
//   http_request.headers = s->headers;   // the signed headers, X-Amz-Date, X-Amz-Security-Token, Authorization
//
// The steps are AWS's: the canonical request (method, the path's segments URI-encoded, the query sorted and
// encoded, the headers lower-cased, trimmed and sorted, the signed header names, the body's SHA-256), the string to
// sign (AWS4-HMAC-SHA256, the time, the credential scope DATE/REGION/SERVICE/aws4_request, the canonical request's
// SHA-256), the signing key (HMAC-SHA256 chained over "AWS4"+secret, DATE, REGION, SERVICE, "aws4_request") and the
// signature over the string to sign. With a session token, X-Amz-Security-Token is added and signed. The secret key
// and the session token never appear in an error.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::warehouse::rest {

//! An AWS access key: long-term (AKIA...) or temporary (ASIA..., with a session token).
struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; //!< empty for a long-term key
};

//! Where a signature is valid: the credential scope's region and service ("us-east-1", "redshift").
struct SigV4Scope {
    std::string region;
    std::string service;
};

//! The parts of a request that SigV4 signs.
struct SigV4Request {
    std::string method = "GET";
    std::string path = "/"; //!< decoded; each segment is URI-encoded in the canonical request as on the wire
    std::vector<std::pair<std::string, std::string>> query;   //!< decoded names and values
    std::vector<std::pair<std::string, std::string>> headers; //!< every header to sign, Host among them
    std::string body;
};

//! A signed request: the texts of each step (for tests) and the headers to send.
struct SigV4Signature {
    std::string amz_date;          //!< X-Amz-Date, "20150830T123600Z"
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;         //!< lower-case hex
    std::string authorization;     //!< the Authorization header's value
    //! "Name: value" lines: the request's headers, X-Amz-Date, X-Amz-Security-Token (with a session token) and
    //! Authorization.
    std::vector<std::string> headers;
};

//! Signs req for scope at time now (seconds are kept, fractions dropped).
Result<SigV4Signature> SignV4(const SigV4Request& req, const AwsCredentials& credentials, const SigV4Scope& scope,
                              std::chrono::system_clock::time_point now);

//! The canonical request of req, whose headers already hold X-Amz-Date (and X-Amz-Security-Token).
std::string CanonicalRequest(const SigV4Request& req);
//! The signing key (32 raw bytes) for DATE (YYYYMMDD), region and service.
Result<std::string> SigningKey(std::string_view secret_access_key, std::string_view date, const SigV4Scope& scope);
//! "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);
//! SHA-256 as lower-case hex.
std::string Sha256Hex(std::string_view data);
//! HMAC-SHA256 (32 raw bytes).
Result<std::string> HmacSha256(std::string_view key, std::string_view data);

} // namespace kith::warehouse::rest
