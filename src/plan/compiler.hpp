// Compiles an audience to SQL trees (sql/ast.hpp), one query for its members
// and one for its matched entities, set-based and keyed on primary keys:
//
//   profiles      the profile universe
//   merges        merged-away segment ids -> their canonical id (one hop, smallest wins)
//   trait_*       the current value of a trait per profile
//   ids_*         identifiers of one type per profile
//   ev_*          per profile, distinct event ids that pass window and where (grouped before the universe join;
//                 for members and counts only the profiles whose count can hold)
//   e<N>_cand     rows of a relationship's entity related to their parent key, passing `where`; only
//                 when a child reads an outer value (the child's context is listed from them)
//   e<N>_rows     rows related to their key that pass `where` and `children` (counted and matched);
//                 without a _cand, one SELECT whose children filter it as semi-joins (IN)
//   e<N>_count    per parent key (and referenced outer values): distinct primary keys
//   e<N>_ctx      parent keys and outer values a nested level is evaluated for
//   a<K>_*        a referenced audience, inlined (its a<K>_members: the pids of its members)
//   conditions    per profile, every top-level condition true/false (explain, matched entities)
//   groups        per profile, every group and the audience true/false (explain, matched entities)
//   members       the pids of the members (members and count queries): the conditions joined, the audience as WHERE
//
// No join multiplies a count: counts are count(DISTINCT primary key) per key,
// and each level joins its children's counts, which hold one row per key.
#pragma once

#include "audience/catalog.hpp"
#include "audience/model.hpp"
#include "common/error.hpp"
#include "graph/model.hpp"
#include "sql/ast.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kith::plan {

struct Options {
    //! The evaluation time T, UTC microseconds since the epoch.
    int64_t as_of_micros = 0;
    //! Evaluate for this profile only (explain).
    std::optional<std::string> only_profile;
};

//! A compiled audience: the query and what its columns mean.
struct Compiled {
    sql::Query query;
    //! Entities query: column i of the result (after pid, relationship) holds the primary key
    //! of relationship pk_relationships[i]; the others are NULL.
    std::vector<std::string> pk_relationships;
};

//! Members: one column "pid", bytewise sorted.
Result<Compiled> CompileMembers(const graph::DataGraph& graph, const audience::Audience& audience, const Options& options,
                                audience::Catalog* catalog);

//! The number of members: one row, one column "n".
Result<Compiled> CompileMemberCount(const graph::DataGraph& graph, const audience::Audience& audience,
                                    const Options& options, audience::Catalog* catalog);

//! What the builder asks values for (audiences.md, "Value suggestions").
struct SuggestionTarget {
    enum class Kind { ENTITY_COLUMN, EVENT_COLUMN, TRAIT };
    Kind kind = Kind::ENTITY_COLUMN;
    std::string entity; //!< ENTITY_COLUMN: entity slug
    std::string event;  //!< EVENT_COLUMN: event name
    std::string column; //!< entity or event column ("context_<key>" for a context key)
    std::string trait;  //!< TRAIT
};

//! Entity column: the first 100 distinct non-NULL values, ascending bytewise (column "value").
//! Event column or trait: the 65 most frequent non-NULL values, ties by value (columns "value", "n").
Result<Compiled> CompileSuggestions(const graph::DataGraph& graph, const SuggestionTarget& target);

//! The builder's catalog of profile data: the trait names of user_traits, most frequent first (ties bytewise), at
//! most 1000 (columns "name", "n").
Result<Compiled> CompileTraitNames(const graph::DataGraph& graph);

//! Matched entities: columns "pid", "relationship", then one primary key column per relationship;
//! distinct rows, sorted by pid and relationship (bytewise).
Result<Compiled> CompileEntities(const graph::DataGraph& graph, const audience::Audience& audience,
                                 const Options& options, audience::Catalog* catalog);

//! Per-profile truth of every top-level condition and group (explain): columns pid, member,
//! g<i>, c<i>_<j>, n<i>_<j> (the count that decided an event or entity condition) and v<i>_<j>
//! (a trait condition's current value).
Result<Compiled> CompileConditions(const graph::DataGraph& graph, const audience::Audience& audience,
                                   const Options& options, audience::Catalog* catalog);

} // namespace kith::plan
