// Statements other than queries that kith sends to a warehouse: the DDL of
// runs and `kith copy`, bulk inserts, and session settings. Like queries, they
// are trees printed per dialect; names are quoted and values escaped by the
// printer only.
//
//   sql::Statement s = sql::CreateTableAs{{"", "kith_state", "a1_r2_members"}, query};
//   std::string text = sql::Print(s, sql::Dialect::Spark());
#pragma once

#include "schema/column.hpp"
#include "sql/ast.hpp"

#include <string>
#include <variant>
#include <vector>

namespace kith::sql {

//! CREATE SCHEMA IF NOT EXISTS schema.
struct CreateSchema {
    std::string schema;
};

//! DROP TABLE IF EXISTS table.
struct DropTable {
    TableName table;
};

//! CREATE TABLE table AS query (the dialect's table format appended where it needs one).
struct CreateTableAs {
    TableName table;
    Query query;
};

//! CREATE TABLE table (columns), each column stored as the dialect's type for its definition.
struct CreateTable {
    TableName table;
    std::vector<schema::ColumnDef> columns;
};

//! CREATE INDEX name ON table (columns).
struct CreateIndex {
    std::string name;
    TableName table;
    std::vector<std::string> columns;
};

//! INSERT INTO table (columns) VALUES (...), (...): one row per inner vector, one expression per column.
struct InsertValues {
    TableName table;
    std::vector<std::string> columns;
    std::vector<std::vector<ExprPtr>> rows;
};

//! INSERT INTO table (columns) query.
struct InsertSelect {
    TableName table;
    std::vector<std::string> columns;
    Query query;
};

//! ALTER TABLE table RENAME TO to (to: a table name in the same schema).
struct RenameTable {
    TableName table;
    std::string to;
};

//! A session setting: SET name = 'value' (name is one of a few that kith sets, checked when printed).
struct SetOption {
    std::string name;
    std::string value;
};

//! DESCRIBE TABLE table: rows (column name, type, comment) where the engine has it (Spark).
struct DescribeTable {
    TableName table;
};

//! BEGIN / COMMIT / ROLLBACK.
struct Transaction {
    enum class Kind { BEGIN, COMMIT, ROLLBACK };
    Kind kind = Kind::BEGIN;
};

using Statement = std::variant<Query, CreateSchema, DropTable, CreateTableAs, CreateTable, CreateIndex, InsertValues,
                               InsertSelect, RenameTable, SetOption, DescribeTable, Transaction>;

//! A value of canonical text (warehouse/value.hpp) as an expression of the column's storage type: CAST('text' AS
//! type), or NULL. What bulk inserts through SQL (engines without a bulk loader) write.
ExprPtr StorageValue(const std::optional<std::string>& canonical, const schema::ColumnDef& column);

} // namespace kith::sql
