// Reads renderPrometheus() back with an independent parser: Debian's python3-prometheus-client.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.h"
#include "platform/observability/metrics_registry.h"

namespace bakery::observability {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";

// Prints one JSON array of families; values go through repr() since JSON has no NaN or Inf.
constexpr const char* kParserScript = R"(import json, sys
from prometheus_client.parser import text_string_to_metric_families
with open(sys.argv[1]) as f:
    text = f.read()
print(json.dumps([{"name": f.name, "type": f.type, "help": f.documentation,
                   "samples": [{"name": s.name, "labels": s.labels, "value": repr(s.value)}
                               for s in f.samples]}
                  for f in text_string_to_metric_families(text)]))
)";

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value;
};

struct Family {
  std::string type;
  std::string help;
  std::vector<Sample> samples;

  const Sample* find(std::string_view name,
                     const std::map<std::string, std::string>& labels) const {
    for (const Sample& s : samples) {
      if (s.name == name && s.labels == labels) return &s;
    }
    return nullptr;
  }
};

class PrometheusParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("prometheus-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the Python parser over `text`; the families it found, by name.
  std::map<std::string, Family> parse(const std::string& text) {
    const fs::path input = dir_ / "metrics.prom";
    const fs::path script = dir_ / "parse.py";
    std::ofstream(input, std::ios::binary) << text;
    std::ofstream(script) << kParserScript;
    const std::string command =
        std::string(kPython) + " '" + script.string() + "' '" + input.string() + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return {};
    std::string output;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
      output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;

    auto parsed = core::parseJson(output, "parser output");
    EXPECT_TRUE(parsed.ok()) << output;
    if (!parsed.ok()) return {};
    std::map<std::string, Family> families;
    for (const json::value& f : parsed->as_array()) {
      Family& family = families[std::string(f.at("name").as_string())];
      family.type = f.at("type").as_string();
      family.help = f.at("help").as_string();
      for (const json::value& s : f.at("samples").as_array()) {
        Sample sample{std::string(s.at("name").as_string()),
                      {},
                      std::stod(std::string(s.at("value").as_string()))};
        for (const auto& label : s.at("labels").as_object()) {
          sample.labels[label.key()] = label.value().as_string();
        }
        family.samples.push_back(std::move(sample));
      }
    }
    return families;
  }

  fs::path dir_;
};

TEST_F(PrometheusParserTest, PythonClientReadsBackEveryFamilyAndSample) {
  MetricsRegistry registry;
  registry.counter("bakery_requests_total", "Requests served.", {{"code", "200"}, {"route", "/a"}})
      .inc(41);
  registry.counter("bakery_requests_total", "Requests served.", {{"code", "500"}, {"route", "/a"}})
      .inc();
  registry.gauge("bakery_in_flight", "Requests in flight.").set(-2.5);
  registry.gauge("bakery_special", "Special values.", {{"kind", "nan"}})
      .set(std::numeric_limits<double>::quiet_NaN());
  registry.gauge("bakery_special", "Special values.", {{"kind", "inf"}})
      .set(std::numeric_limits<double>::infinity());
  registry.gaugeCallback("bakery_uptime_seconds", "Uptime.", {}, [] { return 12.75; });
  Histogram& latency =
      registry.histogram("bakery_latency_seconds", "Latency.", {{"function", "woofy.bark"}});
  latency.observe(0.0003);  // on a bound: counted in le="0.0003"
  latency.observe(0.00031);
  latency.observe(250);  // past 100 s: only +Inf

  const auto families = parse(registry.renderPrometheus());

  std::vector<std::string> names;
  for (const auto& [name, family] : families) names.push_back(name);
  // The client names a counter family without its `_total` suffix.
  EXPECT_THAT(
      names, ::testing::ElementsAre("bakery_in_flight", "bakery_latency_seconds", "bakery_requests",
                                    "bakery_special", "bakery_uptime_seconds"));

  const Family& requests = families.at("bakery_requests");
  EXPECT_EQ(requests.type, "counter");
  EXPECT_EQ(requests.help, "Requests served.");
  ASSERT_EQ(requests.samples.size(), 2u);
  const Sample* ok = requests.find("bakery_requests_total", {{"code", "200"}, {"route", "/a"}});
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->value, 41);
  const Sample* failed = requests.find("bakery_requests_total", {{"code", "500"}, {"route", "/a"}});
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->value, 1);

  const Family& inFlight = families.at("bakery_in_flight");
  EXPECT_EQ(inFlight.type, "gauge");
  ASSERT_EQ(inFlight.samples.size(), 1u);
  EXPECT_EQ(inFlight.samples[0].value, -2.5);

  const Family& special = families.at("bakery_special");
  ASSERT_EQ(special.samples.size(), 2u);
  EXPECT_TRUE(std::isnan(special.find("bakery_special", {{"kind", "nan"}})->value));
  EXPECT_EQ(special.find("bakery_special", {{"kind", "inf"}})->value,
            std::numeric_limits<double>::infinity());

  EXPECT_EQ(families.at("bakery_uptime_seconds").samples.at(0).value, 12.75);

  const Family& histogram = families.at("bakery_latency_seconds");
  EXPECT_EQ(histogram.type, "histogram");
  EXPECT_EQ(histogram.help, "Latency.");
  // 64 bounds and +Inf, then _sum and _count.
  ASSERT_EQ(histogram.samples.size(), 64u + 1u + 2u);
  const std::map<std::string, std::string> fn{{"function", "woofy.bark"}};
  auto bucket = [&](const char* le) {
    auto labels = fn;
    labels["le"] = le;
    const Sample* s = histogram.find("bakery_latency_seconds_bucket", labels);
    return s ? s->value : -1;
  };
  EXPECT_EQ(bucket("1e-05"), 0);
  EXPECT_EQ(bucket("0.0002"), 0);
  EXPECT_EQ(bucket("0.0003"), 1);
  EXPECT_EQ(bucket("0.0004"), 2);
  EXPECT_EQ(bucket("100"), 2);
  EXPECT_EQ(bucket("+Inf"), 3);
  EXPECT_EQ(histogram.find("bakery_latency_seconds_count", fn)->value, 3);
  EXPECT_DOUBLE_EQ(histogram.find("bakery_latency_seconds_sum", fn)->value, 250.00061);
  // Buckets are cumulative: never decreasing in the order rendered.
  double previous = 0;
  for (const Sample& s : histogram.samples) {
    if (s.name != "bakery_latency_seconds_bucket") continue;
    EXPECT_GE(s.value, previous) << s.labels.at("le");
    previous = s.value;
  }
}

TEST_F(PrometheusParserTest, EscapedHelpAndLabelValuesRoundTrip) {
  const std::string help = "Path C:\\temp \"quoted\"\nsecond line";
  const std::string value = "a\\b \"c\"\nd,e=f}";
  MetricsRegistry registry;
  registry.counter("escaped_total", help, {{"value", value}, {"other", ""}}).inc(2);

  const auto families = parse(registry.renderPrometheus());

  ASSERT_EQ(families.size(), 1u);
  const Family& family = families.at("escaped");
  EXPECT_EQ(family.help, help);
  ASSERT_EQ(family.samples.size(), 1u);
  EXPECT_EQ(family.samples[0].labels,
            (std::map<std::string, std::string>{{"value", value}, {"other", ""}}));
  EXPECT_EQ(family.samples[0].value, 2);
}

}  // namespace
}  // namespace bakery::observability
