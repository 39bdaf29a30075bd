#include "handlers/auth/roles.h"

#include <algorithm>
#include <array>
#include <set>

namespace bakery::handlers::auth {
namespace {

constexpr std::array<std::string_view, 11> kScopes = {
    "apikeys:read", "apikeys:write", "audit:read",   "data:read",  "data:write", "roles:read",
    "roles:write",  "tenant:admin",  "users:invite", "users:read", "users:write"};

constexpr std::array<std::string_view, 4> kBuiltIn = {"owner", "admin", "member", "viewer"};

constexpr std::array<std::string_view, 10> kAdminScopes = {
    "users:read", "users:invite", "users:write", "apikeys:read", "apikeys:write",
    "roles:read", "roles:write",  "audit:read",  "data:read",    "data:write"};
constexpr std::array<std::string_view, 4> kMemberScopes = {"users:read", "apikeys:read",
                                                           "data:read", "data:write"};
constexpr std::array<std::string_view, 2> kViewerScopes = {"users:read", "data:read"};

template <std::size_t N>
std::vector<std::string> sorted(const std::array<std::string_view, N>& scopes) {
  std::vector<std::string> out(scopes.begin(), scopes.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> scopesOfRole(std::string_view role, const CustomRoles& custom) {
  if (isBuiltInRole(role)) return builtInScopes(role);
  auto it = custom.find(role);
  return it == custom.end() ? std::vector<std::string>() : it->second;
}

}  // namespace

std::span<const std::string_view> knownScopes() { return kScopes; }

bool isKnownScope(std::string_view scope) {
  return std::binary_search(kScopes.begin(), kScopes.end(), scope);
}

std::span<const std::string_view> builtInRoleNames() { return kBuiltIn; }

bool isBuiltInRole(std::string_view role) {
  return std::find(kBuiltIn.begin(), kBuiltIn.end(), role) != kBuiltIn.end();
}

std::vector<std::string> builtInScopes(std::string_view role) {
  if (role == "owner") return sorted(kScopes);  // every scope, tenant:admin included
  if (role == "admin") return sorted(kAdminScopes);
  if (role == "member") return sorted(kMemberScopes);
  if (role == "viewer") return sorted(kViewerScopes);
  return {};
}

bool isValidCustomRoleName(std::string_view name) {
  if (name.size() < 2 || name.size() > 32) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return !isBuiltInRole(name);
}

bool roleExists(std::string_view role, const CustomRoles& custom) {
  return isBuiltInRole(role) || custom.find(role) != custom.end();
}

std::vector<std::string> scopesOf(const std::vector<std::string>& roles,
                                  const CustomRoles& custom) {
  std::set<std::string> all;
  for (const auto& role : roles) {
    for (auto& s : scopesOfRole(role, custom)) all.insert(std::move(s));
  }
  return {all.begin(), all.end()};
}

std::string joinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

bool coversAll(const std::vector<std::string>& held, const std::vector<std::string>& needed) {
  return std::all_of(needed.begin(), needed.end(),
                     [&](const std::string& s) { return contains(held, s); });
}

GrantVerdict checkGrant(const Caller& caller, std::string_view role, const CustomRoles& custom) {
  if (role == kOwnerRole && !contains(caller.roles, kOwnerRole)) return GrantVerdict::kOwnerOnly;
  if (!coversAll(caller.scopes, scopesOfRole(role, custom))) {
    return GrantVerdict::kBeyondCallerScope;
  }
  return GrantVerdict::kAllowed;
}

GrantVerdict checkRoleChange(const Caller& caller, std::string_view targetUserId,
                             const std::vector<std::string>& oldRoles,
                             const std::vector<std::string>& newRoles, const CustomRoles& custom) {
  std::vector<std::string> changed;
  for (const auto& r : newRoles) {
    if (!contains(oldRoles, r)) changed.push_back(r);
  }
  for (const auto& r : oldRoles) {
    if (!contains(newRoles, r)) changed.push_back(r);
  }
  if (targetUserId == caller.userId &&
      !coversAll(scopesOf(oldRoles, custom), scopesOf(newRoles, custom))) {
    return GrantVerdict::kSelfEscalation;
  }
  // Owner first: its message is the more useful one.
  for (const auto& r : changed) {
    if (r == kOwnerRole && !contains(caller.roles, kOwnerRole)) return GrantVerdict::kOwnerOnly;
  }
  for (const auto& r : changed) {
    if (auto v = checkGrant(caller, r, custom); v != GrantVerdict::kAllowed) return v;
  }
  return GrantVerdict::kAllowed;
}

bool mayManage(const Caller& caller, const std::vector<std::string>& targetRoles,
               const CustomRoles& custom) {
  return std::all_of(targetRoles.begin(), targetRoles.end(), [&](const std::string& r) {
    return checkGrant(caller, r, custom) == GrantVerdict::kAllowed;
  });
}

}  // namespace bakery::handlers::auth
