// libFuzzer target: any bytes as an audience definition, validated against
// the fixture graph with a small library, then compiled for every dialect.
// Invariants: no crash, no leak, no undefined behaviour; a rejected audience
// has at least one error, each with a JSON pointer or a line:column; an
// accepted audience always compiles.
#include "audience/parser.hpp"
#include "graph/builder.hpp"
#include "plan/compiler.hpp"
#include "sql/printer.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

const kith::graph::DataGraph& Graph() {
    static const kith::graph::DataGraph g = [] {
        auto parsed = kith::graph::LoadGraph(std::string(KITH_SOURCE_DIR) + "/test/fixture/graph.hcl");
        if (!parsed) std::abort();
        return std::move(*parsed);
    }();
    return g;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    kith::audience::MemoryLibrary library;
    library.Add("vip", R"({"groups": [{"conditions": [{"type": "trait", "trait": "is_vip"}]}]})");
    library.Add("loop", R"({"groups": [{"conditions": [{"type": "audience", "audience": "loop"}]}]})");
    kith::audience::ParseContext ctx{Graph(), nullptr, &library};
    auto a = kith::audience::ParseAudience(text, "fuzz.json", ctx);
    if (!a) {
        if (a.error().errors.empty() && !a.error().fatal) std::abort();
        for (const auto& e : a.error().errors) {
            if (e.pointer.empty() || e.message.empty()) std::abort();
        }
        return 0;
    }
    kith::plan::Options options;
    options.as_of_micros = 1767225600000000LL;
    auto members = kith::plan::CompileMembers(Graph(), *a, options, nullptr);
    auto entities = kith::plan::CompileEntities(Graph(), *a, options, nullptr);
    if (!members || !entities) std::abort();
    for (const auto* d : {&kith::sql::Dialect::DuckDb(), &kith::sql::Dialect::Postgres()}) {
        if (kith::sql::Print(members->query, *d).empty() || kith::sql::Print(entities->query, *d).empty()) std::abort();
    }
    return 0;
}
