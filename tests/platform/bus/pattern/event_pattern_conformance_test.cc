// The recorded EventBridge pattern cases (tests/conformance/events/*.json: pattern, event,
// expected match, or the service's error for an invalid pattern) run against the parser, the
// rule-by-rule matcher and the automaton; then every valid pattern goes into one automaton
// at once, which must report for each event exactly the patterns that match it alone.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.h"
#include "platform/bus/pattern/event_pattern.h"
#include "platform/bus/pattern/pattern_automaton.h"

namespace bakery::bus {
namespace {

struct Case {
  std::string file;
  std::string id;
  std::string pattern;
  json::value event;
  bool match = false;
  bool invalid = false;
  std::string error;
};

std::vector<Case> loadCases() {
  std::vector<Case> cases;
  for (const char* name : {"event-patterns.json", "own-cases.json"}) {
    std::ifstream in(std::string(BAKERY_EVENT_CASES_DIR) + "/" + name);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    auto doc = core::parseJson(text.str(), name);
    if (!doc || !doc->is_array()) throw std::runtime_error(std::string("bad case file ") + name);
    for (const json::value& v : doc->get_array()) {
      const json::object& o = v.get_object();
      Case c;
      c.file = name;
      c.id = std::string(o.at("id").get_string());
      c.pattern = core::toJson(o.at("pattern"));
      c.event = o.at("event");
      c.match = o.at("match").get_bool();
      if (auto it = o.find("invalid"); it != o.end()) c.invalid = it->value().get_bool();
      if (auto it = o.find("error"); it != o.end() && it->value().is_string()) {
        c.error = std::string(it->value().get_string());
      }
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

const std::vector<Case>& allCases() {
  static const std::vector<Case> cases = loadCases();
  return cases;
}

// The reason after AWS's fixed preamble, which some recorded messages leave out.
std::string reason(std::string_view message) {
  constexpr std::string_view kPreamble = "Event pattern is not valid. Reason: ";
  if (message.substr(0, kPreamble.size()) == kPreamble) message.remove_prefix(kPreamble.size());
  return std::string(message);
}

class EventPatternCase : public ::testing::TestWithParam<std::size_t> {};

TEST_P(EventPatternCase, BehavesAsRecorded) {
  const Case& c = allCases()[GetParam()];
  SCOPED_TRACE(c.file + ": " + c.id + " " + c.pattern);
  auto parsed = parseEventPattern(c.pattern);
  if (c.invalid) {
    ASSERT_FALSE(parsed.ok()) << "accepted an invalid pattern";
    EXPECT_EQ(parsed.error().type(), "InvalidEventPatternException");
    // "InvalidEventPatternException (...)" records only the type, not the message.
    if (!c.error.empty() && c.error.find("InvalidEventPatternException") != 0) {
      EXPECT_EQ(reason(parsed.error().message()), reason(c.error));
    }
    return;
  }
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  auto pattern = std::make_shared<const EventPattern>(std::move(parsed).value());
  EXPECT_EQ(matchesEvent(*pattern, c.event), c.match) << "rule-by-rule";
  auto automaton = PatternAutomaton::build({{7, pattern}});
  FlatEvent scratch;
  std::vector<RuleId> matched;
  automaton->match(c.event, scratch, matched);
  EXPECT_EQ(!matched.empty(), c.match) << "automaton";
}

std::string caseName(const ::testing::TestParamInfo<std::size_t>& info) {
  std::string name = allCases()[info.param].file.substr(0, 3) + "_" + allCases()[info.param].id;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Recorded, EventPatternCase,
                         ::testing::Range<std::size_t>(0, allCases().size()), caseName);

TEST(EventPatternConformanceTest, OneAutomatonOfAllPatternsAgreesWithEachPatternAlone) {
  std::map<RuleId, std::shared_ptr<const EventPattern>> rules;
  for (std::size_t i = 0; i < allCases().size(); ++i) {
    auto parsed = parseEventPattern(allCases()[i].pattern);
    if (parsed) rules[i] = std::make_shared<const EventPattern>(std::move(parsed).value());
  }
  ASSERT_GT(rules.size(), 90u);
  auto automaton = PatternAutomaton::build(rules);
  FlatEvent scratch;
  for (const Case& c : allCases()) {
    std::vector<RuleId> expected;
    for (const auto& [id, pattern] : rules) {
      if (matchesEvent(*pattern, c.event)) expected.push_back(id);
    }
    std::vector<RuleId> actual;
    automaton->match(c.event, scratch, actual);
    EXPECT_EQ(actual, expected) << "event of " << c.id;
  }
}

TEST(EventPatternConformanceTest, CaseFilesAreLoaded) { EXPECT_GE(allCases().size(), 128u); }

}  // namespace
}  // namespace bakery::bus
