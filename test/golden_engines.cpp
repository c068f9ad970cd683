// The engines the golden tests run on: embedded DuckDB, loaded with the fixture.
#include "golden.hpp"

#include "common/text.hpp"

#include <cstdlib>
#include <filesystem>

namespace kith::golden {

std::vector<Engine*> Engines() {
    static std::vector<std::unique_ptr<Engine>> engines = [] {
        std::vector<std::unique_ptr<Engine>> out;
        auto sql = text::ReadFile((std::filesystem::path(KITH_SOURCE_DIR) / "test" / "fixture" / "warehouse.sql").string());
        if (!sql) std::abort();
        auto duck = warehouse::Open("duckdb::memory:");
        if (!duck || !(*duck)->Execute(*sql)) std::abort();
        out.push_back(std::make_unique<Engine>(Engine{"duckdb", std::move(*duck)}));
        return out;
    }();
    std::vector<Engine*> out;
    for (auto& e : engines) out.push_back(e.get());
    return out;
}

} // namespace kith::golden
