#include "platform/gateway/payload_v2.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/encoding.h"

namespace bakery::gateway {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json::value parse(std::string_view text) {
  auto v = core::parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value();
}

// 2026-11-25T15:19:49.123Z
const system_clock::time_point kTime =
    sys_days{year{2026} / 11 / 25} + 15h + 19min + 49s + 123456us;

// Builds the event for `request` (matched to `route`) as the gateway would.
class EventBuilder {
 public:
  EventBuilder() {
    request.method = "POST";
    request.target = "/v1/items/42?verbose=1";
    request.protocol = "HTTP/1.1";
    request.sourceIp = "10.0.0.1";
    route.routeKey = "POST /v1/items/{id}";
    route.target = "items.update";
    route.pathParameters = {{"id", "42"}};
  }
  EventBuilder& header(std::string name, std::string value) {
    request.headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  json::object build() {
    EventInputs in{request, route, api, "req-123", kTime, 8080, authorizer};
    return buildEvent(in);
  }

  ServerRequest request;
  RouteMatch route;
  ApiIdentity api;
  const json::object* authorizer = nullptr;
};

const json::object& objectAt(const json::object& o, std::string_view key) {
  static const json::object kEmpty;
  auto it = o.find(key);
  EXPECT_TRUE(it != o.end() && it->value().is_object()) << key << " in " << core::toJson(o);
  return it != o.end() && it->value().is_object() ? it->value().get_object() : kEmpty;
}

TEST(BuildEventTest, CarriesVersionRouteKeyRawPathAndRawQueryString) {
  json::object e = EventBuilder().build();
  EXPECT_EQ(e.at("version"), json::value("2.0"));
  EXPECT_EQ(e.at("routeKey"), json::value("POST /v1/items/{id}"));
  EXPECT_EQ(e.at("rawPath"), json::value("/v1/items/42"));
  EXPECT_EQ(e.at("rawQueryString"), json::value("verbose=1"));
}

TEST(BuildEventTest, RawPathAndQueryStayPercentEncoded) {
  EventBuilder b;
  b.request.target = "/v1/a%20b?q=caf%C3%A9&x=%2B";
  json::object e = b.build();
  EXPECT_EQ(e.at("rawPath"), json::value("/v1/a%20b"));
  EXPECT_EQ(e.at("rawQueryString"), json::value("q=caf%C3%A9&x=%2B"));
}

TEST(BuildEventTest, NoQueryGivesAnEmptyRawQueryStringAndNoParameters) {
  EventBuilder b;
  b.request.target = "/v1/items/42";
  json::object e = b.build();
  EXPECT_EQ(e.at("rawQueryString"), json::value(""));
  EXPECT_FALSE(e.contains("queryStringParameters"));
}

TEST(BuildEventTest, EmptyQueryAfterQuestionMarkGivesNoParameters) {
  EventBuilder b;
  b.request.target = "/v1/items/42?";
  json::object e = b.build();
  EXPECT_EQ(e.at("rawPath"), json::value("/v1/items/42"));
  EXPECT_EQ(e.at("rawQueryString"), json::value(""));
  EXPECT_FALSE(e.contains("queryStringParameters"));
}

TEST(BuildEventTest, QueryParametersAreDecodedAndRepeatedKeysCommaJoined) {
  EventBuilder b;
  b.request.target = "/x?name=J%C3%BCrgen&tag=a&tag=b&empty=&flag&a%20b=c%26d&plus=1+2";
  json::object e = b.build();
  EXPECT_EQ(json::value(objectAt(e, "queryStringParameters")),
            parse(R"({"name": "Jürgen", "tag": "a,b", "empty": "", "flag": "",
                      "a b": "c&d", "plus": "1+2"})"));
}

TEST(BuildEventTest, EmptyQueryPartsAreSkipped) {
  EventBuilder b;
  b.request.target = "/x?&a=1&&b=2&";
  EXPECT_EQ(json::value(objectAt(b.build(), "queryStringParameters")),
            parse(R"({"a": "1", "b": "2"})"));
}

TEST(BuildEventTest, MalformedEscapesInTheQueryArePassedThroughRaw) {
  EventBuilder b;
  b.request.target = "/x?q=100%&r=%zz";
  EXPECT_EQ(json::value(objectAt(b.build(), "queryStringParameters")),
            parse(R"({"q": "100%", "r": "%zz"})"));
}

TEST(BuildEventTest, HeaderNamesAreLowerCased) {
  json::object e = EventBuilder().header("X-Custom-Header", "Value").build();
  const json::object& headers = objectAt(e, "headers");
  EXPECT_EQ(headers.at("x-custom-header"), json::value("Value"));
  EXPECT_FALSE(headers.contains("X-Custom-Header"));
}

TEST(BuildEventTest, RepeatedHeadersAreCommaJoinedInArrivalOrder) {
  json::object e =
      EventBuilder().header("Accept", "text/html").header("accept", "application/json").build();
  EXPECT_EQ(objectAt(e, "headers").at("accept"), json::value("text/html,application/json"));
}

TEST(BuildEventTest, CookiesAreSplitFromEveryCookieHeaderAndLeftOutOfHeaders) {
  json::object e = EventBuilder()
                       .header("Cookie", "a=1; b=2")
                       .header("cookie", " c=3 ;; ")
                       .header("X-Other", "x")
                       .build();
  EXPECT_EQ(e.at("cookies"), parse(R"(["a=1", "b=2", "c=3"])"));
  EXPECT_FALSE(objectAt(e, "headers").contains("cookie"));
}

TEST(BuildEventTest, NoCookieHeaderMeansNoCookiesMember) {
  EXPECT_FALSE(EventBuilder().build().contains("cookies"));
  EXPECT_FALSE(EventBuilder().header("Cookie", " ; ").build().contains("cookies"));
}

TEST(BuildEventTest, ForwardedHeadersStateTheClientAndListener) {
  json::object e = EventBuilder().build();
  const json::object& headers = objectAt(e, "headers");
  EXPECT_EQ(headers.at("x-forwarded-for"), json::value("10.0.0.1"));
  EXPECT_EQ(headers.at("x-forwarded-port"), json::value("8080"));
  EXPECT_EQ(headers.at("x-forwarded-proto"), json::value("http"));
}

TEST(BuildEventTest, ClientAddressIsAppendedToIncomingForwardedFor) {
  json::object e = EventBuilder()
                       .header("X-Forwarded-For", "203.0.113.7")
                       .header("x-forwarded-for", "198.51.100.2")
                       .build();
  EXPECT_EQ(objectAt(e, "headers").at("x-forwarded-for"),
            json::value("203.0.113.7, 198.51.100.2, 10.0.0.1"));
}

TEST(BuildEventTest, ClientCannotForgeForwardedPortOrProto) {
  json::object e =
      EventBuilder().header("X-Forwarded-Proto", "https").header("X-Forwarded-Port", "443").build();
  const json::object& headers = objectAt(e, "headers");
  EXPECT_EQ(headers.at("x-forwarded-proto"), json::value("http"));
  EXPECT_EQ(headers.at("x-forwarded-port"), json::value("8080"));
}

TEST(BuildEventTest, PathParametersComeFromTheRoute) {
  EventBuilder b;
  b.route.pathParameters = {{"user", "u 1"}, {"proxy", "a/b"}};
  EXPECT_EQ(json::value(objectAt(b.build(), "pathParameters")),
            parse(R"({"user": "u 1", "proxy": "a/b"})"));
}

TEST(BuildEventTest, NoPathParametersMeansNoMember) {
  EventBuilder b;
  b.route.pathParameters.clear();
  EXPECT_FALSE(b.build().contains("pathParameters"));
}

TEST(BuildEventTest, StageVariablesAreOmittedWhenEmpty) {
  EXPECT_FALSE(EventBuilder().build().contains("stageVariables"));
}

TEST(BuildEventTest, StageVariablesArePassedWhenSet) {
  EventBuilder b;
  b.api.stageVariables = {{"table", "items"}, {"mode", "dev"}};
  EXPECT_EQ(json::value(objectAt(b.build(), "stageVariables")),
            parse(R"({"table": "items", "mode": "dev"})"));
}

TEST(BuildEventTest, RequestContextDescribesTheRequest) {
  EventBuilder b;
  b.header("Host", "api.bakery.example").header("User-Agent", "curl/8.0");
  b.api.accountId = "123456789012";
  b.api.apiId = "abc123";
  b.api.stage = "prod";
  json::object e = b.build();
  json::value expected = parse(R"({
    "accountId": "123456789012",
    "apiId": "abc123",
    "domainName": "api.bakery.example",
    "domainPrefix": "api",
    "http": {"method": "POST", "path": "/v1/items/42", "protocol": "HTTP/1.1",
             "sourceIp": "10.0.0.1", "userAgent": "curl/8.0"},
    "requestId": "req-123",
    "routeKey": "POST /v1/items/{id}",
    "stage": "prod",
    "time": "25/Nov/2026:15:19:49 +0000",
    "timeEpoch": 1795619989123
  })");
  EXPECT_EQ(json::value(objectAt(e, "requestContext")), expected);
}

TEST(BuildEventTest, DomainPrefixIgnoresThePort) {
  EventBuilder b;
  b.header("Host", "localhost:8080");
  EXPECT_EQ(objectAt(b.build(), "requestContext").at("domainPrefix"), json::value("localhost"));
  EventBuilder v6;
  v6.header("Host", "[::1]:8080");
  EXPECT_EQ(objectAt(v6.build(), "requestContext").at("domainPrefix"), json::value("[::1]"));
}

TEST(BuildEventTest, DefaultApiIdentityIsUsed) {
  json::object e = EventBuilder().build();
  const json::object& ctx = objectAt(e, "requestContext");
  EXPECT_EQ(ctx.at("accountId"), json::value("000000000000"));
  EXPECT_EQ(ctx.at("apiId"), json::value("bakery"));
  EXPECT_EQ(ctx.at("stage"), json::value("$default"));
}

TEST(BuildEventTest, AuthorizerIsIncludedOnlyWhenGiven) {
  EventBuilder b;
  EXPECT_FALSE(objectAt(b.build(), "requestContext").contains("authorizer"));
  json::object authorizer{{"lambda", {{"tenant", "t1"}}}};
  b.authorizer = &authorizer;
  EXPECT_EQ(objectAt(b.build(), "requestContext").at("authorizer"), json::value(authorizer));
}

TEST(BuildEventTest, BodyIsOmittedWhenEmpty) {
  json::object e = EventBuilder().build();
  EXPECT_FALSE(e.contains("body"));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(false));
}

TEST(BuildEventTest, JsonBodyIsPassedAsText) {
  EventBuilder b;
  b.header("Content-Type", "application/json; charset=utf-8");
  b.request.body = R"({"name":"rye"})";
  json::object e = b.build();
  EXPECT_EQ(e.at("body"), json::value(R"({"name":"rye"})"));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(false));
}

TEST(BuildEventTest, Utf8BodyWithoutContentTypeIsPassedAsText) {
  EventBuilder b;
  b.request.body = "caf\xc3\xa9";
  json::object e = b.build();
  EXPECT_EQ(e.at("body"), json::value("caf\xc3\xa9"));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(false));
}

TEST(BuildEventTest, BinaryBodyIsBase64Encoded) {
  EventBuilder b;
  b.header("Content-Type", "application/octet-stream");
  b.request.body = "\x00\x01\x02\xff"s;
  json::object e = b.build();
  EXPECT_EQ(e.at("body"), json::value("AAEC/w=="));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(true));
}

TEST(BuildEventTest, NonTextualContentTypeIsBase64EvenWhenTheBytesAreUtf8) {
  EventBuilder b;
  b.header("Content-Type", "image/svg");
  b.request.body = "hello";
  json::object e = b.build();
  EXPECT_EQ(e.at("body"), json::value(core::base64Encode("hello")));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(true));
}

TEST(BuildEventTest, TextualContentTypeWithInvalidUtf8IsBase64Encoded) {
  EventBuilder b;
  b.header("Content-Type", "text/plain");
  b.request.body = "bad \xc0\x80 bytes";
  json::object e = b.build();
  EXPECT_EQ(e.at("body"), json::value(core::base64Encode("bad \xc0\x80 bytes")));
  EXPECT_EQ(e.at("isBase64Encoded"), json::value(true));
}

TEST(BuildEventTest, MissingContentTypeWithInvalidUtf8IsBase64Encoded) {
  EventBuilder b;
  b.request.body = "\xff\xfe";
  EXPECT_EQ(b.build().at("isBase64Encoded"), json::value(true));
}

TEST(IsTextualContentTypeTest, RecognisesTextualTypes) {
  for (std::string_view t :
       {"text/plain", "text/html; charset=utf-8", "TEXT/CSV", "application/json",
        "Application/JSON", " application/json ; charset=utf-8", "application/xml",
        "application/javascript", "application/x-www-form-urlencoded", "application/ld+json",
        "application/vnd.api+json", "application/atom+xml", "application/graphql",
        "application/yaml"}) {
    EXPECT_TRUE(isTextualContentType(t)) << t;
  }
}

TEST(IsTextualContentTypeTest, RejectsBinaryTypes) {
  for (std::string_view t :
       {"application/octet-stream", "image/png", "application/pdf",
        "multipart/form-data; boundary=x", "application/jsonx", "", "application/zip"}) {
    EXPECT_FALSE(isTextualContentType(t)) << t;
  }
}

// --- mapResult ----------------------------------------------------------------------------

// Every value of header `name` (case-insensitive) in order.
std::vector<std::string> values(const ServerResponse& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : r.headers) {
    if (equalsIgnoreCase(h.name, name)) out.push_back(h.value);
  }
  return out;
}

ServerResponse mapped(std::string_view resultJson) {
  auto r = mapResult(parse(resultJson));
  EXPECT_TRUE(r.ok()) << resultJson << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : ServerResponse{};
}

core::Error malformed(std::string_view resultJson) {
  auto r = mapResult(parse(resultJson));
  EXPECT_FALSE(r.ok()) << resultJson;
  return r.ok() ? core::Error("", 0, "") : r.error();
}

TEST(MapResultTest, StructuredResponseSetsStatusHeadersAndBody) {
  ServerResponse r = mapped(R"({"statusCode": 201,
      "headers": {"content-type": "text/plain", "x-item": "42"}, "body": "made"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_THAT(values(r, "content-type"), ElementsAre("text/plain"));
  EXPECT_THAT(values(r, "x-item"), ElementsAre("42"));
  EXPECT_EQ(r.body, "made");
}

TEST(MapResultTest, UnsignedStatusCodeIsAccepted) {
  // A C++ handler may build the response from an unsigned status (Boost.JSON keeps it uint64).
  json::value result{{"statusCode", 201u}, {"body", "made"}};
  ASSERT_TRUE(result.at("statusCode").is_uint64());
  auto r = mapResult(result);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "made");
  json::value tooBig{{"statusCode", 600u}};
  EXPECT_FALSE(mapResult(tooBig).ok());
}

TEST(MapResultTest, StatusCodeAloneGivesAnEmptyBodyWithoutContentType) {
  ServerResponse r = mapped(R"({"statusCode": 204})");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty());
}

TEST(MapResultTest, StructuredBodyWithoutContentTypeIsJson) {
  ServerResponse r = mapped(R"({"statusCode": 200, "body": "{\"a\":1}"})");
  EXPECT_THAT(values(r, "content-type"), ElementsAre("application/json"));
}

TEST(MapResultTest, FunctionsContentTypeIsKeptWhateverItsCase) {
  ServerResponse r =
      mapped(R"({"statusCode": 200, "headers": {"Content-Type": "text/csv"}, "body": "a,b"})");
  EXPECT_THAT(values(r, "content-type"), ElementsAre("text/csv"));
}

TEST(MapResultTest, NumericAndBooleanHeaderValuesBecomeText) {
  ServerResponse r =
      mapped(R"({"statusCode": 200, "headers": {"x-count": 42, "x-neg": -7, "x-flag": true}})");
  EXPECT_THAT(values(r, "x-count"), ElementsAre("42"));
  EXPECT_THAT(values(r, "x-neg"), ElementsAre("-7"));
  EXPECT_THAT(values(r, "x-flag"), ElementsAre("true"));
}

TEST(MapResultTest, FractionalHeaderValueIsRenderedAsWritten) {
  ServerResponse r = mapped(R"({"statusCode": 200, "headers": {"x-ratio": 1.5}})");
  EXPECT_THAT(values(r, "x-ratio"), ElementsAre("1.5"));
}

TEST(MapResultTest, CookiesBecomeSetCookieHeaders) {
  ServerResponse r = mapped(R"({"statusCode": 200,
      "cookies": ["session=abc; HttpOnly; Secure", "theme=dark; Path=/"]})");
  EXPECT_THAT(values(r, "set-cookie"),
              ElementsAre("session=abc; HttpOnly; Secure", "theme=dark; Path=/"));
}

TEST(MapResultTest, Base64BodyIsDecoded) {
  ServerResponse r = mapped(R"({"statusCode": 200, "isBase64Encoded": true,
      "headers": {"content-type": "image/png"}, "body": "AAEC/w=="})");
  EXPECT_EQ(r.body, "\x00\x01\x02\xff"s);
  EXPECT_THAT(values(r, "content-type"), ElementsAre("image/png"));
}

TEST(MapResultTest, NullMembersAreTreatedAsAbsent) {
  ServerResponse r = mapped(R"({"statusCode": 200, "headers": null, "cookies": null,
      "isBase64Encoded": null, "body": null})");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
}

TEST(MapResultTest, ManagedHeadersAreDropped) {
  ServerResponse r = mapped(R"({"statusCode": 200, "body": "hi", "headers": {
      "Content-Length": "999", "connection": "close", "Transfer-Encoding": "chunked",
      "keep-alive": "timeout=5", "Upgrade": "websocket", "x-kept": "yes"}})");
  for (std::string_view name :
       {"content-length", "connection", "transfer-encoding", "keep-alive", "upgrade"}) {
    EXPECT_TRUE(values(r, name).empty()) << name;
  }
  EXPECT_THAT(values(r, "x-kept"), ElementsAre("yes"));
}

TEST(MapResultTest, ObjectWithoutStatusCodeIsReturnedAsJson) {
  ServerResponse r = mapped(R"({"message": "hi", "n": 1})");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(values(r, "content-type"), ElementsAre("application/json"));
  EXPECT_EQ(parse(r.body), parse(R"({"message": "hi", "n": 1})"));
}

TEST(MapResultTest, ObjectWithOnlyResponseLikeMembersButNoStatusCodeIsStillJson) {
  ServerResponse r = mapped(R"({"body": "x", "headers": {"a": "b"}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body), parse(R"({"body": "x", "headers": {"a": "b"}})"));
}

TEST(MapResultTest, ArrayIsReturnedAsJson) {
  ServerResponse r = mapped(R"([1, "two", null])");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"([1,"two",null])");
  EXPECT_THAT(values(r, "content-type"), ElementsAre("application/json"));
}

TEST(MapResultTest, NumberBooleanAndNullAreReturnedAsJsonText) {
  EXPECT_EQ(mapped("42").body, "42");
  EXPECT_EQ(mapped("true").body, "true");
  EXPECT_EQ(mapped("null").body, "null");
}

TEST(MapResultTest, BareStringIsReturnedAsItsText) {
  ServerResponse r = mapped(R"("hello \"world\"")");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"(hello "world")");
  EXPECT_THAT(values(r, "content-type"), ElementsAre("application/json"));
}

TEST(MapResultTest, MalformedResponseIsA500MalformedFunctionResponse) {
  core::Error e = malformed(R"({"statusCode": "200"})");
  EXPECT_EQ(e.type(), "MalformedFunctionResponse");
  EXPECT_EQ(e.status(), 500);
}

TEST(MapResultTest, StatusCodeMustBeAnIntegerFrom100To599) {
  for (std::string_view bad :
       {R"({"statusCode": "200"})", R"({"statusCode": 99})", R"({"statusCode": 600})",
        R"({"statusCode": 200.5})", R"({"statusCode": -200})", R"({"statusCode": null})",
        R"({"statusCode": true})"}) {
    EXPECT_THAT(malformed(bad).message(), HasSubstr("statusCode")) << bad;
  }
  EXPECT_EQ(mapped(R"({"statusCode": 100})").status, 100);
  EXPECT_EQ(mapped(R"({"statusCode": 599})").status, 599);
}

TEST(MapResultTest, HeadersMustBeAnObject) {
  EXPECT_THAT(malformed(R"({"statusCode": 200, "headers": ["a: b"]})").message(),
              HasSubstr("headers"));
}

TEST(MapResultTest, HeaderValueMustBeTextNumberOrBoolean) {
  malformed(R"({"statusCode": 200, "headers": {"x-a": {"b": 1}}})");
  malformed(R"({"statusCode": 200, "headers": {"x-a": ["b"]}})");
  malformed(R"({"statusCode": 200, "headers": {"x-a": null}})");
}

TEST(MapResultTest, HeaderValueWithCrOrLfIsRejected) {
  EXPECT_THAT(
      malformed(R"({"statusCode": 200, "headers": {"x-a": "b\r\nSet-Cookie: evil=1"}})").message(),
      HasSubstr("x-a"));
  malformed(R"({"statusCode": 200, "headers": {"x-a": "b\nc"}})");
  malformed(R"({"statusCode": 200, "headers": {"x-a": "b\rc"}})");
  malformed(R"({"statusCode": 200, "headers": {"x-a": "b\u0000c"}})");
}

TEST(MapResultTest, HeaderNameMustBeAToken) {
  malformed(R"({"statusCode": 200, "headers": {"x a": "b"}})");
  malformed(R"({"statusCode": 200, "headers": {"x:a": "b"}})");
  malformed(R"({"statusCode": 200, "headers": {"": "b"}})");
  malformed(R"({"statusCode": 200, "headers": {"x\r\ny": "b"}})");
  EXPECT_THAT(values(mapped(R"({"statusCode": 200, "headers": {"X-Odd_Name.v2~!": "b"}})"),
                     "X-Odd_Name.v2~!"),
              ElementsAre("b"));
}

TEST(MapResultTest, BodyMustBeAString) {
  EXPECT_THAT(malformed(R"({"statusCode": 200, "body": {"a": 1}})").message(), HasSubstr("body"));
  malformed(R"({"statusCode": 200, "body": 42})");
}

TEST(MapResultTest, Base64BodyMustBeValidBase64) {
  EXPECT_THAT(
      malformed(R"({"statusCode": 200, "isBase64Encoded": true, "body": "not base64!"})").message(),
      HasSubstr("base64"));
}

TEST(MapResultTest, IsBase64EncodedMustBeABoolean) {
  malformed(R"({"statusCode": 200, "isBase64Encoded": "true", "body": "AA=="})");
}

TEST(MapResultTest, CookiesMustBeAnArrayOfSafeStrings) {
  malformed(R"({"statusCode": 200, "cookies": "a=1"})");
  malformed(R"({"statusCode": 200, "cookies": [1]})");
  malformed(R"({"statusCode": 200, "cookies": ["a=1\r\nX-Evil: 1"]})");
}

}  // namespace
}  // namespace bakery::gateway
