// A table's location in a warehouse: the one TableName type of kith, used by the
// data graph, the audience catalog, the SQL tree and every warehouse driver.
//
//   schema::TableName t{"", "crm", "accounts"};   // the engine's default catalog
//   t.ToString();                                 // "crm.accounts" (for messages, never for SQL)
//   sql::QuoteTable(t, dialect);                  // how SQL spells it
#pragma once

#include <string>

namespace kith::schema {

//! catalog (database) and schema may be empty: the engine's default.
struct TableName {
    std::string database;
    std::string schema;
    std::string table;

    //! "db.schema.table" with the empty parts left out: for messages and map keys, never spliced into SQL.
    std::string ToString() const;
    bool operator==(const TableName&) const = default;
};

} // namespace kith::schema
