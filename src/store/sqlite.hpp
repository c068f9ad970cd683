// A thin RAII layer over SQLite's C API: a connection and prepared statements,
// errors as Result values carrying SQLite's own message. Used only inside the
// store module; no other module sees SQL.
//
//   auto db = sqlite::Database::Open("state.sqlite");
//   auto st = db->Prepare("SELECT name FROM audiences WHERE key = ?");
//   st->Bind(1, "vip");
//   while (auto row = st->Step()) { if (!*row) break; use(st->Text(0)); }
#pragma once

#include "common/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kith::store::sqlite {

class Database;

//! A prepared statement; parameters count from 1, columns from 0. One that Database::Prepare made goes back to its
//! connection's cache when it is destroyed.
class Statement {
public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    Statement(Database& owner, std::string sql, sqlite3* db, sqlite3_stmt* stmt)
        : db_(db), stmt_(stmt), owner_(&owner), sql_(std::move(sql)) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    void Bind(int index, int64_t value);
    void Bind(int index, int value) { Bind(index, static_cast<int64_t>(value)); }
    void Bind(int index, bool value) { Bind(index, static_cast<int64_t>(value ? 1 : 0)); }
    void Bind(int index, double value);
    void Bind(int index, std::string_view value);
    void Bind(int index, const std::string& value) { Bind(index, std::string_view(value)); }
    void Bind(int index, const char* value) { Bind(index, std::string_view(value)); }
    void Bind(int index, std::nullptr_t);
    template <class T> void Bind(int index, const std::optional<T>& value) {
        if (value) {
            Bind(index, *value);
        } else {
            Bind(index, nullptr);
        }
    }
    //! Binds every argument in order, from parameter 1.
    template <class... A> void BindAll(const A&... args) {
        int i = 0;
        (Bind(++i, args), ...);
    }

    //! Runs one step: true when a row is ready, false when done.
    Result<bool> Step();
    //! Steps until done (statements that return no rows).
    Status Run();
    //! Makes the statement ready to run again, with no parameters bound.
    void Reset();

    bool IsNull(int column) const;
    int64_t Int(int column) const;
    double Double(int column) const;
    std::string Text(int column) const;
    std::optional<int64_t> OptionalInt(int column) const;

private:
    //! Gives the statement back to its connection's cache, or finalizes it.
    void Release();

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    int bind_error_ = 0;
    Database* owner_ = nullptr; //!< the connection whose cache takes it back, if any
    std::string sql_;
};

//! One connection to a database file.
class Database {
public:
    Database() = default;
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    //! Opens (creating when missing) a database file.
    static Result<Database> Open(const std::string& path);

    //! Runs statements separated by ';', without parameters.
    Status Exec(const std::string& sql);
    //! Prepares a statement, or takes the one of the same text that an earlier Prepare made and that is no longer in
    //! use: the connection keeps the last kCachedStatements, so SQLite compiles a statement (with the triggers it may
    //! fire) once rather than at every use. The statement must not outlive the connection.
    Result<Statement> Prepare(std::string_view sql);
    //! Prepares, binds and runs a statement that returns no rows.
    template <class... A> Status Run(std::string_view sql, const A&... args) {
        auto st = Prepare(sql);
        if (!st) return std::unexpected(st.error());
        st->BindAll(args...);
        return st->Run();
    }
    int64_t LastInsertId() const;
    int64_t Changes() const;
    //! Switches the connection's triggers on or off (SQLITE_DBCONFIG_ENABLE_TRIGGER): a statement prepared while
    //! they are off fires none.
    Status EnableTriggers(bool on);
    const std::string& path() const { return path_; }

private:
    friend class Statement;
    static constexpr size_t kCachedStatements = 64;
    struct Cached {
        std::string sql;
        sqlite3_stmt* stmt = nullptr;
    };
    //! Takes back a statement Prepare made, reset, as the most recently used; the least recently used one goes
    //! beyond kCachedStatements.
    void Return(std::string sql, sqlite3_stmt* stmt);
    void FinalizeCached();

    sqlite3* db_ = nullptr;
    std::string path_;
    std::vector<Cached> cache_; //!< least recently used first
};

//! An Error with SQLite's message for code rc on db (constraint violations are INVALID, the rest IO).
Error SqliteError(sqlite3* db, int rc, std::string_view context = {});

} // namespace kith::store::sqlite
