// Call: one request to `auth.api` as the route handlers see it, and the services they share.
//
// The handlers are free functions over a Call (one per concern: accounts, sessions, users,
// API keys, roles); auth.cc dispatches on the route key. A Call lives for one invocation on
// one thread; Services are built once by wire() and shared read-only by every invocation.
//
// Tenancy: `auth.api` is a Tenancy::kSystem function. On routes with an identity, tenant
// data is read and written through ctx.tables() / ctx.bus() only (the caller's tenant, so
// another tenant's users are simply not found). On public routes the tenant is resolved from
// our own records (a slug, a stored token) and reached through ctx.tablesOf(tenant); the
// system scope ("") holds the cross-tenant indexes.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bakery/context.h>
#include <bakery/http.h>
#include <bakery/identity.h>

#include "core/email_address.h"
#include "core/json.h"
#include "core/password.h"
#include "core/result.h"
#include "handlers/auth/auth.h"
#include "handlers/auth/passwords.h"

namespace bakery::handlers::auth::detail {

// Request bodies larger than this are refused (413) before they are parsed.
inline constexpr std::size_t kMaxBodyBytes = 16 * 1024;

struct Services {
  explicit Services(AuthOptions o)
      : options(o), hasher(o.passwordCost), commonPasswords(CommonPasswordList::bundled()) {}

  AuthOptions options;
  core::PasswordHasher hasher;
  CommonPasswordList commonPasswords;
};

class Call {
 public:
  Call(const json::value& event, Context& ctx, const Services& services);

  const HttpRequest& http() const { return http_; }
  const json::value& event() const { return event_; }
  Context& ctx() { return ctx_; }
  const Services& services() const { return services_; }
  const AuthOptions& options() const { return services_.options; }
  // The time of this request, read once so every record of it agrees.
  std::chrono::system_clock::time_point now() const { return now_; }
  std::int64_t nowSeconds() const;
  std::string_view sourceIp() const { return sourceIp_; }
  const Identity* identity() const { return ctx_.identity(); }

  // The tenant scope of a tenant this request resolved from our own records (public routes),
  // or the caller's scope when `tenant` is the caller's.
  table::Tables& tenantTables(std::string_view tenant);
  Bus& tenantBus(std::string_view tenant);
  table::Tables& systemTables() { return ctx_.tablesOf(""); }

  // Responses.
  json::value respond(int status, const json::value& body) const;
  json::value noContent() const;
  json::value fail(const core::Error& error) const;
  // 429 TooManyRequestsException with Retry-After (whole seconds, at least 1).
  json::value throttled(std::chrono::seconds retryAfter, std::string message) const;
  // Logs the detail of an unexpected failure and answers a generic 500.
  json::value internal(std::string_view what, const core::Error& error);

 private:
  const json::value& event_;
  HttpRequest http_;
  Context& ctx_;
  const Services& services_;
  std::chrono::system_clock::time_point now_;
  std::string sourceIp_;
};

// ---- request bodies ----

// The JSON object body: 413 past kMaxBodyBytes, 400 ValidationException naming `body` when it
// is not a JSON object, naming the member when a member is not in `allowed` (unknown members
// are refused so a typo is never silently ignored).
core::Result<json::object> readBody(const Call& call,
                                    std::initializer_list<std::string_view> allowed);

struct StringRule {
  std::size_t minChars = 1;    // code points
  std::size_t maxChars = 100;  // code points
  std::size_t maxBytes = 400;
  bool allowControl = false;  // C0 controls and DEL
};

// A string member (the field is named `path`, e.g. `owner.email`). nullopt when absent and
// not required.
core::Result<std::optional<std::string>> stringField(const json::object& body,
                                                     std::string_view name, std::string_view path,
                                                     const StringRule& rule, bool required);
core::Result<std::string> requiredString(const json::object& body, std::string_view name,
                                         std::string_view path, const StringRule& rule);
// An array of distinct strings, each at most `maxItemBytes`; nullopt when absent.
core::Result<std::optional<std::vector<std::string>>> stringListField(const json::object& body,
                                                                      std::string_view name,
                                                                      std::size_t maxItems,
                                                                      std::size_t maxItemBytes);
core::Result<std::optional<bool>> boolField(const json::object& body, std::string_view name);
// A required e-mail address member, normalized (core::normalizeEmail); errors name `path`, or
// `name` when `path` is empty.
core::Result<core::EmailAddress> emailField(const json::object& body, std::string_view name,
                                            std::string_view path);
// The `scopes` member of a request that gives scopes to a `carrier` ("key", "role"): at least
// one, each known (400 ValidationException), and all held by the caller (403
// AccessDeniedException), so that nobody hands out access they lack.
core::Result<std::vector<std::string>> scopesField(const json::object& body,
                                                   const std::vector<std::string>& callerScopes,
                                                   std::string_view carrier);

// ---- pagination ----

struct PageRequest {
  std::int64_t limit = 50;
  std::optional<table::AttributeMap> startKey;
};
// `limit` (1-100, default 50) and `nextToken` from the query string; the token is opaque to
// clients: base64url of the last key's string attributes named in `keyNames`.
core::Result<PageRequest> readPage(const Call& call,
                                   std::initializer_list<std::string_view> keyNames);
std::optional<std::string> encodeNextToken(const std::optional<table::AttributeMap>& lastKey);

}  // namespace bakery::handlers::auth::detail
