// A fresh folder for a test that runs kith commands on the fixture warehouse:
//
//   root_ = kith::test::TestDir("kith_cli_deliver");          // <tmp>/kith_cli_deliver_<pid>_<test name>, emptied
//   ASSERT_EQ(kith::test::MakeFixtureDir(root_), "");         // dir/, out/, w.duckdb, kith.toml
#pragma once

#include <filesystem>
#include <string>

namespace kith::test {

//! `<tmp>/<prefix>_<pid>_<current test's name>`, removed if it existed (not created).
std::filesystem::path TestDir(const std::string& prefix);

//! Creates root with the folders dir/ (files for `kith apply`) and out/, the fixture warehouse (test/fixture) as
//! w.duckdb, and kith.toml naming it, the fixture graph and state.sqlite, followed by `extra_toml`. Returns "" or
//! what went wrong.
std::string MakeFixtureDir(const std::filesystem::path& root, const std::string& extra_toml = "");

} // namespace kith::test
