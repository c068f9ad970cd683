// BigQuery, over its REST API v2 (jobs.query, jobs.getQueryResults, jobs.cancel; JSON over HTTPS).
//
//   auto wh = warehouse::BigQueryWarehouse::Open("bigquery://my-project/crm?location=US");
//   auto rows = (*wh)->Query("SELECT id FROM accounts WHERE name = ?", {"ada"});   // streamed page by page
//
// URI: bigquery://PROJECT/DATASET[?location=US][&endpoint=http://127.0.0.1:PORT][&retry_for=SECONDS]
// The API is https://bigquery.googleapis.com/bigquery/v2/... (or the same paths under the endpoint); bare table
// names resolve in DATASET (the request's defaultDataset). Credentials (bigquery_auth.hpp) come from the
// environment: GOOGLE_APPLICATION_CREDENTIALS (a service-account key file) or BIGQUERY_ACCESS_TOKEN.
//
// A statement is one jobs.query (GoogleSQL, a requestId that makes it idempotent, timestamps as int64
// microseconds); while jobComplete is false, jobs.getQueryResults is asked again with backoff; then the result is
// read page by page (pageToken; one page in memory, handed out in chunks of at most 2048 rows). '?' parameters
// are bound as positional STRING query parameters. Transient failures (HTTP 429/5xx, reasons backendError,
// rateLimitExceeded, internalError, dropped connections) are retried; jobs.query always with its requestId, so
// BigQuery never runs a statement twice.
#pragma once

#include "warehouse/bigquery_values.hpp"
#include "warehouse/retry.hpp"
#include "warehouse/statement_stop.hpp"
#include "warehouse/warehouse.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace kith::warehouse {

class BigQueryRowStream;

namespace rest {
class HttpClient;
} // namespace rest

namespace bigquery {
class Auth;
} // namespace bigquery

//! Where and how to reach a BigQuery project: what a URI says, plus the credentials from the environment.
struct BigQueryOptions {
    std::string project;
    std::string dataset;
    std::string location;                 //!< empty: BigQuery's default for the dataset
    std::string base_url;                 //!< https://bigquery.googleapis.com, or the endpoint
    std::shared_ptr<bigquery::Auth> auth; //!< shared by every connection
    RetryPolicy retry;                    //!< how long transient failures are retried (retry_for)
    long page_rows = 10000;               //!< maxResults of each page
    long wait_ms = 10000;                 //!< timeoutMs: how long one jobs.query/getQueryResults waits for the job
    long http_timeout_seconds = 600;      //!< one HTTP request's
    std::chrono::milliseconds first_poll{10};
    std::chrono::milliseconds max_poll{1000};
};

//! A connection to a BigQuery project, through the REST API v2.
class BigQueryWarehouse final : public Warehouse {
public:
    //! "bigquery://..." (see above); getenv replaceable for tests. Reads the credentials (and the key file).
    static Result<BigQueryOptions> ParseUri(const std::string& uri,
                                            const std::function<const char*(const char*)>& getenv = &std::getenv);
    static Result<std::unique_ptr<BigQueryWarehouse>> Open(const std::string& uri);
    static Result<std::unique_ptr<BigQueryWarehouse>> Open(BigQueryOptions options);
    ~BigQueryWarehouse() override;
    BigQueryWarehouse(const BigQueryWarehouse&) = delete;
    BigQueryWarehouse& operator=(const BigQueryWarehouse&) = delete;

    std::string_view dialect() const override { return "bigquery"; }
    //! One jobs.query; several ';'-separated statements are a BigQuery script (run in order, stopped at the first
    //! failure).
    Status Execute(const std::string& sql, std::span<const Param> params = {}) override;
    //! One statement; '?' parameters are bound as positional STRING query parameters (NULL when nullopt).
    Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) override;
    //! DATASET.INFORMATION_SCHEMA.COLUMNS of the table's project and dataset (bare: the URI's); a table or a
    //! dataset that does not exist is nullopt.
    Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) override;
    //! The base tables of the dataset `schema` (empty: of every dataset of the project in the URI's location),
    //! from INFORMATION_SCHEMA.TABLES (and region-LOCATION.INFORMATION_SCHEMA.SCHEMATA).
    Result<std::vector<TableName>> ListTables(const std::string& schema = {}) override;
    //! sql::CreateTable in the BigQuery dialect; the definitions are remembered for a bulk load that follows.
    Status CreateTable(const TableName& name, std::span<const ColumnDef> columns) override;
    //! A StagedTableWriter (multi-row INSERTs into `<table>__kith_load`, one INSERT ... SELECT at Finish). The
    //! columns' types come from CreateTable when this connection made the table, else from DescribeTable.
    Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                    std::span<const std::string> columns) override;
    //! Another connection (its own HTTP connection; the credentials and their token shared).
    Result<std::unique_ptr<Warehouse>> Connect() override;
    //! Wakes the waiting thread at once; it cancels the job on the server (jobs.cancel) and fails with "the
    //! statement was interrupted (cancelled on the server)".
    void Interrupt() override;

    const BigQueryOptions& options() const { return options_; }

private:
    explicit BigQueryWarehouse(BigQueryOptions options);
    friend class BigQueryRowStream;

    struct Job; // a finished job's first answer
    //! Submits a statement (jobs.query) and waits until the job has finished.
    Result<Job> Run(const std::string& sql, std::span<const Param> params, const std::stop_token& stop);
    //! One API call: authentication (a renewal and one resend after a 401), transient failures retried, the
    //! error of any other answer mapped to ErrorCode::WAREHOUSE naming `what`. The 200 answer's JSON.
    Result<nlohmann::json> Call(std::string_view what, const std::string& method, const std::string& url,
                                const std::string& body, const std::stop_token& stop,
                                bool* maybe_received = nullptr);
    //! jobs.getQueryResults: the job's answer (a page of its rows, from pageToken when given).
    Result<nlohmann::json> Results(const std::string& job_id, const std::string& location,
                                   const std::string& page_token, const std::stop_token& stop);
    Status Cancel(const std::string& job_id, const std::string& location);
    Result<std::unique_ptr<BigQueryRowStream>> Start(const std::string& sql, std::span<const Param> params);
    std::string ApiUrl(const std::string& path) const;
    //! The dialect kith's SQL printer knows BigQuery by.
    const sql::Dialect& Dialect() const;

    BigQueryOptions options_;
    std::unique_ptr<rest::HttpClient> http_;
    std::string last_reason_;                               // the reason of the last error answer
    std::map<std::string, std::vector<ColumnDef>> created_; // tables CreateTable made, by TableName::ToString()
    StatementStop running_; // the running statement's stop, for Interrupt
};

//! A streamed BigQuery result: one page of rows in memory at a time.
class BigQueryRowStream final : public RowStream {
public:
    BigQueryRowStream(BigQueryWarehouse& wh, std::string job_id, std::string location, std::stop_token stop);
    ~BigQueryRowStream() override;
    BigQueryRowStream(const BigQueryRowStream&) = delete;
    BigQueryRowStream& operator=(const BigQueryRowStream&) = delete;

    const std::vector<Column>& columns() const override { return columns_; }
    Result<bool> Next(Chunk& chunk) override;

    //! Reads the schema and the rows of the job's first answer (or a later page's).
    Status Load(nlohmann::json& answer);
    //! Pages read so far (the first answer counts), and the most rows held at once, for tests.
    size_t pages_read() const { return pages_; }
    size_t max_buffered_rows() const { return max_buffered_; }

private:
    void Done();

    BigQueryWarehouse& wh_;
    std::string job_id_;
    std::string location_;
    std::stop_token stop_;
    std::vector<Column> columns_;
    std::vector<bigquery::FieldType> types_;
    bool have_schema_ = false;
    std::string page_token_;
    std::vector<std::vector<Cell>> rows_;
    size_t pos_ = 0;
    size_t pages_ = 0;
    size_t max_buffered_ = 0;
    bool done_ = false;
};

} // namespace kith::warehouse
