// Users, their roles, and API tokens.
#include "api/router.hpp"
#include "api/views.hpp"

#include <charconv>
#include <fmt/format.h>

namespace kith::api {

namespace {

using nlohmann::json;

constexpr size_t kMinPassword = 8;

std::expected<std::vector<std::string>, ApiError> RolesField(const json& b) {
    if (!b["roles"].is_array()) return std::unexpected(Malformed("\"roles\" must be an array of role names", "/roles"));
    std::vector<std::string> names;
    for (size_t i = 0; i < b["roles"].size(); ++i) {
        if (!b["roles"][i].is_string()) {
            return std::unexpected(Malformed("a role is a name", fmt::format("/roles/{}", i)));
        }
        names.push_back(b["roles"][i].get<std::string>());
    }
    auto roles = ParseRoles(names);
    if (!roles) return std::unexpected(Invalid(roles.error().message, roles.error().location));
    return RoleNames(*roles);
}

std::expected<std::string, ApiError> PasswordHash(Context& c, const json& b) {
    if (!b["password"].is_string()) return std::unexpected(Malformed("\"password\" must be a string", "/password"));
    std::string pw = b["password"].get<std::string>();
    if (pw.size() < kMinPassword) {
        return std::unexpected(Invalid(fmt::format("a password has at least {} characters", kMinPassword), "/password"));
    }
    auto hash = HashPassword(pw, c.app().options().password_cost);
    if (!hash) return std::unexpected(FromError(hash.error()));
    return *hash;
}

Answer ListRoles(Context&) {
    json out = json::array();
    for (Role r : AllRoles()) {
        json perms = json::array();
        for (Permission p : RolePermissions(r)) perms.push_back(PermissionName(p));
        out.push_back({{"name", RoleName(r)}, {"title", RoleTitle(r)}, {"permissions", perms}});
    }
    return Reply(json{{"roles", out}});
}

Answer ListUsers(Context& c) {
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto users = (*store)->Read([&](store::Tx& tx) { return tx.ListUsers(c.workspace()); });
    if (!users) return std::unexpected(FromError(users.error()));
    json items = json::array();
    for (const auto& u : *users) items.push_back(UserJson(u));
    return Reply(json{{"items", items}});
}

Answer CreateUser(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    for (const auto& [k, v] : b.items()) {
        if (k != "email" && k != "name" && k != "password" && k != "roles") {
            return std::unexpected(Invalid(fmt::format("unknown field {:?}", k), "/" + k));
        }
    }
    if (!b.contains("email") || !b["email"].is_string() || b["email"].get<std::string>().find('@') == std::string::npos) {
        return std::unexpected(Invalid("\"email\" must be an email address", "/email"));
    }
    store::User u;
    u.workspace_id = c.workspace();
    u.email = b["email"].get<std::string>();
    if (b.contains("name") && !b["name"].is_string()) return std::unexpected(Malformed("\"name\" must be a string", "/name"));
    u.name = b.value("name", "");
    if (b.contains("roles")) {
        auto roles = RolesField(b);
        if (!roles) return std::unexpected(roles.error());
        u.roles = *roles;
    } else {
        u.roles = {std::string(RoleName(Role::READ_ONLY))};
    }
    if (b.contains("password")) {
        auto hash = PasswordHash(c, b);
        if (!hash) return std::unexpected(hash.error());
        u.password_hash = *hash;
    }
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto id = (*store)->Transaction([&](store::Tx& tx) { return tx.CreateUser(u); });
    if (!id) {
        if (id.error().code == ErrorCode::INVALID) return std::unexpected(Conflict(id.error().message));
        return std::unexpected(FromError(id.error()));
    }
    auto created = (*store)->Read([&](store::Tx& tx) { return tx.GetUser(*id); });
    if (!created || !*created) return std::unexpected(ApiError{500, "internal", "the new user vanished"});
    Reply r(UserJson(**created), 201);
    r.headers.emplace_back("Location", fmt::format("/api/v1/users/{}", *id));
    return r;
}

Answer GetUser(Context& c) {
    auto id = IdParam(c, "id");
    if (!id) return std::unexpected(id.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto u = (*store)->Read([&](store::Tx& tx) { return tx.GetUser(*id); });
    if (!u) return std::unexpected(FromError(u.error()));
    if (!*u || (*u)->workspace_id != c.workspace()) return std::unexpected(NotFound(fmt::format("no user {}", *id)));
    return Reply(UserJson(**u));
}

// Whether, after a change, some enabled user still holds Workspace Owner.
Result<bool> OwnerRemains(store::Tx& tx, int64_t workspace) {
    auto users = tx.ListUsers(workspace);
    if (!users) return std::unexpected(users.error());
    for (const auto& u : *users) {
        if (u.disabled) continue;
        for (const auto& r : u.roles) {
            if (r == RoleName(Role::WORKSPACE_OWNER)) return true;
        }
    }
    return false;
}

Answer UpdateUser(Context& c) {
    auto id = IdParam(c, "id");
    if (!id) return std::unexpected(id.error());
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    for (const auto& [k, v] : b.items()) {
        if (k != "name" && k != "password" && k != "roles" && k != "disabled") {
            return std::unexpected(Invalid(fmt::format("unknown field {:?} (email cannot change)", k), "/" + k));
        }
    }
    std::optional<std::vector<std::string>> roles;
    if (b.contains("roles")) {
        auto r = RolesField(b);
        if (!r) return std::unexpected(r.error());
        roles = *r;
    }
    std::optional<std::string> hash;
    if (b.contains("password")) {
        auto h = PasswordHash(c, b);
        if (!h) return std::unexpected(h.error());
        hash = *h;
    }
    if (b.contains("disabled") && !b["disabled"].is_boolean()) {
        return std::unexpected(Malformed("\"disabled\" must be true or false", "/disabled"));
    }
    if (b.contains("name") && !b["name"].is_string()) {
        return std::unexpected(Malformed("\"name\" must be a string", "/name"));
    }
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    std::optional<ApiError> refused;
    auto updated = (*store)->Transaction([&](store::Tx& tx) -> Result<store::User> {
        auto u = tx.GetUser(*id);
        if (!u) return std::unexpected(u.error());
        if (!*u || (*u)->workspace_id != c.workspace()) return Fail(ErrorCode::NOT_FOUND, fmt::format("no user {}", *id));
        store::User user = **u;
        if (b.contains("name")) user.name = b["name"].get<std::string>();
        if (roles) user.roles = *roles;
        if (hash) user.password_hash = *hash;
        if (b.contains("disabled")) user.disabled = b["disabled"].get<bool>();
        if (auto ok = tx.UpdateUser(user); !ok) return std::unexpected(ok.error());
        if (hash || user.disabled) {
            if (auto ok = tx.DeleteSessionsOf(user.id); !ok) return std::unexpected(ok.error());
        }
        // A new password ends every credential of the old one: someone who took the account and made a token
        // loses it with the password.
        if (hash) {
            if (auto ok = tx.DeleteApiTokensOf(user.id); !ok) return std::unexpected(ok.error());
        }
        auto owner = OwnerRemains(tx, c.workspace());
        if (!owner) return std::unexpected(owner.error());
        if (!*owner) return Fail(ErrorCode::CONFLICT, "the workspace must keep an enabled Workspace Owner");
        return user;
    });
    if (!updated) return std::unexpected(FromError(updated.error()));
    return Reply(UserJson(*updated));
}

Answer DeleteUser(Context& c) {
    auto id = IdParam(c, "id");
    if (!id) return std::unexpected(id.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto ok = (*store)->Transaction([&](store::Tx& tx) -> Status {
        auto u = tx.GetUser(*id);
        if (!u) return std::unexpected(u.error());
        if (!*u || (*u)->workspace_id != c.workspace()) return Fail(ErrorCode::NOT_FOUND, fmt::format("no user {}", *id));
        if (auto d = tx.DeleteUser(*id); !d) return d;
        auto owner = OwnerRemains(tx, c.workspace());
        if (!owner) return std::unexpected(owner.error());
        if (!*owner) return Fail(ErrorCode::CONFLICT, "the workspace must keep an enabled Workspace Owner");
        return {};
    });
    if (!ok) return std::unexpected(FromError(ok.error()));
    return Reply(json(nullptr), 204);
}

Answer ListTokens(Context& c) {
    bool all = c.Query("all").value_or("") == "true";
    if (all && !c.user().Allows(Permission::ADMIN)) {
        return std::unexpected(Forbidden("listing every user's tokens needs the \"admin\" permission"));
    }
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto tokens = (*store)->Read([&](store::Tx& tx) {
        return tx.ListApiTokens(all ? std::nullopt : std::optional<int64_t>(c.user().user.id));
    });
    if (!tokens) return std::unexpected(FromError(tokens.error()));
    json items = json::array();
    for (const auto& t : *tokens) items.push_back(TokenJson(t));
    return Reply(json{{"items", items}});
}

Answer CreateToken(Context& c) {
    auto body = ObjectBody(c);
    if (!body) return std::unexpected(body.error());
    const json& b = **body;
    for (const auto& [k, v] : b.items()) {
        if (k != "name") return std::unexpected(Invalid(fmt::format("unknown field {:?}", k), "/" + k));
    }
    if (!b.contains("name") || !b["name"].is_string() || b["name"].get<std::string>().empty()) {
        return std::unexpected(Malformed("\"name\" must be a non-empty string", "/name"));
    }
    std::string secret = RandomToken("kith_");
    store::ApiToken t{0, c.user().user.id, b["name"].get<std::string>(), Sha256Hex(secret), 0, {}};
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto id = (*store)->Transaction([&](store::Tx& tx) { return tx.CreateApiToken(t); });
    if (!id) return std::unexpected(FromError(id.error()));
    auto saved = (*store)->Read([&](store::Tx& tx) { return tx.GetApiToken(*id); });
    if (!saved || !*saved) return std::unexpected(ApiError{500, "internal", "the new token vanished"});
    json j = TokenJson(**saved);
    j["token"] = secret; // shown this once; only its hash is kept
    return Reply(j, 201);
}

Answer DeleteToken(Context& c) {
    auto id = IdParam(c, "id");
    if (!id) return std::unexpected(id.error());
    auto store = c.Store();
    if (!store) return std::unexpected(FromError(store.error()));
    auto ok = (*store)->Transaction([&](store::Tx& tx) -> Status {
        auto t = tx.GetApiToken(*id);
        if (!t) return std::unexpected(t.error());
        // Another user's token is "not found" unless the caller may administer every token.
        if (!*t || ((*t)->user_id != c.user().user.id && !c.user().Allows(Permission::ADMIN))) {
            return Fail(ErrorCode::NOT_FOUND, fmt::format("no API token {}", *id));
        }
        return tx.DeleteApiToken(*id);
    });
    if (!ok) return std::unexpected(FromError(ok.error()));
    return Reply(json(nullptr), 204);
}

} // namespace

void AddAdminRoutes(Routes& routes) {
    using P = Permission;
    routes.Add("GET", "/api/v1/roles", {P::SIGNED_IN}, ListRoles);
    routes.Add("GET", "/api/v1/users", {P::ADMIN}, ListUsers);
    routes.Add("POST", "/api/v1/users", {P::ADMIN}, CreateUser);
    routes.Add("GET", "/api/v1/users/{id}", {P::ADMIN}, GetUser);
    routes.Add("PUT", "/api/v1/users/{id}", {P::ADMIN}, UpdateUser);
    routes.Add("DELETE", "/api/v1/users/{id}", {P::ADMIN}, DeleteUser);
    routes.Add("GET", "/api/v1/tokens", {P::SIGNED_IN}, ListTokens);
    routes.Add("POST", "/api/v1/tokens", {P::SIGNED_IN}, CreateToken);
    routes.Add("DELETE", "/api/v1/tokens/{id}", {P::SIGNED_IN}, DeleteToken);
}

} // namespace kith::api
