#include "platform/observability/emf_writer.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

namespace bakery::observability {
namespace {

using namespace std::chrono_literals;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::int64_t kStartMillis = 1'700'000'000'000;  // ManualClock's default start
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// tests/data/emf/emf-schema.json, compiled by valijson.
class EmfSchema {
 public:
  EmfSchema() {
    std::ifstream in(std::string(BAKERY_TEST_DATA_DIR) + "/emf/emf-schema.json");
    std::stringstream text;
    text << in.rdbuf();
    document_ = json::parse(text.str());
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::BoostJsonAdapter adapter(document_);
    parser.populateSchema(adapter, schema_);
  }

  // Empty when `doc` conforms; otherwise one "<path>: <description>" per violation.
  std::vector<std::string> violations(const json::value& doc) const {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter target(doc);
    std::vector<std::string> out;
    if (validator.validate(schema_, target, &results)) return out;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      out.push_back(fmt::format("{}: {}", fmt::join(error.context, ""), error.description));
    }
    return out;
  }

 private:
  json::value document_;
  valijson::Schema schema_;
};

::testing::AssertionResult isValidationError(const core::Result<void>& result,
                                             std::string_view field) {
  if (result.ok()) return ::testing::AssertionFailure() << "succeeded";
  const core::Error& e = result.error();
  if (e.type() != "ValidationException" || e.status() != 400 || e.field() != field ||
      e.message().empty()) {
    return ::testing::AssertionFailure()
           << e.type() << " " << e.status() << " on '" << e.field() << "': " << e.message();
  }
  return ::testing::AssertionSuccess() << e.message();
}

std::string repeated(std::string_view unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

class EmfWriterTest : public ::testing::Test {
 protected:
  EmfWriter::Sink sink() {
    return [this](std::string_view document) { documents_.emplace_back(document); };
  }

  json::object document(std::size_t i) {
    EXPECT_LT(i, documents_.size());
    if (i >= documents_.size()) return {};
    return json::parse(documents_[i]).as_object();
  }

  static json::array metricDefinitions(const json::object& doc) {
    return doc.at("_aws").at("CloudWatchMetrics").at(0).at("Metrics").as_array();
  }

  // Every document the writers emitted: the schema's structural rules, plus what a schema
  // cannot say: each name in the directive is a root member of the right JSON type.
  void TearDown() override {
    for (const std::string& raw : documents_) {
      SCOPED_TRACE(raw.substr(0, 400));
      EXPECT_LE(raw.size(), EmfWriter::kMaxDocumentBytes);
      EXPECT_NE(raw.back(), '\n');
      boost::system::error_code ec;
      const json::value doc = json::parse(raw, ec);
      ASSERT_FALSE(ec) << ec.message();
      EXPECT_THAT(schema_.violations(doc), IsEmpty());
      const json::object& root = doc.as_object();
      for (const json::value& directive : root.at("_aws").at("CloudWatchMetrics").as_array()) {
        for (const json::value& set : directive.at("Dimensions").as_array()) {
          for (const json::value& name : set.as_array()) {
            const json::value* member = root.if_contains(name.as_string());
            ASSERT_NE(member, nullptr) << "dimension without a member: " << name;
            EXPECT_TRUE(member->is_string()) << name;
          }
        }
        std::set<std::string> seen;
        for (const json::value& definition : directive.at("Metrics").as_array()) {
          const json::string& name = definition.at("Name").as_string();
          EXPECT_TRUE(seen.emplace(name).second) << "metric defined twice: " << name;
          const json::value* member = root.if_contains(name);
          ASSERT_NE(member, nullptr) << "metric without a member: " << name;
          if (member->is_array()) {
            EXPECT_GE(member->as_array().size(), 2u) << name;
            EXPECT_LE(member->as_array().size(), 100u) << name;
            for (const json::value& v : member->as_array()) EXPECT_TRUE(v.is_number()) << name;
          } else {
            EXPECT_TRUE(member->is_number()) << name;
          }
        }
      }
    }
  }

  core::ManualClock clock_;
  EmfSchema schema_;
  std::vector<std::string> documents_;
};

TEST_F(EmfWriterTest, WritesOneDocumentWithDirectiveDimensionsMetricsAndProperties) {
  EmfWriter writer("Bakery/Functions", sink(), clock_);
  ASSERT_TRUE(writer.putDimension("Function", "woofy.bark").ok());
  ASSERT_TRUE(writer.putMetric("Latency", 12.5, "Milliseconds").ok());
  ASSERT_TRUE(writer.putMetric("Latency", 3, "Milliseconds").ok());
  ASSERT_TRUE(writer.putMetric("ColdStart", 1, "Count", 1).ok());
  ASSERT_TRUE(writer.putProperty("requestId", "r-1").ok());
  writer.flush();
  ASSERT_EQ(documents_.size(), 1u);
  EXPECT_EQ(
      documents_[0],
      R"({"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":)"
      R"("Bakery/Functions","Dimensions":[["Function"]],"Metrics":[{"Name":"Latency",)"
      R"("Unit":"Milliseconds"},{"Name":"ColdStart","Unit":"Count","StorageResolution":1}]}]},)"
      R"("Function":"woofy.bark","Latency":[12.5,3],"ColdStart":1,"requestId":"r-1"})");
}

TEST_F(EmfWriterTest, TimestampIsTheClockInEpochMillisecondsAtFlush) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("m", 1).ok());
  clock_.advance(1234ms + 999us);
  writer.flush();
  ASSERT_TRUE(writer.putMetric("m", 1).ok());
  clock_.advance(1s);
  writer.flush();
  EXPECT_EQ(document(0).at("_aws").at("Timestamp"), kStartMillis + 1234);
  EXPECT_EQ(document(1).at("_aws").at("Timestamp"), kStartMillis + 2234);
}

TEST_F(EmfWriterTest, WithoutDimensionsTheDirectiveHasOneEmptyDimensionSet) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("m", 1).ok());
  writer.flush();
  EXPECT_EQ(document(0).at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions"),
            json::parse("[[]]"));
}

TEST_F(EmfWriterTest, FlushWithoutMetricsEmitsNothing) {
  {
    EmfWriter writer("Bakery/Test", sink(), clock_);
    ASSERT_TRUE(writer.putDimension("Function", "f").ok());
    ASSERT_TRUE(writer.putProperty("requestId", "r").ok());
    writer.flush();
  }
  EXPECT_THAT(documents_, IsEmpty());
}

TEST_F(EmfWriterTest, DestructorFlushesPendingMetrics) {
  {
    EmfWriter writer("Bakery/Test", sink(), clock_);
    ASSERT_TRUE(writer.putMetric("m", 2).ok());
  }
  ASSERT_EQ(documents_.size(), 1u);
  EXPECT_EQ(document(0).at("m"), 2);
}

TEST_F(EmfWriterTest, DimensionsAndPropertiesCarryOverButMetricsDoNot) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putDimension("Function", "f").ok());
  ASSERT_TRUE(writer.putProperty("requestId", "r").ok());
  ASSERT_TRUE(writer.putMetric("First", 1).ok());
  writer.flush();
  ASSERT_TRUE(writer.putMetric("Second", 2).ok());
  writer.flush();
  ASSERT_EQ(documents_.size(), 2u);
  const json::object second = document(1);
  EXPECT_EQ(second.at("Function"), "f");
  EXPECT_EQ(second.at("requestId"), "r");
  EXPECT_FALSE(second.contains("First"));
  EXPECT_EQ(metricDefinitions(second).size(), 1u);
}

TEST_F(EmfWriterTest, PuttingADimensionAgainReplacesItsValue) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putDimension("Stage", "beta").ok());
  ASSERT_TRUE(writer.putDimension("Stage", "prod").ok());
  ASSERT_TRUE(writer.putProperty("note", 1).ok());
  ASSERT_TRUE(writer.putProperty("note", "replaced").ok());
  ASSERT_TRUE(writer.putMetric("m", 1).ok());
  writer.flush();
  const json::object doc = document(0);
  EXPECT_EQ(doc.at("Stage"), "prod");
  EXPECT_EQ(doc.at("note"), "replaced");
  EXPECT_EQ(doc.at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions"),
            json::parse(R"([["Stage"]])"));
}

TEST_F(EmfWriterTest, StorageResolutionIsWrittenOnlyForHighResolution) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("Fast", 1, "Count", 1).ok());
  ASSERT_TRUE(writer.putMetric("Slow", 1, "Count", 60).ok());
  ASSERT_TRUE(writer.putMetric("Default", 1).ok());
  writer.flush();
  const json::array definitions = metricDefinitions(document(0));
  EXPECT_EQ(definitions.at(0),
            json::parse(R"({"Name":"Fast","Unit":"Count","StorageResolution":1})"));
  EXPECT_EQ(definitions.at(1), json::parse(R"({"Name":"Slow","Unit":"Count"})"));
  EXPECT_EQ(definitions.at(2), json::parse(R"({"Name":"Default","Unit":"None"})"));
}

TEST_F(EmfWriterTest, OneValueIsANumberAndSeveralAreAnArrayInOrder) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("Single", 4).ok());
  for (double v : {3.0, 1.0, 2.0}) ASSERT_TRUE(writer.putMetric("Several", v).ok());
  writer.flush();
  const json::object doc = document(0);
  EXPECT_EQ(doc.at("Single"), 4);
  EXPECT_EQ(doc.at("Several"), json::parse("[3,1,2]"));
}

TEST_F(EmfWriterTest, WholeNumbersAreWrittenAsIntegersAndOthersAsDoubles) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("whole", 3).ok());
  ASSERT_TRUE(writer.putMetric("negative", -7).ok());
  ASSERT_TRUE(writer.putMetric("negativeZero", -0.0).ok());
  ASSERT_TRUE(writer.putMetric("fraction", 2.5).ok());
  ASSERT_TRUE(writer.putMetric("huge", 1e300).ok());
  ASSERT_TRUE(writer.putMetric("pastTwoToThe53", 1e16).ok());
  writer.flush();
  const json::object doc = document(0);
  EXPECT_TRUE(doc.at("whole").is_int64());
  EXPECT_EQ(doc.at("negative"), -7);
  EXPECT_EQ(doc.at("negativeZero"), 0);
  EXPECT_TRUE(doc.at("fraction").is_double());
  EXPECT_EQ(doc.at("fraction").as_double(), 2.5);
  EXPECT_EQ(doc.at("huge").as_double(), 1e300);
  EXPECT_EQ(doc.at("pastTwoToThe53").as_double(), 1e16);
}

TEST_F(EmfWriterTest, FlushesByItselfWhenADocumentReachesOneHundredMetrics) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  for (int i = 0; i < 99; ++i) ASSERT_TRUE(writer.putMetric(fmt::format("m{}", i), i).ok());
  EXPECT_THAT(documents_, IsEmpty());
  ASSERT_TRUE(writer.putMetric("m99", 99).ok());
  ASSERT_EQ(documents_.size(), 1u);
  const json::object first = document(0);
  EXPECT_EQ(metricDefinitions(first).size(), 100u);
  EXPECT_EQ(first.at("m0"), 0);
  EXPECT_EQ(first.at("m99"), 99);

  ASSERT_TRUE(writer.putMetric("m100", 100).ok());
  EXPECT_EQ(documents_.size(), 1u);
  writer.flush();
  ASSERT_EQ(documents_.size(), 2u);
  EXPECT_EQ(metricDefinitions(document(1)).size(), 1u);
  EXPECT_EQ(document(1).at("m100"), 100);
}

TEST_F(EmfWriterTest, FlushesBeforeTheHundredAndFirstValueOfAMetric) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer.putMetric("Latency", i, "Milliseconds").ok());
  EXPECT_THAT(documents_, IsEmpty());
  ASSERT_TRUE(writer.putMetric("Latency", 100, "Milliseconds").ok());
  ASSERT_EQ(documents_.size(), 1u);
  const json::object first = document(0);
  const json::array& values = first.at("Latency").as_array();
  ASSERT_EQ(values.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(values[i], i);
  writer.flush();
  ASSERT_EQ(documents_.size(), 2u);
  EXPECT_EQ(document(1).at("Latency"), 100);
}

TEST_F(EmfWriterTest, AcceptsEveryCloudWatchUnitAndNoOther) {
  const std::vector<std::string> units = {"Seconds",
                                          "Microseconds",
                                          "Milliseconds",
                                          "Bytes",
                                          "Kilobytes",
                                          "Megabytes",
                                          "Gigabytes",
                                          "Terabytes",
                                          "Bits",
                                          "Kilobits",
                                          "Megabits",
                                          "Gigabits",
                                          "Terabits",
                                          "Percent",
                                          "Count",
                                          "Bytes/Second",
                                          "Kilobytes/Second",
                                          "Megabytes/Second",
                                          "Gigabytes/Second",
                                          "Terabytes/Second",
                                          "Bits/Second",
                                          "Kilobits/Second",
                                          "Megabits/Second",
                                          "Gigabits/Second",
                                          "Terabits/Second",
                                          "Count/Second",
                                          "None"};
  EmfWriter writer("Bakery/Test", sink(), clock_);
  for (std::size_t i = 0; i < units.size(); ++i) {
    EXPECT_TRUE(EmfWriter::isValidUnit(units[i])) << units[i];
    ASSERT_TRUE(writer.putMetric(fmt::format("m{}", i), 1, units[i]).ok()) << units[i];
  }
  writer.flush();
  const json::array definitions = metricDefinitions(document(0));
  ASSERT_EQ(definitions.size(), units.size());
  for (std::size_t i = 0; i < units.size(); ++i)
    EXPECT_EQ(definitions[i].at("Unit").as_string(), units[i]);
  for (const char* unit : {"", "none", "seconds", "Second", "Hours", "Count/Minute", "Bytes/Sec",
                           "Count ", "Kibibytes"}) {
    EXPECT_FALSE(EmfWriter::isValidUnit(unit)) << unit;
  }
}

TEST_F(EmfWriterTest, InvalidNamespaceIsReportedOnPutMetric) {
  const std::vector<std::string> invalid = {
      "",         std::string(256, 'n'), "Bakery Test", "Bakery!",
      "Bakery\n", "caf\xc3\xa9",         "AWS/Lambda",  "Bakery\\Test"};
  for (const std::string& ns : invalid) {
    EXPECT_TRUE(isValidationError(EmfWriter::validateNamespace(ns), "namespace")) << ns;
    EmfWriter writer(ns, sink(), clock_);
    EXPECT_TRUE(isValidationError(writer.putMetric("m", 1), "namespace")) << ns;
  }
  EXPECT_THAT(documents_, IsEmpty());
  const std::vector<std::string> valid = {std::string(255, 'n'), "a.b-c_d/e#f:g",
                                          "Bakery/Functions", "AWSish", "aws/lower"};
  for (const std::string& ns : valid) {
    EXPECT_TRUE(EmfWriter::validateNamespace(ns).ok()) << ns;
    EmfWriter writer(ns, sink(), clock_);
    EXPECT_TRUE(writer.putMetric("m", 1).ok()) << ns;
  }
  EXPECT_EQ(documents_.size(), valid.size());
}

TEST_F(EmfWriterTest, RejectsInvalidMetricNamesUnitsResolutionsAndValues) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putDimension("Function", "f").ok());
  ASSERT_TRUE(writer.putProperty("requestId", "r").ok());

  EXPECT_TRUE(isValidationError(writer.putMetric("", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putMetric(std::string(256, 'm'), 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putMetric(repeated("\xc3\xa9", 256), 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putMetric("_aws", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putMetric("Function", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putMetric("requestId", 1), "name"));
  for (const char* unit : {"", "milliseconds", "Hours", "Count/Minute"}) {
    EXPECT_TRUE(isValidationError(writer.putMetric("m", 1, unit), "unit")) << unit;
  }
  for (int resolution : {0, 5, 59, 61, -1}) {
    EXPECT_TRUE(
        isValidationError(writer.putMetric("m", 1, "None", resolution), "storageResolution"))
        << resolution;
  }
  for (double value : {kNan, kInf, -kInf}) {
    EXPECT_TRUE(isValidationError(writer.putMetric("m", value), "value")) << value;
  }

  // 255 characters is the limit, counted in characters rather than UTF-8 bytes.
  ASSERT_TRUE(writer.putMetric(std::string(255, 'm'), 1).ok());
  ASSERT_TRUE(writer.putMetric(repeated("\xc3\xa9", 255), 1).ok());
  ASSERT_TRUE(writer.putMetric("Latency", 1, "Milliseconds").ok());
  EXPECT_TRUE(isValidationError(writer.putMetric("Latency", 2, "Seconds"), "unit"));
  EXPECT_TRUE(
      isValidationError(writer.putMetric("Latency", 2, "Milliseconds", 1), "storageResolution"));
  writer.flush();

  ASSERT_EQ(documents_.size(), 1u);
  const json::object doc = document(0);
  EXPECT_EQ(metricDefinitions(doc).size(), 3u);  // refused values left no trace
  EXPECT_EQ(doc.at("Latency"), 1);
  EXPECT_FALSE(doc.contains("m"));
  // A new document may give the name another unit.
  EXPECT_TRUE(writer.putMetric("Latency", 2, "Seconds").ok());
}

TEST_F(EmfWriterTest, RejectsInvalidDimensions) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putMetric("Requests", 1, "Count").ok());
  ASSERT_TRUE(writer.putProperty("requestId", "r").ok());

  EXPECT_TRUE(isValidationError(writer.putDimension("", "v"), "name"));
  EXPECT_TRUE(isValidationError(writer.putDimension(std::string(256, 'd'), "v"), "name"));
  EXPECT_TRUE(isValidationError(writer.putDimension("_aws", "v"), "name"));
  EXPECT_TRUE(isValidationError(writer.putDimension("Requests", "v"), "name"));
  EXPECT_TRUE(isValidationError(writer.putDimension("requestId", "v"), "name"));
  EXPECT_TRUE(isValidationError(writer.putDimension("d", ""), "value"));
  EXPECT_TRUE(isValidationError(writer.putDimension("d", std::string(256, 'v')), "value"));

  ASSERT_TRUE(writer.putDimension(std::string(255, 'd'), std::string(255, 'v')).ok());
  for (int i = 1; i < 30; ++i) ASSERT_TRUE(writer.putDimension(fmt::format("d{}", i), "v").ok());
  EXPECT_TRUE(isValidationError(writer.putDimension("d30", "v"), "name"));
  EXPECT_TRUE(writer.putDimension("d29", "replaced").ok());  // not a 31st dimension
  writer.flush();

  const json::object doc = document(0);
  const json::array& set =
      doc.at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions").at(0).as_array();
  EXPECT_EQ(set.size(), 30u);
  EXPECT_EQ(doc.at("d29"), "replaced");
  EXPECT_FALSE(doc.contains("d30"));
  EXPECT_FALSE(doc.contains("d"));
}

TEST_F(EmfWriterTest, RejectsInvalidProperties) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(writer.putDimension("Function", "f").ok());
  ASSERT_TRUE(writer.putMetric("Requests", 1, "Count").ok());
  EXPECT_TRUE(isValidationError(writer.putProperty("", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putProperty("_aws", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putProperty("Function", 1), "name"));
  EXPECT_TRUE(isValidationError(writer.putProperty("Requests", 1), "name"));
  ASSERT_TRUE(writer.putProperty("trace", json::parse(R"({"id":"t","spans":[1,2]})")).ok());
  writer.flush();
  EXPECT_EQ(document(0).at("trace"), json::parse(R"({"id":"t","spans":[1,2]})"));
}

TEST_F(EmfWriterTest, FlushesEarlyToKeepEachDocumentWithinOneMegabyte) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  ASSERT_TRUE(
      writer.putProperty("payload", json::string(EmfWriter::kMaxDocumentBytes - 2000, 'p')).ok());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(writer.putMetric(fmt::format("metric{}", i), i, "Count").ok()) << i;
  }
  writer.flush();
  EXPECT_GT(documents_.size(), 2u);
  std::multiset<std::string> names;
  for (std::size_t d = 0; d < documents_.size(); ++d) {
    const json::object doc = document(d);
    EXPECT_TRUE(doc.contains("payload"));
    for (const json::value& definition : metricDefinitions(doc)) {
      names.emplace(definition.at("Name").as_string());
    }
  }
  EXPECT_EQ(names.size(), 60u);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(names.count(fmt::format("metric{}", i)), 1u) << i;
}

TEST_F(EmfWriterTest, RefusesDimensionsAndPropertiesThatCannotFitInOneMegabyte) {
  constexpr std::size_t kMax = EmfWriter::kMaxDocumentBytes;
  EmfWriter writer("Bakery/Test", sink(), clock_);
  EXPECT_TRUE(isValidationError(writer.putProperty("payload", json::string(kMax, 'p')), "value"));
  ASSERT_TRUE(writer.putProperty("payload", json::string(kMax - 400, 'p')).ok());
  EXPECT_TRUE(isValidationError(writer.putProperty("more", json::string(2000, 'q')), "value"));
  EXPECT_TRUE(isValidationError(writer.putDimension(std::string(255, 'D'), std::string(255, 'v')),
                                "value"));
  // A refused replacement keeps the previous value.
  EXPECT_TRUE(
      isValidationError(writer.putProperty("payload", json::string(kMax - 10, 'x')), "value"));
  ASSERT_TRUE(writer.putMetric("m", 1).ok());
  writer.flush();
  ASSERT_EQ(documents_.size(), 1u);
  const json::object doc = document(0);
  EXPECT_EQ(doc.at("payload").as_string().size(), kMax - 400);
  EXPECT_EQ(doc.at("payload").as_string()[0], 'p');
  EXPECT_FALSE(doc.contains("more"));
  EXPECT_EQ(doc.size(), 3u);  // _aws, payload, m
}

TEST_F(EmfWriterTest, RefusesAMetricThatCannotFitBesideItsProperties) {
  EmfWriter writer("Bakery/Test", sink(), clock_);
  // Leaves less room than any metric needs, whatever the exact size of the metadata.
  ASSERT_TRUE(
      writer.putProperty("payload", json::string(EmfWriter::kMaxDocumentBytes - 160, 'p')).ok());
  EXPECT_TRUE(isValidationError(writer.putMetric("m", 1), "name"));
  writer.flush();
  EXPECT_THAT(documents_, IsEmpty());
}

TEST_F(EmfWriterTest, SchemaAcceptsAConformingDocumentAndRejectsEachBrokenRule) {
  const std::string good =
      R"({"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N",)"
      R"("Dimensions":[["D"]],"Metrics":[{"Name":"M","Unit":"Count","StorageResolution":60}]}]},)"
      R"("D":"d","M":1})";
  EXPECT_THAT(schema_.violations(json::parse(good)), IsEmpty());

  auto broken = [&good](auto change) {
    json::value doc = json::parse(good);
    change(doc.as_object()["_aws"].as_object());
    return doc;
  };
  auto directive = [](json::object& aws) -> json::object& {
    return aws["CloudWatchMetrics"].as_array()[0].as_object();
  };
  auto metric = [&directive](json::object& aws) -> json::object& {
    return directive(aws)["Metrics"].as_array()[0].as_object();
  };
  const std::vector<std::pair<std::string, json::value>> cases = {
      {"no _aws", json::parse(R"({"M":1})")},
      {"timestamp string", broken([](json::object& aws) { aws["Timestamp"] = "now"; })},
      {"timestamp fraction", broken([](json::object& aws) { aws["Timestamp"] = 1.5; })},
      {"no timestamp", broken([](json::object& aws) { aws.erase("Timestamp"); })},
      {"directives not an array", broken([](json::object& aws) { aws["CloudWatchMetrics"] = 1; })},
      {"empty namespace", broken([&](json::object& aws) { directive(aws)["Namespace"] = ""; })},
      {"long namespace",
       broken([&](json::object& aws) { directive(aws)["Namespace"] = std::string(256, 'n'); })},
      {"31 dimensions", broken([&](json::object& aws) {
         json::array set;
         for (int i = 0; i < 31; ++i) set.emplace_back(fmt::format("d{}", i));
         json::array sets;
         sets.emplace_back(std::move(set));
         directive(aws)["Dimensions"] = std::move(sets);
       })},
      {"dimension not a string",
       broken([&](json::object& aws) { directive(aws)["Dimensions"] = json::parse("[[1]]"); })},
      {"101 metrics", broken([&](json::object& aws) {
         json::array metrics;
         for (int i = 0; i < 101; ++i) metrics.emplace_back(json::object{{"Name", "M"}});
         directive(aws)["Metrics"] = std::move(metrics);
       })},
      {"no metric name", broken([&](json::object& aws) { metric(aws).erase("Name"); })},
      {"unknown unit", broken([&](json::object& aws) { metric(aws)["Unit"] = "Hours"; })},
      {"resolution 30", broken([&](json::object& aws) { metric(aws)["StorageResolution"] = 30; })},
  };
  for (const auto& [name, doc] : cases) {
    EXPECT_THAT(schema_.violations(doc), Not(IsEmpty())) << name;
  }
}

}  // namespace
}  // namespace bakery::observability
