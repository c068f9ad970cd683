// libFuzzer target for the one function that turns values into SQL text
// (sql::QuoteString) and the one that quotes names (sql::QuoteIdent): any
// UTF-8 text without NUL, printed as a literal and as an alias, must read back
// from DuckDB as exactly itself, in exactly one row and one column, so no
// value can end the literal or add a statement. The PostgreSQL spelling is
// checked structurally here and against a real server in the unit tests.
#include "common/text.hpp"
#include "sql/printer.hpp"

#include <cstdint>
#include <cstdlib>
#include <duckdb.h>
#include <string>
#include <string_view>

namespace {

duckdb_connection Connection() {
    static duckdb_database db = nullptr;
    static duckdb_connection con = nullptr;
    if (!con) {
        if (duckdb_open(nullptr, &db) == DuckDBError || duckdb_connect(db, &con) == DuckDBError) std::abort();
    }
    return con;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view value(reinterpret_cast<const char*>(data), size);
    if (value.find('\0') != std::string_view::npos || !kith::text::IsValidUtf8(value)) return 0;
    const auto& duck = kith::sql::Dialect::DuckDb();
    std::string sql = "SELECT " + kith::sql::QuoteString(value, duck) + " AS " + kith::sql::QuoteIdent(value.empty() ? "x" : value, duck);
    duckdb_result r;
    if (duckdb_query(Connection(), sql.c_str(), &r) == DuckDBError) std::abort();
    if (duckdb_column_count(&r) != 1 || duckdb_row_count(&r) != 1) std::abort();
    char* got = duckdb_value_varchar(&r, 0, 0);
    if (!got || std::string_view(got) != value) std::abort();
    if (std::string_view(duckdb_column_name(&r, 0)) != (value.empty() ? "x" : value)) std::abort();
    duckdb_free(got);
    duckdb_destroy_result(&r);
    // PostgreSQL: E'...' where every quote is doubled and every backslash escaped.
    std::string pg = kith::sql::QuoteString(value, kith::sql::Dialect::Postgres());
    std::string back;
    for (size_t i = 2; i + 1 < pg.size(); ++i) {
        if (pg[i] == '\'' || pg[i] == '\\') {
            if (i + 2 >= pg.size() || pg[i + 1] != pg[i]) std::abort();
            ++i;
        }
        back += pg[i];
    }
    if (pg.substr(0, 2) != "E'" || pg.back() != '\'' || back != value) std::abort();
    return 0;
}
