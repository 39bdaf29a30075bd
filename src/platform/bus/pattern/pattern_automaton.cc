#include "platform/bus/pattern/pattern_automaton.h"

#include <algorithm>
#include <array>
#include <string>

#include <fmt/format.h>

namespace bakery::bus {
namespace {

using Targets = std::vector<std::uint32_t>;

// The states one field value leads to: a few, kept on the stack of the walk.
class NextStates {
 public:
  void push_back(std::uint32_t s) {
    if (size_ < kInline) {
      inline_[size_++] = s;
      return;
    }
    if (spill_.empty()) spill_.assign(inline_.begin(), inline_.end());
    spill_.push_back(s);
    ++size_;
  }
  template <class It>
  void insert(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }
  void clear() {
    size_ = 0;
    spill_.clear();
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::uint32_t* begin() { return spill_.empty() ? inline_.data() : spill_.data(); }
  std::uint32_t* end() { return begin() + size_; }

 private:
  static constexpr std::size_t kInline = 8;
  std::array<std::uint32_t, kInline> inline_{};
  std::vector<std::uint32_t> spill_;
  std::size_t size_ = 0;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringTable = std::unordered_map<std::string, Targets, StringHash, std::equal_to<>>;

void append(NextStates& out, const Targets& targets) { out.insert(targets.begin(), targets.end()); }

// Prefixes (or suffixes) by text, with the lengths present, so that a value is looked up
// once per distinct length rather than once per pattern.
struct AffixTable {
  StringTable byText;
  std::vector<std::size_t> lengths;  // sorted, unique

  void add(const std::string& text, std::uint32_t target) {
    byText[text].push_back(target);
    auto at = std::lower_bound(lengths.begin(), lengths.end(), text.size());
    if (at == lengths.end() || *at != text.size()) lengths.insert(at, text.size());
  }
  void collect(std::string_view value, bool suffix, NextStates& out) const {
    for (std::size_t n : lengths) {
      if (n > value.size()) break;
      auto it = byText.find(suffix ? value.substr(value.size() - n) : value.substr(0, n));
      if (it != byText.end()) append(out, it->second);
    }
  }
  bool empty() const { return lengths.empty(); }
};

// A key under which identical conditions share one state.
std::string conditionKey(std::uint32_t path, const FieldCondition& condition) {
  std::vector<std::string> parts;
  for (const ValuePattern& p : condition.anyOf) parts.push_back(p.canonical());
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  std::string key = fmt::format("{}#", path);
  for (const std::string& part : parts) {
    key += fmt::format("{}:", part.size());
    key += part;
  }
  return key;
}

// 0: exact values only (hash lookups); 1: prefixes and suffixes; 2: exists; 3: tests tried
// one by one; 4: conditions that may hold by absence.
int conditionRank(const FieldCondition& condition) {
  using K = ValuePattern::Kind;
  int rank = 0;
  for (const ValuePattern& p : condition.anyOf) {
    switch (p.kind) {
      case K::kString:
      case K::kNumber:
      case K::kTrue:
      case K::kFalse:
      case K::kNull:
      case K::kEqualsIgnoreCase:
        break;
      case K::kPrefix:
      case K::kPrefixIgnoreCase:
      case K::kSuffix:
      case K::kSuffixIgnoreCase:
        rank = std::max(rank, 1);
        break;
      case K::kExists:
        rank = std::max(rank, 2);
        break;
      case K::kWildcard:
      case K::kNumeric:
      case K::kCidr:
      case K::kAnythingBut:
        rank = std::max(rank, 3);
        break;
      case K::kAbsent:
        rank = 4;
        break;
    }
  }
  return rank;
}

void mergeTrail(ArrayTrail& into, const ArrayTrail& from) {
  for (const auto& entry : from) {
    bool known = std::any_of(into.begin(), into.end(),
                             [&](const auto& e) { return e.first == entry.first; });
    if (!known) into.push_back(entry);
  }
}

// Whether the conditions from `next` on can be satisfied by `event`, given the array
// elements already used. The rule-by-rule baseline and TestEventPattern share it.
bool satisfies(const PatternAlternative& alternative, const std::vector<std::uint32_t>& paths,
               std::size_t next, const FlatEvent& event, const ArrayTrail& used) {
  if (next == alternative.fields.size()) return true;
  const FieldCondition& condition = alternative.fields[next];
  auto [begin, end] = event.at(paths[next]);
  if (begin == end) {
    bool absentAllowed =
        std::any_of(condition.anyOf.begin(), condition.anyOf.end(),
                    [](const ValuePattern& p) { return p.kind == ValuePattern::Kind::kAbsent; });
    return absentAllowed && satisfies(alternative, paths, next + 1, event, used);
  }
  for (const EventField* f = begin; f != end; ++f) {
    if (!consistent(f->trail, used)) continue;
    bool any = std::any_of(condition.anyOf.begin(), condition.anyOf.end(),
                           [&](const ValuePattern& p) { return p.matches(f->value); });
    if (!any) continue;
    ArrayTrail merged = used;
    mergeTrail(merged, f->trail);
    if (satisfies(alternative, paths, next + 1, event, merged)) return true;
  }
  return false;
}

}  // namespace

class PatternAutomaton::ValueIndex {
 public:
  void add(const ValuePattern& p, std::uint32_t target) {
    using K = ValuePattern::Kind;
    switch (p.kind) {
      case K::kString:
        strings_[p.text].push_back(target);
        break;
      case K::kNumber:
        if (p.exactDouble) {
          numbers_[p.number].push_back(target);
        } else {
          numberTexts_[p.text].push_back(target);
        }
        break;
      case K::kTrue:
        trues_.push_back(target);
        break;
      case K::kFalse:
        falses_.push_back(target);
        break;
      case K::kNull:
        nulls_.push_back(target);
        break;
      case K::kPrefix:
        prefixes_.add(p.text, target);
        break;
      case K::kPrefixIgnoreCase:
        prefixesIgnoringCase_.add(p.text, target);
        break;
      case K::kSuffix:
        suffixes_.add(p.text, target);
        break;
      case K::kSuffixIgnoreCase:
        suffixesIgnoringCase_.add(p.text, target);
        break;
      case K::kEqualsIgnoreCase:
        ignoringCase_[p.text].push_back(target);
        break;
      case K::kExists:
        exists_.push_back(target);
        break;
      case K::kAbsent:
        break;  // a step's `absent` list, not a value test
      case K::kWildcard:
      case K::kNumeric:
      case K::kCidr:
      case K::kAnythingBut:
        scanned_.emplace_back(p, target);
        break;
    }
  }

  void collect(const FieldValue& v, NextStates& out) const {
    using T = FieldValue::Type;
    switch (v.type) {
      case T::kString: {
        if (!strings_.empty()) {
          if (auto it = strings_.find(v.text); it != strings_.end()) append(out, it->second);
        }
        if (!prefixes_.empty()) prefixes_.collect(v.text, false, out);
        if (!suffixes_.empty()) suffixes_.collect(v.text, true, out);
        if (!ignoringCase_.empty() || !prefixesIgnoringCase_.empty() ||
            !suffixesIgnoringCase_.empty()) {
          std::string folded = foldCase(v.text);
          if (auto it = ignoringCase_.find(folded); it != ignoringCase_.end()) {
            append(out, it->second);
          }
          prefixesIgnoringCase_.collect(folded, false, out);
          suffixesIgnoringCase_.collect(folded, true, out);
        }
        break;
      }
      case T::kNumber:
        if (v.exactDouble) {
          if (!numbers_.empty()) {
            if (auto it = numbers_.find(v.number); it != numbers_.end()) append(out, it->second);
          }
        } else if (auto it = numberTexts_.find(v.text); it != numberTexts_.end()) {
          append(out, it->second);
        }
        break;
      case T::kTrue:
        append(out, trues_);
        break;
      case T::kFalse:
        append(out, falses_);
        break;
      case T::kNull:
        append(out, nulls_);
        break;
    }
    append(out, exists_);
    for (const auto& [pattern, target] : scanned_) {
      if (pattern.matches(v)) out.push_back(target);
    }
  }

 private:
  StringTable strings_;
  std::unordered_map<double, Targets> numbers_;
  StringTable numberTexts_;
  StringTable ignoringCase_;
  AffixTable prefixes_;
  AffixTable suffixes_;
  AffixTable prefixesIgnoringCase_;
  AffixTable suffixesIgnoringCase_;
  Targets trues_;
  Targets falses_;
  Targets nulls_;
  Targets exists_;
  // Tests without an index, tried one by one: wildcard, numeric ranges, cidr, anything-but.
  std::vector<std::pair<ValuePattern, std::uint32_t>> scanned_;
};

struct PatternAutomaton::Step {
  std::uint32_t path = 0;
  ValueIndex values;
  Targets absent;  // states reached when the event has no leaf at `path`
};

struct PatternAutomaton::State {
  std::vector<Step> steps;                 // sorted by path
  std::vector<std::uint32_t> absentSteps;  // indexes of steps with `absent` targets
  std::vector<RuleId> accepts;             // rules whose alternative ends here
  std::unordered_map<std::string, std::uint32_t> children;  // by conditionKey (building)
};

PatternAutomaton::PatternAutomaton() { states_.push_back(std::make_unique<State>()); }
PatternAutomaton::~PatternAutomaton() = default;

std::shared_ptr<const PatternAutomaton> PatternAutomaton::build(
    const std::map<RuleId, std::shared_ptr<const EventPattern>>& rules) {
  std::shared_ptr<PatternAutomaton> automaton(new PatternAutomaton());
  for (const auto& [rule, pattern] : rules) {
    for (const PatternAlternative& alternative : pattern->alternatives) {
      automaton->add(rule, alternative);
    }
  }
  return automaton;
}

void PatternAutomaton::add(RuleId rule, const PatternAlternative& alternative) {
  struct Keyed {
    int rank;
    std::uint32_t path;
    std::string key;
    const FieldCondition* condition;
  };
  std::vector<Keyed> conditions;
  for (const FieldCondition& c : alternative.fields) {
    std::uint32_t path = paths_.add(c.path);
    conditions.push_back({conditionRank(c), path, conditionKey(path, c), &c});
  }
  // One order for every rule, so that rules with common conditions share their states; and
  // conditions answered by a hash lookup first, so that rules part ways early and the tests
  // tried one by one (ranges, wildcards, anything-but) sit on states few rules share.
  std::sort(conditions.begin(), conditions.end(), [](const Keyed& a, const Keyed& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.key < b.key;
  });
  std::uint32_t state = 0;
  for (const Keyed& c : conditions) {
    auto known = states_[state]->children.find(c.key);
    if (known != states_[state]->children.end()) {
      state = known->second;
      continue;
    }
    auto next = static_cast<std::uint32_t>(states_.size());
    states_.push_back(std::make_unique<State>());
    State& from = *states_[state];
    from.children.emplace(c.key, next);
    auto at = std::lower_bound(from.steps.begin(), from.steps.end(), c.path,
                               [](const Step& s, std::uint32_t p) { return s.path < p; });
    if (at == from.steps.end() || at->path != c.path) {
      at = from.steps.insert(at, Step{});
      at->path = c.path;
    }
    for (const ValuePattern& p : c.condition->anyOf) {
      if (p.kind == ValuePattern::Kind::kAbsent) {
        at->absent.push_back(next);
      } else {
        at->values.add(p, next);
      }
    }
    from.absentSteps.clear();
    for (std::size_t i = 0; i < from.steps.size(); ++i) {
      if (!from.steps[i].absent.empty()) from.absentSteps.push_back(static_cast<std::uint32_t>(i));
    }
    state = next;
  }
  states_[state]->accepts.push_back(rule);
}

void PatternAutomaton::walk(std::uint32_t state, const FlatEvent& event, const ArrayTrail& used,
                            std::vector<RuleId>& out) const {
  const State& s = *states_[state];
  out.insert(out.end(), s.accepts.begin(), s.accepts.end());
  if (s.steps.empty()) return;
  for (std::uint32_t i : s.absentSteps) {
    const Step& step = s.steps[i];
    if (!event.has(step.path)) {
      for (std::uint32_t next : step.absent) walk(next, event, used, out);
    }
  }
  NextStates nexts;
  auto take = [&](const Step& step, const EventField* begin, const EventField* end) {
    for (const EventField* f = begin; f != end; ++f) {
      if (!consistent(f->trail, used)) continue;
      nexts.clear();
      step.values.collect(f->value, nexts);
      if (nexts.empty()) continue;
      std::uint32_t* last = nexts.end();
      if (nexts.size() > 1) {
        std::sort(nexts.begin(), nexts.end());
        last = std::unique(nexts.begin(), nexts.end());
      }
      if (f->trail.empty()) {
        for (const std::uint32_t* n = nexts.begin(); n != last; ++n) walk(*n, event, used, out);
      } else {
        ArrayTrail merged = used;
        mergeTrail(merged, f->trail);
        for (const std::uint32_t* n = nexts.begin(); n != last; ++n) walk(*n, event, merged, out);
      }
    }
  };
  const std::vector<EventField>& fields = event.fields();
  if (s.steps.size() <= fields.size()) {
    // Few steps: look each one's path up in the event.
    for (const Step& step : s.steps) {
      auto [begin, end] = event.at(step.path);
      take(step, begin, end);
    }
    return;
  }
  // Many steps (many rules branch here): go through the event's paths instead.
  for (std::size_t i = 0; i < fields.size();) {
    std::size_t j = i;
    while (j < fields.size() && fields[j].path == fields[i].path) ++j;
    auto at = std::lower_bound(s.steps.begin(), s.steps.end(), fields[i].path,
                               [](const Step& st, std::uint32_t p) { return st.path < p; });
    if (at != s.steps.end() && at->path == fields[i].path) {
      take(*at, fields.data() + i, fields.data() + j);
    }
    i = j;
  }
}

void PatternAutomaton::match(const FlatEvent& event, std::vector<RuleId>& out) const {
  std::size_t first = out.size();
  walk(0, event, ArrayTrail{}, out);
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()), out.end());
}

void PatternAutomaton::match(const json::value& event, FlatEvent& scratch,
                             std::vector<RuleId>& out) const {
  scratch.assign(event, paths_);
  match(scratch, out);
}

RuleSet::RuleSet() : automaton_(PatternAutomaton::build({})) {}

void RuleSet::add(RuleId rule, std::shared_ptr<const EventPattern> pattern) {
  core::MutexLock lock(mu_);
  rules_[rule] = std::move(pattern);
  rebuild();
}

void RuleSet::remove(RuleId rule) {
  core::MutexLock lock(mu_);
  if (rules_.erase(rule) > 0) rebuild();
}

void RuleSet::assign(std::map<RuleId, std::shared_ptr<const EventPattern>> rules) {
  core::MutexLock lock(mu_);
  rules_ = std::move(rules);
  rebuild();
}

void RuleSet::rebuild() {
  // Built outside the snapshot: matchers keep using the previous automaton meanwhile.
  auto next = PatternAutomaton::build(rules_);
  automaton_.store(std::move(next));
}

std::shared_ptr<const PatternAutomaton> RuleSet::snapshot() const { return automaton_.load(); }

void RuleByRuleMatcher::add(RuleId rule, std::shared_ptr<const EventPattern> pattern) {
  Compiled compiled{rule, pattern, {}};
  for (const PatternAlternative& alternative : pattern->alternatives) {
    std::vector<std::uint32_t> ids;
    for (const FieldCondition& c : alternative.fields) ids.push_back(paths_.add(c.path));
    compiled.paths.push_back(std::move(ids));
  }
  rules_.push_back(std::move(compiled));
}

void RuleByRuleMatcher::match(const json::value& event, std::vector<RuleId>& out) {
  scratch_.assign(event, paths_);
  for (const Compiled& rule : rules_) {
    for (std::size_t a = 0; a < rule.pattern->alternatives.size(); ++a) {
      if (satisfies(rule.pattern->alternatives[a], rule.paths[a], 0, scratch_, {})) {
        out.push_back(rule.rule);
        break;
      }
    }
  }
}

bool matchesEvent(const EventPattern& pattern, const json::value& event) {
  RuleByRuleMatcher matcher;
  matcher.add(0, std::shared_ptr<const EventPattern>(&pattern, [](const EventPattern*) {}));
  std::vector<RuleId> out;
  matcher.match(event, out);
  return !out.empty();
}

}  // namespace bakery::bus
