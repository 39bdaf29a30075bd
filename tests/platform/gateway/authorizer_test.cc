#include "platform/gateway/authorizer.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bakery/identity.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/jwt.h"
#include "platform/gateway/http_message.h"
#include "platform/identity/key_ring.h"
#include "support/temp_dir.h"

namespace bakery::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Verdict = core::Result<std::optional<Identity>>;

constexpr char kRouteKey[] = "GET /orders";
constexpr char kExternalIssuer[] = "https://login.example.com/tenant-42/v2.0";
constexpr char kExternalJwksUri[] = "https://login.example.com/tenant-42/discovery/keys";
constexpr char kExternalAudience[] = "api://bakery";
constexpr char kGoodApiKey[] = "ak_live_0123456789";

core::jwt::Key generated(core::jwt::Algorithm algorithm, const std::string& kid) {
  auto key = core::jwt::Key::generate(algorithm, kid);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::string jwksOf(std::initializer_list<core::jwt::Key> keys) {
  json::array published;
  for (const auto& k : keys) published.push_back(k.publicJwk());
  return core::toJson(json::object{{"keys", std::move(published)}});
}

std::string tokenOf(const core::jwt::Key& key, const json::object& claims) {
  auto token = core::jwt::sign(key, claims);
  EXPECT_TRUE(token.ok()) << (token.ok() ? "" : token.error().message());
  return token.ok() ? *token : std::string();
}

ServerRequest requestWith(std::vector<HttpHeader> headers) {
  ServerRequest request;
  request.method = "GET";
  request.target = "/orders";
  request.headers = std::move(headers);
  return request;
}

ServerRequest bearer(const std::string& credential) {
  return requestWith({{"Authorization", "Bearer " + credential}});
}

class AuthorizerTest : public ::testing::Test {
 protected:
  AuthorizerTest() {
    auto keys = std::make_shared<core::jwt::KeySet>();
    keys->add(ours_);
    localKeys_ = std::move(keys);

    options_.issuer = "bakery";
    options_.audience = "bakery";
    options_.leeway = 30s;
    options_.apiKeyCacheTtl = 5s;
    TrustedIssuer external;
    external.issuer = kExternalIssuer;
    external.jwksUri = kExternalJwksUri;
    external.audience = kExternalAudience;
    external.tenant = "t-ext";
    external.rolesClaim = "groups";
    options_.trustedIssuers.push_back(external);
  }

  // Built on first use, so a test may adjust options_ first.
  Authorizer& authorizer() {
    if (!authorizer_) {
      authorizer_ = std::make_unique<Authorizer>(
          options_, [this] { return localKeys_; },
          [this](const std::string& url) -> core::Result<std::string> {
            ++fetches_;
            EXPECT_EQ(url, kExternalJwksUri);
            return jwksBody_;
          },
          clock_);
    }
    return *authorizer_;
  }

  // An API-key authorizer function that knows one key and records its calls.
  void installApiKeyCheck() {
    authorizer().setApiKeyCheck([this](const std::string& key, const ServerRequest&,
                                       const std::string& routeKey,
                                       std::function<void(core::Result<Identity>)> done) {
      ++apiKeyChecks_;
      checkedKeys_.push_back(key);
      checkedRoutes_.push_back(routeKey);
      if (key != kGoodApiKey) return done(core::Error("UnauthorizedException", 401, "bad key"));
      Identity id;
      id.tenant = "t-key";
      id.subject = "key-1";
      id.scopes = {"orders:read"};
      id.source = Identity::Source::kApiKey;
      done(id);
    });
  }

  std::int64_t nowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
        .count();
  }

  json::object ourClaims() const {
    std::int64_t now = nowSeconds();
    return json::object{{"iss", "bakery"},
                        {"sub", "user-1"},
                        {"aud", "bakery"},
                        {"exp", now + 900},
                        {"iat", now},
                        {"nbf", now},
                        {"jti", "jti-1"},
                        {"tenant", "t-1"},
                        {"roles", json::array{"baker", "viewer"}},
                        {"scope", "orders:read  orders:write "}};
  }

  json::object externalClaims() const {
    std::int64_t now = nowSeconds();
    return json::object{{"iss", kExternalIssuer},
                        {"sub", "ext-user"},
                        {"aud", kExternalAudience},
                        {"exp", now + 3600},
                        {"iat", now},
                        {"nbf", now},
                        {"tenant", "t-claimed"},  // never trusted: the issuer fixes the tenant
                        {"roles", json::array{"admin"}},
                        {"groups", json::array{"editors", "viewers"}},
                        {"scp", json::array{"orders:read", "profile"}}};
  }

  // What authorize() delivered; fails the test unless `done` ran exactly once, before return.
  Verdict authorize(const ServerRequest& request, const Authorization& authorization,
                    const std::string& routeKey = kRouteKey) {
    std::optional<Verdict> out;
    authorizer().authorize(request, routeKey, authorization, [&](Verdict v) {
      EXPECT_FALSE(out.has_value()) << "done called twice";
      out.emplace(std::move(v));
    });
    EXPECT_TRUE(out.has_value()) << "done not called";
    return out ? std::move(*out) : Verdict(core::Error("DoneNotCalled", 0, ""));
  }

  static void expectUnauthorized(const Verdict& verdict, const std::string& context = {}) {
    ASSERT_FALSE(verdict.ok()) << context;
    EXPECT_EQ(verdict.error().type(), "UnauthorizedException") << context;
    EXPECT_EQ(verdict.error().status(), 401) << context;
  }

  core::ManualClock clock_;
  core::jwt::Key ours_ = generated(core::jwt::Algorithm::kEdDSA, "ours-1");
  core::jwt::Key external_ = generated(core::jwt::Algorithm::kEdDSA, "ext-1");
  std::shared_ptr<const core::jwt::KeySet> localKeys_;
  std::string jwksBody_ = jwksOf({external_});
  int fetches_ = 0;
  int apiKeyChecks_ = 0;
  std::vector<std::string> checkedKeys_;
  std::vector<std::string> checkedRoutes_;
  AuthorizerOptions options_;
  std::unique_ptr<Authorizer> authorizer_;
};

// ---- Demands and outcomes ----

TEST_F(AuthorizerTest, PublicRouteGivesNoIdentityWithoutReadingHeaders) {
  // A malformed Authorization header would be a 401 if it were read.
  auto verdict = authorize(requestWith({{"Authorization", "Basic x"}}), Authorization::none());
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value());
}

TEST_F(AuthorizerTest, NoCredentialIs401WithARealmChallenge) {
  auto verdict = authorize(requestWith({{"Accept", "application/json"}}), Authorization::token());
  expectUnauthorized(verdict);
  EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer realm="bakery")");

  verdict = authorize(requestWith({}), Authorization::apiKeyOrToken());
  expectUnauthorized(verdict);
  EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer realm="bakery")");
}

TEST_F(AuthorizerTest, ValidEdDsaTokenGivesTheCallersIdentity) {
  auto verdict = authorize(bearer(tokenOf(ours_, ourClaims())), Authorization::token());
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  ASSERT_TRUE(verdict->has_value());
  const Identity& id = **verdict;
  EXPECT_EQ(id.tenant, "t-1");
  EXPECT_EQ(id.subject, "user-1");
  EXPECT_THAT(id.roles, ElementsAre("baker", "viewer"));
  EXPECT_THAT(id.scopes, ElementsAre("orders:read", "orders:write"));
  EXPECT_EQ(id.issuer, "bakery");
  EXPECT_EQ(id.source, Identity::Source::kToken);
  EXPECT_EQ(fetches_, 0);  // our own tokens never touch a remote JWKS
}

TEST_F(AuthorizerTest, HeaderNameAndSchemeAreCaseInsensitive) {
  std::string token = tokenOf(ours_, ourClaims());
  auto verdict = authorize(requestWith({{"AUTHORIZATION", "bearer   " + token + " "}}),
                           Authorization::token());
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  EXPECT_EQ((*verdict)->subject, "user-1");
}

TEST_F(AuthorizerTest, MissingRequiredScopeIs403) {
  std::string token = tokenOf(ours_, ourClaims());
  EXPECT_TRUE(authorize(bearer(token), Authorization::token({"orders:read", "orders:write"})).ok());

  auto verdict = authorize(bearer(token), Authorization::token({"orders:read", "orders:delete"}));
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().type(), "AccessDeniedException");
  EXPECT_EQ(verdict.error().status(), 403);
  EXPECT_THAT(verdict.error().message(), HasSubstr("orders:delete"));
  EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer error="insufficient_scope")");
}

TEST_F(AuthorizerTest, RolesAreAnyOf) {
  std::string token = tokenOf(ours_, ourClaims());
  EXPECT_TRUE(authorize(bearer(token), Authorization::anyRole({"admin", "baker"})).ok());
  EXPECT_TRUE(authorize(bearer(token), Authorization::anyRole({"viewer"})).ok());

  auto verdict = authorize(bearer(token), Authorization::anyRole({"admin", "auditor"}));
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().status(), 403);
  EXPECT_EQ(verdict.error().type(), "AccessDeniedException");
}

// ---- Our tokens: what is refused ----

TEST_F(AuthorizerTest, VerifiedTokensAreCached) {
  std::string token = tokenOf(ours_, ourClaims());
  ASSERT_TRUE(authorizer().verifyToken(token).ok());

  // With the keys gone, only the cache can still vouch for the token it has seen.
  localKeys_ = std::make_shared<core::jwt::KeySet>();
  EXPECT_TRUE(authorizer().verifyToken(token).ok());
  json::object other = ourClaims();
  other["jti"] = "jti-2";
  EXPECT_FALSE(authorizer().verifyToken(tokenOf(ours_, other)).ok());
}

TEST_F(AuthorizerTest, ExpiredTokenIs401EvenThoughItWasCached) {
  json::object claims = ourClaims();
  claims["exp"] = nowSeconds() + 60;
  std::string token = tokenOf(ours_, claims);
  ASSERT_TRUE(authorize(bearer(token), Authorization::token()).ok());

  clock_.advance(60s + options_.leeway - 1s);
  EXPECT_TRUE(authorize(bearer(token), Authorization::token()).ok());  // within the leeway

  clock_.advance(2s);
  auto verdict = authorize(bearer(token), Authorization::token());
  expectUnauthorized(verdict);
  EXPECT_THAT(verdict.error().message(), HasSubstr("expired"));
  EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer error="invalid_token")");
}

TEST_F(AuthorizerTest, WrongAudienceIs401) {
  json::object claims = ourClaims();
  claims["aud"] = "someone-else";
  auto verdict = authorize(bearer(tokenOf(ours_, claims)), Authorization::token());
  expectUnauthorized(verdict);
  EXPECT_THAT(verdict.error().message(), HasSubstr("audience"));

  claims.erase("aud");
  expectUnauthorized(authorize(bearer(tokenOf(ours_, claims)), Authorization::token()));
}

TEST_F(AuthorizerTest, UntrustedIssuerIs401) {
  json::object claims = ourClaims();
  claims["iss"] = "https://evil.example";
  auto verdict = authorize(bearer(tokenOf(ours_, claims)), Authorization::token());
  expectUnauthorized(verdict);
  EXPECT_THAT(verdict.error().message(), HasSubstr("not trusted"));

  claims.erase("iss");
  expectUnauthorized(authorize(bearer(tokenOf(ours_, claims)), Authorization::token()));
  EXPECT_EQ(fetches_, 0);
}

TEST_F(AuthorizerTest, TokenWithoutTenantIs401) {
  json::object claims = ourClaims();
  claims.erase("tenant");
  expectUnauthorized(authorize(bearer(tokenOf(ours_, claims)), Authorization::token()));

  claims = ourClaims();
  claims.erase("sub");
  expectUnauthorized(authorize(bearer(tokenOf(ours_, claims)), Authorization::token()));
}

TEST_F(AuthorizerTest, NonBearerAuthorizationIs401) {
  for (const char* value : {"Basic x", "Bearer", "Bearer ", "Token abc.def.ghi"}) {
    auto verdict = authorize(requestWith({{"Authorization", value}}), Authorization::token());
    expectUnauthorized(verdict, value);
    // Another scheme is no credential at all for us: a bare challenge, no error code.
    if (!verdict) {
      EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer realm="bakery")") << value;
    }
  }
}

TEST_F(AuthorizerTest, AlgNoneTokenIs401) {
  std::string header = core::jwt::base64UrlEncode(
      core::toJson(json::object{{"alg", "none"}, {"typ", "JWT"}, {"kid", "ours-1"}}));
  std::string payload = core::jwt::base64UrlEncode(core::toJson(ourClaims()));
  for (const std::string& token :
       {header + "." + payload + ".", header + "." + payload + "." + "c2ln"}) {
    expectUnauthorized(authorize(bearer(token), Authorization::token()), token);
  }
}

TEST_F(AuthorizerTest, Hs256TokenKeyedWithOurPublicKeyIs401) {
  // The classic confusion: HMAC "signed" with the published public key, naming its kid.
  auto forged = core::jwt::Key::fromJwk(json::object{
      {"kty", "oct"}, {"kid", "ours-1"}, {"k", ours_.publicJwk().at("x").as_string()}});
  ASSERT_TRUE(forged.ok()) << forged.error().message();
  ASSERT_EQ(forged->algorithm(), core::jwt::Algorithm::kHS256);
  auto verdict = authorize(bearer(tokenOf(*forged, ourClaims())), Authorization::token());
  expectUnauthorized(verdict);
}

TEST_F(AuthorizerTest, TokenSignedByAnotherKeyIs401) {
  auto stranger = generated(core::jwt::Algorithm::kEdDSA, "ours-1");  // same kid, other key
  expectUnauthorized(authorize(bearer(tokenOf(stranger, ourClaims())), Authorization::token()));
  // The external issuer's key does not make tokens claiming to be ours.
  expectUnauthorized(authorize(bearer(tokenOf(external_, ourClaims())), Authorization::token()));
}

TEST_F(AuthorizerTest, OversizedTokenIs401) {
  std::string token(core::jwt::kMaxTokenBytes + 1, 'a');
  token[100] = '.';
  token[200] = '.';
  ASSERT_EQ(token.size(), 8193u);
  auto verified = authorizer().verifyToken(token);
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().type(), "UnauthorizedException");
  EXPECT_EQ(verified.error().status(), 401);

  for (const char* malformed : {"", "a.b.c"}) {
    auto result = authorizer().verifyToken(malformed);
    ASSERT_FALSE(result.ok()) << malformed;
    EXPECT_EQ(result.error().status(), 401);
  }
}

TEST_F(AuthorizerTest, TokensFromTheKeyRingVerify) {
  testing::TempDir dir("authorizer-test");
  identity::KeyRingOptions ringOptions;
  ringOptions.keysFile = dir.path() + "/keys/signing-keys.json";
  identity::KeyRing ring(ringOptions, clock_);
  ASSERT_TRUE(ring.open().ok());
  options_.issuer = ring.issuer();
  options_.audience = ring.audience();
  Authorizer authorizer(
      options_, [&ring] { return ring.verificationKeys(); },
      [](const std::string&) -> core::Result<std::string> {
        return core::Error("ServiceUnavailable", 503, "no network in tests");
      },
      clock_);

  auto before = ring.sign(ourClaims());
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(ring.rotate().ok());
  json::object claims = ourClaims();
  claims["jti"] = "after-rotation";
  auto after = ring.sign(claims);
  ASSERT_TRUE(after.ok());
  // Tokens of the retired key and of the new one both verify.
  EXPECT_TRUE(authorizer.verifyToken(*before).ok());
  auto verified = authorizer.verifyToken(*after);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->tenant, "t-1");
}

// ---- Trusted issuers ----

TEST_F(AuthorizerTest, TrustedIssuerTokenTakesTheIssuersTenantRolesClaimAndScp) {
  auto verdict = authorize(bearer(tokenOf(external_, externalClaims())),
                           Authorization::token({"orders:read"}));
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  const Identity& id = **verdict;
  EXPECT_EQ(id.tenant, "t-ext");
  EXPECT_EQ(id.subject, "ext-user");
  EXPECT_THAT(id.roles, ElementsAre("editors", "viewers"));
  EXPECT_THAT(id.scopes, ElementsAre("orders:read", "profile"));
  EXPECT_EQ(id.issuer, kExternalIssuer);
  EXPECT_EQ(fetches_, 1);

  // The JWKS is cached: another token of the issuer costs no fetch.
  json::object claims = externalClaims();
  claims["sub"] = "ext-user-2";
  EXPECT_TRUE(authorize(bearer(tokenOf(external_, claims)), Authorization::token()).ok());
  EXPECT_EQ(fetches_, 1);
}

TEST_F(AuthorizerTest, TrustedIssuerTokenWithWrongAudienceIs401) {
  json::object claims = externalClaims();
  claims["aud"] = "bakery";
  expectUnauthorized(authorize(bearer(tokenOf(external_, claims)), Authorization::token()));
}

TEST_F(AuthorizerTest, OurKeyDoesNotSignForATrustedIssuer) {
  // The issuer's tokens verify only with its JWKS, which does not hold our kid.
  expectUnauthorized(authorize(bearer(tokenOf(ours_, externalClaims())), Authorization::token()));
}

TEST_F(AuthorizerTest, UnknownKidTriggersExactlyOneRefetchAndThenVerifies) {
  ASSERT_TRUE(authorize(bearer(tokenOf(external_, externalClaims())), Authorization::token()).ok());
  ASSERT_EQ(fetches_, 1);

  // The issuer rotates its key; the cached set (well within its ttl) lacks the new kid.
  auto rotated = generated(core::jwt::Algorithm::kEdDSA, "ext-2");
  jwksBody_ = jwksOf({rotated});
  clock_.advance(31s);  // past the minimum refresh interval
  auto verdict = authorize(bearer(tokenOf(rotated, externalClaims())), Authorization::token());
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  EXPECT_EQ((*verdict)->tenant, "t-ext");
  EXPECT_EQ(fetches_, 2);

  // Made-up kids right after that cannot make the authorizer hammer the issuer.
  auto bogus = generated(core::jwt::Algorithm::kEdDSA, "ext-bogus");
  for (int i = 0; i < 3; ++i) {
    json::object claims = externalClaims();
    claims["jti"] = "bogus-" + std::to_string(i);
    expectUnauthorized(authorize(bearer(tokenOf(bogus, claims)), Authorization::token()));
    clock_.advance(5s);
  }
  EXPECT_EQ(fetches_, 2);
}

TEST_F(AuthorizerTest, UnknownKidOnAColdCacheCostsOneFetch) {
  auto bogus = generated(core::jwt::Algorithm::kEdDSA, "ext-bogus");
  expectUnauthorized(authorize(bearer(tokenOf(bogus, externalClaims())), Authorization::token()));
  EXPECT_EQ(fetches_, 1);
}

// ---- API keys ----

TEST_F(AuthorizerTest, XApiKeyHeaderReachesTheApiKeyCheck) {
  installApiKeyCheck();
  auto verdict =
      authorize(requestWith({{"X-Api-Key", kGoodApiKey}}), Authorization::apiKeyOrToken());
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  EXPECT_EQ((*verdict)->tenant, "t-key");
  EXPECT_EQ((*verdict)->subject, "key-1");
  EXPECT_EQ((*verdict)->source, Identity::Source::kApiKey);
  EXPECT_THAT(checkedKeys_, ElementsAre(kGoodApiKey));
  EXPECT_THAT(checkedRoutes_, ElementsAre(kRouteKey));
}

TEST_F(AuthorizerTest, NonJwtBearerValueReachesTheApiKeyCheck) {
  installApiKeyCheck();
  auto verdict = authorize(bearer(kGoodApiKey), Authorization::apiKeyOrToken());
  ASSERT_TRUE(verdict.ok()) << verdict.error().message();
  EXPECT_EQ((*verdict)->subject, "key-1");
  EXPECT_THAT(checkedKeys_, ElementsAre(kGoodApiKey));
}

TEST_F(AuthorizerTest, TokenOnlyRouteRefusesApiKeys) {
  installApiKeyCheck();
  expectUnauthorized(authorize(requestWith({{"x-api-key", kGoodApiKey}}), Authorization::token()));
  expectUnauthorized(authorize(bearer(kGoodApiKey), Authorization::token()));
  EXPECT_EQ(apiKeyChecks_, 0);
}

TEST_F(AuthorizerTest, ApiKeyOnlyRouteRefusesTokens) {
  installApiKeyCheck();
  Authorization apiKeyOnly = Authorization::apiKeyOrToken();
  apiKeyOnly.acceptTokens = false;
  expectUnauthorized(authorize(bearer(tokenOf(ours_, ourClaims())), apiKeyOnly));
  EXPECT_TRUE(authorize(requestWith({{"x-api-key", kGoodApiKey}}), apiKeyOnly).ok());
}

TEST_F(AuthorizerTest, ApiKeyVerdictIsCachedForTheTtl) {
  installApiKeyCheck();
  auto request = requestWith({{"x-api-key", kGoodApiKey}});
  ASSERT_TRUE(authorize(request, Authorization::apiKeyOrToken()).ok());
  ASSERT_TRUE(authorize(request, Authorization::apiKeyOrToken()).ok());
  EXPECT_EQ(apiKeyChecks_, 1);

  clock_.advance(options_.apiKeyCacheTtl - 1s);
  ASSERT_TRUE(authorize(request, Authorization::apiKeyOrToken()).ok());
  EXPECT_EQ(apiKeyChecks_, 1);

  clock_.advance(1s);
  ASSERT_TRUE(authorize(request, Authorization::apiKeyOrToken()).ok());
  EXPECT_EQ(apiKeyChecks_, 2);
}

// The check is told the route and may answer per route (as an API Gateway Lambda authorizer
// can): its verdict for one route must not open another.
TEST_F(AuthorizerTest, ApiKeyVerdictForOneRouteIsNotReusedForAnother) {
  authorizer().setApiKeyCheck([this](const std::string&, const ServerRequest&,
                                     const std::string& routeKey,
                                     std::function<void(core::Result<Identity>)> done) {
    checkedRoutes_.push_back(routeKey);
    if (routeKey != kRouteKey) {
      return done(core::Error("AccessDeniedException", 403, "not for this route"));
    }
    Identity id;
    id.tenant = "t-key";
    id.subject = "key-1";
    id.source = Identity::Source::kApiKey;
    done(id);
  });
  auto request = requestWith({{"x-api-key", kGoodApiKey}});
  ASSERT_TRUE(authorize(request, Authorization::apiKeyOrToken()).ok());
  auto verdict = authorize(request, Authorization::apiKeyOrToken(), "DELETE /orders/{id}");
  ASSERT_FALSE(verdict.ok());
  EXPECT_EQ(verdict.error().status(), 403);
  EXPECT_THAT(checkedRoutes_, ElementsAre(kRouteKey, "DELETE /orders/{id}"));
}

TEST_F(AuthorizerTest, ApiKeyScopesAreEnforcedAlsoFromTheCache) {
  installApiKeyCheck();
  auto request = requestWith({{"x-api-key", kGoodApiKey}});
  for (int i = 0; i < 2; ++i) {
    auto verdict = authorize(request, Authorization::apiKeyOrToken({"orders:write"}));
    ASSERT_FALSE(verdict.ok());
    EXPECT_EQ(verdict.error().status(), 403);
  }
  EXPECT_EQ(apiKeyChecks_, 1);
  EXPECT_TRUE(authorize(request, Authorization::apiKeyOrToken({"orders:read"})).ok());
}

TEST_F(AuthorizerTest, FailingApiKeyCheckIs401) {
  installApiKeyCheck();
  auto verdict =
      authorize(requestWith({{"x-api-key", "ak_revoked"}}), Authorization::apiKeyOrToken());
  expectUnauthorized(verdict);
  EXPECT_EQ(bearerChallenge(verdict.error()), R"(Bearer error="invalid_token")");
}

TEST_F(AuthorizerTest, ApiKeysWithoutACheckAre401) {
  expectUnauthorized(
      authorize(requestWith({{"x-api-key", kGoodApiKey}}), Authorization::apiKeyOrToken()));
}

TEST_F(AuthorizerTest, ApiKeyCheckMayAnswerLater) {
  std::function<void(core::Result<Identity>)> pending;
  authorizer().setApiKeyCheck(
      [&](const std::string&, const ServerRequest&, const std::string&,
          std::function<void(core::Result<Identity>)> done) { pending = std::move(done); });
  std::optional<Verdict> out;
  authorizer().authorize(requestWith({{"x-api-key", kGoodApiKey}}), kRouteKey,
                         Authorization::apiKeyOrToken(),
                         [&](Verdict v) { out.emplace(std::move(v)); });
  EXPECT_FALSE(out.has_value());
  ASSERT_TRUE(pending);

  Identity id;
  id.tenant = "t-key";
  id.subject = "key-1";
  id.source = Identity::Source::kApiKey;
  pending(id);
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->ok());
  EXPECT_EQ((**out)->subject, "key-1");
}

}  // namespace
}  // namespace bakery::gateway
