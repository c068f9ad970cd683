// Evaluating a workspace's alerts (activations.md, "Alerts"): for every
// enabled alert, the current value against the one 24 hours before, firing
// when the change exceeds the threshold either way; messages go out on the
// transitions only (normal -> firing: "fired", firing -> normal:
// "recovered"). The clock is a parameter, so tests (and a scheduler) choose
// the time; the store's own clock stamps the rows it writes.
//
//   alert::Channels channels = alert::ChannelsFromConfig(config);
//   auto done = alert::EvaluateAlerts(*store, workspace, deliver::WallClockMs(), channels);
//   if (done) for (const auto& a : done->alerts) for (const auto& c : a.channels) if (!c.ok) log(c.detail);
#pragma once

#include "alert/channels.hpp"
#include "common/error.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kith::alert {

//! The window of both measurements: the last 24 hours against the 24 before (event health), now against 24 hours
//! earlier (audience size).
inline constexpr int64_t kWindowMs = 24 * 3600 * 1000;

//! What a comparison found.
struct Comparison {
    bool exceeds = false;             //!< |change| > threshold: the alert fires
    std::optional<double> change_pct; //!< (current - previous) / previous * 100; none when previous is 0
};

//! Compares two values against a threshold percentage. When previous is 0 there is no percentage: the alert fires
//! when current > 0 (anything out of nothing), and not when current is 0 too.
Comparison Compare(int64_t previous, int64_t current, double threshold_pct);

//! What an evaluation did to an alert.
enum class Transition {
    NONE,      //!< the state did not change: no message
    FIRED,     //!< normal -> firing: "fired" sent to every channel
    RECOVERED, //!< firing -> normal: "recovered" sent to every channel
};
//! "none", "fired", "recovered".
std::string_view TransitionName(Transition transition);

//! One channel's outcome for one alert message.
struct ChannelResult {
    std::string channel; //!< "email", "slack", "in_app"
    bool ok = false;
    std::string detail; //!< what was done ("sent to a@x, b@y", "notified user 7") or why it failed
};

struct AlertResult {
    int64_t alert_id = 0;
    store::AlertKind kind = store::AlertKind::EVENT_HEALTH;
    std::string target;
    std::optional<int64_t> current;  //!< events of the last 24 h, or members now
    std::optional<int64_t> previous; //!< events of the 24 h before, or members 24 h earlier
    Comparison comparison;
    bool was_firing = false;
    bool firing = false;
    Transition transition = Transition::NONE;
    std::string skipped; //!< non-empty: not compared (no value), why; the state is kept
    std::string error;   //!< non-empty: the alert could not be evaluated (the store failed, the target is gone)
    Message message;     //!< what was sent, on a transition
    std::vector<ChannelResult> channels; //!< one per channel, on a transition
};

//! What EvaluateAlerts did: one result per enabled alert, by id.
struct Evaluation {
    std::vector<AlertResult> alerts;

    //! Alerts that went from normal to firing.
    int Fired() const;
    //! Alerts that went from firing back to normal.
    int Recovered() const;
    //! Channels that failed, over every alert.
    int ChannelFailures() const;
};

//! Evaluates every enabled alert of the workspace at now_ms and records each one's state. On a transition the
//! state and the in-app notification (for the alert's creator) are written in one transaction first, then email and
//! Slack are sent: a message is sent at most once per transition, and a channel that fails is reported in the
//! result, not retried. One alert's failure never stops the others; only failing to list the alerts is an error.
Result<Evaluation> EvaluateAlerts(store::Store& store, int64_t workspace, int64_t now_ms, const Channels& channels);

//! The message of a transition (FIRED or RECOVERED) of an alert whose result holds the values.
Message DescribeTransition(const store::AlertRecord& alert, const AlertResult& result, int64_t now_ms,
                           const std::string& public_url);

} // namespace kith::alert
