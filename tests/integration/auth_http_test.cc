// The auth capability through a real `bakery serve`: sign-up, log-in, tokens, roles, API keys,
// password reset and audit over HTTP, and the attacks that break real auth systems.
// Password hashing runs at a low Argon2id cost here (the cost is configuration; the
// benchmarks measure the real one).
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/jwt.h"
#include "integration/integration.h"
#include "platform/aws/aws_json_client.h"
#include "platform/bus/remote/remote_bus.h"
#include "platform/queue/remote/sqs_client.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

constexpr const char* kPassword = "correct horse battery staple";

std::string config(std::string extra = {}) {
  return R"({"diag": true, "auth": {"passwordCost": {"iterations": 1, "memoryKiB": 1024},
      "signupsPerIpPerHour": 100000, "ipFailuresBeforeLockout": 100000)" +
         extra + "}}";
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers bearer(std::string_view token) {
  return {{"authorization", "Bearer " + std::string(token)}};
}

HttpResult call(const ServerProcess& s, std::string method, const std::string& path,
                std::optional<std::string> body = {}, Headers headers = {}) {
  if (body) headers.emplace_back("content-type", "application/json");
  return httpRequest(
      {.method = std::move(method), .url = s.url(path), .headers = headers, .body = body});
}

std::string str(const json::value& v, std::string_view pointer) {
  return std::string(v.at_pointer(pointer).as_string());
}

struct Tenant {
  std::string id, slug, ownerId, ownerEmail, access, refresh;
};

Tenant signUp(const ServerProcess& s, const std::string& slug,
              const std::string& email = "owner@example.com") {
  auto r = call(
      s, "POST", "/v1/tenants",
      json::serialize(json::object{
          {"name", "Tenant " + slug},
          {"slug", slug},
          {"owner", json::object{{"email", email}, {"password", kPassword}, {"name", "Owner"}}}}));
  EXPECT_EQ(r.status, 201) << r.body;
  auto b = parse(r.body);
  return {str(b, "/tenant/id"),   slug, str(b, "/user/id"), email, str(b, "/accessToken"),
          str(b, "/refreshToken")};
}

HttpResult login(const ServerProcess& s, const std::string& tenant, const std::string& email,
                 const std::string& password) {
  return call(
      s, "POST", "/v1/auth/login",
      json::serialize(json::object{{"tenant", tenant}, {"email", email}, {"password", password}}));
}

// Invites `email` as `role` and accepts: the new user's {id, accessToken, refreshToken}.
json::value addUser(const ServerProcess& s, const Tenant& t, const std::string& email,
                    const std::string& role) {
  auto inv =
      call(s, "POST", "/v1/users/invitations",
           json::serialize(json::object{{"email", email}, {"role", role}}), bearer(t.access));
  EXPECT_EQ(inv.status, 201) << inv.body;
  auto acc = call(s, "POST", "/v1/invitations/accept",
                  json::serialize(json::object{{"token", str(parse(inv.body), "/invitationToken")},
                                               {"password", kPassword},
                                               {"name", "New"}}));
  EXPECT_EQ(acc.status, 201) << acc.body;
  return parse(acc.body);
}

class AuthHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(bakeryBinary(), config()); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  const ServerProcess& s() { return *server_; }
  static ServerProcess* server_;
};
ServerProcess* AuthHttpTest::server_ = nullptr;

TEST_F(AuthHttpTest, SignUpAnswersTheTenantTheOwnerAndATokenPair) {
  auto r = call(s(), "POST", "/v1/tenants", R"({"name": "Acme", "slug": "acme-signup",
      "owner": {"email": "Ada@Example.com", "password": "correct horse battery staple",
                "name": "Ada"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto b = parse(r.body);
  EXPECT_EQ(b.at("tenant").at("slug"), "acme-signup");
  EXPECT_EQ(b.at("tenant").at("name"), "Acme");
  EXPECT_TRUE(b.at("tenant").at("createdAt").is_string());
  EXPECT_EQ(b.at("user").at("email"), "ada@example.com");
  EXPECT_EQ(b.at("user").at("roles"), (json::array{"owner"}));
  EXPECT_EQ(b.at("tokenType"), "Bearer");
  EXPECT_EQ(b.at("expiresIn"), 900);

  auto me = call(s(), "GET", "/v1/me", {}, bearer(str(b, "/accessToken")));
  ASSERT_EQ(me.status, 200) << me.body;
  auto m = parse(me.body);
  EXPECT_EQ(m.at("tenant").at("id"), b.at("tenant").at("id"));
  EXPECT_EQ(m.at("user").at("id"), b.at("user").at("id"));
  EXPECT_EQ(m.at("roles"), (json::array{"owner"}));
  std::set<std::string> scopes;
  for (const auto& sc : m.at("scopes").as_array()) scopes.emplace(sc.as_string());
  EXPECT_TRUE(scopes.contains("users:write"));

  // The access token's claims, as the issue lists them.
  auto claims = parse(*core::jwt::base64UrlDecode(
      str(b, "/accessToken")
          .substr(str(b, "/accessToken").find('.') + 1,
                  str(b, "/accessToken").rfind('.') - str(b, "/accessToken").find('.') - 1)));
  for (const char* claim :
       {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "tenant", "roles", "scope"}) {
    EXPECT_TRUE(claims.as_object().contains(claim)) << claim;
  }
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 900);
}

TEST_F(AuthHttpTest, SlugsAreUniqueAndValidationNamesTheField) {
  signUp(s(), "taken-slug");
  auto again = call(s(), "POST", "/v1/tenants", R"({"name": "X", "slug": "taken-slug",
      "owner": {"email": "x@example.com", "password": "correct horse battery staple",
                "name": "X"}})");
  EXPECT_EQ(again.status, 409) << again.body;

  auto field = [&](const std::string& body) {
    auto r = call(s(), "POST", "/v1/tenants", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    return r.body;
  };
  EXPECT_NE(field(R"({"name": "X", "slug": "short-pw", "owner": {"email": "x@example.com",
      "password": "short", "name": "X"}})")
                .find("password"),
            std::string::npos);
  EXPECT_NE(field(R"({"name": "X", "slug": "common-pw", "owner": {"email": "x@example.com",
      "password": "passwordpassword", "name": "X"}})")
                .find("password"),
            std::string::npos);
  EXPECT_NE(field(R"({"name": "X", "slug": "bad-mail", "owner": {"email": "not-an-email",
      "password": "correct horse battery staple", "name": "X"}})")
                .find("email"),
            std::string::npos);
  EXPECT_NE(field(R"({"name": "X", "slug": "Bad Slug!", "owner": {"email": "x@example.com",
      "password": "correct horse battery staple", "name": "X"}})")
                .find("slug"),
            std::string::npos);
  EXPECT_NE(field(R"({"name": ")" + std::string(5000, 'n') + R"(", "slug": "big-name",
      "owner": {"email": "x@example.com", "password": "correct horse battery staple",
      "name": "X"}})")
                .find("name"),
            std::string::npos);
  auto malformed = call(s(), "POST", "/v1/tenants", R"({"name": )");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_EQ(errorType(malformed), "ValidationException");
}

TEST_F(AuthHttpTest, OneUniformAnswerForAWrongTenantUserOrPassword) {
  Tenant t = signUp(s(), "uniform");
  auto good = login(s(), "uniform", "owner@example.com", kPassword);
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_TRUE(parse(good.body).at("accessToken").is_string());
  // The address is matched in its normal form.
  EXPECT_EQ(login(s(), "uniform", "OWNER@example.COM", kPassword).status, 200);

  auto wrongPassword = login(s(), "uniform", "owner@example.com", "wrong password here!");
  auto unknownUser = login(s(), "uniform", "nobody@example.com", kPassword);
  auto unknownTenant = login(s(), "no-such-tenant", "owner@example.com", kPassword);
  for (const auto* r : {&wrongPassword, &unknownUser, &unknownTenant}) {
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(errorType(*r), "InvalidCredentialsException");
    EXPECT_EQ(parse(r->body).at("error").at("message"),
              parse(wrongPassword.body).at("error").at("message"));
  }
}

TEST_F(AuthHttpTest, AConfusableEmailCannotBecomeASecondAccount) {
  Tenant t = signUp(s(), "confusable", "paypal@example.com");
  // "pаypal" with a Cyrillic а, and the full-width spelling: both are the owner's address.
  for (const char* lookalike :
       {"p\xD0\xB0ypal@example.com", "\xEF\xBD\x90\xEF\xBD\x81\xEF\xBD\x99pal@example.com"}) {
    auto inv = call(s(), "POST", "/v1/users/invitations",
                    json::serialize(json::object{{"email", lookalike}, {"role", "member"}}),
                    bearer(t.access));
    EXPECT_EQ(inv.status, 409) << lookalike << ": " << inv.body;
  }
}

TEST_F(AuthHttpTest, RefreshRotatesAndAReusedTokenRevokesItsFamily) {
  Tenant t = signUp(s(), "refresh");
  auto first = call(s(), "POST", "/v1/auth/refresh",
                    json::serialize(json::object{{"refreshToken", t.refresh}}));
  ASSERT_EQ(first.status, 200) << first.body;
  std::string next = str(parse(first.body), "/refreshToken");
  EXPECT_NE(next, t.refresh);

  // The spent token again: refused, and the whole family with it.
  auto reuse = call(s(), "POST", "/v1/auth/refresh",
                    json::serialize(json::object{{"refreshToken", t.refresh}}));
  EXPECT_EQ(reuse.status, 401) << reuse.body;
  auto afterReuse =
      call(s(), "POST", "/v1/auth/refresh", json::serialize(json::object{{"refreshToken", next}}));
  EXPECT_EQ(afterReuse.status, 401) << afterReuse.body;

  auto audit = call(s(), "GET", "/v1/audit", {}, bearer(t.access));
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("refresh_token_reused"), std::string::npos) << audit.body;
}

TEST_F(AuthHttpTest, LogoutRevokesOneSessionAndLogoutAllEveryOne) {
  Tenant t = signUp(s(), "logout");
  auto second = parse(login(s(), "logout", t.ownerEmail, kPassword).body);
  auto third = parse(login(s(), "logout", t.ownerEmail, kPassword).body);
  auto out = call(s(), "POST", "/v1/auth/logout",
                  json::serialize(json::object{{"refreshToken", t.refresh}}));
  EXPECT_LT(out.status, 300) << out.body;
  EXPECT_EQ(call(s(), "POST", "/v1/auth/refresh",
                 json::serialize(json::object{{"refreshToken", t.refresh}}))
                .status,
            401);
  auto all = call(s(), "POST", "/v1/auth/logout-all", {}, bearer(str(second, "/accessToken")));
  EXPECT_LT(all.status, 300) << all.body;
  for (const auto* session : {&second, &third}) {
    EXPECT_EQ(call(s(), "POST", "/v1/auth/refresh",
                   json::serialize(json::object{{"refreshToken", str(*session, "/refreshToken")}}))
                  .status,
              401);
  }
}

// Forged and damaged tokens, as the gateway's authorizer sees them.
TEST_F(AuthHttpTest, ForgedTokensAreRefused) {
  Tenant t = signUp(s(), "forgery");
  const std::string& token = t.access;
  std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  std::string header = *core::jwt::base64UrlDecode(token.substr(0, dot1));
  std::string payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
  auto me = [&](const std::string& forged) {
    return call(s(), "GET", "/v1/me", {}, bearer(forged));
  };
  ASSERT_EQ(me(token).status, 200);

  std::string kid = str(parse(header), "/kid");
  auto b64 = [](std::string_view text) { return core::jwt::base64UrlEncode(text); };
  // alg: none, with and without a signature.
  std::string none = b64(R"({"alg":"none","typ":"JWT","kid":")" + kid + R"("})");
  EXPECT_EQ(me(none + "." + payload + ".").status, 401);
  EXPECT_EQ(me(none + "." + payload + "." + token.substr(dot2 + 1)).status, 401);
  // Algorithm confusion: HS256 keyed with the public key as published.
  auto jwks = parse(call(s(), "GET", "/.well-known/jwks.json").body);
  std::string publicX = str(jwks, "/keys/0/x");
  std::string hsHeader = b64(R"({"alg":"HS256","typ":"JWT","kid":")" + kid + R"("})");
  for (const std::string& key :
       {publicX, *core::jwt::base64UrlDecode(publicX), json::serialize(jwks.at("keys").at(0))}) {
    std::string input = hsHeader + "." + payload;
    EXPECT_EQ(me(input + "." + b64(core::hmacSha256(key, input))).status, 401);
  }
  // An unknown kid.
  std::string otherKid = b64(R"({"alg":"EdDSA","typ":"JWT","kid":"not-our-key"})");
  EXPECT_EQ(me(otherKid + "." + payload + "." + token.substr(dot2 + 1)).status, 401);
  // One flipped bit anywhere in the signature.
  std::string signature = *core::jwt::base64UrlDecode(token.substr(dot2 + 1));
  for (std::size_t i = 0; i < signature.size(); i += 7) {
    std::string bad = signature;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    auto r = me(token.substr(0, dot2 + 1) + b64(bad));
    EXPECT_EQ(r.status, 401) << "byte " << i;
    EXPECT_EQ(r.header("www-authenticate").value_or(""), R"(Bearer error="invalid_token")");
  }
  // A token signed by a key of our own making, claiming our issuer, audience and kid.
  auto mine = core::jwt::Key::generate(core::jwt::Algorithm::kEdDSA, kid);
  ASSERT_TRUE(mine.ok());
  auto claims = parse(*core::jwt::base64UrlDecode(payload)).as_object();
  auto forged = core::jwt::sign(*mine, claims);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(me(*forged).status, 401);
  // Garbage and no credential at all.
  EXPECT_EQ(me("a.b.c").status, 401);
  auto missing = call(s(), "GET", "/v1/me");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(errorType(missing), "UnauthorizedException");
}

TEST_F(AuthHttpTest, ATenantsTokenFindsNothingOfAnotherTenant) {
  Tenant a = signUp(s(), "tenant-a");
  Tenant b = signUp(s(), "tenant-b");
  // B's owner, addressed with A's token: not found (404), never forbidden (403).
  auto patch =
      call(s(), "PATCH", "/v1/users/" + b.ownerId, R"({"disabled": true})", bearer(a.access));
  EXPECT_EQ(patch.status, 404) << patch.body;
  auto del = call(s(), "DELETE", "/v1/users/" + b.ownerId, {}, bearer(a.access));
  EXPECT_EQ(del.status, 404) << del.body;
  auto list = call(s(), "GET", "/v1/users", {}, bearer(a.access));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(b.ownerId), std::string::npos);
  EXPECT_NE(list.body.find(a.ownerId), std::string::npos);
  // B still logs in: nothing of it changed.
  EXPECT_EQ(login(s(), "tenant-b", b.ownerEmail, kPassword).status, 200);
}

TEST_F(AuthHttpTest, MembersCannotRaiseTheirRolesAndTheLastOwnerStays) {
  Tenant t = signUp(s(), "roles");
  auto member = addUser(s(), t, "member@example.com", "member");
  std::string memberId = str(member, "/user/id");
  auto raise = call(s(), "PATCH", "/v1/users/" + memberId, R"({"roles": ["admin"]})",
                    bearer(str(member, "/accessToken")));
  EXPECT_EQ(raise.status, 403) << raise.body;
  // The member's roles are unchanged.
  auto me = parse(call(s(), "GET", "/v1/me", {}, bearer(str(member, "/accessToken"))).body);
  EXPECT_EQ(me.at("roles"), (json::array{"member"}));

  auto demote =
      call(s(), "PATCH", "/v1/users/" + t.ownerId, R"({"roles": ["admin"]})", bearer(t.access));
  EXPECT_EQ(demote.status, 409) << demote.body;
  auto remove = call(s(), "DELETE", "/v1/users/" + t.ownerId, {}, bearer(t.access));
  EXPECT_EQ(remove.status, 409) << remove.body;

  // An owner may promote the member; the member's next token carries the new role.
  auto promote =
      call(s(), "PATCH", "/v1/users/" + memberId, R"({"roles": ["admin"]})", bearer(t.access));
  EXPECT_EQ(promote.status, 200) << promote.body;
  auto refreshed =
      call(s(), "POST", "/v1/auth/refresh",
           json::serialize(json::object{{"refreshToken", str(member, "/refreshToken")}}));
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  auto me2 = parse(
      call(s(), "GET", "/v1/me", {}, bearer(str(parse(refreshed.body), "/accessToken"))).body);
  EXPECT_EQ(me2.at("roles"), (json::array{"admin"}));
}

TEST_F(AuthHttpTest, RepeatedFailuresLockTheAccountWithRetryAfter) {
  Tenant t = signUp(s(), "lockout");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(login(s(), "lockout", t.ownerEmail, "wrong password " + std::to_string(i)).status,
              401);
  }
  // Locked: even the right password is not tried.
  auto locked = login(s(), "lockout", t.ownerEmail, kPassword);
  EXPECT_EQ(locked.status, 429) << locked.body;
  ASSERT_TRUE(locked.header("retry-after").has_value());
  EXPECT_GE(std::stoi(*locked.header("retry-after")), 1);
  // Other accounts are not affected.
  signUp(s(), "lockout-other");
  EXPECT_EQ(login(s(), "lockout-other", "owner@example.com", kPassword).status, 200);
}

TEST_F(AuthHttpTest, ApiKeysAreShownOnceWorkUntilRevokedAndCarryTheirScopes) {
  Tenant t = signUp(s(), "apikeys");
  auto created = call(s(), "POST", "/v1/api-keys",
                      R"({"name": "ci", "scopes": ["users:read", "data:read"]})", bearer(t.access));
  ASSERT_EQ(created.status, 201) << created.body;
  auto k = parse(created.body);
  std::string key = str(k, "/key"), id = str(k, "/id"), prefix = str(k, "/prefix");
  EXPECT_EQ(key.rfind(prefix, 0), 0u);

  auto list = call(s(), "GET", "/v1/api-keys", {}, bearer(t.access));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(prefix), std::string::npos);
  EXPECT_EQ(list.body.find(key), std::string::npos) << "the secret is shown once only";

  for (const Headers& h : {Headers{{"x-api-key", key}}, bearer(key)}) {
    auto echo = call(s(), "GET", "/v1/diag/echo-authorized", {}, h);
    ASSERT_EQ(echo.status, 200) << echo.body;
    auto ctx = parse(echo.body).at("requestContext").at("authorizer").at("lambda");
    EXPECT_EQ(str(ctx, "/tenant"), t.id);
    EXPECT_EQ(str(ctx, "/subject"), id);
  }
  // A route for access tokens only does not take the key.
  EXPECT_EQ(call(s(), "GET", "/v1/users", {}, {{"x-api-key", key}}).status, 401);
  // A made-up secret for a real id, and a made-up key.
  EXPECT_EQ(call(s(), "GET", "/v1/diag/echo-authorized", {}, {{"x-api-key", prefix + "_x"}}).status,
            401);
  EXPECT_EQ(
      call(s(), "GET", "/v1/diag/echo-authorized", {}, {{"x-api-key", "bk_nope_nope"}}).status,
      401);

  // Revoked before first use: refused at once.
  auto second = parse(call(s(), "POST", "/v1/api-keys",
                           R"({"name": "tmp", "scopes": ["data:read"]})", bearer(t.access))
                          .body);
  auto revoked = call(s(), "DELETE", "/v1/api-keys/" + str(second, "/id"), {}, bearer(t.access));
  EXPECT_LT(revoked.status, 300) << revoked.body;
  EXPECT_EQ(
      call(s(), "GET", "/v1/diag/echo-authorized", {}, {{"x-api-key", str(second, "/key")}}).status,
      401);
  // Scopes beyond the caller's own cannot be granted to a key: an admin lacks tenant:admin.
  auto admin = addUser(s(), t, "keyless@example.com", "admin");
  auto beyond = call(s(), "POST", "/v1/api-keys", R"({"name": "x", "scopes": ["tenant:admin"]})",
                     bearer(str(admin, "/accessToken")));
  EXPECT_EQ(beyond.status, 403) << beyond.body;
  EXPECT_EQ(errorType(beyond), "AccessDeniedException");
  EXPECT_EQ(call(s(), "POST", "/v1/api-keys", R"({"name": "x", "scopes": ["users:read"]})",
                 bearer(str(admin, "/accessToken")))
                .status,
            201);
}

TEST_F(AuthHttpTest, InjectionStringsAreStoredVerbatimAndHarmless) {
  const std::string sql = "'; DROP TABLE users; --";
  const std::string nosql = R"({"$ne": null})";
  auto r = call(s(), "POST", "/v1/tenants",
                json::serialize(json::object{{"name", sql},
                                             {"slug", "injection"},
                                             {"owner", json::object{{"email", "inj@example.com"},
                                                                    {"password", kPassword},
                                                                    {"name", nosql}}}}));
  ASSERT_EQ(r.status, 201) << r.body;
  auto me = parse(call(s(), "GET", "/v1/me", {}, bearer(str(parse(r.body), "/accessToken"))).body);
  EXPECT_EQ(str(me, "/tenant/name"), sql);
  EXPECT_EQ(str(me, "/user/name"), nosql);
  // As credentials they match nothing.
  EXPECT_EQ(login(s(), "injection", "inj@example.com", nosql).status, 401);
  EXPECT_EQ(
      call(s(), "POST", "/v1/auth/login",
           R"({"tenant": "injection", "email": "inj@example.com", "password": {"$ne": null}})")
          .status,
      400);
}

TEST_F(AuthHttpTest, TheDiscoveryDocumentsDescribeOurTokens) {
  auto jwks = call(s(), "GET", "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  auto key = parse(jwks.body).at("keys").at(0);
  EXPECT_EQ(key.at("kty"), "OKP");
  EXPECT_EQ(key.at("crv"), "Ed25519");
  EXPECT_FALSE(key.as_object().contains("d")) << "never the private key";
  auto oidc = parse(call(s(), "GET", "/.well-known/openid-configuration").body);
  EXPECT_EQ(oidc.at("issuer"), "bakery");
  EXPECT_EQ(str(oidc, "/jwks_uri"), s().url("/.well-known/jwks.json"));
}

// Password reset: always 202; the token travels as an event (there is no mail server), here
// routed by a rule on the system bus to a queue the test reads.
TEST_F(AuthHttpTest, PasswordResetDeliversATokenAsAnEventAndRevokesSessions) {
  Tenant t = signUp(s(), "reset");
  core::SystemClock clock;
  std::string endpoint = "http://127.0.0.1:" + std::to_string(s().awsPort());
  auto events = aws::AwsJsonClient::create(bus::eventBridgeClientOptions(endpoint, "us-east-1"),
                                           {"test", "test", ""}, clock);
  auto sqs = aws::AwsJsonClient::create(queue::sqsClientOptions(endpoint, "us-east-1"),
                                        {"test", "test", ""}, clock);
  ASSERT_TRUE(events.ok() && sqs.ok());
  auto queue = (*sqs)->call("CreateQueue", json::object{{"QueueName", "auth-mail"}});
  ASSERT_TRUE(queue.ok()) << queue.error().message();
  std::string url(queue->at("QueueUrl").as_string());
  ASSERT_TRUE(
      (*events)
          ->call(
              "PutRule",
              json::object{
                  {"Name", "auth-mail"},
                  {"EventPattern",
                   R"({"source":["bakery.auth"],"detail-type":["auth.password_reset_requested"]})"}})
          .ok());
  ASSERT_TRUE(
      (*events)
          ->call("PutTargets",
                 json::object{
                     {"Rule", "auth-mail"},
                     {"Targets",
                      json::array{json::object{
                          {"Id", "q"}, {"Arn", "arn:aws:sqs:us-east-1:000000000000:auth-mail"}}}}})
          .ok());

  auto unknown = call(s(), "POST", "/v1/auth/password-reset",
                      R"({"tenant": "reset", "email": "nobody@example.com"})");
  EXPECT_EQ(unknown.status, 202) << unknown.body;
  auto known = call(s(), "POST", "/v1/auth/password-reset",
                    R"({"tenant": "reset", "email": "owner@example.com"})");
  EXPECT_EQ(known.status, 202) << known.body;

  auto received = (*sqs)->call(
      "ReceiveMessage",
      json::object{{"QueueUrl", url}, {"WaitTimeSeconds", 10}, {"MaxNumberOfMessages", 10}});
  ASSERT_TRUE(received.ok()) << received.error().message();
  const auto& messages = received->at("Messages").as_array();
  ASSERT_EQ(messages.size(), 1u) << "only the known address gets a token";
  auto event = parse(std::string(messages[0].at("Body").as_string()));
  std::string token = str(event, "/detail/token");
  EXPECT_EQ(str(event, "/detail/tenant"), t.id);

  const std::string newPassword = "a brand new passphrase 42";
  auto confirm =
      call(s(), "POST", "/v1/auth/password-reset/confirm",
           json::serialize(json::object{{"token", token}, {"newPassword", newPassword}}));
  EXPECT_LT(confirm.status, 300) << confirm.body;
  // Single use; old sessions gone; the new password works, the old one does not.
  EXPECT_GE(call(s(), "POST", "/v1/auth/password-reset/confirm",
                 json::serialize(json::object{{"token", token}, {"newPassword", newPassword}}))
                .status,
            400);
  EXPECT_EQ(call(s(), "POST", "/v1/auth/refresh",
                 json::serialize(json::object{{"refreshToken", t.refresh}}))
                .status,
            401);
  EXPECT_EQ(login(s(), "reset", t.ownerEmail, newPassword).status, 200);
  EXPECT_EQ(login(s(), "reset", t.ownerEmail, kPassword).status, 401);

  // The audit trail saw it all and holds no secret.
  auto audit =
      call(s(), "GET", "/v1/audit", {},
           bearer(str(parse(login(s(), "reset", t.ownerEmail, newPassword).body), "/accessToken")));
  ASSERT_EQ(audit.status, 200) << audit.body;
  for (const char* action : {"tenant_signed_up", "login_succeeded", "login_failed",
                             "password_reset_requested", "password_reset_completed"}) {
    EXPECT_NE(audit.body.find(action), std::string::npos) << action;
  }
  for (const std::string& secret : {std::string(kPassword), newPassword, token, t.refresh}) {
    EXPECT_EQ(audit.body.find(secret), std::string::npos) << "a secret in the audit trail";
  }
}

TEST(AuthLimitsHttpTest, SignUpsPerSourceAddressAreLimited) {
  ServerProcess s(bakeryBinary(), R"({"auth": {"passwordCost": {"iterations": 1, "memoryKiB": 1024},
      "signupsPerIpPerHour": 2}})");
  signUp(s, "limit-one");
  signUp(s, "limit-two");
  auto third = call(s, "POST", "/v1/tenants", R"({"name": "X", "slug": "limit-three",
      "owner": {"email": "x@example.com", "password": "correct horse battery staple",
                "name": "X"}})");
  EXPECT_EQ(third.status, 429) << third.body;
  EXPECT_TRUE(third.header("retry-after").has_value());
}

TEST(AuthLimitsHttpTest, KeysSurviveARestartAndOldTokensStillVerify) {
  TempDir dir;
  std::string token;
  {
    ServerProcess s(bakeryBinary(), config(), {}, dir.path());
    token = signUp(s, "restart").access;
  }
  ServerProcess s(bakeryBinary(), config(), {}, dir.path());
  EXPECT_EQ(call(s, "GET", "/v1/me", {}, bearer(token)).status, 200);
}

// A tenant with its own identity provider: another server's tokens (here a second `bakery
// serve` plays the provider, publishing its JWKS) are trusted for one tenant.
TEST(AuthOidcHttpTest, TokensOfATrustedIssuerActInTheirConfiguredTenant) {
  ServerProcess idp(bakeryBinary(), config(R"(, "issuer": "idp-a")"));
  Tenant there = signUp(idp, "idp-users");
  ServerProcess s(bakeryBinary(), config(R"(, "trustedIssuers": [{"issuer": "idp-a",
      "jwksUri": ")" + idp.url("/.well-known/jwks.json") +
                                         R"(", "audience": "bakery", "tenant": "t-external"}])"));
  auto echo = call(s, "GET", "/v1/diag/echo-authorized", {}, bearer(there.access));
  ASSERT_EQ(echo.status, 200) << echo.body;
  auto claims = parse(echo.body).at("requestContext").at("authorizer").at("jwt").at("claims");
  EXPECT_EQ(str(claims, "/tenant"), "t-external");
  EXPECT_EQ(str(claims, "/sub"), there.ownerId);
  EXPECT_EQ(str(claims, "/iss"), "idp-a");
  // Its own users' tokens still work; an issuer nobody configured does not.
  Tenant here = signUp(s, "local-users");
  EXPECT_EQ(call(s, "GET", "/v1/diag/echo-authorized", {}, bearer(here.access)).status, 200);
  ServerProcess stranger(bakeryBinary(), config(R"(, "issuer": "idp-b")"));
  Tenant unknown = signUp(stranger, "strangers");
  auto refused = call(s, "GET", "/v1/diag/echo-authorized", {}, bearer(unknown.access));
  EXPECT_EQ(refused.status, 401) << refused.body;
}

// npm's `jose` (an independent JOSE implementation) verifies our tokens with our JWKS.
void verifyWithJose(const std::string& algorithm, const std::string& expectedKty) {
  ServerProcess s(bakeryBinary(), config(R"(, "algorithm": ")" + algorithm + R"(")"));
  Tenant t = signUp(s, "jose-" + std::string(algorithm == "EdDSA" ? "ed" : "rs"));
  auto r = runCommand({BAKERY_NODE_PATH, BAKERY_AUTH_JOSE_SCRIPT, BAKERY_NODE_MODULES_DIR,
                       s.url(""), t.access, algorithm, "bakery"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto out = parse(r.out);
  ASSERT_TRUE(out.at("ok").as_bool()) << r.out;
  EXPECT_EQ(str(out, "/alg"), algorithm);
  EXPECT_EQ(str(out, "/claims/tenant"), t.id);
  EXPECT_FALSE(out.at("tamperedVerified").as_bool());
  auto jwks = parse(call(s, "GET", "/.well-known/jwks.json").body);
  EXPECT_EQ(str(jwks, "/keys/0/kty"), expectedKty);
}

TEST(AuthJoseTest, JoseVerifiesOurEdDsaTokens) { verifyWithJose("EdDSA", "OKP"); }
TEST(AuthJoseTest, JoseVerifiesOurRs256Tokens) { verifyWithJose("RS256", "RSA"); }

}  // namespace
}  // namespace bakery::testing
