// Audiences and activations as code (`kith apply`): every .json, .yaml and
// .yml file of a folder holds one object, `kind` audience or activation
// (cli.md). All files are validated first — audiences against the data graph,
// the warehouse's column types and each other (audience conditions may name
// any audience of the folder or of the store); activations for their audience,
// trigger, entity relationship, identifiers, enrichment and destination — and
// every problem is reported as file:/json/pointer: message. Only when no file
// has a problem is anything written, all of it in one transaction; applying
// the same files again changes nothing.
//
//   engine::WarehouseCatalog catalog(*warehouse);
//   apply::Context ctx{graph, &catalog, *store, workspace, config.delivery.file_root};
//   auto report = apply::ApplyDirectory("audiences/", ctx);
//   if (!report) for (auto& p : report.error().problems) std::cerr << p.ToString() << "\n";
#pragma once

#include "audience/catalog.hpp"
#include "audience/parser.hpp"
#include "graph/model.hpp"
#include "store/store.hpp"

#include <expected>
#include <optional>
#include <string>
#include <vector>

namespace kith::apply {

//! What apply validates against and writes to.
struct Context {
    const graph::DataGraph& graph;
    audience::Catalog* catalog = nullptr; //!< without it, column types come from the constants' JSON types
    store::Store& store;
    int64_t workspace = 1;
    //! [delivery] file_root: file destinations' paths must lie beneath it (confined::RelativePath, CheckBeneath);
    //! empty: file destinations are refused.
    std::string file_root;
};

//! One object applied.
struct Applied {
    std::string file;
    std::string kind; //!< "audience" or "activation"
    std::string key;
    store::Change change = store::Change::UNCHANGED;
};

struct Report {
    std::vector<Applied> objects; //!< audiences first, then activations, each by key
};

//! Why nothing was applied: the problems of the files, or a failure of the warehouse, the store or the folder.
struct Failure {
    std::vector<audience::AudienceError> problems;
    std::optional<Error> fatal;
};

//! Validates every file of dir, then applies them all in one transaction, or nothing.
std::expected<Report, Failure> ApplyDirectory(const std::string& dir, Context& ctx);

//! One object to apply (an apply file's content, or an API request's body with its kind and key), and the name its
//! problems are reported under.
struct Source {
    std::string file;
    nlohmann::json value;
};

//! Validates the objects as ApplyDirectory validates files, then applies them all in one transaction, or nothing
//! (nothing either when dry_run). `problems` found earlier (unreadable files) are reported with the rest; `where`
//! names the objects' origin in messages ("no audience X in <where> or in the state store").
std::expected<Report, Failure> ApplyObjects(std::vector<Source> sources, Context& ctx,
                                            std::vector<audience::AudienceError> problems = {},
                                            const std::string& where = "the request", bool dry_run = false);

} // namespace kith::apply
