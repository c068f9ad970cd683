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
};

//! Every migration, in version order.
std::span<const Migration> Migrations();

} // namespace kith::store
