// EventBridge patterns and events from arbitrary bytes: the input is split at the first NUL
// into a pattern and an event. The parser must accept or refuse cleanly; for a pattern it
// accepts, the automaton and the rule-by-rule matcher must agree on the event (or on a fixed
// sample event when the second part is not a JSON object).
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "platform/bus/pattern/event_pattern.h"
#include "platform/bus/pattern/pattern_automaton.h"

namespace {

using namespace bakery;

const json::value& sampleEvent() {
  static const json::value event =
      core::parseJson(R"({"version":"0","id":"1","detail-type":"t","source":"a.b",
      "account":"1","time":"2026-01-01T00:00:00Z","region":"r","resources":["x","y"],
      "detail":{"a":[1,2.5,"c",null,true],"b":{"c":"10.0.0.1","d":[{"e":"f"},{"e":"g","h":1}]},
      "s":"Straße","n":-3,"big":12345678901234567890}})",
                      "sample")
          .value();
  return event;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t split = input.find('\0');
  std::string_view patternText = input.substr(0, split);
  auto parsed = bus::parseEventPattern(patternText);
  if (!parsed) return 0;
  json::value event = sampleEvent();
  if (split != std::string_view::npos) {
    auto custom = core::parseJson(input.substr(split + 1), "event");
    if (custom && custom->is_object()) event = std::move(custom).value();
  }
  auto pattern = std::make_shared<const bus::EventPattern>(std::move(parsed).value());
  auto automaton = bus::PatternAutomaton::build({{1, pattern}});
  bus::FlatEvent scratch;
  std::vector<bus::RuleId> matched;
  automaton->match(event, scratch, matched);
  if (matched.empty() == bus::matchesEvent(*pattern, event)) __builtin_trap();
  return 0;
}
