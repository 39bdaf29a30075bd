#include "platform/gateway/cors.h"

#include <algorithm>

#include <fmt/format.h>

namespace bakery::gateway {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ',';
    out += i;
  }
  return out;
}

bool listAllows(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& item) {
    return item == "*" || equalsIgnoreCase(item, value);
  });
}

// The grant depends on Origin: caches must know, whatever else the function said varies.
void addVaryOrigin(ServerResponse& response) {
  for (auto& h : response.headers) {
    if (equalsIgnoreCase(h.name, "vary")) {
      if (h.value.find('*') == std::string::npos) h.value += ", Origin";
      return;
    }
  }
  response.set("vary", "Origin");
}

}  // namespace

CorsPolicy::CorsPolicy(CorsConfig config) : config_(std::move(config)) {}

bool CorsPolicy::isPreflight(const ServerRequest& request) {
  return request.method == "OPTIONS" && request.header("origin") &&
         request.header("access-control-request-method");
}

bool CorsPolicy::originAllowed(std::string_view origin) const {
  return std::any_of(config_.allowOrigins.begin(), config_.allowOrigins.end(),
                     [&](const std::string& o) { return o == "*" || o == origin; });
}

std::string CorsPolicy::allowOriginValue(std::string_view origin) const {
  // A credentialed response may not use the wildcard: echo the origin instead.
  bool wildcard = std::find(config_.allowOrigins.begin(), config_.allowOrigins.end(), "*") !=
                  config_.allowOrigins.end();
  return wildcard && !config_.allowCredentials ? "*" : std::string(origin);
}

ServerResponse CorsPolicy::preflight(const ServerRequest& request) const {
  ServerResponse response;
  response.status = 204;
  std::string_view origin = *request.header("origin");
  std::string_view method = *request.header("access-control-request-method");
  response.set("vary", "Origin");
  if (!originAllowed(origin) || !listAllows(config_.allowMethods, method)) return response;
  std::string_view requested = request.header("access-control-request-headers").value_or("");
  std::size_t start = 0;
  while (start <= requested.size() && !requested.empty()) {
    auto comma = requested.find(',', start);
    std::string_view name = trimWhitespace(requested.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!name.empty() && !listAllows(config_.allowHeaders, name)) return response;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  response.set("access-control-allow-origin", allowOriginValue(origin));
  response.set("access-control-allow-methods", join(config_.allowMethods));
  if (!config_.allowHeaders.empty()) {
    response.set("access-control-allow-headers", join(config_.allowHeaders));
  }
  if (config_.allowCredentials) response.set("access-control-allow-credentials", "true");
  if (config_.maxAge.count() > 0) {
    response.set("access-control-max-age", fmt::format("{}", config_.maxAge.count()));
  }
  return response;
}

void CorsPolicy::decorate(std::string_view origin, ServerResponse& response) const {
  std::erase_if(response.headers, [](const HttpHeader& h) {
    return h.name.size() >= 15 &&
           equalsIgnoreCase(std::string_view(h.name).substr(0, 15), "access-control-");
  });
  if (origin.empty() || !originAllowed(origin)) return;
  response.set("access-control-allow-origin", allowOriginValue(origin));
  if (!config_.exposeHeaders.empty()) {
    response.set("access-control-expose-headers", join(config_.exposeHeaders));
  }
  if (config_.allowCredentials) response.set("access-control-allow-credentials", "true");
  addVaryOrigin(response);
}

}  // namespace bakery::gateway
