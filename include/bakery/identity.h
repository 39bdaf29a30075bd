// Identity and Authorization: who is calling, and what a route demands of the caller.
//
// The gateway's authorizer turns a bearer access token (ours, or one from a trusted OIDC
// issuer) or an API key into an Identity before the function runs; the function reads it
// from Context::identity(), and its table and bus handles are scoped to identity.tenant.
// A route declares its Authorization next to its key; a route that declares none requires a
// valid token (secure by default: public routes say so in code).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakery {

struct Identity {
  enum class Source { kToken, kApiKey };

  std::string tenant;   // the tenant id every data handle is scoped to
  std::string subject;  // a user id (`sub`), or for an API key the key's id
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  Source source = Source::kToken;
  std::string issuer;  // the token's `iss`; empty for an API key

  bool hasScope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
  bool hasRole(std::string_view role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
  }
};

struct Authorization {
  // Public: no credentials needed (none are read). Otherwise the caller must present an
  // accepted credential that carries every scope in `scopes` and, when `roles` is not empty,
  // at least one of `roles`: missing or invalid credentials are 401, insufficient ones 403.
  bool isPublic = false;
  bool acceptTokens = true;    // `Authorization: Bearer <access token>`
  bool acceptApiKeys = false;  // `x-api-key: <key>` or `Authorization: Bearer <key>`
  std::vector<std::string> scopes;
  std::vector<std::string> roles;

  static Authorization none() {
    Authorization a;
    a.isPublic = true;
    return a;
  }
  // Any valid access token carrying these scopes.
  static Authorization token(std::vector<std::string> scopes = {}) {
    Authorization a;
    a.scopes = std::move(scopes);
    return a;
  }
  // Any valid access token of a caller holding one of these roles.
  static Authorization anyRole(std::vector<std::string> roles) {
    Authorization a;
    a.roles = std::move(roles);
    return a;
  }
  // An API key or an access token carrying these scopes.
  static Authorization apiKeyOrToken(std::vector<std::string> scopes = {}) {
    Authorization a;
    a.acceptApiKeys = true;
    a.scopes = std::move(scopes);
    return a;
  }
};

// One HTTP trigger: `METHOD /path/{param}`, `ANY /path/{proxy+}` or `$default`, and what it
// demands of the caller. Converts from the bare key for routes that need only a valid token.
struct Route {
  Route(const char* routeKey) : key(routeKey) {}  // NOLINT(google-explicit-constructor)
  Route(std::string routeKey)                     // NOLINT(google-explicit-constructor)
      : key(std::move(routeKey)) {}
  Route(std::string routeKey, Authorization demands)
      : key(std::move(routeKey)), authorization(std::move(demands)) {}

  std::string key;
  Authorization authorization;
};

}  // namespace bakery
