// PostgreSQL as a warehouse, over libpq; also Amazon Redshift, which speaks PostgreSQL's wire protocol with SQL of
// its own (the "redshift" dialect: folded identifiers, no COPY FROM STDIN, no indexes).
#pragma once

#include "warehouse/postgres_text.hpp"
#include "warehouse/redshift_iam.hpp"
#include "warehouse/warehouse.hpp"

#include <memory>
#include <optional>
#include <unordered_map>

struct pg_cancel;
struct pg_conn;
struct pg_result;

namespace kith::warehouse {

//! One libpq connection. The session is UTC with ISO dates; results stream in single-row mode, gathered into chunks
//! of up to 2048 rows, and every value comes out in the same canonical text as DuckDbWarehouse's.
class PostgresWarehouse final : public Warehouse {
public:
    //! Connects to a "postgresql://" or "postgres://" URI (or a libpq key=value string). getenv("PGPASSWORD"), when
    //! set, is the password; otherwise libpq's own sources (the environment's PGPASSWORD, a .pgpass file) apply.
    static Result<std::unique_ptr<PostgresWarehouse>> Open(const std::string& uri, const Getenv& getenv = &std::getenv);
    //! Connects to Redshift: "redshift://USER@HOST[:5439]/DATABASE[?sslmode=...][&endpoint=HOST:PORT]", the password
    //! as Open takes it; one in the URI is refused. With auth=iam (&cluster_id=ID&region=R&iam_endpoint=URL
    //! &iam_duration=SECONDS&retry_for=SECONDS, see redshift_iam.hpp) the login is the temporary user and password of
    //! GetClusterCredentials, asked for with the AWS_* keys getenv gives.
    static Result<std::unique_ptr<PostgresWarehouse>> OpenRedshift(const std::string& uri,
                                                                   const Getenv& getenv = &std::getenv);
    //! What a redshift:// URI asks for.
    struct RedshiftUri {
        std::string conninfo;                    //!< the libpq URI (never a password)
        std::optional<redshift::IamOptions> iam; //!< with auth=iam
    };
    //! Reads a redshift:// URI (exposed for tests); USAGE errors for what it refuses.
    static Result<RedshiftUri> ParseRedshiftUri(const std::string& uri);
    //! The libpq URI a redshift:// URI stands for.
    static Result<std::string> RedshiftConnInfo(const std::string& uri);
    ~PostgresWarehouse() override;
    PostgresWarehouse(const PostgresWarehouse&) = delete;
    PostgresWarehouse& operator=(const PostgresWarehouse&) = delete;

    std::string_view dialect() const override { return engine_; }
    Status Execute(const std::string& sql, std::span<const Param> params = {}) override;
    Result<std::unique_ptr<RowStream>> Query(const std::string& sql, std::span<const Param> params = {}) override;
    //! The database part must be the connected database (otherwise the table does not exist here); an empty schema
    //! means the first schema of the search_path (current_schemas(false)) holding the table.
    Result<std::optional<std::vector<Column>>> DescribeTable(const TableName& name) override;
    Status CreateTable(const TableName& name, std::span<const ColumnDef> columns) override;
    //! PostgreSQL: COPY ... FROM STDIN in text format. Redshift: a StagedTableWriter (staging table, INSERTs).
    Result<std::unique_ptr<TableWriter>> BulkWriter(const TableName& name,
                                                    std::span<const std::string> columns) override;
    //! A new connection with the same URI.
    Result<std::unique_ptr<Warehouse>> Connect() override;
    //! Sends a cancel request for the running query (PQcancel).
    void Interrupt() override;

    //! kith's type for a PostgreSQL type name as format_type() spells it ("numeric(12,2)", "character varying",
    //! "timestamp with time zone") or as an alias ("int8", "varchar", "timestamptz").
    static DataType MapTypeName(std::string_view engine_type);
    //! The PostgreSQL type that stores a column of this definition ("numeric(12,2)", "text", "timestamptz").
    static std::string StorageTypeName(const ColumnDef& column);

private:
    PostgresWarehouse() = default;
    //! Connects with conninfo: with iam, as the user and with the password GetClusterCredentials gives; else with
    //! password when not empty (a password in the conninfo wins over it).
    static Result<std::unique_ptr<PostgresWarehouse>> Connect(const std::string& conninfo, const char* engine,
                                                              const std::string& password,
                                                              std::shared_ptr<redshift::IamAuth> iam = nullptr);
    const sql::Dialect& Sql() const;
    Result<std::unique_ptr<TableWriter>> RedshiftBulkWriter(const TableName& name, std::span<const std::string> columns);
    //! The result columns' metadata: name, type name (with precision for numeric and character types), kith type.
    std::vector<Column> DescribeResult(const pg_result* result);
    Status LoadTypeNames();
    //! An error while a stream or a bulk load still holds the connection.
    Status CheckIdle() const;

    pg_conn* conn_ = nullptr;
    std::string uri_;      //!< libpq's conninfo
    std::string password_;                   //!< the password given to Open (empty: libpq's own sources)
    std::shared_ptr<redshift::IamAuth> iam_; //!< Redshift's IAM login, shared by the warehouse's connections
    const char* engine_ = "postgres"; //!< "postgres" or "redshift": the dialect, and the location of errors
    pg_cancel* cancel_ = nullptr; //!< made once at connection, used by Interrupt from any thread
    std::unordered_map<pg::Oid, std::string> type_names_;
    bool type_names_stale_ = false;
    //! Set while a RowStream or TableWriter holds the connection.
    bool busy_ = false;
};

} // namespace kith::warehouse
