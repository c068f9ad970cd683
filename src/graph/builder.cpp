#include "graph/builder.hpp"

#include "common/text.hpp"
#include "graph/hcl_parser.hpp"
#include "graph/json_reader.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace kith::graph {

namespace {

constexpr const char* kVersion = "v1.0.0";
constexpr const char* kProfileType = "segment:materialized";

bool IsSlug(const std::string& s) {
    if (s.empty()) return false;
    auto ok = [](unsigned char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && (c == '_' || c == '-'));
    };
    for (size_t i = 0; i < s.size(); ++i) {
        if (!ok(static_cast<unsigned char>(s[i]), i == 0)) return false;
    }
    return true;
}

size_t EditDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string Suggest(const std::string& got, const std::vector<std::string>& allowed) {
    std::string best;
    size_t best_d = 3;
    for (const auto& a : allowed) {
        size_t d = EditDistance(got, a);
        if (d < best_d) {
            best_d = d;
            best = a;
        }
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string Describe(const SyntaxBlock& b) { return b.type + (b.label ? " " + text::Quote(*b.label, 60) : ""); }

std::string At(const Location& l) { return std::to_string(l.line) + ":" + std::to_string(l.column); }

// Splits "[a.][b.]c" into 1..max_parts non-empty parts.
std::optional<std::vector<std::string>> SplitDotted(const std::string& s, size_t max_parts) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t dot = s.find('.', start);
        std::string part = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (part.empty()) return std::nullopt;
        parts.push_back(part);
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    if (parts.size() > max_parts) return std::nullopt;
    return parts;
}

std::string Trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

// One side of a join equality: "entity.COLUMN" (qualified) or "COLUMN" (bare).
struct Side {
    std::optional<std::string> entity;
    std::string column;
};

std::optional<std::pair<Side, Side>> ParseEquality(const std::string& s) {
    size_t eq = s.find('=');
    if (eq == std::string::npos || s.find('=', eq + 1) != std::string::npos) return std::nullopt;
    std::pair<Side, Side> out;
    for (auto [text, side] : {std::pair{Trim(s.substr(0, eq)), &out.first}, std::pair{Trim(s.substr(eq + 1)), &out.second}}) {
        if (text.empty() || text.find_first_of(" \t") != std::string::npos) return std::nullopt;
        size_t dot = text.find('.');
        if (dot == std::string::npos) {
            side->column = text;
        } else {
            side->entity = text.substr(0, dot);
            side->column = text.substr(dot + 1);
            if (side->entity->empty() || side->column.empty() || side->column.find('.') != std::string::npos) {
                return std::nullopt;
            }
        }
    }
    return out;
}

enum class AttrType { STRING, BOOLEAN };

struct AttrSpec {
    const char* name;
    AttrType type;
    bool required;
};

class Builder {
public:
    explicit Builder(const SyntaxFile& file) : file_(file) {}

    std::expected<DataGraph, Diagnostics> Build() {
        graph_.path = file_.path;
        for (const auto& a : file_.attributes) {
            Error(a.location, "attribute '" + a.name + "' is not allowed at the top of the file; expected a data_graph block");
        }
        const SyntaxBlock* root = nullptr;
        for (const auto& b : file_.blocks) {
            if (b.type != "data_graph") {
                Error(b.location, "unknown block '" + b.type + "' at the top of the file; expected data_graph" +
                                      Suggest(b.type, {"data_graph"}));
            } else if (root) {
                Error(b.location, "second data_graph block; a file holds exactly one (the first is at " + At(root->location) + ")");
            } else {
                root = &b;
            }
        }
        if (!root) {
            if (file_.blocks.empty() && file_.attributes.empty()) {
                Error(Location{file_.path, 1, 1}, "missing data_graph block: the file holds no blocks");
            } else if (file_.blocks.empty() || std::none_of(file_.blocks.begin(), file_.blocks.end(),
                                                               [](const SyntaxBlock& b) { return b.type == "data_graph"; })) {
                Error(Location{file_.path, 1, 1}, "missing data_graph block");
            }
        } else {
            DataGraphBlock(*root);
        }
        if (!diagnostics_.empty()) {
            SortByLocation(diagnostics_);
            return std::unexpected(std::move(diagnostics_));
        }
        return std::move(graph_);
    }

private:
    void Error(const Location& at, std::string message) { diagnostics_.push_back(Diagnostic{at, std::move(message)}); }

    // Checks a block's attributes against specs; returns name -> attribute for the known, well-typed ones.
    std::map<std::string, const SyntaxAttribute*> Attributes(const SyntaxBlock& b, const std::vector<AttrSpec>& specs) {
        std::map<std::string, const SyntaxAttribute*> out;
        std::vector<std::string> names;
        for (const auto& s : specs) names.push_back(s.name);
        std::map<std::string, const SyntaxAttribute*> seen;
        for (const auto& a : b.attributes) {
            auto spec = std::find_if(specs.begin(), specs.end(), [&](const AttrSpec& s) { return a.name == s.name; });
            if (spec == specs.end()) {
                Error(a.location, "unknown attribute '" + a.name + "' in " + Describe(b) + Suggest(a.name, names));
                continue;
            }
            if (auto prev = seen.find(a.name); prev != seen.end()) {
                Error(a.location, "attribute '" + a.name + "' is set twice in " + Describe(b) + " (first at " +
                                      At(prev->second->location) + ")");
                continue;
            }
            seen[a.name] = &a;
            if (spec->type == AttrType::STRING && a.value.kind != SyntaxValue::Kind::STRING) {
                Error(a.value.location, "'" + a.name + "' must be a string");
                continue;
            }
            if (spec->type == AttrType::BOOLEAN && a.value.kind != SyntaxValue::Kind::BOOLEAN) {
                Error(a.value.location, "'" + a.name + "' must be true or false");
                continue;
            }
            out[a.name] = &a;
        }
        for (const auto& s : specs) {
            if (s.required && !seen.count(s.name)) {
                Error(b.location, Describe(b) + " is missing required attribute '" + s.name + "'");
            }
        }
        return out;
    }

    static std::string Get(const std::map<std::string, const SyntaxAttribute*>& attrs, const char* name) {
        auto it = attrs.find(name);
        return it == attrs.end() ? "" : it->second->value.text;
    }

    void NoLabel(const SyntaxBlock& b) {
        if (b.label) Error(b.label_location, "block '" + b.type + "' takes no label");
    }

    void NoBlocks(const SyntaxBlock& b) {
        for (const auto& c : b.blocks) Error(c.location, "unknown block '" + c.type + "' in " + Describe(b));
    }

    void DataGraphBlock(const SyntaxBlock& b) {
        NoLabel(b);
        auto attrs = Attributes(b, {{"version", AttrType::STRING, true}});
        if (auto v = attrs.find("version"); v != attrs.end()) {
            graph_.version = v->second->value.text;
            if (graph_.version != kVersion) {
                Error(v->second->value.location, "unsupported version " + text::Quote(graph_.version) + "; expected \"" + kVersion + "\"");
            }
        }
        // Entities first, so relationships can be checked against all of them.
        for (const auto& c : b.blocks) {
            if (c.type == "entity") EntityBlock(c);
        }
        const SyntaxBlock* profile = nullptr;
        for (const auto& c : b.blocks) {
            if (c.type == "entity") continue;
            if (c.type == "profile") {
                if (profile) {
                    Error(c.location, "second profile block; data_graph holds exactly one (the first is at " + At(profile->location) + ")");
                } else {
                    profile = &c;
                }
                continue;
            }
            Error(c.location, "unknown block '" + c.type + "' in data_graph; expected entity or profile" +
                                  Suggest(c.type, {"entity", "profile"}));
        }
        if (!profile) {
            Error(b.location, "data_graph has no profile block");
        } else {
            ProfileBlock(*profile);
        }
    }

    void EntityBlock(const SyntaxBlock& b) {
        Entity e;
        e.location = b.location;
        if (!b.label) {
            Error(b.location, "entity block needs a slug: entity \"my-entity\" { ... }");
        } else {
            e.slug = *b.label;
            if (!IsSlug(e.slug)) {
                Error(b.label_location, "invalid entity slug " + text::Quote(e.slug) +
                                            ": use lower-case letters, digits, '_' and '-', starting with a letter or digit");
            } else if (auto it = entity_slugs_.find(e.slug); it != entity_slugs_.end()) {
                Error(b.label_location, "entity " + text::Quote(e.slug) + " is already defined at " + At(it->second));
            } else {
                entity_slugs_[e.slug] = b.label_location;
            }
        }
        auto attrs = Attributes(b, {{"name", AttrType::STRING, true},
                                    {"table_ref", AttrType::STRING, true},
                                    {"primary_key", AttrType::STRING, true},
                                    {"description", AttrType::STRING, false},
                                    {"enrichment_enabled", AttrType::BOOLEAN, false}});
        NoBlocks(b);
        e.name = Get(attrs, "name");
        if (auto it = attrs.find("name"); it != attrs.end()) {
            if (e.name.empty()) {
                Error(it->second->value.location, "entity name must not be empty");
            } else if (auto prev = entity_names_.find(e.name); prev != entity_names_.end()) {
                Error(it->second->value.location, "entity name " + text::Quote(e.name) + " is already used by entity " +
                                                      text::Quote(prev->second) + "; names are unique");
            } else {
                entity_names_[e.name] = e.slug;
            }
        }
        if (auto it = attrs.find("table_ref"); it != attrs.end()) {
            e.table_location = it->second->value.location;
            auto parts = SplitDotted(it->second->value.text, 3);
            if (!parts) {
                Error(it->second->value.location, "invalid table_ref " + text::Quote(it->second->value.text) +
                                                      "; expected [database.][schema.]table");
            } else {
                e.table = TableFromParts(*parts);
            }
        }
        if (auto it = attrs.find("primary_key"); it != attrs.end()) {
            e.primary_key_location = it->second->value.location;
            e.primary_key = it->second->value.text;
            if (e.primary_key.empty()) Error(it->second->value.location, "primary_key must name a column");
        }
        e.description = Get(attrs, "description");
        e.enrichment_enabled = Get(attrs, "enrichment_enabled") == "true";
        if (!e.slug.empty()) graph_.entities.push_back(std::move(e));
    }

    static schema::TableName TableFromParts(const std::vector<std::string>& p) {
        if (p.size() == 3) return {p[0], p[1], p[2]};
        if (p.size() == 2) return {"", p[0], p[1]};
        return {"", "", p[0]};
    }

    void ProfileBlock(const SyntaxBlock& b) {
        NoLabel(b);
        graph_.profile.location = b.location;
        auto attrs = Attributes(b, {{"profile_folder", AttrType::STRING, true}, {"type", AttrType::STRING, true}});
        if (auto it = attrs.find("profile_folder"); it != attrs.end()) {
            graph_.profile.folder_location = it->second->value.location;
            auto parts = SplitDotted(it->second->value.text, 2);
            if (!parts) {
                Error(it->second->value.location, "invalid profile_folder " + text::Quote(it->second->value.text) +
                                                      "; expected [database.]schema");
            } else if (parts->size() == 2) {
                graph_.profile.database = (*parts)[0];
                graph_.profile.schema = (*parts)[1];
            } else {
                graph_.profile.schema = (*parts)[0];
            }
        }
        if (auto it = attrs.find("type"); it != attrs.end()) {
            graph_.profile.type = it->second->value.text;
            if (graph_.profile.type != kProfileType) {
                Error(it->second->value.location, "unsupported profile type " + text::Quote(graph_.profile.type) +
                                                      "; expected \"" + kProfileType + "\"");
            }
        }
        for (const auto& c : b.blocks) {
            if (c.type == "relationship") {
                RelationshipBlock(c, -1, 2);
            } else {
                Error(c.location, "unknown block '" + c.type + "' in profile; expected relationship" +
                                      Suggest(c.type, {"relationship"}));
            }
        }
    }

    void RelationshipBlock(const SyntaxBlock& b, int parent, int depth) {
        Relationship r;
        r.location = b.location;
        r.parent = parent;
        r.depth = depth;
        bool first_level = parent < 0;
        if (depth == kMaxDepth + 1) {
            Error(b.location, "relationship " + (b.label ? text::Quote(*b.label) + " " : std::string()) + "is at depth " +
                                  std::to_string(depth) + "; a data graph has at most " + std::to_string(kMaxDepth) +
                                  " levels counting the profile");
        }
        if (!b.label) {
            Error(b.location, "relationship block needs a slug: relationship \"my-relationship\" { ... }");
        } else {
            r.slug = *b.label;
            if (!IsSlug(r.slug)) {
                Error(b.label_location, "invalid relationship slug " + text::Quote(r.slug) +
                                            ": use lower-case letters, digits, '_' and '-', starting with a letter or digit");
            } else if (auto it = relationship_slugs_.find(r.slug); it != relationship_slugs_.end()) {
                Error(b.label_location, "relationship " + text::Quote(r.slug) + " is already defined at " + At(it->second) +
                                            "; relationship slugs are unique across the graph");
            } else {
                relationship_slugs_[r.slug] = b.label_location;
            }
        }
        auto attrs = Attributes(b, {{"name", AttrType::STRING, true},
                                    {"related_entity", AttrType::STRING, true},
                                    {"join_on", AttrType::STRING, false}});
        r.name = Get(attrs, "name");
        bool entity_ok = false;
        if (auto it = attrs.find("related_entity"); it != attrs.end()) {
            r.entity = it->second->value.text;
            if (graph_.FindEntity(r.entity)) {
                entity_ok = true;
            } else if (!entity_slugs_.count(r.entity)) {
                std::vector<std::string> slugs;
                for (const auto& [s, _] : entity_slugs_) slugs.push_back(s);
                Error(it->second->value.location, "relationship " + text::Quote(r.slug) + " names undefined entity " +
                                                      text::Quote(r.entity) + Suggest(r.entity, slugs));
            }
        }
        const Relationship* parent_rel = parent >= 0 ? &graph_.relationships[static_cast<size_t>(parent)] : nullptr;
        bool parent_ok = parent_rel && graph_.FindEntity(parent_rel->entity);

        // The join: exactly one of external_id / trait (first level), join_on / junction_table (nested).
        std::vector<std::pair<std::string, Location>> joins;
        if (auto it = attrs.find("join_on"); it != attrs.end()) joins.emplace_back("join_on", it->second->location);
        for (const auto& c : b.blocks) {
            if (c.type == "external_id" || c.type == "trait" || c.type == "junction_table") joins.emplace_back(c.type, c.location);
        }
        std::sort(joins.begin(), joins.end(), [](const auto& x, const auto& y) {
            return std::tie(x.second.line, x.second.column) < std::tie(y.second.line, y.second.column);
        });
        if (joins.empty()) {
            Error(b.location, "relationship " + text::Quote(r.slug) + " has no join; " +
                                  (first_level ? "a first-level relationship needs an external_id or a trait block"
                                               : "a nested relationship needs join_on or a junction_table block"));
        } else if (joins.size() > 1) {
            Error(joins[1].second, "relationship " + text::Quote(r.slug) + " has more than one join ('" + joins[0].first +
                                       "' at " + At(joins[0].second) + " and '" + joins[1].first + "'); keep exactly one");
        }
        for (const auto& [kind, at] : joins) {
            bool allowed = first_level ? (kind == "external_id" || kind == "trait") : (kind == "join_on" || kind == "junction_table");
            if (!allowed) {
                Error(at, first_level ? "'" + kind + "' is only allowed on nested relationships; a first-level relationship joins with external_id or trait"
                                      : "'" + kind + "' is only allowed at the first level; a nested relationship joins with join_on or a junction_table block");
            }
        }

        if (auto it = attrs.find("join_on"); it != attrs.end()) {
            r.join.kind = JoinKind::JOIN_ON;
            r.join.location = it->second->value.location;
            if (!first_level) JoinOn(*it->second, r, parent_ok ? parent_rel->entity : "", entity_ok);
        }
        std::vector<int> child_blocks;
        for (size_t i = 0; i < b.blocks.size(); ++i) {
            const SyntaxBlock& c = b.blocks[i];
            if (c.type == "external_id" || c.type == "trait") {
                NoLabel(c);
                NoBlocks(c);
                auto ja = Attributes(c, {{c.type == "trait" ? "name" : "type", AttrType::STRING, true},
                                         {"join_key", AttrType::STRING, true}});
                r.join.kind = c.type == "trait" ? JoinKind::TRAIT : JoinKind::EXTERNAL_ID;
                r.join.location = c.location;
                r.join.profile_key = Get(ja, c.type == "trait" ? "name" : "type");
                r.join.entity_column = Get(ja, "join_key");
                for (const char* key : {"name", "type", "join_key"}) {
                    if (auto it = ja.find(key); it != ja.end() && it->second->value.text.empty()) {
                        Error(it->second->value.location, std::string("'") + key + "' must not be empty");
                    }
                }
            } else if (c.type == "junction_table") {
                r.join.kind = JoinKind::JUNCTION;
                r.join.location = c.location;
                Junction(c, r, parent_ok ? parent_rel->entity : "", entity_ok, !first_level);
            } else if (c.type == "relationship") {
                child_blocks.push_back(static_cast<int>(i));
            } else {
                Error(c.location, "unknown block '" + c.type + "' in " + Describe(b) +
                                      Suggest(c.type, {"relationship", "external_id", "trait", "junction_table"}));
            }
        }
        int index = static_cast<int>(graph_.relationships.size());
        graph_.relationships.push_back(std::move(r));
        if (parent >= 0) graph_.relationships[static_cast<size_t>(parent)].children.push_back(index);
        for (int i : child_blocks) RelationshipBlock(b.blocks[static_cast<size_t>(i)], index, depth + 1);
    }

    // join_on = "parent.COL = child.COL", sides in either order; for a self-relationship the left side is the parent.
    void JoinOn(const SyntaxAttribute& a, Relationship& r, const std::string& parent_entity, bool entity_ok) {
        const Location& at = a.value.location;
        auto eq = ParseEquality(a.value.text);
        if (!eq || !eq->first.entity || !eq->second.entity) {
            Error(at, "join_on must be one equality 'parent-entity.COLUMN = entity.COLUMN', found " + text::Quote(a.value.text));
            return;
        }
        if (parent_entity.empty() || !entity_ok) return; // already reported
        const Side& l = eq->first;
        const Side& rt = eq->second;
        if (*l.entity == parent_entity && *rt.entity == r.entity) {
            r.join.parent_column = l.column;
            r.join.child_column = rt.column;
        } else if (*rt.entity == parent_entity && *l.entity == r.entity) {
            r.join.parent_column = rt.column;
            r.join.child_column = l.column;
        } else {
            for (const Side* s : {&l, &rt}) {
                if (*s->entity != parent_entity && *s->entity != r.entity) {
                    Error(at, "join_on names entity " + text::Quote(*s->entity) + ", which is neither the parent's entity " +
                                  text::Quote(parent_entity) + " nor this relationship's entity " + text::Quote(r.entity));
                    return;
                }
            }
            Error(at, "join_on must compare a column of the parent's entity " + text::Quote(parent_entity) +
                          " with a column of this relationship's entity " + text::Quote(r.entity) + ", found " +
                          text::Quote(a.value.text));
        }
    }

    void Junction(const SyntaxBlock& c, Relationship& r, const std::string& parent_entity, bool entity_ok, bool nested) {
        NoLabel(c);
        NoBlocks(c);
        auto ja = Attributes(c, {{"table_ref", AttrType::STRING, true},
                                 {"primary_key", AttrType::STRING, true},
                                 {"left_join_on", AttrType::STRING, true},
                                 {"right_join_on", AttrType::STRING, true}});
        if (auto it = ja.find("table_ref"); it != ja.end()) {
            r.join.junction_table_location = it->second->value.location;
            auto parts = SplitDotted(it->second->value.text, 3);
            if (!parts) {
                Error(it->second->value.location, "invalid table_ref " + text::Quote(it->second->value.text) +
                                                      "; expected [database.][schema.]table");
            } else {
                r.join.junction_table = TableFromParts(*parts);
            }
        }
        r.join.junction_primary_key = Get(ja, "primary_key");
        if (!nested) return;
        // left_join_on: parent entity column = bare junction column; right_join_on: bare junction column = entity column.
        auto side = [&](const char* key, const std::string& entity, std::string& entity_col, std::string& junction_col) {
            auto it = ja.find(key);
            if (it == ja.end()) return;
            const Location& at = it->second->value.location;
            auto eq = ParseEquality(it->second->value.text);
            const char* shape = std::string(key) == "left_join_on" ? "'parent-entity.COLUMN = JUNCTION_COLUMN'"
                                                                   : "'JUNCTION_COLUMN = entity.COLUMN'";
            if (!eq || eq->first.entity.has_value() == eq->second.entity.has_value()) {
                Error(at, std::string(key) + " must be one equality between an entity column and a junction column, " +
                              shape + ", found " + text::Quote(it->second->value.text));
                return;
            }
            const Side& q = eq->first.entity ? eq->first : eq->second;
            const Side& bare = eq->first.entity ? eq->second : eq->first;
            if (entity.empty()) return; // undefined entity, already reported
            if (*q.entity != entity) {
                Error(at, std::string(key) + " must name " +
                              (std::string(key) == "left_join_on" ? "the parent's entity " : "this relationship's entity ") +
                              text::Quote(entity) + ", found " + text::Quote(*q.entity));
                return;
            }
            entity_col = q.column;
            junction_col = bare.column;
        };
        side("left_join_on", parent_entity, r.join.parent_column, r.join.junction_left_column);
        side("right_join_on", entity_ok ? r.entity : "", r.join.child_column, r.join.junction_right_column);
    }

    const SyntaxFile& file_;
    DataGraph graph_;
    Diagnostics diagnostics_;
    std::map<std::string, Location> entity_slugs_;
    std::map<std::string, std::string> entity_names_;
    std::map<std::string, Location> relationship_slugs_;
};

} // namespace

std::expected<DataGraph, Diagnostics> BuildGraph(const SyntaxFile& file) { return Builder(file).Build(); }

std::expected<DataGraph, Diagnostics> ParseGraph(std::string_view text, const std::string& path) {
    bool json = path.ends_with(".json");
    if (!json && !path.ends_with(".hcl")) {
        size_t first = text.find_first_not_of(" \t\r\n");
        json = first != std::string_view::npos && text[first] == '{';
    }
    auto tree = json ? ParseGraphJson(text, path) : ParseHcl(text, path);
    if (!tree) return std::unexpected(std::move(tree.error()));
    return BuildGraph(*tree);
}

std::expected<DataGraph, Diagnostics> LoadGraph(const std::string& path) {
    auto text = text::ReadFile(path);
    if (!text) return std::unexpected(Diagnostics{Diagnostic{Location{path, 0, 0}, text.error().message}});
    return ParseGraph(*text, path);
}

} // namespace kith::graph
