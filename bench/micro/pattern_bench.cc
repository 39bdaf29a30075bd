// Event matching on one core: the automaton of all rules (BM_Automaton) beside the baseline
// that tries every rule on its own (BM_Baseline_RuleByRule), for 1 to 100,000 rules over the
// same realistic events (an order envelope of 14 leaves; each event matches about one rule),
// with rules of one shape (only their number changes) or of four shapes.
// Matching starts from the parsed event (flattening included); BM_AutomatonFromText also
// parses the JSON text each time.
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/json.h"
#include "platform/bus/pattern/event_pattern.h"
#include "platform/bus/pattern/pattern_automaton.h"

namespace {

using namespace bakery;
using bus::EventPattern;
using bus::RuleId;

constexpr int kCustomers = 200'000;

// Four shapes of rules, as real buses hold them: exact fields, a prefix and a numeric range,
// anything-but, and an `$or`.
std::string rulePattern(int shape, int i) {
  switch (shape) {
    case 0:
      return fmt::format(R"({{"source":["shop.orders"],"detail-type":["OrderPlaced","OrderUpdated"],
          "detail":{{"customer":{{"id":["c-{}"]}}}}}})",
                         i);
    case 1:
      return fmt::format(R"({{"source":["shop.orders"],"detail":{{"customer":{{"id":["c-{}"]}},
          "region":[{{"prefix":"eu-"}}],"total":[{{"numeric":[">",{}]}}]}}}})",
                         i, i % 500);
    case 2:
      return fmt::format(
          R"({{"detail":{{"customer":{{"id":["c-{}"]}},"status":[{{"anything-but":["test","cancelled"]}}]}}}})",
          i);
    default:
      return fmt::format(R"({{"source":["shop.orders"],"detail":{{"customer":{{"id":["c-{}"]}},
          "$or":[{{"priority":["high"]}},{{"total":[{{"numeric":[">=",1000]}}]}}]}}}})",
                         i);
  }
}

std::vector<json::value> makeEvents(int rules) {
  std::mt19937 random(42);
  std::vector<json::value> events;
  for (int i = 0; i < 1000; ++i) {
    int customer = static_cast<int>(random() % static_cast<unsigned>(std::max(rules, 1)));
    if (i % 5 == 4) customer = kCustomers + i;  // some events match nothing
    std::string text = fmt::format(
        R"({{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"OrderPlaced",
        "source":"shop.orders","account":"123456789012","time":"2026-11-25T12:00:00Z",
        "region":"eu-west-1","resources":["arn:aws:shop:eu-west-1:123456789012:order/{}"],
        "detail":{{"orderId":"o-{}","customer":{{"id":"c-{}","tier":"gold"}},"region":"eu-west-1",
        "status":"placed","priority":"{}","total":{},"items":[{{"sku":"A1","qty":2}},{{"sku":"B7","qty":1}}]}}}})",
        i, i, customer, i % 3 == 0 ? "high" : "normal", (i * 37) % 1500);
    events.push_back(core::parseJson(text, "event").value());
  }
  return events;
}

// `mixed`: the four shapes in turn; otherwise every rule has the second shape (exact id,
// prefix, numeric range), so that only the number of rules changes between runs.
std::map<RuleId, std::shared_ptr<const EventPattern>> makeRules(int n, bool mixed) {
  std::map<RuleId, std::shared_ptr<const EventPattern>> rules;
  for (int i = 0; i < n; ++i) {
    rules[static_cast<RuleId>(i)] = std::make_shared<const EventPattern>(
        bus::parseEventPattern(rulePattern(mixed ? i % 4 : 1, i)).value());
  }
  return rules;
}

void BM_Automaton(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto automaton = bus::PatternAutomaton::build(makeRules(n, state.range(1) != 0));
  auto events = makeEvents(n);
  bus::FlatEvent scratch;
  std::vector<RuleId> out;
  std::size_t i = 0;
  std::size_t matched = 0;
  for (auto _ : state) {
    out.clear();
    automaton->match(events[i++ % events.size()], scratch, out);
    matched += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["matches_per_event"] =
      static_cast<double>(matched) / static_cast<double>(state.iterations());
  state.counters["states"] = static_cast<double>(automaton->stateCount());
}

void BM_AutomatonFromText(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto automaton = bus::PatternAutomaton::build(makeRules(n, true));
  std::vector<std::string> texts;
  for (const json::value& e : makeEvents(n)) texts.push_back(core::toJson(e));
  bus::FlatEvent scratch;
  std::vector<RuleId> out;
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    auto event = core::parseJson(texts[i++ % texts.size()], "event");
    automaton->match(*event, scratch, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Baseline_RuleByRule(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  bus::RuleByRuleMatcher matcher;
  for (auto& [id, pattern] : makeRules(n, state.range(1) != 0)) matcher.add(id, pattern);
  auto events = makeEvents(n);
  std::vector<RuleId> out;
  std::size_t i = 0;
  for (auto _ : state) {
    out.clear();
    matcher.match(events[i++ % events.size()], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

// Args: rules, mixed shapes (1) or one shape (0).
BENCHMARK(BM_Automaton)->ArgsProduct({{1, 100, 10'000, 100'000}, {0, 1}});
BENCHMARK(BM_AutomatonFromText)->Arg(1)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_Baseline_RuleByRule)->ArgsProduct({{1, 100, 10'000}, {0, 1}});
BENCHMARK_MAIN();
