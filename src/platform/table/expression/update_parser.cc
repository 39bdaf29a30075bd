// UpdateExpression: SET, REMOVE, ADD and DELETE clauses, each at most once, in any order.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/parser_base.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace detail {
namespace {

constexpr std::array<std::string_view, 4> kSections = {"SET", "REMOVE", "ADD", "DELETE"};

// DynamoDB's names for value types in ADD and DELETE messages; sets have none (they are the
// types both accept).
std::optional<std::string_view> operandTypeName(AttributeType t) {
  switch (t) {
    case AttributeType::kS:
      return "STRING";
    case AttributeType::kN:
      return "NUMBER";
    case AttributeType::kB:
      return "BINARY";
    case AttributeType::kNull:
      return "NULL";
    case AttributeType::kBool:
      return "BOOLEAN";
    case AttributeType::kL:
      return "LIST";
    case AttributeType::kM:
      return "MAP";
    default:
      return std::nullopt;
  }
}

class UpdateParser : public ParserBase {
 public:
  UpdateParser(std::string_view text, Placeholders& ph)
      : ParserBase(text, "UpdateExpression", ph), tree_(std::make_shared<UpdateTree>()) {
    keywords_ = Keywords::kUpdate;
  }

  core::Result<UpdatePlan> run() {
    std::array<bool, kSections.size()> seen{};
    while (!failed() && peekKind() != TokenKind::kEnd) {
      std::size_t section = kSections.size();
      for (std::size_t i = 0; i < kSections.size(); ++i) {
        if (isWord(peek(), kSections[i])) section = i;
      }
      if (section == kSections.size()) {
        syntaxError();
        break;
      }
      advance();
      if (seen[section]) {
        record(Slot::kSection, "The \"" + std::string(kSections[section]) +
                                   "\" section can only be used once in an update expression;");
      }
      seen[section] = true;
      auto kind = static_cast<ActionKind>(section);
      while (parseAction(kind) && peekKind() == TokenKind::kComma) advance();
    }
    if (auto error = firstError({Slot::kReserved, Slot::kUnknownFunction, Slot::kSection,
                                 Slot::kAttrName, Slot::kAttrVal, Slot::kPathOverlap,
                                 Slot::kPathConflict, Slot::kOperand, Slot::kFunction})) {
      return *std::move(error);
    }
    return UpdatePlan(std::move(tree_));
  }

 private:
  bool parseAction(ActionKind kind) {
    Path path;
    if (!parsePath(path, Slot::kAttrName)) return false;
    for (const Action& earlier : tree_->actions) {
      if (checkOverlap(tree_->paths[earlier.path], path)) break;
    }
    Action action{kind, addPath(std::move(path)), 0};
    switch (kind) {
      case ActionKind::kSet:
        if (!expect(TokenKind::kEq) || !parseSetValue(action.operand)) return false;
        break;
      case ActionKind::kRemove:
        break;
      case ActionKind::kAdd:
      case ActionKind::kDelete: {
        if (peekKind() != TokenKind::kValue) {
          syntaxError();
          return false;
        }
        const AttributeValue* value = useValue(Slot::kAttrVal);
        advance();
        if (value == nullptr) {
          action.operand = kNoValue;
          break;
        }
        checkOperator(kind == ActionKind::kAdd ? "ADD" : "DELETE", *value);
        action.operand = values_.intern(value, tree_->values);
        break;
      }
    }
    tree_->actions.push_back(action);
    return true;
  }

  // operand [('+' | '-') operand]
  bool parseSetValue(std::uint32_t& out) {
    if (!parseOperand(out, true)) return false;
    TokenKind k = peekKind();
    if (k != TokenKind::kPlus && k != TokenKind::kMinus) return true;
    advance();
    std::uint32_t right = 0;
    if (!countOperator() || !parseOperand(right, false)) return false;
    std::string_view name = k == TokenKind::kPlus ? "+" : "-";
    checkOperandTypes(name, {out, right}, AttributeType::kN);
    out = addNode({k == TokenKind::kPlus ? ValueKind::kPlus : ValueKind::kMinus, out, right});
    return true;
  }

  // A path, a value or a function, possibly in parentheses; `whole` allows a parenthesized
  // sum where a whole SET value may stand.
  bool parseOperand(std::uint32_t& out, bool whole) {
    const Token& t = peek();
    if (t.kind == TokenKind::kLParen) {
      advance();
      if (!enter()) return false;
      bool ok = whole ? parseSetValue(out) : parseOperand(out, false);
      leave();
      return ok && expect(TokenKind::kRParen);
    }
    if (t.kind == TokenKind::kValue) {
      const AttributeValue* value = useValue(Slot::kAttrVal);
      advance();
      out = value != nullptr ? addNode({ValueKind::kValue, values_.intern(value, tree_->values)})
                             : addNode({ValueKind::kMissing});
      return true;
    }
    if (t.kind == TokenKind::kWord && !isKeyword(t) && peekKind(1) == TokenKind::kLParen) {
      return parseFunction(out);
    }
    Path path;
    if (!parsePath(path, Slot::kAttrName)) return false;
    out = addNode({ValueKind::kPath, addPath(std::move(path))});
    return true;
  }

  bool parseFunction(std::uint32_t& out) {
    std::string_view name = textOf(peek());
    advance();
    advance();
    if (!countOperator() || !enter()) return false;
    std::vector<std::uint32_t> args;
    do {
      std::uint32_t arg = 0;
      if (!parseOperand(arg, false)) return false;
      args.push_back(arg);
    } while (peekKind() == TokenKind::kComma && (advance(), true));
    leave();
    if (!expect(TokenKind::kRParen)) return false;
    out = addNode({ValueKind::kMissing});
    bool ifNotExists = name == "if_not_exists";
    if (!ifNotExists && name != "list_append") {
      record(Slot::kUnknownFunction, "Invalid function name; function: " + std::string(name));
      return true;
    }
    if (has(Slot::kFunction)) return true;
    if (args.size() != 2) {
      record(Slot::kFunction,
             "Incorrect number of operands for operator or function; operator or function: " +
                 std::string(name) + ", number of operands: " + std::to_string(args.size()));
      return true;
    }
    if (ifNotExists) {
      const ValueNode& first = tree_->nodes[args[0]];
      if (first.kind != ValueKind::kPath) {
        record(Slot::kFunction,
               "Operator or function requires a document path; operator or function: "
               "if_not_exists");
        return true;
      }
      tree_->nodes[out] = {ValueKind::kIfNotExists, first.a, args[1]};
    } else {
      checkOperandTypes(name, {args[0], args[1]}, AttributeType::kL);
      tree_->nodes[out] = {ValueKind::kListAppend, args[0], args[1]};
    }
    return true;
  }

  // Operands whose type is known from ExpressionAttributeValues must be of `want`.
  void checkOperandTypes(std::string_view name, std::initializer_list<std::uint32_t> nodes,
                         AttributeType want) {
    if (has(Slot::kFunction)) return;
    for (std::uint32_t n : nodes) {
      const ValueNode& node = tree_->nodes[n];
      if (node.kind != ValueKind::kValue) continue;
      AttributeType t = tree_->values[node.a].type();
      if (t != want) {
        record(Slot::kFunction,
               "Incorrect operand type for operator or function; operator or function: " +
                   std::string(name) + ", operand type: " + std::string(typeName(t)));
        return;
      }
    }
  }

  // ADD takes a number or a set, DELETE only a set.
  void checkOperator(std::string_view op, const AttributeValue& value) {
    auto type = operandTypeName(value.type());
    if (!type || (op == "ADD" && value.is(AttributeType::kN))) return;
    record(Slot::kOperand, "Incorrect operand type for operator or function; operator: " +
                               std::string(op) + ", operand type: " + std::string(*type));
  }

  std::uint32_t addPath(Path path) {
    tree_->paths.push_back(std::move(path));
    return static_cast<std::uint32_t>(tree_->paths.size() - 1);
  }

  std::uint32_t addNode(ValueNode node) {
    tree_->nodes.push_back(node);
    return static_cast<std::uint32_t>(tree_->nodes.size() - 1);
  }

  static constexpr std::uint32_t kNoValue = UINT32_MAX;

  std::shared_ptr<UpdateTree> tree_;
  ValueTable values_;
};

}  // namespace
}  // namespace detail

core::Result<UpdatePlan> parseUpdate(std::string_view text, Placeholders& ph) {
  if (auto error = detail::checkExpressionText(text, "UpdateExpression")) {
    return *std::move(error);
  }
  return detail::UpdateParser(text, ph).run();
}

std::vector<Path> targets(const UpdatePlan& plan) {
  const detail::UpdateTree& tree = plan.tree();
  std::vector<Path> paths;
  paths.reserve(tree.actions.size());
  for (const detail::Action& action : tree.actions) paths.push_back(tree.paths[action.path]);
  return paths;
}

}  // namespace bakery::table::expression
