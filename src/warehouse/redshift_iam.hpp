// Redshift's IAM logins: a temporary database user and password from GetClusterCredentials (Redshift's Query API,
// version 2012-12-01), asked for with the caller's AWS access key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and,
// for temporary keys, AWS_SESSION_TOKEN) and signed with SigV4 for the service "redshift".
//
//   auto options = redshift::IamOptionsFrom("c1.abc123.us-east-1.redshift.amazonaws.com", "kith", "dev", params);
//   auto iam = redshift::IamAuth::FromEnvironment(*options);   // USAGE when the AWS keys are not set
//   auto login = (*iam)->Login();   // {"IAM:kith", password, expiration}: the held one, or new ones
//
// The request is `POST /` to https://redshift.REGION.amazonaws.com (or iam_endpoint=) with the form body
// Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=..&DbUser=..&DbName=..&DurationSeconds=..
// &AutoCreate=false, signed over Content-Type, Host, X-Amz-Date and X-Amz-Security-Token. The XML answer's
// DbUser, DbPassword and Expiration, or AWS's XML error (Code, Message), are read with libxml2 (no network, no
// entity expansion). Throttling, 429 and 5xx answers and failed connections are retried (retry.hpp); every other
// failure, authentication errors first (InvalidClientTokenId, SignatureDoesNotMatch, ...), fails at once with
// AWS's code and message. Neither the secret key, the session token nor a database password ever appears in an
// error: AWS's message is cut at its first blank line (some services append the canonical request there) and
// any secret in it is masked.
#pragma once

#include "common/error.hpp"
#include "warehouse/rest/sigv4.hpp"
#include "warehouse/retry.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

namespace kith::warehouse::rest {
class HttpClient;
} // namespace kith::warehouse::rest

namespace kith::warehouse::redshift {

//! What GetClusterCredentials is asked.
struct IamOptions {
    std::string cluster_id;   //!< ClusterIdentifier
    std::string region;       //!< the SigV4 scope's region
    std::string endpoint;     //!< the Query API's base URL, without a trailing '/'
    std::string db_user;      //!< DbUser: the URI's user
    std::string db_name;      //!< DbName: the URI's database
    int duration_seconds = 900; //!< DurationSeconds (AWS accepts 900 to 3600)
    RetryPolicy retry;        //!< for throttling, 5xx and failed connections
};

//! The URI parameters that only IAM logins take (auth=iam itself included).
bool IsIamParameter(std::string_view key);

//! The IAM options of a redshift:// URI: host is its host (without port) before any endpoint= replaced it, params
//! the IAM parameters (decoded): auth=iam, cluster_id, region, iam_endpoint, iam_duration, retry_for. The cluster
//! id and region default to those of a cluster host name CLUSTER.XXXX.REGION.redshift.amazonaws.com[.cn].
//! ErrorCode::USAGE saying what is missing or wrong.
Result<IamOptions> IamOptionsFrom(std::string_view host, const std::string& user, const std::string& database,
                                  const std::map<std::string, std::string>& params);

//! Temporary credentials for one database login.
struct ClusterCredentials {
    std::string db_user;     //!< "IAM:kith": the user to log in as
    std::string db_password;
    std::chrono::system_clock::time_point expiration;
};

//! AWS's error answer.
struct AwsError {
    std::string code;    //!< "InvalidClientTokenId"
    std::string message; //!< as AWS wrote it
};

//! The form body of a GetClusterCredentials request.
std::string GetClusterCredentialsBody(const IamOptions& options);
//! DbUser, DbPassword and Expiration of a GetClusterCredentialsResponse.
Result<ClusterCredentials> ParseClusterCredentials(std::string_view xml);
//! Code and Message of an ErrorResponse (or of any Error element); nullopt when the text holds none.
std::optional<AwsError> ParseAwsError(std::string_view xml);
//! Whether an answer may succeed when sent again: HTTP 429, 500, 502, 503, 504, or a throttling or
//! service-unavailable code (Throttling, ThrottlingException, RequestLimitExceeded, ServiceUnavailable, ...).
bool IsTransientAwsError(long status, std::string_view code);
//! "YYYY-MM-DDTHH:MM:SS[.fff]Z" (ISO 8601, UTC) as a time; nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> ParseIsoTime(std::string_view text);

//! The IAM login of a warehouse; thread-safe, shared by every connection of it.
class IamAuth {
public:
    //! Reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (optional); ErrorCode::USAGE naming the
    //! variables that are missing. getenv replaceable for tests.
    static Result<std::shared_ptr<IamAuth>> FromEnvironment(
        IamOptions options, const std::function<const char*(const char*)>& getenv = &std::getenv);
    IamAuth(IamOptions options, rest::AwsCredentials keys);
    ~IamAuth();
    IamAuth(const IamAuth&) = delete;
    IamAuth& operator=(const IamAuth&) = delete;

    //! Credentials to log in with: the held ones while more than min(60 s, a quarter of their lifetime) is left
    //! before they expire, else new ones from GetClusterCredentials.
    Result<ClusterCredentials> Login(const std::stop_token& stop = {});
    //! Credentials issued to this warehouse so far.
    int fetched_count() const;
    const IamOptions& options() const { return options_; }

private:
    Result<ClusterCredentials> Fetch(const std::stop_token& stop);
    //! text without any secret of these keys (masked) and without what follows its first blank line.
    std::string Scrubbed(std::string text) const;

    IamOptions options_;
    rest::AwsCredentials keys_;
    std::unique_ptr<rest::HttpClient> http_;
    std::optional<ClusterCredentials> held_;
    std::chrono::system_clock::time_point renew_at_{};
    int fetched_ = 0;
    mutable std::mutex mutex_;
};

} // namespace kith::warehouse::redshift
