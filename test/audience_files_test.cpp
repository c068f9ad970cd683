// Audience validation as data: every file in test/audience/invalid is checked
// against the fixture graph and warehouse (test/fixture) with the library
// test/audience/library, and must fail with exactly the lines of its .errors file.
#include "engine/warehouse_catalog.hpp"
#include "warehouse/warehouse.hpp"
#include "audience/parser.hpp"
#include "common/text.hpp"
#include "graph/builder.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace kith {
namespace {

namespace fs = std::filesystem;

fs::path Root() { return fs::path(KITH_SOURCE_DIR) / "test"; }

std::vector<std::string> Cases() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(Root() / "audience" / "invalid")) {
        if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class InvalidAudience : public ::testing::TestWithParam<std::string> {
protected:
    static void SetUpTestSuite() {
        auto wh = warehouse::Open("duckdb::memory:");
        ASSERT_TRUE(wh.has_value());
        warehouse_ = std::move(*wh);
        auto sql = text::ReadFile((Root() / "fixture" / "warehouse.sql").string());
        ASSERT_TRUE(sql.has_value());
        auto ok = warehouse_->Execute(*sql);
        ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
        auto g = graph::LoadGraph((Root() / "fixture" / "graph.hcl").string());
        ASSERT_TRUE(g.has_value());
        graph_ = std::make_unique<graph::DataGraph>(std::move(*g));
    }
    static void TearDownTestSuite() {
        warehouse_.reset();
        graph_.reset();
    }
    static inline std::unique_ptr<warehouse::Warehouse> warehouse_;
    static inline std::unique_ptr<graph::DataGraph> graph_;
};

TEST_P(InvalidAudience, ReportsExactlyTheExpectedErrors) {
    fs::path file = Root() / "audience" / "invalid" / GetParam();
    auto text = text::ReadFile(file.string());
    ASSERT_TRUE(text.has_value());
    engine::WarehouseCatalog catalog(*warehouse_);
    audience::DirectoryLibrary library((Root() / "audience" / "library").string());
    audience::ParseContext ctx{*graph_, &catalog, &library};
    auto a = audience::ParseAudience(*text, GetParam(), ctx);
    ASSERT_FALSE(a.has_value()) << "the audience was accepted";
    ASSERT_FALSE(a.error().fatal.has_value()) << a.error().fatal->ToString();
    std::string got;
    for (const auto& e : a.error().errors) {
        // Library files are named by their path below test/.
        std::string line = e.ToString();
        std::string prefix = (Root() / "audience" / "library").string() + "/";
        if (line.starts_with(prefix)) line = "library/" + line.substr(prefix.size());
        got += line + "\n";
    }
    fs::path expected = file;
    expected.replace_extension(".errors");
    if (std::getenv("KITH_UPDATE_EXPECTED")) {
        std::ofstream(expected) << got; // review the diff before committing
    }
    auto want = text::ReadFile(expected.string());
    ASSERT_TRUE(want.has_value()) << "missing " << expected;
    EXPECT_EQ(got, *want);
}

INSTANTIATE_TEST_SUITE_P(Files, InvalidAudience, ::testing::ValuesIn(Cases()), [](const auto& info) {
    std::string s = info.param;
    for (char& c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return s;
});

} // namespace
} // namespace kith
