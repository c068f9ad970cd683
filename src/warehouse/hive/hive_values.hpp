// HiveServer2 result sets turned into kith's columns and canonical text (value.hpp).
//
//   std::vector<Column> columns = hive::ResultColumns(metadata.schema);
//   hive::AppendRows(fetched.results, types, chunk.rows);     // one row per result row, canonical text
//
// Spark sends booleans and integers as typed columns, floats widened to double, and decimals, dates and timestamps
// as text (timestamps in the session time zone, which kith keeps UTC): "2024-05-01 10:00:00.5" becomes
// "2024-05-01T10:00:00.500000Z", "12.50" becomes "12.5".
#pragma once

#include "common/error.hpp"
#include "warehouse/hive/TCLIService_types.h"
#include "warehouse/value.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse::hive {

//! kith's type for a Spark or Databricks type name, in any case: "INT", "decimal(10,2)", "TIMESTAMP_NTZ",
//! "varchar(20)", "array<int>" (OTHER), ...
DataType MapTypeName(std::string_view engine_type);

//! How a column of this Spark type is stored, as kith's portable definition (for casting values of canonical text
//! into it): INT -> INTEGER, DECIMAL(10,2) -> DECIMAL 10,2, TIMESTAMP_NTZ -> TIMESTAMP, TIMESTAMP -> TIMESTAMPTZ, ...;
//! types without one (arrays, binary, intervals) are TEXT.
ColumnDef StorageOf(std::string name, std::string_view engine_type);

//! The engine's name of a result column's type: "INT", "DECIMAL(10,2)", "VARCHAR(20)", "ARRAY", ...
std::string TypeName(const rpc::TTypeDesc& desc);

//! The top-level type id of a result column (STRING_TYPE when the descriptor is empty).
rpc::TTypeId::type TopTypeId(const rpc::TTypeDesc& desc);

//! The result's columns: name, engine type and kith's type.
std::vector<Column> ResultColumns(const rpc::TTableSchema& schema);

//! Canonical text of a value the server sent as text, by its column type: decimals without trailing fractional zeros
//! ("-0" -> "0"), timestamps "YYYY-MM-DDTHH:MM:SS[.ffffff]Z"; other text unchanged.
std::string CanonicalText(rpc::TTypeId::type type, std::string_view text);

//! The number of rows in a columnar row set (0 when it has no columns).
size_t RowCount(const rpc::TRowSet& rows);

//! Appends the row set's rows (columnar, protocol V6+) to out as canonical text; types holds each column's type id.
//! Fails when the row set is row-based or its columns do not match types.
Status AppendRows(const rpc::TRowSet& rows, const std::vector<rpc::TTypeId::type>& types,
                  std::vector<std::vector<Cell>>& out, size_t skip = 0);

//! Whether row i is NULL in a null bitmap (bit i % 8 of byte i / 8).
inline bool IsNull(const std::string& nulls, size_t i) {
    return i / 8 < nulls.size() && ((static_cast<unsigned char>(nulls[i / 8]) >> (i % 8)) & 1) != 0;
}

} // namespace kith::warehouse::hive
