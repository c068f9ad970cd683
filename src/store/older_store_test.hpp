// Test support: the state store as an older kith left it, to test that a migration keeps and converts its rows.
#pragma once

#include "store/migrations.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace kith::store::older_store {

//! The SQL that builds a store at `version`: schema_version and every migration up to it, each recorded as applied.
//! A migration that rebuilds a table needs the store's code (Store::ApplyMigration) and is not SQL alone: a version
//! from one on is refused.
inline std::string SchemaAtVersion(int version) {
    std::string sql = "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL);";
    for (const Migration& m : Migrations()) {
        if (m.version > version) break;
        if (m.rebuilds) throw std::logic_error(fmt::format("SchemaAtVersion({}): migration {} rebuilds a table", version, m.version));
        sql += m.sql;
        sql += fmt::format("INSERT INTO schema_version VALUES ({}, 0);", m.version);
    }
    return sql;
}

//! Runs sql on the SQLite file at path, as an older kith would have written it: "" or SQLite's error.
inline std::string Write(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    std::string out;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        out = sqlite3_errmsg(db);
    } else if (char* error = nullptr; sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        out = error ? error : "error";
        sqlite3_free(error);
    }
    sqlite3_close(db);
    return out;
}

//! One audience, `vip` (id 1), in the default workspace.
inline constexpr const char* kVipAudience =
    "INSERT INTO audiences (workspace_id, key, name, schedule, definition, definition_version, created_at, "
    "updated_at) VALUES (1, 'vip', 'VIPs', '{}', '{}', 1, 0, 0);";

//! One activation of `vip`, `f` (id 1), to a destination of no settings.
inline constexpr const char* kOneActivation =
    "INSERT INTO activations (workspace_id, key, audience_id, destination, action, trigger_type, "
    "identifiers, enrichment, mapping, created_at, updated_at) VALUES (1, 'f', 1, '{}', 'send', "
    "'profile_enters', '[]', '{}', 'null', 0, 0);";

} // namespace kith::store::older_store
