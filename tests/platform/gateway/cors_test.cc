#include "platform/gateway/cors.h"

#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bakery::gateway {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kApp = "https://app.example";

// Every value of header `name` (case-insensitive) in arrival order.
std::vector<std::string> values(const ServerResponse& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : r.headers) {
    if (equalsIgnoreCase(h.name, name)) out.push_back(h.value);
  }
  return out;
}

std::optional<std::string> single(const ServerResponse& r, std::string_view name) {
  auto v = values(r, name);
  EXPECT_LE(v.size(), 1u) << name;
  return v.empty() ? std::nullopt : std::optional<std::string>(v.front());
}

// The access-control-* headers of a response.
std::vector<std::string> grants(const ServerResponse& r) {
  std::vector<std::string> out;
  for (const auto& h : r.headers) {
    std::string lower;
    for (char c : h.name)
      lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (lower.rfind("access-control-", 0) == 0) out.push_back(lower);
  }
  return out;
}

ServerRequest preflightRequest(std::string origin, std::string method,
                               std::optional<std::string> headers = std::nullopt) {
  ServerRequest req;
  req.method = "OPTIONS";
  req.target = "/v1/items";
  req.headers.push_back({"Origin", std::move(origin)});
  req.headers.push_back({"Access-Control-Request-Method", std::move(method)});
  if (headers) req.headers.push_back({"Access-Control-Request-Headers", std::move(*headers)});
  return req;
}

CorsConfig appConfig() {
  CorsConfig c;
  c.allowOrigins = {std::string(kApp), "https://admin.example"};
  c.allowMethods = {"GET", "POST"};
  c.allowHeaders = {"content-type", "x-api-key"};
  c.exposeHeaders = {"x-request-id", "x-total"};
  c.maxAge = 600s;
  return c;
}

TEST(CorsPolicyTest, PreflightNeedsOptionsOriginAndRequestMethod) {
  EXPECT_TRUE(CorsPolicy::isPreflight(preflightRequest(std::string(kApp), "POST")));
  ServerRequest get = preflightRequest(std::string(kApp), "POST");
  get.method = "GET";
  EXPECT_FALSE(CorsPolicy::isPreflight(get));
  ServerRequest noOrigin;
  noOrigin.method = "OPTIONS";
  noOrigin.headers.push_back({"Access-Control-Request-Method", "POST"});
  EXPECT_FALSE(CorsPolicy::isPreflight(noOrigin));
  ServerRequest noMethod;
  noMethod.method = "OPTIONS";
  noMethod.headers.push_back({"Origin", std::string(kApp)});
  EXPECT_FALSE(CorsPolicy::isPreflight(noMethod));
}

TEST(CorsPolicyTest, PreflightHeaderNamesAreCaseInsensitive) {
  ServerRequest req;
  req.method = "OPTIONS";
  req.headers.push_back({"ORIGIN", std::string(kApp)});
  req.headers.push_back({"access-control-request-method", "GET"});
  EXPECT_TRUE(CorsPolicy::isPreflight(req));
}

TEST(CorsPolicyTest, PreflightFromAnAllowedOriginIsGranted) {
  CorsPolicy policy(appConfig());
  ServerResponse r = policy.preflight(preflightRequest(std::string(kApp), "POST", "Content-Type"));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(single(r, "access-control-allow-origin"), kApp);
  EXPECT_EQ(single(r, "access-control-allow-methods"), "GET,POST");
  EXPECT_EQ(single(r, "access-control-allow-headers"), "content-type,x-api-key");
  EXPECT_EQ(single(r, "access-control-max-age"), "600");
  EXPECT_EQ(single(r, "access-control-allow-credentials"), std::nullopt);
  EXPECT_EQ(single(r, "vary"), "Origin");
  EXPECT_TRUE(r.body.empty());
}

TEST(CorsPolicyTest, PreflightFromAnotherOriginGetsNoGrant) {
  CorsPolicy policy(appConfig());
  ServerResponse r = policy.preflight(preflightRequest("https://evil.example", "GET"));
  EXPECT_EQ(r.status, 204);
  EXPECT_THAT(grants(r), IsEmpty());
  EXPECT_EQ(single(r, "vary"), "Origin");
}

TEST(CorsPolicyTest, OriginsAreComparedExactly) {
  CorsPolicy policy(appConfig());
  for (std::string origin : {"https://APP.example", "https://app.example/", "http://app.example",
                             "https://app.example:443", "https://app.example.evil"}) {
    EXPECT_THAT(grants(policy.preflight(preflightRequest(origin, "GET"))), IsEmpty()) << origin;
  }
}

TEST(CorsPolicyTest, PreflightForADisallowedMethodGetsNoGrant) {
  CorsPolicy policy(appConfig());
  EXPECT_THAT(grants(policy.preflight(preflightRequest(std::string(kApp), "DELETE"))), IsEmpty());
}

TEST(CorsPolicyTest, RequestedMethodIsComparedWithoutCase) {
  CorsPolicy policy(appConfig());
  EXPECT_THAT(grants(policy.preflight(preflightRequest(std::string(kApp), "post"))),
              Not(IsEmpty()));
}

TEST(CorsPolicyTest, PreflightAskingForADisallowedHeaderGetsNoGrant) {
  CorsPolicy policy(appConfig());
  ServerResponse r =
      policy.preflight(preflightRequest(std::string(kApp), "POST", "content-type, x-secret"));
  EXPECT_THAT(grants(r), IsEmpty());
}

TEST(CorsPolicyTest, RequestedHeadersAreCaseInsensitiveAndTrimmed) {
  CorsPolicy policy(appConfig());
  ServerResponse r =
      policy.preflight(preflightRequest(std::string(kApp), "POST", " Content-Type ,\tX-API-Key,,"));
  EXPECT_EQ(single(r, "access-control-allow-origin"), kApp);
}

TEST(CorsPolicyTest, EmptyRequestHeadersListIsGranted) {
  CorsPolicy policy(appConfig());
  EXPECT_EQ(single(policy.preflight(preflightRequest(std::string(kApp), "GET", "")),
                   "access-control-allow-origin"),
            kApp);
}

TEST(CorsPolicyTest, WildcardsAllowAnyOriginMethodAndHeader) {
  CorsConfig c;
  c.allowOrigins = {"*"};
  c.allowMethods = {"*"};
  c.allowHeaders = {"*"};
  CorsPolicy policy(c);
  ServerResponse r =
      policy.preflight(preflightRequest("https://anyone.example", "PATCH", "x-whatever"));
  EXPECT_EQ(single(r, "access-control-allow-origin"), "*");
  EXPECT_EQ(single(r, "access-control-allow-methods"), "*");
  EXPECT_EQ(single(r, "access-control-allow-headers"), "*");
}

TEST(CorsPolicyTest, NoAllowHeadersConfiguredGrantsOnlyRequestsWithoutHeaders) {
  CorsConfig c = appConfig();
  c.allowHeaders.clear();
  CorsPolicy policy(c);
  ServerResponse plain = policy.preflight(preflightRequest(std::string(kApp), "GET"));
  EXPECT_EQ(single(plain, "access-control-allow-origin"), kApp);
  EXPECT_EQ(single(plain, "access-control-allow-headers"), std::nullopt);
  EXPECT_THAT(grants(policy.preflight(preflightRequest(std::string(kApp), "GET", "x-a"))),
              IsEmpty());
}

TEST(CorsPolicyTest, ZeroMaxAgeSendsNoMaxAgeHeader) {
  CorsConfig c = appConfig();
  c.maxAge = 0s;
  CorsPolicy policy(c);
  ServerResponse r = policy.preflight(preflightRequest(std::string(kApp), "GET"));
  EXPECT_EQ(single(r, "access-control-allow-origin"), kApp);
  EXPECT_EQ(single(r, "access-control-max-age"), std::nullopt);
}

TEST(CorsPolicyTest, CredentialsEchoTheOriginInsteadOfTheWildcard) {
  CorsConfig c;
  c.allowOrigins = {"*"};
  c.allowMethods = {"GET"};
  c.allowCredentials = true;
  CorsPolicy policy(c);
  ServerResponse r = policy.preflight(preflightRequest("https://anyone.example", "GET"));
  EXPECT_EQ(single(r, "access-control-allow-origin"), "https://anyone.example");
  EXPECT_EQ(single(r, "access-control-allow-credentials"), "true");

  ServerResponse actual;
  policy.decorate("https://anyone.example", actual);
  EXPECT_EQ(single(actual, "access-control-allow-origin"), "https://anyone.example");
  EXPECT_EQ(single(actual, "access-control-allow-credentials"), "true");
}

TEST(CorsPolicyTest, DecorateGrantsAnAllowedOrigin) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("content-type", "application/json");
  policy.decorate(kApp, r);
  EXPECT_EQ(single(r, "access-control-allow-origin"), kApp);
  EXPECT_EQ(single(r, "access-control-expose-headers"), "x-request-id,x-total");
  EXPECT_EQ(single(r, "access-control-allow-credentials"), std::nullopt);
  EXPECT_EQ(single(r, "vary"), "Origin");
  EXPECT_EQ(single(r, "content-type"), "application/json");
  // Preflight-only headers stay off actual responses.
  EXPECT_EQ(single(r, "access-control-allow-methods"), std::nullopt);
  EXPECT_EQ(single(r, "access-control-max-age"), std::nullopt);
}

TEST(CorsPolicyTest, DecorateWithWildcardOriginSendsTheWildcard) {
  CorsConfig c;
  c.allowOrigins = {"*"};
  CorsPolicy policy(c);
  ServerResponse r;
  policy.decorate("https://anyone.example", r);
  EXPECT_EQ(single(r, "access-control-allow-origin"), "*");
  EXPECT_EQ(single(r, "access-control-expose-headers"), std::nullopt);
}

TEST(CorsPolicyTest, DecorateStripsTheFunctionsOwnCorsHeaders) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("Access-Control-Allow-Origin", "*");
  r.set("access-control-allow-credentials", "true");
  r.set("ACCESS-CONTROL-EXPOSE-HEADERS", "x-secret");
  r.set("x-other", "kept");
  policy.decorate(kApp, r);
  EXPECT_THAT(values(r, "access-control-allow-origin"), ElementsAre(std::string(kApp)));
  EXPECT_EQ(single(r, "access-control-allow-credentials"), std::nullopt);
  EXPECT_THAT(values(r, "access-control-expose-headers"), ElementsAre("x-request-id,x-total"));
  EXPECT_EQ(single(r, "x-other"), "kept");
}

TEST(CorsPolicyTest, DecorateStripsCorsHeadersEvenForADisallowedOrigin) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("access-control-allow-origin", "*");
  r.set("x-other", "kept");
  policy.decorate("https://evil.example", r);
  EXPECT_THAT(grants(r), IsEmpty());
  EXPECT_EQ(single(r, "x-other"), "kept");
}

TEST(CorsPolicyTest, DecorateWithoutAnOriginGrantsNothing) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("access-control-allow-origin", "*");
  policy.decorate("", r);
  EXPECT_THAT(grants(r), IsEmpty());
}

TEST(CorsPolicyTest, DecorateKeepsHeadersThatOnlyStartLikeCorsHeaders) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("access-control", "short");
  r.set("access-controlled", "kept");
  policy.decorate("", r);
  EXPECT_EQ(single(r, "access-control"), "short");
  EXPECT_EQ(single(r, "access-controlled"), "kept");
}

TEST(CorsPolicyTest, ConfigIsKept) {
  CorsPolicy policy(appConfig());
  EXPECT_EQ(policy.config().maxAge, 600s);
  EXPECT_THAT(policy.config().allowMethods, ElementsAre("GET", "POST"));
}

}  // namespace
}  // namespace bakery::gateway

namespace bakery::gateway {
namespace {

TEST(CorsPolicyTest, DecorateMergesOriginIntoAnExistingVary) {
  CorsPolicy policy(appConfig());
  ServerResponse r;
  r.set("Vary", "Accept-Encoding");
  policy.decorate(appConfig().allowOrigins.front(), r);
  EXPECT_EQ(values(r, "vary"), std::vector<std::string>{"Accept-Encoding, Origin"});
}

}  // namespace
}  // namespace bakery::gateway
