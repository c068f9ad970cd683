#include "support/fixture_dir.hpp"

#include "common/text.hpp"
#include "warehouse/warehouse.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace kith::test {

namespace fs = std::filesystem;

fs::path TestDir(const std::string& prefix) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::path root = fs::temp_directory_path() /
                    (prefix + "_" + std::to_string(getpid()) + "_" + (info ? info->name() : std::string("main")));
    fs::remove_all(root);
    return root;
}

std::string MakeFixtureDir(const fs::path& root, const std::string& extra_toml) {
    std::error_code ec;
    fs::create_directories(root / "dir", ec);
    fs::create_directories(root / "out", ec);
    if (ec) return "cannot create " + root.string() + ": " + ec.message();
    auto sql = text::ReadFile(std::string(KITH_SOURCE_DIR) + "/test/fixture/warehouse.sql");
    if (!sql) return sql.error().ToString();
    {
        auto wh = warehouse::Open("duckdb:" + (root / "w.duckdb").string());
        if (!wh) return wh.error().ToString();
        if (auto ok = (*wh)->Execute(*sql); !ok) return ok.error().ToString();
    }
    // Relative paths resolve against the config file's folder.
    std::ofstream(root / "kith.toml") << "warehouse = \"duckdb:w.duckdb\"\n"
                                      << "graph = \"" << KITH_SOURCE_DIR << "/test/fixture/graph.hcl\"\n"
                                      << "state = \"state.sqlite\"\n"
                                      << extra_toml;
    return "";
}

} // namespace kith::test
