// The subcommands of the kith binary; each returns the process exit code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kith::cli {

inline constexpr std::string_view kVersion = "0.1.0";

struct GraphArgs {
    std::string graph;
    std::string warehouse;
};
//! `kith graph validate GRAPH [--warehouse W]`.
int GraphValidate(const GraphArgs& args);
//! `kith graph show GRAPH`.
int GraphShow(const GraphArgs& args);

struct GenArgs {
    std::string out;
    std::string graph_out;
    int64_t profiles = 0;
    uint64_t seed = 1;
    bool quiet = false;
};
//! `kith gen --out W --graph-out G --profiles N [--seed S]`.
int Gen(const GenArgs& args);

struct CopyArgs {
    std::string from;
    std::string to;
    std::vector<std::string> schemas;
};
//! `kith copy --from W1 --to W2 [--schemas a,b]`: per-table progress on stderr.
int Copy(const CopyArgs& args);

} // namespace kith::cli
