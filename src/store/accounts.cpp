// Accounts: users, login sessions, API tokens and failed logins (migration 4).
#include "store/query.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

namespace kith::store {

namespace {

using detail::All;
using detail::One;
using detail::ParseStored;
using detail::Propagate;
using detail::Touched;

constexpr const char* kUserColumns =
    "id, workspace_id, email, name, password_hash, roles, disabled, created_at, updated_at";

User ReadUser(const sqlite::Statement& st) {
    User u;
    u.id = st.Int(0);
    u.workspace_id = st.Int(1);
    u.email = st.Text(2);
    u.name = st.Text(3);
    u.password_hash = st.Text(4);
    auto roles = ParseStored(st.Text(5));
    if (roles.is_array()) {
        for (const auto& r : roles) {
            if (r.is_string()) u.roles.push_back(r.get<std::string>());
        }
    }
    u.disabled = st.Int(6) != 0;
    u.created_at = st.Int(7);
    u.updated_at = st.Int(8);
    return u;
}

constexpr const char* kTokenColumns = "id, user_id, name, token_hash, created_at, last_used_at";

ApiToken ReadToken(const sqlite::Statement& st) {
    return ApiToken{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Int(4), st.OptionalInt(5)};
}

Session ReadSession(const sqlite::Statement& st) {
    return Session{st.Text(0), st.Int(1), st.Text(2), st.Int(3), st.Int(4)};
}

} // namespace

Status Tx::DeleteAudience(int64_t workspace, const std::string& key) {
    auto audience = GetAudience(workspace, key);
    if (!audience) return Propagate(audience);
    if (!*audience) return Fail(ErrorCode::NOT_FOUND, fmt::format("audience {:?} does not exist", key));
    // The baseline points at a snapshot; drop it first so the cascade meets no reference.
    if (auto ok = db().Run("DELETE FROM baselines WHERE audience_id = ?", (*audience)->id); !ok) return ok;
    return Touched(db(), db().Run("DELETE FROM audiences WHERE id = ?", (*audience)->id), "audience " + key);
}

Status Tx::DeleteActivation(int64_t workspace, const std::string& key) {
    return Touched(db(), db().Run("DELETE FROM activations WHERE workspace_id = ? AND key = ?", workspace, key),
                   "activation " + key);
}

Result<int64_t> Tx::CreateUser(const User& user) {
    auto existing = GetUserByEmail(user.email);
    if (!existing) return Propagate(existing);
    if (*existing) return Fail(ErrorCode::INVALID, fmt::format("a user with email {:?} exists", user.email));
    auto ok = db().Run("INSERT INTO users (workspace_id, email, name, password_hash, roles, disabled, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       user.workspace_id, user.email, user.name, user.password_hash,
                       CanonicalJson(nlohmann::json(user.roles)), user.disabled, Now(), Now());
    if (!ok) return Propagate(ok);
    return db().LastInsertId();
}

Status Tx::UpdateUser(const User& user) {
    return Touched(db(),
                   db().Run("UPDATE users SET name = ?, password_hash = ?, roles = ?, disabled = ?, updated_at = ? "
                            "WHERE id = ?",
                            user.name, user.password_hash, CanonicalJson(nlohmann::json(user.roles)), user.disabled,
                            Now(), user.id),
                   fmt::format("user {}", user.id));
}

Status Tx::DeleteUser(int64_t user_id) {
    return Touched(db(), db().Run("DELETE FROM users WHERE id = ?", user_id), fmt::format("user {}", user_id));
}

Result<std::optional<User>> Tx::GetUser(int64_t user_id) {
    return One<User>(db(), fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), ReadUser, user_id);
}

Result<std::optional<User>> Tx::GetUserByEmail(const std::string& email) {
    return One<User>(db(), fmt::format("SELECT {} FROM users WHERE email = ?", kUserColumns), ReadUser, email);
}

Result<std::vector<User>> Tx::ListUsers(int64_t workspace) {
    return All<User>(db(), fmt::format("SELECT {} FROM users WHERE workspace_id = ? ORDER BY email", kUserColumns),
                     ReadUser, workspace);
}

Status Tx::CreateSession(const Session& s) {
    return db().Run("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                    s.token_hash, s.user_id, s.csrf, s.created_at, s.expires_at);
}

Result<std::optional<Session>> Tx::GetSession(const std::string& token_hash, int64_t now) {
    return One<Session>(db(),
                        "SELECT token_hash, user_id, csrf, created_at, expires_at FROM sessions "
                        "WHERE token_hash = ? AND expires_at > ?",
                        ReadSession, token_hash, now);
}

Status Tx::DeleteSession(const std::string& token_hash) {
    return db().Run("DELETE FROM sessions WHERE token_hash = ?", token_hash);
}

Status Tx::DeleteSessionsOf(int64_t user_id) { return db().Run("DELETE FROM sessions WHERE user_id = ?", user_id); }

Status Tx::DeleteApiTokensOf(int64_t user_id) { return db().Run("DELETE FROM api_tokens WHERE user_id = ?", user_id); }

Result<int64_t> Tx::DeleteExpiredSessions(int64_t now) {
    auto ok = db().Run("DELETE FROM sessions WHERE expires_at <= ?", now);
    if (!ok) return Propagate(ok);
    return db().Changes();
}

Result<int64_t> Tx::CreateApiToken(const ApiToken& token) {
    auto ok = db().Run("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                       token.user_id, token.name, token.token_hash, Now());
    if (!ok) return Propagate(ok);
    return db().LastInsertId();
}

Result<std::optional<ApiToken>> Tx::FindApiToken(const std::string& token_hash) {
    return One<ApiToken>(db(), fmt::format("SELECT {} FROM api_tokens WHERE token_hash = ?", kTokenColumns),
                         ReadToken, token_hash);
}

Result<std::vector<ApiToken>> Tx::ListApiTokens(std::optional<int64_t> user_id) {
    return All<ApiToken>(db(),
                         fmt::format("SELECT {} FROM api_tokens WHERE (? IS NULL OR user_id = ?) ORDER BY id",
                                     kTokenColumns),
                         ReadToken, user_id, user_id);
}

Result<std::optional<ApiToken>> Tx::GetApiToken(int64_t id) {
    return One<ApiToken>(db(), fmt::format("SELECT {} FROM api_tokens WHERE id = ?", kTokenColumns), ReadToken, id);
}

Status Tx::DeleteApiToken(int64_t id) {
    return Touched(db(), db().Run("DELETE FROM api_tokens WHERE id = ?", id), fmt::format("API token {}", id));
}

Status Tx::TouchApiToken(int64_t id, int64_t now) {
    return db().Run("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", now, id);
}

Result<LoginThrottle> Tx::GetLoginThrottle(const std::string& key) {
    auto row = One<LoginThrottle>(
        db(), "SELECT failures, last_at FROM login_throttle WHERE key = ?",
        [](const sqlite::Statement& st) { return LoginThrottle{st.Int(0), st.Int(1)}; }, key);
    if (!row) return Propagate(row);
    return row->value_or(LoginThrottle{});
}

Status Tx::CountLoginAttempt(const std::string& key, int64_t now) {
    return db().Run("INSERT INTO login_throttle (key, failures, last_at) VALUES (?, 1, ?) "
                    "ON CONFLICT (key) DO UPDATE SET failures = failures + 1, last_at = excluded.last_at",
                    key, now);
}

Status Tx::ForgiveLoginAttempt(const std::string& key) {
    if (auto ok = db().Run("UPDATE login_throttle SET failures = failures - 1 WHERE key = ? AND failures > 0", key); !ok) {
        return ok;
    }
    return db().Run("DELETE FROM login_throttle WHERE key = ? AND failures = 0", key);
}

Status Tx::ClearLoginThrottle(const std::string& key) {
    return db().Run("DELETE FROM login_throttle WHERE key = ?", key);
}

} // namespace kith::store
