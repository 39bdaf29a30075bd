#include "apps/bakery/serve_config.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

namespace bakery::app {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

json::value parse(std::string_view text) {
  auto v = core::parseJson(text, "test document");
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::value(json::object());
}

// The error applyConfigFile reports for `text`; fails the test when it is accepted.
core::Error rejection(std::string_view text) {
  ServeConfig config;
  auto r = applyConfigFile(parse(text), config);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? core::Error("", 0, "") : r.error();
}

// --- parseHostPort ------------------------------------------------------------------------

TEST(ParseHostPortTest, ReadsIpv4HostAndPort) {
  auto hp = parseHostPort("127.0.0.1:8080", "listen");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
}

TEST(ParseHostPortTest, ReadsABracketedIpv6HostWithPortZero) {
  auto hp = parseHostPort("[::1]:0", "listen");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 0);
}

TEST(ParseHostPortTest, ReadsHostNamesAndTheHighestPort) {
  auto hp = parseHostPort("localhost:65535", "listen");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "localhost");
  EXPECT_EQ(hp->port, 65535);
  auto any = parseHostPort("0.0.0.0:1", "listen");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_EQ(any->port, 1);
}

TEST(ParseHostPortTest, RejectsMalformedInputNamingTheField) {
  for (std::string_view bad :
       {"", "127.0.0.1", ":8080", "host:", "host:65536", "host:-1", "host:+80", "host:80a",
        "host: 80", "host:99999999999999999999", "[::1:80", "[]:80", "[::1]", "host:0x50"}) {
    auto hp = parseHostPort(bad, "awsListen");
    ASSERT_FALSE(hp.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(hp.error().type(), "ValidationException") << bad;
    EXPECT_EQ(hp.error().field(), "awsListen") << bad;
    EXPECT_THAT(hp.error().message(), HasSubstr("awsListen")) << bad;
    EXPECT_THAT(hp.error().message(), HasSubstr(std::string(bad))) << bad;
  }
}

// --- applyConfigFile ----------------------------------------------------------------------

TEST(ApplyConfigFileTest, EmptyDocumentKeepsEveryDefault) {
  ServeConfig config;
  ASSERT_TRUE(applyConfigFile(parse("{}"), config).ok());
  const ServeConfig defaults;
  EXPECT_EQ(config.listen.host, defaults.listen.host);
  EXPECT_EQ(config.listen.port, 8080);
  EXPECT_EQ(config.awsListen.port, 4566);
  EXPECT_EQ(config.dataDir, "./var");
  EXPECT_EQ(config.logLevel, "info");
  EXPECT_TRUE(config.diag);
  EXPECT_EQ(config.ioThreads, 0);
  EXPECT_EQ(config.workers, 64);
  EXPECT_EQ(config.shutdownGrace, 10s);
  EXPECT_EQ(config.limits.maxHeaderBytes, defaults.limits.maxHeaderBytes);
  EXPECT_EQ(config.limits.maxUrlBytes, defaults.limits.maxUrlBytes);
  EXPECT_EQ(config.limits.maxBodyBytes, defaults.limits.maxBodyBytes);
  EXPECT_EQ(config.limits.headerTimeout, defaults.limits.headerTimeout);
  EXPECT_EQ(config.limits.bodyTimeout, defaults.limits.bodyTimeout);
  EXPECT_EQ(config.limits.idleTimeout, defaults.limits.idleTimeout);
  EXPECT_EQ(config.limits.writeTimeout, defaults.limits.writeTimeout);
  EXPECT_EQ(config.limits.maxConnections, defaults.limits.maxConnections);
  EXPECT_EQ(config.api.accountId, "000000000000");
  EXPECT_EQ(config.api.apiId, "bakery");
  EXPECT_EQ(config.api.stage, "$default");
  EXPECT_TRUE(config.api.stageVariables.empty());
  EXPECT_FALSE(config.cors.has_value());
  EXPECT_TRUE(config.functions.empty());
}

TEST(ApplyConfigFileTest, EmptySectionsKeepTheirDefaults) {
  ServeConfig config;
  ASSERT_TRUE(applyConfigFile(
                  parse(R"({"runtime": {}, "gateway": {"limits": {}}, "functions": {}})"), config)
                  .ok());
  EXPECT_EQ(config.workers, 64);
  EXPECT_EQ(config.limits.maxConnections, 10'000);
  EXPECT_FALSE(config.cors.has_value());
}

TEST(ApplyConfigFileTest, ReadsEveryKey) {
  ServeConfig config;
  auto r = applyConfigFile(parse(R"({
    "listen": "0.0.0.0:9000",
    "awsListen": "[::1]:4567",
    "dataDir": "/srv/bakery",
    "logLevel": "debug",
    "diag": false,
    "ioThreads": 4,
    "shutdownGraceMs": 2500,
    "runtime": {"workers": 16},
    "gateway": {
      "accountId": "123456789012",
      "apiId": "api1",
      "stage": "prod",
      "stageVariables": {"table": "items"},
      "limits": {
        "maxHeaderBytes": 2048, "maxUrlBytes": 512, "maxBodyBytes": 1000,
        "headerTimeoutMs": 1000, "bodyTimeoutMs": 2000, "idleTimeoutMs": 3000,
        "writeTimeoutMs": 4000, "maxConnections": 100
      },
      "cors": {
        "allowOrigins": ["https://app.example"], "allowMethods": ["GET", "POST"],
        "allowHeaders": ["content-type"], "exposeHeaders": ["x-request-id"],
        "allowCredentials": true, "maxAgeSeconds": 300
      }
    },
    "functions": {
      "diag.echo": {"timeoutMs": 5000, "reservedConcurrency": 2, "environment": {"K": "V"},
                    "execution": "inline"},
      "diag.other": {"execution": "pool"}
    }
  })"),
                           config);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(config.listen.host, "0.0.0.0");
  EXPECT_EQ(config.listen.port, 9000);
  EXPECT_EQ(config.awsListen.host, "::1");
  EXPECT_EQ(config.awsListen.port, 4567);
  EXPECT_EQ(config.dataDir, "/srv/bakery");
  EXPECT_EQ(config.logLevel, "debug");
  EXPECT_FALSE(config.diag);
  EXPECT_EQ(config.ioThreads, 4);
  EXPECT_EQ(config.shutdownGrace, 2500ms);
  EXPECT_EQ(config.workers, 16);
  EXPECT_EQ(config.api.accountId, "123456789012");
  EXPECT_EQ(config.api.apiId, "api1");
  EXPECT_EQ(config.api.stage, "prod");
  EXPECT_EQ(config.api.stageVariables, (std::map<std::string, std::string>{{"table", "items"}}));
  EXPECT_EQ(config.limits.maxHeaderBytes, 2048u);
  EXPECT_EQ(config.limits.maxUrlBytes, 512u);
  EXPECT_EQ(config.limits.maxBodyBytes, 1000u);
  EXPECT_EQ(config.limits.headerTimeout, 1000ms);
  EXPECT_EQ(config.limits.bodyTimeout, 2000ms);
  EXPECT_EQ(config.limits.idleTimeout, 3000ms);
  EXPECT_EQ(config.limits.writeTimeout, 4000ms);
  EXPECT_EQ(config.limits.maxConnections, 100);
  ASSERT_TRUE(config.cors.has_value());
  EXPECT_THAT(config.cors->allowOrigins, ElementsAre("https://app.example"));
  EXPECT_THAT(config.cors->allowMethods, ElementsAre("GET", "POST"));
  EXPECT_THAT(config.cors->allowHeaders, ElementsAre("content-type"));
  EXPECT_THAT(config.cors->exposeHeaders, ElementsAre("x-request-id"));
  EXPECT_TRUE(config.cors->allowCredentials);
  EXPECT_EQ(config.cors->maxAge, 300s);
  ASSERT_EQ(config.functions.count("diag.echo"), 1u);
  const runtime::FunctionOverrides& echo = config.functions.at("diag.echo");
  EXPECT_EQ(echo.timeout, 5000ms);
  EXPECT_EQ(echo.reservedConcurrency, 2);
  EXPECT_EQ(echo.environment, (std::map<std::string, std::string>{{"K", "V"}}));
  EXPECT_EQ(echo.execution, Execution::kInline);
  const runtime::FunctionOverrides& other = config.functions.at("diag.other");
  EXPECT_EQ(other.execution, Execution::kPool);
  EXPECT_FALSE(other.timeout.has_value());
  EXPECT_FALSE(other.reservedConcurrency.has_value());
}

TEST(ApplyConfigFileTest, FunctionReservedConcurrencyMayBeZero) {
  ServeConfig config;
  ASSERT_TRUE(
      applyConfigFile(parse(R"({"functions": {"diag.echo": {"reservedConcurrency": 0}}})"), config)
          .ok());
  EXPECT_EQ(config.functions.at("diag.echo").reservedConcurrency, 0);
}

TEST(ApplyConfigFileTest, UnknownRootKeyIsRejectedByName) {
  core::Error e = rejection(R"({"listn": "127.0.0.1:1"})");
  EXPECT_EQ(e.type(), "ValidationException");
  EXPECT_EQ(e.field(), "listn");
}

TEST(ApplyConfigFileTest, UnknownNestedKeysAreRejectedWithTheirFullPath) {
  EXPECT_EQ(rejection(R"({"gateway": {"limits": {"maxBodyBytez": 5}}})").field(),
            "gateway.limits.maxBodyBytez");
  EXPECT_THAT(rejection(R"({"gateway": {"limits": {"maxBodyBytez": 5}}})").message(),
              HasSubstr("gateway.limits.maxBodyBytez"));
  EXPECT_EQ(rejection(R"({"gateway": {"cors": {"allowOrigin": ["*"]}}})").field(),
            "gateway.cors.allowOrigin");
  EXPECT_EQ(rejection(R"({"gateway": {"stages": "prod"}})").field(), "gateway.stages");
  EXPECT_EQ(rejection(R"({"runtime": {"threads": 4}})").field(), "runtime.threads");
  EXPECT_EQ(rejection(R"({"functions": {"diag.echo": {"timeout": 5}}})").field(),
            "functions.diag.echo.timeout");
}

TEST(ApplyConfigFileTest, FunctionTimeoutOutOfRangeNamesItsPath) {
  for (std::string_view text : {R"({"functions": {"diag.echo": {"timeoutMs": 0}}})",
                                R"({"functions": {"diag.echo": {"timeoutMs": 900001}}})",
                                R"({"functions": {"diag.echo": {"timeoutMs": "5s"}}})"}) {
    core::Error e = rejection(text);
    EXPECT_EQ(e.field(), "functions.diag.echo.timeoutMs") << text;
    EXPECT_THAT(e.message(), HasSubstr("between 1 and 900000")) << text;
  }
}

TEST(ApplyConfigFileTest, FunctionSettingsOutOfRangeAreRejected) {
  EXPECT_EQ(rejection(R"({"functions": {"diag.echo": {"reservedConcurrency": -1}}})").field(),
            "functions.diag.echo.reservedConcurrency");
  EXPECT_EQ(rejection(R"({"functions": {"diag.echo": {"environment": {"N": 1}}}})").field(),
            "functions.diag.echo.environment.N");
  EXPECT_EQ(rejection(R"({"functions": {"diag.echo": {"execution": "thread"}}})").field(),
            "functions.diag.echo.execution");
  EXPECT_EQ(rejection(R"({"functions": {"diag.echo": 5}})").field(), "functions.diag.echo");
}

TEST(ApplyConfigFileTest, CorsCredentialsWithAWildcardOriginAreRejected) {
  core::Error e = rejection(
      R"({"gateway": {"cors": {"allowOrigins": ["https://a.example", "*"],
                               "allowCredentials": true}}})");
  EXPECT_EQ(e.field(), "gateway.cors.allowCredentials");
  EXPECT_THAT(e.message(), HasSubstr("allowOrigins"));
}

TEST(ApplyConfigFileTest, CorsWildcardWithoutCredentialsIsAccepted) {
  ServeConfig config;
  ASSERT_TRUE(
      applyConfigFile(parse(R"({"gateway": {"cors": {"allowOrigins": ["*"]}}})"), config).ok());
  ASSERT_TRUE(config.cors.has_value());
  EXPECT_FALSE(config.cors->allowCredentials);
  EXPECT_EQ(config.cors->maxAge, 0s);
}

TEST(ApplyConfigFileTest, CorsMaxAgeIsLimitedToADay) {
  EXPECT_EQ(rejection(R"({"gateway": {"cors": {"maxAgeSeconds": 86401}}})").field(),
            "gateway.cors.maxAgeSeconds");
}

TEST(ApplyConfigFileTest, BadListenAddressNamesTheKey) {
  core::Error e = rejection(R"({"listen": "localhost"})");
  EXPECT_EQ(e.field(), "listen");
  EXPECT_THAT(e.message(), HasSubstr("HOST:PORT"));
  EXPECT_EQ(rejection(R"({"awsListen": "h:70000"})").field(), "awsListen");
  EXPECT_EQ(rejection(R"({"listen": 8080})").field(), "listen");
}

TEST(ApplyConfigFileTest, TypeErrorsNameTheKey) {
  EXPECT_EQ(rejection(R"({"diag": "yes"})").field(), "diag");
  EXPECT_EQ(rejection(R"({"dataDir": 1})").field(), "dataDir");
  EXPECT_EQ(rejection(R"({"gateway": 5})").field(), "gateway");
  EXPECT_EQ(rejection(R"({"gateway": {"stageVariables": {"a": 1}}})").field(),
            "gateway.stageVariables.a");
  EXPECT_EQ(rejection(R"({"gateway": {"cors": {"allowOrigins": "*"}}})").field(),
            "gateway.cors.allowOrigins");
}

TEST(ApplyConfigFileTest, RangesAreEnforced) {
  EXPECT_EQ(rejection(R"({"ioThreads": 257})").field(), "ioThreads");
  EXPECT_EQ(rejection(R"({"shutdownGraceMs": -1})").field(), "shutdownGraceMs");
  EXPECT_EQ(rejection(R"({"runtime": {"workers": 0}})").field(), "runtime.workers");
  EXPECT_EQ(rejection(R"({"gateway": {"limits": {"maxHeaderBytes": 1023}}})").field(),
            "gateway.limits.maxHeaderBytes");
  EXPECT_EQ(rejection(R"({"gateway": {"limits": {"maxBodyBytes": 4294967297}}})").field(),
            "gateway.limits.maxBodyBytes");
  EXPECT_EQ(rejection(R"({"gateway": {"limits": {"idleTimeoutMs": 0}}})").field(),
            "gateway.limits.idleTimeoutMs");
  EXPECT_EQ(rejection(R"({"gateway": {"limits": {"maxConnections": 0}}})").field(),
            "gateway.limits.maxConnections");
}

TEST(ApplyConfigFileTest, UnknownLogLevelIsRejected) {
  core::Error e = rejection(R"({"logLevel": "verbose"})");
  EXPECT_EQ(e.field(), "logLevel");
  EXPECT_THAT(e.message(), HasSubstr("debug, info, warn, error"));
}

TEST(ApplyConfigFileTest, DocumentMustBeAnObject) {
  ServeConfig config;
  auto r = applyConfigFile(parse("[1, 2]"), config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), "ValidationException");
}

// --- loadConfigFile -----------------------------------------------------------------------

class LoadConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "bakery-config-XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(std::string_view name, std::string_view text) {
    std::filesystem::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

  std::filesystem::path dir_;
};

TEST_F(LoadConfigFileTest, ReadsAFile) {
  ServeConfig config;
  auto r = loadConfigFile(
      write("bakery.json", R"({"dataDir": "/data", "runtime": {"workers": 3}})"), config);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(config.dataDir, "/data");
  EXPECT_EQ(config.workers, 3);
}

TEST_F(LoadConfigFileTest, MissingFileIsAnErrorNamingIt) {
  ServeConfig config;
  std::string path = (dir_ / "absent.json").string();
  auto r = loadConfigFile(path, config);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr(path));
}

TEST_F(LoadConfigFileTest, InvalidJsonIsAnError) {
  ServeConfig config;
  auto r = loadConfigFile(write("bad.json", R"({"dataDir": )"), config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), "ValidationException");
  EXPECT_THAT(r.error().message(), HasSubstr("config file"));
}

TEST_F(LoadConfigFileTest, UnknownKeyInAFileIsRejected) {
  ServeConfig config;
  auto r =
      loadConfigFile(write("typo.json", R"({"gateway": {"limits": {"maxBodyBytez": 1}}})"), config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field(), "gateway.limits.maxBodyBytez");
}

}  // namespace
}  // namespace bakery::app

namespace bakery::app {
namespace {

TEST(ParseHostPortTest, AnIpv6HostNeedsBrackets) {
  EXPECT_FALSE(parseHostPort("::1:8080", "listen").ok());
  EXPECT_TRUE(parseHostPort("[::1]:8080", "listen").ok());
}

TEST(ApplyConfigFileTest, EmptyListenIsAnErrorNotTheDefault) {
  ServeConfig config;
  auto r = applyConfigFile(*core::parseJson(R"({"listen": ""})", "doc"), config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field(), "listen");
}

}  // namespace
}  // namespace bakery::app

// --- queueTriggers --------------------------------------------------------------------------

namespace bakery::app {
namespace {

TEST(QueueTriggersConfigTest, NoneByDefault) {
  ServeConfig config;
  ASSERT_TRUE(applyConfigFile(*core::parseJson("{}", "doc"), config).ok());
  EXPECT_TRUE(config.queueTriggers.empty());
}

TEST(QueueTriggersConfigTest, ReadsEveryKeyAndDefaultsTheRest) {
  ServeConfig config;
  auto r = applyConfigFile(*core::parseJson(R"({"queueTriggers": [
      {"queue": "orders", "function": "orderWorker", "batchSize": 5,
       "maximumBatchingWindowSeconds": 300, "reportBatchItemFailures": true},
      {"queue": "events.fifo", "function": "eventWorker"}
    ]})",
                                            "doc"),
                           config);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(config.queueTriggers.size(), 2u);
  const QueueTriggerConfig& orders = config.queueTriggers[0];
  EXPECT_EQ(orders.queue, "orders");
  EXPECT_EQ(orders.function, "orderWorker");
  EXPECT_EQ(orders.batchSize, 5);
  EXPECT_EQ(orders.maximumBatchingWindowSeconds, 300);
  EXPECT_TRUE(orders.reportBatchItemFailures);
  const QueueTriggerConfig& events = config.queueTriggers[1];
  EXPECT_EQ(events.queue, "events.fifo");
  EXPECT_EQ(events.function, "eventWorker");
  EXPECT_EQ(events.batchSize, 10);
  EXPECT_EQ(events.maximumBatchingWindowSeconds, 0);
  EXPECT_FALSE(events.reportBatchItemFailures);
}

TEST(QueueTriggersConfigTest, InvalidEntriesNameTheirField) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {R"({"queueTriggers": {"queue": "q"}})", "queueTriggers"},
      {R"({"queueTriggers": ["q"]})", "queueTriggers[0]"},
      {R"({"queueTriggers": [{"function": "f"}]})", "queueTriggers[0].queue"},
      {R"({"queueTriggers": [{"queue": "q"}]})", "queueTriggers[0].function"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f", "batchSize": 0}]})",
       "queueTriggers[0].batchSize"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f"},
                             {"queue": "q", "function": "f", "batchSize": 11}]})",
       "queueTriggers[1].batchSize"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f", "batchSize": "10"}]})",
       "queueTriggers[0].batchSize"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f",
                              "maximumBatchingWindowSeconds": 301}]})",
       "queueTriggers[0].maximumBatchingWindowSeconds"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f",
                              "maximumBatchingWindowSeconds": -1}]})",
       "queueTriggers[0].maximumBatchingWindowSeconds"},
      {R"({"queueTriggers": [{"queue": "q.fifo", "function": "f",
                              "maximumBatchingWindowSeconds": 1}]})",
       "queueTriggers[0].maximumBatchingWindowSeconds"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f",
                              "reportBatchItemFailures": "yes"}]})",
       "queueTriggers[0].reportBatchItemFailures"},
      {R"({"queueTriggers": [{"queue": "q", "function": "f", "batchSise": 5}]})",
       "queueTriggers[0].batchSise"},
      {R"({"queueTriggers": [{"queue": 5, "function": "f"}]})", "queueTriggers[0].queue"},
  };
  for (const auto& [text, field] : cases) {
    ServeConfig config;
    auto r = applyConfigFile(*core::parseJson(text, "doc"), config);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().type(), "ValidationException") << text;
    EXPECT_EQ(r.error().field(), field) << text;
    EXPECT_THAT(r.error().message(), HasSubstr("config: " + std::string(field) + ": ")) << text;
    EXPECT_TRUE(config.queueTriggers.empty()) << text;
  }
}

TEST(QueueTriggersConfigTest, MessagesSayWhatIsWrong) {
  auto message = [](std::string_view text) {
    ServeConfig config;
    auto r = applyConfigFile(*core::parseJson(text, "doc"), config);
    return r.ok() ? std::string("accepted") : r.error().message();
  };
  EXPECT_EQ(message(R"({"queueTriggers": [{"queue": "q", "function": "f", "batchSize": 11}]})"),
            "config: queueTriggers[0].batchSize: must be an integer between 1 and 10");
  EXPECT_EQ(message(R"({"queueTriggers": [{"queue": "q.fifo", "function": "f",
                                           "maximumBatchingWindowSeconds": 5}]})"),
            "config: queueTriggers[0].maximumBatchingWindowSeconds: must be 0 for a FIFO queue");
  EXPECT_EQ(message(R"({"queueTriggers": [{"function": "f"}]})"),
            "config: queueTriggers[0].queue: is required");
}

TEST(QueueTriggersConfigTest, AnErrorElsewhereInTheDocumentIsStillReported) {
  ServeConfig config;
  auto r = applyConfigFile(
      *core::parseJson(R"({"queueTriggers": [{"queue": "q", "function": "f"}], "listn": 1})",
                       "doc"),
      config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field(), "listn");
}

}  // namespace
}  // namespace bakery::app
