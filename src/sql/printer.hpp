// Prints the SQL tree (ast.hpp) as text of one dialect (dialect.hpp).
#pragma once

#include "sql/ast.hpp"
#include "sql/dialect.hpp"
#include "sql/statement.hpp"

#include <string>
#include <string_view>

namespace kith::sql {

//! A whole query, CTEs one per paragraph.
std::string Print(const Query& query, const Dialect& dialect);
//! One SELECT.
std::string Print(const Select& select, const Dialect& dialect);
//! One expression.
std::string Print(const Expr& expr, const Dialect& dialect);
//! Any statement kith sends: a query, DDL, an insert, a session setting.
std::string Print(const Statement& statement, const Dialect& dialect);

//! The only way a value becomes SQL text: a string literal that the engine reads back as exactly s.
//! s must not contain NUL (validation rejects it).
std::string QuoteString(std::string_view s, const Dialect& dialect);
//! The only way a name becomes SQL text: an identifier in the dialect's quotes (the quote character doubled inside).
//! name must not contain NUL.
std::string QuoteIdent(std::string_view name, const Dialect& dialect);
//! A table name, each part quoted.
std::string QuoteTable(const TableName& table, const Dialect& dialect);
//! The dialect's column type for a column kith creates.
std::string StorageTypeName(const schema::ColumnDef& column, const Dialect& dialect);

} // namespace kith::sql
