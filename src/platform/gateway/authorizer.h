// Authorizer: the gateway step that turns a request's credentials into an Identity and holds
// it against what the route demands (ARCHITECTURE.md, "Tenancy and identity").
//
// Credentials: `Authorization: Bearer <access token>` — our own tokens (verified with the
// key ring's keys) or a trusted OIDC issuer's (verified with its JWKS, fetched and cached,
// refetched on an unknown kid); the issuer is chosen by the token's `iss` and then required
// by the verification — and API keys, in `x-api-key` or as a bearer value that is not a JWT,
// checked by the API-key authorizer function (an API Gateway Lambda authorizer).
//
// Outcomes: no credential where one is needed, or a bad one: 401 UnauthorizedException;
// a valid credential without the route's scopes or roles: 403 AccessDeniedException.
// Verified tokens are cached by their SHA-256 until they expire, so a client repeating its
// token costs one hash and one lookup; API-key verdicts are cached for a few seconds (a
// revoked key stops working within that time). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <bakery/identity.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/jwt.h"
#include "core/result.h"
#include "platform/gateway/http_message.h"
#include "platform/identity/remote_jwks.h"

namespace bakery::gateway {

// An external OIDC issuer whose tokens are accepted for one tenant.
struct TrustedIssuer {
  std::string issuer;    // the `iss` its tokens carry
  std::string jwksUri;   // where its public keys are published
  std::string audience;  // the `aud` required; empty: not checked
  std::string tenant;    // the tenant its users act in
  std::string rolesClaim = "roles";
};

struct AuthorizerOptions {
  std::string issuer;    // our tokens' `iss`
  std::string audience;  // our tokens' `aud`
  std::chrono::seconds leeway{30};
  std::vector<TrustedIssuer> trustedIssuers;
  std::chrono::seconds apiKeyCacheTtl{5};
  std::size_t tokenCacheCapacity = 100'000;
};

// Checks an API key and calls back with the key's identity, or an error (401 for a bad key).
using ApiKeyCheck = std::function<void(const std::string& key, const ServerRequest& request,
                                       const std::string& routeKey,
                                       std::function<void(core::Result<Identity>)> done)>;

class Authorizer {
 public:
  using LocalKeys = std::function<std::shared_ptr<const core::jwt::KeySet>()>;
  using Done = std::function<void(core::Result<std::optional<Identity>>)>;

  Authorizer(AuthorizerOptions options, LocalKeys localKeys, identity::HttpFetch fetch,
             const core::Clock& clock);
  ~Authorizer();

  // Without one, API keys are refused (401).
  void setApiKeyCheck(ApiKeyCheck check) { apiKeyCheck_ = std::move(check); }

  // `done` gets nullopt for a public route, the caller's Identity when the route's demands
  // are met, or the 401/403 error. It runs on this thread for tokens, possibly on another
  // for API keys.
  void authorize(const ServerRequest& request, const std::string& routeKey,
                 const Authorization& authorization, Done done);

  // A bearer token's Identity, or a 401 error saying what was wrong.
  core::Result<Identity> verifyToken(std::string_view token);

  // Fetches every trusted issuer's keys now (at start-up), so the first request does not
  // wait for them; an issuer that cannot be reached is fetched again on demand.
  void prefetchTrustedKeys();

 private:
  struct Cache;
  struct Issuer;
  core::Result<Identity> verifyUncached(std::string_view token,
                                        std::chrono::system_clock::time_point& expiresAt);

  AuthorizerOptions options_;
  LocalKeys localKeys_;
  const core::Clock& clock_;
  std::vector<std::unique_ptr<Issuer>> trusted_;
  std::unique_ptr<Cache> tokens_;
  std::unique_ptr<Cache> apiKeys_;
  ApiKeyCheck apiKeyCheck_;
};

// The Identity in an API-key authorizer function's simple response
// (`{"isAuthorized": true, "context": {"tenant", "subject", "scopes", "roles"}}`), or 401.
core::Result<Identity> apiKeyIdentity(const json::value& response);

// What a missing/invalid credential (401) or an insufficient one (403) adds to the response:
// RFC 6750's WWW-Authenticate challenge.
std::string bearerChallenge(const core::Error& error);

}  // namespace bakery::gateway
