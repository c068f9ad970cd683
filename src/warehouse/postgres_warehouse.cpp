#include "warehouse/postgres_warehouse.hpp"
#include "warehouse/copy.hpp"
#include "warehouse/staged_writer.hpp"

#include "common/text.hpp"
#include "sql/introspection.hpp"
#include "sql/printer.hpp"
#include "warehouse/uri_text.hpp"

#include <algorithm>
#include <cctype>
#include <libpq-fe.h>
#include <map>

namespace kith::warehouse {

namespace {

constexpr size_t kChunkRows = 2048;

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

std::string Trimmed(const char* text) {
    std::string s = text ? text : "";
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

// PostgreSQL's primary message and SQLSTATE; libpq's own message when the server sent none (a lost connection).
Error EngineError(const PGresult* result, PGconn* conn, std::string_view engine) {
    const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message = primary ? primary : Trimmed(result ? PQresultErrorMessage(result) : nullptr);
    if (message.empty()) message = Trimmed(PQerrorMessage(conn));
    if (message.empty()) message = "query failed";
    if (const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr) {
        message += std::string(" (SQLSTATE ") + state + ")";
    }
    return Error{ErrorCode::WAREHOUSE, std::move(message), std::string(engine)};
}

Error ConnectionError(PGconn* conn, std::string_view engine) {
    std::string message = Trimmed(PQerrorMessage(conn));
    return Error{ErrorCode::WAREHOUSE, message.empty() ? "connection failed" : message, std::string(engine)};
}

// Reads and discards what is left of the current command's results.
void Drain(PGconn* conn) {
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
}

// Parameter values as libpq wants them: NUL-terminated text, NULL pointers for NULL.
std::vector<const char*> ParamValues(std::span<const Param> params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    return values;
}

bool IsError(ExecStatusType status) {
    return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_SINGLE_TUPLE &&
           status != PGRES_EMPTY_QUERY;
}

// A COPY started by a statement given to Execute or Query: ends it (failing COPY FROM STDIN, reading COPY TO
// STDOUT to its end) and returns the error to report; nullopt for other statuses.
std::optional<Error> RefuseCopy(PGconn* conn, ExecStatusType status, std::string_view engine) {
    if (status == PGRES_COPY_IN) {
        PQputCopyEnd(conn, "COPY FROM STDIN is only for bulk loads");
    } else if (status == PGRES_COPY_OUT) {
        char* data = nullptr;
        while (PQgetCopyData(conn, &data, 0) > 0) PQfreemem(data);
    } else {
        return std::nullopt;
    }
    Drain(conn);
    return Error{ErrorCode::USAGE, "COPY ... STDIN/STDOUT is not supported here; use BulkWriter to load rows",
                 std::string(engine)};
}

class PostgresRowStream final : public RowStream {
public:
    PostgresRowStream(PGconn* conn, bool& busy, ResultPtr first, std::vector<Column> columns, std::string engine)
        : conn_(conn), busy_(busy), pending_(std::move(first)), columns_(std::move(columns)), engine_(std::move(engine)) {
        for (int c = 0; c < static_cast<int>(columns_.size()); ++c) types_.push_back(PQftype(pending_.get(), c));
        busy_ = true;
    }
    ~PostgresRowStream() override {
        if (done_) return;
        busy_ = false;
        // Abandoned early: ask the server to stop sending rows, then read what is already on its way.
        pending_.reset();
        if (PGcancel* cancel = PQgetCancel(conn_)) {
            char err[256];
            PQcancel(cancel, err, sizeof err);
            PQfreeCancel(cancel);
        }
        Drain(conn_);
    }
    PostgresRowStream(const PostgresRowStream&) = delete;
    PostgresRowStream& operator=(const PostgresRowStream&) = delete;

    const std::vector<Column>& columns() const override { return columns_; }

    Result<bool> Next(Chunk& chunk) override {
        chunk.rows.clear();
        while (!done_ && chunk.rows.size() < kChunkRows) {
            ResultPtr r = pending_ ? std::move(pending_) : ResultPtr(PQgetResult(conn_));
            if (!r) {
                Done();
                break;
            }
            ExecStatusType status = PQresultStatus(r.get());
            if (IsError(status)) {
                Error e = EngineError(r.get(), conn_, engine_);
                r.reset();
                Drain(conn_);
                Done();
                chunk.rows.clear();
                return std::unexpected(std::move(e));
            }
            // Single-row mode: one row per PGRES_SINGLE_TUPLE, then an empty PGRES_TUPLES_OK, then NULL.
            int n = PQntuples(r.get());
            for (int row = 0; row < n; ++row) chunk.rows.push_back(ReadRow(r.get(), row));
        }
        return !chunk.rows.empty();
    }

private:
    void Done() {
        done_ = true;
        busy_ = false;
    }

    std::vector<Cell> ReadRow(const PGresult* r, int row) const {
        std::vector<Cell> cells(columns_.size());
        for (int c = 0; c < static_cast<int>(cells.size()); ++c) {
            if (PQgetisnull(r, row, c)) continue;
            std::string_view text(PQgetvalue(r, row, c), static_cast<size_t>(PQgetlength(r, row, c)));
            cells[static_cast<size_t>(c)] = pg::CanonicalText(types_[static_cast<size_t>(c)], text);
        }
        return cells;
    }

    PGconn* conn_;
    bool& busy_;
    ResultPtr pending_;
    std::vector<Column> columns_;
    std::vector<pg::Oid> types_;
    std::string engine_;
    bool done_ = false;
};

// COPY ... FROM STDIN, text format: tab-separated, '\N' for NULL, backslash escapes.
class PostgresTableWriter final : public TableWriter {
public:
    PostgresTableWriter(PGconn* conn, bool& busy, size_t columns) : conn_(conn), busy_(busy), columns_(columns) {
        busy_ = true;
    }
    ~PostgresTableWriter() override {
        if (!open_) return;
        busy_ = false;
        // Failing the COPY makes the server discard every row sent so far.
        PQputCopyEnd(conn_, "bulk load abandoned");
        Drain(conn_);
    }
    PostgresTableWriter(const PostgresTableWriter&) = delete;
    PostgresTableWriter& operator=(const PostgresTableWriter&) = delete;

    Status Append(const Chunk& rows) override {
        if (!open_) return Fail(ErrorCode::INTERNAL, "bulk load already finished", engine_);
        buffer_.clear();
        for (const auto& row : rows.rows) {
            if (row.size() != columns_) {
                return Fail(ErrorCode::INTERNAL,
                            "row of " + std::to_string(row.size()) + " cells for " + std::to_string(columns_) +
                                " columns",
                            engine_);
            }
            for (size_t c = 0; c < row.size(); ++c) {
                if (c > 0) buffer_ += '\t';
                if (!row[c]) {
                    buffer_ += "\\N";
                    continue;
                }
                for (char ch : *row[c]) {
                    switch (ch) {
                    case '\\':
                        buffer_ += "\\\\";
                        break;
                    case '\t':
                        buffer_ += "\\t";
                        break;
                    case '\n':
                        buffer_ += "\\n";
                        break;
                    case '\r':
                        buffer_ += "\\r";
                        break;
                    default:
                        buffer_ += ch;
                    }
                }
            }
            buffer_ += '\n';
        }
        if (buffer_.empty()) return {};
        if (PQputCopyData(conn_, buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
            return std::unexpected(ConnectionError(conn_, engine_));
        }
        return {};
    }

    Status Finish() override {
        if (!open_) return Fail(ErrorCode::INTERNAL, "bulk load already finished", engine_);
        open_ = false;
        busy_ = false;
        if (PQputCopyEnd(conn_, nullptr) != 1) {
            Error e = ConnectionError(conn_, engine_);
            Drain(conn_);
            return std::unexpected(std::move(e));
        }
        ResultPtr r(PQgetResult(conn_));
        std::optional<Error> error;
        if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) error = EngineError(r.get(), conn_, engine_);
        r.reset();
        Drain(conn_);
        if (error) return std::unexpected(std::move(*error));
        return {};
    }

private:
    PGconn* conn_;
    bool& busy_;
    size_t columns_;
    std::string buffer_;
    bool open_ = true;
    const char* engine_ = "postgres"; // COPY FROM STDIN is PostgreSQL's alone
};

using text::Lower;

// A URI's host without its port ("[::1]:5439" -> "[::1]").
std::string HostName(const std::string& host) {
    size_t bracket = host.rfind(']');
    size_t colon = host.find(':', bracket == std::string::npos ? 0 : bracket);
    return host.substr(0, colon);
}

// libpq's connection for conninfo; with an IAM login, as the user and with the password it gives (PQconnectdbParams
// keywords after the expanded conninfo override its user, and the password never enters a string kith keeps);
// otherwise with password when not empty, put before the expanded conninfo (libpq keeps the last value of a keyword,
// so a password written in a postgresql:// conninfo still wins).
Result<PGconn*> OpenConnection(const std::string& conninfo, const std::string& password, redshift::IamAuth* iam) {
    if (iam == nullptr) {
        if (password.empty()) return PQconnectdb(conninfo.c_str());
        const char* keys[] = {"password", "dbname", nullptr};
        const char* values[] = {password.c_str(), conninfo.c_str(), nullptr};
        return PQconnectdbParams(keys, values, 1);
    }
    auto login = iam->Login();
    if (!login) return std::unexpected(login.error());
    const char* keys[] = {"dbname", "user", "password", nullptr};
    const char* values[] = {conninfo.c_str(), login->db_user.c_str(), login->db_password.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    std::fill(login->db_password.begin(), login->db_password.end(), '\0');
    return conn;
}

} // namespace

namespace {

std::string PasswordOf(const Getenv& getenv) {
    const char* v = getenv("PGPASSWORD");
    return v ? v : "";
}

} // namespace

Result<std::unique_ptr<PostgresWarehouse>> PostgresWarehouse::Open(const std::string& uri, const Getenv& getenv) {
    return Connect(uri, "postgres", PasswordOf(getenv));
}

Result<PostgresWarehouse::RedshiftUri> PostgresWarehouse::ParseRedshiftUri(const std::string& uri) {
    constexpr std::string_view kScheme = "redshift://";
    if (!uri.starts_with(kScheme)) return Fail(ErrorCode::USAGE, "a Redshift URI starts with redshift://", uri);
    std::string rest = uri.substr(kScheme.size());
    std::string query;
    if (auto q = rest.find('?'); q != std::string::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string authority = rest.substr(0, rest.find('/'));
    std::string path = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/'));
    std::string user, host = authority;
    if (auto at = authority.rfind('@'); at != std::string::npos) {
        user = authority.substr(0, at);
        host = authority.substr(at + 1);
    }
    constexpr std::string_view kNoPassword = "a password does not belong in a Redshift URI: set PGPASSWORD or use a "
                                             ".pgpass file, or log in with IAM credentials (auth=iam)";
    if (user.find(':') != std::string::npos) {
        return Fail(ErrorCode::USAGE, std::string(kNoPassword),
                    "redshift://" + user.substr(0, user.find(':')) + "@" + host + path);
    }
    if (path.size() <= 1) return Fail(ErrorCode::USAGE, "a Redshift URI names its database: redshift://USER@HOST:5439/DATABASE", uri);
    const std::string named_host = host; // the cluster's name, before an endpoint= replaces it
    std::string kept;
    std::map<std::string, std::string> iam_params;
    for (size_t start = 0; start < query.size();) {
        size_t end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        std::string param = query.substr(start, end - start);
        start = end + 1;
        if (param.empty()) continue;
        std::string key = param.substr(0, param.find('='));
        if (redshift::IsIamParameter(key)) {
            iam_params[key] = param.find('=') == std::string::npos ? "" : PercentDecode(param.substr(key.size() + 1));
            continue;
        }
        if (key == "endpoint") {
            // Tests reach a local stand-in: endpoint=HOST:PORT (or postgresql://HOST:PORT) replaces the host.
            std::string endpoint = param.substr(std::min(param.size(), size_t{9}));
            for (std::string_view scheme : {"postgresql://", "postgres://", "redshift://"}) {
                if (endpoint.starts_with(scheme)) endpoint = endpoint.substr(scheme.size());
            }
            while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
            if (endpoint.empty()) return Fail(ErrorCode::USAGE, "endpoint= names HOST:PORT", uri);
            host = endpoint;
            continue;
        }
        if (key == "password") return Fail(ErrorCode::USAGE, std::string(kNoPassword));
        kept += (kept.empty() ? "?" : "&") + param;
    }
    RedshiftUri parsed;
    if (!iam_params.empty()) {
        auto iam = redshift::IamOptionsFrom(HostName(named_host), PercentDecode(user), PercentDecode(path.substr(1)),
                                            iam_params);
        if (!iam) return std::unexpected(iam.error());
        parsed.iam = std::move(*iam);
    }
    // Redshift listens on 5439, not PostgreSQL's 5432 (a bracketed IPv6 host's colons are not a port).
    size_t bracket = host.rfind(']');
    if (host.find(':', bracket == std::string::npos ? 0 : bracket) == std::string::npos) host += ":5439";
    parsed.conninfo = "postgresql://" + (user.empty() ? "" : user + "@") + host + path + kept;
    return parsed;
}

Result<std::string> PostgresWarehouse::RedshiftConnInfo(const std::string& uri) {
    auto parsed = ParseRedshiftUri(uri);
    if (!parsed) return std::unexpected(parsed.error());
    return parsed->conninfo;
}

Result<std::unique_ptr<PostgresWarehouse>> PostgresWarehouse::OpenRedshift(const std::string& uri,
                                                                          const Getenv& getenv) {
    auto parsed = ParseRedshiftUri(uri);
    if (!parsed) return std::unexpected(parsed.error());
    if (!parsed->iam) return Connect(parsed->conninfo, "redshift", PasswordOf(getenv));
    auto iam = redshift::IamAuth::FromEnvironment(std::move(*parsed->iam), getenv);
    if (!iam) return std::unexpected(iam.error());
    return Connect(parsed->conninfo, "redshift", "", std::move(*iam));
}

const sql::Dialect& PostgresWarehouse::Sql() const {
    return std::string_view(engine_) == "redshift" ? sql::Dialect::Redshift() : sql::Dialect::Postgres();
}

Result<std::unique_ptr<PostgresWarehouse>> PostgresWarehouse::Connect(const std::string& uri, const char* engine_,
                                                                     const std::string& password,
                                                                     std::shared_ptr<redshift::IamAuth> iam) {
    auto opened = OpenConnection(uri, password, iam.get());
    if (!opened) return std::unexpected(opened.error());
    ConnPtr conn(*opened);
    if (!conn) return Fail(ErrorCode::WAREHOUSE, "out of memory", engine_);
    if (PQstatus(conn.get()) != CONNECTION_OK) return std::unexpected(ConnectionError(conn.get(), engine_));
    // Notices ("table does not exist, skipping") are not errors; libpq would print them on stderr.
    PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
    std::unique_ptr<PostgresWarehouse> wh(new PostgresWarehouse());
    wh->conn_ = conn.release();
    wh->uri_ = uri;
    wh->password_ = password;
    wh->iam_ = std::move(iam);
    wh->engine_ = engine_;
    wh->cancel_ = PQgetCancel(wh->conn_);
    // audiences.md, "Time zones"; ISO dates and shortest round-trip floats so that values parse back exactly.
    std::string setup;
    for (const auto& statement : sql::SessionSetup(wh->Sql())) {
        setup += (setup.empty() ? "" : "; ") + sql::Print(statement, wh->Sql());
    }
    auto ok = wh->Execute(setup);
    if (!ok) return std::unexpected(ok.error());
    ok = wh->LoadTypeNames();
    if (!ok) return std::unexpected(ok.error());
    return wh;
}

PostgresWarehouse::~PostgresWarehouse() {
    if (cancel_) PQfreeCancel(cancel_);
    if (conn_) PQfinish(conn_);
}

Result<std::unique_ptr<Warehouse>> PostgresWarehouse::Connect() {
    auto wh = Connect(uri_, engine_, password_, iam_);
    if (!wh) return std::unexpected(wh.error());
    return std::unique_ptr<Warehouse>(std::move(*wh));
}

void PostgresWarehouse::Interrupt() {
    if (!cancel_) return;
    char error[256];
    PQcancel(cancel_, error, sizeof error); // best effort: a failed cancel leaves the query running
}

Status PostgresWarehouse::LoadTypeNames() {
    ResultPtr r(PQexec(conn_, sql::PostgresTypeNamesQuery().c_str()));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) return std::unexpected(EngineError(r.get(), conn_, engine_));
    type_names_.clear();
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        type_names_[static_cast<pg::Oid>(std::stoul(PQgetvalue(r.get(), i, 0)))] = PQgetvalue(r.get(), i, 1);
    }
    type_names_stale_ = false;
    return {};
}

std::vector<Column> PostgresWarehouse::DescribeResult(const PGresult* result) {
    std::vector<Column> columns;
    for (int c = 0; c < PQnfields(result); ++c) {
        pg::Oid type = PQftype(result, c);
        int mod = PQfmod(result, c);
        Column column;
        column.name = PQfname(result, c);
        if (auto it = type_names_.find(type); it != type_names_.end()) {
            column.engine_type = it->second;
        } else {
            // A type created after connecting; named on the next query.
            column.engine_type = "oid " + std::to_string(type);
            type_names_stale_ = true;
        }
        if (type == pg::kNumeric && mod >= 4) {
            int p = ((mod - 4) >> 16) & 0xffff, s = (mod - 4) & 0xffff;
            column.engine_type += "(" + std::to_string(p) + "," + std::to_string(s) + ")";
        } else if ((type == pg::kVarchar || type == pg::kBpchar) && mod >= 4) {
            column.engine_type += "(" + std::to_string(mod - 4) + ")";
        }
        column.type = pg::TypeOfOid(type);
        columns.push_back(std::move(column));
    }
    return columns;
}

Status PostgresWarehouse::CheckIdle() const {
    // libpq would silently discard the rest of an open stream's rows to run the next command.
    if (busy_) {
        return Fail(ErrorCode::INTERNAL, "the connection is busy with an unfinished result or bulk load", engine_);
    }
    return {};
}

Status PostgresWarehouse::Execute(const std::string& sql, std::span<const Param> params) {
    if (auto idle = CheckIdle(); !idle) return idle;
    ResultPtr r;
    if (params.empty()) {
        // Several ';'-separated statements run in one implicit transaction; the last one's result comes back.
        r.reset(PQexec(conn_, sql.c_str()));
    } else {
        auto values = ParamValues(params);
        r.reset(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0));
    }
    if (!r) return std::unexpected(ConnectionError(conn_, engine_));
    ExecStatusType status = PQresultStatus(r.get());
    if (auto copy = RefuseCopy(conn_, status, engine_)) return std::unexpected(std::move(*copy));
    if (IsError(status)) return std::unexpected(EngineError(r.get(), conn_, engine_));
    return {};
}

Result<std::unique_ptr<RowStream>> PostgresWarehouse::Query(const std::string& sql, std::span<const Param> params) {
    if (auto idle = CheckIdle(); !idle) return std::unexpected(idle.error());
    if (type_names_stale_) {
        auto ok = LoadTypeNames();
        if (!ok) return std::unexpected(ok.error());
    }
    auto values = ParamValues(params);
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0)) {
        return std::unexpected(ConnectionError(conn_, engine_));
    }
    if (!PQsetSingleRowMode(conn_)) {
        Drain(conn_);
        return Fail(ErrorCode::INTERNAL, "cannot switch the connection to single-row mode", engine_);
    }
    // The first result carries the columns (and any error in planning or in the first rows).
    ResultPtr first(PQgetResult(conn_));
    if (!first) return std::unexpected(ConnectionError(conn_, engine_));
    if (auto copy = RefuseCopy(conn_, PQresultStatus(first.get()), engine_)) return std::unexpected(std::move(*copy));
    if (IsError(PQresultStatus(first.get()))) {
        Error e = EngineError(first.get(), conn_, engine_);
        first.reset();
        Drain(conn_);
        return std::unexpected(std::move(e));
    }
    std::vector<Column> columns = DescribeResult(first.get());
    return std::unique_ptr<RowStream>(new PostgresRowStream(conn_, busy_, std::move(first), std::move(columns), engine_));
}

DataType PostgresWarehouse::MapTypeName(std::string_view engine_type) {
    // Drop type modifiers: "numeric(12,2)" -> "numeric", "timestamp(3) with time zone" -> "timestamp with time zone".
    std::string t;
    int depth = 0;
    for (char c : Lower(engine_type)) {
        if (c == '(') ++depth;
        if (depth == 0) t += c;
        if (c == ')' && depth > 0) --depth;
    }
    std::string collapsed;
    for (char c : t) {
        if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
        collapsed += c;
    }
    while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
    if (collapsed.starts_with("pg_catalog.")) collapsed = collapsed.substr(11);
    static const std::pair<const char*, DataType> kTypes[] = {
        {"smallint", DataType::NUMBER},
        {"integer", DataType::NUMBER},
        {"bigint", DataType::NUMBER},
        {"int2", DataType::NUMBER},
        {"int4", DataType::NUMBER},
        {"int8", DataType::NUMBER},
        {"int", DataType::NUMBER},
        {"oid", DataType::NUMBER},
        {"numeric", DataType::NUMBER},
        {"decimal", DataType::NUMBER},
        {"real", DataType::NUMBER},
        {"float4", DataType::NUMBER},
        {"double precision", DataType::NUMBER},
        {"float8", DataType::NUMBER},
        {"float", DataType::NUMBER},
        {"text", DataType::STRING},
        {"character varying", DataType::STRING},
        {"varchar", DataType::STRING},
        {"character", DataType::STRING},
        {"char", DataType::STRING},
        {"bpchar", DataType::STRING},
        {"name", DataType::STRING},
        {"boolean", DataType::BOOLEAN},
        {"bool", DataType::BOOLEAN},
        {"date", DataType::DATE},
        {"time without time zone", DataType::TIME},
        {"time", DataType::TIME},
        {"timestamp without time zone", DataType::TIMESTAMP},
        {"timestamp with time zone", DataType::TIMESTAMP},
        {"timestamp", DataType::TIMESTAMP},
        {"timestamptz", DataType::TIMESTAMP},
    };
    for (const auto& [name, type] : kTypes) {
        if (collapsed == name) return type;
    }
    return DataType::OTHER;
}

Result<std::optional<std::vector<Column>>> PostgresWarehouse::DescribeTable(const TableName& name) {
    // A bare name resolves like PostgreSQL resolves it: the first schema of the search_path that has the table
    // (audiences.md, "Bare table names"). Another database's tables are out of reach of this connection.
    // Redshift folds names to lower case, quoted or not: so does the lookup.
    const sql::Dialect& d = Sql();
    auto fold = [&](const std::string& part) { return d.fold_identifiers_lower ? Lower(part) : part; };
    const std::string sql = sql::DescribeColumnsQuery(d);
    Param params[] = {name.database.empty() ? Param{} : Param{fold(name.database)},
                      name.schema.empty() ? Param{} : Param{fold(name.schema)}, Param{fold(name.table)}};
    auto rows = QueryAll(*this, sql, params);
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (auto& row : *rows) {
        Column c{row[0].value_or(""), row[1].value_or(""), DataType::OTHER};
        c.type = MapTypeName(c.engine_type);
        c.folded = d.fold_identifiers_lower;
        columns.push_back(std::move(c));
    }
    return std::optional<std::vector<Column>>(std::move(columns));
}

std::string PostgresWarehouse::StorageTypeName(const ColumnDef& column) {
    return sql::StorageTypeName(column, sql::Dialect::Postgres());
}

Status PostgresWarehouse::CreateTable(const TableName& name, std::span<const ColumnDef> columns) {
    return Execute(sql::Print(sql::CreateTable{name, {columns.begin(), columns.end()}}, Sql()));
}

Result<std::unique_ptr<TableWriter>> PostgresWarehouse::RedshiftBulkWriter(const TableName& name,
                                                                           std::span<const std::string> columns) {
    // Redshift has no COPY FROM STDIN (its COPY reads from S3 and the like): rows go through a staging table.
    auto described = DescribeTable(name);
    if (!described) return std::unexpected(described.error());
    if (!*described) return Fail(ErrorCode::NOT_FOUND, "no such table", name.ToString());
    std::vector<ColumnDef> defs;
    for (const auto& wanted : columns) {
        auto it = std::find_if((*described)->begin(), (*described)->end(),
                               [&](const Column& c) { return Lower(c.name) == Lower(wanted); });
        if (it == (*described)->end()) {
            return Fail(ErrorCode::NOT_FOUND, "no column " + wanted + " in the table", name.ToString());
        }
        defs.push_back(StorageFor(*it));
        defs.back().name = wanted;
    }
    return StagedTableWriter::Start(*this, Sql(), engine_, name, std::move(defs));
}

Result<std::unique_ptr<TableWriter>> PostgresWarehouse::BulkWriter(const TableName& name,
                                                                   std::span<const std::string> columns) {
    if (auto idle = CheckIdle(); !idle) return std::unexpected(idle.error());
    if (Sql().name == "redshift") return RedshiftBulkWriter(name, columns);
    std::string sql = sql::PostgresCopyFromStdin(name, {columns.begin(), columns.end()});
    ResultPtr r(PQexec(conn_, sql.c_str()));
    if (!r) return std::unexpected(ConnectionError(conn_, engine_));
    if (PQresultStatus(r.get()) != PGRES_COPY_IN) {
        Error e = EngineError(r.get(), conn_, engine_);
        r.reset();
        Drain(conn_);
        return std::unexpected(std::move(e));
    }
    return std::unique_ptr<TableWriter>(new PostgresTableWriter(conn_, busy_, columns.size()));
}

} // namespace kith::warehouse
