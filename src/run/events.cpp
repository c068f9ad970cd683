#include "run/events.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace kith::run {

namespace {

using nlohmann::json;

const char* DefaultEventName(Trigger t) {
    switch (t) {
    case Trigger::PROFILE_ENTERS: return "Audience Entered";
    case Trigger::PROFILE_EXITS: return "Audience Exited";
    case Trigger::ENTITY_ENTERS: return "Entity Entered";
    case Trigger::ENTITY_EXITS: return "Entity Exited";
    case Trigger::MEMBERSHIP_CHANGED: return "";
    }
    return "";
}

// Sets a dotted path ("context.traits.email") in an object, creating the objects on the way.
void SetPath(json& root, const std::string& path, const json& value) {
    json* at = &root;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (dot == std::string::npos) {
            (*at)[part] = value;
            return;
        }
        json& next = (*at)[part];
        if (!next.is_object()) next = json::object();
        at = &next;
        start = dot + 1;
    }
}

json EntityObject(const EntityRow& row, const std::string& pk_column, const std::vector<std::string>& columns,
                  const std::string& entity) {
    json o = json::object();
    o[pk_column] = row.primary_key;
    for (const auto& c : columns) {
        auto it = row.columns.find(c);
        o[c] = it == row.columns.end() ? json(nullptr) : it->second;
    }
    o["__entity"] = entity;
    return o;
}

json KeyValue(const Lookups& lookups, const std::string& relationship, const std::string& pk) {
    if (auto rel = lookups.entities.find(relationship); rel != lookups.entities.end()) {
        if (auto row = rel->second.find(pk); row != rel->second.end()) return row->second.primary_key;
    }
    if (auto n = lookups.numeric_keys.find(relationship); n != lookups.numeric_keys.end() && n->second) {
        json parsed = json::parse(pk, nullptr, false);
        if (parsed.is_number()) return parsed;
    }
    return pk;
}

} // namespace

std::optional<Trigger> ParseTrigger(const std::string& name) {
    if (name == "profile_enters") return Trigger::PROFILE_ENTERS;
    if (name == "profile_exits") return Trigger::PROFILE_EXITS;
    if (name == "entity_enters") return Trigger::ENTITY_ENTERS;
    if (name == "entity_exits") return Trigger::ENTITY_EXITS;
    if (name == "membership_changed") return Trigger::MEMBERSHIP_CHANGED;
    return std::nullopt;
}

std::string PropertyPrefix(const std::string& relationship) {
    std::string out = relationship;
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

std::string EntityProperty(const std::string& relationship, const std::string& column) {
    return PropertyPrefix(relationship) + "__" + column;
}

std::string ChildrenProperty(const std::string& relationship, const std::string& child) {
    return PropertyPrefix(relationship) + "__" + PropertyPrefix(child);
}

Result<ActivationPlan> ActivationPlan::From(const store::ActivationRecord& record, const graph::DataGraph& graph,
                                            int64_t default_max_event_bytes) {
    const store::ActivationSpec& spec = record.spec;
    ActivationPlan p;
    p.id = record.id;
    p.key = spec.key;
    p.backfill = spec.backfill;
    p.first_run = !record.first_run_id.has_value();
    auto where = [&](const std::string& what) { return fmt::format("activation {}: {}", spec.key, what); };
    auto trigger = ParseTrigger(spec.trigger);
    if (!trigger) return Fail(ErrorCode::INVALID, where("unknown trigger " + spec.trigger));
    p.trigger = *trigger;
    if (p.EntityTrigger()) {
        if (!graph.FindRelationship(spec.entity)) {
            return Fail(ErrorCode::INVALID,
                        where(fmt::format("the trigger's entity {} is not a relationship of the data graph", spec.entity)));
        }
        p.relationship = spec.entity;
    }
    p.event_name = spec.event_name.empty() ? DefaultEventName(p.trigger) : spec.event_name;
    if (p.trigger == Trigger::MEMBERSHIP_CHANGED) p.event_name.clear();

    // Identifiers: entries with the same "as" are fallbacks, in order.
    json ids = spec.identifiers;
    if (!ids.is_array() || ids.empty()) {
        ids = json::array({{{"type", "user_id"}, {"as", "userId"}}, {{"type", "anonymous_id"}, {"as", "anonymousId"}}});
    }
    for (const auto& entry : ids) {
        std::string type = entry.value("type", ""), as = entry.value("as", "");
        if (type.empty() || as.empty()) return Fail(ErrorCode::INVALID, where("an identifier entry lacks type or as"));
        auto it = std::find_if(p.identifiers.begin(), p.identifiers.end(), [&](const auto& t) { return t.as == as; });
        if (it == p.identifiers.end()) {
            p.identifiers.push_back(IdentifierTarget{as, {type}});
        } else {
            it->types.push_back(type);
        }
    }

    const json& enrichment = spec.enrichment;
    if (enrichment.is_object()) {
        if (auto t = enrichment.find("traits"); t != enrichment.end() && t->is_array()) {
            for (const auto& name : *t) {
                if (name.is_string()) p.traits.push_back(name.get<std::string>());
            }
        }
        if (auto e = enrichment.find("entities"); e != enrichment.end() && e->is_object()) {
            for (const auto& [slug, columns] : e->items()) {
                const graph::Relationship* r = graph.FindRelationship(slug);
                if (!r) {
                    return Fail(ErrorCode::INVALID,
                                where(fmt::format("enrichment names {}, which is not a relationship of the data graph", slug)));
                }
                std::vector<std::string> cols;
                for (const auto& c : columns) {
                    if (c.is_string()) cols.push_back(c.get<std::string>());
                }
                if (!p.EntityTrigger()) continue; // entity columns enrich entity events only
                if (slug == p.relationship) {
                    p.entity_columns = cols;
                } else if (r->parent >= 0 && graph.relationships[static_cast<size_t>(r->parent)].slug == p.relationship) {
                    p.children[slug] = cols;
                } else {
                    return Fail(ErrorCode::INVALID,
                                where(fmt::format("enrichment names {}, which is neither the trigger's relationship {} "
                                                  "nor one of its direct children",
                                                  slug, p.relationship)));
                }
            }
        }
    }
    p.max_event_bytes = default_max_event_bytes;
    if (auto m = spec.destination.find("max_event_bytes"); m != spec.destination.end() && m->is_number_integer()) {
        p.max_event_bytes = m->get<int64_t>();
    }
    return p;
}

bool ActivationPlan::Fires(bool entity_change, const std::string& kind) const {
    switch (trigger) {
    case Trigger::PROFILE_ENTERS: return !entity_change && kind == "entered";
    case Trigger::PROFILE_EXITS: return !entity_change && kind == "exited";
    case Trigger::ENTITY_ENTERS: return entity_change && kind == "entered";
    case Trigger::ENTITY_EXITS: return entity_change && kind == "exited";
    case Trigger::MEMBERSHIP_CHANGED: return !entity_change;
    }
    return false;
}

std::string DedupKey(const std::string& origin, const Change& change, bool entity_change) {
    std::string key = fmt::format("{}\x1f{}\x1f{}", origin, change.kind, change.pid);
    if (entity_change) key += fmt::format("\x1f{}\x1f{}", change.relationship, change.pk);
    return key;
}

std::string MessageId(int64_t activation_id, const std::string& origin, const Change& change, bool entity_change) {
    std::string input = fmt::format("kith-event\x1f{}\x1f{}", activation_id, DedupKey(origin, change, entity_change));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (int i = 0; i < 16; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20, 12);
}

BuiltEvent BuildEvent(const ActivationPlan& plan, const graph::DataGraph& graph, const AudienceInfo& audience,
                      const Change& change, bool entity_change, const Lookups& lookups, const std::string& origin,
                      const std::string& timestamp, int64_t run_id) {
    BuiltEvent out;
    out.dedup_key = DedupKey(origin, change, entity_change);
    out.message_id = MessageId(plan.id, origin, change, entity_change);
    out.event_name = plan.event_name;
    json e = json::object();
    bool identify = plan.trigger == Trigger::MEMBERSHIP_CHANGED;
    e["type"] = identify ? "identify" : "track";
    if (!identify) e["event"] = plan.event_name;
    e["messageId"] = out.message_id;
    e["timestamp"] = timestamp;

    // Identifiers, with fallbacks.
    static const std::map<std::string, std::string> kNone;
    auto ids_it = lookups.identifiers.find(change.pid);
    const auto& ids = ids_it == lookups.identifiers.end() ? kNone : ids_it->second;
    bool wants_user_id = false, has_user_id = false, any = false;
    std::vector<std::string> user_id_types;
    for (const IdentifierTarget& target : plan.identifiers) {
        std::optional<std::string> value;
        for (const auto& type : target.types) {
            if (type == "segment_id") {
                value = change.pid;
            } else if (auto v = ids.find(type); v != ids.end()) {
                value = v->second;
            }
            if (value) break;
        }
        if (target.as == "userId") {
            wants_user_id = true;
            user_id_types = target.types;
            has_user_id = value.has_value();
        }
        if (value) {
            any = true;
            SetPath(e, target.as, *value);
        }
    }

    // Traits.
    auto traits_it = lookups.traits.find(change.pid);
    json traits = json::object();
    for (const auto& name : plan.traits) {
        json v = nullptr;
        if (traits_it != lookups.traits.end()) {
            if (auto t = traits_it->second.find(name); t != traits_it->second.end()) v = t->second;
        }
        traits[name] = v;
    }

    if (identify) {
        json t = json::object();
        t[audience.key] = change.kind == "entered";
        for (const auto& [k, v] : traits.items()) t[k] = v;
        if (e.contains("traits") && e["traits"].is_object()) {
            for (const auto& [k, v] : e["traits"].items()) t[k] = v;
        }
        e["traits"] = t;
    } else {
        json props = json::object();
        props["audience_key"] = audience.key;
        for (const auto& [k, v] : traits.items()) props[k] = v;
        if (entity_change) {
            const graph::Relationship* r = graph.FindRelationship(change.relationship);
            const graph::Entity& entity = graph.EntityOf(*r);
            props[EntityProperty(change.relationship, entity.primary_key)] =
                KeyValue(lookups, change.relationship, change.pk);
            const EntityRow* row = nullptr;
            if (auto rel = lookups.entities.find(change.relationship); rel != lookups.entities.end()) {
                if (auto it = rel->second.find(change.pk); it != rel->second.end()) row = &it->second;
            }
            if (row) {
                for (const auto& c : plan.entity_columns) {
                    auto it = row->columns.find(c);
                    props[EntityProperty(change.relationship, c)] =
                        it == row->columns.end() ? json(nullptr) : it->second;
                }
                for (const auto& [child, columns] : plan.children) {
                    const graph::Relationship* cr = graph.FindRelationship(child);
                    const graph::Entity& ce = graph.EntityOf(*cr);
                    json list = json::array();
                    auto p = lookups.children.find(change.relationship);
                    if (p != lookups.children.end()) {
                        if (auto c = p->second.find(child); c != p->second.end()) {
                            if (auto rows = c->second.find(change.pk); rows != c->second.end()) {
                                for (const auto& cr_row : rows->second) {
                                    list.push_back(EntityObject(cr_row, ce.primary_key, columns, ce.slug));
                                }
                            }
                        }
                    }
                    props[ChildrenProperty(change.relationship, child)] = list;
                }
            }
            props["__entity"] = entity.slug;
        }
        json context = json::object();
        if (auto c = lookups.context.find({change.pid, change.kind}); c != lookups.context.end()) {
            for (const auto& [rel, keys] : c->second) context[rel] = keys;
        }
        props["data_graph_entity_context"] = context;
        e["properties"] = props;
    }

    json personas = {{"computation_class", "audience"},
                     {"computation_id", std::to_string(audience.id)},
                     {"computation_key", audience.key},
                     {"computation_run_id", std::to_string(run_id)},
                     {"event_emitter_id", plan.key}};
    if (!e.contains("context") || !e["context"].is_object()) e["context"] = json::object();
    e["context"]["personas"] = personas;
    out.payload = std::move(e);
    out.payload_text = store::CanonicalJson(out.payload);

    if (wants_user_id && !has_user_id) {
        std::string types;
        for (const auto& t : user_id_types) types += (types.empty() ? "" : ", ") + t;
        out.filter_reason = "no userId: the profile has no identifier of type " + types;
    } else if (!wants_user_id && !any) {
        out.filter_reason = "no identifier: the profile has none of the activation's identifier types";
    } else {
        size_t size = out.payload_text.size();
        if (static_cast<int64_t>(size) > plan.max_event_bytes) {
            out.filter_reason = fmt::format("the event is {} bytes, over the limit of {} bytes", size, plan.max_event_bytes);
        }
    }
    return out;
}

} // namespace kith::run
