// ProjectionExpression: a comma-separated list of document paths.
#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/table/expression/expression.h"
#include "platform/table/expression/parser_base.h"
#include "platform/table/expression/tree.h"

namespace bakery::table::expression {
namespace detail {
namespace {

class ProjectionParser : public ParserBase {
 public:
  ProjectionParser(std::string_view text, Placeholders& ph)
      : ParserBase(text, "ProjectionExpression", ph) {}

  core::Result<Projection> run() {
    Projection projection;
    for (;;) {
      Path path;
      if (!parsePath(path, Slot::kAttrNameVal)) break;
      projection.paths.push_back(std::move(path));
      if (peekKind() == TokenKind::kComma) {
        advance();
      } else {
        if (peekKind() != TokenKind::kEnd) syntaxError();
        break;
      }
    }
    if (!failed()) {
      const auto& paths = projection.paths;
      for (std::size_t i = 1; i < paths.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (checkOverlap(paths[j], paths[i])) break;
        }
      }
    }
    if (auto error = firstError(
            {Slot::kReserved, Slot::kAttrNameVal, Slot::kPathOverlap, Slot::kPathConflict})) {
      return *std::move(error);
    }
    std::sort(projection.paths.begin(), projection.paths.end(), pathLess);
    return projection;
  }

 private:
  // Names bytewise, indexes numerically, so project() meets the paths into one list in index
  // order and the paths into one element next to each other.
  static bool pathLess(const Path& a, const Path& b) {
    std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      const PathElement& x = a[i];
      const PathElement& y = b[i];
      if (x.index != y.index) return x.index < y.index;
      if (x.name != y.name) return x.name < y.name;
    }
    return a.size() < b.size();
  }
};

// An empty container of the same kind as `v` (a map or a list).
AttributeValue emptyLike(const AttributeValue& v) {
  return v.is(AttributeType::kL) ? AttributeValue::list({}) : AttributeValue::map({});
}

std::size_t commonPrefix(const Path& a, const Path& b) {
  std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace
}  // namespace detail

core::Result<Projection> parseProjection(std::string_view text, Placeholders& ph) {
  if (auto error = detail::checkExpressionText(text, "ProjectionExpression")) {
    return *std::move(error);
  }
  return detail::ProjectionParser(text, ph).run();
}

AttributeMap project(const Projection& projection, const AttributeMap& item) {
  AttributeMap out;
  const Path* previous = nullptr;  // the last path copied into `out`
  for (const Path& path : projection.paths) {
    const AttributeValue* value = detail::resolvePath(item, path);
    if (value == nullptr) continue;
    if (path.size() == 1) {
      out.insert_or_assign(path[0].name, *value);
      previous = &path;
      continue;
    }
    // Paths are sorted, so one that shares a list element with the previous copied path
    // shares the element that path appended last.
    std::size_t shared = previous != nullptr ? detail::commonPrefix(*previous, path) : 0;
    const AttributeValue* src = &item.find(path[0].name)->second;
    auto [top, inserted] = out.try_emplace(path[0].name);
    if (inserted) top->second = detail::emptyLike(*src);
    AttributeValue* dst = &top->second;
    for (std::size_t i = 1; i < path.size(); ++i) {
      const PathElement& e = path[i];
      bool last = i + 1 == path.size();
      // Paths from parseProjection never disagree on a container's kind; hand-built ones might.
      if (!dst->is(e.index >= 0 ? AttributeType::kL : AttributeType::kM)) break;
      if (e.index >= 0) {
        src = &src->asList()[static_cast<std::size_t>(e.index)];
        AttributeList& list = dst->asList();
        if (i >= shared || list.empty()) list.push_back(last ? *src : detail::emptyLike(*src));
        dst = &list.back();
      } else {
        src = &src->asMap().find(e.name)->second;
        auto [member, added] = dst->asMap().try_emplace(e.name);
        if (last) {
          member->second = *src;
        } else if (added) {
          member->second = detail::emptyLike(*src);
        }
        dst = &member->second;
      }
    }
    previous = &path;
  }
  return out;
}

}  // namespace bakery::table::expression
