#include "reference/profiles.hpp"

#include "reference/table.hpp"
#include "reference/typed_value.hpp"

namespace kith::reference {

namespace {

Result<int> Column(const Table& t, const char* name) {
    int i = t.ColumnIndex(name);
    if (i < 0) return Fail(ErrorCode::INVALID, std::string("table ") + t.name.ToString() + " has no column " + name);
    return i;
}

// One user_traits row competing to be the current value.
struct TraitRow {
    std::optional<Decimal> seq;
    std::optional<std::string> value;
};

// Whether a ranks above b: greater seq (NULL lowest), then bytewise greater value (NULL lowest).
bool Above(const TraitRow& a, const TraitRow& b) {
    if (a.seq.has_value() != b.seq.has_value()) return a.seq.has_value();
    if (a.seq && b.seq) {
        int c = a.seq->Compare(*b.seq);
        if (c != 0) return c > 0;
    }
    if (a.value.has_value() != b.value.has_value()) return a.value.has_value();
    if (a.value && b.value) return *a.value > *b.value;
    return false;
}

} // namespace

Result<Profiles> Profiles::Read(const graph::DataGraph& graph, warehouse::Warehouse& warehouse) {
    Profiles p;

    auto ids = ReadTable(warehouse, graph.ProfileTable("user_identifiers"));
    if (!ids) return std::unexpected(ids.error());
    auto id_profile = Column(*ids, "canonical_segment_id"), id_type = Column(*ids, "type"),
         id_value = Column(*ids, "value");
    if (!id_profile) return std::unexpected(id_profile.error());
    if (!id_type) return std::unexpected(id_type.error());
    if (!id_value) return std::unexpected(id_value.error());
    for (const auto& row : ids->rows) {
        const auto& profile = row[static_cast<size_t>(*id_profile)];
        if (!profile) continue;
        p.universe_set_.insert(*profile);
        const auto& type = row[static_cast<size_t>(*id_type)];
        const auto& value = row[static_cast<size_t>(*id_value)];
        if (type && value) p.identifiers_[{*profile, *type}].push_back(*value);
    }
    p.universe_.assign(p.universe_set_.begin(), p.universe_set_.end());

    auto traits = ReadTable(warehouse, graph.ProfileTable("user_traits"));
    if (!traits) return std::unexpected(traits.error());
    auto t_profile = Column(*traits, "canonical_segment_id"), t_name = Column(*traits, "name"),
         t_value = Column(*traits, "value"), t_seq = Column(*traits, "seq");
    for (auto* c : {&t_profile, &t_name, &t_value, &t_seq}) {
        if (!*c) return std::unexpected(c->error());
    }
    std::map<std::pair<std::string, std::string>, TraitRow> best;
    for (const auto& row : traits->rows) {
        const auto& profile = row[static_cast<size_t>(*t_profile)];
        const auto& name = row[static_cast<size_t>(*t_name)];
        if (!profile || !name) continue;
        TraitRow r;
        r.value = row[static_cast<size_t>(*t_value)];
        if (const auto& seq = row[static_cast<size_t>(*t_seq)]) r.seq = ParseWarehouseNumber(*seq);
        auto key = std::make_pair(*profile, *name);
        auto it = best.find(key);
        if (it == best.end()) {
            best.emplace(key, r);
        } else if (Above(r, it->second)) {
            it->second = r;
        }
    }
    for (const auto& [key, row] : best) {
        if (row.value) p.traits_[key] = *row.value;
    }

    auto merges = ReadTable(warehouse, graph.ProfileTable("profile_merges"));
    if (!merges) return std::unexpected(merges.error());
    auto m_canonical = Column(*merges, "canonical_segment_id"), m_segment = Column(*merges, "segment_id");
    if (!m_canonical) return std::unexpected(m_canonical.error());
    if (!m_segment) return std::unexpected(m_segment.error());
    for (const auto& row : merges->rows) {
        const auto& canonical = row[static_cast<size_t>(*m_canonical)];
        const auto& segment = row[static_cast<size_t>(*m_segment)];
        if (!canonical || !segment) continue;
        auto it = p.merges_.find(*segment);
        if (it == p.merges_.end()) {
            p.merges_.emplace(*segment, *canonical);
        } else if (*canonical < it->second) {
            it->second = *canonical;
        }
    }
    return p;
}

std::optional<std::string> Profiles::Trait(const std::string& profile, const std::string& name) const {
    auto it = traits_.find({profile, name});
    if (it == traits_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> Profiles::Identifiers(const std::string& profile, const std::string& type) const {
    auto it = identifiers_.find({profile, type});
    if (it == identifiers_.end()) return {};
    return it->second;
}

const std::string& Profiles::Owner(const std::string& segment_id) const {
    auto it = merges_.find(segment_id);
    return it == merges_.end() ? segment_id : it->second;
}

} // namespace kith::reference
