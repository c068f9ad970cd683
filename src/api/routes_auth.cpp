// Sign-in and the service's own routes: login (refused from other sites; failed logins slowed down per email and
// address and per address), logout, who am I, health, metrics,
// the OpenAPI document.
#include "api/openapi.hpp"
#include "api/router.hpp"
#include "api/views.hpp"
#include "common/text.hpp"
#include "deliver/http.hpp"
#include "warehouse/warehouse.hpp"

#include <chrono>
#include <cmath>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

// A hash of a password nobody has, verified when the email is unknown so that the answer takes as long either way.
const std::string& DecoyHash(const App& app) {
    static const std::string hash = HashPassword("decoy", app.options().password_cost).value_or("");
    return hash;
}

// A browser signs in from the service's own pages only. Another site can make a browser POST here (a form, or
// fetch without reading the answer) and so sign it in to the attacker's account (login CSRF): such a request
// carries the other site's Origin (or Sec-Fetch-Site: cross-site). A request with neither header comes from a
// program, not a page, and is let through.
std::optional<ApiError> CrossSiteLogin(Context& c) {
    std::string site = c.Header("Sec-Fetch-Site");
    if (!site.empty() && site != "same-origin" && site != "none") {
        return Forbidden(fmt::format("sign-in from another site is refused (Sec-Fetch-Site: {})", text::Shortened(site, 40)));
    }
    std::string origin = c.Header("Origin");
    if (origin.empty()) return std::nullopt;
    std::string host = c.Header("Host");
    size_t scheme = origin.find("://");
    if (host.empty() || scheme == std::string::npos || origin.substr(scheme + 3) != host) {
        return Forbidden(fmt::format("sign-in from another origin is refused (Origin {} is not this service's, {})",
                                     text::Shortened(origin, 100), host.empty() ? "unknown" : host));
    }
    return std::nullopt;
}

//! The throttles a login attempt counts under: one email from one address (password guessing against one user), and
//! the address (guessing across users); each with its number of free failures.
std::vector<std::pair<std::string, int64_t>> ThrottleKeys(Context& c, const std::string& email) {
    const AppOptions& o = c.app().options();
    std::string from = c.RemoteAddress();
    return {{fmt::format("email {} from {}", text::Lower(email), from), o.free_login_failures},
            {"from " + from, o.free_login_failures_per_address}};
}

// Counts the attempt under every key in one write transaction, unless one of them is waiting: then the seconds to
// wait. Atomic: parallel attempts are counted one after the other, so none gets past the free ones unchecked.
Result<std::optional<int64_t>> AdmitLogin(store::Store& store, const AppOptions& o,
                                          const std::vector<std::pair<std::string, int64_t>>& keys, int64_t now) {
    return store.Transaction([&](store::Tx& tx) -> Result<std::optional<int64_t>> {
        for (const auto& [key, free] : keys) {
            auto t = tx.GetLoginThrottle(key);
            if (!t) return std::unexpected(t.error());
            if (t->failures < free) continue;
            // Each failure past the free ones doubles the wait before the next attempt, up to max_login_wait_ms.
            int64_t extra = std::min<int64_t>(t->failures - free, 20);
            int64_t wait = std::min<int64_t>(o.first_login_wait_ms << extra, o.max_login_wait_ms);
            if (now < t->last_at + wait) return (t->last_at + wait - now + 999) / 1000;
        }
        for (const auto& [key, free] : keys) {
            if (auto ok = tx.CountLoginAttempt(key, now); !ok) return std::unexpected(ok.error());
        }
        return std::nullopt;
    });
}

Answer Login(Context& c) {
    if (auto refused = CrossSiteLogin(c)) return std::unexpected(*refused);
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    for (const char* k : {"email", "password"}) {
        if (!b.contains(k) || !b[k].is_string()) {
            return std::unexpected(Malformed(fmt::format("\"{}\" must be a string", k), fmt::format("/{}", k)));
        }
    }
    for (const auto& [k, v] : b.items()) {
        if (k != "email" && k != "password") return std::unexpected(Invalid(fmt::format("unknown field {:?}", k), "/" + k));
    }
    std::string email = b["email"].get<std::string>();
    std::string password = b["password"].get<std::string>();
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    const AppOptions& o = c.app().options();
    int64_t now = deliver::WallClockMs();
    auto keys = ThrottleKeys(c, email);
    auto waiting = AdmitLogin(**store, o, keys, now);
    if (!waiting) return std::unexpected(FromError(waiting.error()));
    if (*waiting) {
        ApiError e{429, "too_many_attempts",
                   fmt::format("too many failed logins for this email from this address; try again in {} s", **waiting)};
        e.headers.emplace_back("Retry-After", std::to_string(**waiting));
        return std::unexpected(e);
    }
    auto user = (*store)->Read([&](store::Tx& tx) { return tx.GetUserByEmail(email); });
    if (!user) return std::unexpected(FromError(user.error()));
    bool ok = false;
    if (*user && !(*user)->disabled && !(*user)->password_hash.empty()) {
        ok = VerifyPassword((*user)->password_hash, password);
    } else {
        VerifyPassword(DecoyHash(c.app()), password);
    }
    if (!ok) return std::unexpected(ApiError{401, "unauthenticated", "wrong email or password"});
    std::string token = RandomToken();
    store::Session session{Sha256Hex(token), (*user)->id, RandomToken(), now, now + o.session_ttl_ms};
    auto saved = (*store)->Transaction([&](store::Tx& tx) -> Status {
        // The attempt was right: the email's count from this address starts again, the address's takes it back.
        if (auto cleared = tx.ClearLoginThrottle(keys[0].first); !cleared) return cleared;
        if (auto forgiven = tx.ForgiveLoginAttempt(keys[1].first); !forgiven) return forgiven;
        if (auto expired = tx.DeleteExpiredSessions(now); !expired) return std::unexpected(expired.error());
        return tx.CreateSession(session);
    });
    if (!saved) return std::unexpected(FromError(saved.error()));
    Reply r(json{{"user", UserJson(**user)}, {"csrf_token", session.csrf}});
    r.headers.emplace_back("Set-Cookie", fmt::format("kith_session={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
                                                     token, o.session_ttl_ms / 1000,
                                                     o.secure_cookies ? "; Secure" : ""));
    return r;
}

Answer Logout(Context& c) {
    if (!c.user().session_hash.empty()) {
        auto store = c.Store();
        if (!store) return std::unexpected(FromError(store.error()));
        auto ok = (*store)->Transaction([&](store::Tx& tx) { return tx.DeleteSession(c.user().session_hash); });
        if (!ok) return std::unexpected(FromError(ok.error()));
    }
    Reply r(json(nullptr), 204);
    r.headers.emplace_back("Set-Cookie", "kith_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    return r;
}

Answer Me(Context& c) {
    const Principal& p = c.user();
    json permissions = json::array();
    for (Permission perm : {Permission::VIEW, Permission::VIEW_PROFILES, Permission::VIEW_ENTITIES,
                            Permission::EDIT_AUDIENCES, Permission::EDIT_ACTIVATIONS, Permission::EDIT_DESTINATIONS,
                            Permission::ADMIN}) {
        if (p.Allows(perm)) permissions.push_back(PermissionName(perm));
    }
    json j = {{"user", UserJson(p.user)}, {"permissions", permissions}};
    j["csrf_token"] = p.session_hash.empty() ? json(nullptr) : json(p.csrf);
    j["via"] = p.token_id ? "api_token" : "session";
    return Reply(j);
}

Answer Health(Context& c) {
    json checks = json::object();
    bool ok = true;
    auto store = c.Store();
    if (store) {
        auto n = (*store)->Read([](store::Tx& tx) { return tx.ListWorkspaces(); });
        checks["store"] = n ? "ok" : n.error().ToString();
        ok = ok && n.has_value();
    } else {
        checks["store"] = store.error().ToString();
        ok = false;
    }
    auto wh = c.app().warehouses().Acquire();
    if (wh) {
        auto rows = warehouse::QueryAll(**wh, "SELECT 1");
        checks["warehouse"] = rows ? "ok" : rows.error().ToString();
        ok = ok && rows.has_value();
    } else {
        checks["warehouse"] = wh.error().ToString();
        ok = false;
    }
    return Reply(json{{"status", ok ? "ok" : "failing"}, {"checks", checks}}, ok ? 200 : 503);
}

Answer MetricsText(Context& c) {
    Reply r;
    r.text = c.app().metrics().Exposition();
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
}

Answer OpenApi(Context&) { return Reply(OpenApiDocument()); }

} // namespace

void AddAuthRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("POST", "/api/v1/auth/login", {}, Login);
    routes.Add("POST", "/api/v1/auth/logout", {P::SIGNED_IN}, Logout);
    routes.Add("GET", "/api/v1/me", {P::SIGNED_IN}, Me);
    routes.Add("GET", "/healthz", {}, Health);
    routes.Add("GET", "/metrics", {}, MetricsText);
    routes.Add("GET", "/api/v1/openapi.json", {}, OpenApi);
}

} // namespace kith::api
