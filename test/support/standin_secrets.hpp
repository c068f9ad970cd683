// The secrets of a remote engine's stand-in, for tests that prove none of them shows in what kith prints, logs or
// answers (warehouses.md: "Secrets never travel in a URI or a log line"): the credentials kith is given, in the
// forms each engine takes, and every piece of secret material behind them.
//
//   auto standin = test::SparkStandin::Start(engine);
//   auto secrets = test::StandinSecrets::Of(*standin);     // reads the key files, mints a BigQuery token
//   ... run kith with secrets->exported, secrets->token or secrets->wrong ...
//   EXPECT_EQ(secrets->FindIn(output), "");               // else which secret, and where
#pragma once

#include "common/error.hpp"
#include "support/spark_standin.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::test {

//! Credential variables with their values, as a driver reads them (PGPASSWORD, SNOWFLAKE_TOKEN, ...).
using Credentials = std::vector<std::pair<std::string, std::string>>;

struct StandinSecrets {
    //! Reads the stand-in's secrets: what it exported (for spark, which needs none, a SPARK_PASSWORD of this call's
    //! own: the server takes any), its key files and token files, and for bigquery an access token minted from
    //! the key at the stand-in's /token as the driver does it.
    static Result<StandinSecrets> Of(const Standin& standin);

    std::string engine;
    Credentials exported; //!< the credentials the stand-in hands out (the key pair, the key file, the password)
    //! The engine's other form: SNOWFLAKE_TOKEN (its programmatic access token), BIGQUERY_ACCESS_TOKEN (the minted
    //! token); for the other engines the same as exported.
    Credentials token;
    //! Credentials the stand-in refuses (a wrong password or token); empty for spark (authentication NONE).
    Credentials wrong;
    //! Every secret text, named: the values above, the key files' text, each line of their PEM bodies, the
    //! service account's private_key_id.
    std::vector<std::pair<std::string, std::string>> material;

    //! "" when text holds no secret material and nothing shaped like a secret kith makes itself (a JWT or a
    //! signed assertion, a PEM block, a stand-in's bearer token); else what was found and at which offset (never
    //! the secret itself).
    std::string FindIn(std::string_view text) const;
};

//! The names of every credential variable of the remote engines (warehouses.md), so a test can clear them all.
std::vector<std::string> CredentialVariables();

//! Clears every credential variable in this process's environment, then sets `variables` (credentials, or the
//! variables a config's [warehouse_auth] names); children started meanwhile inherit that. The destructor puts the
//! environment back as it was.
class ScopedCredentials {
public:
    explicit ScopedCredentials(const Credentials& variables);
    ~ScopedCredentials();
    ScopedCredentials(const ScopedCredentials&) = delete;
    ScopedCredentials& operator=(const ScopedCredentials&) = delete;

private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

//! Posts one fault rule to a Snowflake or BigQuery stand-in's /_standin/faults, scoped to `scope` (the warehouse
//! name on Snowflake, the project on BigQuery), e.g. {"expire_token": 1}.
Status PostFault(const Standin& standin, const std::string& scope, const std::string& rule_json);

} // namespace kith::test
