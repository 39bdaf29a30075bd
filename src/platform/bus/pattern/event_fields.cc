#include "platform/bus/pattern/event_fields.h"

#include <algorithm>

namespace bakery::bus {

std::uint32_t PathIndex::add(std::string_view path) {
  auto it = paths_.find(path);
  if (it != paths_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(paths_.size());
  paths_.emplace(std::string(path), id);
  for (std::size_t dot = path.find('.'); dot != std::string_view::npos;
       dot = path.find('.', dot + 1)) {
    prefixes_.emplace(path.substr(0, dot));
  }
  return id;
}

std::optional<std::uint32_t> PathIndex::find(std::string_view path) const {
  auto it = paths_.find(path);
  if (it == paths_.end()) return std::nullopt;
  return it->second;
}

bool PathIndex::isPrefix(std::string_view path) const {
  return prefixes_.find(path) != prefixes_.end();
}

void FlatEvent::assign(const json::value& event, const PathIndex& paths) {
  fields_.clear();
  texts_.clear();
  arrays_ = 0;
  std::string path;
  path.reserve(64);
  ArrayTrail trail;
  if (event.is_object()) visit(event, path, paths, trail);
  std::stable_sort(fields_.begin(), fields_.end(),
                   [](const EventField& a, const EventField& b) { return a.path < b.path; });
}

void FlatEvent::visit(const json::value& v, std::string& path, const PathIndex& paths,
                      ArrayTrail& trail) {
  switch (v.kind()) {
    case json::kind::object: {
      std::size_t base = path.size();
      for (const auto& member : v.get_object()) {
        if (base > 0) path += '.';
        path += member.key();
        // Descend only where some pattern path ends or continues.
        if (paths.find(path) || paths.isPrefix(path)) visit(member.value(), path, paths, trail);
        path.resize(base);
      }
      return;
    }
    case json::kind::array: {
      std::uint32_t id = arrays_++;
      std::uint32_t index = 0;
      for (const json::value& element : v.get_array()) {
        trail.emplace_back(id, index++);
        visit(element, path, paths, trail);
        trail.pop_back();
      }
      return;
    }
    default:
      break;
  }
  auto id = paths.find(path);
  if (!id) return;
  EventField field{*id, {}, trail};
  FieldValue& value = field.value;
  switch (v.kind()) {
    case json::kind::string:
      value.type = FieldValue::Type::kString;
      value.text = v.get_string();
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
