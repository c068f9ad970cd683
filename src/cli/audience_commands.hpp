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

} // namespace kith::cli
