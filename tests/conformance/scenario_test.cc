// The scenario loader and the runner, against a scripted TableService.
#include "conformance/scenario.h"

#include <deque>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "conformance/scenario_runner.h"

namespace bakery::conformance {
namespace {

// Answers calls from a script; ListTables always answers "no tables".
class ScriptedService : public table::TableService {
 public:
  void answer(core::Result<json::object> r) { answers_.push_back(std::move(r)); }
  core::Result<json::object> call(table::Operation op, const json::object& request) override {
    if (op == table::Operation::kListTables) return json::object{{"TableNames", json::array{}}};
    calls.emplace_back(op, request);
    if (answers_.empty()) return core::Error::internal("no scripted answer");
    auto r = std::move(answers_.front());
    answers_.pop_front();
    return r;
  }
  std::vector<std::pair<table::Operation, json::object>> calls;

 private:
  std::deque<core::Result<json::object>> answers_;
};

json::object parseObject(std::string_view text) {
  auto v = core::parseJson(text, "test");
  EXPECT_TRUE(v.ok() && v->is_object()) << text;
  return v.ok() && v->is_object() ? v->get_object() : json::object{};
}

Scenario parseOne(std::string_view text) {
  ScenarioFiles files = parseScenarioFile(text, "group");
  EXPECT_TRUE(files.problems.empty()) << (files.problems.empty() ? "" : files.problems[0]);
  EXPECT_EQ(files.scenarios.size(), 1u);
  return files.scenarios.empty() ? Scenario{} : files.scenarios[0];
}

TEST(ScenarioTest, ParsesStepsAndSkips) {
  Scenario s = parseOne(R"({"scenarios":[{"name":"a_b","skip":{"dynalite":"why"},
      "tables":[{"TableName":"t"}],
      "steps":[{"op":"GetItem","request":{"TableName":"t"},"expect":{"Item":"$absent"}},
               {"op":"$putMany","table":"t","count":3,"template":{"pk":{"S":"{i}"}}}]}]})");
  EXPECT_EQ(s.name, "a_b");
  EXPECT_EQ(s.skip.at("dynalite"), "why");
  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].operation, table::Operation::kGetItem);
  EXPECT_EQ(s.steps[1].kind, Step::Kind::kPutMany);
}

TEST(ScenarioTest, RejectsUnknownMembersAndOperations) {
  EXPECT_FALSE(parseScenarioFile(R"({"scenarios":[{"name":"a","steps":[
      {"op":"GetItem","request":{},"expected":{}}]}]})",
                                 "g")
                   .problems.empty());
  EXPECT_FALSE(parseScenarioFile(R"({"scenarios":[{"name":"a","steps":[
      {"op":"ExecuteStatement","request":{}}]}]})",
                                 "g")
                   .problems.empty());
  EXPECT_FALSE(parseScenarioFile(R"({"scenarios":[{"name":"Bad Name","steps":[
      {"op":"GetItem","request":{}}]}]})",
                                 "g")
                   .problems.empty());
  EXPECT_FALSE(parseScenarioFile(R"({"scenarios":[{"name":"a","steps":[
      {"op":"GetItem","request":{},"error":{"type":"X"}}]}]})",
                                 "g")
                   .problems.empty());
  EXPECT_FALSE(
      parseScenarioFile(R"({"scenarios":[{"name":"a","steps":[]}]})", "g").problems.empty());
  EXPECT_FALSE(parseScenarioFile("not json", "g").problems.empty());
}

TEST(ScenarioTest, RejectsDuplicateNames) {
  auto files = parseScenarioFile(R"({"scenarios":[
      {"name":"a","steps":[{"op":"GetItem","request":{}}]},
      {"name":"a","steps":[{"op":"GetItem","request":{}}]}]})",
                                 "g");
  EXPECT_EQ(files.scenarios.size(), 1u);
  EXPECT_EQ(files.problems.size(), 1u);
}

TEST(ScenarioRunnerTest, SavedVariablesFeedLaterRequests) {
  ScriptedService service;
  service.answer(parseObject(R"({"Items":[],"LastEvaluatedKey":{"pk":{"S":"k"}}})"));
  service.answer(parseObject(R"({"Items":[]})"));
  service.answer(parseObject(R"({"Items":[]})"));
  Scenario s = parseOne(R"({"scenarios":[{"name":"a","steps":[
      {"op":"Query","request":{"TableName":"t"},"save":{"lek":"LastEvaluatedKey"}},
      {"op":"Query","request":{"TableName":"t","ExclusiveStartKey":{"$var":"lek"}},
       "save":{"lek":"LastEvaluatedKey"}},
      {"op":"Query","request":{"TableName":"t","ExclusiveStartKey":{"$var":"lek"}}}]}]})");
  ScenarioOutcome outcome = ScenarioRunner(service, "fake").run(s);
  EXPECT_TRUE(outcome.failures.empty()) << outcome.failures[0];
  ASSERT_EQ(service.calls.size(), 3u);
  EXPECT_EQ(core::toJson(service.calls[1].second.at("ExclusiveStartKey")), R"({"pk":{"S":"k"}})");
  // The last page had no LastEvaluatedKey: the member is left out.
  EXPECT_FALSE(service.calls[2].second.contains("ExclusiveStartKey"));
}

TEST(ScenarioRunnerTest, ReportsAResponseThatDiffers) {
  ScriptedService service;
  service.answer(parseObject(R"({"Item":{"pk":{"S":"b"}}})"));
  Scenario s = parseOne(R"({"scenarios":[{"name":"a","steps":[
      {"op":"GetItem","request":{"TableName":"t"},"expect":{"Item":{"pk":{"S":"a"}}}}]}]})");
  ScenarioOutcome outcome = ScenarioRunner(service, "fake").run(s);
  ASSERT_EQ(outcome.failures.size(), 1u);
  EXPECT_NE(outcome.failures[0].find("step 1 (GetItem)"), std::string::npos);
  EXPECT_NE(outcome.failures[0].find("$.Item.pk.S"), std::string::npos);
}

TEST(ScenarioRunnerTest, ComparesErrorTypeMessageAndDetails) {
  auto conditionFailed = [] {
    return core::Error("ConditionalCheckFailedException", 400, "The conditional request failed")
        .withDetails(R"({"Item":{"pk":{"S":"a"}}})");
  };
  const char* kScenario = R"({"scenarios":[{"name":"a","steps":[
      {"op":"PutItem","request":{},"error":{"type":"ConditionalCheckFailedException",
       "message":"The conditional request failed","details":{"Item":{"pk":{"S":"a"}}}}}]}]})";
  {
    ScriptedService service;
    service.answer(conditionFailed());
    EXPECT_TRUE(ScenarioRunner(service, "fake").run(parseOne(kScenario)).failures.empty());
  }
  {
    ScriptedService service;
    service.answer(
        core::Error("ConditionalCheckFailedException", 400, "The conditional request failed"));
    EXPECT_EQ(ScenarioRunner(service, "fake").run(parseOne(kScenario)).failures.size(), 1u);
  }
  {
    ScriptedService service;
    service.answer(json::object{});
    EXPECT_EQ(ScenarioRunner(service, "fake").run(parseOne(kScenario)).failures.size(), 1u);
  }
  {
    ScriptedService service;
    service.answer(core::Error::validation("The conditional request failed"));
    EXPECT_EQ(ScenarioRunner(service, "fake").run(parseOne(kScenario)).failures.size(), 1u);
  }
}

TEST(ScenarioRunnerTest, StepSkipsAreNotedAndNotRun) {
  ScriptedService service;
  Scenario s = parseOne(R"({"scenarios":[{"name":"a","steps":[
      {"op":"GetItem","request":{},"skip":{"fake":"not here"}}]}]})");
  ScenarioOutcome outcome = ScenarioRunner(service, "fake").run(s);
  EXPECT_TRUE(outcome.failures.empty());
  EXPECT_TRUE(service.calls.empty());
  ASSERT_EQ(outcome.notes.size(), 1u);
  EXPECT_NE(outcome.notes[0].find("not here"), std::string::npos);
}

TEST(ScenarioRunnerTest, PutManyWritesBatchesOfTwentyFive) {
  ScriptedService service;
  for (int i = 0; i < 3; ++i) service.answer(parseObject(R"({"UnprocessedItems":{}})"));
  Scenario s = parseOne(R"({"scenarios":[{"name":"a","steps":[
      {"op":"$putMany","table":"t","count":60,"pad":3,"template":{"pk":{"S":"k{i}"}}}]}]})");
  EXPECT_TRUE(ScenarioRunner(service, "fake").run(s).failures.empty());
  ASSERT_EQ(service.calls.size(), 3u);
  const auto& first = service.calls[0].second.at("RequestItems").at("t").get_array();
  EXPECT_EQ(first.size(), 25u);
  EXPECT_EQ(core::toJson(first[7]), R"({"PutRequest":{"Item":{"pk":{"S":"k007"}}}})");
  EXPECT_EQ(service.calls[2].second.at("RequestItems").at("t").get_array().size(), 10u);
}

TEST(ScenarioRunnerTest, CollectedArraysAreCheckedAsAWhole) {
  ScriptedService service;
  service.answer(parseObject(R"({"Items":[{"k":1}]})"));
  service.answer(parseObject(R"({"Items":[{"k":2}]})"));
  Scenario s = parseOne(R"({"scenarios":[{"name":"a","steps":[
      {"op":"Scan","request":{},"collect":{"all":"Items"}},
      {"op":"Scan","request":{},"collect":{"all":"Items"}},
      {"op":"$check","var":"all","expect":{"$unordered":[{"k":2},{"k":1}]}},
      {"op":"$check","var":"all","expect":[{"k":2},{"k":1}]}]}]})");
  ScenarioOutcome outcome = ScenarioRunner(service, "fake").run(s);
  ASSERT_EQ(outcome.failures.size(), 1u);
  EXPECT_NE(outcome.failures[0].find("step 4"), std::string::npos);
}

}  // namespace
}  // namespace bakery::conformance
