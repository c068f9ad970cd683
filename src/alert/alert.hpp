// Alerts as the API accepts and returns them (activations.md, "Alerts"): an
// event health alert watches the events an activation's destination received
// per 24 hours, an audience size alert an audience's member count; either
// fires when the change exceeds its threshold percentage, and tells its
// channels (email, Slack, in-app). ParseAlert validates a body and reports
// every problem at its JSON pointer; CheckTarget checks the target exists.
//
//   auto spec = alert::ParseAlert(nlohmann::json::parse(body));
//   if (!spec) for (const Error& e : spec.error()) fmt::print("{}\n", e.ToString()); // "/threshold_pct: ..."
//   auto id = store.Transaction([&](store::Tx& tx) -> Result<int64_t> {
//       if (auto ok = alert::CheckTarget(tx, workspace, *spec); !ok) return std::unexpected(ok.error());
//       return tx.CreateAlert(workspace, *spec, user_id);
//   });
#pragma once

#include "common/error.hpp"
#include "common/outbound.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

#include <expected>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

namespace kith::alert {

//! The largest threshold accepted, in percent.
inline constexpr double kMaxThresholdPct = 1'000'000;

//! Parses and validates an alert body: {"kind", "target", "threshold_pct", "channels", "enabled"}. kind, target,
//! threshold_pct and channels are required; enabled defaults to true. Every problem is an INVALID Error whose
//! location is its JSON pointer ("/channels/1/url"), all of them at once. A Slack URL must be https://, or http://
//! to an IP address that allow_hosts ([delivery] allow_hosts) covers.
std::expected<store::AlertSpec, std::vector<Error>> ParseAlert(const nlohmann::json& body,
                                                              std::span<const outbound::AllowRule> allow_hosts = {});

//! Checks that the alert's target exists in the workspace: an activation (event_health) or an audience
//! (audience_size) of that key. NOT_FOUND at "/target" otherwise.
Status CheckTarget(store::Tx& tx, int64_t workspace, const store::AlertSpec& spec);

//! The alert as the API returns it: the body's fields, Slack webhook URLs redacted (a secret is never returned
//! once saved), plus id, created_by, created_at, updated_at and the state (firing, last_checked_at, last_value).
nlohmann::json AlertJson(const store::AlertRecord& alert);

//! A Slack webhook URL without its secret path: "https://hooks.slack.com/services/T0/B0/xyz" becomes
//! "https://hooks.slack.com/…".
std::string RedactUrl(const std::string& url);

} // namespace kith::alert
