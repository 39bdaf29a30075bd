// Evaluating conditions against items, and the value helpers updates share.
//
// Operands resolve to pointers into the item or the tree; size() yields a number written
// into a small buffer on the stack, so a condition is evaluated without allocating.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <bakery/table/number.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace detail {

const AttributeValue* resolvePath(const AttributeMap& item, const Path& path) {
  if (path.empty()) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* cur = &it->second;
  for (std::size_t i = 1; i < path.size(); ++i) {
    const PathElement& e = path[i];
    if (e.index >= 0) {
      if (!cur->is(AttributeType::kL)) return nullptr;
      const AttributeList& list = cur->asList();
      if (static_cast<std::size_t>(e.index) >= list.size()) return nullptr;
      cur = &list[static_cast<std::size_t>(e.index)];
    } else {
      if (!cur->is(AttributeType::kM)) return nullptr;
      const AttributeMap& map = cur->asMap();
      auto found = map.find(e.name);
      if (found == map.end()) return nullptr;
      cur = &found->second;
    }
  }
  return cur;
}

int compareScalars(AttributeType type, std::string_view a, std::string_view b) {
  if (type == AttributeType::kN) return compareNumbers(a, b);
  int c = a.compare(b);  // char_traits<char> compares as unsigned bytes
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

bool setContains(AttributeType type, const std::vector<std::string>& elements,
                 std::string_view element) {
  if (type == AttributeType::kNS) {
    return std::binary_search(
        elements.begin(), elements.end(), element,
        [](std::string_view a, std::string_view b) { return compareNumbers(a, b) < 0; });
  }
  return std::binary_search(elements.begin(), elements.end(), element,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

namespace {

// A resolved operand: a value from the item or the tree, or the number a size() produced.
class View {
 public:
  View() = default;
  explicit View(const AttributeValue* value) : value_(value) {}
  static View number(std::size_t n) {
    View v;
    auto result = std::to_chars(v.digits_, v.digits_ + sizeof(v.digits_), n);
    v.length_ = static_cast<std::uint8_t>(result.ptr - v.digits_);
    v.isNumber_ = true;
    return v;
  }

  bool present() const { return value_ != nullptr || isNumber_; }
  AttributeType type() const { return isNumber_ ? AttributeType::kN : value_->type(); }
  const AttributeValue* value() const { return value_; }
  std::string_view scalar() const {
    return isNumber_ ? std::string_view(digits_, length_) : std::string_view(value_->scalar());
  }

 private:
  const AttributeValue* value_ = nullptr;
  bool isNumber_ = false;
  std::uint8_t length_ = 0;
  char digits_[24] = {};
};

bool isScalar(AttributeType t) {
  return t == AttributeType::kS || t == AttributeType::kN || t == AttributeType::kB;
}

class Evaluator {
 public:
  Evaluator(const ConditionTree& tree, const AttributeMap& item) : tree_(tree), item_(item) {}

  bool node(std::uint32_t index) const {
    const Node& n = tree_.nodes[index];
    switch (n.kind) {
      case NodeKind::kAnd:
        return node(n.a) && node(n.b);
      case NodeKind::kOr:
        return node(n.a) || node(n.b);
      case NodeKind::kNot:
        return !node(n.a);
      case NodeKind::kCompare:
        return compare(n.op, operand(n.a), operand(n.a + 1));
      case NodeKind::kBetween: {
        View x = operand(n.a);
        View low = operand(n.a + 1);
        View high = operand(n.a + 2);
        if (!x.present() || !low.present() || !high.present()) return false;
        AttributeType t = x.type();
        if (!isScalar(t) || low.type() != t || high.type() != t) return false;
        return compareScalars(t, low.scalar(), x.scalar()) <= 0 &&
               compareScalars(t, x.scalar(), high.scalar()) <= 0;
      }
      case NodeKind::kIn: {
        View x = operand(n.a);
        if (!x.present()) return false;
        for (std::uint32_t i = 1; i < n.b; ++i) {
          if (equal(x, operand(n.a + i))) return true;
        }
        return false;
      }
      case NodeKind::kAttributeExists:
        return operand(n.a).present();
      case NodeKind::kAttributeNotExists:
        return !operand(n.a).present();
      case NodeKind::kAttributeType: {
        View x = operand(n.a);
        View t = operand(n.a + 1);
        return x.present() && t.present() && t.type() == AttributeType::kS &&
               typeName(x.type()) == t.scalar();
      }
      case NodeKind::kBeginsWith: {
        View x = operand(n.a);
        View prefix = operand(n.a + 1);
        if (!x.present() || !prefix.present() || x.type() != prefix.type()) return false;
        if (x.type() != AttributeType::kS && x.type() != AttributeType::kB) return false;
        return x.scalar().starts_with(prefix.scalar());
      }
      case NodeKind::kContains:
        return contains(operand(n.a), operand(n.a + 1));
    }
    return false;
  }

 private:
  View operand(std::uint32_t index) const {
    const Operand& op = tree_.operands[index];
    switch (op.kind) {
      case OperandKind::kPath:
        return View(resolvePath(item_, tree_.paths[op.index]));
      case OperandKind::kValue:
        return View(&tree_.values[op.index]);
      case OperandKind::kSize: {
        View inner = operand(op.index);
        if (inner.value() == nullptr) return View();
        const AttributeValue& v = *inner.value();
        switch (v.type()) {
          case AttributeType::kS:
          case AttributeType::kB:
            return View::number(v.scalar().size());
          case AttributeType::kSS:
          case AttributeType::kNS:
          case AttributeType::kBS:
            return View::number(v.elements().size());
          case AttributeType::kL:
            return View::number(v.asList().size());
          case AttributeType::kM:
            return View::number(v.asMap().size());
          default:
            return View();
        }
      }
      case OperandKind::kMissing:
        return View();
    }
    return View();
  }

  static bool equal(const View& a, const View& b) {
    if (!a.present() || !b.present() || a.type() != b.type()) return false;
    if (a.value() != nullptr && b.value() != nullptr) return *a.value() == *b.value();
    return a.scalar() == b.scalar();  // a size(): numbers, both canonical
  }

  static bool compare(CompareOp op, const View& a, const View& b) {
    if (op == CompareOp::kEq) return equal(a, b);
    if (op == CompareOp::kNe) return !equal(a, b);
    if (!a.present() || !b.present() || a.type() != b.type() || !isScalar(a.type())) return false;
    int c = compareScalars(a.type(), a.scalar(), b.scalar());
    switch (op) {
      case CompareOp::kLt:
        return c < 0;
      case CompareOp::kLe:
        return c <= 0;
      case CompareOp::kGt:
        return c > 0;
      case CompareOp::kGe:
        return c >= 0;
      default:
        return false;
    }
  }

  static bool contains(const View& haystack, const View& needle) {
    if (!haystack.present() || !needle.present() || haystack.value() == nullptr) return false;
    const AttributeValue& h = *haystack.value();
    AttributeType n = needle.type();
    switch (h.type()) {
      case AttributeType::kS:
      case AttributeType::kB:
        return n == h.type() && h.scalar().find(needle.scalar()) != std::string::npos;
      case AttributeType::kSS:
        return n == AttributeType::kS && setContains(h.type(), h.elements(), needle.scalar());
      case AttributeType::kNS:
        return n == AttributeType::kN && setContains(h.type(), h.elements(), needle.scalar());
      case AttributeType::kBS:
        return n == AttributeType::kB && setContains(h.type(), h.elements(), needle.scalar());
      case AttributeType::kL:
        for (const AttributeValue& element : h.asList()) {
          if (equal(View(&element), needle)) return true;
        }
        return false;
      default:
        return false;
    }
  }

  const ConditionTree& tree_;
  const AttributeMap& item_;
};

}  // namespace
}  // namespace detail

bool evaluate(const Condition& condition, const AttributeMap& item) {
  const detail::ConditionTree& tree = condition.tree();
  if (tree.nodes.empty()) return false;
  return detail::Evaluator(tree, item).node(tree.root);
}

bool matches(const SortKeyCondition& condition, const AttributeValue& sortValue) {
  AttributeType t = sortValue.type();
  if (t != condition.low.type() || !detail::isScalar(t)) return false;
  std::string_view v = sortValue.scalar();
  std::string_view low = condition.low.scalar();
  int c = detail::compareScalars(t, v, low);
  switch (condition.op) {
    case SortKeyCondition::Op::kEq:
      return c == 0;
    case SortKeyCondition::Op::kLt:
      return c < 0;
    case SortKeyCondition::Op::kLe:
      return c <= 0;
    case SortKeyCondition::Op::kGt:
      return c > 0;
    case SortKeyCondition::Op::kGe:
      return c >= 0;
    case SortKeyCondition::Op::kBetween:
      return c >= 0 && condition.high.type() == t &&
             detail::compareScalars(t, v, condition.high.scalar()) <= 0;
    case SortKeyCondition::Op::kBeginsWith:
      return t != AttributeType::kN && v.starts_with(low);
  }
  return false;
}

}  // namespace bakery::table::expression
