// PathIndex and FlatEvent: an event as the matcher reads it.
//
// A PathIndex holds the dot-joined field paths some pattern names ("detail.state"), each
// with a small integer id, and the prefixes of those paths, so that flattening can skip
// every subtree no pattern looks at. Flattening turns the event's JSON into its scalar
// leaves: objects contribute their keys to the path, arrays contribute their elements
// (nested arrays are flattened too) and record, per leaf, which element of which array it
// came from, so that one pattern cannot be satisfied by two different elements of the same
// array. Empty arrays and objects have no leaves. Both types are thread-compatible; a
// built PathIndex may be read from many threads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/json.h"
#include "platform/bus/pattern/value_pattern.h"

namespace bakery::bus {

class PathIndex {
 public:
  // One step of a path; a key holding dots ("state.status") is the same as the nested keys.
  struct Node {
    std::int64_t id = -1;  // the path ending here, if any
    std::unordered_map<std::string, std::unique_ptr<Node>, std::hash<std::string>> children;
  };

  // The id of `path`, added when new.
  std::uint32_t add(std::string_view path);
  std::optional<std::uint32_t> find(std::string_view path) const;
  std::size_t size() const { return size_; }
  const Node& root() const { return root_; }
  // The node under `node` for the event key `key` (dot-joined keys walk several steps), or
  // null when no path continues there.
  static const Node* child(const Node& node, std::string_view key);

 private:
  Node root_;
  std::size_t size_ = 0;
};

// (array, element) pairs: the array positions a leaf sits in, outermost first. Empty (and so
// never allocated) for the leaves outside arrays.
using ArrayTrail = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

struct EventField {
  std::uint32_t path;
  FieldValue value;
  ArrayTrail trail;
};

class FlatEvent {
 public:
  // The leaves of `event` whose paths `paths` knows. `event` must outlive this object (its
  // strings are viewed, not copied).
  void assign(const json::value& event, const PathIndex& paths);

  const std::vector<EventField>& fields() const { return fields_; }
  // The leaves at `path` (contiguous: fields are sorted by path id).
  std::pair<const EventField*, const EventField*> at(std::uint32_t path) const;
  bool has(std::uint32_t path) const {
    auto [b, e] = at(path);
    return b != e;
  }

 private:
  void visit(const json::value& v, const PathIndex::Node& node, ArrayTrail& trail);

  std::vector<EventField> fields_;
  std::deque<std::string> texts_;  // decimal texts of integers not exact as doubles
  std::uint32_t arrays_ = 0;
};

// Whether two trails agree on every array they share.
bool consistent(const ArrayTrail& a, const ArrayTrail& b);

}  // namespace bakery::bus
