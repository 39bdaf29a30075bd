// Applying a parsed UpdateExpression to an item.
//
// DynamoDB evaluates every operand against the item as it was before the update and reads
// every list index as a position in the original list. So SET values are computed first;
// then the actions run on copies of the top-level attributes they touch, with element
// removals and appends past the end of a list held back until all other actions are done
// (deepest lists first, removals from the highest index down). The copies replace the
// originals only when every action succeeded, which makes the update all-or-nothing without
// copying the whole item.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <bakery/table/number.h>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace detail {
namespace {

core::Error missingAttribute() {
  return core::Error::validation(
      "The provided expression refers to an attribute that does not exist in the item");
}
core::Error wrongType() {
  return core::Error::validation("An operand in the update expression has an incorrect data type");
}
core::Error invalidPath() {
  return core::Error::validation(
      "The document path provided in the update expression is invalid for update");
}

core::Result<AttributeValue> evaluateValue(const UpdateTree& tree, std::uint32_t index,
                                           const AttributeMap& item) {
  const ValueNode& node = tree.nodes[index];
  switch (node.kind) {
    case ValueKind::kPath: {
      const AttributeValue* v = resolvePath(item, tree.paths[node.a]);
      if (v == nullptr) return missingAttribute();
      return *v;
    }
    case ValueKind::kValue:
      return tree.values[node.a];
    case ValueKind::kIfNotExists: {
      const AttributeValue* v = resolvePath(item, tree.paths[node.a]);
      if (v != nullptr) return *v;
      return evaluateValue(tree, node.b, item);
    }
    case ValueKind::kListAppend: {
      auto first = evaluateValue(tree, node.a, item);
      if (!first.ok()) return first;
      if (!first->is(AttributeType::kL)) return wrongType();
      auto second = evaluateValue(tree, node.b, item);
      if (!second.ok()) return second;
      if (!second->is(AttributeType::kL)) return wrongType();
      AttributeList& joined = first->asList();
      AttributeList& tail = second->asList();
      joined.insert(joined.end(), std::make_move_iterator(tail.begin()),
                    std::make_move_iterator(tail.end()));
      return std::move(first).value();
    }
    case ValueKind::kPlus:
    case ValueKind::kMinus: {
      auto first = evaluateValue(tree, node.a, item);
      if (!first.ok()) return first;
      if (!first->is(AttributeType::kN)) return wrongType();
      auto second = evaluateValue(tree, node.b, item);
      if (!second.ok()) return second;
      if (!second->is(AttributeType::kN)) return wrongType();
      auto sum = node.kind == ValueKind::kPlus ? addNumbers(first->scalar(), second->scalar())
                                               : subtractNumbers(first->scalar(), second->scalar());
      if (!sum.ok()) return sum.error();
      return AttributeValue::number(std::move(sum).value());
    }
    case ValueKind::kMissing:
      return missingAttribute();
  }
  return missingAttribute();
}

// A change to a list's length, made once every other action is done.
struct ListChange {
  AttributeList* list;
  std::size_t depth;  // of the list's path: deeper lists change first
  bool remove;
  std::size_t index;
  std::size_t value;  // appended value: an index into Applier::appended_
};

// Where an action lands: the container that holds the target and the target's key in it.
struct Target {
  AttributeMap* map = nullptr;    // the target is a map member ...
  AttributeList* list = nullptr;  // ... or a list element
  const std::string* name = nullptr;
  std::size_t index = 0;

  AttributeValue* existing() const {
    if (map != nullptr) {
      auto it = map->find(*name);
      return it == map->end() ? nullptr : &it->second;
    }
    return index < list->size() ? &(*list)[index] : nullptr;
  }
};

class Applier {
 public:
  Applier(const UpdateTree& tree, AttributeMap& item) : tree_(tree), item_(item) {}

  core::Result<void> run() {
    std::vector<AttributeValue> setValues;
    for (const Action& action : tree_.actions) {
      if (action.kind != ActionKind::kSet) continue;
      auto value = evaluateValue(tree_, action.operand, item_);
      if (!value.ok()) return value.error();
      setValues.push_back(std::move(value).value());
    }
    for (const Action& action : tree_.actions) {
      const std::string& top = tree_.paths[action.path][0].name;
      bool seen = false;
      for (const std::string* name : touched_) seen = seen || *name == top;
      if (seen) continue;
      touched_.push_back(&top);
      auto it = item_.find(top);
      if (it != item_.end()) staged_.emplace(top, it->second);
    }
    std::size_t nextSet = 0;
    for (const Action& action : tree_.actions) {
      const Path& path = tree_.paths[action.path];
      auto target = locate(path);
      if (!target.ok()) return target.error();
      core::Result<void> done;
      switch (action.kind) {
        case ActionKind::kSet:
          put(*target, path, std::move(setValues[nextSet++]));
          break;
        case ActionKind::kRemove:
          remove(*target, path);
          break;
        case ActionKind::kAdd:
          done = add(*target, path, tree_.values[action.operand]);
          break;
        case ActionKind::kDelete:
          done = subtract(*target, path, tree_.values[action.operand]);
          break;
      }
      if (!done.ok()) return done;
    }
    applyListChanges();
    for (const std::string* name : touched_) {
      auto it = staged_.find(*name);
      if (it != staged_.end()) {
        item_.insert_or_assign(*name, std::move(it->second));
      } else {
        item_.erase(*name);
      }
    }
    return {};
  }

 private:
  // The container of `path`'s last element, which must exist and be of the right kind.
  core::Result<Target> locate(const Path& path) {
    Target slot;
    if (path.size() == 1) {
      slot.map = &staged_;
      slot.name = &path[0].name;
      return slot;
    }
    auto it = staged_.find(path[0].name);
    if (it == staged_.end()) return invalidPath();
    AttributeValue* cur = &it->second;
    for (std::size_t i = 1; i + 1 < path.size(); ++i) {
      const PathElement& e = path[i];
      if (e.index >= 0) {
        if (!cur->is(AttributeType::kL)) return invalidPath();
        AttributeList& list = cur->asList();
        if (static_cast<std::size_t>(e.index) >= list.size()) return invalidPath();
        cur = &list[static_cast<std::size_t>(e.index)];
      } else {
        if (!cur->is(AttributeType::kM)) return invalidPath();
        auto found = cur->asMap().find(e.name);
        if (found == cur->asMap().end()) return invalidPath();
        cur = &found->second;
      }
    }
    const PathElement& last = path.back();
    if (last.index >= 0) {
      if (!cur->is(AttributeType::kL)) return invalidPath();
      slot.list = &cur->asList();
      slot.index = static_cast<std::size_t>(last.index);
    } else {
      if (!cur->is(AttributeType::kM)) return invalidPath();
      slot.map = &cur->asMap();
      slot.name = &last.name;
    }
    return slot;
  }

  void put(const Target& slot, const Path& path, AttributeValue value) {
    if (slot.map != nullptr) {
      slot.map->insert_or_assign(*slot.name, std::move(value));
    } else if (slot.index < slot.list->size()) {
      (*slot.list)[slot.index] = std::move(value);
    } else {
      changes_.push_back({slot.list, path.size(), false, slot.index, appended_.size()});
      appended_.push_back(std::move(value));
    }
  }

  void remove(const Target& slot, const Path& path) {
    if (slot.map != nullptr) {
      slot.map->erase(*slot.name);
    } else if (slot.index < slot.list->size()) {
      changes_.push_back({slot.list, path.size(), true, slot.index, 0});
    }
  }

  core::Result<void> add(const Target& slot, const Path& path, const AttributeValue& value) {
    AttributeValue* existing = slot.existing();
    if (existing == nullptr) {
      put(slot, path, value);
      return {};
    }
    if (existing->type() != value.type()) return wrongType();
    if (value.is(AttributeType::kN)) {
      auto sum = addNumbers(existing->scalar(), value.scalar());
      if (!sum.ok()) return sum.error();
      *existing = AttributeValue::number(std::move(sum).value());
      return {};
    }
    std::vector<std::string> merged = existing->elements();
    merged.insert(merged.end(), value.elements().begin(), value.elements().end());
    *existing = AttributeValue::set(value.type(), std::move(merged));
    return {};
  }

  core::Result<void> subtract(const Target& slot, const Path& path, const AttributeValue& value) {
    AttributeValue* existing = slot.existing();
    if (existing == nullptr) return {};
    if (existing->type() != value.type()) return wrongType();
    std::vector<std::string> kept;
    for (const std::string& element : existing->elements()) {
      if (!setContains(value.type(), value.elements(), element)) kept.push_back(element);
    }
    if (kept.size() == existing->elements().size()) return {};
    if (kept.empty()) {
      remove(slot, path);  // DynamoDB has no empty sets: the attribute goes
    } else {
      *existing = AttributeValue::set(value.type(), std::move(kept));
    }
    return {};
  }

  void applyListChanges() {
    // Deeper lists first: changing a list moves the lists inside its elements. Within one
    // list, removals from the highest index down, then appends in index order.
    std::stable_sort(changes_.begin(), changes_.end(),
                     [](const ListChange& a, const ListChange& b) {
                       if (a.depth != b.depth) return a.depth > b.depth;
                       if (a.list != b.list) return a.list < b.list;
                       if (a.remove != b.remove) return a.remove;
                       return a.remove ? a.index > b.index : a.index < b.index;
                     });
    for (const ListChange& change : changes_) {
      if (change.remove) {
        change.list->erase(change.list->begin() + static_cast<std::ptrdiff_t>(change.index));
      } else {
        change.list->push_back(std::move(appended_[change.value]));
      }
    }
  }

  const UpdateTree& tree_;
  AttributeMap& item_;
  AttributeMap staged_;                      // copies of the touched top-level attributes
  std::vector<const std::string*> touched_;  // their names
  std::vector<ListChange> changes_;
  std::vector<AttributeValue> appended_;
};

}  // namespace
}  // namespace detail

core::Result<void> apply(const UpdatePlan& plan, AttributeMap& item) {
  return detail::Applier(plan.tree(), item).run();
}

}  // namespace bakery::table::expression
