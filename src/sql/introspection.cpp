#include "sql/introspection.hpp"

#include "sql/printer.hpp"

#include "common/text.hpp"

namespace kith::sql {

std::vector<Statement> SessionSetup(const Dialect& d) {
    if (d.name == "postgres") {
        // audiences.md, "Time zones"; ISO dates and shortest round-trip floats so that values parse back exactly.
        return {SetOption{"client_encoding", "UTF8"}, SetOption{"TimeZone", "UTC"},
                SetOption{"DateStyle", "ISO, YMD"}, SetOption{"IntervalStyle", "iso_8601"},
                SetOption{"extra_float_digits", "1"}};
    }
    if (d.name == "redshift") {
        // Only settings Redshift has: no IntervalStyle, and client_encoding is always UTF8. extra_float_digits 2
        // is Redshift's most (17 significant digits, which round-trip; PostgreSQL 12+ prints the shortest form).
        return {SetOption{"timezone", "UTC"}, SetOption{"datestyle", "ISO, YMD"}, SetOption{"extra_float_digits", "2"}};
    }
    if (d.name == "duckdb") return {SetOption{"TimeZone", "UTC"}};
    return {};
}

std::string DescribeColumnsQuery(const Dialect& d) {
    if (d.name == "postgres") {
        // A bare name resolves like PostgreSQL resolves it: the first schema of the search_path that has the table
        // (audiences.md, "Bare table names"). Another database's tables are out of reach of this connection.
        return "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
               "WHERE a.attrelid = ("
               "  SELECT c.oid FROM pg_catalog.pg_class c "
               "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
               "  LEFT JOIN unnest(current_schemas(false)) WITH ORDINALITY AS s(name, ord) ON s.name = n.nspname "
               "  WHERE c.relname = $3::text AND c.relkind IN ('r', 'v', 'm', 'f', 'p') "
               "    AND ($1::text IS NULL OR $1::text = current_database()) "
               "    AND CASE WHEN $2::text IS NULL THEN s.ord IS NOT NULL ELSE n.nspname = $2::text END "
               "  ORDER BY s.ord LIMIT 1) "
               "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    }
    if (d.name == "redshift") {
        // The catalog tables Redshift shares with PostgreSQL; a bare name is the table the search_path shows
        // (pg_table_is_visible: Redshift has neither current_schemas nor unnest).
        return "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a "
               "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
               "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
               "WHERE c.relname = $3::text AND c.relkind IN ('r', 'v', 'm', 'f', 'p') "
               "AND ($1::text IS NULL OR $1::text = current_database()) "
               "AND CASE WHEN $2::text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid) ELSE n.nspname = $2::text END "
               "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
    }
    // Bare names resolve in the default catalog and schema (audiences.md, "Bare table names").
    return "SELECT column_name, data_type FROM information_schema.columns "
           "WHERE table_catalog = coalesce(?, current_database()) AND table_schema = coalesce(?, current_schema()) "
           "AND table_name = ? ORDER BY ordinal_position";
}

std::string ListTablesQuery(const Dialect&) {
    // information_schema reads the same in DuckDB and PostgreSQL; "pg_" schemas are PostgreSQL's own.
    return "SELECT table_schema, table_name FROM information_schema.tables "
           "WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' "
           "AND table_schema NOT IN ('information_schema', 'pg_catalog') "
           "AND substr(table_schema, 1, 3) <> 'pg_' ORDER BY table_schema, table_name";
}

namespace {

// `project.dataset`.INFORMATION_SCHEMA.VIEW: the path is one identifier, quoted (and escaped) as BigQuery quotes.
std::string BigQueryInformationSchema(const std::string& path, const char* view) {
    return QuoteIdent(path, Dialect::BigQuery()) + ".INFORMATION_SCHEMA." + view;
}

} // namespace

std::string BigQueryColumnsQuery(const std::string& project, const std::string& dataset) {
    return "SELECT column_name, data_type FROM " + BigQueryInformationSchema(project + "." + dataset, "COLUMNS") +
           " WHERE table_name = ? ORDER BY ordinal_position";
}

std::string BigQueryTablesQuery(const std::string& project, const std::string& dataset) {
    return "SELECT table_schema, table_name FROM " + BigQueryInformationSchema(project + "." + dataset, "TABLES") +
           " WHERE table_type = 'BASE TABLE' ORDER BY table_name";
}

std::string BigQueryDatasetsQuery(const std::string& project, const std::string& location) {
    return "SELECT schema_name FROM " + BigQueryInformationSchema(project + ".region-" + text::Lower(location), "SCHEMATA") +
           " ORDER BY schema_name";
}

std::string PostgresTypeNamesQuery() { return "SELECT oid, format_type(oid, NULL) FROM pg_catalog.pg_type"; }

std::string PostgresCopyFromStdin(const TableName& table, const std::vector<std::string>& columns) {
    const Dialect& d = Dialect::Postgres();
    std::string sql = "COPY " + QuoteTable(table, d) + " (";
    for (size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + QuoteIdent(columns[i], d);
    return sql + ") FROM STDIN";
}

} // namespace kith::sql
