// Graph files as data: every file in test/graph/valid must build and summarize
// to its .summary file; every file in test/graph/invalid must fail with exactly
// the lines of its .errors file. Diagnostics name the file by its bare name.
#include "common/text.hpp"
#include "graph/builder.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace kith {
namespace {

namespace fs = std::filesystem;

fs::path GraphDir() {
    return fs::path(KITH_SOURCE_DIR) / "test" / "graph";
}

std::vector<std::string> CasesIn(const std::string& sub) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(GraphDir() / sub)) {
        auto ext = e.path().extension();
        if (ext == ".hcl" || ext == ".json") out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string Expected(const fs::path& graph_file, const char* ext) {
    fs::path p = graph_file;
    p.replace_extension(ext);
    auto text = text::ReadFile(p.string());
    EXPECT_TRUE(text.has_value()) << "missing expectation file " << p;
    return text.value_or("");
}

std::string SafeName(std::string s) {
    for (char& c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return s;
}

class ValidGraph : public ::testing::TestWithParam<std::string> {};
class InvalidGraph : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidGraph, SummarizesAsExpected) {
    fs::path file = GraphDir() / "valid" / GetParam();
    auto text = text::ReadFile(file.string());
    ASSERT_TRUE(text.has_value());
    auto g = graph::ParseGraph(*text, GetParam());
    std::string errors;
    if (!g) {
        for (const auto& d : g.error()) errors += d.ToString() + "\n";
    }
    ASSERT_TRUE(g.has_value()) << errors;
    EXPECT_EQ(graph::Summarize(*g), Expected(file, ".summary"));
}

TEST_P(InvalidGraph, ReportsExactlyTheExpectedErrors) {
    fs::path file = GraphDir() / "invalid" / GetParam();
    auto text = text::ReadFile(file.string());
    ASSERT_TRUE(text.has_value());
    auto g = graph::ParseGraph(*text, GetParam());
    ASSERT_FALSE(g.has_value()) << "the graph was accepted";
    std::string got;
    for (const auto& d : g.error()) got += d.ToString() + "\n";
    EXPECT_EQ(got, Expected(file, ".errors"));
}

INSTANTIATE_TEST_SUITE_P(Files, ValidGraph, ::testing::ValuesIn(CasesIn("valid")),
                         [](const auto& info) { return SafeName(info.param); });
INSTANTIATE_TEST_SUITE_P(Files, InvalidGraph, ::testing::ValuesIn(CasesIn("invalid")),
                         [](const auto& info) { return SafeName(info.param); });

} // namespace
} // namespace kith
