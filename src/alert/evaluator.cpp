#include "alert/evaluator.hpp"

#include "common/text.hpp"

#include <cmath>
#include <fmt/format.h>

namespace kith::alert {

namespace {

using nlohmann::json;
using store::AlertKind;

// The two values an alert compares; `missing` says why one is unknown.
struct Values {
    std::optional<int64_t> current;
    std::optional<int64_t> previous;
    std::string missing;
};

Result<Values> Measure(store::Tx& tx, const store::AlertRecord& alert, int64_t now_ms) {
    Values v;
    if (alert.spec.kind == AlertKind::EVENT_HEALTH) {
        auto activation = tx.GetActivation(alert.workspace_id, alert.spec.target);
        if (!activation) return std::unexpected(activation.error());
        if (!*activation) {
            return Fail(ErrorCode::NOT_FOUND,
                        fmt::format("activation {} does not exist", text::Quote(alert.spec.target)));
        }
        auto current = tx.CountDelivered((*activation)->id, now_ms - kWindowMs, now_ms);
        if (!current) return std::unexpected(current.error());
        auto previous = tx.CountDelivered((*activation)->id, now_ms - 2 * kWindowMs, now_ms - kWindowMs);
        if (!previous) return std::unexpected(previous.error());
        v.current = *current;
        v.previous = *previous;
        return v;
    }
    auto audience = tx.GetAudience(alert.workspace_id, alert.spec.target);
    if (!audience) return std::unexpected(audience.error());
    if (!*audience) {
        return Fail(ErrorCode::NOT_FOUND, fmt::format("audience {} does not exist", text::Quote(alert.spec.target)));
    }
    auto current = tx.AudienceMembersAt((*audience)->id, now_ms);
    if (!current) return std::unexpected(current.error());
    auto previous = tx.AudienceMembersAt((*audience)->id, now_ms - kWindowMs);
    if (!previous) return std::unexpected(previous.error());
    v.current = *current;
    v.previous = *previous;
    if (!v.current) {
        v.missing = "the audience has no completed run yet";
    } else if (!v.previous) {
        v.missing = "the audience had no completed run 24 hours ago";
    }
    return v;
}

json Optional(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

json LastValue(const AlertResult& r) {
    return {{"current", Optional(r.current)},
            {"previous", Optional(r.previous)},
            {"change_pct", r.comparison.change_pct ? json(*r.comparison.change_pct) : json(nullptr)}};
}

std::string ChangeText(const Comparison& c) {
    if (!c.change_pct) return "up from none";
    return fmt::format("{:+.1f}%", *c.change_pct);
}

std::string Recipients(const json& to) {
    std::string out;
    for (const auto& a : to) out += (out.empty() ? "" : ", ") + a.get<std::string>();
    return out;
}

bool HasInApp(const json& channels) {
    for (const auto& ch : channels) {
        if (ch.is_object() && ch.value("type", "") == "in_app") return true;
    }
    return false;
}

AlertResult EvaluateOne(store::Store& store, const store::AlertRecord& alert, int64_t now_ms,
                        const Channels& channels) {
    AlertResult r;
    r.alert_id = alert.id;
    r.kind = alert.spec.kind;
    r.target = alert.spec.target;
    r.was_firing = alert.state.firing;
    r.firing = alert.state.firing;

    auto values = store.Read([&](store::Tx& tx) { return Measure(tx, alert, now_ms); });
    if (!values) {
        r.error = values.error().ToString();
        return r;
    }
    r.current = values->current;
    r.previous = values->previous;
    store::AlertState state = alert.state;
    state.last_checked_at = now_ms;
    if (!values->missing.empty()) {
        // Nothing to compare: the alert stays as it was.
        r.skipped = values->missing;
        state.last_value = LastValue(r);
        if (auto ok = store.Transaction([&](store::Tx& tx) { return tx.RecordAlertCheck(alert.id, state); }); !ok) {
            r.error = ok.error().ToString();
        }
        return r;
    }
    r.comparison = Compare(*r.previous, *r.current, alert.spec.threshold_pct);
    r.firing = r.comparison.exceeds;
    if (r.firing && !r.was_firing) r.transition = Transition::FIRED;
    if (!r.firing && r.was_firing) r.transition = Transition::RECOVERED;
    state.firing = r.firing;
    state.last_value = LastValue(r);
    if (r.transition != Transition::NONE) r.message = DescribeTransition(alert, r, now_ms, channels.public_url);

    // The state and the in-app notification first, in one transaction: a crash after it sends nothing twice.
    std::optional<ChannelResult> in_app;
    auto recorded = store.Transaction([&](store::Tx& tx) -> Status {
        if (auto ok = tx.RecordAlertCheck(alert.id, state); !ok) return ok;
        in_app.reset();
        if (r.transition == Transition::NONE || !HasInApp(alert.spec.channels)) return {};
        if (!alert.created_by) {
            in_app = ChannelResult{"in_app", true, "the alert has no creator: nobody to notify"};
            return {};
        }
        auto id = tx.AddNotification(store::NewNotification{alert.workspace_id, *alert.created_by, alert.id,
                                                            r.message.subject, r.message.text});
        if (!id) return std::unexpected(id.error());
        in_app = ChannelResult{"in_app", true, fmt::format("notified user {}", *alert.created_by)};
        return {};
    });
    if (!recorded) {
        // Nothing was recorded, so nothing is sent: the next evaluation sees the same transition.
        r.error = recorded.error().ToString();
        r.firing = r.was_firing;
        r.transition = Transition::NONE;
        return r;
    }
    if (r.transition == Transition::NONE) return r;

    for (const json& ch : alert.spec.channels) {
        std::string type = ch.is_object() ? ch.value("type", "") : "";
        if (type == "in_app") {
            if (in_app) r.channels.push_back(*in_app);
            in_app.reset(); // listed once
        } else if (type == "email") {
            std::vector<std::string> to;
            if (ch.contains("to") && ch["to"].is_array()) {
                for (const auto& a : ch["to"]) {
                    if (a.is_string()) to.push_back(a.get<std::string>());
                }
            }
            auto sent = SendEmail(channels.smtp, to, r.message, now_ms);
            r.channels.push_back(sent ? ChannelResult{"email", true, "sent to " + Recipients(json(to))}
                                      : ChannelResult{"email", false, sent.error().ToString()});
        } else if (type == "slack") {
            auto sent = SendSlack(ch.value("url", ""), r.message, channels);
            r.channels.push_back(sent ? ChannelResult{"slack", true, "posted"}
                                      : ChannelResult{"slack", false, sent.error().ToString()});
        } else {
            r.channels.push_back(ChannelResult{type, false, "unknown channel type"});
        }
    }
    return r;
}

} // namespace

Result<Evaluation> EvaluateAlerts(store::Store& store, int64_t workspace, int64_t now_ms, const Channels& channels) {
    auto alerts = store.Read([&](store::Tx& tx) { return tx.ListAlerts(workspace); });
    if (!alerts) return std::unexpected(alerts.error());
    Evaluation out;
    for (const store::AlertRecord& alert : *alerts) {
        if (alert.spec.enabled) out.alerts.push_back(EvaluateOne(store, alert, now_ms, channels));
    }
    return out;
}

Comparison Compare(int64_t previous, int64_t current, double threshold_pct) {
    Comparison c;
    if (previous == 0) {
        c.exceeds = current != 0;
        return c;
    }
    double pct = (static_cast<double>(current) - static_cast<double>(previous)) / static_cast<double>(previous) * 100;
    c.change_pct = pct;
    c.exceeds = std::fabs(pct) > threshold_pct;
    return c;
}

std::string_view TransitionName(Transition transition) {
    switch (transition) {
    case Transition::NONE: return "none";
    case Transition::FIRED: return "fired";
    case Transition::RECOVERED: return "recovered";
    }
    return "?";
}

int Evaluation::Fired() const {
    int n = 0;
    for (const auto& a : alerts) n += a.transition == Transition::FIRED;
    return n;
}

int Evaluation::Recovered() const {
    int n = 0;
    for (const auto& a : alerts) n += a.transition == Transition::RECOVERED;
    return n;
}

int Evaluation::ChannelFailures() const {
    int n = 0;
    for (const auto& a : alerts) {
        for (const auto& c : a.channels) n += !c.ok;
    }
    return n;
}

Message DescribeTransition(const store::AlertRecord& alert, const AlertResult& r, int64_t now_ms,
                           const std::string& public_url) {
    bool fired = r.transition == Transition::FIRED;
    std::string target = text::Quote(alert.spec.target);
    std::string change = ChangeText(r.comparison);
    int64_t current = r.current.value_or(0), previous = r.previous.value_or(0);
    std::string threshold = fmt::format("{:g}%", alert.spec.threshold_pct);
    std::string verdict = fired ? fmt::format("beyond the alert's threshold of {}", threshold)
                                : fmt::format("within the alert's threshold of {} again", threshold);
    Message m;
    if (alert.spec.kind == AlertKind::EVENT_HEALTH) {
        m.subject = fired ? fmt::format("Event health alert: activation {} delivered {} events in 24 h ({})", target,
                                        current, change)
                          : fmt::format("Recovered: activation {} delivered {} events in 24 h ({})", target, current,
                                        change);
        m.text = fmt::format("Activation {} delivered {} events in the last 24 hours, against {} in the 24 hours "
                             "before: {}, {}.",
                             target, current, previous, change, verdict);
    } else {
        m.subject = fired ? fmt::format("Audience size alert: audience {} has {} members ({} in 24 h)", target,
                                        current, change)
                          : fmt::format("Recovered: audience {} has {} members ({} in 24 h)", target, current, change);
        m.text = fmt::format("Audience {} has {} members, against {} 24 hours earlier: {}, {}.", target, current,
                             previous, change, verdict);
    }
    m.text += fmt::format("\nChecked at {}.", text::IsoMillis(now_ms));
    if (!public_url.empty()) {
        std::string base = public_url;
        while (base.ends_with('/')) base.pop_back();
        m.text += fmt::format("\n{}/alerts/{}", base, alert.id);
    }
    return m;
}

} // namespace kith::alert
