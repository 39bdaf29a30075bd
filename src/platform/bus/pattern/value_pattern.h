// ValuePattern and FieldValue: one leaf test of EventBridge's pattern language and the event
// leaf it is tested against.
//
// A pattern leaf is an array of ValuePatterns, any of which may match (exact values,
// prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr, exists). Each
// ValuePattern tests one scalar of the event: arrays in the event are flattened into their
// elements before these tests run (see event_fields.h). JSON types are distinct ("5" is not
// 5, null is not "null"); numbers compare by value when they are exactly representable as a
// double (300 matches 300.0, as the service and event-ruler do), otherwise by their text.
// Plain values, safe to share between threads once built.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bakery::bus {

// One scalar of a flattened event. `text` views storage that outlives the match: a string's
// unescaped content, or a number's decimal text when it is not exact as a double.
struct FieldValue {
  enum class Type : std::uint8_t { kString, kNumber, kTrue, kFalse, kNull };
  Type type = Type::kNull;
  std::string_view text;
  double number = 0;         // kNumber only
  bool exactDouble = false;  // kNumber: `number` is exactly the value written
  std::uint64_t hash = 0;    // kString: std::hash of `text`, computed once per leaf
};

// How a JSON number is compared: by value when the double nearest to it is exactly it (all
// doubles, and integers up to 2^53 or with trailing zero bits), otherwise by its decimal
// text (event-ruler's rule: 12345678901234567890 matches only itself).
struct NumberKey {
  double number = 0;
  bool exactDouble = true;
  std::string text;  // the decimal integer when !exactDouble
};
NumberKey numberKey(std::int64_t v);
NumberKey numberKey(std::uint64_t v);
NumberKey numberKey(double v);

// Simple Unicode case folding of UTF-8 text (ASCII, Latin-1, Latin Extended-A, Greek,
// Cyrillic, and the ß/ẞ pair); other code points are kept as they are.
std::string foldCase(std::string_view text);

// `*` matches any run of characters (including none and '/'); `\*` is a literal star and
// `\\` a literal backslash.
class Wildcard {
 public:
  // `pattern` must already be valid (see validateWildcard in event_pattern.cc).
  explicit Wildcard(std::string_view pattern);
  bool matches(std::string_view s) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> pieces_;  // the literal runs around the stars, unescaped
};

struct NumericRange {
  double low;   // -infinity when unbounded
  double high;  // +infinity when unbounded
  bool lowInclusive = false;
  bool highInclusive = false;
  bool contains(double x) const {
    return (lowInclusive ? x >= low : x > low) && (highInclusive ? x <= high : x < high);
  }
};

struct CidrRange {
  bool v6 = false;
  std::array<std::uint8_t, 16> network{};  // masked
  int bits = 0;
  bool contains(std::string_view address) const;
};

// The forms anything-but takes: a list of strings, a list of numbers, or a list of
// prefixes, suffixes, case-insensitive strings or wildcards.
struct AnythingBut {
  enum class Kind : std::uint8_t {
    kStrings,
    kNumbers,
    kPrefixes,
    kSuffixes,
    kIgnoreCase,
    kWildcards
  };
  Kind kind = Kind::kStrings;
  std::vector<std::string> strings;  // kIgnoreCase: folded
  std::vector<double> numbers;
  std::vector<std::string> numberTexts;  // numbers not exact as doubles, canonical text
  std::vector<Wildcard> wildcards;
};

struct ValuePattern {
  enum class Kind : std::uint8_t {
    kString,  // text
    kNumber,  // number + text (canonical)
    kTrue,
    kFalse,
    kNull,
    kPrefix,            // text
    kPrefixIgnoreCase,  // text, folded
    kSuffix,            // text
    kSuffixIgnoreCase,  // text, folded
    kEqualsIgnoreCase,  // text, folded
    kWildcard,          // wildcard
    kNumeric,           // range
    kCidr,              // cidr
    kExists,            // a present leaf, any value
    kAbsent,            // exists: false; never tested against a value
    kAnythingBut,       // anythingBut
  };
  Kind kind = Kind::kNull;
  std::string text;
  double number = 0;
  bool exactDouble = false;
  NumericRange range{};
  CidrRange cidr{};
  std::vector<Wildcard> wildcard;  // one element for kWildcard
  AnythingBut anythingBut{};

  bool matches(const FieldValue& v) const;
  // A text that is equal for equal patterns: the key under which rules share a state.
  std::string canonical() const;
};

}  // namespace bakery::bus
