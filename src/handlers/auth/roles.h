// Roles and scopes of the auth capability: the built-in roles, custom roles per tenant, and
// the rules that say who may grant what. Pure functions over values (no storage), so the
// policy can be tested on its own; thread-safe.
//
// A role is a named set of scopes. A user holds roles; an access token carries the roles and
// the union of their scopes. The grant rules:
//   - only a holder of `owner` may grant or remove `owner`;
//   - a caller may grant or remove only roles whose scopes are all among the caller's own;
//   - nobody widens their own access (the new scopes of a self-change must be a subset of the
//     old ones);
//   - a caller may disable or delete only users whose roles the caller could grant.
// The last enabled owner is protected by the storage layer (a counter with a condition), not
// here, because it depends on other users.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bakery::handlers::auth {

inline constexpr std::string_view kOwnerRole = "owner";

// Every scope a role may hold, sorted.
std::span<const std::string_view> knownScopes();
bool isKnownScope(std::string_view scope);

// owner, admin, member, viewer.
std::span<const std::string_view> builtInRoleNames();
bool isBuiltInRole(std::string_view role);
// The scopes of a built-in role, sorted; empty for any other name.
std::vector<std::string> builtInScopes(std::string_view role);

// Custom roles of one tenant: name -> scopes.
using CustomRoles = std::map<std::string, std::vector<std::string>, std::less<>>;

// True for a role name a tenant may define: `[a-z][a-z0-9-]{1,31}` and not a built-in name.
bool isValidCustomRoleName(std::string_view name);
// True when `role` is built in or one of `custom`.
bool roleExists(std::string_view role, const CustomRoles& custom);
// The sorted union of the scopes of `roles`; names that are neither built in nor custom
// (a custom role deleted since it was granted) contribute nothing.
std::vector<std::string> scopesOf(const std::vector<std::string>& roles, const CustomRoles& custom);
// `scope` joined with single spaces: the `scope` claim.
std::string joinScopes(const std::vector<std::string>& scopes);
// True when every element of `needed` is in `held`.
bool coversAll(const std::vector<std::string>& held, const std::vector<std::string>& needed);

// The caller of a user-management request.
struct Caller {
  std::string userId;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
};

enum class GrantVerdict {
  kAllowed,
  kOwnerOnly,          // `owner` added or removed by a non-owner
  kBeyondCallerScope,  // a role added or removed carries a scope the caller lacks
  kSelfEscalation,     // the caller's own access would widen
};

// Whether `caller` may change `targetUserId`'s roles from `oldRoles` to `newRoles`.
GrantVerdict checkRoleChange(const Caller& caller, std::string_view targetUserId,
                             const std::vector<std::string>& oldRoles,
                             const std::vector<std::string>& newRoles, const CustomRoles& custom);
// Whether `caller` may grant `role` (invitations use this).
GrantVerdict checkGrant(const Caller& caller, std::string_view role, const CustomRoles& custom);
// Whether `caller` may disable or delete a user holding `targetRoles`.
bool mayManage(const Caller& caller, const std::vector<std::string>& targetRoles,
               const CustomRoles& custom);

}  // namespace bakery::handlers::auth
