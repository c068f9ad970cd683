// Who may do what (activations.md, "Roles"): the six roles, the permissions each grants, and the permission every
// API route requires. Roles are data: RolePermissions is the one table.
//
//   auto roles = api::ParseRoles({"engage_user", "unify_read_only"});
//   if (!api::Allows(*roles, api::Permission::EDIT_AUDIENCES)) return Forbidden();
#pragma once

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kith::api {

enum class Role {
    WORKSPACE_OWNER,    //!< everything
    ENGAGE_USER,        //!< create, edit, enable, run, clone and delete audiences and activations
    UNIFY_READ_ONLY,    //!< view profiles, traits and identifiers
    ENTITIES_READ_ONLY, //!< view the data graph and entity data
    SOURCE_ADMIN,       //!< manage destinations and their settings
    READ_ONLY,          //!< view everything but secrets
};

enum class Permission {
    SIGNED_IN,         //!< any user: who am I, notifications, alerts, own API tokens
    VIEW,              //!< audiences, activations (without secrets), runs, delivery overview, destination catalog
    VIEW_PROFILES,     //!< members with identifiers, traits, explain a profile, trait and event value suggestions
    VIEW_ENTITIES,     //!< the data graph, entity columns and data, entity value suggestions
    EDIT_AUDIENCES,    //!< create, edit, enable, schedule, run, clone, delete audiences
    EDIT_ACTIVATIONS,  //!< create, edit, enable, test, delete activations
    EDIT_DESTINATIONS, //!< an activation's destination and its settings (secrets included)
    ADMIN,             //!< users, their roles, every API token, replacing the data graph, every alert
};

//! "workspace_owner", "engage_user", "unify_read_only", "entities_read_only", "source_admin", "read_only".
std::string_view RoleName(Role role);
//! The role's title as activations.md writes it ("Workspace Owner").
std::string_view RoleTitle(Role role);
const std::vector<Role>& AllRoles();
//! The permissions a role grants.
const std::vector<Permission>& RolePermissions(Role role);
//! "signed_in", "view", "view_profiles", ...
std::string_view PermissionName(Permission permission);

//! Roles from their names; INVALID naming the first unknown one (with its index as the location).
Result<std::vector<Role>> ParseRoles(const std::vector<std::string>& names);
std::vector<std::string> RoleNames(const std::vector<Role>& roles);

//! Whether any of the roles grants the permission (SIGNED_IN is granted to every user, even with no role).
bool Allows(const std::vector<Role>& roles, Permission permission);

} // namespace kith::api
