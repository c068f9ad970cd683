// BigQuery REST API v2 results (jobs.query, jobs.getQueryResults) turned into kith's columns and canonical text
// (value.hpp).
//
//   auto fields = bigquery::ParseSchema(answer["schema"]);           // columns, and how to decode each
//   std::string t = bigquery::CanonicalText((*fields)[0].second, "1.0E7");   // FLOAT -> "10000000"
//
// BigQuery sends every cell as {"v": text} (null for NULL), by the schema field's type (legacy or GoogleSQL name):
//   INTEGER/INT64          "12"                             as is
//   FLOAT/FLOAT64          "1.5", "1.0E7", "NaN", "-Infinity"  canonical::Double (Java's Double.toString)
//   NUMERIC/BIGNUMERIC     "-12.50"                          without trailing fractional zeros ("-0" -> "0")
//   BOOLEAN/BOOL           "true"/"false"                    as is
//   STRING                 as is
//   DATE                   "2024-01-02"                      YYYY-MM-DD
//   TIME                   "10:00:00[.ffffff]"               HH:MM:SS[.ffffff]
//   DATETIME               "2024-01-02T10:00:00[.ffffff]"    YYYY-MM-DDTHH:MM:SS[.ffffff]Z (the wall clock as UTC)
//   TIMESTAMP              "1700000000000000" (microseconds, formatOptions.useInt64Timestamp; or seconds "1.7E9")
//                                                            YYYY-MM-DDTHH:MM:SS[.ffffff]Z
//   anything else          BYTES base64, JSON, GEOGRAPHY, INTERVAL, RANGE as sent; ARRAY (mode REPEATED) and
//                          STRUCT (RECORD) as JSON text of their values: kith's OTHER
// A value that does not parse as its type comes back unchanged.
#pragma once

#include "common/error.hpp"
#include "warehouse/value.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse::bigquery {

//! How a column's values are written in the JSON result.
enum class Kind { INTEGER, FLOAT, NUMERIC, BOOLEAN, STRING, DATE, TIME, DATETIME, TIMESTAMP, OTHER };

//! One field of a result's schema.
struct FieldType {
    Kind kind = Kind::OTHER;
    std::string type;      //!< GoogleSQL's name of the type: INT64, FLOAT64, NUMERIC(10, 2), BOOL, ARRAY<STRING>, ...
    bool repeated = false; //!< mode REPEATED: each cell is an array of {"v": ...}
    bool record = false;   //!< type RECORD/STRUCT: each cell is {"f": [{"v": ...}, ...]}
    std::vector<std::string> field_names; //!< a RECORD's fields, for its JSON text
    std::vector<FieldType> fields;
};

//! kith's type of a BigQuery type name in any case (a schema field's legacy name or INFORMATION_SCHEMA's data_type):
//! INT64/INTEGER, FLOAT64/FLOAT, NUMERIC(p, s), BIGNUMERIC, BOOL/BOOLEAN, STRING(n), DATE, TIME, DATETIME, TIMESTAMP;
//! ARRAY<...>, STRUCT<...>, BYTES, JSON, ... are OTHER.
DataType MapTypeName(std::string_view engine_type);

//! The field's type from a schema field ({"name", "type", "mode", "precision"?, "scale"?, "fields"?}).
FieldType FieldTypeOf(const nlohmann::json& field);

//! The column as kith reports it: name, GoogleSQL's type name and kith's type.
Column ColumnOf(std::string name, const FieldType& type);

//! Parses a result's "schema" ({"fields": [...]}) into the columns and how to decode each; an absent or null schema
//! (a statement without a result) is no columns.
Result<std::vector<std::pair<Column, FieldType>>> ParseSchema(const nlohmann::json& schema);

//! Canonical text of one scalar value sent as text.
std::string CanonicalText(const FieldType& type, std::string_view text);

//! Canonical text of one cell's "v" (a string, null, an array or a record); nullopt for NULL.
Cell CellOf(const FieldType& type, const nlohmann::json& v);

//! Appends the rows of a JSON "rows" array ([{"f": [{"v": ...}, ...]}, ...]) to out, decoded by types.
Status AppendRows(const nlohmann::json& rows, const std::vector<FieldType>& types, std::vector<std::vector<Cell>>& out);

//! How a column of this BigQuery type (INFORMATION_SCHEMA's data_type) is stored, as kith's portable definition:
//! INT64 -> BIGINT, FLOAT64 -> DOUBLE, NUMERIC -> DECIMAL 38,9, NUMERIC(p, s) / BIGNUMERIC(p, s) -> DECIMAL p,s,
//! BIGNUMERIC -> DECIMAL 76,38, BOOL -> BOOLEAN, DATE, TIME, DATETIME -> TIMESTAMP, TIMESTAMP -> TIMESTAMPTZ;
//! anything else -> TEXT.
ColumnDef StorageOf(std::string name, std::string_view engine_type);

} // namespace kith::warehouse::bigquery
