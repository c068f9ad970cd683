#include "store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <utility>

namespace kith::store::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view context) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (!context.empty()) message = fmt::format("{}: {}", context, message);
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    ErrorCode code = (rc & 0xff) == SQLITE_CONSTRAINT ? ErrorCode::INVALID : ErrorCode::IO;
    return Error{code, "state store: " + message, file ? file : ""};
}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(std::exchange(other.bind_error_, 0)), owner_(std::exchange(other.owner_, nullptr)),
      sql_(std::move(other.sql_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        Release();
        db_ = std::exchange(other.db_, nullptr);
        stmt_ = std::exchange(other.stmt_, nullptr);
        bind_error_ = std::exchange(other.bind_error_, 0);
        owner_ = std::exchange(other.owner_, nullptr);
        sql_ = std::move(other.sql_);
    }
    return *this;
}

Statement::~Statement() { Release(); }

void Statement::Release() {
    if (owner_ && stmt_) {
        owner_->Return(std::move(sql_), std::exchange(stmt_, nullptr));
    } else {
        sqlite3_finalize(std::exchange(stmt_, nullptr));
    }
}

void Statement::Bind(int index, int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::Bind(int index, double value) {
    int rc = sqlite3_bind_double(stmt_, index, value);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::Bind(int index, std::string_view value) {
    int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void Statement::Bind(int index, std::nullptr_t) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Result<bool> Statement::Step() {
    if (bind_error_ != 0) return std::unexpected(SqliteError(db_, bind_error_, "binding a parameter"));
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(SqliteError(db_, rc));
}

Status Statement::Run() {
    while (true) {
        auto row = Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return {};
    }
}

void Statement::Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_error_ = 0;
}

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Text(int column) const {
    const unsigned char* p = sqlite3_column_text(stmt_, column);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<int64_t> Statement::OptionalInt(int column) const {
    if (IsNull(column)) return std::nullopt;
    return Int(column);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)), cache_(std::move(other.cache_)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        FinalizeCached();
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        path_ = std::move(other.path_);
        cache_ = std::move(other.cache_);
    }
    return *this;
}

Database::~Database() {
    FinalizeCached();
    sqlite3_close_v2(db_);
}

void Database::FinalizeCached() {
    for (Cached& c : cache_) sqlite3_finalize(c.stmt);
    cache_.clear();
}

void Database::Return(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (const Cached& c : cache_) {
        if (c.sql == sql) { // another of the same text is kept already
            sqlite3_finalize(stmt);
            return;
        }
    }
    if (cache_.size() >= kCachedStatements) {
        sqlite3_finalize(cache_.front().stmt);
        cache_.erase(cache_.begin());
    }
    cache_.push_back(Cached{std::move(sql), stmt});
}

Result<Database> Database::Open(const std::string& path) {
    Database d;
    d.path_ = path;
    int rc = sqlite3_open_v2(path.c_str(), &d.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        Error e = SqliteError(d.db_, rc, "cannot open");
        e.location = path;
        return std::unexpected(e);
    }
    sqlite3_extended_result_codes(d.db_, 1);
    return d;
}

Status Database::Exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    ErrorCode code = (rc & 0xff) == SQLITE_CONSTRAINT ? ErrorCode::INVALID : ErrorCode::IO;
    return Fail(code, "state store: " + text, path_);
}

Result<Statement> Database::Prepare(std::string_view sql) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
        if (it->sql == sql) {
            Statement st(*this, std::move(it->sql), db_, it->stmt);
            cache_.erase(it);
            return st;
        }
    }
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc, "preparing a statement"));
    return Statement(*this, std::string(sql), db_, stmt);
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

Status Database::EnableTriggers(bool on) {
    int rc = sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, on ? 1 : 0, nullptr);
    if (rc != SQLITE_OK) return std::unexpected(SqliteError(db_, rc, "switching triggers"));
    return {};
}

} // namespace kith::store::sqlite
