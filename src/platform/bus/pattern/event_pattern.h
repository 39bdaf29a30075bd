// EventPattern: an EventBridge event pattern, validated and normalised.
//
// parseEventPattern accepts exactly what EventBridge accepts and rejects the rest with
// InvalidEventPatternException and the service's messages ("Event pattern is not valid.
// Reason: ..."). Nested objects become dot-joined paths ({"detail":{"a":..}} -> "detail.a",
// as the service joins them), and every `$or` is expanded, so a pattern is a disjunction
// of alternatives, each a conjunction of field conditions, each a disjunction of value
// tests. Limits: the pattern text (2,048 characters unless the caller says otherwise), 1,000
// `$or` combinations, 256 fields in one alternative, and the service's wildcard complexity.
// Plain values; thread-compatible.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "platform/bus/pattern/value_pattern.h"

namespace bakery::bus {

// The field at `path` holds a leaf matching any of `anyOf`; a kAbsent entry is satisfied by
// the field having no leaf at all.
struct FieldCondition {
  std::string path;
  std::vector<ValuePattern> anyOf;
};

// Every condition holds, each on an element of the same array position when fields sit in
// arrays of objects (event-ruler's array-consistent matching).
struct PatternAlternative {
  std::vector<FieldCondition> fields;
};

struct EventPattern {
  std::vector<PatternAlternative> alternatives;
};

inline constexpr std::size_t kMaxPatternLength = 2048;
inline constexpr std::size_t kMaxOrCombinations = 1000;
inline constexpr std::size_t kMaxFieldsPerAlternative = 256;
// Above this many simultaneously live wildcard states the service refuses a pattern as
// "too complex" (its threshold lies between the complexities of patterns it was seen to
// accept and refuse; see docs/events.md).
inline constexpr int kMaxWildcardComplexity = 10;

// The error every invalid pattern gets: InvalidEventPatternException, 400.
core::Error invalidPattern(std::string_view reason);

core::Result<EventPattern> parseEventPattern(std::string_view text,
                                             std::size_t maxLength = kMaxPatternLength);

// The largest number of wildcard automaton states a worst-case input keeps live at once.
int wildcardComplexity(std::string_view wildcard);

}  // namespace bakery::bus
