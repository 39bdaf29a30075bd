// Sessions: access tokens (signed by the platform's TokenIssuer) and refresh tokens.
//
// A refresh token is opaque (`rt_` + 32 random bytes, base64url) and stored only as its
// SHA-256 in the system scope's `auth-refresh-tokens` (the caller of /v1/auth/refresh names
// no tenant). Each belongs to a family (`auth-sessions`, tenant scope) started at log-in.
// Using a token spends it and issues the next one of its family in one conditional
// transaction; presenting a spent token again means it was stolen or replayed, so the whole
// family is revoked. A family also dies when the user's session generation moves on.
#include <string>

#include "core/encoding.h"
#include "core/random.h"
#include "handlers/auth/audit.h"
#include "handlers/auth/model.h"
#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::AttributeMap;
using table::AttributeValue;
using table::S;
using table::TransactionAction;
using table::Update;

namespace {

constexpr std::size_t kMaxRefreshTokenBytes = 128;

core::Error invalidRefreshToken() {
  return core::Error("InvalidTokenException", 401, "The refresh token is not valid");
}

std::string newRefreshToken() { return "rt_" + core::randomToken(32); }

AttributeMap refreshRecord(const Call& call, const std::string& hash, const std::string& tenant,
                           const std::string& familyId, const std::string& userId) {
  std::int64_t expires = call.nowSeconds() + call.options().refreshTokenLifetime.count();
  return {{"tokenHash", S(hash)},
          {"tenant", S(tenant)},
          {"familyId", S(familyId)},
          {"userId", S(userId)},
          {"expiresAt", numberValue(expires)},
          {"spent", AttributeValue::boolean(false)},
          {kTtlAttribute, numberValue(expires)}};
}

// The refresh token named by the body's `refreshToken`: its record, or nullopt when it is not
// one of ours or has expired.
core::Result<std::optional<AttributeMap>> findRefreshToken(Call& call) {
  auto body = readBody(call, {"refreshToken"});
  if (!body) return body.error();
  auto token = requiredString(
      *body, "refreshToken", {},
      {.minChars = 1, .maxChars = kMaxRefreshTokenBytes, .maxBytes = kMaxRefreshTokenBytes});
  if (!token) return token.error();
  if (!token->starts_with("rt_")) return std::optional<AttributeMap>();
  auto got = call.systemTables()
                 .open(kRefreshTokensTable)
                 ->get({{"tokenHash", S(core::sha256Hex(*token))}}, {.consistent = true});
  if (!got) return got.error();
  if (!*got || num(**got, "expiresAt") <= call.nowSeconds()) return std::optional<AttributeMap>();
  return got;
}

TransactionAction revokeFamilyAction(const std::string& familyId) {
  return TransactionAction::updateItem(kSessionsTable, {{"familyId", S(familyId)}},
                                       Update().set(attr("revoked"), AttributeValue::boolean(true)),
                                       table::Condition::exists(attr("familyId")));
}

// Revokes a family whose spent token came back, and records it.
json::value onReuse(Call& call, const AttributeMap& record) {
  std::string tenant = str(record, "tenant");
  std::string familyId = str(record, "familyId");
  auto done = commitAudited(
      call, tenant, {revokeFamilyAction(familyId)},
      {.action = "refresh_token_reused",
       .target = str(record, "userId"),
       .detail = json::object{{"userId", str(record, "userId")}, {"familyId", familyId}}});
  if (!done && !isConditionFailure(done.error())) {
    return call.internal("revoking a reused refresh token family failed", done.error());
  }
  return call.fail(invalidRefreshToken());
}

}  // namespace

NewSession prepareSession(Call& call, const std::string& tenant, const User& user) {
  std::string familyId = newId("fam_", 12);
  std::string token = newRefreshToken();
  std::int64_t ttl = call.nowSeconds() + call.options().refreshTokenLifetime.count();
  AttributeMap family{{"familyId", S(familyId)},
                      {"userId", S(user.id)},
                      {"generation", numberValue(user.generation)},
                      {"revoked", AttributeValue::boolean(false)},
                      {"createdAt", S(isoTime(call.now()))},
                      {kTtlAttribute, numberValue(ttl)}};
  TransactionAction record = TransactionAction::put(
      kRefreshTokensTable, refreshRecord(call, core::sha256Hex(token), tenant, familyId, user.id),
      table::Condition::notExists(attr("tokenHash")));
  return NewSession{std::move(token), TransactionAction::put(kSessionsTable, std::move(family)),
                    std::move(record)};
}

core::Result<NewSession> startSession(Call& call, const std::string& tenant, const User& user) {
  NewSession session = prepareSession(call, tenant, user);
  const TransactionAction& r = session.record;
  auto put = call.systemTables().open(r.table)->put(r.itemOrKey, {.condition = r.condition});
  if (!put) return put.error();
  return session;
}

core::Result<std::string> signAccessToken(Call& call, const std::string& tenant, const User& user,
                                          const CustomRoles& custom) {
  TokenIssuer& issuer = *call.options().issuer;
  std::int64_t now = call.nowSeconds();
  json::array roles;
  for (const auto& r : user.roles) roles.emplace_back(r);
  json::object claims{{"iss", issuer.issuer()},
                      {"sub", user.id},
                      {"aud", issuer.audience()},
                      {"iat", now},
                      {"nbf", now},
                      {"exp", now + issuer.accessTokenLifetime().count()},
                      {"jti", core::randomToken(16)},
                      {"tenant", tenant},
                      {"roles", std::move(roles)},
                      {"scope", joinScopes(scopesOf(user.roles, custom))}};
  return issuer.sign(claims);
}

json::object tokenPair(const Call& call, std::string accessToken, std::string refreshToken) {
  return {{"accessToken", std::move(accessToken)},
          {"refreshToken", std::move(refreshToken)},
          {"tokenType", "Bearer"},
          {"expiresIn", call.options().issuer->accessTokenLifetime().count()}};
}

json::value refresh(Call& call) {
  auto found = findRefreshToken(call);
  if (!found) {
    if (found.error().status() < 500) return call.fail(found.error());
    return call.internal("reading a refresh token failed", found.error());
  }
  if (!*found) return call.fail(invalidRefreshToken());
  const AttributeMap& record = **found;
  if (flag(record, "spent")) return onReuse(call, record);

  std::string tenant = str(record, "tenant");
  std::string familyId = str(record, "familyId");
  table::Tables& tables = call.tenantTables(tenant);
  auto user = loadUser(tables, str(record, "userId"));
  if (!user) return call.internal("reading a user failed", user.error());
  if (!*user || (*user)->disabled) return call.fail(invalidRefreshToken());
  auto family = tables.open(kSessionsTable)->get({{"familyId", S(familyId)}}, {.consistent = true});
  if (!family) return call.internal("reading a session failed", family.error());
  if (!*family || flag(**family, "revoked") || num(**family, "generation") != (*user)->generation) {
    return call.fail(invalidRefreshToken());
  }
  auto custom = loadCustomRoles(tables);
  if (!custom) return call.internal("reading roles failed", custom.error());
  // Signed before anything is spent: a signing failure must not cost the client its session.
  auto access = signAccessToken(call, tenant, **user, *custom);
  if (!access) return call.fail(access.error());

  std::string next = newRefreshToken();
  auto rotated = call.systemTables().transactWrite(
      {TransactionAction::updateItem(kRefreshTokensTable,
                                     {{"tokenHash", S(str(record, "tokenHash"))}},
                                     Update().set(attr("spent"), AttributeValue::boolean(true)),
                                     attr("spent") == AttributeValue::boolean(false)),
       TransactionAction::put(
           kRefreshTokensTable,
           refreshRecord(call, core::sha256Hex(next), tenant, familyId, (*user)->id),
           table::Condition::notExists(attr("tokenHash")))});
  if (!rotated) {
    // Another request spent the token first: that is a reuse too.
    if (failedAction(rotated.error()) == std::size_t{0}) return onReuse(call, record);
    return call.internal("rotating a refresh token failed", rotated.error());
  }
  // Keep the family alive as long as it is used (best effort: its ttl only lets idle ones go).
  std::int64_t ttl = call.nowSeconds() + call.options().refreshTokenLifetime.count();
  (void)tables.open(kSessionsTable)
      ->update({{"familyId", S(familyId)}}, Update().set(attr(kTtlAttribute), numberValue(ttl)),
               {.condition = table::Condition::exists(attr("familyId"))});
  return call.respond(200, tokenPair(call, std::move(*access), std::move(next)));
}

json::value logout(Call& call) {
  auto found = findRefreshToken(call);
  if (!found) {
    if (found.error().status() < 500) return call.fail(found.error());
    return call.internal("reading a refresh token failed", found.error());
  }
  // An unknown or expired token: nothing to end, and nothing to tell.
  if (!*found) return call.noContent();
  const AttributeMap& record = **found;
  std::string tenant = str(record, "tenant");
  std::string userId = str(record, "userId");
  auto done = commitAudited(
      call, tenant, {revokeFamilyAction(str(record, "familyId"))},
      {.action = "logout", .actor = userId, .target = userId, .detail = json::object()});
  if (!done && !isConditionFailure(done.error())) {
    return call.internal("logging out failed", done.error());
  }
  return call.noContent();
}

json::value logoutAll(Call& call) {
  const Identity* id = call.identity();
  if (id == nullptr || id->source != Identity::Source::kToken) {
    return call.fail(core::Error("AccessDeniedException", 403, "Log-out needs a user's token"));
  }
  auto done = commitAudited(
      call, id->tenant,
      {TransactionAction::updateItem(
          kUsersTable, userKey(id->subject),
          Update().add(attr("generation"), numberValue(1)).add(attr("version"), numberValue(1)),
          table::Condition::exists(attr("userId")))},
      {.action = "logout_all",
       .actor = id->subject,
       .target = id->subject,
       .detail = json::object()});
  if (!done) {
    if (isConditionFailure(done.error())) {
      return call.fail(core::Error::notFound("The user no longer exists"));
    }
    return call.internal("logging out everywhere failed", done.error());
  }
  return call.noContent();
}

}  // namespace bakery::handlers::auth::detail
