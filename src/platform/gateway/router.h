// Router: API Gateway HTTP API route selection.
//
// Route keys are `METHOD /path` with literal segments, `{name}` parameters and one trailing
// greedy `{name+}`, `ANY` as the method, or `$default`. Like API Gateway, the most specific
// path wins: a literal segment beats a parameter, which beats a greedy parameter; on one path
// an explicit method beats ANY. A path that matches only under other methods is a 405 with
// the methods it allows. Built once at start-up; match() is const and thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace bakery::gateway {

struct RouteMatch {
  std::string routeKey;  // as declared, e.g. "GET /v1/items/{id}"
  std::string target;    // the function name the route invokes
  std::vector<std::pair<std::string, std::string>> pathParameters;  // decoded values
};

struct RouteMiss {
  std::set<std::string> allowedMethods;  // empty: 404; otherwise 405 with these
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // A bad or duplicate route key is a ValidationException naming it.
  core::Result<void> add(std::string_view routeKey, std::string target);
  // `path` is the raw (percent-encoded) path.
  std::variant<RouteMatch, RouteMiss> match(std::string_view method, std::string_view path) const;
  std::vector<std::string> routeKeys() const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
  std::optional<std::pair<std::string, std::string>> default_;  // routeKey, target
  std::vector<std::string> keys_;
};

// Percent-decodes `text`; nullopt for a malformed escape. '+' stays '+'.
std::optional<std::string> percentDecode(std::string_view text);

}  // namespace bakery::gateway
