// Snowflake, over its SQL API v2 (REST, JSON over HTTPS).
//
//   auto wh = warehouse::SnowflakeWarehouse::Open("snowflake://myorg-acct/ANALYTICS/CRM?warehouse=WH&user=KITH");
//   auto rows = (*wh)->Query("SELECT id FROM t WHERE name = ?", {"ada"});   // streamed partition by partition
//
// URI: snowflake://ACCOUNT/DATABASE/SCHEMA?warehouse=WH[&role=R][&user=U][&endpoint=http://127.0.0.1:PORT]
//      [&retry_for=SECONDS][&statement_timeout=SECONDS]
// The base URL is https://ACCOUNT.snowflakecomputing.com (or the endpoint). Credentials come from the environment
// (a secret in the URI is refused): SNOWFLAKE_PRIVATE_KEY_PATH (+ SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) for key-pair
// JWTs as the URI's user (else SNOWFLAKE_USER), else SNOWFLAKE_TOKEN (an OAuth or programmatic access token).
//
// Every statement is submitted asynchronously (POST /api/v2/statements?requestId=UUID&async=true), polled with
// backoff (10 ms doubling to 1 s) and read partition by partition (one in memory, handed out in chunks of at most
// 2048 rows). A submission that failed in a way that may have reached the server is sent again with the same
// requestId and retry=true, so Snowflake never runs it twice. Parameters are bound ('?', TEXT bindings).
#pragma once

#include "warehouse/retry.hpp"
#include "warehouse/statement_stop.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace kith::warehouse {

class SnowflakeRowStream;

namespace rest {
class HttpClient;
struct HttpResponse;
} // namespace rest

//! The credentials of a Snowflake warehouse: key-pair JWTs (renewed before they expire) or an OAuth token. Thread-
//! safe; shared by every connection of a warehouse. Secrets never appear in its errors.
class SnowflakeAuth {
public:
    //! Reads SNOWFLAKE_PRIVATE_KEY_PATH (+ SNOWFLAKE_PRIVATE_KEY_PASSPHRASE) or SNOWFLAKE_TOKEN (getenv replaceable
    //! for tests); the key is read and checked here. user is needed for key-pair authentication.
    static Result<std::shared_ptr<SnowflakeAuth>> FromEnvironment(
        const std::string& account, const std::string& user,
        const std::function<const char*(const char*)>& getenv = &std::getenv);

    //! The request headers: "Authorization: Bearer ..." and "X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT"
    //! (or OAUTH). A JWT is signed when none is held or the held one expires within renew_before().
    Result<std::vector<std::string>> Headers();
    //! After a 401: with key-pair authentication forgets the held JWT (the next Headers signs a new one) and returns
    //! true; an OAuth token cannot be renewed: false.
    bool Invalidate();

    //! "KEYPAIR_JWT" or "OAUTH".
    std::string token_type() const;
    //! The JWT's iss and sub claims: "ACCOUNT.USER.SHA256:fp" and "ACCOUNT.USER" (empty with OAuth).
    std::string issuer() const { return issuer_; }
    std::string subject() const { return subject_; }
    //! How long a JWT is valid (59 minutes) and how long before its end a new one is signed (5 minutes).
    void SetLifetimeForTest(std::chrono::seconds lifetime, std::chrono::seconds renew_before);
    //! The JWTs signed so far.
    int signed_count() const;

    //! Snowflake's account part of JWT claims: the locator without region or cloud ("xy12345.us-east-2.aws" ->
    //! "XY12345"; with ".global", what precedes the first '-'), upper case.
    static std::string JwtAccount(std::string_view account);

private:
    struct Key;
    std::shared_ptr<Key> key_; // key-pair authentication
    std::string token_;        // OAuth token, or the held JWT
    std::string issuer_;
    std::string subject_;
    std::chrono::seconds lifetime_{59 * 60};
    std::chrono::seconds renew_before_{5 * 60};
    std::chrono::system_clock::time_point expires_{};
    int signed_ = 0;
    mutable std::mutex mutex_;
};

//! Where and how to reach a Snowflake account: what a URI says, plus the credentials from the environment.
struct SnowflakeOptions {
    std::string account;  //!< as in the URI (may carry region and cloud: xy12345.us-east-2.aws)
    std::string base_url; //!< https://ACCOUNT.snowflakecomputing.com, or the endpoint
    std::string database;
    std::string schema;
    std::string warehouse;
    std::string role;                    //!< empty: the user's default role
    std::string user;                    //!< URI's user=, else SNOWFLAKE_USER (key-pair JWTs need one)
    std::shared_ptr<SnowflakeAuth> auth; //!< shared by every connection
    RetryPolicy retry;                   //!< how long transient failures are retried (retry_for)
    long statement_timeout_seconds = 0;  //!< the statement's "timeout" (0: Snowflake's maximum, 7 days)
    long http_timeout_seconds = 600;     //!< one HTTP request's
    std::chrono::milliseconds first_poll{10};
    std::chrono::milliseconds max_poll{1000};
};

//! A connection to a Snowflake account's warehouse, through the SQL API v2.
class SnowflakeWarehouse final : public Warehouse {
public:
    //! "snowflake://..." (see above); getenv replaceable for tests. Reads the credentials (and the private key).
    static Result<SnowflakeOptions> ParseUri(const std::string& uri,
                                             const std::function<const char*(const char*)>& getenv = &std::getenv);
    static Result<std::unique_ptr<SnowflakeWarehouse>> Open(const std::string& uri);
    static Result<std::unique_ptr<SnowflakeWarehouse>> Open(SnowflakeOptions options);
    ~SnowflakeWarehouse() override;
    SnowflakeWarehouse(const SnowflakeWarehouse&) = delete;
    SnowflakeWarehouse& operator=(const SnowflakeWarehouse&) = delete;

    std::string_view dialect() const override { return "snowflake"; }
    //! One request: with params, one statement (MULTI_STATEMENT_COUNT 1); without, any number of ';'-separated
    //! statements (MULTI_STATEMENT_COUNT 0: Snowflake runs them in order and stops at the first failure).
    Status Execute(const std::string& sql, std::span<const Param> params = {}) override;
    //! One statement; '?' parameters are bound as TEXT (NULL when nullopt).
    Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) override;
    //! information_schema.columns of the URI's database (sql::DescribeColumnsQuery); names compared exactly.
    Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) override;
    //! sql::CreateTable in the Snowflake dialect; the definitions are remembered for a bulk load that follows.
    Status CreateTable(const TableName& name, std::span<const ColumnDef> columns) override;
    //! A StagedTableWriter: a staging table `<table>__kith_load` loaded with multi-row INSERTs of sql::StorageValue
    //! casts; Finish appends them with one INSERT ... SELECT. Nothing is visible before Finish. The columns' types
    //! come from CreateTable when this connection made the table, else from the rowType of a query of no rows.
    Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                    std::span<const std::string> columns) override;
    //! Another connection (its own HTTP connection; the credentials shared).
    Result<std::unique_ptr<Warehouse>> Connect() override;
    //! Wakes the waiting thread at once; it cancels the statement on the server (POST .../cancel) and fails.
    void Interrupt() override;

    const SnowflakeOptions& options() const { return options_; }

private:
    explicit SnowflakeWarehouse(SnowflakeOptions options);
    friend class SnowflakeRowStream;

    struct Answer; // a finished statement's 200 answer
    //! Submits a statement and waits until it has finished on the server.
    Result<Answer> Run(const std::string& sql, std::span<const Param> params, bool multi,
                       const std::stop_token& stop);
    //! One HTTP exchange with authentication, a renewal after a 401 and retries of transient failures.
    Result<rest::HttpResponse> Exchange(std::string_view what, const std::string& method, const std::string& url,
                                        const std::string& body, bool submission, const std::stop_token& stop);
    Status Cancel(const std::string& handle);
    //! Runs a query and opens its stream (Query, and ColumnDefs which needs the rowType).
    Result<std::unique_ptr<SnowflakeRowStream>> Start(const std::string& sql, std::span<const Param> params);
    Result<std::vector<ColumnDef>> ColumnDefs(const TableName& name, std::span<const std::string> columns);
    std::string StatementUrl(const std::string& handle) const;
    Error Failure(std::string message) const;

    SnowflakeOptions options_;
    std::unique_ptr<rest::HttpClient> http_;
    std::map<std::string, std::vector<ColumnDef>> created_; // tables CreateTable made, by TableName::ToString()
    StatementStop running_; // the running statement's stop, for Interrupt
};

} // namespace kith::warehouse
