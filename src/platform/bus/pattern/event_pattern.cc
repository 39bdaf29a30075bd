#include "platform/bus/pattern/event_pattern.h"

#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>

#include <arpa/inet.h>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/json.h"

namespace bakery::bus {
namespace {

using Kind = ValuePattern::Kind;

// Operator names; an object under `$or` that uses one of them as a key is an operator,
// which makes the `$or` a plain field name (event-ruler keeps that for compatibility).
constexpr std::string_view kOperators[] = {"prefix",   "suffix",  "equals-ignore-case",
                                           "wildcard", "numeric", "anything-but",
                                           "exists",   "cidr"};

bool isOperatorName(std::string_view key) {
  return std::find(std::begin(kOperators), std::end(kOperators), key) != std::end(kOperators);
}

std::string quotedKey(std::string_view key) { return fmt::format("\"{}\"", key); }

// A pattern object before `$or` expansion: conditions that all hold, and groups of
// branches of which one must hold.
struct Node {
  std::vector<FieldCondition> fields;
  std::vector<std::vector<Node>> ors;
};

class PatternParser {
 public:
  core::Result<Node> parseObject(const json::object& object, const std::string& prefix) {
    Node node;
    for (const auto& [rawKey, value] : object) {
      std::string_view key = rawKey;
      std::string path = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
      if (key == "$or" && isOrGroup(value)) {
        std::vector<Node> branches;
        for (const json::value& branch : value.get_array()) {
          auto parsed = parseObject(branch.get_object(), prefix);
          if (!parsed) return parsed.error();
          branches.push_back(std::move(parsed).value());
        }
        node.ors.push_back(std::move(branches));
        continue;
      }
      if (value.is_object()) {
        auto nested = parseObject(value.get_object(), path);
        if (!nested) return nested.error();
        for (FieldCondition& f : nested->fields) node.fields.push_back(std::move(f));
        for (auto& group : nested->ors) node.ors.push_back(std::move(group));
        continue;
      }
      if (!value.is_array()) {
        return invalidPattern(quotedKey(key) + " must be an object or an array");
      }
      auto condition = parseLeaf(value.get_array(), path);
      if (!condition) return condition.error();
      node.fields.push_back(std::move(condition).value());
    }
    return node;
  }

 private:
  static bool isOrGroup(const json::value& value) {
    if (!value.is_array() || value.get_array().size() < 2) return false;
    for (const json::value& branch : value.get_array()) {
      if (!branch.is_object()) return false;
      for (const auto& member : branch.get_object()) {
        if (isOperatorName(member.key())) return false;
      }
    }
    return true;
  }

  core::Result<FieldCondition> parseLeaf(const json::array& values, std::string path) {
    if (values.empty()) return invalidPattern("Empty arrays are not allowed");
    FieldCondition condition{std::move(path), {}};
    for (const json::value& v : values) {
      auto parsed = parseValue(v);
      if (!parsed) return parsed.error();
      condition.anyOf.push_back(std::move(parsed).value());
      // An IP address literal also matches the same address written otherwise
      // ("2001:db8::1" and "2001:0db8:0:0:0:0:0:1"), as the service compiles it to a range.
      if (v.is_string()) {
        if (auto single = singleAddress(v.get_string())) condition.anyOf.push_back(*single);
      }
    }
    return condition;
  }

  static std::optional<ValuePattern> singleAddress(std::string_view text) {
    if (text.size() > 45 || text.find_first_of(".:") == std::string_view::npos) return std::nullopt;
    std::string buffer(text);
    ValuePattern p;
    p.kind = Kind::kCidr;
    if (inet_pton(AF_INET, buffer.c_str(), p.cidr.network.data()) == 1) {
      p.cidr.bits = 32;
    } else if (inet_pton(AF_INET6, buffer.c_str(), p.cidr.network.data()) == 1) {
      p.cidr.v6 = true;
      p.cidr.bits = 128;
    } else {
      return std::nullopt;
    }
    return p;
  }

  static ValuePattern numberPattern(const json::value& v) {
    NumberKey key = v.is_int64()    ? numberKey(v.get_int64())
                    : v.is_uint64() ? numberKey(v.get_uint64())
                                    : numberKey(v.get_double());
    ValuePattern p;
    p.kind = Kind::kNumber;
    p.number = key.number;
    p.exactDouble = key.exactDouble;
    p.text = std::move(key.text);
    return p;
  }

  core::Result<ValuePattern> parseValue(const json::value& v) {
    ValuePattern p;
    switch (v.kind()) {
      case json::kind::string:
        p.kind = Kind::kString;
        p.text = std::string(v.get_string());
        return p;
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        return numberPattern(v);
      case json::kind::bool_:
        p.kind = v.get_bool() ? Kind::kTrue : Kind::kFalse;
        return p;
      case json::kind::null:
        p.kind = Kind::kNull;
        return p;
      case json::kind::array:
        return invalidPattern("Match value must be String, number, true, false, or null");
      case json::kind::object:
        break;
    }
    const json::object& op = v.get_object();
    if (op.empty()) return invalidPattern("Empty objects are not allowed");
    if (op.size() > 1) return invalidPattern("Only one key allowed in match expression");
    std::string_view name = op.begin()->key();
    const json::value& arg = op.begin()->value();
    if (name == "prefix" || name == "suffix") return parseAffix(name, arg);
    if (name == "equals-ignore-case") {
      if (!arg.is_string()) {
        return invalidPattern("equals-ignore-case match pattern must be a string");
      }
      p.kind = Kind::kEqualsIgnoreCase;
      p.text = foldCase(arg.get_string());
      return p;
    }
    if (name == "wildcard") {
      if (!arg.is_string()) return invalidPattern("wildcard match pattern must be a string");
      auto checked = checkWildcard(arg.get_string());
      if (!checked) return checked.error();
      p.kind = Kind::kWildcard;
      p.wildcard.emplace_back(arg.get_string());
      return p;
    }
    if (name == "numeric") return parseNumeric(arg);
    if (name == "exists") {
      if (!arg.is_bool())
        return invalidPattern("exists match pattern must be either true or false.");
      p.kind = arg.get_bool() ? Kind::kExists : Kind::kAbsent;
      return p;
    }
    if (name == "cidr") return parseCidr(arg);
    if (name == "anything-but") return parseAnythingBut(arg);
    return invalidPattern(fmt::format("Unrecognized match type {}", name));
  }

  core::Result<ValuePattern> parseAffix(std::string_view name, const json::value& arg) {
    ValuePattern p;
    bool prefix = name == "prefix";
    if (arg.is_string()) {
      p.kind = prefix ? Kind::kPrefix : Kind::kSuffix;
      p.text = std::string(arg.get_string());
      return p;
    }
    if (arg.is_object()) {
      const json::object& o = arg.get_object();
      if (o.size() == 1 && o.begin()->key() == "equals-ignore-case") {
        if (!o.begin()->value().is_string()) {
          return invalidPattern("equals-ignore-case match pattern must be a string");
        }
        p.kind = prefix ? Kind::kPrefixIgnoreCase : Kind::kSuffixIgnoreCase;
        p.text = foldCase(o.begin()->value().get_string());
        return p;
      }
      std::string_view inner = o.empty() ? std::string_view() : std::string_view(o.begin()->key());
      return invalidPattern(fmt::format("Unsupported {} pattern: {}", name, inner));
    }
    return invalidPattern(fmt::format("{} match pattern must be a string", name));
  }

  core::Result<ValuePattern> parseNumeric(const json::value& arg) {
    if (!arg.is_array()) return invalidPattern("Value of numeric must be an array.");
    const json::array& a = arg.get_array();
    if (a.empty()) return invalidPattern("Empty arrays are not allowed");
    constexpr double kInf = std::numeric_limits<double>::infinity();
    NumericRange range{-kInf, kInf, false, false};
    bool haveLow = false;
    std::size_t i = 0;
    while (i < a.size()) {
      if (!a[i].is_string())
        return invalidPattern("Invalid member in numeric match: " + core::toJson(a[i]));
      std::string_view op = a[i].get_string();
      bool lower = op == ">" || op == ">=";
      bool upper = op == "<" || op == "<=";
      bool equal = op == "=";
      if (!lower && !upper && !equal) {
        return invalidPattern(fmt::format("Unrecognized numeric range operator: {}", op));
      }
      if (i > 0 && !upper) {
        return invalidPattern(fmt::format("Bad numeric range operator: {}", op));
      }
      if (i + 1 >= a.size() || !a[i + 1].is_number()) {
        return invalidPattern(fmt::format("Value of {} must be numeric", op));
      }
      double value = a[i + 1].to_number<double>();
      if (equal) {
        range = {value, value, true, true};
      } else if (lower) {
        range.low = value;
        range.lowInclusive = op == ">=";
        haveLow = true;
      } else {
        range.high = value;
        range.highInclusive = op == "<=";
      }
      i += 2;
      bool more = i < a.size();
      if (more && (equal || upper || !haveLow)) {
        return invalidPattern("Too many elements in numeric expression");
      }
      if (more && i + 2 < a.size())
        return invalidPattern("Too many elements in numeric expression");
    }
    if (haveLow && range.high != kInf && !(range.low < range.high)) {
      return invalidPattern("Bottom must be less than top");
    }
    ValuePattern p;
    p.kind = Kind::kNumeric;
    p.range = range;
    return p;
  }

  core::Result<ValuePattern> parseCidr(const json::value& arg) {
    // The service's message for a non-string CIDR mentions "prefix": kept as it answers.
    if (!arg.is_string()) return invalidPattern("prefix match pattern must be a string");
    std::string_view text = arg.get_string();
    std::size_t slash = text.find('/');
    if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
      return invalidPattern("Malformed CIDR, one '/' required");
    }
    std::string_view address = text.substr(0, slash);
    std::string_view mask = text.substr(slash + 1);
    int bits = 0;
    bool integer =
        !mask.empty() && mask.size() <= 3 &&
        std::all_of(mask.begin(), mask.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!integer) return invalidPattern("mask bits must be an integer");
    for (char c : mask) bits = bits * 10 + (c - '0');
    std::string buffer(address);
    ValuePattern p;
    p.kind = Kind::kCidr;
    if (inet_pton(AF_INET, buffer.c_str(), p.cidr.network.data()) == 1) {
      p.cidr.v6 = false;
      if (bits > 32)
        return invalidPattern(fmt::format("Malformed CIDR, mask bits must be between 0 and 32"));
    } else if (inet_pton(AF_INET6, buffer.c_str(), p.cidr.network.data()) == 1) {
      p.cidr.v6 = true;
      if (bits > 128)
        return invalidPattern(fmt::format("Malformed CIDR, mask bits must be between 0 and 128"));
    } else {
      return invalidPattern(fmt::format("Nonstandard IP address: {}", address));
    }
    p.cidr.bits = bits;
    // Keep only the network bits so that equal ranges compare (and share states) equal.
    for (int byte = 0; byte < 16; ++byte) {
      int keep = std::clamp(bits - byte * 8, 0, 8);
      p.cidr.network[byte] &= static_cast<std::uint8_t>(keep == 0 ? 0 : 0xFF << (8 - keep));
    }
    return p;
  }

  core::Result<ValuePattern> parseAnythingBut(const json::value& arg) {
    ValuePattern p;
    p.kind = Kind::kAnythingBut;
    AnythingBut& ab = p.anythingBut;
    constexpr std::string_view kBadValue =
        "Value of anything-but must be an array or single string/number value.";
    auto addNumber = [&](const json::value& v) {
      ValuePattern n = numberPattern(v);
      if (n.exactDouble) {
        ab.numbers.push_back(n.number);
      } else {
        ab.numberTexts.push_back(n.text);
      }
    };
    if (arg.is_string()) {
      ab.kind = AnythingBut::Kind::kStrings;
      ab.strings.emplace_back(arg.get_string());
      return p;
    }
    if (arg.is_number()) {
      ab.kind = AnythingBut::Kind::kNumbers;
      addNumber(arg);
      return p;
    }
    if (arg.is_array()) {
      const json::array& list = arg.get_array();
      if (list.empty()) return invalidPattern("Empty arrays are not allowed");
      bool strings = false;
      bool numbers = false;
      for (const json::value& v : list) {
        if (v.is_string()) {
          strings = true;
          ab.strings.emplace_back(v.get_string());
        } else if (v.is_number()) {
          numbers = true;
          addNumber(v);
        } else {
          return invalidPattern("Inside anything but list, start|null|boolean is not supported.");
        }
      }
      if (strings && numbers) {
        return invalidPattern(
            "Inside anything but list, either all values are number or string, mixed type is "
            "not supported");
      }
      ab.kind = numbers ? AnythingBut::Kind::kNumbers : AnythingBut::Kind::kStrings;
      return p;
    }
    if (!arg.is_object()) return invalidPattern(kBadValue);
    const json::object& o = arg.get_object();
    if (o.size() != 1) return invalidPattern("Only one key allowed in match expression");
    std::string_view name = o.begin()->key();
    const json::value& inner = o.begin()->value();
    // Every form takes a string or a non-empty list of strings.
    std::vector<std::string_view> texts;
    auto collect = [&](std::string_view listMessage) -> core::Result<void> {
      if (inner.is_string()) {
        texts.push_back(inner.get_string());
        return {};
      }
      if (!inner.is_array()) return invalidPattern(listMessage);
      if (inner.get_array().empty()) return invalidPattern("Empty arrays are not allowed");
      for (const json::value& v : inner.get_array()) {
        if (!v.is_string()) return invalidPattern(listMessage);
        texts.push_back(v.get_string());
      }
      return {};
    };
    if (name == "prefix" || name == "suffix") {
      if (auto r = collect(kBadValue); !r) return r.error();
      for (std::string_view t : texts) {
        if (t.empty()) return invalidPattern("Null prefix/suffix not allowed");
        ab.strings.emplace_back(t);
      }
      ab.kind = name == "prefix" ? AnythingBut::Kind::kPrefixes : AnythingBut::Kind::kSuffixes;
      return p;
    }
    if (name == "equals-ignore-case") {
      if (auto r = collect(
              "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
              "supported.");
          !r) {
        return r.error();
      }
      for (std::string_view t : texts) ab.strings.push_back(foldCase(t));
      ab.kind = AnythingBut::Kind::kIgnoreCase;
      return p;
    }
    if (name == "wildcard") {
      if (auto r = collect("wildcard match pattern must be a string"); !r) return r.error();
      for (std::string_view t : texts) {
        auto checked = checkWildcard(t);
        if (!checked) return checked.error();
        ab.wildcards.emplace_back(t);
      }
      ab.kind = AnythingBut::Kind::kWildcards;
      return p;
    }
    return invalidPattern(fmt::format("Unsupported anything-but pattern: {}", name));
  }

  static core::Result<void> checkWildcard(std::string_view w) {
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i] == '\\') {
        if (i + 1 >= w.size() || (w[i + 1] != '*' && w[i + 1] != '\\')) {
          return invalidPattern(fmt::format("Invalid escape character at pos {}", i));
        }
        ++i;
      } else if (w[i] == '*' && i + 1 < w.size() && w[i + 1] == '*') {
        return invalidPattern(fmt::format("Consecutive wildcard characters at pos {}", i + 1));
      }
    }
    if (wildcardComplexity(w) > kMaxWildcardComplexity) {
      return invalidPattern(
          "Rule is too complex - try using fewer wildcard characters or fewer repeating "
          "character sequences after a wildcard character");
    }
    return {};
  }
};

// The number of alternatives `node` expands to, saturating just above the cap.
std::size_t countAlternatives(const Node& node) {
  std::size_t total = 1;
  for (const auto& group : node.ors) {
    std::size_t sum = 0;
    for (const Node& branch : group)
      sum = std::min(sum + countAlternatives(branch), kMaxOrCombinations + 1);
    total = std::min(total * sum, kMaxOrCombinations + 1);
  }
  return total;
}

std::vector<PatternAlternative> expand(const Node& node) {
  std::vector<PatternAlternative> out{PatternAlternative{node.fields}};
  for (const auto& group : node.ors) {
    std::vector<PatternAlternative> next;
    for (const Node& branch : group) {
      for (const PatternAlternative& tail : expand(branch)) {
        for (const PatternAlternative& head : out) {
          PatternAlternative combined = head;
          combined.fields.insert(combined.fields.end(), tail.fields.begin(), tail.fields.end());
          next.push_back(std::move(combined));
        }
      }
    }
    out = std::move(next);
  }
  return out;
}

}  // namespace

core::Error invalidPattern(std::string_view reason) {
  return core::Error("InvalidEventPatternException", 400,
                     fmt::format("Event pattern is not valid. Reason: {}", reason));
}

core::Result<EventPattern> parseEventPattern(std::string_view text, std::size_t maxLength) {
  if (text.size() > maxLength) {
    return invalidPattern(fmt::format("Event pattern is longer than {} characters", maxLength));
  }
  auto parsed = core::parseJson(text, "event pattern");
  if (!parsed) {
    return invalidPattern(fmt::format("Filter is not valid JSON: {}", parsed.error().message()));
  }
  if (!parsed->is_object()) return invalidPattern("Filter is not an object");
  PatternParser parser;
  auto node = parser.parseObject(parsed->get_object(), "");
  if (!node) return node.error();
  if (countAlternatives(*node) > kMaxOrCombinations) {
    return invalidPattern(
        fmt::format("The event pattern expands to more than {} combinations of $or branches",
                    kMaxOrCombinations));
  }
  EventPattern pattern{expand(*node)};
  for (const PatternAlternative& alternative : pattern.alternatives) {
    if (alternative.fields.size() > kMaxFieldsPerAlternative) {
      return invalidPattern(
          fmt::format("The event pattern names more than {} fields", kMaxFieldsPerAlternative));
    }
  }
  return pattern;
}

int wildcardComplexity(std::string_view wildcard) {
  // Tokens: literal characters and stars. NFA state i waits for token i; a star state
  // loops on any character and also moves on without consuming one. The complexity is the
  // largest set of states live at once over every input, found by exploring the subsets
  // reachable over the pattern's own characters plus one character it does not contain.
  struct Token {
    bool star;
    char c;
  };
  std::vector<Token> tokens;
  for (std::size_t i = 0; i < wildcard.size(); ++i) {
    if (wildcard[i] == '\\' && i + 1 < wildcard.size()) {
      tokens.push_back({false, wildcard[++i]});
    } else {
      tokens.push_back({wildcard[i] == '*', wildcard[i]});
    }
  }
  constexpr std::size_t kMaxStates = 256;
  if (tokens.size() + 1 > kMaxStates) return std::numeric_limits<int>::max();
  using Set = std::bitset<kMaxStates>;
  auto close = [&](Set s) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (s[i] && tokens[i].star) s.set(i + 1);
    }
    return s;
  };
  std::set<char> alphabet;
  for (const Token& t : tokens) {
    if (!t.star) alphabet.insert(t.c);
  }
  std::vector<char> letters(alphabet.begin(), alphabet.end());
  letters.push_back('\0');  // stands for every character the pattern does not name
  auto key = [](const Set& s) { return s.to_string(); };
  std::unordered_set<std::string> seen;
  std::vector<Set> frontier{close(Set().set(0))};
  seen.insert(key(frontier[0]));
  int worst = 0;
  constexpr std::size_t kMaxSubsets = 4096;
  while (!frontier.empty()) {
    Set s = frontier.back();
    frontier.pop_back();
    // Star states count once each; a literal state only while it waits on a live prefix.
    worst = std::max(worst, static_cast<int>(s.count()));
    for (char c : letters) {
      Set next;
      for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!s[i]) continue;
        if (tokens[i].star) {
          next.set(i);
        } else if (c != '\0' && tokens[i].c == c) {
          next.set(i + 1);
        }
      }
      next = close(next);
      if (next.none()) continue;
      if (seen.insert(key(next)).second) {
        if (seen.size() > kMaxSubsets) return std::numeric_limits<int>::max();
        frontier.push_back(next);
      }
    }
  }
  return worst;
}

}  // namespace bakery::bus
