#include "sql/dialect.hpp"

namespace kith::sql {

namespace {

using schema::StorageType;

std::array<std::string, 12> StorageTypes(std::initializer_list<std::pair<StorageType, const char*>> names) {
    std::array<std::string, 12> out;
    for (const auto& [type, name] : names) out[static_cast<size_t>(type)] = name;
    return out;
}

} // namespace

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
        x.string_escapes = StringEscapes::STANDARD;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "SMALLINT"},
                                        {StorageType::INTEGER, "INTEGER"},
                                        {StorageType::BIGINT, "BIGINT"},
                                        {StorageType::REAL, "REAL"},
                                        {StorageType::DOUBLE, "DOUBLE"},
                                        {StorageType::TEXT, "VARCHAR"},
                                        {StorageType::BOOLEAN, "BOOLEAN"},
                                        {StorageType::DATE, "DATE"},
                                        {StorageType::TIME, "TIME"},
                                        {StorageType::TIMESTAMP, "TIMESTAMP"},
                                        {StorageType::TIMESTAMPTZ, "TIMESTAMPTZ"}});
        // Integers of 39 digits (HUGEINT's range) stay exact; other decimals beyond DECIMAL(38) become DOUBLE.
        x.max_decimal_precision = 38;
        x.wide_decimal_type = "DOUBLE";
        x.decimal_39_0_type = "HUGEINT";
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
        x.regex_operator = "~";
        x.bytewise_collation = "COLLATE \"C\"";
        x.minutes_interval = "make_interval(mins => CAST({} AS INTEGER))";
        x.index_pages = true;
        x.string_escapes = StringEscapes::POSTGRES_E;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "smallint"},
                                        {StorageType::INTEGER, "integer"},
                                        {StorageType::BIGINT, "bigint"},
                                        {StorageType::REAL, "real"},
                                        {StorageType::DOUBLE, "double precision"},
                                        {StorageType::TEXT, "text"},
                                        {StorageType::BOOLEAN, "boolean"},
                                        {StorageType::DATE, "date"},
                                        {StorageType::TIME, "time"},
                                        {StorageType::TIMESTAMP, "timestamp"},
                                        {StorageType::TIMESTAMPTZ, "timestamptz"}});
        x.max_decimal_precision = 1000;
        x.decimal_name = "numeric";
        x.wide_decimal_type = "numeric";
        return x;
    }();
    return d;
}

const Dialect& Dialect::Spark() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "spark";
        x.identifier_quote = '`';
        x.number_type = "DECIMAL(38, 18)";
        x.string_type = "STRING";
        x.integer_type = "INT";
        x.time_type = "TIME(6)";
        x.has_try_cast = true;
        // RLIKE finds a match anywhere (Java regular expressions); kith anchors it, with \z since Java's $ also
        // matches before a final line terminator.
        x.regex_full_match_fn = "";
        x.regex_operator = "RLIKE";
        x.regex_end_anchor = "\\z";
        x.regex_group_reference = '$';
        // Spark compares strings by their UTF-8 bytes (the default UTF8_BINARY collation).
        x.bytewise_collation = "";
        x.minutes_interval = "make_dt_interval(0, 0, CAST({} AS INT), 0)";
        x.null_safe_equal = "<=>";
        x.string_escapes = StringEscapes::BACKSLASH;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "SMALLINT"},
                                        {StorageType::INTEGER, "INT"},
                                        {StorageType::BIGINT, "BIGINT"},
                                        {StorageType::REAL, "FLOAT"},
                                        {StorageType::DOUBLE, "DOUBLE"},
                                        {StorageType::TEXT, "STRING"},
                                        {StorageType::BOOLEAN, "BOOLEAN"},
                                        {StorageType::DATE, "DATE"},
                                        // Spark 4.1+ with spark.sql.timeType.enabled (see the module README).
                                        {StorageType::TIME, "TIME(6)"},
                                        {StorageType::TIMESTAMP, "TIMESTAMP_NTZ"},
                                        {StorageType::TIMESTAMPTZ, "TIMESTAMP"}});
        // Decimals beyond Spark's DECIMAL(38) are stored as their text, which round-trips.
        x.max_decimal_precision = 38;
        x.wide_decimal_type = "STRING";
        x.create_table_suffix = "";
        x.rename_to_qualified = true;
        x.omit_redundant_aliases = true;
        return x;
    }();
    return d;
}

const Dialect& Dialect::Redshift() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "redshift";
        // Redshift folds identifiers to lower case even when quoted (enable_case_sensitive_identifier off, its
        // default): kith prints them folded.
        x.fold_identifiers_lower = true;
        x.number_type = "NUMERIC(38, 18)";
        // A bare VARCHAR is VARCHAR(256) in Redshift: casts and stored text take the largest.
        x.string_type = "VARCHAR(65535)";
        x.has_try_cast = false;
        // Redshift's POSIX operators do not say whether ^ and $ mean the ends of the text or of a line; SIMILAR TO
        // matches the whole text by definition.
        x.regex_full_match_fn = "";
        x.regex_similar_to = true;
        // Redshift compares text by its bytes (no locales); the stand-in's database uses the C collation to match.
        x.bytewise_collation = "";
        // No make_interval; text cast to an interval is understood by Redshift and PostgreSQL alike.
        x.minutes_interval = "CAST(CAST(CAST({} AS INTEGER) AS VARCHAR(16)) || ' minutes' AS INTERVAL)";
        x.null_safe_equal = "";
        // Backslash is an escape character in Redshift's string literals.
        x.string_escapes = StringEscapes::BACKSLASH;
        // No indexes: Redshift has zone maps (sort keys) instead.
        x.index_pages = false;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "SMALLINT"},
                                        {StorageType::INTEGER, "INTEGER"},
                                        {StorageType::BIGINT, "BIGINT"},
                                        {StorageType::REAL, "REAL"},
                                        {StorageType::DOUBLE, "DOUBLE PRECISION"},
                                        {StorageType::TEXT, "VARCHAR(65535)"},
                                        {StorageType::BOOLEAN, "BOOLEAN"},
                                        {StorageType::DATE, "DATE"},
                                        {StorageType::TIME, "TIME"},
                                        {StorageType::TIMESTAMP, "TIMESTAMP"},
                                        {StorageType::TIMESTAMPTZ, "TIMESTAMPTZ"}});
        // Decimals beyond DECIMAL(38) are stored as their text, which round-trips.
        x.max_decimal_precision = 38;
        x.wide_decimal_type = "VARCHAR(65535)";
        return x;
    }();
    return d;
}

const Dialect& Dialect::Snowflake() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "snowflake";
        // Quoted names keep their case (unquoted ones fold to upper case): kith quotes every name.
        x.number_type = "NUMBER(38, 18)";
        x.string_type = "VARCHAR";
        // TIMESTAMP is whatever TIMESTAMP_TYPE_MAPPING says; kith's timestamps are UTC instants without a zone.
        x.timestamp_type = "TIMESTAMP_NTZ";
        // TRY_CAST takes text only: kith applies it to text alone (the text-to-type rule).
        x.has_try_cast = true;
        // REGEXP_LIKE matches the whole text (implicitly anchored at both ends).
        x.regex_full_match_fn = "REGEXP_LIKE";
        // Text without a collation compares by its UTF-8 bytes.
        x.bytewise_collation = "";
        x.minutes_interval = "";
        x.add_minutes = "DATEADD(minute, {n}, {ts})";
        // Backslash is an escape character in Snowflake's string literals.
        x.string_escapes = StringEscapes::BACKSLASH;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "SMALLINT"},
                                        {StorageType::INTEGER, "INTEGER"},
                                        {StorageType::BIGINT, "BIGINT"},
                                        // Snowflake's floating-point types are all 64-bit; a REAL widened to double
                                        // keeps its canonical text.
                                        {StorageType::REAL, "FLOAT"},
                                        {StorageType::DOUBLE, "DOUBLE"},
                                        {StorageType::TEXT, "VARCHAR"},
                                        {StorageType::BOOLEAN, "BOOLEAN"},
                                        {StorageType::DATE, "DATE"},
                                        {StorageType::TIME, "TIME"},
                                        {StorageType::TIMESTAMP, "TIMESTAMP_NTZ"},
                                        {StorageType::TIMESTAMPTZ, "TIMESTAMP_TZ"}});
        // Decimals beyond NUMBER(38) are stored as their text, which round-trips.
        x.max_decimal_precision = 38;
        x.decimal_name = "NUMBER";
        x.wide_decimal_type = "VARCHAR";
        // ALTER TABLE ... RENAME TO an unqualified name moves the table to the session's schema.
        x.rename_to_qualified = true;
        return x;
    }();
    return d;
}

const Dialect& Dialect::BigQuery() {
    static const Dialect d = [] {
        Dialect x;
        x.name = "bigquery";
        x.identifier_quote = '`';
        x.identifier_backslash_escape = true;
        // Up to 20 integer and 18 fractional digits (the text-to-type rule's numbers) fit BIGNUMERIC, not NUMERIC.
        x.number_type = "BIGNUMERIC";
        x.string_type = "STRING";
        x.integer_type = "INT64";
        x.boolean_type = "BOOL";
        x.has_try_cast = true;
        x.try_cast_fn = "SAFE_CAST";
        // REGEXP_CONTAINS (RE2) finds a match anywhere: kith anchors it; RE2's $ is the end of the text.
        x.regex_full_match_fn = "REGEXP_CONTAINS";
        x.regex_fn_finds_anywhere = true;
        // Strings compare by their UTF-8 bytes.
        x.bytewise_collation = "";
        x.minutes_interval = "";
        x.add_minutes = "TIMESTAMP_ADD({ts}, INTERVAL {n} MINUTE)";
        x.mod_function = true;
        x.like_escape_clause = false;
        // Backslash is an escape character in BigQuery's string literals.
        x.string_escapes = StringEscapes::BACKSLASH;
        x.storage_types = StorageTypes({{StorageType::SMALLINT, "INT64"},
                                        {StorageType::INTEGER, "INT64"},
                                        {StorageType::BIGINT, "INT64"},
                                        {StorageType::REAL, "FLOAT64"},
                                        {StorageType::DOUBLE, "FLOAT64"},
                                        {StorageType::TEXT, "STRING"},
                                        {StorageType::BOOLEAN, "BOOL"},
                                        {StorageType::DATE, "DATE"},
                                        {StorageType::TIME, "TIME"},
                                        // kith's timestamps are UTC instants: BigQuery's TIMESTAMP, with or without a
                                        // zone in the source (a DATETIME would not compare with TIMESTAMP literals).
                                        {StorageType::TIMESTAMP, "TIMESTAMP"},
                                        {StorageType::TIMESTAMPTZ, "TIMESTAMP"}});
        // BIGNUMERIC(p, s) holds every DECIMAL(p, s) up to 38 digits; wider ones are stored as their text.
        x.max_decimal_precision = 38;
        x.decimal_name = "BIGNUMERIC";
        x.wide_decimal_type = "STRING";
        return x;
    }();
    return d;
}

const Dialect* Dialect::Find(std::string_view name) {
    if (name == "duckdb") return &DuckDb();
    if (name == "postgres" || name == "postgresql") return &Postgres();
    if (name == "spark" || name == "databricks") return &Spark();
    if (name == "redshift") return &Redshift();
    if (name == "snowflake") return &Snowflake();
    if (name == "bigquery") return &BigQuery();
    return nullptr;
}

} // namespace kith::sql
