// The data graph model (data-graph.md): entities, the profile and the tree of
// relationships, as one validated in-memory structure. Built only by
// BuildGraph (builder.hpp); a DataGraph that exists obeys every rule of the spec.
#pragma once

#include "common/diagnostic.hpp"
#include "schema/table_name.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kith::graph {

//! Maximum depth counting the profile (profile -> accounts -> carts is 3).
inline constexpr int kMaxDepth = 6;

//! A warehouse table an entity lives in.
struct Entity {
    std::string slug;
    std::string name;
    schema::TableName table;
    std::string primary_key;
    std::string description;
    bool enrichment_enabled = false;
    Location location;             //!< the entity block
    Location table_location;       //!< the table_ref attribute
    Location primary_key_location; //!< the primary_key attribute
};

//! How a relationship's entity is joined to its parent (the profile or the parent entity).
enum class JoinKind { EXTERNAL_ID, TRAIT, JOIN_ON, JUNCTION };

struct Join {
    JoinKind kind = JoinKind::JOIN_ON;
    Location location; //!< the join block or attribute
    //! EXTERNAL_ID: the identifier type (user_identifiers.type); TRAIT: the trait name.
    std::string profile_key;
    //! EXTERNAL_ID, TRAIT: the entity column holding the identifier or trait value.
    std::string entity_column;
    //! JOIN_ON: parent entity column = child entity column.
    //! JUNCTION: parent column = junction_left_column, junction_right_column = child column.
    std::string parent_column;
    std::string child_column;
    schema::TableName junction_table;
    std::string junction_primary_key;
    std::string junction_left_column;
    std::string junction_right_column;
    Location junction_table_location;
};

//! One edge of the relationship tree.
struct Relationship {
    std::string slug;
    std::string name;
    std::string entity; //!< slug of the related entity
    Join join;
    int depth = 2;      //!< 2 for the first level (the profile is 1)
    int parent = -1;    //!< index of the parent relationship in DataGraph::relationships, -1 at the first level
    std::vector<int> children;
    Location location;
};

//! Where the Profiles Sync tables are.
struct Profile {
    std::string database; //!< may be empty
    std::string schema;
    std::string type;
    Location location;
    Location folder_location;
};

struct DataGraph {
    std::string path;
    std::string version;
    std::vector<Entity> entities;
    Profile profile;
    //! Every relationship, parents before children, in file order.
    std::vector<Relationship> relationships;

    const Entity* FindEntity(const std::string& slug) const;
    const Relationship* FindRelationship(const std::string& slug) const;
    //! Index in relationships, or -1.
    int RelationshipIndex(const std::string& slug) const;
    //! The entity a relationship leads to (always exists in a built graph).
    const Entity& EntityOf(const Relationship& r) const;
    //! Indices of the first-level relationships.
    std::vector<int> Roots() const;
    //! A Profiles Sync table of the profile folder ("user_identifiers", an event table, ...).
    schema::TableName ProfileTable(const std::string& table) const;
};

//! The event table name of an event: lower-cased, each run of characters other than a-z0-9 as '_',
//! leading and trailing '_' trimmed ("Order Completed" -> "order_completed").
std::string EventTableName(const std::string& event);

//! A readable summary of the model, one line per entity and relationship (used by tests and `kith graph show`).
std::string Summarize(const DataGraph& graph);

} // namespace kith::graph
