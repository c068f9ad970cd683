// The values and result chunks that cross the warehouse boundary.
//
// Every engine's values are carried as kith's canonical text (audiences.md,
// "Primary keys"): integral numbers without a decimal point, other numbers in
// their shortest round-trip form, DATE as YYYY-MM-DD, TIME as
// HH:MM:SS[.ffffff], TIMESTAMP as YYYY-MM-DDTHH:MM:SS[.ffffff]Z, BOOLEAN as
// true/false. So DuckDB and PostgreSQL results compare equal byte for byte.
#pragma once

#include "schema/column.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse {

using DataType = schema::DataType;
using schema::DataTypeKey;
using schema::DataTypeName;
using Column = schema::Column;
using StorageType = schema::StorageType;
using ColumnDef = schema::ColumnDef;

//! A cell: canonical text, or nullopt for NULL.
using Cell = std::optional<std::string>;

//! Up to a few thousand rows of a streamed result, row-major.
struct Chunk {
    std::vector<std::vector<Cell>> rows;
    size_t size() const { return rows.size(); }
};

//! A query parameter, bound as text (NULL when nullopt); the SQL casts it where needed.
using Param = std::optional<std::string>;

} // namespace kith::warehouse
