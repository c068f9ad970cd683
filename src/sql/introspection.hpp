// The fixed statements drivers send on their own behalf: the session settings
// of a new connection and the catalog queries behind DescribeTable and
// `kith copy`'s table listing. They take no user text: names travel as bound
// parameters. Engines whose protocol has catalog calls of its own (HiveServer2's
// GetColumns and GetTables) need none of these.
#pragma once

#include "sql/dialect.hpp"
#include "sql/statement.hpp"

#include <string>
#include <vector>

namespace kith::sql {

//! What a new connection sets so that values read back as kith's canonical text: UTC, ISO dates, ...
std::vector<Statement> SessionSetup(const Dialect& dialect);

//! A table's columns in order: rows (name, engine type). Parameters: catalog, schema (NULL: the engine's default,
//! as it resolves a bare name) and table, written '?' for DuckDB and $1..$3 for PostgreSQL.
std::string DescribeColumnsQuery(const Dialect& dialect);

//! The base tables of the current database outside the engine's own schemas: rows (schema, table), in order.
std::string ListTablesQuery(const Dialect& dialect);

//! BigQuery: a dataset's INFORMATION_SCHEMA is part of the table path, not a parameter. The columns of a table of
//! the dataset (one parameter: the table's name): rows (name, type).
std::string BigQueryColumnsQuery(const std::string& project, const std::string& dataset);
//! BigQuery: the base tables of a dataset: rows (dataset, table), ordered by table.
std::string BigQueryTablesQuery(const std::string& project, const std::string& dataset);
//! BigQuery: the datasets of a project in a location ("us", "eu", ...): rows (dataset), ordered.
std::string BigQueryDatasetsQuery(const std::string& project, const std::string& location);

//! PostgreSQL: every type's oid and name (rows (oid, name)).
std::string PostgresTypeNamesQuery();

//! PostgreSQL: COPY table (columns) FROM STDIN, text format.
std::string PostgresCopyFromStdin(const TableName& table, const std::vector<std::string>& columns);

} // namespace kith::sql
