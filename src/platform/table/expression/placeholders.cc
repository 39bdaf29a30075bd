#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace {

void markUsed(std::vector<const std::string*>& used, const std::string* key) {
  // Requests use a few placeholders, each often more than once: a short scan beats a set.
  if (std::find(used.begin(), used.end(), key) == used.end()) used.push_back(key);
}

// The keys of `map` no expression used, as DynamoDB lists them: "{#a, #b}".
template <class Map>
std::string unusedKeys(const Map& map, std::vector<const std::string*> used) {
  std::sort(used.begin(), used.end());
  std::string keys;
  for (const auto& [key, value] : map) {
    if (std::binary_search(used.begin(), used.end(), &key)) continue;
    if (!keys.empty()) keys += ", ";
    keys += key;
  }
  return keys;
}

}  // namespace

Placeholders::Placeholders(const NameMap* names, const AttributeMap* values)
    : names_(names), values_(values) {}

const std::string* Placeholders::useName(std::string_view key) {
  if (names_ == nullptr) return nullptr;
  auto it = names_->find(key);
  if (it == names_->end()) return nullptr;
  markUsed(usedNames_, &it->first);
  return &it->second;
}

const AttributeValue* Placeholders::useValue(std::string_view key) {
  if (values_ == nullptr) return nullptr;
  auto it = values_->find(key);
  if (it == values_->end()) return nullptr;
  markUsed(usedValues_, &it->first);
  return &it->second;
}

core::Result<void> Placeholders::checkAllUsed() const {
  if (names_ != nullptr && usedNames_.size() < names_->size()) {
    return core::Error::validation(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" +
        unusedKeys(*names_, usedNames_) + "}");
  }
  if (values_ != nullptr && usedValues_.size() < values_->size()) {
    return core::Error::validation(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" +
        unusedKeys(*values_, usedValues_) + "}");
  }
  return {};
}

std::string renderPath(const Path& path) {
  std::string out;
  for (const PathElement& e : path) {
    if (e.index >= 0) {
      out += '[';
      out += std::to_string(e.index);
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += e.name;
    }
  }
  return out;
}

namespace detail {

std::string bracketPath(const Path& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) out += ", ";
    if (path[i].index >= 0) {
      out += '[';
      out += std::to_string(path[i].index);
      out += ']';
    } else {
      out += path[i].name;
    }
  }
  out += ']';
  return out;
}

}  // namespace detail
}  // namespace bakery::table::expression
