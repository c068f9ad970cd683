// Snowflake SQL API v2 results (JSON, "jsonv2") turned into kith's columns and canonical text (value.hpp).
//
//   auto types = snowflake::ParseRowType(answer["resultSetMetaData"]["rowType"]);
//   std::string text = snowflake::CanonicalText((*types)[0], "1616173619.500000000");  // "2021-03-19T17:06:59.5Z"
//
// The SQL API sends every value as a JSON string (or null), by the column's rowType:
//   fixed            "123", "-12.50"                  integer text; decimals without trailing fractional zeros
//   real             "1.5", "1.0E10", "inf", "NaN"     canonical::Double
//   text             as is
//   boolean          "true"/"false" (also "1"/"0")
//   date             days since 1970-01-01: "19000"    YYYY-MM-DD
//   time             seconds since midnight: "3723.5" HH:MM:SS[.ffffff]
//   timestamp_ntz    seconds since the epoch           YYYY-MM-DDTHH:MM:SS[.ffffff]Z (the wall clock as UTC)
//   timestamp_ltz    seconds since the epoch           the UTC instant
//   timestamp_tz     "seconds offset" (offset: minutes + 1440)   the UTC instant (the seconds are UTC already)
//   anything else    as is (binary: hex; variant/object/array: JSON text), kith's OTHER
// Fractions are exact (no floating point) and cut to microseconds, rounding towards minus infinity.
#pragma once

#include "common/error.hpp"
#include "warehouse/value.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse::snowflake {

//! How a column's values are written in the JSON result.
enum class Kind { FIXED, REAL, TEXT, BOOLEAN, DATE, TIME, TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ, OTHER };

//! One entry of resultSetMetaData.rowType.
struct ResultType {
    Kind kind = Kind::OTHER;
    std::string type; //!< rowType's "type" in lower case: "fixed", "text", "timestamp_ntz", ...
    int precision = -1;
    int scale = 0;
    long long length = -1;
};

//! The column as kith reports it: name, the engine's type name ("NUMBER(10,2)", "VARCHAR", "FLOAT",
//! "TIMESTAMP_NTZ") and kith's type.
Column ColumnOf(std::string name, const ResultType& type);

//! Parses resultSetMetaData.rowType into the columns and how to decode each.
Result<std::vector<std::pair<Column, ResultType>>> ParseRowType(const nlohmann::json& row_type);

//! Canonical text of one value sent as text; a value that does not parse as its type comes back unchanged.
std::string CanonicalText(const ResultType& type, std::string_view text);

//! Appends the rows of a JSON "data" array (arrays of strings and nulls) to out, decoded by types.
Status AppendRows(const nlohmann::json& data, const std::vector<ResultType>& types, std::vector<std::vector<Cell>>& out);

//! kith's type for a Snowflake type name in any case, with or without qualifiers: "NUMBER(10,2)", "TEXT",
//! "VARCHAR(20)", "FLOAT", "TIMESTAMP_TZ", "VARIANT" (OTHER), ... (information_schema's data_type).
DataType MapTypeName(std::string_view engine_type);

//! How a column of this Snowflake type is stored, as kith's portable definition: NUMBER(p,0) of up to 4, 9 and 18
//! digits -> SMALLINT, INTEGER, BIGINT; other NUMBER(p,s) -> DECIMAL p,s; FLOAT -> DOUBLE; TIMESTAMP_NTZ ->
//! TIMESTAMP; TIMESTAMP_LTZ/TZ -> TIMESTAMPTZ; ... ; types without one (variant, binary) -> TEXT.
ColumnDef StorageOf(std::string name, const ResultType& type);

} // namespace kith::warehouse::snowflake
