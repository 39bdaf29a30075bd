// PatternAutomaton: every rule of a bus compiled into one automaton.
//
// As in event-ruler and quamina, each pattern alternative is a path through a trie of
// states, one step per field condition; alternatives that begin with the same conditions
// share states. A step holds an index over the values that satisfy it (hash tables for
// exact and case-insensitive values, hash tables keyed by length for prefixes and
// suffixes, lists for the range tests), so matching an event visits the states its own
// fields lead to: the work grows with the event's size and the number of rules it matches,
// not with the number of rules. `exists: false` steps are taken when the event has no leaf
// at the path. Array consistency is kept by carrying, along each walk, the array elements
// the fields it used came from.
//
// An automaton is immutable once built, so any number of threads may match against it at
// once; the bus engine builds a new one when rules change and swaps it in (an atomic
// shared_ptr), so matching never waits.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "platform/bus/pattern/event_fields.h"
#include "platform/bus/pattern/event_pattern.h"

namespace bakery::bus {

using RuleId = std::uint64_t;

class PatternAutomaton {
 public:
  // `rules` maps each rule to its pattern; the patterns need not outlive the automaton.
  static std::shared_ptr<const PatternAutomaton> build(
      const std::map<RuleId, std::shared_ptr<const EventPattern>>& rules);
  ~PatternAutomaton();

  const PathIndex& paths() const { return paths_; }
  // Appends the rules `event` matches to `out`, each once, in ascending order.
  void match(const FlatEvent& event, std::vector<RuleId>& out) const;
  // Flattens and matches in one call; `scratch` is reused between calls.
  void match(const json::value& event, FlatEvent& scratch, std::vector<RuleId>& out) const;

  std::size_t stateCount() const;

 private:
  struct State;
  struct Step;
  class ValueIndex;
  PatternAutomaton();
  PatternAutomaton(const PatternAutomaton&) = delete;
  PatternAutomaton& operator=(const PatternAutomaton&) = delete;
  void add(RuleId rule, const PatternAlternative& alternative);
  void walk(std::uint32_t state, const FlatEvent& event, const ArrayTrail& used,
            std::vector<RuleId>& out) const;

  PathIndex paths_;
  std::vector<State> states_;  // [0] is the start
};

// The baseline the automaton is measured and tested against: every alternative of every
// rule tried on its own, with the same semantics.
class RuleByRuleMatcher {
 public:
  void add(RuleId rule, std::shared_ptr<const EventPattern> pattern);
  void match(const json::value& event, std::vector<RuleId>& out);

 private:
  struct Compiled {
    RuleId rule;
    std::shared_ptr<const EventPattern> pattern;
    std::vector<std::vector<std::uint32_t>> paths;  // per alternative, per condition
  };
  PathIndex paths_;
  std::vector<Compiled> rules_;
  FlatEvent scratch_;
};

// Whether `pattern` matches `event` (TestEventPattern).
bool matchesEvent(const EventPattern& pattern, const json::value& event);

}  // namespace bakery::bus
