// Internal to the store module: the small helpers every file of Tx methods
// uses to run a statement and read its rows. Not part of the store's API;
// only store/*.cpp include it.
//
//   auto names = All<std::string>(db, "SELECT key FROM audiences WHERE workspace_id = ?",
//                                 [](const sqlite::Statement& st) { return st.Text(0); }, workspace);
//   if (!names) return Propagate(names);
#pragma once

#include "common/error.hpp"
#include "store/sqlite.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kith::store {

//! The error of a failed Result, as a value any other Result can return.
template <class T> std::unexpected<Error> Propagate(const Result<T>& r) { return std::unexpected(r.error()); }

//! Parses a JSON column. Stored JSON was written by CanonicalJson and checked by json_valid(); never throws in
//! practice (a broken value reads as discarded).
inline nlohmann::json ParseStored(const std::string& text) { return nlohmann::json::parse(text, nullptr, false); }

//! The system clock in UTC milliseconds (the default of Store::Options::clock).
inline int64_t SystemNow() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

//! Runs a query and reads every row with read.
template <class T, class Read, class... A>
Result<std::vector<T>> All(sqlite::Database& db, const std::string& sql, Read read, const A&... args) {
    auto st = db.Prepare(sql);
    if (!st) return Propagate(st);
    st->BindAll(args...);
    std::vector<T> out;
    while (true) {
        auto row = st->Step();
        if (!row) return Propagate(row);
        if (!*row) return out;
        out.push_back(read(*st));
    }
}

//! Runs a query and reads its first row, if any.
template <class T, class Read, class... A>
Result<std::optional<T>> One(sqlite::Database& db, const std::string& sql, Read read, const A&... args) {
    auto rows = All<T>(db, sql, read, args...);
    if (!rows) return Propagate(rows);
    if (rows->empty()) return std::optional<T>();
    return std::optional<T>(std::move(rows->front()));
}

//! Fails with NOT_FOUND when an UPDATE (or DELETE) touched no row.
inline Status Touched(sqlite::Database& db, Status s, const std::string& what) {
    if (!s) return s;
    if (db.Changes() == 0) return Fail(ErrorCode::NOT_FOUND, what + " does not exist");
    return {};
}

} // namespace kith::store
