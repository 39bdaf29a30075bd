// The records the auth capability keeps in a tenant's scope (users, the tenant profile, custom
// roles), sessions (refresh-token families), and the routes of `auth.api`, one free function
// each over a Call.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <bakery/table/table.h>

#include "core/json.h"
#include "core/result.h"
#include "handlers/auth/call.h"
#include "handlers/auth/roles.h"

namespace bakery::handlers::auth::detail {

// A user of a tenant (`auth-users`, key userId). `generation` is the session generation:
// every refresh-token family records the generation it started in, and bumping it (log-out
// everywhere, password reset, disabling) ends them all. `version` is bumped by every change
// and checked by the next one, so concurrent changes cannot interleave.
struct User {
  std::string id;
  std::string email;     // normalized
  std::string skeleton;  // the uniqueness key (auth-user-emails)
  std::string name;
  std::string passwordHash;
  std::vector<std::string> roles;
  bool disabled = false;
  std::int64_t generation = 0;
  std::int64_t version = 0;
  std::string createdAt;
};

User userFrom(const table::AttributeMap& item);
table::AttributeMap userItem(const User& user);
// The public view: id, email, name, roles, disabled, createdAt (never the hash).
json::object userView(const User& user);
table::AttributeMap userKey(const std::string& id);

core::Result<std::optional<User>> loadUser(table::Tables& tables, const std::string& id);
core::Result<CustomRoles> loadCustomRoles(table::Tables& tables);
// The tenant profile (`auth-tenant-profile`): tenantId, slug, name, createdAt, and
// `enabledOwners`, the count of enabled owners that keeps the last one from going away.
core::Result<std::optional<table::AttributeMap>> loadProfile(table::Tables& tables);
json::object tenantView(const table::AttributeMap& profile);
// Adds `delta` to enabledOwners; when it lowers the count, only while at least one remains.
table::TransactionAction ownerCountChange(std::int64_t delta);
// Enabled owners contribute 1 to the owner count.
inline bool countsAsOwner(const User& u) {
  return !u.disabled && std::find(u.roles.begin(), u.roles.end(), kOwnerRole) != u.roles.end();
}

// ---- sessions (sessions.cc) ----

// A refresh-token family for `user`: the token, the family's item (committed in the tenant's
// scope with the caller's other writes; without it the token is useless) and the token's
// system-scope record.
struct NewSession {
  std::string refreshToken;
  table::TransactionAction family;  // in the tenant's scope
  table::TransactionAction record;  // the refresh token's record, in the system scope
};
// A new session whose two writes the caller commits (sign-up commits the record with the
// slug's claim).
NewSession prepareSession(Call& call, const std::string& tenant, const User& user);
// A new session whose refresh-token record is already written; the caller commits `family`.
core::Result<NewSession> startSession(Call& call, const std::string& tenant, const User& user);
// A signed access token for `user` with the scopes of its current roles.
core::Result<std::string> signAccessToken(Call& call, const std::string& tenant, const User& user,
                                          const CustomRoles& custom);
// {"accessToken", "refreshToken", "tokenType": "Bearer", "expiresIn"}.
json::object tokenPair(const Call& call, std::string accessToken, std::string refreshToken);
std::string isoTime(std::chrono::system_clock::time_point t);

// ---- routes ----
json::value signUp(Call& call);
json::value login(Call& call);
json::value refresh(Call& call);
json::value logout(Call& call);
json::value logoutAll(Call& call);
json::value me(Call& call);
json::value listUsers(Call& call);
json::value inviteUser(Call& call);
json::value acceptInvitation(Call& call);
json::value patchUser(Call& call);
json::value deleteUser(Call& call);
json::value requestPasswordReset(Call& call);
json::value confirmPasswordReset(Call& call);
json::value createApiKey(Call& call);
json::value listApiKeys(Call& call);
json::value revokeApiKey(Call& call);
json::value listRoles(Call& call);
json::value putRole(Call& call);
json::value deleteRole(Call& call);
json::value jwks(Call& call);
json::value openIdConfiguration(Call& call);

// `auth.authorizer`: an API Gateway Lambda authorizer (payload 2.0, simple responses).
json::value authorizeApiKey(const json::value& event, Context& ctx, const Services& services);

}  // namespace bakery::handlers::auth::detail
