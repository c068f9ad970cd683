// Apache Spark's Thrift JDBC/ODBC server and Databricks SQL warehouses, over the HiveServer2 Thrift protocol
// (TCLIService, hive/TCLIService.thrift).
//
//   auto wh = warehouse::HiveWarehouse::Open("spark://127.0.0.1:10000/default");
//   auto wh = warehouse::HiveWarehouse::Open("databricks://HOST/main/crm?http_path=/sql/1.0/warehouses/ID");
//   auto rows = (*wh)->Query("SELECT id FROM t");   // streamed, 10,000 rows a page
//
// URIs:
//   spark://[USER@]HOST:PORT/DATABASE[?auth=nosasl][&endpoint=...]  binary transport; SASL PLAIN as USER (default
//       "kith") with the password in SPARK_PASSWORD (empty when unset); auth=nosasl for servers set to NOSASL.
//   databricks://HOST/CATALOG/SCHEMA?http_path=/sql/1.0/warehouses/ID[&endpoint=http://127.0.0.1:PORT]
//       HTTP transport (https://HOST, or the endpoint's base URL) with DATABRICKS_TOKEN as a bearer token, or
//       DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET (OAuth machine-to-machine).
//
// Statements run asynchronously on the server (ExecuteStatement with runAsync), polled with backoff (10 ms growing
// to 1 s) and read with FetchResults, one page in memory at a time. Transient failures of calls that are safe to
// repeat are retried (RetryLoop); a statement is sent again only when it surely never reached the server. The
// protocol has no bound parameters: Execute and Query refuse them (ErrorCode::USAGE).
#pragma once

#include "warehouse/retry.hpp"
#include "warehouse/statement_stop.hpp"
#include "warehouse/warehouse.hpp"

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

namespace kith::warehouse {

namespace hive {
struct Session; // the Thrift client, its transport and the server session (hive_warehouse.cpp)
namespace rpc {
class TOperationHandle; // generated from hive/TCLIService.thrift
} // namespace rpc
} // namespace hive

//! Where and how to reach a HiveServer2 endpoint; what a URI says, plus the secrets from the environment.
struct HiveOptions {
    std::string engine = "spark"; //!< "spark" or "databricks": names the engine in errors
    bool http = false;            //!< HTTP transport (Databricks) instead of a binary socket (Spark)
    std::string host;
    int port = 10000;
    std::string url;              //!< HTTP: the endpoint's URL (base URL + http_path)
    bool sasl = true;             //!< binary: SASL PLAIN (false: NOSASL, plain unframed)
    std::string user = "kith";
    std::string password;
    std::string catalog;          //!< Databricks: the default catalog; empty on Spark
    std::string schema = "default"; //!< the default database (schema) of bare table names
    //! HTTP: the Authorization header's value before each request ("Bearer ..."); shared by every connection.
    std::function<Result<std::string>()> authorization;
    //! HTTP: after a 401 or 403, forgets a cached token; true when a new one may be asked for (OAuth).
    std::function<bool()> unauthorized;
    RetryPolicy retry;            //!< how long transient failures are retried
    int page_rows = 10000;        //!< rows asked for by each FetchResults
    long timeout_seconds = 600;   //!< socket/HTTP timeout of one call
};

//! A session on a HiveServer2 endpoint (Spark Thrift server or Databricks SQL warehouse).
class HiveWarehouse final : public Warehouse {
public:
    //! "spark://..." or "databricks://..." (see above); getenv is replaceable for tests.
    static Result<HiveOptions> ParseUri(const std::string& uri,
                                        const std::function<const char*(const char*)>& getenv = &std::getenv);
    //! Parses the URI, connects and opens a session.
    static Result<std::unique_ptr<HiveWarehouse>> Open(const std::string& uri);
    //! Connects and opens a session with the session time zone UTC and the default database selected.
    static Result<std::unique_ptr<HiveWarehouse>> Open(HiveOptions options);
    ~HiveWarehouse() override;
    HiveWarehouse(const HiveWarehouse&) = delete;
    HiveWarehouse& operator=(const HiveWarehouse&) = delete;

    //! Both engines speak Spark SQL.
    std::string_view dialect() const override { return "spark"; }
    //! One statement (the protocol runs one at a time); non-empty params are ErrorCode::USAGE.
    Status Execute(const std::string& sql, std::span<const Param> params = {}) override;
    Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) override;
    //! Through the GetColumns call; a bare name is looked up in the URI's database (and catalog). A table with a
    //! column Spark's Thrift server cannot name to GetColumns (TIME) is described by DESCRIBE TABLE instead.
    Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) override;
    //! Through the GetTables call (Spark has no information_schema): base tables, the temporary views left out.
    Result<std::vector<TableName>> ListTables(const std::string& schema = {}) override;
    Status CreateTable(const TableName& name, std::span<const ColumnDef> columns) override;
    //! Spark has no transactions: loads into a staging table `<table>__kith_load` (same schema) with multi-row
    //! INSERTs of cast literals (2,000 rows or ~1 MB each); Finish appends the staged rows to the table in one
    //! statement (INSERT INTO ... SELECT) and drops the staging table. Nothing is visible before Finish; a writer
    //! dropped before it drops its staging table and leaves the table as it was.
    Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                    std::span<const std::string> columns) override;
    //! Another session on the same endpoint.
    Result<std::unique_ptr<Warehouse>> Connect() override;
    //! Cancels the running statement on the server (CancelOperation); it then fails saying it was interrupted.
    void Interrupt() override;

    //! The options this warehouse was opened with (no secrets are printed from them).
    const HiveOptions& options() const { return options_; }

private:
    Result<std::optional<std::vector<Column>>> DescribeWithStatement(const TableName& name);
    explicit HiveWarehouse(HiveOptions options);
    friend class HiveRowStream;

    Status EnsureSession();
    //! Starts a statement and waits until it has finished on the server; the operation stays open.
    struct Operation;
    Result<Operation> Run(const std::string& sql, const std::stop_token& stop);
    Error Failure(std::string message) const;
    struct CatalogRows;
    //! Waits for a catalog call's operation and reads its rows (closing it); needed names the columns it must have.
    Result<CatalogRows> ReadCatalog(const hive::rpc::TOperationHandle& op, std::string_view what,
                                    const std::stop_token& stop, std::initializer_list<const char*> needed);

    HiveOptions options_;
    std::unique_ptr<hive::Session> session_;
    std::map<std::string, std::vector<ColumnDef>> created_; // tables CreateTable made, by TableName::ToString()
    StatementStop running_; // the running statement's stop, for Interrupt
};

} // namespace kith::warehouse
