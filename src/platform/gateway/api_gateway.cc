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

// requestContext.authorizer as API Gateway fills it: `jwt` {claims, scopes} for a token,
// `lambda` (the authorizer function's context) for an API key.
json::object authorizerContext(const Identity& identity) {
  json::array roles(identity.roles.begin(), identity.roles.end());
  json::array scopes(identity.scopes.begin(), identity.scopes.end());
  if (identity.source == Identity::Source::kApiKey) {
    return json::object{{"lambda", json::object{{"tenant", identity.tenant},
                                                {"subject", identity.subject},
                                                {"roles", std::move(roles)},
                                                {"scopes", std::move(scopes)}}}};
  }
  return json::object{{"jwt", json::object{{"claims", json::object{{"sub", identity.subject},
                                                                   {"tenant", identity.tenant},
                                                                   {"iss", identity.issuer},
                                                                   {"roles", roles}}},
                                           {"scopes", std::move(scopes)}}}};
}

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
  std::unordered_map<std::string, Authorization> authorizations;
  for (const auto* fn : deps.catalog.all()) {
    for (const auto& route : fn->spec.routes) {
      if (auto added = router.add(route.key, fn->spec.name); !added) return added.error();
      authorizations.emplace(route.key, route.authorization);
    }
  }
  runtime::RegisteredFunction* apiKeyFunction = nullptr;
  if (!config.apiKeyAuthorizer.empty()) {
    apiKeyFunction = deps.catalog.find(config.apiKeyAuthorizer);
    if (!apiKeyFunction) {
      return core::Error::validation(
          fmt::format("API key authorizer '{}' is not a registered function",
                      config.apiKeyAuthorizer),
          "auth.apiKeyAuthorizer");
    }
  }
  std::unique_ptr<ApiGateway> gateway(new ApiGateway(std::move(config), deps, std::move(router)));
  gateway->authorizations_ = std::move(authorizations);
  gateway->apiKeyFunction_ = apiKeyFunction;
  if (deps.authorizer && apiKeyFunction) {
    ApiGateway* self = gateway.get();
    deps.authorizer->setApiKeyCheck([self](const std::string& key, const ServerRequest& request,
                                           const std::string& routeKey,
                                           std::function<void(core::Result<Identity>)> done) {
      self->checkApiKey(key, request, routeKey, std::move(done));
    });
  }
  return gateway;
}

void ApiGateway::checkApiKey(const std::string& key, const ServerRequest& request,
                             const std::string& routeKey,
                             std::function<void(core::Result<Identity>)> done) {
  std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  std::string method = routeKey.substr(0, routeKey.find(' '));
  runtime::InvocationRequest inv;
  inv.requestId = deps_.ids.uuid();
  inv.trace = continueOrStartTrace(request.header("traceparent"), deps_.ids);
  inv.event = json::object{
      {"version", "2.0"},
      {"type", "REQUEST"},
      {"routeArn", fmt::format("arn:aws:execute-api:{}:{}:{}/{}/{}{}", config_.identity.region,
                               config_.identity.accountId, config_.identity.apiId,
                               config_.identity.stage, request.method, path)},
      {"identitySource", json::array{json::value(key)}},
      {"routeKey", routeKey},
      {"rawPath", path},
      {"requestContext", json::object{{"requestId", inv.requestId},
                                      {"http", json::object{{"method", request.method},
                                                            {"path", path},
                                                            {"sourceIp", request.sourceIp}}}}}};
  deps_.invoker.invoke(
      *apiKeyFunction_, std::move(inv),
      [this, done = std::move(done)](runtime::InvocationResult result) {
        if (result.error) {
          deps_.logger.log(LogLevel::kWarn, "API key authorizer failed",
                           {{"error", result.error->message()}});
          if (result.error->status() >= 500) return done(*result.error);
          return done(core::Error("UnauthorizedException", 401, "Invalid API key"));
        }
        done(apiKeyIdentity(result.response));
      });
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
  auto authIt = authorizations_.find(route.routeKey);
  if (authIt == authorizations_.end() || authIt->second.isPublic) {
    return dispatch(request, std::move(route), std::nullopt, std::move(requestId),
                    std::move(origin), received, std::move(respond));
  }
  if (!deps_.authorizer) {
    ServerResponse r = errorResponse(
        core::Error("UnauthorizedException", 401, "No authorizer is configured"), requestId);
    finishResponse(r, requestId, origin);
    return respond(std::move(r));
  }
  // The request outlives this call when an API key is checked by a function.
  auto held = std::make_shared<ServerRequest>(std::move(request));
  auto routeKey = route.routeKey;
  deps_.authorizer->authorize(
      *held, routeKey, authIt->second,
      [this, held, route = std::move(route), requestId, origin, received,
       respond = std::move(respond)](core::Result<std::optional<Identity>> identity) mutable {
        if (!identity) {
          ServerResponse r = errorResponse(identity.error(), requestId);
          r.set("www-authenticate", bearerChallenge(identity.error()));
          finishResponse(r, requestId, origin);
          return respond(std::move(r));
        }
        dispatch(*held, std::move(route), std::move(identity).value(), std::move(requestId),
                 std::move(origin), received, std::move(respond));
      });
}

void ApiGateway::dispatch(const ServerRequest& request, RouteMatch route,
                          std::optional<Identity> identity, std::string requestId,
                          std::string origin, core::Clock::MonoTime received, Responder respond) {
  runtime::RegisteredFunction* fn = deps_.catalog.find(route.target);
  json::object authorizer;
  if (identity) authorizer = authorizerContext(*identity);

  runtime::InvocationRequest inv;
  inv.trace = continueOrStartTrace(request.header("traceparent"), deps_.ids);
  // One arena per event: it lives exactly as long as the event (and any copy of it).
  inv.event =
      buildEvent(EventInputs{request, route, config_.identity, requestId, deps_.clock.wallNow(),
                             config_.listenPort, identity ? &authorizer : nullptr},
                 json::make_shared_resource<json::monotonic_resource>(4096));
  inv.requestId = requestId;
  inv.route = route.routeKey;
  if (identity) {
    inv.tenant = identity->tenant;
    inv.identity = std::move(identity);
  }
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
