#include "platform/gateway/router.h"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

namespace bakery::gateway {
namespace {

const std::set<std::string_view> kMethods = {"GET",    "POST", "PUT",     "PATCH",
                                             "DELETE", "HEAD", "OPTIONS", "ANY"};

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    out.push_back(path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int hi = hexValue(text[i + 1]), lo = hexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;
  std::string paramName;
  std::string greedyName;  // a greedy child ends the route here
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> greedyRoutes;
  // method -> (routeKey, target)
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> routes;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

core::Result<void> Router::add(std::string_view routeKey, std::string target) {
  auto invalid = [&](std::string_view why) {
    return core::Error::validation(fmt::format("invalid route '{}': {}", routeKey, why), "routes");
  };
  if (routeKey == "$default") {
    if (default_) return invalid("$default declared twice");
    default_.emplace(std::string(routeKey), std::move(target));
    keys_.emplace_back(routeKey);
    return {};
  }
  auto space = routeKey.find(' ');
  if (space == std::string_view::npos) return invalid("expected 'METHOD /path' or '$default'");
  std::string method(routeKey.substr(0, space));
  std::string_view path = routeKey.substr(space + 1);
  if (!kMethods.contains(method)) return invalid("unknown method");
  if (path.empty() || path.front() != '/') return invalid("path must start with '/'");

  auto segments = splitPath(path);
  if (path == "/") segments.clear();

  // First the syntax, then conflicts with what exists, and only then any change: a refused
  // route leaves the table as it was.
  struct Segment {
    enum Kind { kLiteral, kParam, kGreedy } kind;
    std::string text;  // literal text or parameter name
  };
  std::vector<Segment> parsed;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (seg.empty()) return invalid("empty path segment");
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string_view name = seg.substr(1, seg.size() - 2);
      bool greedy = !name.empty() && name.back() == '+';
      if (greedy) name.remove_suffix(1);
      if (name.empty() || name.find_first_of("{}+") != std::string_view::npos) {
        return invalid("malformed parameter name");
      }
      if (greedy && i + 1 != segments.size()) {
        return invalid("a greedy {name+} must be the last segment");
      }
      parsed.push_back({greedy ? Segment::kGreedy : Segment::kParam, std::string(name)});
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) return invalid("malformed segment");
      parsed.push_back({Segment::kLiteral, std::string(seg)});
    }
  }

  // Walks the path; with `create` false it only checks existing nodes for conflicts.
  auto walk = [&](bool create) -> core::Result<Node*> {
    Node* node = root_.get();
    for (const auto& seg : parsed) {
      switch (seg.kind) {
        case Segment::kLiteral: {
          auto it = node->literals.find(seg.text);
          if (it == node->literals.end()) {
            if (!create) return static_cast<Node*>(nullptr);
            it = node->literals.emplace(seg.text, std::make_unique<Node>()).first;
          }
          node = it->second.get();
          break;
        }
        case Segment::kParam:
          if (!node->param) {
            if (!create) return static_cast<Node*>(nullptr);
            node->param = std::make_unique<Node>();
            node->paramName = seg.text;
          } else if (node->paramName != seg.text) {
            return invalid(
                fmt::format("parameter {{{}}} conflicts with {{{}}} at the same position", seg.text,
                            node->paramName));
          }
          node = node->param.get();
          break;
        case Segment::kGreedy:
          if (!node->greedyName.empty() && node->greedyName != seg.text) {
            return invalid("conflicting greedy parameter names");
          }
          if (node->greedyRoutes.contains(method)) return invalid("declared twice");
          if (create) node->greedyName = seg.text;
          return node;
      }
    }
    if (node->routes.contains(method)) return invalid("declared twice");
    return node;
  };
  if (auto checked = walk(false); !checked) return checked.error();
  Node* node = *walk(true);
  auto& routes =
      !parsed.empty() && parsed.back().kind == Segment::kGreedy ? node->greedyRoutes : node->routes;
  routes.emplace(method, std::make_pair(std::string(routeKey), std::move(target)));
  keys_.emplace_back(routeKey);
  return {};
}

namespace {

using Routes = std::map<std::string, std::pair<std::string, std::string>, std::less<>>;

const std::pair<std::string, std::string>* pick(const Routes& routes, std::string_view method,
                                                std::set<std::string>& allowed) {
  if (auto it = routes.find(method); it != routes.end()) return &it->second;
  if (auto it = routes.find("ANY"); it != routes.end()) return &it->second;
  for (const auto& [m, _] : routes) allowed.insert(m);
  return nullptr;
}

}  // namespace

std::variant<RouteMatch, RouteMiss> Router::match(std::string_view method,
                                                  std::string_view path) const {
  auto segments = splitPath(path);
  if (path == "/") segments.clear();
  std::set<std::string> allowed;
  RouteMatch result;

  // Depth-first, most specific alternative first; parameters are bound on the way back up.
  auto walk = [&](auto&& self, const Node& node, std::size_t i) -> bool {
    if (i == segments.size()) {
      if (auto* r = pick(node.routes, method, allowed)) {
        result.routeKey = r->first;
        result.target = r->second;
        return true;
      }
      return false;
    }
    if (auto it = node.literals.find(segments[i]); it != node.literals.end()) {
      if (self(self, *it->second, i + 1)) return true;
    }
    if (node.param && !segments[i].empty()) {
      if (self(self, *node.param, i + 1)) {
        auto decoded = percentDecode(segments[i]);
        result.pathParameters.emplace_back(node.paramName,
                                           decoded ? *decoded : std::string(segments[i]));
        return true;
      }
    }
    if (!node.greedyRoutes.empty() && !(i + 1 == segments.size() && segments[i].empty())) {
      if (auto* r = pick(node.greedyRoutes, method, allowed)) {
        std::string rest;
        for (std::size_t k = i; k < segments.size(); ++k) {
          if (k > i) rest += '/';
          rest += segments[k];
        }
        auto decoded = percentDecode(rest);
        result.routeKey = r->first;
        result.target = r->second;
        result.pathParameters.emplace_back(node.greedyName, decoded ? *decoded : rest);
        return true;
      }
    }
    return false;
  };

  if (walk(walk, *root_, 0)) {
    std::reverse(result.pathParameters.begin(), result.pathParameters.end());
    return result;
  }
  if (default_) return RouteMatch{default_->first, default_->second, {}};
  return RouteMiss{std::move(allowed)};
}

std::vector<std::string> Router::routeKeys() const { return keys_; }

}  // namespace bakery::gateway
