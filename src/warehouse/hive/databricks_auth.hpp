// Databricks credentials as its own tools read them: DATABRICKS_TOKEN (a personal access token, sent as a bearer
// token), or DATABRICKS_CLIENT_ID with DATABRICKS_CLIENT_SECRET (OAuth machine-to-machine: exchanged at
// <base>/oidc/v1/token for an access token, renewed before it expires).
//
//   auto auth = hive::DatabricksAuth::FromEnvironment("https://HOST");
//   auto header = (*auth)->Authorization();        // "Bearer ..."
//
// Secrets stay out of errors and logs.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace kith::warehouse::hive {

//! Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

//! A source of Authorization header values for Databricks; thread-safe, shared by every connection of a warehouse.
class DatabricksAuth {
public:
    //! Reads the environment (getenv replaceable for tests); USAGE error when no credentials are set.
    static Result<std::shared_ptr<DatabricksAuth>> FromEnvironment(
        std::string base_url, std::function<const char*(const char*)> getenv = &std::getenv);

    //! "Bearer TOKEN"; with OAuth, fetches a token when none is held or the held one expires within a minute.
    Result<std::string> Authorization();
    //! After a 401 or 403: with OAuth, forgets the held token (the next Authorization fetches one) and returns true; with a
    //! personal access token there is nothing to renew: false.
    bool Invalidate();

private:
    std::string base_url_;
    std::string token_; // the personal access token, or the current OAuth access token
    std::string client_id_;
    std::string client_secret_;
    std::chrono::steady_clock::time_point expires_{};
    std::mutex mutex_;
};

} // namespace kith::warehouse::hive
