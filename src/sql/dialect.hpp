// SQL dialects as data: what differs between engines is written here once,
// and the printer (printer.hpp) reads it. Adding an engine means adding a
// Dialect value, and a case in the printer only for a construct whose shape
// (not just its spelling) differs.
#pragma once

#include "schema/column.hpp"

#include <array>
#include <string>
#include <string_view>

namespace kith::sql {

struct Dialect {
    std::string name;

    // Type names for casts.
    std::string number_type;
    std::string string_type;
    std::string boolean_type = "BOOLEAN";
    std::string date_type = "DATE";
    std::string time_type = "TIME";
    std::string timestamp_type = "TIMESTAMP";
    std::string integer_type = "INTEGER";

    //! Identifiers: the quote character around a name (doubled inside it): '"' in standard SQL, '`' in Spark.
    char identifier_quote = '"';
    //! The quote character and backslash inside a name are escaped with a backslash, not doubled (BigQuery).
    bool identifier_backslash_escape = false;
    //! The engine folds every identifier to lower case, quoted or not (Redshift): names are printed folded, so that
    //! the tables kith creates and the names it reads agree whatever case a data graph uses.
    bool fold_identifiers_lower = false;

    //! How a string literal escapes what it holds.
    enum class StringEscapes {
        STANDARD,       //!< 'text' with quotes doubled; backslash is an ordinary character (DuckDB)
        POSTGRES_E,     //!< E'text' with quotes doubled and backslashes doubled (PostgreSQL)
        BACKSLASH,      //!< 'text' with \' and \\: backslash is the escape character (Spark, BigQuery)
    };
    StringEscapes string_escapes = StringEscapes::STANDARD;

    //! TRY_CAST exists (else a guarded CAST is printed), under this name (SAFE_CAST in BigQuery).
    bool has_try_cast = false;
    std::string try_cast_fn = "TRY_CAST";
    //! Whole-string regex match: a function `fn(text, pattern)`, else `text <regex_operator> '^(?:pattern)<end>'`.
    std::string regex_full_match_fn; //!< empty: use regex_operator
    //! regex_full_match_fn finds a match anywhere (BigQuery's REGEXP_CONTAINS): kith anchors the pattern.
    bool regex_fn_finds_anywhere = false;
    std::string regex_operator = "~";
    //! Whole-string regex match through `text SIMILAR TO 'pattern'` (SQL's whole-string match), for engines whose
    //! regex anchors are not known to mean the ends of the text (Redshift). kith's patterns use only `\.` escapes.
    bool regex_similar_to = false;
    //! What anchors a pattern at the very end of the text ("$"; Java's "$" also matches before a final newline).
    std::string regex_end_anchor = "$";
    //! How a regex replacement names group n: '\\' (\1) or '$' ($1).
    char regex_group_reference = '\\';
    //! Appended to text that must compare bytewise (ORDER BY, min); empty when the engine always does.
    std::string bytewise_collation;
    //! An interval of n minutes: printf-like with one "{}" for n.
    std::string minutes_interval;
    //! A timestamp plus n minutes, for `ts + MINUTES(n)` and `ts - MINUTES(n)` on engines without intervals of a
    //! computed length (Snowflake, BigQuery): "{ts}" and "{n}" stand for the two (n negated for a subtraction).
    //! Empty: `ts ± minutes_interval`.
    std::string add_minutes;
    //! `a IS NOT DISTINCT FROM b`, or an operator meaning it ("<=>" in Spark); empty: printed as
    //! `coalesce(a = b, a IS NULL AND b IS NULL)` (Redshift).
    std::string null_safe_equal = "IS NOT DISTINCT FROM";
    //! `a % b` is written MOD(a, b) (BigQuery has no % operator).
    bool mod_function = false;
    //! LIKE takes `ESCAPE '\'`; false where backslash is LIKE's escape character already and ESCAPE does not exist
    //! (BigQuery).
    bool like_escape_clause = true;
    //! Tables kith writes (run snapshots, changes, lookups) get an index on the column pages are read by: engines
    //! without zone maps need one to read a page without scanning the table.
    bool index_pages = false;

    //! Column types of tables kith creates (`kith copy`), by StorageType; DECIMAL is "DECIMAL(p,s)" up to
    //! max_decimal_precision, `wide_decimal_type` beyond it (or unconstrained), and `decimal_39_0_type` (when set)
    //! for integers of 39 digits.
    std::array<std::string, 12> storage_types;
    int max_decimal_precision = 38;
    std::string decimal_name = "DECIMAL";
    std::string wide_decimal_type;
    std::string decimal_39_0_type;
    //! Appended to CREATE TABLE ... (columns) and CREATE TABLE ... AS: the table format where the engine needs one.
    std::string create_table_suffix;
    //! A select item that is a column under its own name is printed without `AS name` (Spark 4.3's optimizer rule
    //! RemoveRedundantAliases breaks the plan of a window over a UNION ALL whose branches alias columns that way).
    bool omit_redundant_aliases = false;
    //! ALTER TABLE ... RENAME TO names the new table with its schema (Spark) or alone (PostgreSQL, DuckDB).
    bool rename_to_qualified = false;
    //! DuckDB 1.4.
    static const Dialect& DuckDb();
    //! PostgreSQL 12 and later.
    static const Dialect& Postgres();
    //! Apache Spark 4 SQL (ANSI mode), as Spark's Thrift server and Databricks SQL warehouses speak it.
    static const Dialect& Spark();
    //! Amazon Redshift, through the PostgreSQL wire protocol.
    static const Dialect& Redshift();
    //! Snowflake, through its SQL API v2.
    static const Dialect& Snowflake();
    //! BigQuery's GoogleSQL, through its REST API v2.
    static const Dialect& BigQuery();
    //! By name ("duckdb", "postgres", "spark", "databricks", "redshift", "snowflake", "bigquery"); nullptr when unknown.
    static const Dialect* Find(std::string_view name);
};

} // namespace kith::sql
