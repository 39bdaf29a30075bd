// CorsPolicy: an HTTP API's CORS configuration, applied by the gateway as API Gateway does.
//
// The gateway answers preflight requests (OPTIONS with Origin and
// Access-Control-Request-Method) itself, whether or not an OPTIONS route exists, and adds the
// CORS response headers to other requests from an allowed origin; CORS headers a function
// returns are dropped. Origins are compared exactly ("*" allows any). Immutable; thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "platform/gateway/http_message.h"

namespace bakery::gateway {

struct CorsConfig {
  std::vector<std::string> allowOrigins;  // "*" or exact origins such as https://app.example
  std::vector<std::string> allowMethods;  // "*" or methods
  std::vector<std::string> allowHeaders;  // "*" or header names (case-insensitive)
  std::vector<std::string> exposeHeaders;
  bool allowCredentials = false;
  std::chrono::seconds maxAge{0};
};

class CorsPolicy {
 public:
  explicit CorsPolicy(CorsConfig config);

  static bool isPreflight(const ServerRequest& request);
  // The response to a preflight: 204, with CORS headers only when origin, method and headers
  // are all allowed (otherwise the browser sees no grant and blocks the request).
  ServerResponse preflight(const ServerRequest& request) const;
  // Drops any access-control-* headers from `response`, then grants `origin` if allowed.
  void decorate(std::string_view origin, ServerResponse& response) const;

  const CorsConfig& config() const { return config_; }

 private:
  bool originAllowed(std::string_view origin) const;
  std::string allowOriginValue(std::string_view origin) const;

  CorsConfig config_;
};

}  // namespace bakery::gateway
