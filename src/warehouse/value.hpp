// The values and result chunks that cross the warehouse boundary.
//
// Every engine's values are carried as kith's canonical text (audiences.md,
// "Primary keys"): integral numbers without a decimal point, other numbers in
// their shortest round-trip form, DATE as YYYY-MM-DD, TIME as
// HH:MM:SS[.ffffff], TIMESTAMP as YYYY-MM-DDTHH:MM:SS[.ffffff]Z, BOOLEAN as
// true/false. So DuckDB and PostgreSQL results compare equal byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::warehouse {

//! kith's six data types (data-graph.md, "Types"); OTHER is a column kith cannot filter on.
enum class DataType { NUMBER, STRING, BOOLEAN, DATE, TIME, TIMESTAMP, OTHER };

//! "NUMBER", "STRING", ...
std::string_view DataTypeName(DataType type);
//! "number", "string", ...: how the API and the web app name a type.
std::string DataTypeKey(DataType type);

//! A column of a table or of a result: its name, the engine's type name and kith's type.
struct Column {
    std::string name;
    std::string engine_type;
    DataType type = DataType::OTHER;
};

//! A cell: canonical text, or nullopt for NULL.
using Cell = std::optional<std::string>;

//! Up to a few thousand rows of a streamed result, row-major.
struct Chunk {
    std::vector<std::vector<Cell>> rows;
    size_t size() const { return rows.size(); }
};

//! A query parameter, bound as text (NULL when nullopt); the SQL casts it where needed.
using Param = std::optional<std::string>;

//! How a column is stored in a table kith creates (`kith copy`): kith's type with the detail NUMBER and TIMESTAMP
//! need to keep values exact. Each engine spells these its own way.
enum class StorageType {
    SMALLINT,
    INTEGER,
    BIGINT,
    DECIMAL,
    REAL,
    DOUBLE,
    TEXT,
    BOOLEAN,
    DATE,
    TIME,
    TIMESTAMP,
    TIMESTAMPTZ,
};

//! A column of a table to create. DECIMAL uses precision and scale; precision 0 means unconstrained.
struct ColumnDef {
    std::string name;
    StorageType type = StorageType::TEXT;
    int precision = 0;
    int scale = 0;
};

} // namespace kith::warehouse
