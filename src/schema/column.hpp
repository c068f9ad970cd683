// What a table's columns are, independent of any engine: kith's six data
// types (data-graph.md, "Types"), a column as a warehouse reports it, and the
// portable definition of a column kith creates (`kith copy`).
//
//   schema::Column c{"total", "DECIMAL(10,2)", schema::DataType::NUMBER};
//   schema::DataTypeKey(c.type);   // "number"
#pragma once

#include "common/text.hpp"

#include <string>
#include <string_view>

namespace kith::schema {

//! kith's six data types; OTHER is a column kith cannot filter on.
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
    //! The engine folds names to lower case, quoted or not (Redshift): the column answers to its name in any case.
    bool folded = false;

    //! Whether `wanted` (a name from a data graph or an audience) names this column.
    bool Named(std::string_view wanted) const { return folded ? text::Lower(name) == text::Lower(wanted) : name == wanted; }
};

//! How a column is stored in a table kith creates: kith's type with the detail NUMBER and TIMESTAMP need to keep
//! values exact. Each dialect spells these its own way.
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

} // namespace kith::schema
