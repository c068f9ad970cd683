// The audience subcommands of the kith binary (cli.md): compile, members, entities.
#pragma once

#include <string>

namespace kith::cli {

struct AudienceArgs {
    std::string warehouse;
    std::string graph;
    std::string audience;
    std::string library;
    std::string as_of;
    std::string dialect;   //!< compile
    std::string what = "members"; //!< compile: members | entities
    std::string profile;   //!< explain
    bool json = false;
};

//! `kith compile --graph G --audience A --dialect D [--warehouse W] [--library DIR] [--as-of TS] [--what entities]`.
int Compile(const AudienceArgs& args);
//! `kith members --warehouse W --graph G --audience A [--library DIR] [--as-of TS]`.
int Members(const AudienceArgs& args);
//! `kith entities --warehouse W --graph G --audience A [--library DIR] [--as-of TS]`.
int Entities(const AudienceArgs& args);

//! `kith preview --warehouse W --graph G --audience A [--json]`.
int Preview(const AudienceArgs& args);
//! `kith explain --warehouse W --graph G --audience A --profile ID [--json]`.
int Explain(const AudienceArgs& args);

struct SuggestArgs {
    std::string warehouse;
    std::string graph;
    std::string entity;
    std::string column;
    std::string event;
    std::string property;
    std::string context;
    std::string trait;
    bool json = false;
};
//! `kith suggest --warehouse W --graph G (--entity SLUG --column C | --event E (--property P | --context K) | --trait T)`.
int Suggest(const SuggestArgs& args);

} // namespace kith::cli
