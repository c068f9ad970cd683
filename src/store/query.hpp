// Helpers the store's source files share to run a query and read its rows (internal to src/store).
//
//   return All<AudienceRecord>(db(), "SELECT ... WHERE workspace_id = ?", ReadAudience, workspace);
#pragma once

#include "common/error.hpp"
#include "store/sqlite.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kith::store::detail {

template <class T> std::unexpected<Error> Propagate(const Result<T>& r) { return std::unexpected(r.error()); }

//! Stored JSON was written by CanonicalJson and checked by json_valid(); never throws in practice.
inline nlohmann::json ParseStored(const std::string& text) { return nlohmann::json::parse(text, nullptr, false); }

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

//! The first row, if any.
template <class T, class Read, class... A>
Result<std::optional<T>> One(sqlite::Database& db, const std::string& sql, Read read, const A&... args) {
    auto rows = All<T>(db, sql, read, args...);
    if (!rows) return Propagate(rows);
    if (rows->empty()) return std::optional<T>();
    return std::optional<T>(std::move(rows->front()));
}

//! Fails with NOT_FOUND when an UPDATE or DELETE touched no row.
inline Status Touched(sqlite::Database& db, Status s, const std::string& what) {
    if (!s) return s;
    if (db.Changes() == 0) return Fail(ErrorCode::NOT_FOUND, what + " does not exist");
    return {};
}

} // namespace kith::store::detail
