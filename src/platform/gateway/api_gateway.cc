#include "platform/gateway/api_gateway.h"

#include <cmath>
#include <unordered_map>
#include <variant>

#include <boost/json/monotonic_resource.hpp>
#include <fmt/format.h>

#include <bakery/http.h>

#include "core/time_format.h"
#include "platform/gateway/trace_header.h"

namespace bakery::gateway {
namespace {

ServerResponse jsonResponse(int status, const json::value& body) {
  ServerResponse r;
  r.status = status;
  r.set("content-type", "application/json");
  r.body = core::toJson(body);
  return r;
}

}  // namespace

core::Result<std::unique_ptr<ApiGateway>> ApiGateway::create(ApiConfig config, Deps deps) {
  Router router;
  for (const auto* fn : deps.catalog.all()) {
    for (const auto& route : fn->spec.routes) {
      if (auto added = router.add(route, fn->spec.name); !added) return added.error();
    }
  }
  return std::unique_ptr<ApiGateway>(new ApiGateway(std::move(config), deps, std::move(router)));
}

ApiGateway::ApiGateway(ApiConfig config, Deps deps, Router router)
    : config_(std::move(config)), deps_(deps), router_(std::move(router)) {
  if (config_.cors) cors_.emplace(*config_.cors);
  notFound_ = &deps_.metrics.counter("bakery_gateway_unmatched_total",
                                     "Requests that matched no route (404/405).");
  for (const auto& key : router_.routeKeys()) {
    routeDurations_.emplace(
        key, &deps_.metrics.histogram("bakery_gateway_request_duration_seconds",
                                      "Time from a complete request to its response, by route.",
                                      {{"route", key}}));
  }
}

ServerResponse ApiGateway::errorResponse(const core::Error& error,
                                         std::string_view requestId) const {
  return jsonResponse(error.status(), errorBody(error, requestId));
}

ServerResponse ApiGateway::refusal(int status, std::string_view type, std::string_view message) {
  std::string requestId = deps_.ids.uuid();
  ServerResponse r =
      errorResponse(core::Error(std::string(type), status, std::string(message)), requestId);
  r.set("x-request-id", requestId);
  return r;
}

void ApiGateway::finishResponse(ServerResponse& response, const std::string& requestId,
                                std::string_view origin) const {
  if (cors_) cors_->decorate(origin, response);
  response.set("x-request-id", requestId);
}

bool ApiGateway::handleBuiltin(const ServerRequest& request, std::string_view path,
                               const std::string& requestId, Responder& respond) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  if (path == "/healthz") {
    ServerResponse r = jsonResponse(200, {{"status", "ok"}});
    r.set("x-request-id", requestId);
    respond(std::move(r));
    return true;
  }
  if (path == "/readyz") {
    json::object checks;
    bool ready = !draining_.load();
    checks["gateway"] = ready ? "ok" : "draining";
    for (const auto& [name, check] : readiness_) {
      bool ok = check();
      checks[name] = ok ? "ok" : "unavailable";
      ready = ready && ok;
    }
    ServerResponse r = jsonResponse(ready ? 200 : 503, {{"status", ready ? "ready" : "not ready"},
                                                        {"checks", std::move(checks)}});
    r.set("x-request-id", requestId);
    respond(std::move(r));
    return true;
  }
  if (path == "/metrics") {
    ServerResponse r;
    r.set("content-type", "text/plain; version=0.0.4; charset=utf-8");
    r.set("x-request-id", requestId);
    r.body = deps_.metrics.renderPrometheus();
    respond(std::move(r));
    return true;
  }
  return false;
}

void ApiGateway::handle(ServerRequest request, Responder respond) {
  auto received = deps_.clock.monoNow();
  auto incomingId = request.header("x-request-id");
  std::string requestId =
      incomingId && isValidRequestId(*incomingId) ? std::string(*incomingId) : deps_.ids.uuid();
  std::string_view target = request.target;
  if (target.empty() || target.front() != '/') {
    ServerResponse r = errorResponse(
        core::Error("BadRequestException", 400, "Request target must be an absolute path"),
        requestId);
    r.set("x-request-id", requestId);
    return respond(std::move(r));
  }
  std::string_view path = target.substr(0, target.find('?'));
  if (handleBuiltin(request, path, requestId, respond)) return;

  std::string origin(request.header("origin").value_or(""));
  if (cors_ && CorsPolicy::isPreflight(request)) {
    ServerResponse r = cors_->preflight(request);
    r.set("x-request-id", requestId);
    return respond(std::move(r));
  }

  auto matched = router_.match(request.method, path);
  if (auto* miss = std::get_if<RouteMiss>(&matched)) {
    notFound_->inc();
    ServerResponse r;
    if (miss->allowedMethods.empty()) {
      r = errorResponse(core::Error("NotFoundException", 404,
                                    fmt::format("No route for {} {}", request.method, path)),
                        requestId);
    } else {
      std::string allow;
      for (const auto& m : miss->allowedMethods) allow += (allow.empty() ? "" : ", ") + m;
      r = errorResponse(core::Error("MethodNotAllowedException", 405,
                                    fmt::format("{} is not allowed on {}", request.method, path)),
                        requestId);
      r.set("allow", allow);
    }
    finishResponse(r, requestId, origin);
    return respond(std::move(r));
  }
  RouteMatch& route = std::get<RouteMatch>(matched);
  runtime::RegisteredFunction* fn = deps_.catalog.find(route.target);

  runtime::InvocationRequest inv;
  inv.trace = continueOrStartTrace(request.header("traceparent"), deps_.ids);
  // One arena per event: it lives exactly as long as the event (and any copy of it).
  inv.event = buildEvent(EventInputs{request, route, config_.identity, requestId,
                                     deps_.clock.wallNow(), config_.listenPort, nullptr},
                         json::make_shared_resource<json::monotonic_resource>(4096));
  inv.requestId = requestId;
  inv.route = route.routeKey;
  std::string traceId = inv.trace.traceId;
  std::size_t bytesIn = request.body.size();

  auto durationIt = routeDurations_.find(route.routeKey);
  observability::Histogram* routeDuration =
      durationIt == routeDurations_.end() ? nullptr : durationIt->second;

  deps_.invoker.invoke(
      *fn, std::move(inv),
      [this, fn, requestId, traceId = std::move(traceId), origin = std::move(origin),
       routeKey = route.routeKey, received, bytesIn, routeDuration,
       respond = std::move(respond)](runtime::InvocationResult result) {
        ServerResponse response;
        if (result.error) {
          response = errorResponse(*result.error, requestId);
        } else if (auto mapped = mapResult(result.response); mapped) {
          response = std::move(mapped).value();
        } else {
          deps_.logger.log(LogLevel::kError, "malformed function response",
                           {{"requestId", requestId},
                            {"function", fn->spec.name},
                            {"reason", mapped.error().message()}});
          response = errorResponse(core::Error::internal(), requestId);
        }
        if (result.replayed) response.set("idempotency-replayed", "true");
        finishResponse(response, requestId, origin);

        auto elapsed = deps_.clock.monoNow() - received;
        if (routeDuration) routeDuration->observe(std::chrono::duration<double>(elapsed).count());
        if (deps_.logger.enabled(LogLevel::kInfo)) {
          // The line lives only for this call: a stack arena spares its allocations.
          unsigned char arena[1024];
          json::monotonic_resource memory(arena, sizeof(arena));
          json::object line(&memory);
          line.reserve(11);
          line["msg"] = "invocation";
          line["requestId"] = requestId;
          line["traceId"] = traceId;
          line["function"] = fn->spec.name;
          line["route"] = routeKey;
          line["status"] = response.status;
          // Microsecond precision is what the clock gives; more digits would be noise.
          line["durationMs"] =
              std::round(std::chrono::duration<double, std::micro>(elapsed).count()) / 1000.0;
          line["coldStart"] = result.coldStart;
          line["bytesIn"] = bytesIn;
          line["bytesOut"] = response.body.size();
          deps_.logger.log(LogLevel::kInfo, std::move(line));
        }
        respond(std::move(response));
      });
}

}  // namespace bakery::gateway
