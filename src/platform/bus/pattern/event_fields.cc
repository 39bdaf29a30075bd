#include "platform/bus/pattern/event_fields.h"

#include <algorithm>
#include <utility>

namespace bakery::bus {

std::uint32_t PathIndex::add(std::string_view path) {
  Node* node = &root_;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string segment(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    auto& next = node->children[segment];
    if (!next) next = std::make_unique<Node>();
    node = next.get();
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (node->id < 0) node->id = static_cast<std::int64_t>(size_++);
  return static_cast<std::uint32_t>(node->id);
}

const PathIndex::Node* PathIndex::child(const Node& node, std::string_view key) {
  // Heterogeneous lookup would need a transparent hash; the keys are short, so a string is
  // built only in the rare dotted case below, and the common lookup hashes `key` in place.
  if (node.children.empty()) return nullptr;
  static thread_local std::string buffer;
  buffer.assign(key);
  auto it = node.children.find(buffer);
  if (it != node.children.end()) return it->second.get();
  if (key.find('.') == std::string_view::npos) return nullptr;
  const Node* at = &node;
  std::size_t start = 0;
  while (at) {
    std::size_t dot = key.find('.', start);
    buffer.assign(key.substr(start, dot == std::string_view::npos ? dot : dot - start));
    auto step = at->children.find(buffer);
    at = step == at->children.end() ? nullptr : step->second.get();
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return at;
}

std::optional<std::uint32_t> PathIndex::find(std::string_view path) const {
  const Node* node = child(root_, path);
  if (!node || node->id < 0) return std::nullopt;
  return static_cast<std::uint32_t>(node->id);
}

void FlatEvent::assign(const json::value& event, const PathIndex& paths) {
  fields_.clear();
  texts_.clear();
  arrays_ = 0;
  ArrayTrail trail;
  if (event.is_object()) visit(event, paths.root(), trail);
  // Few fields: an insertion sort by path, stable, without allocating.
  for (std::size_t i = 1; i < fields_.size(); ++i) {
    for (std::size_t j = i; j > 0 && fields_[j - 1].path > fields_[j].path; --j) {
      std::swap(fields_[j - 1], fields_[j]);
    }
  }
}

void FlatEvent::visit(const json::value& v, const PathIndex::Node& node, ArrayTrail& trail) {
  switch (v.kind()) {
    case json::kind::object:
      for (const auto& member : v.get_object()) {
        // Descend only where some pattern path ends or continues.
        if (const PathIndex::Node* next = PathIndex::child(node, member.key())) {
          visit(member.value(), *next, trail);
        }
      }
      return;
    case json::kind::array: {
      std::uint32_t id = arrays_++;
      std::uint32_t index = 0;
      for (const json::value& element : v.get_array()) {
        trail.emplace_back(id, index++);
        visit(element, node, trail);
        trail.pop_back();
      }
      return;
    }
    default:
      break;
  }
  if (node.id < 0) return;
  EventField field{static_cast<std::uint32_t>(node.id), {}, trail};
  FieldValue& value = field.value;
  switch (v.kind()) {
    case json::kind::string:
      value.type = FieldValue::Type::kString;
      value.text = v.get_string();
      value.hash = std::hash<std::string_view>{}(value.text);
      break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      NumberKey key = v.is_int64()    ? numberKey(v.get_int64())
                      : v.is_uint64() ? numberKey(v.get_uint64())
                                      : numberKey(v.get_double());
      value.type = FieldValue::Type::kNumber;
      value.number = key.number;
      value.exactDouble = key.exactDouble;
      if (!key.exactDouble) value.text = texts_.emplace_back(std::move(key.text));
      break;
    }
    case json::kind::bool_:
      value.type = v.get_bool() ? FieldValue::Type::kTrue : FieldValue::Type::kFalse;
      break;
    default:
      value.type = FieldValue::Type::kNull;
      break;
  }
  fields_.push_back(std::move(field));
}

std::pair<const EventField*, const EventField*> FlatEvent::at(std::uint32_t path) const {
  auto lower = std::lower_bound(fields_.begin(), fields_.end(), path,
                                [](const EventField& f, std::uint32_t p) { return f.path < p; });
  auto upper = lower;
  while (upper != fields_.end() && upper->path == path) ++upper;
  const EventField* base = fields_.data();
  return {base + (lower - fields_.begin()), base + (upper - fields_.begin())};
}

bool consistent(const ArrayTrail& a, const ArrayTrail& b) {
  for (const auto& [array, element] : a) {
    for (const auto& [otherArray, otherElement] : b) {
      if (array == otherArray && element != otherElement) return false;
    }
  }
  return true;
}

}  // namespace bakery::bus
