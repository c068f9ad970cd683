#include "apply/apply.hpp"

#include "apply/checks.hpp"
#include "apply/document.hpp"
#include "common/text.hpp"
#include "schedule/schedule.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <set>

namespace kith::apply {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------------------------
// Checker

void Checker::Err(const std::string& pointer, std::string message) {
    out_.push_back(audience::AudienceError{file_, pointer, std::move(message)});
}

bool Checker::Object(const json& v, const std::string& ptr, const std::vector<std::string>& allowed,
                     const std::string& what) {
    if (!v.is_object()) {
        Err(ptr, what + " must be an object, found " + JsonTypeName(v));
        return false;
    }
    for (const auto& key : UnknownJsonKeys(v, allowed)) Err(ptr + JsonPointerToken(key), UnknownKeyMessage(key, what, allowed));
    return true;
}

std::optional<std::string> Checker::String(const json& obj, const std::string& key, const std::string& ptr,
                                           bool required) {
    if (!obj.contains(key)) {
        if (required) Err(ptr, "missing \"" + key + "\"");
        return std::nullopt;
    }
    const json& v = obj[key];
    std::string p = ptr + JsonPointerToken(key);
    if (!v.is_string()) {
        Err(p, "\"" + key + "\" must be a string, found " + JsonTypeName(v));
        return std::nullopt;
    }
    if (v.get_ref<const std::string&>().empty()) {
        Err(p, "\"" + key + "\" must not be empty");
        return std::nullopt;
    }
    return v.get<std::string>();
}

std::optional<bool> Checker::Bool(const json& obj, const std::string& key, const std::string& ptr, bool fallback) {
    if (!obj.contains(key)) return fallback;
    const json& v = obj[key];
    if (!v.is_boolean()) {
        Err(ptr + JsonPointerToken(key), "\"" + key + "\" must be true or false, found " + JsonTypeName(v));
        return std::nullopt;
    }
    return v.get<bool>();
}

std::optional<int64_t> Checker::Integer(const json& obj, const std::string& key, const std::string& ptr, int64_t min,
                                        int64_t max) {
    if (!obj.contains(key)) return std::nullopt;
    const json& v = obj[key];
    std::string p = ptr + JsonPointerToken(key);
    if (!v.is_number_integer()) {
        Err(p, "\"" + key + "\" must be an integer, found " + JsonTypeName(v));
        return std::nullopt;
    }
    int64_t n = v.get<int64_t>();
    if (n < min || n > max) {
        Err(p, fmt::format("\"{}\" must be between {} and {}, found {}", key, min, max, n));
        return std::nullopt;
    }
    return n;
}

namespace {

namespace fs = std::filesystem;

// One file of the folder, parsed.
struct Document {
    std::string file;
    json value;
    std::string kind;
    std::string key;
};

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// [A-Za-z0-9_][A-Za-z0-9_-]{0,127}
bool ValidKey(const std::string& key) {
    if (key.empty() || key.size() > 128 || key[0] == '-') return false;
    return std::all_of(key.begin(), key.end(), [](char c) { return IsAlnum(c) || c == '_' || c == '-'; });
}

// HH:MM from 00:00 to 23:59.
// The schedule, checked by the scheduler's own parser so apply and runs agree on what is valid.
void CheckSchedule(const json& obj, Checker& c) {
    if (!obj.contains("schedule")) return;
    auto parsed = schedule::ParseSchedule(obj["schedule"]);
    if (parsed) return;
    for (const auto& e : parsed.error()) c.Err("/schedule" + e.location, e.message);
}

// Relationship slugs of the entity conditions of an audience (not of the audiences it references).
void UsedRelationships(const std::vector<audience::Condition>& conditions, std::set<std::string>& out) {
    for (const auto& c : conditions) {
        if (c.kind != audience::Condition::Kind::ENTITY) continue;
        out.insert(c.relationship_slug);
        UsedRelationships(c.children, out);
    }
}

std::set<std::string> UsedRelationships(const audience::Audience& a) {
    std::set<std::string> out;
    for (const auto& g : a.groups) UsedRelationships(g.conditions, out);
    return out;
}

// The audiences of the folder first, then those of the store.
class ApplyLibrary final : public audience::Library {
public:
    ApplyLibrary(store::Store& store, int64_t workspace) : store_(store), workspace_(workspace) {}
    void Add(const std::string& key, Entry entry) { folder_[key] = std::move(entry); }
    Result<std::optional<Entry>> Load(const std::string& key) override {
        if (auto it = folder_.find(key); it != folder_.end()) return it->second;
        auto stored = store_.GetAudience(workspace_, key);
        if (!stored) return std::unexpected(stored.error());
        if (!*stored) return std::nullopt;
        return Entry{store::CanonicalJson((*stored)->spec.definition), "state store audience " + key};
    }

private:
    store::Store& store_;
    int64_t workspace_;
    std::map<std::string, Entry> folder_;
};

const std::vector<std::string> kTriggers = {"profile_enters", "profile_exits", "entity_enters", "entity_exits",
                                            "membership_changed"};

} // namespace

std::expected<Report, Failure> ApplyDirectory(const std::string& dir, Context& ctx) {
    auto fatal = [&](Error e) { return std::unexpected(Failure{{}, std::move(e)}); };

    // The files, sorted by name.
    std::vector<std::string> files;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return fatal(Error{ErrorCode::IO, "cannot read folder: " + ec.message(), dir});
    for (const auto& entry : it) {
        std::string name = entry.path().filename().string();
        if (!IsDocumentFile(name) || name.starts_with(".")) continue;
        if (!entry.is_regular_file(ec)) continue;
        files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());

    // Parse each file.
    std::vector<Source> sources;
    std::vector<audience::AudienceError> problems;
    for (const auto& file : files) {
        auto value = ReadDocument(file);
        if (!value) {
            if (value.error().code != ErrorCode::INVALID) return fatal(value.error());
            // The location is file:line:col; report it as the pointer place.
            std::string where = value.error().location.substr(std::min(file.size() + 1, value.error().location.size()));
            problems.push_back(audience::AudienceError{file, where, value.error().message});
            continue;
        }
        sources.push_back(Source{file, std::move(*value)});
    }
    return ApplyObjects(std::move(sources), ctx, std::move(problems), dir);
}

std::expected<Report, Failure> ApplyObjects(std::vector<Source> sources, Context& ctx,
                                            std::vector<audience::AudienceError> problems, const std::string& where,
                                            bool dry_run) {
    Failure failure;
    failure.problems = std::move(problems);
    auto fatal = [&](Error e) { return std::unexpected(Failure{{}, std::move(e)}); };
    const std::string& dir = where;

    // Check each object's kind and key.
    std::vector<Document> docs;
    std::map<std::pair<std::string, std::string>, std::string> seen; // (kind, key) -> file
    for (auto& source : sources) {
        const std::string& file = source.file;
        Checker c(file, failure.problems);
        auto value = &source.value;
        if (!value->is_object()) {
            c.Err("", "the file must hold one object, found " + JsonTypeName(*value));
            continue;
        }
        Document d{file, std::move(*value), "", ""};
        auto kind = c.String(d.value, "kind", "", true);
        if (kind && *kind != "audience" && *kind != "activation") {
            c.Err("/kind", "unknown kind " + text::Quote(*kind) + " (expected audience or activation)");
            kind.reset();
        }
        auto key = c.String(d.value, "key", "", true);
        if (key && !ValidKey(*key)) {
            c.Err("/key", "a key is 1 to 128 letters, digits, '_' or '-' (not first), found " + text::Quote(*key));
            key.reset();
        }
        if (!kind || !key) continue;
        if (auto [at, fresh] = seen.emplace(std::pair(*kind, *key), file); !fresh) {
            c.Err("/key", fmt::format("{} {} is also defined in {}", *kind, text::Quote(*key), at->second));
            continue;
        }
        d.kind = *kind;
        d.key = *key;
        docs.push_back(std::move(d));
    }

    // Audiences: their fields, then their definitions against the graph, the warehouse and each other.
    ApplyLibrary library(ctx.store, ctx.workspace);
    std::map<std::string, store::AudienceSpec> audiences;
    std::set<std::string> audience_files;
    std::set<std::string> defined;
    for (const auto& d : docs) {
        if (d.kind != "audience") continue;
        Checker c(d.file, failure.problems);
        c.Object(d.value, "",
                 {"kind", "key", "name", "description", "folder", "definition", "schedule", "enabled"}, "an audience");
        store::AudienceSpec spec;
        spec.key = d.key;
        spec.name = c.String(d.value, "name", "", false).value_or(d.key);
        if (d.value.contains("description")) {
            if (d.value["description"].is_string()) {
                spec.description = d.value["description"].get<std::string>();
            } else {
                c.Err("/description", "\"description\" must be a string, found " + JsonTypeName(d.value["description"]));
            }
        }
        if (d.value.contains("folder")) {
            if (d.value["folder"].is_string()) {
                spec.folder = d.value["folder"].get<std::string>();
            } else {
                c.Err("/folder", "\"folder\" must be a string, found " + JsonTypeName(d.value["folder"]));
            }
        }
        spec.enabled = c.Bool(d.value, "enabled", "", false).value_or(false);
        CheckSchedule(d.value, c);
        if (d.value.contains("schedule")) spec.schedule = d.value["schedule"];
        if (!d.value.contains("definition")) {
            c.Err("", "missing \"definition\"");
        } else if (!d.value["definition"].is_object()) {
            c.Err("/definition", "\"definition\" must be an object, found " + JsonTypeName(d.value["definition"]));
        } else {
            spec.definition = d.value["definition"];
            library.Add(d.key, audience::Library::Entry{store::CanonicalJson(spec.definition), d.file});
            audience_files.insert(d.file);
            defined.insert(d.key);
        }
        audiences[d.key] = std::move(spec);
    }
    std::map<std::string, std::set<std::string>> relationships; // audience key -> relationships it uses
    std::set<std::string> reported;
    std::vector<audience::AudienceError> definition_problems;
    for (const auto& [key, spec] : audiences) {
        if (!defined.count(key)) continue; // its definition is missing or not an object: reported above
        auto entry = library.Load(key);
        if (!entry) return fatal(entry.error());
        if (!*entry) continue;
        audience::ParseContext pc{ctx.graph, ctx.catalog, &library};
        auto parsed = audience::ParseAudience((*entry)->text, (*entry)->file, pc);
        if (parsed) {
            relationships[key] = UsedRelationships(*parsed);
            continue;
        }
        if (parsed.error().fatal) return fatal(*parsed.error().fatal);
        for (auto e : parsed.error().errors) {
            // Errors inside a folder file's definition get the definition's pointer prefix.
            if (audience_files.count(e.file) && (e.pointer.empty() || e.pointer[0] == '/')) {
                e.pointer = "/definition" + e.pointer;
            }
            if (reported.insert(e.ToString()).second) definition_problems.push_back(std::move(e));
        }
    }
    failure.problems.insert(failure.problems.end(), definition_problems.begin(), definition_problems.end());

    // Activations.
    std::vector<store::ActivationSpec> activations;
    std::vector<std::string> activation_files;
    for (const auto& d : docs) {
        if (d.kind != "activation") continue;
        Checker c(d.file, failure.problems);
        const json& v = d.value;
        c.Object(v, "",
                 {"kind", "key", "audience", "destination", "action", "trigger", "entity", "event_name", "identifiers",
                  "enrichment", "mapping", "backfill", "enabled"},
                 "an activation");
        store::ActivationSpec spec;
        spec.key = d.key;
        // The audience, and the relationships it uses.
        std::optional<std::set<std::string>> used;
        if (auto a = c.String(v, "audience", "", true)) {
            spec.audience = *a;
            if (audiences.count(*a)) {
                if (auto r = relationships.find(*a); r != relationships.end()) used = r->second;
            } else {
                auto stored = ctx.store.GetAudience(ctx.workspace, *a);
                if (!stored) return fatal(stored.error());
                if (!*stored) {
                    c.Err("/audience", "no audience " + text::Quote(*a) + " in " + dir + " or in the state store");
                } else {
                    audience::ParseContext pc{ctx.graph, nullptr, &library};
                    auto parsed = audience::ParseAudience(store::CanonicalJson((*stored)->spec.definition),
                                                          "state store audience " + *a, pc);
                    if (parsed) used = UsedRelationships(*parsed);
                }
            }
        }
        // The trigger and its entity relationship.
        if (auto t = c.String(v, "trigger", "", true)) {
            if (std::find(kTriggers.begin(), kTriggers.end(), *t) == kTriggers.end()) {
                c.Err("/trigger", "unknown trigger " + text::Quote(*t) +
                                      " (expected profile_enters, profile_exits, entity_enters, entity_exits or "
                                      "membership_changed)");
            } else {
                spec.trigger = *t;
                bool entity_trigger = t->starts_with("entity_");
                if (entity_trigger) {
                    if (auto e = c.String(v, "entity", "", true)) {
                        spec.entity = *e;
                        if (!ctx.graph.FindRelationship(*e)) {
                            c.Err("/entity", "no relationship " + text::Quote(*e) + " in the data graph");
                        } else if (used && !used->count(*e)) {
                            c.Err("/entity", fmt::format("audience {} does not use relationship {}",
                                                         text::Quote(spec.audience), text::Quote(*e)));
                        }
                    }
                } else if (v.contains("entity")) {
                    c.Err("/entity", "\"entity\" applies only to entity_enters and entity_exits triggers");
                }
                // An empty name is the trigger's default, as when the key is left out (the API shows it so).
                bool default_name = v.contains("event_name") && v["event_name"].is_string() &&
                                    v["event_name"].get_ref<const std::string&>().empty();
                if (default_name) {
                    spec.event_name.clear();
                } else if (auto n = c.String(v, "event_name", "", false)) {
                    if (*t == "membership_changed") {
                        c.Err("/event_name", "membership_changed sends identify events, which have no event name");
                    } else {
                        spec.event_name = *n;
                    }
                }
            }
        }
        // Identifiers: [{"type": ..., "as": ...}, ...].
        if (v.contains("identifiers")) {
            const json& ids = v["identifiers"];
            if (!ids.is_array()) {
                c.Err("/identifiers", "\"identifiers\" must be an array, found " + JsonTypeName(ids));
            } else {
                for (size_t i = 0; i < ids.size(); ++i) {
                    std::string p = fmt::format("/identifiers/{}", i);
                    if (!c.Object(ids[i], p, {"type", "as"}, "an identifier")) continue;
                    c.String(ids[i], "type", p, true);
                    c.String(ids[i], "as", p, true);
                }
                spec.identifiers = ids;
            }
        }
        // Enrichment: {"traits": [...], "entities": {"<relationship>": [columns]}}.
        if (v.contains("enrichment")) {
            const json& en = v["enrichment"];
            if (c.Object(en, "/enrichment", {"traits", "entities"}, "the enrichment")) {
                auto strings = [&](const json& list, const std::string& p) {
                    if (!list.is_array()) {
                        c.Err(p, "must be an array of names, found " + JsonTypeName(list));
                        return;
                    }
                    for (size_t i = 0; i < list.size(); ++i) {
                        if (!list[i].is_string() || list[i].get_ref<const std::string&>().empty()) {
                            c.Err(fmt::format("{}/{}", p, i), "must be a name, found " + list[i].dump());
                        }
                    }
                };
                if (en.contains("traits")) strings(en["traits"], "/enrichment/traits");
                if (en.contains("entities")) {
                    const json& ents = en["entities"];
                    if (!ents.is_object()) {
                        c.Err("/enrichment/entities", "must be an object of relationship: [columns], found " +
                                                          JsonTypeName(ents));
                    } else {
                        for (const auto& [rel, cols] : ents.items()) {
                            std::string p = "/enrichment/entities" + JsonPointerToken(rel);
                            if (!ctx.graph.FindRelationship(rel)) {
                                c.Err(p, "no relationship " + text::Quote(rel) + " in the data graph");
                            } else if (used && !used->count(rel)) {
                                c.Err(p, fmt::format("audience {} does not use relationship {}",
                                                     text::Quote(spec.audience), text::Quote(rel)));
                            }
                            strings(cols, p);
                        }
                    }
                }
                spec.enrichment = en;
            }
        }
        spec.backfill = c.Bool(v, "backfill", "", true).value_or(true);
        spec.enabled = c.Bool(v, "enabled", "", true).value_or(true);
        auto action = CheckDestination(v, c, ctx.file_root);
        if (action) spec.action = *action;
        if (v.contains("destination")) spec.destination = v["destination"];
        // The mapping, against the action's fields once the action is known.
        if (v.contains("mapping")) spec.mapping = v["mapping"];
        CheckMapping(v, action, c);
        activations.push_back(std::move(spec));
        activation_files.push_back(d.file);
    }

    if (!failure.problems.empty()) return std::unexpected(std::move(failure));

    // Everything is valid: write it all in one transaction.
    Report report;
    if (dry_run) return report;
    auto written = ctx.store.Transaction([&](store::Tx& tx) -> Status {
        for (const auto& d : docs) {
            if (d.kind != "audience") continue;
            auto change = tx.UpsertAudience(ctx.workspace, audiences[d.key]);
            if (!change) return std::unexpected(change.error());
            report.objects.push_back(Applied{d.file, "audience", d.key, *change});
        }
        for (size_t i = 0; i < activations.size(); ++i) {
            auto change = tx.UpsertActivation(ctx.workspace, activations[i]);
            if (!change) return std::unexpected(change.error());
            report.objects.push_back(Applied{activation_files[i], "activation", activations[i].key, *change});
        }
        return {};
    });
    if (!written) return fatal(written.error());
    std::stable_sort(report.objects.begin(), report.objects.end(), [](const Applied& a, const Applied& b) {
        return std::pair(a.kind != "audience", a.key) < std::pair(b.kind != "audience", b.key);
    });
    return report;
}

} // namespace kith::apply
