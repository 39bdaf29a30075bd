// ConditionExpression, FilterExpression and KeyConditionExpression.
//
// Recursive descent over the tokens, precedence OR < AND < NOT < parentheses < leaf
// conditions. One ambiguity needs care: `(` may open a condition or an operand (`(a) = :v`),
// so a parenthesized group may come back "bare", an operand waiting for the comparator that
// follows its closing parenthesis.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "platform/table/expression/expression.h"
#include "platform/table/expression/parser_base.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace detail {
namespace {

enum class TermKind : std::uint8_t { kPath, kValue, kCall, kMissing };

// An operand before lowering: a path, a value, or a function call (which may turn out to be
// a condition rather than an operand).
struct Term {
  TermKind kind = TermKind::kMissing;
  std::uint32_t index = 0;  // into tree paths, tree values, or calls_
};

struct Call {
  std::string_view name;
  std::vector<Term> args;
};

struct Parsed {
  bool bare = false;  // `term` is an operand still waiting for its comparator
  std::uint32_t node = 0;
  Term term;
};

struct FunctionInfo {
  std::string_view name;
  std::size_t operands;
  NodeKind kind;
};

constexpr std::array<FunctionInfo, 6> kFunctions = {{
    {"attribute_exists", 1, NodeKind::kAttributeExists},
    {"attribute_not_exists", 1, NodeKind::kAttributeNotExists},
    {"attribute_type", 2, NodeKind::kAttributeType},
    {"begins_with", 2, NodeKind::kBeginsWith},
    {"contains", 2, NodeKind::kContains},
    {"size", 1, NodeKind::kAttributeExists},  // an operand: never becomes a node of its own
}};

const FunctionInfo* findFunction(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view compareName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "=";
}

std::optional<CompareOp> comparator(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEq:
      return CompareOp::kEq;
    case TokenKind::kNe:
      return CompareOp::kNe;
    case TokenKind::kLt:
      return CompareOp::kLt;
    case TokenKind::kLe:
      return CompareOp::kLe;
    case TokenKind::kGt:
      return CompareOp::kGt;
    case TokenKind::kGe:
      return CompareOp::kGe;
    default:
      return std::nullopt;
  }
}

// How DynamoDB prints a value inside a message: "{N:5}".
std::string describe(const AttributeValue& v) {
  std::string out = "{" + std::string(typeName(v.type())) + ":";
  switch (v.type()) {
    case AttributeType::kS:
    case AttributeType::kN:
      out += v.scalar();
      break;
    case AttributeType::kB:
      out += core::base64Encode(v.scalar());
      break;
    case AttributeType::kBool:
      out += v.boolean() ? "true" : "false";
      break;
    case AttributeType::kNull:
      out += "true";
      break;
    case AttributeType::kSS:
    case AttributeType::kNS:
    case AttributeType::kBS:
      for (std::size_t i = 0; i < v.elements().size(); ++i) {
        if (i > 0) out += ',';
        out +=
            v.type() == AttributeType::kBS ? core::base64Encode(v.elements()[i]) : v.elements()[i];
      }
      break;
    case AttributeType::kM:
    case AttributeType::kL:
      break;
  }
  return out + "}";
}

bool isScalar(AttributeType t) {
  return t == AttributeType::kS || t == AttributeType::kN || t == AttributeType::kB;
}

class ConditionParser : public ParserBase {
 public:
  ConditionParser(std::string_view text, std::string_view kind, Placeholders& ph)
      : ParserBase(text, kind, ph),
        tree_(std::make_shared<ConditionTree>()),
        closeOf_(tokens_.size(), -1) {
    keywords_ = Keywords::kCondition;
  }

  core::Result<Condition> run() {
    Parsed top = parseOr();
    if (!failed()) toCondition(top);
    if (!failed() && peekKind() != TokenKind::kEnd) syntaxError();
    finishLeaf();
    if (auto error = firstError({Slot::kParens, Slot::kUnknownFunction, Slot::kMisusedFunction,
                                 Slot::kReserved, Slot::kCondition})) {
      return *std::move(error);
    }
    tree_->root = top.node;
    return Condition(std::move(tree_));
  }

 private:
  Parsed parseOr() {
    Parsed left = parseAnd();
    while (!failed() && isWord(peek(), "OR")) {
      if (!toCondition(left)) return left;
      advance();
      if (!countOperator()) return left;
      Parsed right = parseAnd();
      if (failed() || !toCondition(right)) return left;
      left.node = addNode(Node{NodeKind::kOr, CompareOp::kEq, left.node, right.node});
    }
    return left;
  }

  Parsed parseAnd() {
    Parsed left = parseNot();
    while (!failed() && isWord(peek(), "AND")) {
      if (!toCondition(left)) return left;
      advance();
      if (!countOperator()) return left;
      Parsed right = parseNot();
      if (failed() || !toCondition(right)) return left;
      left.node = addNode(Node{NodeKind::kAnd, CompareOp::kEq, left.node, right.node});
    }
    return left;
  }

  Parsed parseNot() {
    if (!isWord(peek(), "NOT")) return parsePrimary();
    advance();
    Parsed result;
    if (!countOperator() || !enter()) return result;
    Parsed inner = parseNot();
    leave();
    if (failed() || !toCondition(inner)) return result;
    result.node = addNode(Node{NodeKind::kNot, CompareOp::kEq, inner.node, 0});
    return result;
  }

  Parsed parsePrimary() {
    if (peekKind() != TokenKind::kLParen) {
      Term term;
      if (!parseTerm(term)) return {};
      return parseLeafRest(term);
    }
    std::size_t open = pos_;
    advance();
    if (!enter()) return {};
    ++groups_;
    Parsed inner = parseOr();
    --groups_;
    leave();
    if (failed() || !closeGroup(open)) return {};
    if (inner.bare) return parseLeafRest(inner.term);
    return inner;
  }

  // After a group's `(` at `open`: consumes its `)` and notes "((x))".
  bool closeGroup(std::size_t open) {
    if (!expect(TokenKind::kRParen)) return false;
    closeOf_[open] = static_cast<std::int32_t>(pos_ - 1);
    if (tokens_[open + 1].kind == TokenKind::kLParen &&
        closeOf_[open + 1] == static_cast<std::int32_t>(pos_ - 2)) {
      record(Slot::kParens, "The expression has redundant parentheses;");
    }
    return true;
  }

  // What may follow a leaf's first operand: a comparator, BETWEEN or IN; or nothing, when the
  // operand is a function call used as a condition.
  Parsed parseLeafRest(const Term& first) {
    Parsed result;
    const Token& t = peek();
    if (auto op = comparator(t.kind)) {
      advance();
      Term second;
      if (!countOperator() || !parseOperand(second)) return result;
      checkMisused(first);
      checkMisused(second);
      checkDistinct(compareName(*op), first, second);
      result.node = addLeaf(NodeKind::kCompare, *op, {first, second});
    } else if (isWord(t, "BETWEEN")) {
      advance();
      Term low;
      Term high;
      if (!countOperator() || !parseOperand(low)) return result;
      if (!isWord(peek(), "AND")) {
        syntaxError();
        return result;
      }
      advance();
      if (!parseOperand(high)) return result;
      checkMisused(first);
      checkMisused(low);
      checkMisused(high);
      checkBetween(low, high);
      result.node = addLeaf(NodeKind::kBetween, CompareOp::kEq, {first, low, high});
    } else if (isWord(t, "IN")) {
      advance();
      if (!countOperator() || !expect(TokenKind::kLParen)) return result;
      std::vector<Term> terms{first};
      do {
        Term term;
        if (!parseOperand(term)) return result;
        terms.push_back(term);
      } while (peekKind() == TokenKind::kComma && (advance(), true));
      if (!expect(TokenKind::kRParen)) return result;
      if (terms.size() - 1 > kMaxInOperands) {
        fail("The IN operator is provided with too many operands; number of operands: " +
             std::to_string(terms.size() - 1));
        return result;
      }
      for (const Term& term : terms) checkMisused(term);
      result.node = addLeaf(NodeKind::kIn, CompareOp::kEq, terms);
    } else if (groups_ > 0 && t.kind == TokenKind::kRParen) {
      result.bare = true;
      result.term = first;
      return result;
    } else if (first.kind == TermKind::kCall) {
      result.node = functionCondition(first);
      return result;
    } else {
      syntaxError();
      return result;
    }
    finishLeaf();
    return result;
  }

  // A bare operand where a condition must be: a function call is one; anything else is not.
  bool toCondition(Parsed& p) {
    if (!p.bare) return true;
    if (p.term.kind != TermKind::kCall) {
      syntaxError();
      return false;
    }
    p.bare = false;
    p.node = functionCondition(p.term);
    return true;
  }

  std::uint32_t functionCondition(const Term& term) {
    const Call& call = calls_[term.index];
    const FunctionInfo* f = findFunction(call.name);
    if (call.name == "size") {
      record(Slot::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: size");
    }
    std::uint32_t node =
        addLeaf(f != nullptr ? f->kind : NodeKind::kAttributeExists, CompareOp::kEq, call.args);
    finishLeaf();
    return node;
  }

  // An operand, possibly in parentheses.
  bool parseOperand(Term& out) {
    if (peekKind() != TokenKind::kLParen) return parseTerm(out);
    std::size_t open = pos_;
    advance();
    if (!enter()) return false;
    bool ok = parseOperand(out);
    leave();
    return ok && closeGroup(open);
  }

  bool parseTerm(Term& out) {
    const Token& t = peek();
    if (t.kind == TokenKind::kValue) {
      const AttributeValue* v = useValue(Slot::kAttrNameVal);
      out = v != nullptr ? Term{TermKind::kValue, values_.intern(v, tree_->values)} : Term{};
      advance();
      return true;
    }
    if (t.kind == TokenKind::kWord && !isKeyword(t) && peekKind(1) == TokenKind::kLParen) {
      return parseCall(out);
    }
    if ((t.kind == TokenKind::kWord && !isKeyword(t)) || t.kind == TokenKind::kName) {
      Path path;
      if (!parsePath(path, Slot::kAttrNameVal)) return false;
      out = Term{TermKind::kPath, static_cast<std::uint32_t>(tree_->paths.size())};
      tree_->paths.push_back(std::move(path));
      return true;
    }
    syntaxError();
    return false;
  }

  bool parseCall(Term& out) {
    Call call{textOf(peek()), {}};
    advance();
    advance();
    if (!countOperator() || !enter()) return false;
    do {
      Term arg;
      if (!parseOperand(arg)) return false;
      call.args.push_back(arg);
    } while (peekKind() == TokenKind::kComma && (advance(), true));
    leave();
    if (!expect(TokenKind::kRParen)) return false;
    for (const Term& arg : call.args) checkMisused(arg);
    checkFunction(call);
    out = Term{TermKind::kCall, static_cast<std::uint32_t>(calls_.size())};
    calls_.push_back(std::move(call));
    return true;
  }

  // ---- checks DynamoDB makes while parsing ----

  // The type an operand is known to have before any item is read, as DynamoDB infers it.
  std::optional<std::string_view> typeOf(const Term& t) const {
    if (t.kind == TermKind::kValue) return typeName(tree_->values[t.index].type());
    if (t.kind != TermKind::kCall) return std::nullopt;
    const Call& call = calls_[t.index];
    if (call.name == "size") return "N";
    if (call.name == "begins_with" || call.name == "attribute_type" || call.name == "contains") {
      return "BOOL";
    }
    if ((call.name == "attribute_exists" || call.name == "attribute_not_exists") &&
        call.args.size() > 1) {
      return typeOf(call.args[1]);
    }
    return std::nullopt;
  }

  void checkFunction(const Call& call) {
    const FunctionInfo* f = findFunction(call.name);
    if (f == nullptr) {
      record(Slot::kUnknownFunction, "Invalid function name; function: " + std::string(call.name));
      return;
    }
    if (has(Slot::kOperand)) return;
    if (call.args.size() != f->operands) {
      record(Slot::kOperand,
             "Incorrect number of operands for operator or function; operator or function: " +
                 std::string(call.name) +
                 ", number of operands: " + std::to_string(call.args.size()));
      return;
    }
    if (call.args.size() == 2) checkDistinct(call.name, call.args[0], call.args[1]);
    if (has(Slot::kFunction)) return;
    auto operandType = [&](std::string_view type) {
      record(Slot::kFunction,
             "Incorrect operand type for operator or function; operator or function: " +
                 std::string(call.name) + ", operand type: " + std::string(type));
    };
    if (call.name == "attribute_exists" || call.name == "attribute_not_exists") {
      if (call.args[0].kind != TermKind::kPath) {
        record(Slot::kFunction,
               "Operator or function requires a document path; operator or function: " +
                   std::string(call.name));
      }
    } else if (f->kind == NodeKind::kBeginsWith) {
      for (const Term& arg : call.args) {
        auto type = typeOf(arg);
        if (type && *type != "S" && *type != "B") {
          operandType(*type);
          return;
        }
      }
    } else if (f->kind == NodeKind::kAttributeType) {
      auto type = typeOf(call.args[1]);
      if (type != "S") {
        operandType(type ? *type : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        return;
      }
      const std::string& name = tree_->values[call.args[1].index].scalar();
      static constexpr std::string_view kTypes[] = {"S",    "N", "B",  "NULL", "SS",
                                                    "BOOL", "L", "BS", "NS",   "M"};
      bool valid = false;
      for (std::string_view t : kTypes) valid = valid || t == name;
      if (!valid) {
        record(Slot::kFunction, "Invalid attribute type name found; type: " + name +
                                    ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
      }
    } else if (call.name == "size") {
      auto type = typeOf(call.args[0]);
      if (type == "N" || type == "BOOL" || type == "NULL") operandType(*type);
    }
  }

  // Functions other than size() are conditions, not operands.
  void checkMisused(const Term& t) {
    if (t.kind == TermKind::kCall && calls_[t.index].name != "size") {
      record(Slot::kMisusedFunction,
             "The function is not allowed to be used this way in an expression; function: " +
                 std::string(calls_[t.index].name));
    }
  }

  void checkDistinct(std::string_view op, const Term& a, const Term& b) {
    if (a.kind != TermKind::kPath || b.kind != TermKind::kPath) return;
    const Path& pa = tree_->paths[a.index];
    if (pa != tree_->paths[b.index]) return;
    record(Slot::kDistinct,
           "The first operand must be distinct from the remaining operands for this operator or "
           "function; operator: " +
               std::string(op) + ", first operand: " + bracketPath(pa));
  }

  void checkBetween(const Term& low, const Term& high) {
    if (has(Slot::kFunction) || low.kind != TermKind::kValue || high.kind != TermKind::kValue) {
      return;
    }
    const AttributeValue& lo = tree_->values[low.index];
    const AttributeValue& hi = tree_->values[high.index];
    std::string bounds = "lower bound operand: AttributeValue: " + describe(lo) +
                         ", upper bound operand: AttributeValue: " + describe(hi);
    if (lo.type() != hi.type()) {
      record(Slot::kFunction,
             "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds);
    } else if (isScalar(lo.type()) && compareScalars(lo.type(), lo.scalar(), hi.scalar()) > 0) {
      record(Slot::kFunction,
             "The BETWEEN operator requires upper bound to be greater than or equal to lower "
             "bound; " +
                 bounds);
    }
  }

  // DynamoDB reports, for the first leaf condition with any of these errors, the first of
  // them in this order.
  void finishLeaf() {
    if (has(Slot::kCondition)) return;
    for (Slot s : {Slot::kAttrNameVal, Slot::kOperand, Slot::kDistinct, Slot::kFunction}) {
      if (has(s)) {
        record(Slot::kCondition, slot(s));
        return;
      }
    }
  }

  // ---- building the tree ----

  std::uint32_t addNode(const Node& node) {
    tree_->nodes.push_back(node);
    return static_cast<std::uint32_t>(tree_->nodes.size() - 1);
  }

  std::uint32_t addLeaf(NodeKind kind, CompareOp op, const std::vector<Term>& terms) {
    auto first = static_cast<std::uint32_t>(tree_->operands.size());
    tree_->operands.resize(tree_->operands.size() + terms.size(),
                           Operand{OperandKind::kMissing, 0});
    for (std::size_t i = 0; i < terms.size(); ++i) tree_->operands[first + i] = lower(terms[i]);
    return addNode(Node{kind, op, first, static_cast<std::uint32_t>(terms.size())});
  }

  // The operand a term evaluates as; size() puts its argument at the end of the operands.
  Operand lower(const Term& t) {
    switch (t.kind) {
      case TermKind::kPath:
        return Operand{OperandKind::kPath, t.index};
      case TermKind::kValue:
        return Operand{OperandKind::kValue, t.index};
      case TermKind::kMissing:
        return Operand{OperandKind::kMissing, 0};
      case TermKind::kCall: {
        const Call& call = calls_[t.index];
        if (call.name != "size" || call.args.size() != 1) return {OperandKind::kMissing, 0};
        Operand inner = lower(call.args[0]);
        tree_->operands.push_back(inner);
        return Operand{OperandKind::kSize, static_cast<std::uint32_t>(tree_->operands.size() - 1)};
      }
    }
    return Operand{OperandKind::kMissing, 0};
  }

  std::shared_ptr<ConditionTree> tree_;
  std::vector<Call> calls_;
  ValueTable values_;
  std::vector<std::int32_t> closeOf_;  // token index of the `)` closing each `(`
  int groups_ = 0;                     // condition parentheses open at the cursor
};

// ---- KeyConditionExpression ----

struct KeyTerm {
  std::string_view name;
  SortKeyCondition::Op op;
  std::vector<const AttributeValue*> values;
};

std::string_view opName(SortKeyCondition::Op op) {
  switch (op) {
    case SortKeyCondition::Op::kEq:
      return "EQ";
    case SortKeyCondition::Op::kLt:
      return "LT";
    case SortKeyCondition::Op::kLe:
      return "LE";
    case SortKeyCondition::Op::kGt:
      return "GT";
    case SortKeyCondition::Op::kGe:
      return "GE";
    case SortKeyCondition::Op::kBetween:
      return "BETWEEN";
    case SortKeyCondition::Op::kBeginsWith:
      return "BEGINS_WITH";
  }
  return "EQ";
}

// The key conditions of the tree under `index`, or DynamoDB's message for what is not one.
std::optional<std::string> collectKeyTerms(const ConditionTree& tree, std::uint32_t index,
                                           std::vector<KeyTerm>& out) {
  const Node& node = tree.nodes[index];
  const std::string invalid = "Invalid operator used in KeyConditionExpression: ";
  SortKeyCondition::Op op = SortKeyCondition::Op::kEq;
  switch (node.kind) {
    case NodeKind::kOr:
      return invalid + "OR";
    case NodeKind::kNot:
      return invalid + "NOT";
    case NodeKind::kIn:
      return invalid + "IN";
    case NodeKind::kAttributeExists:
      return invalid + "attribute_exists";
    case NodeKind::kAttributeNotExists:
      return invalid + "attribute_not_exists";
    case NodeKind::kAttributeType:
      return invalid + "attribute_type";
    case NodeKind::kContains:
      return invalid + "contains";
    case NodeKind::kAnd: {
      if (auto error = collectKeyTerms(tree, node.a, out)) return error;
      return collectKeyTerms(tree, node.b, out);
    }
    case NodeKind::kCompare:
      switch (node.op) {
        case CompareOp::kNe:
          return invalid + "<>";
        case CompareOp::kEq:
          op = SortKeyCondition::Op::kEq;
          break;
        case CompareOp::kLt:
          op = SortKeyCondition::Op::kLt;
          break;
        case CompareOp::kLe:
          op = SortKeyCondition::Op::kLe;
          break;
        case CompareOp::kGt:
          op = SortKeyCondition::Op::kGt;
          break;
        case CompareOp::kGe:
          op = SortKeyCondition::Op::kGe;
          break;
      }
      break;
    case NodeKind::kBetween:
      op = SortKeyCondition::Op::kBetween;
      if (tree.operands[node.a].kind != OperandKind::kPath) {
        return "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key "
               "attribute as its first operand";
      }
      break;
    case NodeKind::kBeginsWith:
      op = SortKeyCondition::Op::kBeginsWith;
      if (tree.operands[node.a].kind != OperandKind::kPath) {
        return "Invalid condition in KeyConditionExpression: begins_with operator must have the "
               "key attribute as its first operand";
      }
      break;
  }
  KeyTerm term{{}, op, {}};
  bool named = false;
  std::uint32_t nameAt = 0;
  for (std::uint32_t i = 0; i < node.b; ++i) {
    const Operand& operand = tree.operands[node.a + i];
    if (operand.kind == OperandKind::kPath) {
      if (named) {
        return "Invalid condition in KeyConditionExpression: Multiple attribute names used in "
               "one condition";
      }
      const Path& path = tree.paths[operand.index];
      if (path.size() > 1)
        return "KeyConditionExpressions cannot have conditions on nested attributes";
      term.name = path[0].name;
      named = true;
      nameAt = i;
    } else if (operand.kind == OperandKind::kSize) {
      return "KeyConditionExpressions cannot contain nested operations";
    } else if (operand.kind == OperandKind::kValue) {
      term.values.push_back(&tree.values[operand.index]);
    }
  }
  if (!named) return "Invalid condition in KeyConditionExpression: No key attribute specified";
  for (const KeyTerm& other : out) {
    if (other.name == term.name) {
      return "KeyConditionExpressions must only contain one condition per key";
    }
  }
  if (nameAt != 0) {
    // `:v < sk` reads as `sk > :v`.
    switch (term.op) {
      case SortKeyCondition::Op::kLt:
        term.op = SortKeyCondition::Op::kGt;
        break;
      case SortKeyCondition::Op::kLe:
        term.op = SortKeyCondition::Op::kGe;
        break;
      case SortKeyCondition::Op::kGt:
        term.op = SortKeyCondition::Op::kLt;
        break;
      case SortKeyCondition::Op::kGe:
        term.op = SortKeyCondition::Op::kLe;
        break;
      default:
        break;
    }
  }
  out.push_back(std::move(term));
  return std::nullopt;
}

// DynamoDB's checks of a key condition's values, before it looks at the schema.
std::optional<std::string> checkKeyValues(const KeyTerm& term) {
  const std::string invalid = "One or more parameter values were invalid: ";
  if (term.values.empty()) return std::nullopt;
  AttributeType first = term.values[0]->type();
  for (const AttributeValue* v : term.values) {
    if (v->type() != first) {
      return invalid + "AttributeValues inside AttributeValueList must be of same type";
    }
  }
  for (const AttributeValue* v : term.values) {
    AttributeType t = v->type();
    bool ok = term.op == SortKeyCondition::Op::kBeginsWith
                  ? (t == AttributeType::kS || t == AttributeType::kB)
                  : isScalar(t) || (term.op == SortKeyCondition::Op::kEq && v->isSet());
    if (!ok) {
      return invalid + "ComparisonOperator " + std::string(opName(term.op)) + " is not valid for " +
             std::string(typeName(t)) + " AttributeValue type";
    }
  }
  if (term.op == SortKeyCondition::Op::kBetween && term.values.size() == 2 &&
      compareScalars(first, term.values[0]->scalar(), term.values[1]->scalar()) > 0) {
    return "The BETWEEN condition was provided a range where the lower bound is greater than the "
           "upper bound";
  }
  return std::nullopt;
}

}  // namespace
}  // namespace detail

core::Result<Condition> parseCondition(std::string_view text, std::string_view kind,
                                       Placeholders& ph) {
  if (auto error = detail::checkExpressionText(text, kind)) return *std::move(error);
  return detail::ConditionParser(text, kind, ph).run();
}

std::vector<std::string> topLevelNames(const Condition& condition) {
  std::vector<std::string> names;
  for (const Path& path : condition.tree().paths) {
    if (path.empty()) continue;
    bool seen = false;
    for (const std::string& n : names) seen = seen || n == path[0].name;
    if (!seen) names.push_back(path[0].name);
  }
  return names;
}

core::Result<KeyCondition> parseKeyCondition(std::string_view text, Placeholders& ph,
                                             const KeySchemaView& schema) {
  auto parsed = parseCondition(text, "KeyConditionExpression", ph);
  if (!parsed.ok()) return parsed.error();
  const detail::ConditionTree& tree = parsed->tree();
  std::vector<detail::KeyTerm> terms;
  if (auto error = detail::collectKeyTerms(tree, tree.root, terms)) {
    return core::Error::validation(*std::move(error));
  }
  for (const detail::KeyTerm& term : terms) {
    if (auto error = detail::checkKeyValues(term))
      return core::Error::validation(*std::move(error));
  }
  if (terms.empty() || terms.size() > 2) {
    return core::Error::validation("Conditions can be of length 1 or 2 only");
  }
  auto find = [&](std::string_view name) -> const detail::KeyTerm* {
    for (const detail::KeyTerm& t : terms) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };
  auto typeMismatch = [](const detail::KeyTerm& t, AttributeType type) {
    for (const AttributeValue* v : t.values) {
      if (v->type() != type) return true;
    }
    return false;
  };
  const std::string mismatch =
      "One or more parameter values were invalid: Condition parameter type does not match "
      "schema type";
  if (schema.sortKey.empty() && terms.size() > 1) {
    return core::Error::validation("Query key condition not supported");
  }
  const detail::KeyTerm* partition = find(schema.partitionKey);
  if (partition == nullptr) {
    return core::Error::validation("Query condition missed key schema element: " +
                                   schema.partitionKey);
  }
  if (partition->values.empty() || typeMismatch(*partition, schema.partitionType)) {
    return core::Error::validation(mismatch);
  }
  if (partition->op != SortKeyCondition::Op::kEq) {
    return core::Error::validation("Query key condition not supported");
  }
  KeyCondition result;
  result.partitionValue = *partition->values[0];
  if (!schema.sortKey.empty()) {
    const detail::KeyTerm* sort = find(schema.sortKey);
    if (sort == nullptr && terms.size() > 1) {
      return core::Error::validation("Query condition missed key schema element: " +
                                     schema.sortKey);
    }
    if (sort != nullptr) {
      if (sort->values.empty() || typeMismatch(*sort, schema.sortType)) {
        return core::Error::validation(mismatch);
      }
      SortKeyCondition condition;
      condition.op = sort->op;
      condition.low = *sort->values[0];
      if (sort->values.size() > 1) condition.high = *sort->values[1];
      result.sort = std::move(condition);
    }
  }
  return result;
}

}  // namespace bakery::table::expression
