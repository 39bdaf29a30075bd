#include "platform/gateway/authorizer.h"

#include <array>
#include <unordered_map>

#include <fmt/format.h>

#include "core/crypto.h"
#include "core/mutex.h"

namespace bakery::gateway {
namespace {

// Requests without usable credentials: RFC 6750 answers them with a bare challenge (no error
// code), unlike credentials that were presented and failed.
constexpr std::string_view kMissingCredentials = "Missing credentials";
constexpr std::string_view kNotBearer = "The Authorization header must be 'Bearer <token>'";

core::Error unauthorized(std::string message) {
  return core::Error("UnauthorizedException", 401, std::move(message));
}

core::Error denied(std::string message) {
  return core::Error("AccessDeniedException", 403, std::move(message));
}

// The strings of a JSON array (other elements skipped); empty for anything else.
std::vector<std::string> arrayStrings(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : v->get_array()) {
    if (e.is_string()) out.emplace_back(e.get_string());
  }
  return out;
}

// A claim holding a list: an array of strings, or one space-separated string (`scope`).
std::vector<std::string> stringsOf(const json::value* v) {
  if (!v || !v->is_string()) return arrayStrings(v);
  std::vector<std::string> out;
  std::string_view text = v->get_string();
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t space = text.find(' ', pos);
    if (space == std::string_view::npos) space = text.size();
    if (space > pos) out.emplace_back(text.substr(pos, space - pos));
    pos = space + 1;
  }
  return out;
}

std::string stringClaim(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The unverified `iss` of a compact JWS, only to choose the keys that will verify it (the
// verification then requires that same issuer).
std::optional<std::string> peekIssuer(std::string_view token) {
  std::size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = core::jwt::base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  auto doc = core::parseJson(*payload, "token");
  if (!doc || !doc->is_object()) return std::nullopt;
  return stringClaim(doc->as_object(), "iss");
}

bool looksLikeJwt(std::string_view credential) {
  return std::count(credential.begin(), credential.end(), '.') == 2;
}

core::Result<void> meets(const Identity& identity, const Authorization& authorization) {
  for (const auto& scope : authorization.scopes) {
    if (!identity.hasScope(scope)) {
      return denied(fmt::format("This route requires the scope '{}'", scope));
    }
  }
  if (!authorization.roles.empty()) {
    bool any = false;
    for (const auto& role : authorization.roles) any = any || identity.hasRole(role);
    if (!any) return denied("This route requires another role");
  }
  return {};
}

}  // namespace

// Verdicts by the SHA-256 of the credential, in shards so concurrent requests rarely meet on
// one lock. A full shard first drops what has expired, then everything (the cache is an
// optimisation: a miss costs a verification, never a wrong answer).
struct Authorizer::Cache {
  struct Entry {
    Identity identity;
    std::chrono::system_clock::time_point expiresAt;
  };
  struct Shard {
    core::Mutex mu;
    std::unordered_map<std::string, Entry> entries GUARDED_BY(mu);
  };
  explicit Cache(std::size_t capacity) : perShard(std::max<std::size_t>(1, capacity / kShards)) {}

  static constexpr std::size_t kShards = 16;
  std::size_t perShard;
  std::array<Shard, kShards> shards;

  Shard& shardOf(const std::string& digest) {
    return shards[static_cast<unsigned char>(digest[0]) % kShards];
  }
  std::optional<Identity> find(const std::string& digest,
                               std::chrono::system_clock::time_point now) {
    Shard& s = shardOf(digest);
    core::MutexLock lock(s.mu);
    auto it = s.entries.find(digest);
    if (it == s.entries.end()) return std::nullopt;
    if (now >= it->second.expiresAt) {
      s.entries.erase(it);
      return std::nullopt;
    }
    return it->second.identity;
  }
  void put(const std::string& digest, Identity identity,
           std::chrono::system_clock::time_point expiresAt,
           std::chrono::system_clock::time_point now) {
    Shard& s = shardOf(digest);
    core::MutexLock lock(s.mu);
    if (s.entries.size() >= perShard) {
      std::erase_if(s.entries, [&](const auto& kv) { return now >= kv.second.expiresAt; });
      if (s.entries.size() >= perShard) s.entries.clear();
    }
    s.entries.insert_or_assign(digest, Entry{std::move(identity), expiresAt});
  }
};

struct Authorizer::Issuer {
  Issuer(TrustedIssuer c, identity::HttpFetch fetch, const core::Clock& clock)
      : config(std::move(c)), jwks(config.jwksUri, std::move(fetch), clock) {}
  TrustedIssuer config;
  identity::RemoteJwks jwks;
};

Authorizer::Authorizer(AuthorizerOptions options, LocalKeys localKeys, identity::HttpFetch fetch,
                       const core::Clock& clock)
    : options_(std::move(options)),
      localKeys_(std::move(localKeys)),
      clock_(clock),
      tokens_(std::make_unique<Cache>(options_.tokenCacheCapacity)),
      apiKeys_(std::make_unique<Cache>(options_.tokenCacheCapacity)) {
  for (const auto& t : options_.trustedIssuers) {
    trusted_.push_back(std::make_unique<Issuer>(t, fetch, clock_));
  }
}

Authorizer::~Authorizer() = default;

void Authorizer::prefetchTrustedKeys() {
  for (auto& trusted : trusted_) (void)trusted->jwks.keys();
}

core::Result<Identity> Authorizer::verifyToken(std::string_view token) {
  if (token.empty() || token.size() > core::jwt::kMaxTokenBytes) {
    return unauthorized("The access token is malformed");
  }
  auto now = clock_.wallNow();
  std::string digest = core::sha256(token);
  if (auto hit = tokens_->find(digest, now)) return std::move(*hit);
  std::chrono::system_clock::time_point expiresAt;
  auto identity = verifyUncached(token, expiresAt);
  if (!identity) return identity;
  tokens_->put(digest, *identity, expiresAt, now);
  return identity;
}

core::Result<Identity> Authorizer::verifyUncached(
    std::string_view token, std::chrono::system_clock::time_point& expiresAt) {
  auto issuer = peekIssuer(token);
  if (!issuer) return unauthorized("The access token is malformed");
  core::jwt::VerifyOptions verify{clock_.wallNow(), options_.leeway, *issuer, {}};
  auto asUnauthorized = [](const core::Error& e) { return unauthorized(e.message()); };

  if (*issuer == options_.issuer && !options_.issuer.empty()) {
    verify.audience = options_.audience;
    auto keys = localKeys_ ? localKeys_() : nullptr;
    if (!keys) return unauthorized("No signing keys are loaded");
    auto verified = core::jwt::verify(token, *keys, verify);
    if (!verified) return asUnauthorized(verified.error());
    const json::object& claims = verified->claims;
    Identity id;
    id.tenant = stringClaim(claims, "tenant");
    id.subject = stringClaim(claims, "sub");
    if (id.tenant.empty() || id.subject.empty()) {
      return unauthorized("The access token names no tenant or subject");
    }
    id.roles = stringsOf(claims.if_contains("roles"));
    id.scopes = stringsOf(claims.if_contains("scope"));
    id.issuer = *issuer;
    expiresAt = verified->expiresAt;
    return id;
  }
  for (auto& trusted : trusted_) {
    if (trusted->config.issuer != *issuer) continue;
    verify.audience = trusted->config.audience;
    auto verified = core::jwt::verify(token, *trusted->jwks.keys(), verify);
    if (!verified && verified.error().type() == "UnknownKeyException") {
      verified = core::jwt::verify(token, *trusted->jwks.refresh(), verify);
    }
    if (!verified) return asUnauthorized(verified.error());
    const json::object& claims = verified->claims;
    Identity id;
    id.tenant = trusted->config.tenant;
    id.subject = stringClaim(claims, "sub");
    if (id.subject.empty()) return unauthorized("The access token names no subject");
    id.roles = stringsOf(claims.if_contains(trusted->config.rolesClaim));
    id.scopes = stringsOf(claims.if_contains("scope"));
    if (id.scopes.empty()) id.scopes = stringsOf(claims.if_contains("scp"));
    id.issuer = *issuer;
    expiresAt = verified->expiresAt;
    return id;
  }
  return unauthorized("The access token's issuer is not trusted");
}

void Authorizer::authorize(const ServerRequest& request, const std::string& routeKey,
                           const Authorization& authorization, Done done) {
  if (authorization.isPublic) return done(std::optional<Identity>());

  std::string bearer;
  if (auto header = request.header("authorization")) {
    std::string_view value = trimWhitespace(*header);
    if (value.size() > 7 && equalsIgnoreCase(value.substr(0, 7), "bearer ")) {
      bearer = std::string(trimWhitespace(value.substr(7)));
    } else {
      return done(unauthorized(std::string(kNotBearer)));
    }
  }
  std::string apiKey;
  if (auto header = request.header("x-api-key")) apiKey = std::string(trimWhitespace(*header));
  if (!bearer.empty() && !looksLikeJwt(bearer)) {
    apiKey = bearer;
    bearer.clear();
  }

  if (!bearer.empty()) {
    if (!authorization.acceptTokens) return done(unauthorized("This route takes an API key"));
    auto identity = verifyToken(bearer);
    if (!identity) return done(identity.error());
    if (auto ok = meets(*identity, authorization); !ok) return done(ok.error());
    return done(std::optional<Identity>(std::move(identity).value()));
  }
  if (apiKey.empty()) return done(unauthorized(std::string(kMissingCredentials)));
  if (!authorization.acceptApiKeys) return done(unauthorized("This route takes an access token"));
  if (apiKey.size() > 512 || !apiKeyCheck_) return done(unauthorized("Invalid API key"));

  auto now = clock_.wallNow();
  // The check is told the route and may answer per route: a verdict holds for that route only.
  std::string digest = core::sha256(routeKey + '\n' + apiKey);
  if (auto hit = apiKeys_->find(digest, now)) {
    if (auto ok = meets(*hit, authorization); !ok) return done(ok.error());
    return done(std::optional<Identity>(std::move(*hit)));
  }
  apiKeyCheck_(apiKey, request, routeKey,
               [this, digest, authorization, done = std::move(done)](core::Result<Identity> id) {
                 if (!id) return done(id.error());
                 auto at = clock_.wallNow();
                 apiKeys_->put(digest, *id, at + options_.apiKeyCacheTtl, at);
                 if (auto ok = meets(*id, authorization); !ok) return done(ok.error());
                 done(std::optional<Identity>(std::move(id).value()));
               });
}

core::Result<Identity> apiKeyIdentity(const json::value& response) {
  core::Error invalid("UnauthorizedException", 401, "Invalid API key");
  const json::object* r = response.if_object();
  const json::value* ok = r ? r->if_contains("isAuthorized") : nullptr;
  if (!ok || !ok->is_bool() || !ok->get_bool()) return invalid;
  const json::value* c = r->if_contains("context");
  if (!c || !c->is_object()) return invalid;
  const json::object& context = c->get_object();
  Identity id;
  id.source = Identity::Source::kApiKey;
  id.tenant = stringClaim(context, "tenant");
  id.subject = stringClaim(context, "subject");
  id.scopes = arrayStrings(context.if_contains("scopes"));
  id.roles = arrayStrings(context.if_contains("roles"));
  if (id.tenant.empty() || id.subject.empty()) return invalid;
  return id;
}

std::string bearerChallenge(const core::Error& error) {
  if (error.status() == 403) return R"(Bearer error="insufficient_scope")";
  if (error.message() == kMissingCredentials || error.message() == kNotBearer) {
    return R"(Bearer realm="bakery")";
  }
  return R"(Bearer error="invalid_token")";
}

}  // namespace bakery::gateway
