// `kith apply --config FILE DIR`: audiences and activations as code (cli.md).
#pragma once

#include <string>

namespace kith::cli {

struct ApplyArgs {
    std::string config;
    std::string dir;
};
//! Validates every file of DIR, then creates or updates them all in the state store, or nothing; prints a summary.
int Apply(const ApplyArgs& args);

} // namespace kith::cli
