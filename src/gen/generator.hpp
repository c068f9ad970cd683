// `kith gen`: a generated Profiles Sync warehouse with a linked entity graph,
// built inside DuckDB with set-based SQL, deterministic for a seed.
#pragma once

#include "common/error.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace kith::gen {

struct Options {
    std::string out;       //!< DuckDB file to write (replaced when it exists)
    std::string graph_out; //!< data graph file (HCL) describing it
    int64_t profiles = 1000;
    uint64_t seed = 1;
    //! Called after each step with its name, rows written and seconds taken.
    std::function<void(std::string_view step, int64_t rows, double seconds)> progress;
};

//! Generates the warehouse and its graph file.
Status Generate(const Options& options);

} // namespace kith::gen
