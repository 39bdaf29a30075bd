// AwsJsonClient against a scripted HTTP server on 127.0.0.1 (port 0): what it sends (and
// that our own verifier accepts the signature), how it reads errors, when it retries and for
// how long it backs off (recorded, never slept), and connection reuse.
#include "platform/aws/aws_json_client.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/json.h"
#include "platform/aws/scripted_http_server.h"
#include "platform/aws/sigv4.h"

namespace bakery::aws {
namespace {

using std::chrono::milliseconds;
using testing::RecordedRequest;
using testing::ScriptedHttpServer;
using testing::ScriptedResponse;

const Credentials kCredentials{"AKIDTEST", "test-secret", ""};

json::object parse(std::string_view text) {
  return core::parseJson(text, "test document").value().as_object();
}

// The backoff seams: jitter answers its ceiling (the worst case, and deterministic) and
// records it; sleep records instead of sleeping.
struct Backoff {
  std::mutex mu;
  std::vector<milliseconds> ceilings;
  std::vector<milliseconds> sleeps;

  BackoffJitter jitter() {
    return [this](milliseconds ceiling) {
      std::lock_guard<std::mutex> lock(mu);
      ceilings.push_back(ceiling);
      return ceiling;
    };
  }
  Sleeper sleeper() {
    return [this](milliseconds d) {
      std::lock_guard<std::mutex> lock(mu);
      sleeps.push_back(d);
    };
  }
};

class AwsJsonClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<AwsJsonClient> makeClient(std::string endpoint, int maxAttempts = 10,
                                            Credentials credentials = kCredentials) {
    AwsJsonClientOptions options;
    options.endpoint = std::move(endpoint);
    options.region = "us-east-1";
    options.service = "dynamodb";
    options.targetPrefix = "DynamoDB_20120810";
    options.connectTimeout = milliseconds(2'000);
    options.requestTimeout = milliseconds(10'000);
    options.retry.maxAttempts = maxAttempts;
    auto client = AwsJsonClient::create(std::move(options), std::move(credentials), clock_,
                                        backoff_.jitter(), backoff_.sleeper());
    EXPECT_TRUE(client.ok()) << client.error().message();
    return std::move(client).value();
  }

  core::Result<Caller> verify(const RecordedRequest& r, const Credentials& stored = kCredentials) {
    Verifier verifier({.service = "dynamodb", .region = "us-east-1"},
                      [stored](std::string_view id) -> std::optional<Credentials> {
                        if (id == stored.accessKeyId) return stored;
                        return std::nullopt;
                      });
    std::vector<HeaderView> headers;
    for (const auto& [name, value] : r.headers) headers.push_back({name, value});
    std::string_view target = r.target;
    std::size_t q = target.find('?');
    RequestView view{r.method, target.substr(0, q),
                     q == std::string_view::npos ? std::string_view() : target.substr(q + 1),
                     headers, r.body};
    return verifier.verify(view, clock_.wallNow());
  }

  static ScriptedResponse error(int status, std::string body) {
    return ScriptedResponse{.status = status,
                            .headers = {{"Content-Type", "application/x-amz-json-1.0"}},
                            .body = std::move(body)};
  }

  core::ManualClock clock_{*parseAmzDate("20261125T151949Z")};
  Backoff backoff_;
  ScriptedHttpServer server_;
};

TEST_F(AwsJsonClientTest, PostsTheDocumentToSlashWithTargetContentTypeAndAVerifiableSignature) {
  server_.enqueue({.body = R"({"TableNames":["a","b"]})"});
  auto client = makeClient(server_.endpoint());

  core::Result<json::object> result = client->call("ListTables", parse(R"({"Limit":2})"));

  ASSERT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
  EXPECT_EQ(*result, parse(R"({"TableNames":["a","b"]})"));
  std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/");
  EXPECT_EQ(r.header("X-Amz-Target"), "DynamoDB_20120810.ListTables");
  EXPECT_EQ(r.header("Content-Type"), "application/x-amz-json-1.0");
  EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(server_.port()));
  EXPECT_EQ(r.header("X-Amz-Date"), "20261125T151949Z");
  EXPECT_FALSE(r.header("X-Amz-Security-Token").has_value());
  EXPECT_FALSE(r.header("Expect").has_value());
  EXPECT_EQ(parse(r.body), parse(R"({"Limit":2})"));
  core::Result<Caller> caller = verify(r);
  ASSERT_TRUE(caller.ok()) << caller.error().type() << ": " << caller.error().message();
  EXPECT_EQ(caller->accessKeyId, "AKIDTEST");
  EXPECT_EQ(caller->service, "dynamodb");
}

TEST_F(AwsJsonClientTest, SendsAndSignsTheSessionTokenOfTemporaryCredentials) {
  Credentials temporary{"ASIATEST", "temp-secret", "session-token"};
  auto client = makeClient(server_.endpoint(), 10, temporary);
  ASSERT_TRUE(client->call("ListTables", {}).ok());
  RecordedRequest r = server_.requests().at(0);
  EXPECT_EQ(r.header("X-Amz-Security-Token"), "session-token");
  EXPECT_NE(r.header("Authorization")->find("x-amz-security-token"), std::string::npos);
  EXPECT_TRUE(verify(r, temporary).ok());
}

TEST_F(AwsJsonClientTest, EmptySuccessBodyIsAnEmptyObject) {
  server_.enqueue({.body = ""});
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("DeleteItem", {});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->empty());
}

TEST_F(AwsJsonClientTest, SuccessBodyThatIsNotAnObjectIsAnInvalidResponseAndNotRetried) {
  server_.enqueue({.body = "[1,2]"});
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("PutItem", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), kInvalidResponse);
  EXPECT_EQ(result.error().status(), 502);
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(AwsJsonClientTest, ErrorTypeLosesItsNamespaceAndExtraMembersBecomeDetails) {
  server_.enqueue(
      error(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
                 R"("message":"The conditional request failed",)"
                 R"("Item":{"pk":{"S":"a"}}})"));
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("PutItem", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "ConditionalCheckFailedException");
  EXPECT_EQ(result.error().status(), 400);
  EXPECT_EQ(result.error().message(), "The conditional request failed");
  EXPECT_EQ(parse(result.error().details()), parse(R"({"Item":{"pk":{"S":"a"}}})"));
  EXPECT_TRUE(backoff_.sleeps.empty());
}

TEST_F(AwsJsonClientTest, CapitalisedMessageIsReadToo) {
  server_.enqueue(
      error(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",)"
                 R"("CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed",)"
                 R"("Message":"The conditional request failed"}],)"
                 R"("Message":"Transaction cancelled, please refer cancellation reasons )"
                 R"(for specific reasons [None, ConditionalCheckFailed]"})"));
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("TransactWriteItems", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "TransactionCanceledException");
  EXPECT_EQ(result.error().message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            "[None, ConditionalCheckFailed]");
  EXPECT_EQ(parse(result.error().details()),
            parse(R"({"CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed",)"
                  R"("Message":"The conditional request failed"}]})"));
}

TEST_F(AwsJsonClientTest, ValidationExceptionIsNeverRetried) {
  server_.enqueue(error(400, R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                             R"("message":"One or more parameter values were invalid"})"));
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("PutItem", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "ValidationException");
  EXPECT_EQ(result.error().field(), "");
  EXPECT_TRUE(result.error().details().empty());
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(backoff_.sleeps.empty());
}

TEST_F(AwsJsonClientTest, ServerErrorsAreRetriedWithExponentialBackoff) {
  server_.enqueue(error(500, R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",)"
                             R"("message":"Internal server error"})"));
  server_.enqueue(
      error(503, R"({"__type":"com.amazon.coral.availability#ServiceUnavailableException"})"));
  server_.enqueue({.body = R"({"Item":{"pk":{"S":"a"}}})"});
  auto client = makeClient(server_.endpoint());

  core::Result<json::object> result = client->call("GetItem", {});

  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(server_.requests().size(), 3u);
  EXPECT_EQ(backoff_.ceilings, (std::vector<milliseconds>{milliseconds(25), milliseconds(50)}));
  EXPECT_EQ(backoff_.sleeps, (std::vector<milliseconds>{milliseconds(25), milliseconds(50)}));
  // Each attempt is signed afresh and verifies.
  for (const RecordedRequest& r : server_.requests()) EXPECT_TRUE(verify(r).ok());
}

TEST_F(AwsJsonClientTest, ThrottlingErrorsAreRetried) {
  for (const char* type : {"ThrottlingException", "ProvisionedThroughputExceededException",
                           "RequestLimitExceeded", "TransactionInProgressException"}) {
    server_.enqueue(error(400, std::string(R"({"__type":"com.amazonaws.dynamodb.v20120810#)") +
                                   type + R"(","message":"slow down"})"));
  }
  auto client = makeClient(server_.endpoint());
  ASSERT_TRUE(client->call("PutItem", {}).ok());
  EXPECT_EQ(server_.requests().size(), 5u);
  EXPECT_EQ(backoff_.ceilings, (std::vector<milliseconds>{milliseconds(25), milliseconds(50),
                                                          milliseconds(100), milliseconds(200)}));
}

TEST_F(AwsJsonClientTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  for (int i = 0; i < 3; ++i) {
    server_.enqueue(
        error(500, R"({"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",)"
                   R"("message":"attempt )" +
                       std::to_string(i + 1) + R"("})"));
  }
  auto client = makeClient(server_.endpoint(), /*maxAttempts=*/3);
  core::Result<json::object> result = client->call("GetItem", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "InternalServerError");
  EXPECT_EQ(result.error().status(), 500);
  EXPECT_EQ(result.error().message(), "attempt 3");
  EXPECT_EQ(server_.requests().size(), 3u);
  EXPECT_EQ(backoff_.sleeps.size(), 2u);
}

TEST_F(AwsJsonClientTest, ConnectionClosedWithoutAnswerIsANetworkingErrorAndRetried) {
  server_.enqueue({.closeWithoutAnswer = true});
  server_.enqueue({.body = R"({"ok":true})"});
  auto client = makeClient(server_.endpoint());
  core::Result<json::object> result = client->call("PutItem", {});
  ASSERT_TRUE(result.ok()) << result.error().type() << ": " << result.error().message();
  EXPECT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(backoff_.sleeps, (std::vector<milliseconds>{milliseconds(25)}));
}

TEST_F(AwsJsonClientTest, ConnectionRefusedIsANetworkingErrorAfterEveryAttempt) {
  std::string endpoint = "http://127.0.0.1:" + std::to_string(testing::unusedPort());
  auto client = makeClient(endpoint, /*maxAttempts=*/4);
  core::Result<json::object> result = client->call("ListTables", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), kNetworkingError);
  EXPECT_EQ(result.error().status(), 503);
  EXPECT_NE(result.error().message().find(endpoint), std::string::npos);
  EXPECT_EQ(backoff_.sleeps.size(), 3u);
}

TEST_F(AwsJsonClientTest, ReusesItsConnectionAcrossCalls) {
  auto client = makeClient(server_.endpoint());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->call("ListTables", {}).ok());
  EXPECT_EQ(server_.requests().size(), 5u);
  EXPECT_EQ(server_.connectionsAccepted(), 1);
}

TEST_F(AwsJsonClientTest, ConcurrentCallsAllSucceedOnAtMostOneConnectionPerThread) {
  auto client = makeClient(server_.endpoint());
  constexpr int kThreads = 4;
  constexpr int kCalls = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (!client->call("ListTables", {}).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server_.requests().size(), static_cast<std::size_t>(kThreads * kCalls));
  EXPECT_LE(server_.connectionsAccepted(), kThreads);
}

TEST_F(AwsJsonClientTest, CreateRefusesUnusableOptions) {
  AwsJsonClientOptions good;
  good.endpoint = "https://dynamodb.us-east-1.amazonaws.com/";
  good.region = "us-east-1";
  good.service = "dynamodb";
  good.targetPrefix = "DynamoDB_20120810";
  EXPECT_TRUE(AwsJsonClient::create(good, kCredentials, clock_).ok());

  for (const char* endpoint : {"dynamodb.us-east-1.amazonaws.com", "ftp://host", "http://",
                               "http://host/path", "http://user@host", "http://host?x=1"}) {
    AwsJsonClientOptions bad = good;
    bad.endpoint = endpoint;
    auto client = AwsJsonClient::create(bad, kCredentials, clock_);
    ASSERT_FALSE(client.ok()) << endpoint;
    EXPECT_EQ(client.error().type(), "ValidationException");
    EXPECT_EQ(client.error().field(), "endpoint");
  }
  AwsJsonClientOptions noRegion = good;
  noRegion.region.clear();
  EXPECT_EQ(AwsJsonClient::create(noRegion, kCredentials, clock_).error().field(), "region");
  AwsJsonClientOptions noAttempts = good;
  noAttempts.retry.maxAttempts = 0;
  EXPECT_EQ(AwsJsonClient::create(noAttempts, kCredentials, clock_).error().field(),
            "retry.maxAttempts");
}

TEST(AwsRetryPolicyTest, BackoffCeilingDoublesFromTheBaseUpToTheCap) {
  RetryPolicy policy;
  EXPECT_EQ(backoffCeiling(policy, 1), milliseconds(25));
  EXPECT_EQ(backoffCeiling(policy, 2), milliseconds(50));
  EXPECT_EQ(backoffCeiling(policy, 10), milliseconds(12'800));
  EXPECT_EQ(backoffCeiling(policy, 11), milliseconds(20'000));
  EXPECT_EQ(backoffCeiling(policy, 1'000), milliseconds(20'000));
}

TEST(AwsRetryPolicyTest, RetriesThrottlingServerAndNetworkErrorsOnly) {
  EXPECT_TRUE(isRetryable(core::Error("ThrottlingException", 400, "")));
  EXPECT_TRUE(isRetryable(core::Error("ProvisionedThroughputExceededException", 400, "")));
  EXPECT_TRUE(isRetryable(core::Error("RequestLimitExceeded", 400, "")));
  EXPECT_TRUE(isRetryable(core::Error("TransactionInProgressException", 400, "")));
  EXPECT_TRUE(isRetryable(core::Error("InternalServerError", 500, "")));
  EXPECT_TRUE(isRetryable(core::Error("ServiceUnavailable", 503, "")));
  EXPECT_TRUE(isRetryable(core::Error(std::string(kNetworkingError), 503, "")));
  EXPECT_FALSE(isRetryable(core::Error(std::string(kInvalidResponse), 502, "")));
  EXPECT_FALSE(isRetryable(core::Error("ValidationException", 400, "")));
  EXPECT_FALSE(isRetryable(core::Error("ConditionalCheckFailedException", 400, "")));
  EXPECT_FALSE(isRetryable(core::Error("TransactionConflictException", 400, "")));
  EXPECT_FALSE(isRetryable(core::Error("UnknownError", 413, "")));
}

TEST(AwsErrorResponseTest, FallsBackToTheErrorTypeHeaderThenToTheStatus) {
  core::Error fromHeader = parseErrorResponse(
      400, "", "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/");
  EXPECT_EQ(fromHeader.type(), "ValidationException");

  core::Error html = parseErrorResponse(502, "<html>Bad Gateway</html>", "");
  EXPECT_EQ(html.type(), "InternalServerError");
  EXPECT_EQ(html.status(), 502);
  EXPECT_EQ(html.message(), "The service answered HTTP 502");

  core::Error noMessage = parseErrorResponse(
      400, R"({"__type":"com.amazon.coral.service#UnknownOperationException"})", "");
  EXPECT_EQ(noMessage.type(), "UnknownOperationException");
  EXPECT_EQ(noMessage.message(), "");
  EXPECT_TRUE(noMessage.details().empty());

  EXPECT_EQ(parseErrorResponse(404, "not json", "").type(), "UnknownError");
}

}  // namespace
}  // namespace bakery::aws
