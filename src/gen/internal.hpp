// The pieces of `kith gen` behind Generate(): the table sizes for a profile
// count, the SQL that builds each table inside DuckDB, and the graph file.
#pragma once

#include "gen/generator.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kith::gen {

//! The warehouse's row counts, all derived from the profile count.
struct Sizes {
    int64_t profiles = 0;
    int64_t accounts = 0;
    int64_t carts = 0;
    int64_t cart_products = 0;
    int64_t products = 0;
    int64_t brands = 0;
    int64_t households = 0;
    int64_t subscriptions = 0;
    int64_t cards = 0;
    int64_t transactions = 0;
    int64_t order_completed = 0;
    int64_t product_viewed = 0;
    int64_t page_viewed = 0;
    int64_t cart_abandoned = 0;
    //! The largest generating range any table needs (the row count of the number table).
    int64_t numbers = 0;
};

//! The sizes for a profile count (at least 1).
Sizes SizesFor(int64_t profiles);

//! One generation step: a statement that creates (and fills) one table.
struct Step {
    std::string name;   //!< shown in progress, e.g. "segment.user_traits"
    std::string schema; //!< the table it creates, counted after the step
    std::string table;
    std::string sql;
};

//! Session settings, the number table and the macros every step uses (seed, sizes and pseudo-randomness).
std::string PreludeSql(const Sizes& sizes, uint64_t seed, unsigned threads);

//! The steps that create the schemas and every table, in order.
const std::vector<Step>& TableSteps();

//! The data graph (HCL) describing the generated tables.
std::string GraphFileText(const Options& options);

} // namespace kith::gen
