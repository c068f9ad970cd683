#include "support/overview_check.hpp"

#include "store/store.hpp"

#include <fmt/format.h>
#include <initializer_list>
#include <vector>

namespace kith::test {

namespace {

std::string Rows(const std::vector<store::OverviewRow>& rows) {
    std::string out;
    for (const auto& r : rows) {
        out += fmt::format("  {}|{}|{}: {} = {} + {} + {} + {} + {} + {}\n", r.activation_key, r.event_name,
                           r.bucket_start, r.from_audience, r.filtered_at_source, r.filtered_at_destination, r.queued,
                           r.pending_retry, r.failed, r.delivered);
    }
    return out;
}

// The filters compared: each bucket size over everything, then over the last three hours from and to a moment inside a
// minute (the overview counts the events of those partial minutes themselves).
std::vector<store::OverviewFilter> Filters(store::Tx& tx) {
    std::vector<store::OverviewFilter> out;
    for (int64_t bucket : std::initializer_list<int64_t>{0, 60'000, 15 * 60'000, 3'600'000, 1'000}) {
        store::OverviewFilter f;
        f.bucket_ms = bucket;
        out.push_back(f);
        f.from_ms = tx.Now() - 3 * 3'600'000 + 1'234;
        f.to_ms = tx.Now() + 45'678;
        out.push_back(f);
    }
    return out;
}

} // namespace

std::string OverviewTotalsMismatch(const std::string& state_path) {
    auto store = store::Store::Open(state_path);
    if (!store) return "cannot open the state store: " + store.error().ToString();
    auto mismatch = (*store)->Read([&](store::Tx& tx) -> Result<std::string> {
        if (auto ok = tx.CheckOverviewTotals(); !ok) return ok.error().message;
        for (const store::OverviewFilter& f : Filters(tx)) {
            auto kept = tx.DeliveryOverview(f);
            auto counted = tx.RecountDeliveryOverview(f);
            if (!kept) return std::unexpected(kept.error());
            if (!counted) return std::unexpected(counted.error());
            std::string a = Rows(*kept), b = Rows(*counted);
            if (a != b) {
                return fmt::format("the overview (bucket {} ms, from {}, to {}) differs from the recount:\n totals:\n{} "
                                   "recount:\n{}",
                                   f.bucket_ms, f.from_ms.value_or(0), f.to_ms.value_or(0), a, b);
            }
        }
        return std::string();
    });
    return mismatch ? *mismatch : mismatch.error().ToString();
}

} // namespace kith::test
