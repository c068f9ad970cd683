// The Profiles Sync tables as the reference evaluator sees them (data-graph.md,
// audiences.md "Precise rules"): the profile universe, each profile's
// identifiers and current trait values, and the one-hop merge map for events.
#pragma once

#include "common/error.hpp"
#include "graph/model.hpp"
#include "warehouse/warehouse.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kith::reference {

class Profiles {
public:
    //! Reads user_identifiers, user_traits and profile_merges of the graph's profile folder.
    static Result<Profiles> Read(const graph::DataGraph& graph, warehouse::Warehouse& warehouse);

    //! The distinct non-NULL canonical_segment_id values of user_identifiers, sorted bytewise.
    const std::vector<std::string>& Universe() const { return universe_; }
    bool InUniverse(const std::string& profile) const { return universe_set_.contains(profile); }

    //! The current value of a trait: the row with the greatest seq (NULL seq lowest), ties to the bytewise greatest
    //! value (NULL lowest); nullopt when the profile has no row for it or the current value is NULL.
    std::optional<std::string> Trait(const std::string& profile, const std::string& name) const;

    //! The non-NULL values of the profile's identifiers of one type (user_identifiers.type), as stored.
    std::vector<std::string> Identifiers(const std::string& profile, const std::string& type) const;

    //! The profile an event's segment_id belongs to: the bytewise smallest non-NULL canonical_segment_id of its merge
    //! rows (one hop, no chains), otherwise segment_id itself. It may lie outside the universe.
    const std::string& Owner(const std::string& segment_id) const;

private:
    std::vector<std::string> universe_;
    std::set<std::string> universe_set_;
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> identifiers_; // (profile, type) -> values
    std::map<std::pair<std::string, std::string>, std::string> traits_; // (profile, name) -> non-NULL current value
    std::map<std::string, std::string> merges_;                         // segment_id -> canonical_segment_id
};

} // namespace kith::reference
