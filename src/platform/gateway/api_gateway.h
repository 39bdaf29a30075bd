// ApiGateway: the app listener's request path, as ARCHITECTURE.md draws it.
//
//   built-ins (/healthz, /readyz, /metrics) -> CORS preflight -> route match (404/405) ->
//   authorizer (the route's Authorization: 401/403) -> payload 2.0 event -> invoker (schema,
//   idempotency, concurrency, deadline) -> response mapping -> request id, trace and CORS headers
//   -> one log line + metrics.
//
// Every request gets a request id (a valid incoming x-request-id is echoed, otherwise a new
// one) returned as `x-request-id`, and a W3C trace context passed to the function. Errors use
// the app API's shape {"error": {"type", "message", "requestId"}}. Thread-safe: handle() runs
// on the server's I/O threads and completes on worker threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "platform/gateway/authorizer.h"
#include "platform/gateway/cors.h"
#include "platform/gateway/http_message.h"
#include "platform/gateway/payload_v2.h"
#include "platform/gateway/router.h"
#include "platform/observability/logger.h"
#include "platform/observability/metrics_registry.h"
#include "platform/runtime/function_catalog.h"
#include "platform/runtime/invoker.h"

namespace bakery::gateway {

struct ApiConfig {
  ApiIdentity identity;
  std::optional<CorsConfig> cors;
  std::uint16_t listenPort = 0;  // for x-forwarded-port
  // The function that checks API keys (an API Gateway Lambda authorizer, payload 2.0, simple
  // responses); empty: API keys are refused.
  std::string apiKeyAuthorizer;
};

// A named check that /readyz runs: true when that engine is open and serving.
using ReadinessCheck = std::pair<std::string, std::function<bool()>>;

class ApiGateway final : public RequestHandler {
 public:
  struct Deps {
    runtime::FunctionCatalog& catalog;
    runtime::Invoker& invoker;
    observability::Logger& logger;
    observability::MetricsRegistry& metrics;
    const core::Clock& clock;
    core::IdGenerator& ids;
    // Null: every route that is not public answers 401.
    Authorizer* authorizer = nullptr;
  };

  // Builds the route table from every function's routes; a bad or duplicate route fails.
  static core::Result<std::unique_ptr<ApiGateway>> create(ApiConfig config, Deps deps);

  void handle(ServerRequest request, Responder respond) override;
  ServerResponse refusal(int status, std::string_view type, std::string_view message) override;

  void addReadinessCheck(ReadinessCheck check) { readiness_.push_back(std::move(check)); }
  void setListenPort(std::uint16_t port) { config_.listenPort = port; }
  // While draining, /readyz answers 503 so a load balancer stops sending traffic.
  void setDraining(bool draining) { draining_.store(draining); }

 private:
  ApiGateway(ApiConfig config, Deps deps, Router router);
  bool handleBuiltin(const ServerRequest& request, std::string_view path,
                     const std::string& requestId, Responder& respond);
  ServerResponse errorResponse(const core::Error& error, std::string_view requestId) const;
  // The request once its caller is known: event, invocation, response.
  void dispatch(const ServerRequest& request, RouteMatch route, std::optional<Identity> identity,
                std::string requestId, std::string origin, core::Clock::MonoTime received,
                Responder respond);
  void checkApiKey(const std::string& key, const ServerRequest& request,
                   const std::string& routeKey, std::function<void(core::Result<Identity>)> done);
  void finishResponse(ServerResponse& response, const std::string& requestId,
                      std::string_view origin) const;

  ApiConfig config_;
  Deps deps_;
  Router router_;
  std::optional<CorsPolicy> cors_;
  std::vector<ReadinessCheck> readiness_;
  std::atomic<bool> draining_{false};
  observability::Counter* notFound_;
  // Created for every route at start-up, so the request path never takes the registry lock.
  std::unordered_map<std::string, observability::Histogram*> routeDurations_;
  std::unordered_map<std::string, Authorization> authorizations_;  // by route key
  runtime::RegisteredFunction* apiKeyFunction_ = nullptr;
};

}  // namespace bakery::gateway
