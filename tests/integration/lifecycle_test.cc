// `bakery serve` as a process: start-up lines, health and readiness, the AWS endpoint,
// configuration errors, and graceful shutdown with requests in flight.
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "integration.h"

namespace bakery::testing {
namespace {

bool canConnect(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

TEST(LifecycleTest, PrintsExactlyOneListeningLinePerListener) {
  auto s = startTestbed();
  int app = 0, aws = 0;
  for (const auto& l : s->lines()) {
    app += l.rfind("listening http://127.0.0.1:", 0) == 0;
    aws += l.rfind("listening aws http://127.0.0.1:", 0) == 0;
  }
  EXPECT_EQ(app, 1);
  EXPECT_EQ(aws, 1);
  EXPECT_NE(s->port(), s->awsPort());
}

TEST(LifecycleTest, HealthAndReadinessAnswerAndTheDataDirIsCreated) {
  auto s = startTestbed();
  EXPECT_TRUE(std::filesystem::is_directory(s->dataDir() + "/var"));
  auto health = httpGet(s->url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(parse(health.body).at("status"), "ok");
  auto ready = httpGet(s->url("/readyz"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(parse(ready.body).at("checks").at("dataDir"), "ok");
}

TEST(LifecycleTest, AwsEndpointAnswersAnUnknownTargetWithUnknownOperation) {
  auto s = startTestbed();
  auto r = httpRequest({.method = "POST",
                        .url = "http://127.0.0.1:" + std::to_string(s->awsPort()) + "/",
                        .headers = {{"X-Amz-Target", "Nonexistent_20990101.DoThings"},
                                    {"Content-Type", "application/x-amz-json-1.0"}},
                        .body = "{}"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("content-type"), "application/x-amz-json-1.0");
  EXPECT_TRUE(r.header("x-amzn-requestid"));
  auto body = parse(r.body);
  EXPECT_EQ(body.at("__type"), "com.amazon.coral.service#UnknownOperationException");
  EXPECT_NE(std::string(body.at("message").as_string()).find("Nonexistent_20990101.DoThings"),
            std::string::npos);
}

TEST(LifecycleTest, AwsEndpointRefusesAnUnsignedDynamoDbRequest) {
  auto s = startTestbed();
  auto r = httpRequest({.method = "POST",
                        .url = "http://127.0.0.1:" + std::to_string(s->awsPort()) + "/",
                        .headers = {{"X-Amz-Target", "DynamoDB_20120810.ListTables"},
                                    {"Content-Type", "application/x-amz-json-1.0"}},
                        .body = "{}"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r.body).at("__type"),
            "com.amazon.coral.service#MissingAuthenticationTokenException");
}

TEST(LifecycleTest, UnknownConfigKeyIsRejectedWithItsPath) {
  char tmpl[] = "/tmp/bakery-cfg-XXXXXX";
  ASSERT_TRUE(mkdtemp(tmpl));
  std::string path = std::string(tmpl) + "/c.json";
  std::ofstream(path) << R"({"gateway": {"limits": {"maxBodyBytez": 5}}})";
  auto r = runCommand({bakeryBinary(), "serve", "--config", path, "--listen", "127.0.0.1:0",
                       "--aws-listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("gateway.limits.maxBodyBytez"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown key"), std::string::npos) << r.err;
  std::filesystem::remove_all(tmpl);
}

TEST(LifecycleTest, BadFlagValuesAreRejectedNamingTheFlag) {
  auto listen = runCommand({bakeryBinary(), "serve", "--listen", "localhost"});
  EXPECT_EQ(listen.exitCode, 2);
  EXPECT_NE(listen.err.find("--listen"), std::string::npos) << listen.err;
  auto level = runCommand({bakeryBinary(), "serve", "--listen", "127.0.0.1:0", "--aws-listen",
                           "127.0.0.1:0", "--log-level", "loud"});
  EXPECT_EQ(level.exitCode, 2);
  EXPECT_NE(level.err.find("log-level"), std::string::npos) << level.err;
}

TEST(LifecycleTest, FlagsOverrideTheConfigFile) {
  // The file asks for a fixed port; the harness's --listen 127.0.0.1:0 must win.
  auto s =
      startTestbed(R"({"listen": "127.0.0.1:1", "logLevel": "warn"})", {"--log-level", "info"});
  EXPECT_NE(s->port(), 1);
  httpGet(s->url("/v1/diag/echo"));
  EXPECT_TRUE(s->waitForLine(
      [](const std::string& l) { return l.find("\"msg\":\"invocation\"") != std::string::npos; },
      std::chrono::seconds(10)))
      << "--log-level info overrode the file's warn";
}

TEST(LifecycleTest, SigtermLetsInFlightRequestsFinishThenExitsZero) {
  auto s = startTestbed();
  auto inFlight =
      std::async(std::launch::async, [&s] { return post(*s, "/v1/test/sleep", R"({"ms": 800})"); });
  // Wait (by state, not time) until the server reports the invocation running.
  bool running = false;
  for (int i = 0; i < 5000 && !running; ++i) {
    running = httpGet(s->url("/metrics")).body.find("bakery_runtime_concurrent_invocations 1") !=
              std::string::npos;
  }
  ASSERT_TRUE(running);
  s->signal(SIGTERM);
  bool refused = false;
  for (int i = 0; i < 5000 && !refused; ++i) refused = !canConnect(s->port());
  EXPECT_TRUE(refused) << "new connections are refused while draining";
  auto r = inFlight.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r.body).at("slept"), 800);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_EQ(s->waitExit(std::chrono::seconds(15)), 0);
  EXPECT_TRUE(s->waitForLine(
      [](const std::string& l) { return l.find("\"msg\":\"stopped\"") != std::string::npos; },
      std::chrono::seconds(5)));
}

TEST(LifecycleTest, SigintAlsoStopsCleanly) {
  auto s = startTestbed();
  EXPECT_EQ(httpGet(s->url("/healthz")).status, 200);
  s->signal(SIGINT);
  EXPECT_EQ(s->waitExit(std::chrono::seconds(15)), 0);
}

TEST(LifecycleTest, GracePeriodBoundsShutdown) {
  auto s = startTestbed(R"({"shutdownGraceMs": 200})");
  auto stuck = std::async(std::launch::async, [&s] {
    try {
      return post(*s, "/v1/test/wait", R"({"gate": "never", "maxMs": 8000})").status;
    } catch (const std::exception&) {
      return 0L;  // the connection closed under it: the process left after its grace period
    }
  });
  bool waiting = false;
  for (int i = 0; i < 5000 && !waiting; ++i) {
    waiting = parse(httpGet(s->url("/v1/test/gates/never")).body).at("waiting").as_int64() == 1;
  }
  ASSERT_TRUE(waiting);
  s->signal(SIGTERM);
  EXPECT_EQ(s->waitExit(std::chrono::seconds(5)), 0) << "exited after the grace period";
  EXPECT_TRUE(s->waitForLine(
      [](const std::string& l) { return l.find("grace period over") != std::string::npos; },
      std::chrono::seconds(5)));
  stuck.get();
}

}  // namespace
}  // namespace bakery::testing
