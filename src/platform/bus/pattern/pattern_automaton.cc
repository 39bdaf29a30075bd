#include "platform/bus/pattern/pattern_automaton.h"

#include <algorithm>
#include <array>
#include <string>

#include <fmt/format.h>

namespace bakery::bus {
namespace {

// The states one indexed value leads to: nearly always one, kept inline.
class Targets {
 public:
  void push_back(std::uint32_t t) {
    if (count_++ == 0) {
      first_ = t;
    } else {
      rest_.push_back(t);
    }
  }
  bool empty() const { return count_ == 0; }
  template <class F>
  void forEach(F&& f) const {
    if (count_ == 0) return;
    f(first_);
    for (std::uint32_t t : rest_) f(t);
  }

 private:
  std::uint32_t first_ = 0;
  std::uint32_t count_ = 0;
  std::vector<std::uint32_t> rest_;
};

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

std::uint64_t hashOf(std::string_view s) { return std::hash<std::string_view>{}(s); }

// Strings to targets, by open addressing with the hashes stored: built once (an automaton is
// immutable), then read by any number of threads. A lookup with the value's hash, computed
// once per event leaf, touches one slot and one entry.
class StringTable {
 public:
  Targets& operator[](std::string_view key) {
    std::uint64_t hash = hashOf(key);
    if (const Targets* found = find(key, hash)) return const_cast<Targets&>(*found);
    if ((entries_.size() + 1) * 2 > slots_.size()) grow();
    place(hash, static_cast<std::uint32_t>(entries_.size()));
    entries_.push_back({std::string(key), Targets{}});
    return entries_.back().second;
  }
  const Targets* find(std::string_view key, std::uint64_t hash) const {
    if (slots_.empty()) return nullptr;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.entry == kEmpty) return nullptr;
      if (slot.hash == hash && entries_[slot.entry].first == key)
        return &entries_[slot.entry].second;
    }
  }
  const Targets* find(std::string_view key) const { return find(key, hashOf(key)); }
  bool empty() const { return entries_.empty(); }

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFF;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t entry = kEmpty;
  };
  void place(std::uint64_t hash, std::uint32_t entry) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].entry != kEmpty) i = (i + 1) & mask;
    slots_[i] = {hash, entry};
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<std::size_t>(16, old.size() * 2), Slot{});
    for (const Slot& slot : old) {
      if (slot.entry != kEmpty) place(slot.hash, slot.entry);
    }
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::vector<std::pair<std::string, Targets>> entries_;
};

void append(NextStates& out, const Targets& targets) {
  targets.forEach([&](std::uint32_t t) { out.push_back(t); });
}

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
      if (const Targets* t =
              byText.find(suffix ? value.substr(value.size() - n) : value.substr(0, n))) {
        append(out, *t);
      }
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
        kinds_ |= kStrings;
        return;
      case K::kExists:
        exists_.push_back(target);
        kinds_ |= kExistsAny;
        return;
      case K::kAbsent:
        return;  // a step's `absent` list, not a value test
      default:
        break;
    }
    if (!rare_) rare_ = std::make_unique<Rare>();
    Rare& r = *rare_;
    switch (p.kind) {
      case K::kNumber:
        if (p.exactDouble) {
          r.numbers[p.number].push_back(target);
          kinds_ |= kNumbers;
        } else {
          r.numberTexts[p.text].push_back(target);
          kinds_ |= kNumberTexts;
        }
        break;
      case K::kTrue:
        r.trues.push_back(target);
        kinds_ |= kLiterals;
        break;
      case K::kFalse:
        r.falses.push_back(target);
        kinds_ |= kLiterals;
        break;
      case K::kNull:
        r.nulls.push_back(target);
        kinds_ |= kLiterals;
        break;
      case K::kPrefix:
        r.prefixes.add(p.text, target);
        kinds_ |= kAffixes;
        break;
      case K::kSuffix:
        r.suffixes.add(p.text, target);
        kinds_ |= kAffixes;
        break;
      case K::kPrefixIgnoreCase:
        r.prefixesIgnoringCase.add(p.text, target);
        kinds_ |= kFolded;
        break;
      case K::kSuffixIgnoreCase:
        r.suffixesIgnoringCase.add(p.text, target);
        kinds_ |= kFolded;
        break;
      case K::kEqualsIgnoreCase:
        r.ignoringCase[p.text].push_back(target);
        kinds_ |= kFolded;
        break;
      default:  // wildcard, numeric ranges, cidr, anything-but
        r.scanned.emplace_back(p, target);
        kinds_ |= kScanned;
        break;
    }
  }

  void collect(const FieldValue& v, NextStates& out) const {
    using T = FieldValue::Type;
    if (v.type == T::kString && (kinds_ & kStrings)) {
      if (const Targets* t = strings_.find(v.text, v.hash)) append(out, *t);
    }
    if (kinds_ & kExistsAny) append(out, exists_);
    if (!rare_) return;
    const Rare& r = *rare_;
    switch (v.type) {
      case T::kString:
        if (kinds_ & kAffixes) {
          r.prefixes.collect(v.text, false, out);
          r.suffixes.collect(v.text, true, out);
        }
        if (kinds_ & kFolded) {
          std::string folded = foldCase(v.text);
          if (const Targets* t = r.ignoringCase.find(folded)) append(out, *t);
          r.prefixesIgnoringCase.collect(folded, false, out);
          r.suffixesIgnoringCase.collect(folded, true, out);
        }
        break;
      case T::kNumber:
        if (v.exactDouble) {
          if (kinds_ & kNumbers) {
            if (auto it = r.numbers.find(v.number); it != r.numbers.end()) append(out, it->second);
          }
        } else if (kinds_ & kNumberTexts) {
          if (const Targets* t = r.numberTexts.find(v.text)) append(out, *t);
        }
        break;
      case T::kTrue:
        append(out, r.trues);
        break;
      case T::kFalse:
        append(out, r.falses);
        break;
      case T::kNull:
        append(out, r.nulls);
        break;
    }
    if (kinds_ & kScanned) {
      for (const auto& [pattern, target] : r.scanned) {
        if (pattern.matches(v)) out.push_back(target);
      }
    }
  }

 private:
  // Which tables hold anything, so a lookup touches only those.
  enum : std::uint16_t {
    kStrings = 1 << 0,
    kExistsAny = 1 << 1,
    kNumbers = 1 << 2,
    kNumberTexts = 1 << 3,
    kLiterals = 1 << 4,
    kAffixes = 1 << 5,
    kFolded = 1 << 6,
    kScanned = 1 << 7,
  };
  // The tables most steps never need, allocated on first use.
  struct Rare {
    std::unordered_map<double, Targets> numbers;
    StringTable numberTexts;
    StringTable ignoringCase;
    AffixTable prefixes;
    AffixTable suffixes;
    AffixTable prefixesIgnoringCase;
    AffixTable suffixesIgnoringCase;
    Targets trues;
    Targets falses;
    Targets nulls;
    // Tests without an index, tried one by one: wildcard, numeric ranges, cidr, anything-but.
    std::vector<std::pair<ValuePattern, std::uint32_t>> scanned;
  };

  std::uint16_t kinds_ = 0;
  StringTable strings_;
  Targets exists_;
  std::unique_ptr<Rare> rare_;
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

PatternAutomaton::PatternAutomaton() { states_.emplace_back(); }
PatternAutomaton::~PatternAutomaton() = default;
std::size_t PatternAutomaton::stateCount() const { return states_.size(); }

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
    auto known = states_[state].children.find(c.key);
    if (known != states_[state].children.end()) {
      state = known->second;
      continue;
    }
    auto next = static_cast<std::uint32_t>(states_.size());
    states_.emplace_back();
    State& from = states_[state];
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
  states_[state].accepts.push_back(rule);
}

void PatternAutomaton::walk(std::uint32_t state, const FlatEvent& event, const ArrayTrail& used,
                            std::vector<RuleId>& out) const {
  const State& s = states_[state];
  out.insert(out.end(), s.accepts.begin(), s.accepts.end());
  if (s.steps.empty()) return;
  for (std::uint32_t i : s.absentSteps) {
    const Step& step = s.steps[i];
    if (!event.has(step.path)) {
      step.absent.forEach([&](std::uint32_t next) { walk(next, event, used, out); });
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
