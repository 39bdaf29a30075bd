// Logs and metrics of a running server: the invocation log line, redaction, and /metrics read
// by the Prometheus project's own parser (python3-prometheus-client).
#include <filesystem>
#include <fstream>
#include <regex>

#include "integration.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

std::optional<json::object> findLogLine(ServerProcess& s, const std::string& needle) {
  std::optional<json::object> found;
  s.waitForLine(
      [&](const std::string& l) {
        if (l.empty() || l.front() != '{' || l.find(needle) == std::string::npos) return false;
        found = parse(l).as_object();
        return true;
      },
      std::chrono::seconds(10));
  return found;
}

TEST(ObservabilityHttpTest, EveryInvocationWritesOneJsonLogLineWithTheRequiredFields) {
  auto s = startTestbed();
  auto r = post(*s, "/v1/diag/echo", "0123456789",
                {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
  std::string id = *r.header("x-request-id");
  auto line = findLogLine(*s, "\"requestId\":\"" + id + "\"");
  ASSERT_TRUE(line);
  EXPECT_TRUE(std::regex_match(std::string(line->at("time").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
  EXPECT_EQ(line->at("level"), "info");
  EXPECT_EQ(line->at("traceId"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(line->at("function"), "diag.echo");
  EXPECT_EQ(line->at("route"), "ANY /v1/diag/echo");
  EXPECT_EQ(line->at("status"), 200);
  EXPECT_TRUE(line->at("durationMs").is_number());
  EXPECT_EQ(line->at("coldStart"), true);
  EXPECT_EQ(line->at("bytesIn"), 10);
  EXPECT_EQ(line->at("bytesOut"), r.body.size());
  auto count = 0;
  for (const auto& l : s->lines()) count += l.find(id) != std::string::npos;
  EXPECT_EQ(count, 1) << "exactly one line per invocation";

  auto second = httpGet(s->url("/v1/diag/echo"));
  auto warm = findLogLine(*s, "\"requestId\":\"" + *second.header("x-request-id") + "\"");
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->at("coldStart"), false);
}

TEST(ObservabilityHttpTest, SecretsNeverReachTheLog) {
  auto s = startTestbed();
  auto r = post(*s, "/v1/test/log", "{}",
                {{"Authorization", "Bearer tok-secret-111"},
                 {"Cookie", "session=cookie-secret-222"},
                 {"X-Api-Key", "key-secret-333"},
                 {"X-Visible", "plain-header-444"}});
  ASSERT_EQ(r.status, 200);
  auto line = findLogLine(*s, "testbed log line");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->at("requestId"), json::value(*r.header("x-request-id")));
  EXPECT_EQ(line->at("function"), "test.log");
  EXPECT_EQ(line->at("headers").at("x-visible"), "plain-header-444");
  EXPECT_EQ(line->at("headers").at("authorization"), "[REDACTED]");
  EXPECT_EQ(line->at("headers").at("x-api-key"), "[REDACTED]");
  EXPECT_EQ(line->at("password"), "[REDACTED]");
  EXPECT_EQ(line->at("nested").at("clientSecret"), "[REDACTED]");
  EXPECT_EQ(line->at("nested").at("visible"), "plain-value");
  ASSERT_TRUE(findLogLine(*s, "\"function\":\"test.log\",\"route\""));  // invocation line written
  for (const auto& l : s->lines()) {
    for (const char* secret : {"tok-secret-111", "cookie-secret-222", "key-secret-333",
                               "hunter2-secret", "s3cr3t-value"}) {
      EXPECT_EQ(l.find(secret), std::string::npos) << secret << " leaked in: " << l;
    }
  }
}

TEST(ObservabilityHttpTest, MetricsAreValidPrometheusTextReadByARealParser) {
  auto s = startTestbed();
  for (int i = 0; i < 3; ++i) httpGet(s->url("/v1/diag/echo"));
  httpGet(s->url("/v1/missing"));
  post(*s, "/v1/test/throw", "{}");
  auto metrics = httpGet(s->url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");

  std::string dir = s->dataDir();
  std::ofstream(dir + "/metrics.txt") << metrics.body;
  std::ofstream(dir + "/parse.py") << R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    out[family.name] = {"type": family.type, "samples": [
        {"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]}
print(json.dumps(out))
)";
  auto parsed = runCommand({"/usr/bin/python3", dir + "/parse.py", dir + "/metrics.txt"});
  ASSERT_EQ(parsed.exitCode, 0) << parsed.err;
  auto families = parse(parsed.out).as_object();

  auto sample = [&](const std::string& family, const std::string& name,
                    const json::object& labels) -> std::optional<double> {
    if (!families.contains(family)) return std::nullopt;
    for (const auto& smp : families.at(family).at("samples").as_array()) {
      if (smp.at("name").as_string() != name) continue;
      bool match = true;
      for (const auto& kv : labels)
        match = match && smp.at("labels").as_object().contains(kv.key()) &&
                smp.at("labels").at(kv.key()) == kv.value();
      if (match) return smp.at("value").to_number<double>();
    }
    return std::nullopt;
  };
  // prometheus_client names counter families without the _total suffix.
  EXPECT_EQ(families.at("bakery_function_invocations").at("type"), "counter");
  EXPECT_EQ(sample("bakery_function_invocations", "bakery_function_invocations_total",
                   {{"function", "diag.echo"}}),
            3.0);
  EXPECT_EQ(sample("bakery_function_errors", "bakery_function_errors_total",
                   {{"function", "test.throw"}}),
            1.0);
  EXPECT_EQ(families.at("bakery_function_duration_seconds").at("type"), "histogram");
  EXPECT_EQ(sample("bakery_function_duration_seconds", "bakery_function_duration_seconds_count",
                   {{"function", "diag.echo"}}),
            3.0);
  EXPECT_TRUE(sample("bakery_function_duration_seconds", "bakery_function_duration_seconds_sum",
                     {{"function", "diag.echo"}}));
  EXPECT_EQ(sample("bakery_function_duration_seconds", "bakery_function_duration_seconds_bucket",
                   {{"function", "diag.echo"}, {"le", "+Inf"}}),
            3.0);
  EXPECT_GE(*sample("bakery_gateway_responses", "bakery_gateway_responses_total",
                    {{"listener", "app"}, {"class", "2xx"}}),
            3.0);
  EXPECT_GE(*sample("bakery_gateway_responses", "bakery_gateway_responses_total",
                    {{"listener", "app"}, {"class", "4xx"}}),
            1.0);
  EXPECT_GE(*sample("bakery_gateway_open_connections", "bakery_gateway_open_connections",
                    {{"listener", "app"}}),
            1.0);
  EXPECT_GT(*sample("process_resident_memory_bytes", "process_resident_memory_bytes", {}), 0.0);
  EXPECT_TRUE(sample("bakery_gateway_request_duration_seconds",
                     "bakery_gateway_request_duration_seconds_count",
                     {{"route", "ANY /v1/diag/echo"}}));
}

}  // namespace
}  // namespace bakery::testing
