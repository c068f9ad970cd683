// Test support: what most outbox tests start from, in a store they opened.
//
//   auto vip = store_test_data::AddVipWithFileActivation(*store, "vip_file");
//   ASSERT_TRUE(vip);  // vip->audience, vip->activation
#pragma once

#include "store/store.hpp"

#include <string>

namespace kith::store::store_test_data {

//! The audience `vip` (tier equals gold) in the default workspace.
inline AudienceSpec VipAudience(const std::string& tier = "gold") {
    AudienceSpec a;
    a.key = "vip";
    a.name = "VIPs";
    a.definition = nlohmann::json::parse(R"({"groups": [{"conditions": [{"type": "trait", "trait": "tier",
                                            "filter": {"op": "equals", "value": ")" + tier + R"("}}]}]})");
    return a;
}

struct VipWithActivation {
    int64_t audience = 0;
    int64_t activation = 0;
};

//! `vip` and one `profile_enters` activation of it, `key`, sending to the file `<key>.ndjson`.
inline Result<VipWithActivation> AddVipWithFileActivation(Store& store, const std::string& key) {
    if (auto ok = store.UpsertAudience(1, VipAudience()); !ok) return std::unexpected(ok.error());
    auto audience = store.GetAudience(1, "vip");
    if (!audience) return std::unexpected(audience.error());
    ActivationSpec act;
    act.key = key;
    act.audience = "vip";
    act.destination = {{"type", "file"}, {"path", key + ".ndjson"}};
    act.action = "send";
    act.trigger = "profile_enters";
    if (auto ok = store.UpsertActivation(1, act); !ok) return std::unexpected(ok.error());
    auto activation = store.Transaction([&](Tx& tx) { return tx.GetActivation(1, key); });
    if (!activation) return std::unexpected(activation.error());
    if (!*audience || !*activation) return Fail(ErrorCode::NOT_FOUND, "the audience or activation just written is missing");
    return VipWithActivation{(*audience)->id, (*activation)->id};
}

} // namespace kith::store::store_test_data
