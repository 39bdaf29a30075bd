// Internals of the expression package: tokens, the compact trees the parsers build, and the
// helpers evaluation and update share. Not part of the package's contract; only the package's
// own sources and tests include it.
//
// Trees are flat vectors addressed by 32-bit indexes, so a parsed expression is a handful of
// allocations however large it is, and evaluation walks it without allocating.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/table/expression/expression.h"

namespace bakery::table::expression::detail {

// ---- Lexer ----------------------------------------------------------------------------------

enum class TokenKind : std::uint8_t {
  kEnd,     // end of input; always the last token
  kWord,    // [A-Za-z_][A-Za-z0-9_]*: a name, keyword or function name
  kName,    // #[A-Za-z0-9_]+
  kValue,   // :[A-Za-z0-9_]+
  kNumber,  // [0-9]+ (list indexes)
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kInvalid,  // anything else: one character (one UTF-8 sequence), or a bare `#` or `:`
};

struct Token {
  TokenKind kind;
  std::uint32_t begin;
  std::uint32_t end;
};

// The tokens of `text` (at most 4 KB), ending with one kEnd token.
std::vector<Token> tokenize(std::string_view text);

// Whether `word` is one of DynamoDB's reserved words (case-insensitive).
bool isReservedWord(std::string_view word);

// ---- Condition tree -------------------------------------------------------------------------

enum class OperandKind : std::uint8_t {
  kPath,     // paths[index]
  kValue,    // values[index]
  kSize,     // size(operands[index])
  kMissing,  // only in trees of rejected expressions: resolves to nothing
};

struct Operand {
  OperandKind kind;
  std::uint32_t index;
};

enum class NodeKind : std::uint8_t {
  kAnd,  // a, b: child nodes
  kOr,
  kNot,      // a: child node
  kCompare,  // operands[a], operands[a + 1]
  kBetween,  // operands[a .. a + 2]
  kIn,       // operands[a .. a + b)
  kAttributeExists,
  kAttributeNotExists,
  kAttributeType,
  kBeginsWith,
  kContains,
};

enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

struct Node {
  NodeKind kind;
  CompareOp op = CompareOp::kEq;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

struct ConditionTree {
  std::vector<Node> nodes;
  std::vector<Operand> operands;
  std::vector<Path> paths;
  std::vector<AttributeValue> values;
  std::uint32_t root = 0;
};

// ---- Update tree ----------------------------------------------------------------------------

enum class ValueKind : std::uint8_t {
  kPath,         // paths[a]
  kValue,        // values[a]
  kIfNotExists,  // paths[a], else value node b
  kListAppend,   // value nodes a, b
  kPlus,
  kMinus,
  kMissing,  // only in trees of rejected expressions
};

struct ValueNode {
  ValueKind kind;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
};

enum class ActionKind : std::uint8_t { kSet, kRemove, kAdd, kDelete };

struct Action {
  ActionKind kind;
  std::uint32_t path;     // paths[path]
  std::uint32_t operand;  // kSet: value node; kAdd, kDelete: values[operand]
};

struct UpdateTree {
  std::vector<Action> actions;
  std::vector<ValueNode> nodes;
  std::vector<Path> paths;
  std::vector<AttributeValue> values;
};

// ---- Shared by evaluation and update --------------------------------------------------------

// The value at `path` in `item`, or null when any step is missing or of the wrong kind.
const AttributeValue* resolvePath(const AttributeMap& item, const Path& path);

// -1, 0, 1 for two scalars of the same type (S and B bytewise unsigned, N numerically).
int compareScalars(AttributeType type, std::string_view a, std::string_view b);

// Whether a sorted set's elements hold `element` (`type` is SS, NS or BS).
bool setContains(AttributeType type, const std::vector<std::string>& elements,
                 std::string_view element);

// "[a, b, [2]]": the form DynamoDB's overlap messages print paths in.
std::string bracketPath(const Path& path);

}  // namespace bakery::table::expression::detail
