#include "conformance/json_match.h"

#include <cstddef>
#include <functional>
#include <vector>

namespace bakery::conformance {
namespace {

constexpr std::size_t kShownChars = 240;

std::string shown(const json::value& v) {
  std::string text = core::toJson(v);
  if (text.size() > kShownChars) text = text.substr(0, kShownChars) + "...";
  return text;
}

bool isPattern(const json::value& v, std::string_view pattern) {
  return v.is_string() && v.get_string() == pattern;
}

bool isSetMember(std::string_view key) { return key == "SS" || key == "NS" || key == "BS"; }

std::string memberPath(const std::string& path, std::string_view key) {
  return path + "." + std::string(key);
}

std::optional<Mismatch> compare(const json::value& expected, const json::value& actual,
                                const std::string& path);

// Expected elements against actual elements as multisets: a perfect pairing of elements that
// match (augmenting paths, so patterns such as "$any" cannot steal a needed partner).
std::optional<Mismatch> compareUnordered(const json::array& expected, const json::array& actual,
                                         const std::string& path) {
  if (expected.size() != actual.size()) {
    return Mismatch{path, "expected " + std::to_string(expected.size()) +
                              " elements in any order, got " + std::to_string(actual.size()) +
                              ": " + shown(actual)};
  }
  const std::size_t n = expected.size();
  std::vector<std::vector<bool>> fits(n, std::vector<bool>(n, false));
  for (std::size_t i = 0; i < n; ++i) {
    bool any = false;
    for (std::size_t j = 0; j < n; ++j) {
      fits[i][j] = !compare(expected[i], actual[j], path).has_value();
      any = any || fits[i][j];
    }
    if (!any) {
      return Mismatch{path + "[?]", "no element matches expected element " + shown(expected[i]) +
                                        "; actual elements: " + shown(actual)};
    }
  }
  std::vector<std::ptrdiff_t> partnerOfActual(n, -1);
  std::function<bool(std::size_t, std::vector<bool>&)> augment = [&](std::size_t i,
                                                                     std::vector<bool>& seen) {
    for (std::size_t j = 0; j < n; ++j) {
      if (!fits[i][j] || seen[j]) continue;
      seen[j] = true;
      if (partnerOfActual[j] < 0 || augment(static_cast<std::size_t>(partnerOfActual[j]), seen)) {
        partnerOfActual[j] = static_cast<std::ptrdiff_t>(i);
        return true;
      }
    }
    return false;
  };
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<bool> seen(n, false);
    if (!augment(i, seen)) {
      return Mismatch{path, "elements match only with repeats; expected " +
                                shown(json::value(expected)) + ", got " + shown(actual)};
    }
  }
  return std::nullopt;
}

std::optional<Mismatch> compareObject(const json::object& expected, const json::value& actualValue,
                                      const std::string& path) {
  if (const auto* unordered = expected.if_contains("$unordered")) {
    if (!unordered->is_array()) return Mismatch{path, "\"$unordered\" must hold an array"};
    if (!actualValue.is_array()) {
      return Mismatch{path, "expected an array, got " + shown(actualValue)};
    }
    return compareUnordered(unordered->get_array(), actualValue.get_array(), path);
  }
  if (!actualValue.is_object()) {
    return Mismatch{path, "expected an object, got " + shown(actualValue)};
  }
  const json::object& actual = actualValue.get_object();
  const auto* subsetFlag = expected.if_contains("$subset");
  const bool subset = subsetFlag && subsetFlag->is_bool() && subsetFlag->get_bool();
  for (const auto& [key, want] : expected) {
    if (key == "$subset") continue;
    const std::string at = memberPath(path, key);
    const json::value* got = actual.if_contains(key);
    if (isPattern(want, "$absent")) {
      if (got) return Mismatch{at, "expected no member, got " + shown(*got)};
      continue;
    }
    if (!got) return Mismatch{at, "missing; expected " + shown(want)};
    if (isSetMember(key) && want.is_array() && got->is_array()) {
      if (auto m = compareUnordered(want.get_array(), got->get_array(), at)) return m;
      continue;
    }
    if (auto m = compare(want, *got, at)) return m;
  }
  if (!subset) {
    for (const auto& [key, got] : actual) {
      if (!expected.contains(key)) {
        return Mismatch{memberPath(path, key), "unexpected member " + shown(got)};
      }
    }
  }
  return std::nullopt;
}

bool numbersEqual(const json::value& a, const json::value& b) {
  auto asInteger = [](const json::value& v) { return core::integerValue(v); };
  if (!a.is_double() && !b.is_double()) {
    auto x = asInteger(a), y = asInteger(b);
    if (x && y) return *x == *y;
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    return false;
  }
  return a.to_number<double>() == b.to_number<double>();
}

std::optional<Mismatch> compare(const json::value& expected, const json::value& actual,
                                const std::string& path) {
  if (isPattern(expected, "$any")) return std::nullopt;
  if (isPattern(expected, "$absent")) {
    return Mismatch{path, "expected no value, got " + shown(actual)};
  }
  if (expected.is_object()) return compareObject(expected.get_object(), actual, path);
  if (expected.is_array()) {
    if (!actual.is_array()) return Mismatch{path, "expected an array, got " + shown(actual)};
    const auto& want = expected.get_array();
    const auto& got = actual.get_array();
    if (want.size() != got.size()) {
      return Mismatch{path, "expected " + std::to_string(want.size()) + " elements, got " +
                                std::to_string(got.size()) + ": " + shown(actual)};
    }
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (auto m = compare(want[i], got[i], path + "[" + std::to_string(i) + "]")) return m;
    }
    return std::nullopt;
  }
  const bool equal = expected.is_number() && actual.is_number() ? numbersEqual(expected, actual)
                                                                : expected == actual;
  if (!equal) return Mismatch{path, "expected " + shown(expected) + ", got " + shown(actual)};
  return std::nullopt;
}

void appendPretty(std::string& out, const json::value& v, int depth) {
  auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<std::size_t>(2 * d), ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& [key, member] : v.get_object()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      core::appendJsonString(out, key);
      out += ": ";
      appendPretty(out, member, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& element : v.get_array()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      appendPretty(out, element, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    core::appendJson(out, v);
  }
}

}  // namespace

std::optional<Mismatch> findMismatch(const json::value& expected, const json::value& actual) {
  return compare(expected, actual, "$");
}

std::optional<Mismatch> findMismatchInListedMembers(const json::object& expected,
                                                    const json::object& actual) {
  json::object subset = expected;
  subset["$subset"] = true;
  return compareObject(subset, json::value(actual), "$");
}

std::string prettyJson(const json::value& v) {
  std::string out;
  appendPretty(out, v, 0);
  return out;
}

}  // namespace bakery::conformance
