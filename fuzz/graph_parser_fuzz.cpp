// libFuzzer target: any bytes as a graph file, in both forms (HCL and JSON).
// Invariants: no crash, no leak, no undefined behaviour; a rejected file always
// has at least one diagnostic, each with a real location and a message.
#include "graph/builder.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void Check(std::string_view text, const std::string& path) {
    auto g = kith::graph::ParseGraph(text, path);
    if (g) {
        (void)kith::graph::Summarize(*g);
        return;
    }
    if (g.error().empty()) std::abort();
    for (const auto& d : g.error()) {
        if (d.location.line < 1 || d.location.column < 1 || d.message.empty() || d.location.file != path) std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Check(text, "fuzz.hcl");
    Check(text, "fuzz.json");
    return 0;
}
