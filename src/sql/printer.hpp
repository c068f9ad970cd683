// Prints the SQL tree (ast.hpp) as text of one dialect (dialect.hpp).
#pragma once

#include "sql/ast.hpp"
#include "sql/dialect.hpp"

#include <string>
#include <string_view>

namespace kith::sql {

//! A whole query, CTEs one per paragraph.
std::string Print(const Query& query, const Dialect& dialect);
//! One SELECT.
std::string Print(const Select& select, const Dialect& dialect);
//! One expression.
std::string Print(const Expr& expr, const Dialect& dialect);

//! The only way a value becomes SQL text: a string literal that the engine reads back as exactly s.
//! s must not contain NUL (validation rejects it).
std::string QuoteString(std::string_view s, const Dialect& dialect);
//! The only way a name becomes SQL text: a double-quoted identifier.
std::string QuoteIdent(std::string_view name);
//! A table name, each part quoted.
std::string QuoteTable(const TableName& table);

} // namespace kith::sql
