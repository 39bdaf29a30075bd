// The automaton against the rule-by-rule matcher on random patterns and events over a small
// vocabulary (so that they often match), with many rules in one automaton.
#include "platform/bus/pattern/pattern_automaton.h"

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/json.h"
#include "platform/bus/pattern/event_pattern.h"

namespace bakery::bus {
namespace {

class RandomCases {
 public:
  explicit RandomCases(unsigned seed) : random_(seed) {}

  std::string pattern() {
    std::string fields;
    int n = 1 + pick(3);
    for (int i = 0; i < n; ++i) {
      if (!fields.empty()) fields += ",";
      fields += fieldPattern(0);
    }
    if (pick(4) == 0) {
      fields += fmt::format(R"(,"$or":[{{{}}},{{{}}}])", fieldPattern(0), fieldPattern(0));
    }
    return "{" + fields + "}";
  }

  json::value event() {
    json::object detail;
    for (const char* key : {"a", "b", "c"}) {
      if (pick(4) == 0) continue;
      detail[key] = value(1);
    }
    json::array items;
    for (int i = 0, n = pick(3); i < n; ++i) {
      json::object item;
      if (pick(3) != 0) item["k"] = scalar();
      if (pick(3) != 0) item["v"] = scalar();
      items.push_back(std::move(item));
    }
    detail["items"] = std::move(items);
    return json::object{{"source", pick(2) ? "s1" : "s2"}, {"detail", std::move(detail)}};
  }

 private:
  int pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }

  json::value scalar() {
    switch (pick(7)) {
      case 0:
        return "x";
      case 1:
        return "xy";
      case 2:
        return "Yx";
      case 3:
        return pick(5);
      case 4:
        return 2.5;
      case 5:
        return nullptr;
      default:
        return pick(2) == 0;
    }
  }
  json::value value(int depth) {
    if (depth < 2 && pick(4) == 0) {
      json::array a;
      for (int i = 0, n = pick(3); i < n; ++i) a.push_back(scalar());
      return a;
    }
    return scalar();
  }

  std::string leaf() {
    switch (pick(14)) {
      case 0:
        return R"("x")";
      case 1:
        return R"("xy")";
      case 2:
        return std::to_string(pick(5));
      case 3:
        return "null";
      case 4:
        return "true";
      case 5:
        return R"({"prefix":"x"})";
      case 6:
        return R"({"suffix":"y"})";
      case 7:
        return R"({"equals-ignore-case":"yx"})";
      case 8:
        return R"({"anything-but":["x","Yx"]})";
      case 9:
        return fmt::format(R"({{"numeric":[">",{},"<=",4]}})", pick(3));
      case 10:
        return R"({"exists":true})";
      case 11:
        return R"({"exists":false})";
      case 12:
        return R"({"wildcard":"*x*"})";
      default:
        return R"({"anything-but":{"prefix":"x"}})";
    }
  }
  std::string fieldPattern(int) {
    std::string values = leaf();
    if (pick(3) == 0) values += "," + leaf();
    switch (pick(5)) {
      case 0:
        return fmt::format(R"("source":[{}])", values);
      case 1:
        return fmt::format(R"("detail":{{"items":{{"k":[{}]}}}})", values);
      case 2:
        return fmt::format(R"("detail":{{"items":{{"v":[{}]}}}})", values);
      default:
        return fmt::format(R"("detail":{{"{}":[{}]}})", "abc"[pick(3)], values);
    }
  }

  std::mt19937 random_;
};

TEST(PatternAutomatonTest, AgreesWithRuleByRuleOnRandomPatternsAndEvents) {
  RandomCases cases(20261125);
  std::map<RuleId, std::shared_ptr<const EventPattern>> rules;
  RuleByRuleMatcher baseline;
  for (RuleId id = 0; rules.size() < 400; ++id) {
    std::string text = cases.pattern();
    auto parsed = parseEventPattern(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message();
    auto pattern = std::make_shared<const EventPattern>(std::move(parsed).value());
    rules[id] = pattern;
    baseline.add(id, pattern);
  }
  auto automaton = PatternAutomaton::build(rules);
  FlatEvent scratch;
  std::size_t matches = 0;
  for (int i = 0; i < 3000; ++i) {
    json::value event = cases.event();
    std::vector<RuleId> expected;
    baseline.match(event, expected);
    std::vector<RuleId> actual;
    automaton->match(event, scratch, actual);
    ASSERT_EQ(actual, expected) << core::toJson(event);
    matches += actual.size();
  }
  EXPECT_GT(matches, 3000u);  // the vocabulary is small enough that rules do match
}

TEST(PatternAutomatonTest, ArrayElementsAreNotMixedAcrossOneCondition) {
  auto pattern = std::make_shared<const EventPattern>(
      parseEventPattern(R"({"detail":{"people":{"first":["Anna"],"last":["Jones"]}}})").value());
  auto automaton = PatternAutomaton::build({{1, pattern}});
  FlatEvent scratch;
  std::vector<RuleId> out;
  automaton->match(core::parseJson(R"({"detail":{"people":[{"first":"Anna","last":"Smith"},
                                      {"first":"Peter","last":"Jones"}]}})",
                                   "e")
                       .value(),
                   scratch, out);
  EXPECT_TRUE(out.empty());
  automaton->match(core::parseJson(R"({"detail":{"people":[{"first":"Peter","last":"Smith"},
                                      {"first":"Anna","last":"Jones"}]}})",
                                   "e")
                       .value(),
                   scratch, out);
  EXPECT_EQ(out, (std::vector<RuleId>{1}));
}

}  // namespace
}  // namespace bakery::bus
