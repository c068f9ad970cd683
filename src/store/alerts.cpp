// The store's alerts and in-app notifications (activations.md, "Alerts"), and the two measurements alerts watch:
// an activation's delivered events in a window, an audience's member count at a time.
#include "store/query.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>

namespace kith::store {

namespace {

using detail::All;
using detail::One;
using detail::ParseStored;
using detail::Propagate;
using detail::Touched;
using nlohmann::json;

constexpr const char* kAlertColumns = "id, workspace_id, kind, target, threshold_pct, channels, enabled, created_by, "
                                      "created_at, updated_at, firing, last_checked_at, last_value";

AlertRecord ReadAlert(const sqlite::Statement& st) {
    AlertRecord a;
    a.id = st.Int(0);
    a.workspace_id = st.Int(1);
    a.spec.kind = ParseAlertKind(st.Text(2)).value_or(AlertKind::EVENT_HEALTH);
    a.spec.target = st.Text(3);
    a.spec.threshold_pct = st.Double(4);
    a.spec.channels = ParseStored(st.Text(5));
    a.spec.enabled = st.Int(6) != 0;
    a.created_by = st.OptionalInt(7);
    a.created_at = st.Int(8);
    a.updated_at = st.Int(9);
    a.state.firing = st.Int(10) != 0;
    a.state.last_checked_at = st.OptionalInt(11);
    a.state.last_value = st.IsNull(12) ? json(nullptr) : ParseStored(st.Text(12));
    return a;
}

constexpr const char* kNotificationColumns =
    "id, workspace_id, user_id, alert_id, title, body, created_at, read_at";

Notification ReadNotification(const sqlite::Statement& st) {
    return Notification{st.Int(0),  st.Int(1),  st.Int(2), st.OptionalInt(3),
                        st.Text(4), st.Text(5), st.Int(6), st.OptionalInt(7)};
}

int64_t ReadInt(const sqlite::Statement& st) { return st.Int(0); }

} // namespace

std::string_view AlertKindName(AlertKind kind) {
    switch (kind) {
    case AlertKind::EVENT_HEALTH: return "event_health";
    case AlertKind::AUDIENCE_SIZE: return "audience_size";
    }
    return "?";
}

std::optional<AlertKind> ParseAlertKind(std::string_view name) {
    for (AlertKind k : {AlertKind::EVENT_HEALTH, AlertKind::AUDIENCE_SIZE}) {
        if (AlertKindName(k) == name) return k;
    }
    return std::nullopt;
}

Result<int64_t> Tx::CreateAlert(int64_t workspace, const AlertSpec& spec, std::optional<int64_t> created_by) {
    int64_t now = Now();
    auto ok = db().Run("INSERT INTO alerts (workspace_id, kind, target, threshold_pct, channels, enabled, created_by, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       workspace, AlertKindName(spec.kind), spec.target, spec.threshold_pct,
                       CanonicalJson(spec.channels), spec.enabled, created_by, now, now);
    if (!ok) return Propagate(ok);
    return db().LastInsertId();
}

Status Tx::UpdateAlert(int64_t workspace, int64_t id, const AlertSpec& spec) {
    // Another kind or target is another measurement: the former state says nothing about it.
    auto ok = db().Run("UPDATE alerts SET "
                       "firing = CASE WHEN kind = ?1 AND target = ?2 THEN firing ELSE 0 END, "
                       "last_checked_at = CASE WHEN kind = ?1 AND target = ?2 THEN last_checked_at END, "
                       "last_value = CASE WHEN kind = ?1 AND target = ?2 THEN last_value END, "
                       "kind = ?1, target = ?2, threshold_pct = ?3, channels = ?4, enabled = ?5, updated_at = ?6 "
                       "WHERE id = ?7 AND workspace_id = ?8",
                       AlertKindName(spec.kind), spec.target, spec.threshold_pct, CanonicalJson(spec.channels),
                       spec.enabled, Now(), id, workspace);
    return Touched(db(), ok, fmt::format("alert {}", id));
}

Result<std::optional<AlertRecord>> Tx::GetAlert(int64_t workspace, int64_t id) {
    return One<AlertRecord>(db(), fmt::format("SELECT {} FROM alerts WHERE id = ? AND workspace_id = ?", kAlertColumns),
                            ReadAlert, id, workspace);
}

Result<std::vector<AlertRecord>> Tx::ListAlerts(int64_t workspace) {
    return All<AlertRecord>(
        db(), fmt::format("SELECT {} FROM alerts WHERE workspace_id = ? ORDER BY id", kAlertColumns), ReadAlert,
        workspace);
}

Status Tx::DeleteAlert(int64_t workspace, int64_t id) {
    auto ok = db().Run("DELETE FROM alerts WHERE id = ? AND workspace_id = ?", id, workspace);
    return Touched(db(), ok, fmt::format("alert {}", id));
}

Status Tx::RecordAlertCheck(int64_t id, const AlertState& state) {
    std::optional<std::string> value;
    if (!state.last_value.is_null()) value = CanonicalJson(state.last_value);
    auto ok = db().Run("UPDATE alerts SET firing = ?, last_checked_at = ?, last_value = ? WHERE id = ?", state.firing,
                       state.last_checked_at, value, id);
    return Touched(db(), ok, fmt::format("alert {}", id));
}

Result<int64_t> Tx::AddNotification(const NewNotification& n) {
    auto ok = db().Run("INSERT INTO notifications (workspace_id, user_id, alert_id, title, body, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       n.workspace_id, n.user_id, n.alert_id, n.title, n.body, Now());
    if (!ok) return Propagate(ok);
    return db().LastInsertId();
}

Result<std::vector<Notification>> Tx::ListNotifications(int64_t user_id, bool unread_only, int limit,
                                                        std::optional<int64_t> after_id) {
    return All<Notification>(db(),
                             fmt::format("SELECT {} FROM notifications WHERE user_id = ? AND id < ? {} "
                                         "ORDER BY id DESC LIMIT ?",
                                         kNotificationColumns, unread_only ? "AND read_at IS NULL" : ""),
                             ReadNotification, user_id, after_id.value_or(INT64_MAX), std::max(limit, 0));
}

Result<int64_t> Tx::MarkNotificationsRead(int64_t user_id, const std::optional<std::vector<int64_t>>& ids) {
    Status ok;
    if (ids) {
        ok = db().Run("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL "
                      "AND id IN (SELECT value FROM json_each(?))",
                      Now(), user_id, json(*ids).dump());
    } else {
        ok = db().Run("UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL", Now(), user_id);
    }
    if (!ok) return Propagate(ok);
    return db().Changes();
}

Result<int64_t> Tx::CountUnread(int64_t user_id) {
    auto n = One<int64_t>(db(), "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", ReadInt,
                          user_id);
    if (!n) return Propagate(n);
    return n->value_or(0);
}

Result<int64_t> Tx::CountDelivered(int64_t activation_id, int64_t from_ms, int64_t to_ms) {
    auto n = One<int64_t>(db(),
                          "SELECT count(*) FROM outbox WHERE activation_id = ? AND status = 'delivered' "
                          "AND finished_at >= ? AND finished_at < ?",
                          ReadInt, activation_id, from_ms, to_ms);
    if (!n) return Propagate(n);
    return n->value_or(0);
}

Result<std::optional<int64_t>> Tx::AudienceMembersAt(int64_t audience_id, int64_t at_ms) {
    // An audience's runs (runs_by_audience) are few; the latest finish time wins, then the newest run.
    auto row = One<std::optional<int64_t>>(
        db(),
        "SELECT json_extract(summary, '$.members') FROM runs WHERE audience_id = ? AND status = 'completed' "
        "AND finished_at <= ? ORDER BY finished_at DESC, id DESC LIMIT 1",
        [](const sqlite::Statement& st) { return st.OptionalInt(0); }, audience_id, at_ms);
    if (!row) return Propagate(row);
    if (!*row) return std::optional<int64_t>();
    return **row;
}

} // namespace kith::store
