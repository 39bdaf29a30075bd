// Accounts: sign-up (a tenant and its first owner), log-in, the caller's own view, password
// reset, and the discovery documents.
//
// Log-in answers one 401 InvalidCredentialsException whether the tenant, the user or the
// password is wrong, or the user is disabled, and does the same work in every case: an
// unknown account verifies the password against the hasher's decoy hash. Lockouts are
// checked before any password is verified.
#include <chrono>
#include <string>

#include "core/email_address.h"
#include "core/encoding.h"
#include "core/random.h"
#include "handlers/auth/audit.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"
#include "handlers/auth/throttle.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::Condition;
using table::S;
using table::TransactionAction;
using table::Update;

namespace {

constexpr StringRule kNameRule{.minChars = 1, .maxChars = 100, .maxBytes = 400};
constexpr StringRule kSlugRule{.minChars = 1, .maxChars = 63, .maxBytes = 63};
// Passwords are taken verbatim (any character); the policy applies to new ones only.
constexpr StringRule kPasswordRule{.minChars = 1,
                                   .maxChars = kMaxPasswordBytes,
                                   .maxBytes = kMaxPasswordBytes,
                                   .allowControl = true};
constexpr StringRule kTokenRule{.minChars = 1, .maxChars = 128, .maxBytes = 128};
constexpr int kResetsPerAccountPerHour = 5;

core::Error invalidCredentials() {
  return core::Error("InvalidCredentialsException", 401, "Invalid credentials");
}

std::int64_t millisOf(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool isValidSlug(std::string_view s) {
  if (s.size() < 3 || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

// The tenant id a slug names, if any (system scope).
core::Result<std::optional<std::string>> resolveTenant(Call& call, const std::string& slug) {
  auto got =
      call.systemTables().open(kTenantsTable)->get({{"slug", S(slug)}}, {.consistent = true});
  if (!got) return got.error();
  if (!*got) return std::optional<std::string>();
  return std::optional<std::string>(str(**got, "tenantId"));
}

core::Result<std::optional<User>> findUserByEmail(table::Tables& tables,
                                                  const std::string& skeleton) {
  auto index =
      tables.open(kUserEmailsTable)->get({{"skeleton", S(skeleton)}}, {.consistent = true});
  if (!index) return index.error();
  if (!*index) return std::optional<User>();
  return loadUser(tables, str(**index, "userId"));
}

json::value storageFailure(Call& call, std::string_view what, const core::Error& e) {
  if (e.status() < 500 && e.type() != "ResourceNotFoundException") return call.fail(e);
  return call.internal(what, e);
}

}  // namespace

json::value signUp(Call& call) {
  auto body = readBody(call, {"name", "slug", "owner"});
  if (!body) return call.fail(body.error());
  auto name = requiredString(*body, "name", {}, kNameRule);
  if (!name) return call.fail(name.error());
  auto slug = requiredString(*body, "slug", {}, kSlugRule);
  if (!slug) return call.fail(slug.error());
  if (!isValidSlug(*slug)) {
    return call.fail(core::Error::validation(
        "slug must be 3 to 63 lower-case letters, digits or inner hyphens", "slug"));
  }
  auto ownerIt = body->find("owner");
  if (ownerIt == body->end() || !ownerIt->value().is_object()) {
    return call.fail(core::Error::validation("owner must be an object", "owner"));
  }
  const json::object& owner = ownerIt->value().get_object();
  for (const auto& kv : owner) {
    if (kv.key() != "email" && kv.key() != "password" && kv.key() != "name") {
      std::string field = "owner." + std::string(kv.key().substr(0, 64));
      return call.fail(core::Error::validation("Unknown field '" + field + "'", field));
    }
  }
  auto email = emailField(owner, "email", "owner.email");
  if (!email) return call.fail(email.error());
  auto password = requiredString(owner, "password", "owner.password", kPasswordRule);
  if (!password) return call.fail(password.error());
  if (auto policy =
          checkPasswordPolicy(*password, call.services().commonPasswords, "owner.password");
      !policy) {
    return call.fail(policy.error());
  }
  auto ownerName = requiredString(owner, "name", "owner.name", kNameRule);
  if (!ownerName) return call.fail(ownerName.error());

  // The per-IP limit counts every well-formed attempt, taken slugs included (enumerating
  // slugs is as limited as creating tenants).
  auto throttle = call.systemTables().open(kThrottleTable);
  auto count = countInWindow(*throttle, "signup-ip#" + std::string(call.sourceIp()),
                             millisOf(call.now()), std::chrono::hours(1));
  if (!count) return call.internal("counting sign-ups failed", count.error());
  if (count->count > call.options().signupsPerIpPerHour) {
    return call.throttled(count->remaining, "Too many sign-ups from this address; retry later");
  }

  auto hash = call.services().hasher.hash(*password);
  if (!hash) return call.internal("hashing a password failed", hash.error());
  std::string tenant = newId("tn_", 10);
  User user{.id = newId("usr_", 12),
            .email = email->normalized,
            .skeleton = email->skeleton,
            .name = *ownerName,
            .passwordHash = std::move(*hash),
            .roles = {std::string(kOwnerRole)},
            .createdAt = isoTime(call.now())};
  auto access = signAccessToken(call, tenant, user, {});
  if (!access) return call.fail(access.error());

  // A taken slug is answered before anything is written (the race is settled below).
  auto existing = call.systemTables().open(kTenantsTable)->get({{"slug", S(*slug)}});
  if (!existing) return call.internal("reading a slug failed", existing.error());
  if (*existing) return call.fail(core::Error::conflict("ConflictException", "slug taken"));

  // Two scopes, two commits, and the slug's claim is the commit point. First the tenant's own
  // records (profile, owner, email index, session family, audit): until the slug names the
  // tenant, nothing can reach them. Then, in one system-scope transaction, the slug's claim
  // and the refresh token's record. A crash between the two leaves an unreachable tenant and
  // a free slug, never a slug that names no tenant; losing the race for the slug likewise.
  NewSession session = prepareSession(call, tenant, user);
  AttributeMap profile{
      {"id", S(kProfileId)}, {"tenantId", S(tenant)},          {"slug", S(*slug)},
      {"name", S(*name)},    {"createdAt", S(user.createdAt)}, {"enabledOwners", numberValue(1)}};
  auto done = commitAudited(
      call, tenant,
      {TransactionAction::put(kTenantProfileTable, std::move(profile)),
       TransactionAction::put(kUsersTable, userItem(user), Condition::notExists(attr("userId"))),
       TransactionAction::put(kUserEmailsTable,
                              {{"skeleton", S(user.skeleton)}, {"userId", S(user.id)}},
                              Condition::notExists(attr("skeleton"))),
       std::move(session.family)},
      {.action = "tenant_signed_up",
       .actor = user.id,
       .target = user.id,
       .detail = json::object{{"slug", *slug}, {"userId", user.id}}});
  if (!done) return call.internal("creating a tenant failed", done.error());
  auto claimed =
      call.systemTables().transactWrite({TransactionAction::put(kTenantsTable,
                                                                {{"slug", S(*slug)},
                                                                 {"tenantId", S(tenant)},
                                                                 {"name", S(*name)},
                                                                 {"createdAt", S(user.createdAt)}},
                                                                Condition::notExists(attr("slug"))),
                                         std::move(session.record)});
  if (!claimed) {
    if (isConditionFailure(claimed.error())) {
      return call.fail(core::Error::conflict("ConflictException", "slug taken"));
    }
    return call.internal("claiming a slug failed", claimed.error());
  }
  json::object out = tokenPair(call, std::move(*access), std::move(session.refreshToken));
  out["tenant"] =
      json::object{{"id", tenant}, {"slug", *slug}, {"name", *name}, {"createdAt", user.createdAt}};
  out["user"] =
      json::object{{"id", user.id}, {"email", user.email}, {"roles", jsonStrings(user.roles)}};
  return call.respond(201, out);
}

json::value login(Call& call) {
  auto body = readBody(call, {"tenant", "email", "password"});
  if (!body) return call.fail(body.error());
  auto slug = requiredString(*body, "tenant", {}, kSlugRule);
  if (!slug) return call.fail(slug.error());
  auto email = emailField(*body, "email", {});
  if (!email) return call.fail(email.error());
  auto password = requiredString(*body, "password", {}, kPasswordRule);
  if (!password) return call.fail(password.error());

  const AuthOptions& o = call.options();
  std::int64_t nowMs = millisOf(call.now());
  auto throttle = call.systemTables().open(kThrottleTable);
  std::string accountKey = accountThrottleKey(*slug, email->skeleton);
  std::string ipKey = ipThrottleKey(call.sourceIp());
  for (const std::string* key : {&ipKey, &accountKey}) {
    auto locked = lockedFor(*throttle, *key, nowMs);
    if (!locked) return call.internal("reading a throttle failed", locked.error());
    if (*locked) return call.throttled(**locked, "Too many failed log-ins; retry later");
  }

  auto tenant = resolveTenant(call, *slug);
  if (!tenant) return call.internal("resolving a tenant failed", tenant.error());
  // An unknown tenant costs what a known one does (a user lookup here, an audit write below),
  // in the system scope, so that its failures take the same time as any other and land in
  // the operator's audit trail. No user can live in the system scope.
  std::string scope = *tenant ? **tenant : std::string();
  std::optional<User> user;
  auto found =
      findUserByEmail(*tenant ? call.tenantTables(scope) : call.systemTables(), email->skeleton);
  if (!found) return call.internal("reading a user failed", found.error());
  if (*tenant) user = std::move(*found);
  const core::PasswordHasher& hasher = call.services().hasher;
  bool passwordOk = hasher.verify(user ? user->passwordHash : hasher.decoy(), *password);

  if (!passwordOk || !user || user->disabled) {
    auto accountLock = recordFailure(*throttle, accountKey, nowMs, o.accountFailuresBeforeLockout,
                                     o.lockoutBase, o.lockoutMax);
    if (!accountLock) return call.internal("counting a failure failed", accountLock.error());
    auto ipLock = recordFailure(*throttle, ipKey, nowMs, o.ipFailuresBeforeLockout, o.lockoutBase,
                                o.lockoutMax);
    if (!ipLock) return call.internal("counting a failure failed", ipLock.error());
    std::string reason = !*tenant ? "unknown_tenant"
                         : !user  ? "unknown_user"
                                  : (!passwordOk ? "bad_password" : "disabled");
    std::string target = user ? user->id : std::string();
    auto audited = commitAudited(
        call, scope, {},
        {.action = "login_failed", .target = target, .detail = json::object{{"reason", reason}}});
    if (!audited) return call.internal("auditing a failed log-in failed", audited.error());
    if (*accountLock || *ipLock) {
      auto lockout = std::max(accountLock->value_or(std::chrono::seconds(0)),
                              ipLock->value_or(std::chrono::seconds(0)));
      auto locked =
          commitAudited(call, scope, {},
                        {.action = "lockout",
                         .target = target,
                         .detail = json::object{{"scope", *accountLock ? "account" : "source_ip"},
                                                {"seconds", lockout.count()}}});
      if (!locked) return call.internal("auditing a lockout failed", locked.error());
    }
    return call.fail(invalidCredentials());
  }

  if (auto reset = resetCounter(*throttle, accountKey); !reset) {
    return call.internal("resetting a throttle failed", reset.error());
  }
  table::Tables& tables = call.tenantTables(**tenant);
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());
  auto access = signAccessToken(call, **tenant, *user, *custom);
  if (!access) return call.fail(access.error());
  auto session = startSession(call, **tenant, *user);
  if (!session) return call.internal("starting a session failed", session.error());
  std::vector<TransactionAction> actions{std::move(session->family)};
  bool rehashed = false;
  if (hasher.needsRehash(user->passwordHash)) {
    if (auto fresh = hasher.hash(*password)) {
      actions.push_back(
          TransactionAction::updateItem(kUsersTable, userKey(user->id),
                                        Update()
                                            .set(attr("passwordHash"), S(std::move(*fresh)))
                                            .add(attr("version"), numberValue(1)),
                                        attr("version") == numberValue(user->version)));
      rehashed = true;
    }
  }
  auto done = commitAudited(call, **tenant, actions,
                            {.action = "login_succeeded",
                             .actor = user->id,
                             .target = user->id,
                             .detail = json::object{{"rehashed", rehashed}}});
  if (!done) {
    // A concurrent change of the user beat the rehash: log in without it.
    if (rehashed && isConditionFailure(done.error())) {
      actions.pop_back();
      done = commitAudited(call, **tenant, actions,
                           {.action = "login_succeeded",
                            .actor = user->id,
                            .target = user->id,
                            .detail = json::object{{"rehashed", false}}});
    }
    if (!done) return call.internal("recording a log-in failed", done.error());
  }
  return call.respond(200, tokenPair(call, std::move(*access), std::move(session->refreshToken)));
}

json::value me(Call& call) {
  const Identity* id = call.identity();
  if (id == nullptr) {
    return call.fail(core::Error("UnauthorizedException", 401, "Unauthorized"));
  }
  table::Tables& tables = call.ctx().tables();
  auto profile = loadProfile(tables);
  if (!profile) return call.internal("reading the tenant failed", profile.error());
  json::object out{{"roles", jsonStrings(id->roles)}, {"scopes", jsonStrings(id->scopes)}};
  out["tenant"] = *profile ? json::value(tenantView(**profile)) : json::value(nullptr);
  out["user"] = nullptr;
  if (id->source == Identity::Source::kApiKey) {
    out["apiKey"] = json::object{{"id", id->subject}};
  } else {
    auto user = loadUser(tables, id->subject);
    if (!user) return call.internal("reading a user failed", user.error());
    if (*user) out["user"] = userView(**user);
  }
  return call.respond(200, out);
}

json::value requestPasswordReset(Call& call) {
  auto body = readBody(call, {"tenant", "email"});
  if (!body) return call.fail(body.error());
  auto slug = requiredString(*body, "tenant", {}, kSlugRule);
  if (!slug) return call.fail(slug.error());
  auto email = emailField(*body, "email", {});
  if (!email) return call.fail(email.error());

  // The same reads and the same counter write whether or not the account exists.
  auto throttle = call.systemTables().open(kThrottleTable);
  auto count = countInWindow(*throttle, "reset-account#" + *slug + "#" + email->skeleton,
                             millisOf(call.now()), std::chrono::hours(1));
  if (!count) return call.internal("counting resets failed", count.error());
  auto tenant = resolveTenant(call, *slug);
  if (!tenant) return call.internal("resolving a tenant failed", tenant.error());
  std::optional<User> user;
  if (*tenant) {
    auto found = findUserByEmail(call.tenantTables(**tenant), email->skeleton);
    if (!found) return call.internal("reading a user failed", found.error());
    user = std::move(*found);
  }
  std::string token = core::randomToken(32);
  std::string tokenHash = core::sha256Hex(token);
  auto expires = call.now() + call.options().passwordResetLifetime;
  std::int64_t expiresSeconds = call.nowSeconds() + call.options().passwordResetLifetime.count();

  if (user && !user->disabled && count->count <= kResetsPerAccountPerHour) {
    auto delivered =
        commitDelivery(call,
                       TransactionAction::put(kOneTimeTokensTable,
                                              {{"tokenHash", S(tokenHash)},
                                               {"kind", S("password_reset")},
                                               {"tenant", S(**tenant)},
                                               {"userId", S(user->id)},
                                               {"slug", S(*slug)},
                                               {"skeleton", S(user->skeleton)},
                                               {"expiresAt", numberValue(expiresSeconds)},
                                               {kTtlAttribute, numberValue(expiresSeconds)}},
                                              Condition::notExists(attr("tokenHash"))),
                       "password_reset_requested",
                       json::object{{"tenant", **tenant},
                                    {"userId", user->id},
                                    {"token", token},
                                    {"email", user->email},
                                    {"expiresAt", isoTime(expires)}});
    if (!delivered) return call.internal("storing a reset token failed", delivered.error());
    auto done = commitAudited(call, **tenant, {},
                              {.action = "password_reset_requested",
                               .target = user->id,
                               .detail = json::object{{"userId", user->id}}});
    if (!done) return call.internal("recording a reset failed", done.error());
  }
  return call.respond(202, json::object{{"status", "accepted"}});
}

json::value confirmPasswordReset(Call& call) {
  auto body = readBody(call, {"token", "newPassword"});
  if (!body) return call.fail(body.error());
  auto token = requiredString(*body, "token", {}, kTokenRule);
  if (!token) return call.fail(token.error());
  auto password = requiredString(*body, "newPassword", {}, kPasswordRule);
  if (!password) return call.fail(password.error());
  core::Error invalid("InvalidTokenException", 400, "The token is invalid, expired or used",
                      "token");

  auto tokens = call.systemTables().open(kOneTimeTokensTable);
  AttributeMap key{{"tokenHash", S(core::sha256Hex(*token))}};
  auto got = tokens->get(key, {.consistent = true});
  if (!got) return call.internal("reading a token failed", got.error());
  if (!*got || str(**got, "kind") != "password_reset" ||
      num(**got, "expiresAt") <= call.nowSeconds()) {
    return call.fail(invalid);
  }
  if (auto policy = checkPasswordPolicy(*password, call.services().commonPasswords, "newPassword");
      !policy) {
    return call.fail(policy.error());
  }
  auto hash = call.services().hasher.hash(*password);
  if (!hash) return call.internal("hashing a password failed", hash.error());

  const AttributeMap& record = **got;
  std::string tenant = str(record, "tenant");
  std::string userId = str(record, "userId");
  auto consumed = tokens->remove(key, {.condition = attr("kind") == S("password_reset")});
  if (!consumed) {
    if (isConditionFailure(consumed.error())) return call.fail(invalid);
    return call.internal("consuming a token failed", consumed.error());
  }
  auto done = commitAudited(
      call, tenant,
      {TransactionAction::updateItem(kUsersTable, userKey(userId),
                                     Update()
                                         .set(attr("passwordHash"), S(std::move(*hash)))
                                         .add(attr("generation"), numberValue(1))
                                         .add(attr("version"), numberValue(1)),
                                     Condition::exists(attr("userId")))},
      {.action = "password_reset_completed",
       .actor = userId,
       .target = userId,
       .detail = json::object{{"userId", userId}}});
  if (!done) {
    if (isConditionFailure(done.error())) return call.fail(invalid);
    return storageFailure(call, "completing a reset failed", done.error());
  }
  // A fresh password lifts the account's lockout.
  (void)resetCounter(*call.systemTables().open(kThrottleTable),
                     accountThrottleKey(str(record, "slug"), str(record, "skeleton")));
  return call.noContent();
}

json::value jwks(Call& call) {
  return HttpResponse(200)
      .header("cache-control", "public, max-age=300")
      .jsonBody(call.options().issuer->jwks())
      .toJson();
}

json::value openIdConfiguration(Call& call) {
  std::string_view host = call.http().header("host").value_or("");
  bool hostOk =
      !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
      });
  if (!hostOk) return call.fail(core::Error::validation("The host header is not valid", "host"));
  std::string_view proto = call.http().header("x-forwarded-proto").value_or("https");
  // A proxy chain joins its values with commas: the first is what the client used.
  proto = proto.substr(0, proto.find(','));
  if (proto != "http" && proto != "https") proto = "https";
  std::string base = std::string(proto) + "://" + std::string(host);
  TokenIssuer& issuer = *call.options().issuer;
  json::array scopes;
  for (auto s : knownScopes()) scopes.emplace_back(s);
  json::object doc{{"issuer", issuer.issuer()},
                   {"jwks_uri", base + "/.well-known/jwks.json"},
                   {"token_endpoint", base + "/v1/auth/login"},
                   {"id_token_signing_alg_values_supported", json::array{issuer.algorithm()}},
                   {"response_types_supported", json::array{"token"}},
                   {"subject_types_supported", json::array{"public"}},
                   {"grant_types_supported", json::array{"password", "refresh_token"}},
                   {"token_endpoint_auth_methods_supported", json::array{"none"}},
                   {"scopes_supported", std::move(scopes)},
                   {"claims_supported", json::array{"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
                                                    "tenant", "roles", "scope"}}};
  return HttpResponse(200).header("cache-control", "public, max-age=300").jsonBody(doc).toJson();
}

}  // namespace bakery::handlers::auth::detail
