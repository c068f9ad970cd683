#include "run/profile_event.hpp"

#include "common/text.hpp"
#include "engine/engine.hpp"
#include "plan/compiler.hpp"
#include "run/lookups.hpp"
#include "run/snapshot.hpp"
#include "sql/printer.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace kith::run {

namespace {

using nlohmann::json;

// What one profile's event is built from, and from where.
struct Evaluation {
    Environment& env;
    const sql::Dialect& dialect;
    audience::Catalog& catalog;
    const audience::Audience& audience;
    const ActivationPlan& plan;
    std::string audience_key;
    int64_t as_of = 0;

    plan::Options Only(const std::string& pid) const { return plan::Options{as_of, pid}; }
};

sql::TableName ProfileTable(const graph::DataGraph& graph, const char* name) {
    warehouse::TableName t = graph.ProfileTable(name);
    return {t.database, t.schema, t.table};
}

// The identifier targets that say who a profile is to the destination: the one filling userId, else all of them.
std::vector<const IdentifierTarget*> UserIdTargets(const ActivationPlan& plan) {
    std::vector<const IdentifierTarget*> out;
    for (const auto& t : plan.identifiers) {
        if (t.as == "userId") return {&t};
        out.push_back(&t);
    }
    return out;
}

std::string Join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
}

// The value at a dotted path of an event ("context.traits.email"); nullptr when there is none.
const json* AtPath(const json& root, const std::string& path) {
    const json* at = &root;
    size_t start = 0;
    while (at->is_object()) {
        size_t dot = path.find('.', start);
        auto it = at->find(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (it == at->end()) return nullptr;
        if (dot == std::string::npos) return &*it;
        at = &*it;
        start = dot + 1;
    }
    return nullptr;
}

// Whether the profile's event carries user_id where the activation puts who the profile is.
bool SendsUserId(const Evaluation& e, const Lookups& lookups, const std::string& pid, const std::string& user_id) {
    BuiltEvent b = BuildEvent(e.plan, e.env.graph, AudienceInfo{}, Change{"entered", pid, "", ""}, false, lookups, "",
                              "", 0);
    for (const IdentifierTarget* t : UserIdTargets(e.plan)) {
        const json* v = AtPath(b.payload, t->as);
        if (v && v->is_string() && v->get<std::string>() == user_id) return true;
    }
    return false;
}

// The identifiers and current trait values the activation sends, of one profile, into lookups.
Status ReadProfile(const Evaluation& e, const std::string& pid, Lookups& lookups) {
    std::set<std::string> types;
    for (const auto& t : e.plan.identifiers) {
        for (const auto& type : t.types) {
            if (type != "segment_id") types.insert(type);
        }
    }
    if (types.empty() && e.plan.traits.empty()) return {};
    sql::Query q = LookupQuery(OneProfile(pid), {types.begin(), types.end()}, e.plan.traits,
                               ProfileTable(e.env.graph, "user_identifiers"), ProfileTable(e.env.graph, "user_traits"));
    return EachRow(e.env.warehouse, sql::Print(q, e.dialect), [&](const auto& row, const auto&) {
        auto& target = row[2].value_or("") == "i" ? lookups.identifiers : lookups.traits;
        target[pid][row[3].value_or("")] = row[4].value_or("");
    });
}

// The profiles that have user_id as an identifier of a type the activation fills userId with (or as their id, when
// it sends segment_id), bytewise sorted.
Result<std::vector<std::string>> ProfilesWithUserId(const Evaluation& e, const std::string& user_id) {
    std::set<std::string> types;
    bool segment_id = false;
    for (const IdentifierTarget* t : UserIdTargets(e.plan)) {
        for (const auto& type : t->types) {
            if (type == "segment_id") {
                segment_id = true;
            } else {
                types.insert(type);
            }
        }
    }
    std::set<std::string> pids;
    if (segment_id) pids.insert(user_id);
    if (!types.empty()) {
        sql::Query q = ProfilesWithIdentifierQuery(ProfileTable(e.env.graph, "user_identifiers"),
                                                   {types.begin(), types.end()}, user_id);
        auto ok = EachRow(e.env.warehouse, sql::Print(q, e.dialect),
                          [&](const auto& row, const auto&) { pids.insert(row[0].value_or("")); });
        if (!ok) return std::unexpected(ok.error());
    }
    return std::vector<std::string>(pids.begin(), pids.end());
}

Result<bool> IsMember(const Evaluation& e, const std::string& pid) {
    auto members = plan::CompileMembers(e.env.graph, e.audience, e.Only(pid), &e.catalog);
    if (!members) return std::unexpected(members.error());
    auto rows = warehouse::QueryAll(e.env.warehouse, engine::SqlText(*members, e.dialect));
    if (!rows) return std::unexpected(rows.error());
    return !rows->empty();
}

// Who the request names: the member whose event carries user_id, its identifiers and traits read into lookups.
Result<std::string> MemberWithUserId(const Evaluation& e, const std::string& user_id, Lookups& lookups) {
    auto candidates = ProfilesWithUserId(e, user_id);
    if (!candidates) return std::unexpected(candidates.error());
    std::vector<std::string> sending;
    for (const auto& pid : *candidates) {
        if (auto ok = ReadProfile(e, pid, lookups); !ok) return std::unexpected(ok.error());
        if (SendsUserId(e, lookups, pid, user_id)) sending.push_back(pid);
    }
    std::vector<std::string> types;
    for (const IdentifierTarget* t : UserIdTargets(e.plan)) types.insert(types.end(), t->types.begin(), t->types.end());
    if (sending.empty()) {
        return Fail(ErrorCode::NOT_FOUND,
                    fmt::format("no profile has userId {:?} (activation {}: identifier types {}{})", user_id,
                                e.plan.key, Join(types),
                                candidates->empty() ? "" : "; the profiles holding that value send another one first"));
    }
    for (const auto& pid : sending) {
        auto member = IsMember(e, pid);
        if (!member) return std::unexpected(member.error());
        if (*member) return pid;
    }
    return Fail(ErrorCode::NOT_FOUND,
                fmt::format("the profile with userId {:?} is not a member of audience {} as of {}: events are "
                            "built for its members",
                            user_id, e.audience_key, text::IsoMillis(e.as_of / 1000)));
}

// The audience's first member in bytewise order (entity triggers: the first with a matched entity of the trigger's
// relationship).
Result<std::optional<std::string>> FirstMember(const Evaluation& e) {
    engine::Session session{e.env.graph, e.env.warehouse, &e.catalog, nullptr};
    std::optional<std::string> first;
    Status ok;
    if (e.plan.EntityTrigger()) {
        ok = session.Entities(e.audience, e.as_of, [&](const engine::MatchedEntity& m) {
            if (m.relationship == e.plan.relationship) first = m.profile;
            return !first;
        });
    } else {
        ok = session.Members(e.audience, e.as_of, [&](std::string_view pid) {
            first = std::string(pid);
            return false;
        });
    }
    if (!ok) return std::unexpected(ok.error());
    return first;
}

// The profile's matched entities as the run's entities table holds them: (relationship, key text) in seq order.
Result<std::vector<std::pair<std::string, std::string>>> MatchedEntities(const Evaluation& e, const std::string& pid) {
    auto entities = plan::CompileEntities(e.env.graph, e.audience, e.Only(pid), &e.catalog);
    if (!entities) return std::unexpected(entities.error());
    std::vector<std::pair<std::string, std::string>> out;
    auto ok = EachRow(e.env.warehouse, sql::Print(EntitiesQuery(*entities), e.dialect),
                      [&](const auto& row, const auto&) { out.emplace_back(row[3].value_or(""), row[4].value_or("")); });
    if (!ok) return std::unexpected(ok.error());
    return out;
}

// The change the trigger fires on for the profile; for entity triggers its first entity of the relationship.
Result<Change> ChangeOf(const Evaluation& e, const std::string& pid,
                        const std::vector<std::pair<std::string, std::string>>& entities, const std::string& user_id) {
    Change c{e.plan.trigger == Trigger::PROFILE_EXITS || e.plan.trigger == Trigger::ENTITY_EXITS ? "exited" : "entered",
             pid, "", ""};
    if (!e.plan.EntityTrigger()) return c;
    auto it = std::find_if(entities.begin(), entities.end(),
                           [&](const auto& m) { return m.first == e.plan.relationship; });
    if (it == entities.end()) {
        std::string who = user_id.empty() ? "the first member" : fmt::format("the profile with userId {:?}", user_id);
        return Fail(ErrorCode::NOT_FOUND, fmt::format("{} matches no entity of relationship {} in audience {}: entity "
                                                      "events are built for a matched entity",
                                                      who, e.plan.relationship, e.audience_key));
    }
    c.relationship = it->first;
    c.pk = it->second;
    return c;
}

// The matched entities (data_graph_entity_context) and, for entity triggers, the triggering entity's enrichment.
Status ReadEntities(const Evaluation& e, const Change& change,
                    const std::vector<std::pair<std::string, std::string>>& entities, Lookups& lookups) {
    std::set<std::string> relationships;
    for (const auto& [rel, pk] : entities) relationships.insert(rel);
    if (e.plan.EntityTrigger()) relationships.insert(e.plan.relationship);
    for (const auto& rel : relationships) {
        auto numeric = NumericKey(e.env.warehouse, e.env.graph, rel);
        if (!numeric) return std::unexpected(numeric.error());
        lookups.numeric_keys[rel] = *numeric;
    }
    if (e.plan.trigger != Trigger::MEMBERSHIP_CHANGED) {
        auto& context = lookups.context[{change.pid, change.kind}];
        for (const auto& [rel, pk] : entities) context[rel].push_back(KeyJson(pk, lookups.numeric_keys[rel]));
    }
    if (!e.plan.EntityTrigger() || (e.plan.entity_columns.empty() && e.plan.children.empty())) return {};
    EntityEnrichment enrichment;
    enrichment.columns.insert(e.plan.entity_columns.begin(), e.plan.entity_columns.end());
    for (const auto& [child, cols] : e.plan.children) enrichment.children[child].insert(cols.begin(), cols.end());
    auto keys = [&](const sql::ExprPtr& key_text) { return sql::InList(key_text, {sql::Str(change.pk)}); };
    return LoadEntities(e.env.warehouse, e.dialect, e.env.graph, change.relationship, enrichment, keys, lookups);
}

} // namespace

Result<ProfileEvent> BuildProfileEvent(Environment& env, audience::Catalog& catalog,
                                       const store::ActivationRecord& activation, const ProfileEventRequest& request) {
    auto dialect = engine::DialectOf(env.warehouse);
    if (!dialect) return std::unexpected(dialect.error());
    store::AudienceRecord audience;
    std::vector<store::AudienceRecord> workspace_audiences;
    std::optional<store::Snapshot> baseline;
    auto read = env.store.Read([&](store::Tx& tx) -> Status {
        auto a = tx.GetAudienceById(activation.audience_id);
        if (!a) return std::unexpected(a.error());
        if (!*a) {
            return Fail(ErrorCode::NOT_FOUND, fmt::format("activation {}: its audience is gone", activation.spec.key));
        }
        audience = **a;
        auto all = tx.ListAudiences(activation.workspace_id);
        if (!all) return std::unexpected(all.error());
        workspace_audiences = std::move(*all);
        auto b = tx.Baseline(audience.id);
        if (!b) return std::unexpected(b.error());
        baseline = *b;
        return {};
    });
    if (!read) return std::unexpected(read.error());
    auto parsed = ParseStoredAudience(env.graph, catalog, audience, workspace_audiences);
    if (!parsed) return std::unexpected(parsed.error());
    auto plan = ActivationPlan::From(activation, env.graph, request.max_event_bytes);
    if (!plan) return std::unexpected(plan.error());
    Evaluation e{env, **dialect, catalog, *parsed, *plan, audience.spec.key, request.as_of_micros};

    Lookups lookups;
    std::string pid;
    if (request.user_id.empty()) {
        auto first = FirstMember(e);
        if (!first) return std::unexpected(first.error());
        if (!*first) {
            return Fail(ErrorCode::NOT_FOUND,
                        fmt::format("audience {} has no member{} as of {} to build an event for", audience.spec.key,
                                    plan->EntityTrigger() ? " matching an entity of " + plan->relationship : "",
                                    text::IsoMillis(e.as_of / 1000)));
        }
        pid = **first;
        if (auto ok = ReadProfile(e, pid, lookups); !ok) return std::unexpected(ok.error());
    } else {
        auto member = MemberWithUserId(e, request.user_id, lookups);
        if (!member) return std::unexpected(member.error());
        pid = *member;
    }
    std::vector<std::pair<std::string, std::string>> entities;
    if (plan->trigger != Trigger::MEMBERSHIP_CHANGED) {
        auto matched = MatchedEntities(e, pid);
        if (!matched) return std::unexpected(matched.error());
        entities = std::move(*matched);
    }
    auto change = ChangeOf(e, pid, entities, request.user_id);
    if (!change) return std::unexpected(change.error());
    if (auto ok = ReadEntities(e, *change, entities, lookups); !ok) return std::unexpected(ok.error());
    std::string origin = plan->first_run ? "backfill" : fmt::format("b{}", baseline ? baseline->run_id : 0);
    int64_t millis = request.as_of_micros / 1000 - (request.as_of_micros % 1000 < 0 ? 1 : 0);
    AudienceInfo info{audience.id, audience.spec.key};
    return ProfileEvent{pid, BuildEvent(*plan, env.graph, info, *change, plan->EntityTrigger(), lookups, origin,
                                        text::IsoMillis(millis), 0)};
}

} // namespace kith::run
