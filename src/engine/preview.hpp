// Preview, explain and value suggestions: what the builder shows a marketer
// while an audience is being written.
#pragma once

#include "engine/engine.hpp"

#include <map>
#include <nlohmann/json.hpp>

namespace kith::engine {

struct Identifier {
    std::string type;
    std::string value;
};

struct PreviewMember {
    std::string profile;
    std::vector<Identifier> identifiers;
    //! The entity explorer: per relationship, matched keys, truncated to kExplorerPerLevel.
    std::map<std::string, std::vector<std::string>> entities;
};

struct RelationshipPreview {
    int64_t count = 0;                //!< matched (profile, key) pairs
    std::vector<MatchedEntity> sample; //!< the first kEntitySample
};

struct Preview {
    int64_t count = 0;
    std::vector<PreviewMember> members; //!< up to kMemberSample, bytewise first
    std::map<std::string, RelationshipPreview> relationships;
    nlohmann::json ToJson() const;
    std::string ToText() const;
};

inline constexpr size_t kMemberSample = 3000;
inline constexpr size_t kExplorerPerLevel = 10;
inline constexpr size_t kEntitySample = 20;

Result<Preview> RunPreview(Session& session, const audience::Audience& audience, int64_t as_of_micros);

//! Why a profile is in the audience or not.
struct Explanation {
    std::string profile;
    bool exists = false; //!< the profile is in the universe
    bool member = false;
    nlohmann::json detail; //!< groups and conditions, true/false, with what decided each
    std::vector<MatchedEntity> entities;
    nlohmann::json ToJson() const;
    std::string ToText() const;
};

Result<Explanation> RunExplain(Session& session, const audience::Audience& audience, int64_t as_of_micros,
                               const std::string& profile);

//! Values for the builder's dropdown, as canonical text. The entity or event table and its column are looked up in
//! the catalog first: a name that does not exist is an INVALID error naming it (location "entity", "event",
//! "column", "property" or "context"), and never reaches the warehouse.
Result<std::vector<std::string>> Suggest(const graph::DataGraph& graph, warehouse::Warehouse& warehouse,
                                         audience::Catalog& catalog, const plan::SuggestionTarget& target);

//! What the builder offers for trait and event conditions: trait names (most used first) and event tables with
//! their columns and kith types.
struct ProfileData {
    std::vector<std::string> traits;
    struct Event {
        std::string table;
        std::vector<warehouse::Column> columns;
    };
    std::vector<Event> events;
    nlohmann::json ToJson() const;
};
Result<ProfileData> ListProfileData(const graph::DataGraph& graph, warehouse::Warehouse& warehouse,
                                    audience::Catalog& catalog);

} // namespace kith::engine
