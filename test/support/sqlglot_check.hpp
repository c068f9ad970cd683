// Checks that SQL statements parse in their engine's dialect with sqlglot (scripts/sqlglot_check.py, run by the
// project's .venv/bin/python; ../shared/spec/warehouses.md: the SQL kith emits for each engine is also parsed by
// sqlglot in that engine's dialect).
//
//   auto ok = kith::test::SqlglotCheck({{"spark", sql, "members of audience a1"}});
//   EXPECT_TRUE(ok) << ok.error().ToString();  // one line per rejected statement, with sqlglot's message
#pragma once

#include "common/error.hpp"

#include <string>
#include <vector>

namespace kith::test {

//! One statement to check.
struct SqlStatement {
    std::string dialect; //!< a sqlglot dialect: spark, databricks, redshift, snowflake, bigquery, postgres, duckdb...
    std::string sql;
    std::string where;   //!< what it is, for the message (file:line or a label)
};

//! Ok when sqlglot parses every statement in its dialect (and understands it: text sqlglot keeps only as an
//! opaque command is rejected too); else an INVALID error whose message has one line per rejected statement
//! (`where: [dialect] sqlglot's message`). An IO error when the checker cannot run. Sets up .venv first
//! (`scripts/setup.sh venv`) when it is missing.
Status SqlglotCheck(const std::vector<SqlStatement>& statements);

} // namespace kith::test
