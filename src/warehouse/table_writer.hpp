// A bulk load of rows into one table (PostgreSQL COPY, DuckDB's appender).
//
//   auto writer = wh.BulkWriter(table, column_names);
//   (*writer)->Append(chunk);   // as many times as needed
//   (*writer)->Finish();        // the rows become visible
#pragma once

#include "common/error.hpp"
#include "warehouse/value.hpp"

namespace kith::warehouse {

//! Appends rows of canonical text to a table. The load is one transaction: the rows become visible when Finish()
//! succeeds; a writer dropped before Finish() (or after a failed Append) loads nothing.
class TableWriter {
public:
    virtual ~TableWriter() = default;
    //! Appends rows; each row has one cell per column given to BulkWriter, in that order (nullopt for NULL).
    virtual Status Append(const Chunk& rows) = 0;
    //! Completes the load; engine errors (a value that does not convert, a constraint) may surface only here.
    virtual Status Finish() = 0;
};

} // namespace kith::warehouse
