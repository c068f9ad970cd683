// Copying tables between warehouses (`kith copy`): DuckDB to PostgreSQL, PostgreSQL to DuckDB, or either to itself
// elsewhere. Values travel as canonical text, so the copy reads back the same as the original.
//
//   auto from = warehouse::Open("duckdb:demo.duckdb");
//   auto to = warehouse::Open("postgresql://postgres@127.0.0.1:5432/kith");
//   auto ok = warehouse::CopySchemas(**from, **to, {"segment", "crm"}, {});
#pragma once

#include "warehouse/warehouse.hpp"

#include <functional>

namespace kith::warehouse {

//! Where a copy is: called as each table's rows stream across (at most about once a second) and once it is done.
struct CopyProgress {
    TableName table;
    int64_t rows = 0;
    double seconds = 0;
    bool done = false;
};
using CopyProgressFn = std::function<void(const CopyProgress&)>;

//! How the destination stores a source column: integers stay integers of their width, decimals keep precision and
//! scale, floats stay floats, strings become text, timestamps keep or lack their time zone; OTHER columns are copied
//! as their text.
ColumnDef StorageFor(const Column& source);

//! Copies every base table of the given schemas of `from` (every non-system schema when empty) into `to`: creates
//! each schema when missing, replaces each table (DROP TABLE IF EXISTS, then CREATE TABLE with StorageFor types),
//! then streams the rows through `to`'s bulk loader. A schema named but holding no table is an error (NOT_FOUND).
Status CopySchemas(Warehouse& from, Warehouse& to, const std::vector<std::string>& schemas,
                   const CopyProgressFn& progress = {});

} // namespace kith::warehouse
