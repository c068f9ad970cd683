#include "sql/dialect.hpp"

namespace kith::sql {

const Dialect& Dialect::DuckDb() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "duckdb";
        x.number_type = "DECIMAL(38, 18)";
        x.string_type = "VARCHAR";
        x.has_try_cast = true;
        x.regex_full_match_fn = "regexp_full_match";
        x.bytewise_collation = "";
        x.minutes_interval = "to_minutes(CAST({} AS BIGINT))";
        x.escape_string_backslashes = false;
        return x;
    }();
    return d;
}

const Dialect& Dialect::Postgres() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "postgres";
        x.number_type = "NUMERIC(38, 18)";
        x.string_type = "TEXT";
        x.has_try_cast = false;
        x.regex_full_match_fn = "";
        x.bytewise_collation = "COLLATE \"C\"";
        x.minutes_interval = "make_interval(mins => CAST({} AS INTEGER))";
        x.index_pages = true;
        x.escape_string_backslashes = true;
        return x;
    }();
    return d;
}

const Dialect* Dialect::Find(std::string_view name) {
    if (name == "duckdb") return &DuckDb();
    if (name == "postgres" || name == "postgresql") return &Postgres();
    return nullptr;
}

} // namespace kith::sql
