// Runs the built `kith` binary as a script would and captures what it says.
//
//   auto r = kith::test::RunKith("apply --config k.toml dir");
//   EXPECT_EQ(r.code, 0) << r.err;
#pragma once

#include <string>

namespace kith::test {

struct KithOutcome {
    int code = -1;   //!< the exit code; -1 when the process did not exit normally
    std::string out; //!< stdout
    std::string err; //!< stderr
};

//! Runs `<build>/kith <args>` through the shell (args are shell words) and waits for it.
KithOutcome RunKith(const std::string& args);

} // namespace kith::test
