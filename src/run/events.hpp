// Building the Segment-compatible events of a run (activations.md, "Events"):
// what each activation sends for a change, its identifiers, enrichment, event
// name, size limit, and a messageId that is the same for the same change
// however often the run is prepared.
//
//   auto plan = ActivationPlan::From(record, graph, 32 * 1024);
//   auto event = BuildEvent(*plan, audience, change, lookups, "2026-11-28T09:00:00.000Z", run_id);
#pragma once

#include "common/error.hpp"
#include "graph/model.hpp"
#include "store/records.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kith::run {

enum class Trigger { PROFILE_ENTERS, PROFILE_EXITS, ENTITY_ENTERS, ENTITY_EXITS, MEMBERSHIP_CHANGED };

//! One event field filled from the profile's identifiers: the first type with a value wins.
struct IdentifierTarget {
    std::string as;                 //!< "userId", "anonymousId", "context.traits.email", ...
    std::vector<std::string> types; //!< identifier types in fallback order; "segment_id" is the profile's id
};

//! What an activation sends, resolved against the data graph.
struct ActivationPlan {
    int64_t id = 0;
    std::string key;
    Trigger trigger = Trigger::PROFILE_ENTERS;
    std::string relationship; //!< entity triggers: the relationship slug
    std::string event_name;   //!< track triggers: the name (the trigger's default when not set)
    std::vector<IdentifierTarget> identifiers;
    std::vector<std::string> traits;                      //!< enriched traits
    std::vector<std::string> entity_columns;              //!< entity triggers: enriched columns of the relationship
    std::map<std::string, std::vector<std::string>> children; //!< enriched direct child relationships -> columns
    int64_t max_event_bytes = 32 * 1024;
    bool backfill = true;
    bool first_run = false; //!< no run has sent events for it yet

    //! Checks the record against the graph: the trigger's relationship and the enriched relationships exist
    //! and enriched children hang directly under the trigger's relationship.
    static Result<ActivationPlan> From(const store::ActivationRecord& record, const graph::DataGraph& graph,
                                       int64_t default_max_event_bytes);
    bool EntityTrigger() const { return trigger == Trigger::ENTITY_ENTERS || trigger == Trigger::ENTITY_EXITS; }
    //! Whether a change of this kind ("entered"/"exited", of a profile or an entity) makes an event.
    bool Fires(bool entity_change, const std::string& kind) const;
};

//! "profile_enters" -> Trigger; nullopt when unknown.
std::optional<Trigger> ParseTrigger(const std::string& name);

//! A row of a change table.
struct Change {
    std::string kind; //!< "entered" or "exited"
    std::string pid;
    std::string relationship; //!< entity changes
    std::string pk;           //!< entity changes: the key as the engine's text
};

//! A value read from the warehouse, typed for JSON (numbers, booleans, strings, null).
using Value = nlohmann::json;

//! An entity row: its primary key (typed) and its enriched columns.
struct EntityRow {
    Value primary_key;
    std::map<std::string, Value> columns;
};

//! What the warehouse says about the profiles and entities of one page of changes.
struct Lookups {
    //! pid -> identifier type -> value (the bytewise smallest of that type).
    std::map<std::string, std::map<std::string, std::string>> identifiers;
    //! pid -> trait -> current value.
    std::map<std::string, std::map<std::string, std::string>> traits;
    //! (pid, kind) -> relationship -> the matched primary keys (typed), for data_graph_entity_context.
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<Value>>> context;
    //! relationship -> pk text -> the entity's row (missing when the entity no longer exists).
    std::map<std::string, std::map<std::string, EntityRow>> entities;
    //! parent relationship -> child relationship -> parent pk text -> children rows.
    std::map<std::string, std::map<std::string, std::map<std::string, std::vector<EntityRow>>>> children;
    //! relationship -> how its primary key reads as JSON when the entity is gone (true: number).
    std::map<std::string, bool> numeric_keys;
};

//! The audience an event speaks of.
struct AudienceInfo {
    int64_t id = 0;
    std::string key;
};

//! An event ready for the outbox.
struct BuiltEvent {
    std::string message_id;
    std::string dedup_key; //!< what the messageId hashes, but for the activation (DedupKey)
    std::string event_name;
    nlohmann::json payload;
    std::string payload_text;  //!< the payload as canonical JSON (store::CanonicalJson), as the outbox keeps it
    std::string filter_reason; //!< non-empty: filtered at source
};

//! What identifies a change's event within its activation: (the change's origin, kind, profile, relationship,
//! key), as text. origin names what the change is relative to ("b<baseline run>", "b0" for none, "backfill").
//! Two events of an activation have the same key exactly when they have the same messageId. The outbox's unique
//! key is (activation, this key): a run's changes come in profile order, so its events extend that index at a few
//! points, where hashed messageIds would land anywhere in it.
std::string DedupKey(const std::string& origin, const Change& change, bool entity_change);

//! The messageId of a change for an activation: a UUID-shaped SHA-256 of the activation and the change's DedupKey.
std::string MessageId(int64_t activation_id, const std::string& origin, const Change& change, bool entity_change);

//! The event of one change for one activation.
BuiltEvent BuildEvent(const ActivationPlan& plan, const graph::DataGraph& graph, const AudienceInfo& audience,
                      const Change& change, bool entity_change, const Lookups& lookups, const std::string& origin,
                      const std::string& timestamp, int64_t run_id);

//! "user-carts" -> "user_carts".
std::string PropertyPrefix(const std::string& relationship);
//! The property of an entity event holding a column of the triggering entity (its primary key or an enriched
//! column): ("user-carts", "TOTAL") -> "user_carts__TOTAL".
std::string EntityProperty(const std::string& relationship, const std::string& column);
//! The property of an entity event holding the enriched entities of a child relationship, an array of objects:
//! ("user-carts", "cart-products") -> "user_carts__cart_products".
std::string ChildrenProperty(const std::string& relationship, const std::string& child);

} // namespace kith::run
