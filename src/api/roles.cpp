#include "api/roles.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kith::api {

namespace {

using P = Permission;

struct RoleRow {
    Role role;
    std::string_view name;
    std::string_view title;
    std::vector<Permission> permissions;
};

const std::vector<RoleRow>& Table() {
    static const std::vector<RoleRow> rows = {
        {Role::WORKSPACE_OWNER,
         "workspace_owner",
         "Workspace Owner",
         {P::SIGNED_IN, P::VIEW, P::VIEW_PROFILES, P::VIEW_ENTITIES, P::EDIT_AUDIENCES, P::EDIT_ACTIVATIONS,
          P::EDIT_DESTINATIONS, P::ADMIN}},
        {Role::ENGAGE_USER, "engage_user", "Engage User", {P::SIGNED_IN, P::VIEW, P::EDIT_AUDIENCES, P::EDIT_ACTIVATIONS}},
        {Role::UNIFY_READ_ONLY, "unify_read_only", "Unify Read-only", {P::SIGNED_IN, P::VIEW_PROFILES}},
        {Role::ENTITIES_READ_ONLY, "entities_read_only", "Entities Read-only", {P::SIGNED_IN, P::VIEW_ENTITIES}},
        {Role::SOURCE_ADMIN, "source_admin", "Source Admin", {P::SIGNED_IN, P::VIEW, P::EDIT_DESTINATIONS}},
        {Role::READ_ONLY, "read_only", "Read-only", {P::SIGNED_IN, P::VIEW, P::VIEW_PROFILES, P::VIEW_ENTITIES}},
    };
    return rows;
}

const RoleRow& Row(Role role) {
    for (const auto& r : Table()) {
        if (r.role == role) return r;
    }
    return Table().back();
}

} // namespace

std::string_view RoleName(Role role) { return Row(role).name; }
std::string_view RoleTitle(Role role) { return Row(role).title; }
const std::vector<Permission>& RolePermissions(Role role) { return Row(role).permissions; }

const std::vector<Role>& AllRoles() {
    static const std::vector<Role> all = [] {
        std::vector<Role> v;
        for (const auto& r : Table()) v.push_back(r.role);
        return v;
    }();
    return all;
}

std::string_view PermissionName(Permission permission) {
    switch (permission) {
    case P::SIGNED_IN: return "signed_in";
    case P::VIEW: return "view";
    case P::VIEW_PROFILES: return "view_profiles";
    case P::VIEW_ENTITIES: return "view_entities";
    case P::EDIT_AUDIENCES: return "edit_audiences";
    case P::EDIT_ACTIVATIONS: return "edit_activations";
    case P::EDIT_DESTINATIONS: return "edit_destinations";
    case P::ADMIN: return "admin";
    }
    return "?";
}

Result<std::vector<Role>> ParseRoles(const std::vector<std::string>& names) {
    std::vector<Role> out;
    for (size_t i = 0; i < names.size(); ++i) {
        auto it = std::find_if(Table().begin(), Table().end(), [&](const RoleRow& r) { return r.name == names[i]; });
        if (it == Table().end()) {
            std::string known;
            for (const auto& r : Table()) known += (known.empty() ? "" : ", ") + std::string(r.name);
            return Fail(ErrorCode::INVALID, fmt::format("unknown role {:?} (expected one of {})", names[i], known),
                        fmt::format("/roles/{}", i));
        }
        if (std::find(out.begin(), out.end(), it->role) == out.end()) out.push_back(it->role);
    }
    return out;
}

std::vector<std::string> RoleNames(const std::vector<Role>& roles) {
    std::vector<std::string> out;
    for (Role r : roles) out.emplace_back(RoleName(r));
    return out;
}

bool Allows(const std::vector<Role>& roles, Permission permission) {
    if (permission == P::SIGNED_IN) return true;
    for (Role r : roles) {
        const auto& p = RolePermissions(r);
        if (std::find(p.begin(), p.end(), permission) != p.end()) return true;
    }
    return false;
}

} // namespace kith::api
