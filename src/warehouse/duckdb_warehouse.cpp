#include "warehouse/duckdb_warehouse.hpp"

#include "sql/introspection.hpp"
#include "sql/printer.hpp"

#include "warehouse/canonical.hpp"
#include "warehouse/uri_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kith::warehouse {

namespace {

std::string Tx(sql::Transaction::Kind kind) { return sql::Print(sql::Transaction{kind}, sql::Dialect::DuckDb()); }

Error EngineError(std::string message) { return Error{ErrorCode::WAREHOUSE, std::move(message), "duckdb"}; }

DataType MapTypeId(duckdb_type id) {
    switch (id) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
        return DataType::NUMBER;
    case DUCKDB_TYPE_VARCHAR:
        return DataType::STRING;
    case DUCKDB_TYPE_BOOLEAN:
        return DataType::BOOLEAN;
    case DUCKDB_TYPE_DATE:
        return DataType::DATE;
    case DUCKDB_TYPE_TIME:
        return DataType::TIME;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return DataType::TIMESTAMP;
    default:
        return DataType::OTHER;
    }
}

canonical::Int128 HugeToInt128(duckdb_hugeint h) {
    return static_cast<canonical::Int128>((static_cast<canonical::UInt128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
}

// Converts one vector of a chunk to canonical text cells, column col of rows.
class ColumnReader {
public:
    explicit ColumnReader(duckdb_logical_type type) : type_(type), id_(duckdb_get_type_id(type)) {
        if (id_ == DUCKDB_TYPE_DECIMAL) {
            scale_ = duckdb_decimal_scale(type);
            internal_ = duckdb_decimal_internal_type(type);
        }
    }

    Result<void> Read(duckdb_vector vec, idx_t count, std::vector<std::vector<Cell>>& rows, size_t col) const {
        void* data = duckdb_vector_get_data(vec);
        uint64_t* validity = duckdb_vector_get_validity(vec);
        for (idx_t r = 0; r < count; ++r) {
            if (validity && !duckdb_validity_row_is_valid(validity, r)) {
                rows[r][col] = std::nullopt;
                continue;
            }
            auto cell = Convert(data, r);
            if (!cell) return std::unexpected(cell.error());
            rows[r][col] = std::move(*cell);
        }
        return {};
    }

private:
    template <class T> static T At(void* data, idx_t r) {
        T v;
        std::memcpy(&v, static_cast<char*>(data) + r * sizeof(T), sizeof(T));
        return v;
    }

    Result<std::string> Convert(void* data, idx_t r) const {
        switch (id_) {
        case DUCKDB_TYPE_BOOLEAN:
            return std::string(At<bool>(data, r) ? "true" : "false");
        case DUCKDB_TYPE_TINYINT:
            return std::to_string(At<int8_t>(data, r));
        case DUCKDB_TYPE_SMALLINT:
            return std::to_string(At<int16_t>(data, r));
        case DUCKDB_TYPE_INTEGER:
            return std::to_string(At<int32_t>(data, r));
        case DUCKDB_TYPE_BIGINT:
            return std::to_string(At<int64_t>(data, r));
        case DUCKDB_TYPE_UTINYINT:
            return std::to_string(At<uint8_t>(data, r));
        case DUCKDB_TYPE_USMALLINT:
            return std::to_string(At<uint16_t>(data, r));
        case DUCKDB_TYPE_UINTEGER:
            return std::to_string(At<uint32_t>(data, r));
        case DUCKDB_TYPE_UBIGINT:
            return std::to_string(At<uint64_t>(data, r));
        case DUCKDB_TYPE_HUGEINT:
            return canonical::Decimal(HugeToInt128(At<duckdb_hugeint>(data, r)), 0);
        case DUCKDB_TYPE_FLOAT:
            return canonical::Double(At<float>(data, r));
        case DUCKDB_TYPE_DOUBLE:
            return canonical::Double(At<double>(data, r));
        case DUCKDB_TYPE_DECIMAL:
            switch (internal_) {
            case DUCKDB_TYPE_SMALLINT:
                return canonical::Decimal(At<int16_t>(data, r), scale_);
            case DUCKDB_TYPE_INTEGER:
                return canonical::Decimal(At<int32_t>(data, r), scale_);
            case DUCKDB_TYPE_BIGINT:
                return canonical::Decimal(At<int64_t>(data, r), scale_);
            default:
                return canonical::Decimal(HugeToInt128(At<duckdb_hugeint>(data, r)), scale_);
            }
        case DUCKDB_TYPE_VARCHAR:
        case DUCKDB_TYPE_BLOB: {
            auto* s = static_cast<duckdb_string_t*>(data) + r;
            return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
        }
        case DUCKDB_TYPE_DATE:
            return canonical::DateFromDays(At<duckdb_date>(data, r).days);
        case DUCKDB_TYPE_TIME: {
            int64_t us = At<duckdb_time>(data, r).micros;
            int64_t s = us / 1000000;
            return canonical::Time(static_cast<int32_t>(s / 3600), static_cast<int32_t>(s / 60 % 60),
                                   static_cast<int32_t>(s % 60), static_cast<int32_t>(us % 1000000));
        }
        case DUCKDB_TYPE_TIMESTAMP:
        case DUCKDB_TYPE_TIMESTAMP_TZ:
            return canonical::TimestampMicros(At<duckdb_timestamp>(data, r).micros);
        case DUCKDB_TYPE_TIMESTAMP_S:
            return canonical::TimestampMicros(At<int64_t>(data, r) * 1000000);
        case DUCKDB_TYPE_TIMESTAMP_MS:
            return canonical::TimestampMicros(At<int64_t>(data, r) * 1000);
        case DUCKDB_TYPE_TIMESTAMP_NS: {
            int64_t ns = At<int64_t>(data, r);
            return canonical::TimestampMicros(ns / 1000 - (ns % 1000 < 0 ? 1 : 0));
        }
        default:
            return std::unexpected(EngineError("result column of a type kith does not read (type id " +
                                               std::to_string(static_cast<int>(id_)) +
                                               "); cast it to VARCHAR in the query"));
        }
    }

    duckdb_logical_type type_;
    duckdb_type id_;
    uint8_t scale_ = 0;
    duckdb_type internal_ = DUCKDB_TYPE_INVALID;
};

class DuckDbRowStream final : public RowStream {
public:
    DuckDbRowStream(duckdb_prepared_statement stmt, duckdb_result result)
        : stmt_(stmt), result_(result) {
        idx_t n = duckdb_column_count(&result_);
        for (idx_t i = 0; i < n; ++i) {
            duckdb_logical_type type = duckdb_column_logical_type(&result_, i);
            types_.push_back(type);
            readers_.emplace_back(type);
            Column c;
            c.name = duckdb_column_name(&result_, i);
            char* tn = duckdb_logical_type_get_alias(type);
            if (tn) {
                c.engine_type = tn;
                duckdb_free(tn);
            } else {
                c.engine_type = std::to_string(static_cast<int>(duckdb_get_type_id(type)));
            }
            c.type = MapTypeId(duckdb_get_type_id(type));
            columns_.push_back(std::move(c));
        }
    }
    ~DuckDbRowStream() override {
        for (auto& t : types_) duckdb_destroy_logical_type(&t);
        duckdb_destroy_result(&result_);
        duckdb_destroy_prepare(&stmt_);
    }

    const std::vector<Column>& columns() const override { return columns_; }

    Result<bool> Next(Chunk& chunk) override {
        chunk.rows.clear();
        if (done_) return false;
        duckdb_data_chunk dc = duckdb_fetch_chunk(result_);
        if (!dc) {
            done_ = true;
            const char* err = duckdb_result_error(&result_);
            if (err) return std::unexpected(EngineError(err));
            return false;
        }
        idx_t count = duckdb_data_chunk_get_size(dc);
        chunk.rows.assign(count, std::vector<Cell>(columns_.size()));
        for (size_t c = 0; c < columns_.size(); ++c) {
            auto ok = readers_[c].Read(duckdb_data_chunk_get_vector(dc, c), count, chunk.rows, c);
            if (!ok) {
                duckdb_destroy_data_chunk(&dc);
                return std::unexpected(ok.error());
            }
        }
        duckdb_destroy_data_chunk(&dc);
        return true;
    }

private:
    duckdb_prepared_statement stmt_;
    duckdb_result result_;
    std::vector<duckdb_logical_type> types_;
    std::vector<ColumnReader> readers_;
    std::vector<Column> columns_;
    bool done_ = false;
};

std::string AppenderError(duckdb_appender appender) {
    duckdb_error_data data = duckdb_appender_error_data(appender);
    std::string message = data && duckdb_error_data_has_error(data) ? duckdb_error_data_message(data) : "append failed";
    duckdb_destroy_error_data(&data);
    return message;
}

// Rows go through DuckDB's appender as VARCHAR, which DuckDB casts to each column's type, inside one transaction
// so that an abandoned load leaves nothing behind.
class DuckDbTableWriter final : public TableWriter {
public:
    DuckDbTableWriter(DuckDbWarehouse& owner, duckdb_appender appender, size_t columns)
        : owner_(owner), appender_(appender), columns_(columns) {}
    ~DuckDbTableWriter() override {
        if (appender_) duckdb_appender_destroy(&appender_);
        if (open_) (void)owner_.Execute(Tx(sql::Transaction::Kind::ROLLBACK));
    }
    DuckDbTableWriter(const DuckDbTableWriter&) = delete;
    DuckDbTableWriter& operator=(const DuckDbTableWriter&) = delete;

    Status Append(const Chunk& rows) override {
        if (!open_ || failed_) return Fail(ErrorCode::INTERNAL, "bulk load already finished or failed", "duckdb");
        for (const auto& row : rows.rows) {
            if (row.size() != columns_) {
                failed_ = true;
                return Fail(ErrorCode::INTERNAL,
                            "row of " + std::to_string(row.size()) + " cells for " + std::to_string(columns_) +
                                " columns",
                            "duckdb");
            }
            for (const auto& cell : row) {
                duckdb_state st = cell ? duckdb_append_varchar_length(appender_, cell->data(), cell->size())
                                       : duckdb_append_null(appender_);
                if (st == DuckDBError) return Failed();
            }
            if (duckdb_appender_end_row(appender_) == DuckDBError) return Failed();
        }
        return {};
    }

    Status Finish() override {
        if (!open_ || failed_) return Fail(ErrorCode::INTERNAL, "bulk load already finished or failed", "duckdb");
        if (duckdb_appender_close(appender_) == DuckDBError) return Failed();
        duckdb_appender_destroy(&appender_);
        appender_ = nullptr;
        open_ = false;
        auto ok = owner_.Execute(Tx(sql::Transaction::Kind::COMMIT));
        if (!ok) (void)owner_.Execute(Tx(sql::Transaction::Kind::ROLLBACK));
        return ok;
    }

private:
    std::unexpected<Error> Failed() {
        failed_ = true;
        return std::unexpected(EngineError(AppenderError(appender_)));
    }

    DuckDbWarehouse& owner_;
    duckdb_appender appender_;
    size_t columns_;
    bool open_ = true;
    bool failed_ = false;
};

} // namespace

struct DuckDbWarehouse::Database {
    duckdb_database db = nullptr;
    ~Database() {
        if (db) duckdb_close(&db);
    }
};

Result<std::unique_ptr<DuckDbWarehouse>> DuckDbWarehouse::OpenUri(std::string rest) {
    auto settings = TakeQuery(rest);
    for (const auto& [name, value] : settings) {
        if (std::find(kSettings.begin(), kSettings.end(), name) == kSettings.end()) {
            return Fail(ErrorCode::USAGE,
                        fmt::format("unknown DuckDB setting {:?} in the warehouse URI (it takes {})", name,
                                    fmt::join(kSettings, ", ")),
                        "duckdb:" + rest);
        }
    }
    return Open(rest, settings);
}

Result<std::unique_ptr<DuckDbWarehouse>> DuckDbWarehouse::Open(const std::string& path,
                                                               const std::map<std::string, std::string>& settings) {
    std::unique_ptr<DuckDbWarehouse> wh(new DuckDbWarehouse());
    wh->db_ = std::make_shared<Database>();
    wh->path_ = path;
    char* err = nullptr;
    duckdb_config config = nullptr;
    duckdb_create_config(&config);
    duckdb_set_config(config, "autoinstall_known_extensions", "false");
    duckdb_set_config(config, "autoload_known_extensions", "false");
    for (const auto& [name, value] : settings) {
        if (duckdb_set_config(config, name.c_str(), value.c_str()) == DuckDBError) {
            duckdb_destroy_config(&config);
            return Fail(ErrorCode::USAGE, fmt::format("DuckDB refused the setting {}={:?}", name, value),
                        "duckdb:" + path);
        }
    }
    const char* p = (path.empty() || path == ":memory:") ? nullptr : path.c_str();
    if (duckdb_open_ext(p, &wh->db_->db, config, &err) == DuckDBError) {
        std::string msg = err ? err : "cannot open database";
        if (err) duckdb_free(err);
        duckdb_destroy_config(&config);
        return Fail(ErrorCode::WAREHOUSE, msg, "duckdb:" + path);
    }
    duckdb_destroy_config(&config);
    if (duckdb_connect(wh->db_->db, &wh->con_) == DuckDBError) {
        return Fail(ErrorCode::WAREHOUSE, "cannot connect to database", "duckdb:" + path);
    }
    if (auto ok = wh->SetUpSession(); !ok) return std::unexpected(ok.error());
    return wh;
}

Result<std::unique_ptr<Warehouse>> DuckDbWarehouse::Connect() {
    std::unique_ptr<DuckDbWarehouse> wh(new DuckDbWarehouse());
    wh->db_ = db_;
    wh->path_ = path_;
    if (duckdb_connect(db_->db, &wh->con_) == DuckDBError) {
        return Fail(ErrorCode::WAREHOUSE, "cannot connect to database", "duckdb:" + path_);
    }
    if (auto ok = wh->SetUpSession(); !ok) return std::unexpected(ok.error());
    return std::unique_ptr<Warehouse>(std::move(wh));
}

void DuckDbWarehouse::Interrupt() {
    if (con_) duckdb_interrupt(con_);
}

DuckDbWarehouse::~DuckDbWarehouse() {
    if (con_) duckdb_disconnect(&con_);
}

Result<duckdb_prepared_statement> DuckDbWarehouse::Prepare(const std::string& sql, std::span<const Param> params) {
    duckdb_prepared_statement stmt = nullptr;
    if (duckdb_prepare(con_, sql.c_str(), &stmt) == DuckDBError) {
        std::string msg = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "cannot prepare statement";
        duckdb_destroy_prepare(&stmt);
        return std::unexpected(EngineError(msg));
    }
    idx_t expected = duckdb_nparams(stmt);
    if (expected != params.size()) {
        duckdb_destroy_prepare(&stmt);
        return std::unexpected(Error{ErrorCode::INTERNAL,
                                     "statement takes " + std::to_string(expected) + " parameters, " +
                                         std::to_string(params.size()) + " given",
                                     "duckdb"});
    }
    for (size_t i = 0; i < params.size(); ++i) {
        duckdb_state st = params[i] ? duckdb_bind_varchar_length(stmt, i + 1, params[i]->data(), params[i]->size())
                                    : duckdb_bind_null(stmt, i + 1);
        if (st == DuckDBError) {
            std::string msg = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "cannot bind parameter";
            duckdb_destroy_prepare(&stmt);
            return std::unexpected(EngineError(msg));
        }
    }
    return stmt;
}

Status DuckDbWarehouse::Execute(const std::string& sql, std::span<const Param> params) {
    if (params.empty()) {
        duckdb_result result;
        if (duckdb_query(con_, sql.c_str(), &result) == DuckDBError) {
            std::string msg = duckdb_result_error(&result) ? duckdb_result_error(&result) : "query failed";
            duckdb_destroy_result(&result);
            return std::unexpected(EngineError(msg));
        }
        duckdb_destroy_result(&result);
        return {};
    }
    auto stmt = Prepare(sql, params);
    if (!stmt) return std::unexpected(stmt.error());
    duckdb_result result;
    duckdb_state st = duckdb_execute_prepared(*stmt, &result);
    std::string msg = st == DuckDBError && duckdb_result_error(&result) ? duckdb_result_error(&result) : "";
    duckdb_destroy_result(&result);
    duckdb_destroy_prepare(&*stmt);
    if (st == DuckDBError) return std::unexpected(EngineError(msg.empty() ? "query failed" : msg));
    return {};
}

Result<std::unique_ptr<RowStream>> DuckDbWarehouse::Query(const std::string& sql, std::span<const Param> params) {
    auto stmt = Prepare(sql, params);
    if (!stmt) return std::unexpected(stmt.error());
    duckdb_pending_result pending = nullptr;
    if (duckdb_pending_prepared_streaming(*stmt, &pending) == DuckDBError) {
        std::string msg = duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "cannot start query";
        duckdb_destroy_pending(&pending);
        duckdb_destroy_prepare(&*stmt);
        return std::unexpected(EngineError(msg));
    }
    duckdb_result result;
    duckdb_state st = duckdb_execute_pending(pending, &result);
    duckdb_destroy_pending(&pending);
    if (st == DuckDBError) {
        std::string msg = duckdb_result_error(&result) ? duckdb_result_error(&result) : "query failed";
        duckdb_destroy_result(&result);
        duckdb_destroy_prepare(&*stmt);
        return std::unexpected(EngineError(msg));
    }
    return std::unique_ptr<RowStream>(new DuckDbRowStream(*stmt, result));
}

std::string DuckDbWarehouse::StorageTypeName(const ColumnDef& column) {
    return sql::StorageTypeName(column, sql::Dialect::DuckDb());
}

Status DuckDbWarehouse::SetUpSession() {
    for (const auto& statement : sql::SessionSetup(sql::Dialect::DuckDb())) {
        if (auto ok = Execute(sql::Print(statement, sql::Dialect::DuckDb())); !ok) return ok;
    }
    return {};
}

Status DuckDbWarehouse::CreateTable(const TableName& name, std::span<const ColumnDef> columns) {
    return Execute(sql::Print(sql::CreateTable{name, {columns.begin(), columns.end()}}, sql::Dialect::DuckDb()));
}

Result<std::unique_ptr<TableWriter>> DuckDbWarehouse::BulkWriter(const TableName& name,
                                                                 std::span<const std::string> columns) {
    auto begin = Execute(Tx(sql::Transaction::Kind::BEGIN));
    if (!begin) return std::unexpected(begin.error());
    auto fail = [&](std::string message) -> std::unexpected<Error> {
        (void)Execute(Tx(sql::Transaction::Kind::ROLLBACK));
        return std::unexpected(EngineError(std::move(message)));
    };
    duckdb_appender appender = nullptr;
    if (duckdb_appender_create_ext(con_, name.database.empty() ? nullptr : name.database.c_str(),
                                   name.schema.empty() ? nullptr : name.schema.c_str(), name.table.c_str(),
                                   &appender) == DuckDBError) {
        std::string message = appender ? AppenderError(appender) : "cannot create appender";
        if (appender) duckdb_appender_destroy(&appender);
        return fail(message);
    }
    for (const auto& column : columns) {
        if (duckdb_appender_add_column(appender, column.c_str()) == DuckDBError) {
            std::string message = AppenderError(appender);
            duckdb_appender_destroy(&appender);
            return fail(message);
        }
    }
    return std::unique_ptr<TableWriter>(new DuckDbTableWriter(*this, appender, columns.size()));
}

DataType DuckDbWarehouse::MapTypeName(std::string_view engine_type) {
    std::string t(engine_type);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::toupper(c); });
    if (t.starts_with("DECIMAL") || t.starts_with("NUMERIC")) return DataType::NUMBER;
    static const std::pair<const char*, DataType> kTypes[] = {
        {"TINYINT", DataType::NUMBER},    {"SMALLINT", DataType::NUMBER},    {"INTEGER", DataType::NUMBER},
        {"BIGINT", DataType::NUMBER},     {"HUGEINT", DataType::NUMBER},     {"UTINYINT", DataType::NUMBER},
        {"USMALLINT", DataType::NUMBER},  {"UINTEGER", DataType::NUMBER},    {"UBIGINT", DataType::NUMBER},
        {"UHUGEINT", DataType::NUMBER},   {"FLOAT", DataType::NUMBER},       {"REAL", DataType::NUMBER},
        {"DOUBLE", DataType::NUMBER},     {"VARCHAR", DataType::STRING},     {"BOOLEAN", DataType::BOOLEAN},
        {"DATE", DataType::DATE},         {"TIME", DataType::TIME},          {"TIMESTAMP", DataType::TIMESTAMP},
        {"TIMESTAMP_S", DataType::TIMESTAMP}, {"TIMESTAMP_MS", DataType::TIMESTAMP},
        {"TIMESTAMP_NS", DataType::TIMESTAMP}, {"TIMESTAMP WITH TIME ZONE", DataType::TIMESTAMP},
    };
    for (const auto& [name, type] : kTypes) {
        if (t == name) return type;
    }
    return DataType::OTHER;
}

Result<std::optional<std::vector<Column>>> DuckDbWarehouse::DescribeTable(const TableName& name) {
    // Bare names resolve in the default catalog and schema (audiences.md, "Bare table names").
    std::string sql = sql::DescribeColumnsQuery(sql::Dialect::DuckDb());
    Param params[] = {name.database.empty() ? Param{} : Param{name.database},
                      name.schema.empty() ? Param{} : Param{name.schema}, Param{name.table}};
    auto rows = QueryAll(*this, sql, params);
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return std::optional<std::vector<Column>>{};
    std::vector<Column> columns;
    for (auto& row : *rows) {
        Column c{row[0].value_or(""), row[1].value_or(""), DataType::OTHER};
        c.type = MapTypeName(c.engine_type);
        columns.push_back(std::move(c));
    }
    return std::optional<std::vector<Column>>(std::move(columns));
}

} // namespace kith::warehouse
