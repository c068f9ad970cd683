// SQL dialects as data: what differs between engines is written here once,
// and the printer (printer.hpp) reads it. Adding an engine means adding a
// Dialect value, and a case in the printer only for a construct whose shape
// (not just its spelling) differs.
#pragma once

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

    //! TRY_CAST exists (else a guarded CAST is printed).
    bool has_try_cast = false;
    //! Whole-string regex match: a function `fn(text, pattern)`, or PostgreSQL's `text ~ '^(?:pattern)$'`.
    std::string regex_full_match_fn; //!< empty: use the ~ operator
    //! Appended to text that must compare bytewise (ORDER BY, min); empty when the engine always does.
    std::string bytewise_collation;
    //! An interval of n minutes: printf-like with one "{}" for n.
    std::string minutes_interval;
    //! String literals: 'text' with quotes doubled, or E'text' with backslashes doubled too.
    bool escape_string_backslashes = false;
    //! Tables kith writes (run snapshots, changes, lookups) get an index on the column pages are read by: engines
    //! without zone maps need one to read a page without scanning the table.
    bool index_pages = false;

    //! DuckDB 1.4.
    static const Dialect& DuckDb();
    //! PostgreSQL 12 and later.
    static const Dialect& Postgres();
    //! By name ("duckdb", "postgres"); nullptr when unknown.
    static const Dialect* Find(std::string_view name);
};

} // namespace kith::sql
