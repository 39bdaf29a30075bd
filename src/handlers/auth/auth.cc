#include "handlers/auth/auth.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "handlers/auth/audit.h"
#include "handlers/auth/call.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth {
namespace {

using detail::Call;
using detail::Services;
using RouteHandler = json::value (*)(Call&);

struct RouteEntry {
  const char* key;
  Authorization authorization;
  RouteHandler handler;
};

std::vector<RouteEntry> routeTable() {
  using A = Authorization;
  namespace d = detail;
  return {
      {"POST /v1/tenants", A::none(), d::signUp},
      {"POST /v1/auth/login", A::none(), d::login},
      {"POST /v1/auth/refresh", A::none(), d::refresh},
      {"POST /v1/auth/logout", A::none(), d::logout},
      {"POST /v1/auth/logout-all", A::token(), d::logoutAll},
      {"POST /v1/auth/password-reset", A::none(), d::requestPasswordReset},
      {"POST /v1/auth/password-reset/confirm", A::none(), d::confirmPasswordReset},
      {"GET /v1/me", A::apiKeyOrToken(), d::me},
      {"GET /v1/users", A::token({"users:read"}), d::listUsers},
      {"POST /v1/users/invitations", A::token({"users:invite"}), d::inviteUser},
      {"POST /v1/invitations/accept", A::none(), d::acceptInvitation},
      {"PATCH /v1/users/{id}", A::token({"users:write"}), d::patchUser},
      {"DELETE /v1/users/{id}", A::token({"users:write"}), d::deleteUser},
      {"POST /v1/api-keys", A::token({"apikeys:write"}), d::createApiKey},
      {"GET /v1/api-keys", A::token({"apikeys:read"}), d::listApiKeys},
      {"DELETE /v1/api-keys/{id}", A::token({"apikeys:write"}), d::revokeApiKey},
      {"GET /v1/roles", A::token({"users:read"}), d::listRoles},
      {"PUT /v1/roles/{name}", A::token({"roles:write"}), d::putRole},
      {"DELETE /v1/roles/{name}", A::token({"roles:write"}), d::deleteRole},
      {"GET /v1/audit", A::token({"audit:read"}), d::listAudit},
      {"GET /.well-known/jwks.json", A::none(), d::jwks},
      {"GET /.well-known/openid-configuration", A::none(), d::openIdConfiguration},
  };
}

}  // namespace

void wire(FunctionRegistry& registry, AuthOptions options) {
  if (options.issuer == nullptr || options.clock == nullptr) {
    throw std::invalid_argument("auth: AuthOptions.issuer and AuthOptions.clock are required");
  }
  for (auto& spec : detail::tableSpecs()) registry.addTable(std::move(spec));
  auto services = std::make_shared<const Services>(options);

  std::vector<RouteEntry> entries = routeTable();
  // Route key -> handler, and whether the route needs an identity.
  auto handlers =
      std::make_shared<std::map<std::string, std::pair<RouteHandler, bool>, std::less<>>>();
  std::vector<Route> routes;
  for (auto& e : entries) {
    handlers->emplace(e.key, std::make_pair(e.handler, !e.authorization.isPublic));
    routes.emplace_back(e.key, std::move(e.authorization));
  }

  registry.add(FunctionSpec{
      .name = "auth.api",
      .description = "Tenants, users, sign-up and log-in, tokens, roles, API keys and audit.",
      .handler = [services, handlers](json::value event, Context& ctx) -> json::value {
        Call call(event, ctx, *services);
        auto it = handlers->find(call.http().routeKey());
        if (it == handlers->end()) {
          return call.fail(core::Error::notFound("No such route"));
        }
        auto [handler, needsIdentity] = it->second;
        // The gateway authorizes these routes; without an identity nothing is served.
        if (needsIdentity && call.identity() == nullptr) {
          return call.fail(core::Error("UnauthorizedException", 401, "Unauthorized"));
        }
        return handler(call);
      },
      .routes = std::move(routes),
      // Log-in and sign-up verify or compute an Argon2id hash (about 50 ms each).
      .timeout = std::chrono::seconds(10),
      .tenancy = Tenancy::kSystem,
  });

  registry.add(FunctionSpec{
      .name = kAuthorizerFunction,
      .description = "The gateway's API-key authorizer (payload 2.0, simple responses).",
      .handler = [services](json::value event, Context& ctx) -> json::value {
        return detail::authorizeApiKey(event, ctx, *services);
      },
      .timeout = std::chrono::seconds(3),
      .tenancy = Tenancy::kSystem,
  });
}

}  // namespace bakery::handlers::auth
