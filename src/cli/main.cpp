// kith: the command-line entry point. Each subcommand is a thin layer over a
// library function; exit codes follow cli.md (0 ok, 1 invalid input, 2 usage,
// 3 warehouse error).
#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

int main(int argc, char** argv) {
    CLI::App app{"kith: warehouse-native linked audiences"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string(kith::cli::kVersion));

    auto* graph = app.add_subcommand("graph", "Data graph commands");
    graph->require_subcommand(1);
    kith::cli::GraphArgs graph_args;
    auto* validate = graph->add_subcommand("validate", "Check a data graph file (and, with --warehouse, the warehouse it describes)");
    validate->add_option("GRAPH", graph_args.graph, "Graph file (.hcl or .json)")->required();
    validate->add_option("--warehouse", graph_args.warehouse, "Also check tables and columns: duckdb:PATH or postgresql://...");
    auto* show = graph->add_subcommand("show", "Print a summary of a valid data graph");
    show->add_option("GRAPH", graph_args.graph, "Graph file (.hcl or .json)")->required();

    kith::cli::GenArgs gen_args;
    auto* gen = app.add_subcommand("gen", "Generate a Profiles Sync warehouse with linked entities (DuckDB)");
    gen->add_option("--out", gen_args.out, "DuckDB file to write")->required();
    gen->add_option("--graph-out", gen_args.graph_out, "Data graph file to write")->required();
    gen->add_option("--profiles", gen_args.profiles, "Number of profiles")->required()->check(CLI::Range(int64_t{1}, int64_t{1000000000}));
    gen->add_option("--seed", gen_args.seed, "Seed; the same seed gives the same data");
    gen->add_flag("--quiet", gen_args.quiet, "No progress on stderr");

    auto* demo = app.add_subcommand("demo", "Generate the demo warehouse (first run) and show what it holds");
    kith::cli::DemoArgs demo_args;
    demo->add_option("--dir", demo_args.dir, "Folder for the demo's files");
    demo->add_option("--profiles", demo_args.profiles, "Profiles to generate on the first run");

    auto* copy = app.add_subcommand("copy", "Copy the tables of some schemas from one warehouse to another");
    kith::cli::CopyArgs copy_args;
    copy->add_option("--from", copy_args.from, "Source warehouse: duckdb:PATH or postgresql://...")->required();
    copy->add_option("--to", copy_args.to, "Destination warehouse (its tables of the same names are replaced)")
        ->required();
    copy->add_option("--schemas", copy_args.schemas, "Comma-separated schemas (default: every non-system schema)")
        ->delimiter(',');

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (validate->parsed()) return kith::cli::GraphValidate(graph_args);
    if (show->parsed()) return kith::cli::GraphShow(graph_args);
    if (gen->parsed()) return kith::cli::Gen(gen_args);
    if (demo->parsed()) return kith::cli::Demo(demo_args);
    if (copy->parsed()) return kith::cli::Copy(copy_args);
    return 2;
}
