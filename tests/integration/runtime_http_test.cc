// The function runtime seen over HTTP: reserved concurrency, deadlines, exceptions, body
// validation and idempotency, on a real server.
#include <future>
#include <thread>

#include "integration.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

// Waits (by polling the testbed's gate state, not the clock) until `n` handlers wait on `gate`.
bool waitForWaiters(const ServerProcess& s, const std::string& gate, int n) {
  for (int i = 0; i < 2000; ++i) {
    auto state = parse(httpGet(s.url("/v1/test/gates/" + gate)).body);
    if (state.at("waiting").as_int64() >= n) return true;
    std::this_thread::yield();
  }
  return false;
}

std::future<HttpResult> postAsync(const ServerProcess& s, std::string path, std::string body,
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  return std::async(std::launch::async,
                    [&s, path, body, headers] { return post(s, path, body, headers); });
}

TEST(RuntimeHttpTest, ReservedConcurrencyThrottlesWith429AtOnce) {
  auto s = startTestbed(R"({"functions": {"test.wait": {"reservedConcurrency": 2}}})");
  auto a = postAsync(*s, "/v1/test/wait", R"({"gate": "rc"})");
  auto b = postAsync(*s, "/v1/test/wait", R"({"gate": "rc"})");
  ASSERT_TRUE(waitForWaiters(*s, "rc", 2));
  auto third = post(*s, "/v1/test/wait", R"({"gate": "rc"})");
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(errorType(third), "TooManyRequestsException");
  post(*s, "/v1/test/gates/rc/open", "");
  EXPECT_EQ(a.get().status, 200);
  EXPECT_EQ(b.get().status, 200);
  // The slots are free again.
  EXPECT_EQ(post(*s, "/v1/test/wait", R"({"gate": "rc"})").status, 200);
  auto metrics = httpGet(s->url("/metrics")).body;
  EXPECT_NE(metrics.find(R"(bakery_function_throttles_total{function="test.wait"} 1)"),
            std::string::npos);
}

TEST(RuntimeHttpTest, ZeroReservedConcurrencyDisablesAFunction) {
  auto s = startTestbed(R"({"functions": {"test.context": {"reservedConcurrency": 0}}})");
  EXPECT_EQ(httpGet(s->url("/v1/test/context")).status, 429);
}

TEST(RuntimeHttpTest, PastTheDeadlineTheCallerGets504AndTheLateResultIsDropped) {
  auto s = startTestbed(R"({"functions": {"test.wait": {"timeoutMs": 150}}})");
  auto r = post(*s, "/v1/test/wait", R"({"gate": "late", "maxMs": 10000})");
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(errorType(r), "FunctionTimeoutException");
  post(*s, "/v1/test/gates/late/open", "");
  EXPECT_TRUE(s->waitForLine(
      [](const std::string& l) { return l.find("late result dropped") != std::string::npos; },
      std::chrono::seconds(10)));
  auto metrics = httpGet(s->url("/metrics")).body;
  EXPECT_NE(metrics.find(R"(bakery_function_timeouts_total{function="test.wait"} 1)"),
            std::string::npos);
}

TEST(RuntimeHttpTest, ContextShowsRemainingTimeEnvironmentAndIds) {
  auto s = startTestbed(R"({"functions": {"test.context": {"environment": {"EXTRA": "1"}}}})");
  auto r = httpGet(s->url("/v1/test/context"));
  auto c = parse(r.body).as_object();
  EXPECT_EQ(c.at("function"), "test.context");
  EXPECT_EQ(c.at("greeting"), "hello");
  EXPECT_GT(c.at("remainingMs").as_int64(), 0);
  EXPECT_LE(c.at("remainingMs").as_int64(), 2000);
  auto manifest = runCommand({testbedBinary(), "manifest"});
  EXPECT_NE(manifest.out.find("test.context"), std::string::npos);
}

TEST(RuntimeHttpTest, AnEscapingExceptionIsAGeneric500WithTheDetailOnlyInTheLog) {
  auto s = startTestbed();
  auto r = post(*s, "/v1/test/throw", "{}");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(errorType(r), "InternalServerException");
  EXPECT_EQ(parse(r.body).at("error").at("message"), "Internal server error");
  EXPECT_EQ(r.body.find("internal-detail-7f3a"), std::string::npos);
  std::string id = *r.header("x-request-id");
  EXPECT_TRUE(s->waitForLine(
      [&](const std::string& l) {
        return l.find("internal-detail-7f3a") != std::string::npos &&
               l.find(id) != std::string::npos;
      },
      std::chrono::seconds(10)));
}

TEST(RuntimeHttpTest, BodyValidationNamesTheFailingField) {
  auto s = startTestbed();
  struct Case {
    const char* body;
    const char* field;
  };
  for (auto [body, field] :
       {Case{R"({"name": "x", "owner": {}})", "owner.email"},
        Case{R"({"name": "x", "owner": {"email": "nope"}})", "owner.email"},
        Case{R"({"owner": {"email": "a@b"}})", "name"},
        Case{R"({"name": 7, "owner": {"email": "a@b"}})", "name"},
        Case{R"({"name": "x", "owner": {"email": "a@b"}, "tags": [1]})", "tags.0"},
        Case{R"({"name": "x"x})", "body"}}) {
    auto r = post(*s, "/v1/test/validate", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(errorType(r), "ValidationException") << body;
    EXPECT_EQ(parse(r.body).at("error").at("field"), field) << body << " -> " << r.body;
  }
  auto ok = post(*s, "/v1/test/validate", R"({"name": "x", "owner": {"email": "a@b"}})");
  EXPECT_EQ(ok.status, 200);
}

TEST(RuntimeHttpTest, IdempotentRepeatGetsTheStoredResponse) {
  auto s = startTestbed();
  auto first = post(*s, "/v1/test/orders", R"({"orderId": "o-1"})");
  ASSERT_EQ(first.status, 201);
  auto again = post(*s, "/v1/test/orders", R"({"orderId": "o-1"})");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body) << "the handler did not run twice";
  EXPECT_EQ(again.header("idempotency-replayed"), "true");
  EXPECT_FALSE(first.header("idempotency-replayed"));
  auto other = post(*s, "/v1/test/orders", R"({"orderId": "o-2"})");
  EXPECT_NE(parse(other.body).at("run"), parse(first.body).at("run"));
}

TEST(RuntimeHttpTest, IdempotencyKeyHeaderWithADifferentPayloadIs422) {
  auto s = startTestbed();
  std::vector<std::pair<std::string, std::string>> key = {{"Idempotency-Key", "k-422"}};
  EXPECT_EQ(post(*s, "/v1/test/orders", R"({"orderId": "a"})", key).status, 201);
  auto r = post(*s, "/v1/test/orders", R"({"orderId": "b"})", key);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(errorType(r), "IdempotentParameterMismatchException");
}

TEST(RuntimeHttpTest, ConcurrentDuplicateWhileInProgressIs409) {
  auto s = startTestbed();
  auto first = postAsync(*s, "/v1/test/orders", R"({"orderId": "dup", "gate": "dup"})");
  ASSERT_TRUE(waitForWaiters(*s, "dup", 1));
  std::vector<std::future<HttpResult>> duplicates;
  for (int i = 0; i < 4; ++i) {
    duplicates.push_back(postAsync(*s, "/v1/test/orders", R"({"orderId": "dup", "gate": "dup"})"));
  }
  for (auto& d : duplicates) {
    auto r = d.get();
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(errorType(r), "IdempotencyAlreadyInProgressException");
  }
  post(*s, "/v1/test/gates/dup/open", "");
  auto done = first.get();
  EXPECT_EQ(done.status, 201);
  auto replay = post(*s, "/v1/test/orders", R"({"orderId": "dup", "gate": "dup"})");
  EXPECT_EQ(replay.body, done.body);
  EXPECT_EQ(replay.header("idempotency-replayed"), "true");
}

TEST(RuntimeHttpTest, AFailedInvocationDeletesItsIdempotencyRecord) {
  auto s = startTestbed();
  auto thrown = post(*s, "/v1/test/orders", R"({"orderId": "f", "fail": 1})");
  EXPECT_EQ(thrown.status, 500);
  auto retried = post(*s, "/v1/test/orders", R"({"orderId": "f", "fail": 1})");
  EXPECT_EQ(retried.status, 500) << "ran again rather than replaying or answering 409";

  auto unavailable = post(*s, "/v1/test/orders", R"({"orderId": "g", "status": 503})");
  EXPECT_EQ(unavailable.status, 503);
  auto again = post(*s, "/v1/test/orders", R"({"orderId": "g", "status": 503})");
  EXPECT_FALSE(again.header("idempotency-replayed"));
  EXPECT_NE(parse(again.body).at("run"), parse(unavailable.body).at("run"));
}

TEST(RuntimeHttpTest, ManyConcurrentClientsAllGetAnswers) {
  auto s = startTestbed();
  std::vector<std::future<int>> clients;
  for (int t = 0; t < 8; ++t) {
    clients.push_back(std::async(std::launch::async, [&s] {
      int ok = 0;
      for (int i = 0; i < 25; ++i) ok += httpGet(s->url("/v1/diag/echo")).status == 200;
      return ok;
    }));
  }
  int total = 0;
  for (auto& c : clients) total += c.get();
  EXPECT_EQ(total, 200);
}

}  // namespace
}  // namespace bakery::testing
