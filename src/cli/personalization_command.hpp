// `kith personalization --config FILE --activation KEY [--json]`: "Copy personalization syntax" (activations.md,
// "Events") for the fields an activation's events carry, in Braze Liquid and Iterable Handlebars.
#pragma once

#include <string>

namespace kith::cli {

struct PersonalizationArgs {
    std::string config;
    std::string activation;
    bool json = false;
};
//! Prints each enriched field with its Braze and Iterable syntax, as text or JSON. Exit 1 for an unknown activation
//! or one that does not fit the data graph.
int Personalization(const PersonalizationArgs& args);

} // namespace kith::cli
