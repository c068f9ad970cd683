// The store's schema as an ordered list of migrations. A migration is never
// edited once released: a change to the schema is a new step at the end.
#pragma once

#include <cstdint>
#include <span>

namespace kith::store {

struct Migration {
    int64_t version;         //!< 1, 2, ... in order
    const char* description; //!< one line
    const char* sql;         //!< statements run in one transaction
    //! A table the statements make anew (create `<table>_rebuilt`, copy, drop, rename, as SQLite's ALTER TABLE
    //! cannot change a constraint): its indexes and triggers, as they were, are made again on the new table after
    //! the statements, in the same transaction, but for any the statements made themselves. nullptr: none.
    const char* rebuilds = nullptr;
};

//! Every migration, in version order.
std::span<const Migration> Migrations();

} // namespace kith::store
