// "Copy personalization syntax" (activations.md, "Events"): for each field an
// activation's events carry from its enrichment, what to paste into a Braze
// template (Liquid) and into an Iterable template (Handlebars) to use it.
//
//   auto plan = ActivationPlan::From(record, graph, 32 * 1024);
//   for (const auto& f : PersonalizationSyntax(*plan, graph)) print(f.property, f.braze.text, f.iterable.text);
//
// Track events carry the fields in `properties`: Braze reads them as
// `event_properties.<name>`, Iterable as top-level `<name>`; a list (an
// entity's enriched children) is a loop over objects. Identify events carry
// the traits as user traits: Braze reads them as custom attributes
// (`custom_attribute.${name}`), Iterable as top-level `<name>`. The property
// names are those BuildEvent writes (EntityProperty, ChildrenProperty).
#pragma once

#include "graph/model.hpp"
#include "run/events.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kith::run {

enum class FieldKind {
    VALUE, //!< one value
    LIST,  //!< an array of objects (the enriched entities of a child relationship)
};
//! "value", "list".
std::string_view FieldKindName(FieldKind kind);

//! What an event field is made of.
enum class FieldSource {
    TRAIT,           //!< an enriched trait
    ENTITY_KEY,      //!< the triggering entity's primary key (every entity event carries it)
    ENTITY_COLUMN,   //!< an enriched column of the triggering entity
    CHILD_ENTITIES,  //!< the enriched entities of a direct child relationship
};
//! "trait", "entity_key", "entity_column", "child_entities".
std::string_view FieldSourceName(FieldSource source);

//! A template snippet. For a list, `text` is a whole loop printing one item field: `open` + `item` + `close`.
struct Snippet {
    std::string text;
    std::string open;  //!< LIST: the loop's opening tag
    std::string item;  //!< LIST: one field of the current item (the first enriched column, else the primary key)
    std::string close; //!< LIST: the loop's closing tag
};

//! One field of the activation's events and how to use it in each destination's templates.
struct PersonalizationField {
    std::string property; //!< its key in the event's `properties` (identify events: `traits`)
    FieldKind kind = FieldKind::VALUE;
    FieldSource source = FieldSource::TRAIT;
    std::string relationship;             //!< ENTITY_* and CHILD_ENTITIES: the relationship slug
    std::string column;                   //!< TRAIT: the trait; ENTITY_*: the column
    std::vector<std::string> item_fields; //!< LIST: the keys of each item: primary key, enriched columns, __entity
    Snippet braze;                        //!< Braze Liquid
    Snippet iterable;                     //!< Iterable Handlebars
};

//! The activation's enriched fields in the order of its events' building: traits, then (entity triggers) the
//! triggering entity's primary key and enriched columns, then its enriched children by relationship slug.
//! `plan` comes from ActivationPlan::From on the same graph.
std::vector<PersonalizationField> PersonalizationSyntax(const ActivationPlan& plan, const graph::DataGraph& graph);

//! The syntax as JSON, as `kith personalization --json` prints it and the API answers: {"activation",
//! "event_type": "track|identify", "event", "fields": [{"property", "kind", "source", "braze", "iterable",
//! "relationship"?, "column"?, and for lists "item_fields", "braze_loop", "iterable_loop"}]}.
nlohmann::json PersonalizationJson(const ActivationPlan& plan, const graph::DataGraph& graph);

} // namespace kith::run
