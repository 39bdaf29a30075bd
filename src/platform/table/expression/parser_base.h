// What the condition, update and projection parsers share: a token cursor, DynamoDB's syntax
// error message, the limits, document paths with placeholder resolution, and the error slots.
//
// DynamoDB reports one error per expression, chosen by kind in a fixed order (a reserved word
// before an undefined placeholder, and so on) rather than by position. The parsers therefore
// record the first error of each kind in a slot and keep going; each parser picks the slot to
// report in its own order once the text is consumed. Syntax errors and limits stop at once.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "platform/table/expression/expression.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression::detail {

inline constexpr std::size_t kMaxExpressionBytes = 4096;
inline constexpr int kMaxOperators = 300;
inline constexpr std::size_t kMaxInOperands = 100;
// Each level of parentheses that is not redundant needs an operator, so the operator limit
// caps legitimate nesting near 300 anyway; this bound only keeps hostile input off the stack.
inline constexpr int kMaxNesting = 300;

enum class Slot : std::uint8_t {
  kParens,
  kUnknownFunction,
  kMisusedFunction,
  kReserved,
  kCondition,  // the first leaf condition's error, picked from the four below
  kAttrNameVal,
  kOperand,
  kDistinct,
  kFunction,
  kSection,
  kAttrName,
  kAttrVal,
  kPathOverlap,
  kPathConflict,
  kCount,
};

// DynamoDB's checks of an expression's size and emptiness, made before it is tokenized.
std::optional<core::Error> checkExpressionText(std::string_view text, std::string_view kind);

// Keywords of the expression being parsed, which can never be names.
enum class Keywords : std::uint8_t { kNone, kCondition, kUpdate };

class ParserBase {
 protected:
  ParserBase(std::string_view text, std::string_view kind, Placeholders& ph);

  const Token& peek(std::size_t ahead = 0) const {
    std::size_t i = pos_ + ahead;
    return tokens_[i < tokens_.size() ? i : tokens_.size() - 1];
  }
  TokenKind peekKind(std::size_t ahead = 0) const { return peek(ahead).kind; }
  void advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  std::string_view textOf(const Token& t) const { return text_.substr(t.begin, t.end - t.begin); }
  // Whether `t` is the word `upper`, compared case-insensitively.
  bool isWord(const Token& t, std::string_view upper) const;
  bool isKeyword(const Token& t) const;

  // Stops parsing with `message`, prefixed "Invalid <Kind>: ".
  void fail(std::string message);
  // Stops parsing with DynamoDB's syntax error for the current token.
  void syntaxError();
  bool failed() const { return fatal_.has_value(); }
  // Consumes a token of `kind`, or fails with a syntax error.
  bool expect(TokenKind kind);

  void record(Slot slot, std::string message) {
    auto& s = slots_[static_cast<std::size_t>(slot)];
    if (s.empty()) s = std::move(message);
  }
  bool has(Slot slot) const { return !slots_[static_cast<std::size_t>(slot)].empty(); }
  const std::string& slot(Slot slot) const { return slots_[static_cast<std::size_t>(slot)]; }
  // The error to report: the fatal one, else the first recorded slot in `order`.
  std::optional<core::Error> firstError(std::initializer_list<Slot> order) const;

  // Nesting and operator limits; false (and failed()) when exceeded.
  bool enter();
  void leave() { --depth_; }
  bool countOperator();

  // A document path at the cursor: name ('.' name | '[' n ']')*. `slotForName` receives an
  // undefined #name. False on a syntax error.
  bool parsePath(Path& out, Slot slotForName);
  // A value placeholder at the cursor (the cursor must be on a kValue token); null and a
  // recorded error in `slotForValue` when it is not defined.
  const AttributeValue* useValue(Slot slotForValue);

  // DynamoDB's overlap and conflict checks between two paths of one expression, `earlier`
  // written first; true when they overlap.
  bool checkOverlap(const Path& earlier, const Path& path);

  std::string_view text_;
  std::string_view kind_;
  Placeholders& ph_;
  Keywords keywords_ = Keywords::kNone;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;

 private:
  std::optional<core::Error> fatal_;
  std::array<std::string, static_cast<std::size_t>(Slot::kCount)> slots_;
  int depth_ = 0;
  int operators_ = 0;
};

// Interns values so each placeholder is copied into a tree once however often it is used.
class ValueTable {
 public:
  std::uint32_t intern(const AttributeValue* value, std::vector<AttributeValue>& values) {
    for (const auto& [ptr, index] : seen_) {
      if (ptr == value) return index;
    }
    auto index = static_cast<std::uint32_t>(values.size());
    values.push_back(*value);
    seen_.emplace_back(value, index);
    return index;
  }

 private:
  std::vector<std::pair<const AttributeValue*, std::uint32_t>> seen_;
};

}  // namespace bakery::table::expression::detail
