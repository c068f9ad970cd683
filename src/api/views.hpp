// The JSON the API returns for stored records (users, tokens, audiences, activations, runs), in one place so that
// every route shows a record the same way. Activations never show secrets (activations.md, "Roles").
#pragma once

#include "store/records.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace kith::api {

//! What replaces a secret setting's value in answers; sending it back in an update keeps the stored value.
inline constexpr const char* kSecretMask = "********";

nlohmann::json UserJson(const store::User& user);
nlohmann::json TokenJson(const store::ApiToken& token);
//! The audience with its definition, schedule and versions; `extra` fields (size, last run, ...) are merged in.
nlohmann::json AudienceJson(const store::AudienceRecord& audience, const nlohmann::json& extra = nullptr);
//! The activation with each secret setting of its destination (by the catalog) replaced by kSecretMask.
nlohmann::json ActivationJson(const store::ActivationRecord& activation);
//! An activation's destination with secret values masked.
nlohmann::json MaskSecrets(const nlohmann::json& destination);
//! Puts back stored secrets where an update sends kSecretMask (or leaves a secret out); returns the merged
//! destination.
nlohmann::json KeepSecrets(const nlohmann::json& sent, const nlohmann::json& stored);
//! A run as the Runs tab shows it (run::RunHistoryEntry) with its id and audience.
nlohmann::json RunJson(const store::Run& run);

} // namespace kith::api
