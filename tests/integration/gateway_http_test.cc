// The API gateway over real HTTP: routing, the payload 2.0 event field by field, response
// mapping, request ids and trace context, limits, keep-alive and CORS.
#include <regex>
#include <thread>

#include "integration.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

class GatewayHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = startTestbed().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static ServerProcess& server() { return *server_; }

 private:
  static ServerProcess* server_;
};
ServerProcess* GatewayHttpTest::server_ = nullptr;

TEST_F(GatewayHttpTest, EchoReturnsThePayloadV2EventFieldByField) {
  auto r = httpRequest({.url = server().url("/v1/diag/echo?a=1&a=2&b=x%20y&flag"),
                        .headers = {{"Cookie", "c1=v1; c2=v2"},
                                    {"Cookie", "c3=v3"},
                                    {"X-Multi", "one"},
                                    {"X-Multi", "two"},
                                    {"User-Agent", "bakery-test/1.0"}}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  auto e = parse(r.body).as_object();
  EXPECT_EQ(e.at("version"), "2.0");
  EXPECT_EQ(e.at("routeKey"), "ANY /v1/diag/echo");
  EXPECT_EQ(e.at("rawPath"), "/v1/diag/echo");
  EXPECT_EQ(e.at("rawQueryString"), "a=1&a=2&b=x%20y&flag");
  EXPECT_EQ(e.at("cookies"), (json::array{"c1=v1", "c2=v2", "c3=v3"}));
  const auto& h = e.at("headers").as_object();
  EXPECT_EQ(h.at("x-multi"), "one,two");
  EXPECT_EQ(h.at("user-agent"), "bakery-test/1.0");
  EXPECT_FALSE(h.contains("cookie")) << "cookies travel in `cookies` only";
  EXPECT_FALSE(h.contains("X-Multi")) << "header names are lower-cased";
  EXPECT_EQ(h.at("x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(h.at("x-forwarded-proto"), "http");
  EXPECT_EQ(h.at("x-forwarded-port"), json::value(std::to_string(server().port())));
  EXPECT_EQ(e.at("queryStringParameters"),
            (json::object{{"a", "1,2"}, {"b", "x y"}, {"flag", ""}}));
  const auto& ctx = e.at("requestContext").as_object();
  EXPECT_EQ(ctx.at("accountId"), "000000000000");
  EXPECT_EQ(ctx.at("apiId"), "bakery");
  EXPECT_EQ(ctx.at("domainName"), "127.0.0.1") << "API Gateway domain names carry no port";
  EXPECT_EQ(ctx.at("domainPrefix"), "127");
  EXPECT_EQ(ctx.at("http").at("method"), "GET");
  EXPECT_EQ(ctx.at("http").at("path"), "/v1/diag/echo");
  EXPECT_EQ(ctx.at("http").at("protocol"), "HTTP/1.1");
  EXPECT_EQ(ctx.at("http").at("sourceIp"), "127.0.0.1");
  EXPECT_EQ(ctx.at("http").at("userAgent"), "bakery-test/1.0");
  EXPECT_EQ(ctx.at("requestId"), json::value(*r.header("x-request-id")));
  EXPECT_EQ(ctx.at("routeKey"), "ANY /v1/diag/echo");
  EXPECT_EQ(ctx.at("stage"), "$default");
  EXPECT_TRUE(std::regex_match(std::string(ctx.at("time").as_string()),
                               std::regex(R"(\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000)")));
  EXPECT_TRUE(ctx.at("timeEpoch").is_int64());
  EXPECT_FALSE(ctx.contains("authorizer")) << "only present when an authorizer ran";
  EXPECT_EQ(e.at("isBase64Encoded"), false);
  EXPECT_FALSE(e.contains("body"));
  EXPECT_FALSE(e.contains("pathParameters"));
  EXPECT_FALSE(e.contains("stageVariables"));
}

TEST_F(GatewayHttpTest, TextBodyArrivesVerbatim) {
  auto r = post(server(), "/v1/diag/echo", R"({"hello":"wörld"})");
  auto e = parse(r.body).as_object();
  EXPECT_EQ(e.at("body"), R"({"hello":"wörld"})");
  EXPECT_EQ(e.at("isBase64Encoded"), false);
  EXPECT_EQ(e.at("requestContext").at("http").at("method"), "POST");
}

TEST_F(GatewayHttpTest, BinaryBodyArrivesBase64Encoded) {
  std::string bytes("\x00\x01\xff\xfe binary", 11);
  auto r = httpRequest({.method = "PUT",
                        .url = server().url("/v1/diag/echo"),
                        .headers = {{"content-type", "application/octet-stream"}},
                        .body = bytes});
  auto e = parse(r.body).as_object();
  EXPECT_EQ(e.at("isBase64Encoded"), true);
  EXPECT_EQ(e.at("body"), "AAH//iBiaW5hcnk=");
}

TEST_F(GatewayHttpTest, InvalidUtf8UnderATextTypeIsBase64Encoded) {
  auto r = httpRequest({.method = "POST",
                        .url = server().url("/v1/diag/echo"),
                        .headers = {{"content-type", "text/plain"}},
                        .body = std::string("\xc3\x28")});
  EXPECT_EQ(parse(r.body).at("isBase64Encoded"), true);
}

TEST_F(GatewayHttpTest, PathParametersAreDecodedAndLiteralRoutesWin) {
  auto r = httpGet(server().url("/v1/test/items/a%20b"));
  ASSERT_EQ(r.status, 200);
  auto e = parse(r.body).as_object();
  EXPECT_EQ(e.at("routeKey"), "GET /v1/test/items/{id}");
  EXPECT_EQ(e.at("pathParameters"), (json::object{{"id", "a b"}}));
  EXPECT_EQ(e.at("rawPath"), "/v1/test/items/a%20b");

  auto special = parse(httpGet(server().url("/v1/test/items/special")).body).as_object();
  EXPECT_EQ(special.at("routeKey"), "GET /v1/test/items/special");
  EXPECT_FALSE(special.contains("pathParameters"));
}

TEST_F(GatewayHttpTest, GreedyParameterTakesTheRestOfThePath) {
  auto e = parse(httpGet(server().url("/v1/test/files/a/b/c.txt")).body).as_object();
  EXPECT_EQ(e.at("routeKey"), "ANY /v1/test/files/{path+}");
  EXPECT_EQ(e.at("pathParameters").at("path"), "a/b/c.txt");
  EXPECT_EQ(httpGet(server().url("/v1/test/files/")).status, 404) << "greedy needs a segment";
}

TEST_F(GatewayHttpTest, UnknownPathIs404JsonError) {
  auto r = httpGet(server().url("/v1/nowhere"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(errorType(r), "NotFoundException");
  EXPECT_EQ(parse(r.body).at("error").at("requestId"), json::value(*r.header("x-request-id")));
}

TEST_F(GatewayHttpTest, WrongMethodIs405WithAllow) {
  auto r = httpRequest({.method = "PATCH", .url = server().url("/v1/test/items/7")});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(errorType(r), "MethodNotAllowedException");
  EXPECT_EQ(r.header("allow"), "DELETE, GET");
}

TEST_F(GatewayHttpTest, StructuredResponseSetsStatusHeadersAndCookies) {
  auto r = post(server(), "/v1/test/respond", R"({"result": {
      "statusCode": 201, "headers": {"x-custom": "yes", "content-type": "text/plain"},
      "cookies": ["a=1; Path=/", "b=2"], "body": "created", "isBase64Encoded": false}})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("x-custom"), "yes");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.headerValues("set-cookie"), (std::vector<std::string>{"a=1; Path=/", "b=2"}));
  EXPECT_EQ(r.body, "created");
}

TEST_F(GatewayHttpTest, Base64ResponseBodyIsDecoded) {
  auto r = post(server(), "/v1/test/respond",
                R"({"result": {"statusCode": 200, "body": "AAH//g==", "isBase64Encoded": true,
                   "headers": {"content-type": "application/octet-stream"}}})");
  EXPECT_EQ(r.body, std::string("\x00\x01\xff\xfe", 4));
}

TEST_F(GatewayHttpTest, AnyOtherJsonValueBecomes200Json) {
  auto object = post(server(), "/v1/test/respond", R"({"result": {"message": "hi"}})");
  EXPECT_EQ(object.status, 200);
  EXPECT_EQ(object.header("content-type"), "application/json");
  EXPECT_EQ(parse(object.body), (json::object{{"message", "hi"}}));

  auto array = post(server(), "/v1/test/respond", R"({"result": [1, 2, 3]})");
  EXPECT_EQ(array.body, "[1,2,3]");
  auto text = post(server(), "/v1/test/respond", R"({"result": "Hello from Lambda!"})");
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.body, "Hello from Lambda!");
}

TEST_F(GatewayHttpTest, MalformedStructuredResponseIsAGeneric500) {
  for (const char* bad :
       {R"({"result": {"statusCode": "abc"}})",
        R"({"result": {"statusCode": 200, "headers": {"x": "a\r\nInjected: 1"}}})",
        R"({"result": {"statusCode": 200, "body": {"not": "a string"}}})",
        R"({"result": {"statusCode": 200, "body": "%%%", "isBase64Encoded": true}})"}) {
    auto r = post(server(), "/v1/test/respond", bad);
    EXPECT_EQ(r.status, 500) << bad;
    EXPECT_EQ(errorType(r), "InternalServerException") << bad;
    EXPECT_FALSE(r.header("injected")) << bad;
  }
}

TEST_F(GatewayHttpTest, ValidIncomingRequestIdIsEchoedOtherwiseGenerated) {
  auto echoed = httpRequest(
      {.url = server().url("/healthz"), .headers = {{"x-request-id", "client-req.42:abc"}}});
  EXPECT_EQ(echoed.header("x-request-id"), "client-req.42:abc");
  auto replaced = httpRequest(
      {.url = server().url("/v1/diag/echo"), .headers = {{"x-request-id", "bad id with spaces"}}});
  std::string id = *replaced.header("x-request-id");
  EXPECT_NE(id, "bad id with spaces");
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_EQ(parse(replaced.body).at("requestContext").at("requestId"), json::value(id));
}

TEST_F(GatewayHttpTest, TraceparentIsContinuedIntoTheFunctionContext) {
  auto r = httpRequest(
      {.url = server().url("/v1/test/context"),
       .headers = {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}});
  auto c = parse(r.body).as_object();
  EXPECT_EQ(c.at("traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_NE(c.at("spanId"), "00f067aa0ba902b7");
  EXPECT_EQ(c.at("requestId"), json::value(*r.header("x-request-id")));

  auto fresh =
      parse(httpRequest({.url = server().url("/v1/test/context"),
                         .headers = {{"traceparent",
                                      "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}})
                .body)
          .as_object();
  EXPECT_TRUE(
      std::regex_match(std::string(fresh.at("traceId").as_string()), std::regex("[0-9a-f]{32}")));
  EXPECT_NE(fresh.at("traceId"), "00000000000000000000000000000000");
  EXPECT_EQ(fresh.at("parentSpanId"), "");
}

TEST_F(GatewayHttpTest, HeadGetsHeadersWithoutBody) {
  auto r = httpRequest({.method = "HEAD", .url = server().url("/healthz")});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("content-length"), "15");
}

TEST_F(GatewayHttpTest, KeepAliveServesSequentialAndPipelinedRequests) {
  RawConnection c(server().port());
  std::string get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  c.send(get);
  auto first = c.readResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  c.send(get + get);  // pipelined
  auto second = c.readResponse();
  auto third = c.readResponse();
  ASSERT_TRUE(second && third);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(third->status, 200);
  EXPECT_NE(second->header("x-request-id"), third->header("x-request-id"));
}

TEST_F(GatewayHttpTest, Expect100ContinueGetsAnInterimResponse) {
  RawConnection c(server().port());
  c.send(
      "POST /v1/diag/echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.readResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  c.send("hello");
  auto final = c.readResponse();
  ASSERT_TRUE(final);
  EXPECT_EQ(final->status, 200);
  EXPECT_EQ(parse(final->body).at("body"), "hello");
}

TEST_F(GatewayHttpTest, MalformedRequestIs400AndClosed) {
  RawConnection c(server().port());
  c.send("GET /healthz HTTP/1.1\r\nBad Header Without Colon\r\n\r\n");
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(parse(r->body).at("error").at("type"), "BadRequestException");
  EXPECT_TRUE(c.waitClosed());
}

TEST_F(GatewayHttpTest, HeaderBlockOverTheLimitIs431) {
  RawConnection c(server().port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(11 * 1024, 'a') + "\r\n\r\n");
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(parse(r->body).at("error").at("type"), "RequestHeaderFieldsTooLargeException");
  EXPECT_TRUE(c.waitClosed());
}

TEST_F(GatewayHttpTest, UrlOverTheLimitIs414) {
  for (std::size_t length : {9 * 1024, 20 * 1024}) {
    RawConnection c(server().port());
    c.send("GET /v1/diag/echo?q=" + std::string(length, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.readResponse();
    ASSERT_TRUE(r) << length;
    EXPECT_EQ(r->status, 414) << length;
    EXPECT_EQ(parse(r->body).at("error").at("type"), "UriTooLongException");
  }
}

TEST_F(GatewayHttpTest, AbsoluteFormTargetIs400) {
  RawConnection c(server().port());
  c.send("GET http://example.com/healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

// Limits small enough to hit quickly; a fresh server per test.
TEST(GatewayLimitsTest, BodyOverTheLimitIs413BeforeItIsRead) {
  auto s = startTestbed(R"({"gateway": {"limits": {"maxBodyBytes": 1024}}})");
  RawConnection c(s->port());
  c.send("POST /v1/diag/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n");
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(parse(r->body).at("error").at("type"), "PayloadTooLargeException");

  RawConnection chunked(s->port());
  std::string chunk(1000, 'x');
  chunked.send("POST /v1/diag/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  chunked.send("3e8\r\n" + chunk + "\r\n3e8\r\n" + chunk + "\r\n0\r\n\r\n");
  auto rc = chunked.readResponse();
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->status, 413);

  auto ok = post(*s, "/v1/diag/echo", std::string(1000, 'y'));
  EXPECT_EQ(ok.status, 200);
}

TEST(GatewayLimitsTest, SlowHeaderGets408) {
  auto s = startTestbed(R"({"gateway": {"limits": {"headerTimeoutMs": 200}}})");
  RawConnection c(s->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(parse(r->body).at("error").at("type"), "RequestTimeoutException");
  EXPECT_TRUE(c.waitClosed());
}

TEST(GatewayLimitsTest, SlowBodyGets408) {
  auto s = startTestbed(R"({"gateway": {"limits": {"bodyTimeoutMs": 200}}})");
  RawConnection c(s->port());
  c.send("POST /v1/diag/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
}

TEST(GatewayLimitsTest, IdleKeepAliveConnectionIsClosedQuietly) {
  auto s = startTestbed(R"({"gateway": {"limits": {"idleTimeoutMs": 150}}})");
  RawConnection c(s->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.readResponse());
  EXPECT_FALSE(c.readResponse(std::chrono::seconds(5))) << "no response, just a close";
  EXPECT_TRUE(c.waitClosed());
}

TEST(GatewayLimitsTest, ConnectionsPastTheMaximumGet503) {
  auto s = startTestbed(R"({"gateway": {"limits": {"maxConnections": 2}}, "ioThreads": 1})");
  RawConnection a(s->port()), b(s->port());
  a.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(a.readResponse());
  ASSERT_TRUE(b.readResponse());
  RawConnection third(s->port());
  auto r = third.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(parse(r->body).at("error").at("type"), "ServiceUnavailableException");
  EXPECT_TRUE(third.waitClosed());
}

TEST(GatewayCorsTest, PreflightIsAnsweredByTheGateway) {
  auto s = startTestbed(R"({"gateway": {"cors": {
      "allowOrigins": ["https://app.example"], "allowMethods": ["GET", "POST"],
      "allowHeaders": ["content-type", "x-custom"], "exposeHeaders": ["x-request-id"],
      "allowCredentials": true, "maxAgeSeconds": 600}}})");
  auto ok =
      httpRequest({.method = "OPTIONS",
                   .url = s->url("/v1/diag/echo"),
                   .headers = {{"Origin", "https://app.example"},
                               {"Access-Control-Request-Method", "POST"},
                               {"Access-Control-Request-Headers", "Content-Type, X-Custom"}}});
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(ok.header("access-control-allow-methods"), "GET,POST");
  EXPECT_EQ(ok.header("access-control-allow-headers"), "content-type,x-custom");
  EXPECT_EQ(ok.header("access-control-allow-credentials"), "true");
  EXPECT_EQ(ok.header("access-control-max-age"), "600");

  for (auto [origin, method, headers] : {std::tuple{"https://evil.example", "POST", ""},
                                         std::tuple{"https://app.example", "DELETE", ""},
                                         std::tuple{"https://app.example", "GET", "x-other"}}) {
    std::vector<std::pair<std::string, std::string>> h = {
        {"Origin", origin}, {"Access-Control-Request-Method", method}};
    if (*headers) h.emplace_back("Access-Control-Request-Headers", headers);
    auto denied = httpRequest({.method = "OPTIONS", .url = s->url("/v1/diag/echo"), .headers = h});
    EXPECT_EQ(denied.status, 204);
    EXPECT_FALSE(denied.header("access-control-allow-origin")) << origin << " " << method;
  }
}

TEST(GatewayCorsTest, ResponsesGrantAllowedOriginsAndDropFunctionCorsHeaders) {
  auto s = startTestbed(R"({"gateway": {"cors": {
      "allowOrigins": ["https://app.example"], "allowMethods": ["*"],
      "exposeHeaders": ["x-request-id"], "allowCredentials": true}}})");
  auto r = post(*s, "/v1/test/respond",
                R"({"result": {"statusCode": 200, "body": "x",
                   "headers": {"access-control-allow-origin": "*"}}})",
                {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.headerValues("access-control-allow-origin"),
            std::vector<std::string>{"https://app.example"});
  EXPECT_EQ(r.header("access-control-expose-headers"), "x-request-id");
  EXPECT_EQ(r.header("access-control-allow-credentials"), "true");

  auto other =
      post(*s, "/v1/test/respond", R"({"result": 1})", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(other.header("access-control-allow-origin"));
}

}  // namespace
}  // namespace bakery::testing
