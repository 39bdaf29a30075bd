#include "platform/gateway/router.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bakery::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Params = std::vector<std::pair<std::string, std::string>>;

// Builds a router from (routeKey, target) pairs; every key must be accepted.
Router routerOf(std::initializer_list<std::pair<std::string, std::string>> routes) {
  Router r;
  for (const auto& [key, target] : routes) {
    auto added = r.add(key, target);
    EXPECT_TRUE(added.ok()) << key << ": " << (added.ok() ? "" : added.error().message());
  }
  return r;
}

// The match for (method, path); fails the test on a miss.
RouteMatch matched(const Router& r, std::string_view method, std::string_view path) {
  auto result = r.match(method, path);
  EXPECT_TRUE(std::holds_alternative<RouteMatch>(result)) << method << " " << path;
  return std::holds_alternative<RouteMatch>(result) ? std::get<RouteMatch>(result) : RouteMatch{};
}

// The miss for (method, path); fails the test on a match.
RouteMiss missed(const Router& r, std::string_view method, std::string_view path) {
  auto result = r.match(method, path);
  EXPECT_TRUE(std::holds_alternative<RouteMiss>(result))
      << method << " " << path << " matched "
      << (std::holds_alternative<RouteMatch>(result) ? std::get<RouteMatch>(result).routeKey : "");
  return std::holds_alternative<RouteMiss>(result) ? std::get<RouteMiss>(result) : RouteMiss{};
}

TEST(RouterTest, MatchesALiteralPath) {
  Router r = routerOf({{"GET /v1/items", "items.list"}});
  RouteMatch m = matched(r, "GET", "/v1/items");
  EXPECT_EQ(m.routeKey, "GET /v1/items");
  EXPECT_EQ(m.target, "items.list");
  EXPECT_THAT(m.pathParameters, IsEmpty());
}

TEST(RouterTest, MatchesTheRootPath) {
  Router r = routerOf({{"GET /", "home.get"}});
  EXPECT_EQ(matched(r, "GET", "/").target, "home.get");
  missed(r, "GET", "/x");
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}, {"GET /items/special", "items.special"}});
  EXPECT_EQ(matched(r, "GET", "/items/special").target, "items.special");
  RouteMatch m = matched(r, "GET", "/items/42");
  EXPECT_EQ(m.target, "items.get");
  EXPECT_EQ(m.pathParameters, (Params{{"id", "42"}}));
}

TEST(RouterTest, LiteralBeatsParameterWhicheverIsDeclaredFirst) {
  Router r = routerOf({{"GET /items/special", "items.special"}, {"GET /items/{id}", "items.get"}});
  EXPECT_EQ(matched(r, "GET", "/items/special").target, "items.special");
}

TEST(RouterTest, ParameterBeatsGreedy) {
  Router r = routerOf({{"GET /files/{path+}", "files.tree"}, {"GET /files/{name}", "files.one"}});
  RouteMatch one = matched(r, "GET", "/files/readme");
  EXPECT_EQ(one.target, "files.one");
  EXPECT_EQ(one.pathParameters, (Params{{"name", "readme"}}));
  RouteMatch tree = matched(r, "GET", "/files/docs/readme");
  EXPECT_EQ(tree.target, "files.tree");
  EXPECT_EQ(tree.pathParameters, (Params{{"path", "docs/readme"}}));
}

TEST(RouterTest, LiteralBeatsGreedy) {
  Router r = routerOf({{"ANY /{proxy+}", "fallback.any"}, {"GET /health", "diag.health"}});
  EXPECT_EQ(matched(r, "GET", "/health").target, "diag.health");
  EXPECT_EQ(matched(r, "GET", "/other").target, "fallback.any");
}

TEST(RouterTest, BacktracksFromADeadEndLiteralToAParameter) {
  Router r = routerOf(
      {{"GET /items/special/info", "items.info"}, {"GET /items/{id}/detail", "items.detail"}});
  RouteMatch m = matched(r, "GET", "/items/special/detail");
  EXPECT_EQ(m.target, "items.detail");
  EXPECT_EQ(m.pathParameters, (Params{{"id", "special"}}));
}

TEST(RouterTest, BacktracksFromADeadEndParameterToAGreedy) {
  Router r = routerOf({{"GET /a/{x}/b", "a.b"}, {"GET /a/{rest+}", "a.rest"}});
  RouteMatch m = matched(r, "GET", "/a/1/c");
  EXPECT_EQ(m.target, "a.rest");
  EXPECT_EQ(m.pathParameters, (Params{{"rest", "1/c"}}));
}

TEST(RouterTest, BindsSeveralParametersInPathOrder) {
  Router r = routerOf({{"GET /users/{user}/posts/{post}/{rest+}", "posts.get"}});
  RouteMatch m = matched(r, "GET", "/users/u1/posts/p2/a/b");
  EXPECT_EQ(m.pathParameters, (Params{{"user", "u1"}, {"post", "p2"}, {"rest", "a/b"}}));
}

TEST(RouterTest, ExplicitMethodBeatsAny) {
  Router r = routerOf({{"ANY /x", "x.any"}, {"GET /x", "x.get"}});
  EXPECT_EQ(matched(r, "GET", "/x").target, "x.get");
  RouteMatch post = matched(r, "POST", "/x");
  EXPECT_EQ(post.target, "x.any");
  EXPECT_EQ(post.routeKey, "ANY /x");
}

TEST(RouterTest, ExplicitMethodBeatsAnyOnGreedyRoutes) {
  Router r = routerOf({{"ANY /p/{rest+}", "p.any"}, {"DELETE /p/{rest+}", "p.delete"}});
  EXPECT_EQ(matched(r, "DELETE", "/p/a").target, "p.delete");
  EXPECT_EQ(matched(r, "PUT", "/p/a").target, "p.any");
}

TEST(RouterTest, AnyMatchesEveryMethod) {
  Router r = routerOf({{"ANY /x", "x.any"}});
  for (std::string_view method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    EXPECT_EQ(matched(r, method, "/x").target, "x.any") << method;
  }
}

TEST(RouterTest, PathKnownOnlyUnderOtherMethodsIs405WithTheAllowedMethods) {
  Router r = routerOf({{"GET /x", "x.get"}, {"PUT /x", "x.put"}, {"POST /y", "y.post"}});
  RouteMiss miss = missed(r, "DELETE", "/x");
  EXPECT_THAT(miss.allowedMethods, ElementsAre("GET", "PUT"));
}

TEST(RouterTest, AllowListCollectsMethodsFromEveryMatchingPath) {
  Router r = routerOf({{"GET /items/special", "a.a"}, {"PUT /items/{id}", "b.b"}});
  RouteMiss miss = missed(r, "DELETE", "/items/special");
  EXPECT_THAT(miss.allowedMethods, ElementsAre("GET", "PUT"));
}

TEST(RouterTest, UnknownPathIs404WithNoAllowedMethods) {
  Router r = routerOf({{"GET /x", "x.get"}});
  EXPECT_THAT(missed(r, "GET", "/nope").allowedMethods, IsEmpty());
  EXPECT_THAT(missed(r, "GET", "/x/deeper").allowedMethods, IsEmpty());
}

TEST(RouterTest, DefaultRouteCatchesWhatNothingElseMatches) {
  Router r = routerOf({{"GET /x", "x.get"}, {"$default", "fallback.default"}});
  EXPECT_EQ(matched(r, "GET", "/x").target, "x.get");
  RouteMatch m = matched(r, "GET", "/unknown/path");
  EXPECT_EQ(m.routeKey, "$default");
  EXPECT_EQ(m.target, "fallback.default");
  EXPECT_THAT(m.pathParameters, IsEmpty());
  EXPECT_EQ(matched(r, "DELETE", "/x").target, "fallback.default");
}

TEST(RouterTest, GreedyParameterNeedsAtLeastOneSegment) {
  Router r = routerOf({{"GET /files/{path+}", "files.tree"}});
  EXPECT_THAT(missed(r, "GET", "/files").allowedMethods, IsEmpty());
  missed(r, "GET", "/files/");
  EXPECT_EQ(matched(r, "GET", "/files/a").pathParameters, (Params{{"path", "a"}}));
}

TEST(RouterTest, RootGreedyDoesNotMatchTheRoot) {
  Router r = routerOf({{"ANY /{proxy+}", "fallback.any"}});
  missed(r, "GET", "/");
  EXPECT_EQ(matched(r, "GET", "/a/b/c").pathParameters, (Params{{"proxy", "a/b/c"}}));
}

TEST(RouterTest, GreedyKeepsATrailingSlash) {
  Router r = routerOf({{"ANY /{proxy+}", "fallback.any"}});
  EXPECT_EQ(matched(r, "GET", "/a/").pathParameters, (Params{{"proxy", "a/"}}));
}

TEST(RouterTest, ParameterDoesNotMatchAnEmptySegment) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}});
  missed(r, "GET", "/items/");
  missed(r, "GET", "/items//");
}

TEST(RouterTest, ParametersArePercentDecoded) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}, {"GET /files/{path+}", "files.tree"}});
  EXPECT_EQ(matched(r, "GET", "/items/a%20b").pathParameters, (Params{{"id", "a b"}}));
  EXPECT_EQ(matched(r, "GET", "/items/caf%C3%A9").pathParameters, (Params{{"id", "caf\xc3\xa9"}}));
  EXPECT_EQ(matched(r, "GET", "/items/a%2Fb").pathParameters, (Params{{"id", "a/b"}}));
  EXPECT_EQ(matched(r, "GET", "/files/a%20b/c%2fd").pathParameters, (Params{{"path", "a b/c/d"}}));
}

TEST(RouterTest, PlusInAPathStaysAPlus) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}});
  EXPECT_EQ(matched(r, "GET", "/items/a+b").pathParameters, (Params{{"id", "a+b"}}));
}

TEST(RouterTest, MalformedEscapeInAParameterIsPassedThroughRaw) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}});
  EXPECT_EQ(matched(r, "GET", "/items/100%").pathParameters, (Params{{"id", "100%"}}));
  EXPECT_EQ(matched(r, "GET", "/items/%zz").pathParameters, (Params{{"id", "%zz"}}));
}

TEST(RouterTest, LiteralSegmentsMatchTheRawPath) {
  // Literals compare against the path as sent: an encoded slash is not a separator.
  Router r = routerOf({{"GET /a/b", "a.b"}});
  missed(r, "GET", "/a%2Fb");
}

TEST(RouterTest, MethodsAreCaseSensitive) {
  Router r = routerOf({{"GET /x", "x.get"}});
  EXPECT_THAT(missed(r, "get", "/x").allowedMethods, ElementsAre("GET"));
}

TEST(RouterTest, RejectsInvalidRouteKeys) {
  for (std::string_view key :
       {"", "GET", "GET/x", "get /x", "FETCH /x", "GET x", "GET  /x", "GET /{}", "GET /{+}",
        "GET /a/{p+}/b", "GET /a{b}", "GET /{a", "GET /a}", "GET /x/{a}b", "$DEFAULT", "default"}) {
    Router r;
    auto added = r.add(key, "t.t");
    ASSERT_FALSE(added.ok()) << "'" << key << "' was accepted";
    EXPECT_EQ(added.error().type(), "ValidationException") << key;
    EXPECT_EQ(added.error().field(), "routes") << key;
    EXPECT_THAT(added.error().message(), HasSubstr(std::string(key))) << key;
  }
}

TEST(RouterTest, AcceptsEveryKnownMethod) {
  Router r;
  for (std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}) {
    EXPECT_TRUE(r.add(method + " /x", "x.x").ok()) << method;
  }
}

TEST(RouterTest, DuplicateRouteKeysAreRejected) {
  Router r = routerOf({{"GET /x", "x.get"}, {"GET /files/{p+}", "f.f"}, {"$default", "d.d"}});
  EXPECT_FALSE(r.add("GET /x", "x.other").ok());
  EXPECT_FALSE(r.add("GET /files/{p+}", "f.other").ok());
  EXPECT_FALSE(r.add("$default", "d.other").ok());
  EXPECT_THAT(r.add("GET /x", "x.other").error().message(), HasSubstr("declared twice"));
  EXPECT_EQ(matched(r, "GET", "/x").target, "x.get");
}

TEST(RouterTest, SameParameterPathWithAnotherNameIsADuplicate) {
  // API Gateway treats /items/{id} and /items/{name} as the same route.
  Router r = routerOf({{"GET /items/{id}", "items.get"}});
  EXPECT_FALSE(r.add("GET /items/{name}", "items.other").ok());
}

TEST(RouterTest, ConflictingParameterNamesAtOnePositionAreRejected) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}});
  auto added = r.add("PUT /items/{itemId}/tags", "items.tags");
  ASSERT_FALSE(added.ok());
  EXPECT_THAT(added.error().message(), HasSubstr("{itemId}"));
  EXPECT_TRUE(r.add("PUT /items/{id}/tags", "items.tags").ok());
}

TEST(RouterTest, ConflictingGreedyNamesAtOnePositionAreRejected) {
  Router r = routerOf({{"GET /files/{path+}", "files.get"}});
  EXPECT_FALSE(r.add("PUT /files/{rest+}", "files.put").ok());
  EXPECT_TRUE(r.add("PUT /files/{path+}", "files.put").ok());
}

TEST(RouterTest, SamePathUnderDifferentMethodsIsAllowed) {
  Router r = routerOf({{"GET /x", "x.get"}, {"POST /x", "x.post"}, {"ANY /x", "x.any"}});
  EXPECT_EQ(matched(r, "POST", "/x").target, "x.post");
}

TEST(RouterTest, RouteKeysListsAcceptedKeysInOrder) {
  Router r = routerOf({{"GET /b", "b.b"}, {"$default", "d.d"}, {"ANY /{p+}", "p.p"}});
  (void)r.add("bogus", "x.x");
  EXPECT_THAT(r.routeKeys(), ElementsAre("GET /b", "$default", "ANY /{p+}"));
}

TEST(RouterTest, SurvivesAMove) {
  Router r = routerOf({{"GET /items/{id}", "items.get"}, {"$default", "d.d"}});
  Router moved = std::move(r);
  EXPECT_EQ(matched(moved, "GET", "/items/1").target, "items.get");
  EXPECT_EQ(matched(moved, "GET", "/zzz").target, "d.d");
}

TEST(PercentDecodeTest, DecodesEscapesInEitherCase) {
  EXPECT_EQ(percentDecode("a%41b"), "aAb");
  EXPECT_EQ(percentDecode("%4a%4A"), "JJ");
  EXPECT_EQ(percentDecode("%e2%82%ac"), "\xe2\x82\xac");
  EXPECT_EQ(percentDecode(""), "");
  EXPECT_EQ(percentDecode("plain"), "plain");
}

TEST(PercentDecodeTest, DecodesNulAndPercentItself) {
  EXPECT_EQ(percentDecode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percentDecode("100%25"), "100%");
}

TEST(PercentDecodeTest, KeepsPlusAsPlus) { EXPECT_EQ(percentDecode("a+b"), "a+b"); }

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  EXPECT_EQ(percentDecode("%"), std::nullopt);
  EXPECT_EQ(percentDecode("%4"), std::nullopt);
  EXPECT_EQ(percentDecode("abc%"), std::nullopt);
  EXPECT_EQ(percentDecode("abc%4"), std::nullopt);
  EXPECT_EQ(percentDecode("%G1"), std::nullopt);
  EXPECT_EQ(percentDecode("%1G"), std::nullopt);
  EXPECT_EQ(percentDecode("%%41"), std::nullopt);
}

}  // namespace
}  // namespace bakery::gateway

namespace bakery::gateway {
namespace {

TEST(RouterTest, ARefusedRouteLeavesTheTableAsItWas) {
  Router r;
  // Refused for its greedy segment in the middle, after `{id}` would have been created.
  EXPECT_FALSE(r.add("GET /p/{id}/{rest+}/z", "f").ok());
  EXPECT_TRUE(r.add("GET /p/{other}", "g").ok()) << "no half-built {id} node left behind";
  auto m = std::get<RouteMatch>(r.match("GET", "/p/7"));
  EXPECT_EQ(m.pathParameters, (std::vector<std::pair<std::string, std::string>>{{"other", "7"}}));
  // A conflict found deep in the path adds nothing either.
  ASSERT_TRUE(r.add("GET /q/{a}/x", "f").ok());
  EXPECT_FALSE(r.add("GET /q/{b}/y", "f").ok());
  EXPECT_TRUE(std::holds_alternative<RouteMiss>(r.match("GET", "/q/1/y")));
  EXPECT_EQ(r.routeKeys(), (std::vector<std::string>{"GET /p/{other}", "GET /q/{a}/x"}));
}

TEST(RouterTest, EmptyPathSegmentsAreRejected) {
  Router r;
  EXPECT_FALSE(r.add("GET /a//b", "f").ok());
  EXPECT_FALSE(r.add("GET /a/", "f").ok());
  EXPECT_TRUE(r.add("GET /", "f").ok());
}

}  // namespace
}  // namespace bakery::gateway
