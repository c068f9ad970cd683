#include "run/personalization.hpp"

#include <fmt/format.h>

namespace kith::run {

namespace {

// A name both template languages take as it is: a letter or underscore, then letters, digits and underscores.
// Warehouse column and trait names usually are; others are written in each language's quoted form.
bool PlainName(const std::string& name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

// `base.name` in Liquid, or `base["name"]` (Liquid has no escapes in strings: a name with a double quote is
// written in single quotes).
std::string LiquidPath(const std::string& base, const std::string& name) {
    if (PlainName(name)) return base + "." + name;
    char quote = name.find('"') == std::string::npos ? '"' : '\'';
    return fmt::format("{}[{}{}{}]", base, quote, name, quote);
}

// `name` in Handlebars, or the segment literal `[name]`.
std::string HandlebarsName(const std::string& name) { return PlainName(name) ? name : "[" + name + "]"; }

Snippet Single(std::string text) { return Snippet{std::move(text), "", "", ""}; }

Snippet Loop(std::string open, std::string item, std::string close) {
    return Snippet{open + item + close, std::move(open), std::move(item), std::move(close)};
}

} // namespace

std::string_view FieldKindName(FieldKind kind) {
    switch (kind) {
    case FieldKind::VALUE: return "value";
    case FieldKind::LIST: return "list";
    }
    return "?";
}

std::string_view FieldSourceName(FieldSource source) {
    switch (source) {
    case FieldSource::TRAIT: return "trait";
    case FieldSource::ENTITY_KEY: return "entity_key";
    case FieldSource::ENTITY_COLUMN: return "entity_column";
    case FieldSource::CHILD_ENTITIES: return "child_entities";
    }
    return "?";
}

std::vector<PersonalizationField> PersonalizationSyntax(const ActivationPlan& plan, const graph::DataGraph& graph) {
    std::vector<PersonalizationField> out;
    bool identify = plan.trigger == Trigger::MEMBERSHIP_CHANGED;
    auto value = [&](FieldSource source, std::string property, std::string relationship, std::string column) {
        PersonalizationField f;
        f.property = std::move(property);
        f.source = source;
        f.relationship = std::move(relationship);
        f.column = std::move(column);
        // Braze writes the attributes of an identify event on the user profile, as custom attributes; a track
        // event's properties are the event's.
        f.braze = Single(identify ? fmt::format("{{{{custom_attribute.${{{}}}}}}}", f.property)
                                 : fmt::format("{{{{{}}}}}", LiquidPath("event_properties", f.property)));
        f.iterable = Single(fmt::format("{{{{{}}}}}", HandlebarsName(f.property)));
        out.push_back(std::move(f));
    };

    for (const auto& trait : plan.traits) value(FieldSource::TRAIT, trait, "", trait);
    // Entity columns enrich entity events only (ActivationPlan::From leaves them empty otherwise).
    if (!plan.EntityTrigger()) return out;
    const graph::Relationship* r = graph.FindRelationship(plan.relationship);
    if (!r) return out;
    const graph::Entity& entity = graph.EntityOf(*r);
    value(FieldSource::ENTITY_KEY, EntityProperty(plan.relationship, entity.primary_key), plan.relationship,
          entity.primary_key);
    for (const auto& c : plan.entity_columns) {
        // The primary key is always there; naming it in the enrichment does not make it a second field.
        if (c == entity.primary_key) continue;
        value(FieldSource::ENTITY_COLUMN, EntityProperty(plan.relationship, c), plan.relationship, c);
    }
    for (const auto& [child, columns] : plan.children) {
        const graph::Relationship* cr = graph.FindRelationship(child);
        if (!cr) continue;
        const graph::Entity& ce = graph.EntityOf(*cr);
        PersonalizationField f;
        f.property = ChildrenProperty(plan.relationship, child);
        f.kind = FieldKind::LIST;
        f.source = FieldSource::CHILD_ENTITIES;
        f.relationship = child;
        // The keys of each object, as BuildEvent writes them (EntityObject): primary key, columns, __entity.
        f.item_fields.push_back(ce.primary_key);
        for (const auto& c : columns) {
            if (c != ce.primary_key) f.item_fields.push_back(c);
        }
        f.item_fields.push_back("__entity");
        const std::string& example = f.item_fields.size() > 2 ? f.item_fields[1] : f.item_fields[0];
        f.braze = Loop(fmt::format("{{% for p in {} %}}", LiquidPath("event_properties", f.property)),
                       fmt::format("{{{{{}}}}}", LiquidPath("p", example)), "{% endfor %}");
        f.iterable = Loop(fmt::format("{{{{#each {}}}}}", HandlebarsName(f.property)),
                          fmt::format("{{{{{}}}}}", HandlebarsName(example)), "{{/each}}");
        out.push_back(std::move(f));
    }
    return out;
}

namespace {

nlohmann::json LoopJson(const Snippet& s) { return {{"open", s.open}, {"item", s.item}, {"close", s.close}}; }

} // namespace

nlohmann::json PersonalizationJson(const ActivationPlan& plan, const graph::DataGraph& graph) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : PersonalizationSyntax(plan, graph)) {
        nlohmann::json j = {{"property", f.property},
                            {"kind", FieldKindName(f.kind)},
                            {"source", FieldSourceName(f.source)},
                            {"braze", f.braze.text},
                            {"iterable", f.iterable.text}};
        if (!f.relationship.empty()) j["relationship"] = f.relationship;
        if (!f.column.empty()) j["column"] = f.column;
        if (f.kind == FieldKind::LIST) {
            j["item_fields"] = f.item_fields;
            j["braze_loop"] = LoopJson(f.braze);
            j["iterable_loop"] = LoopJson(f.iterable);
        }
        list.push_back(std::move(j));
    }
    bool identify = plan.trigger == Trigger::MEMBERSHIP_CHANGED;
    return {{"activation", plan.key},
            {"event_type", identify ? "identify" : "track"},
            {"event", plan.event_name},
            {"fields", list}};
}

} // namespace kith::run
