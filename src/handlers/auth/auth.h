// The `auth` capability: tenants, users, sign-up and log-in, tokens, roles, API keys, audit.
//
// Functions: `auth.api` (every /v1/tenants, /v1/auth/*, /v1/me, /v1/users*, /v1/invitations*,
// /v1/api-keys*, /v1/roles* and /.well-known/* route, each with its own authorization) and
// `auth.authorizer` (the gateway's API-key authorizer: an API Gateway Lambda authorizer,
// payload 2.0, simple responses). Both are Tenancy::kSystem: sign-up, log-in and key checks
// happen before a tenant is known. Everything else they do runs in the caller's tenant.
// See docs/auth.md for the API and the data model.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <bakery/function.h>
#include <bakery/tokens.h>

#include "core/clock.h"
#include "core/password.h"

namespace bakery::handlers::auth {

inline constexpr const char* kAuthorizerFunction = "auth.authorizer";

struct AuthOptions {
  TokenIssuer* issuer = nullptr;       // required; signs access tokens
  const core::Clock* clock = nullptr;  // required
  core::PasswordCost passwordCost;     // Argon2id cost of new hashes (rehash on login)
  std::chrono::seconds refreshTokenLifetime{std::chrono::hours(24 * 30)};
  std::chrono::seconds invitationLifetime{std::chrono::hours(24 * 7)};
  std::chrono::seconds passwordResetLifetime{std::chrono::hours(1)};
  // Sign-ups per source IP per hour.
  int signupsPerIpPerHour = 10;
  // Failed log-ins before lockout: per account, and per source IP (all accounts).
  int accountFailuresBeforeLockout = 5;
  int ipFailuresBeforeLockout = 50;
  // Lockout after the n-th failure past the threshold: base * 2^(n-1), at most max.
  std::chrono::seconds lockoutBase{1};
  std::chrono::seconds lockoutMax{std::chrono::minutes(15)};
};

void wire(FunctionRegistry& registry, AuthOptions options);

}  // namespace bakery::handlers::auth
