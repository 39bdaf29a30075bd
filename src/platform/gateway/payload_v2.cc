#include "platform/gateway/payload_v2.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "core/time_format.h"

namespace bakery::gateway {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Appends `value` to `key` in `map`, comma-joining repeats, keeping first-seen order.
void joinInto(json::object& map, std::string_view key, std::string_view value) {
  auto it = map.find(key);
  if (it == map.end()) {
    map.emplace(key, value);
    return;
  }
  json::string& s = it->value().as_string();
  s.append(",");
  s.append(value);
}

void addQuery(json::object& params, std::string_view raw) {
  std::size_t start = 0;
  while (start <= raw.size()) {
    auto amp = raw.find('&', start);
    std::string_view part =
        raw.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      std::string_view k = part.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      auto dk = percentDecode(k);
      auto dv = percentDecode(v);
      joinInto(params, dk ? *dk : std::string(k), dv ? *dv : std::string(v));
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
}

bool isToken(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool isSafeValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Set by the server itself; a function may not override framing.
bool isManagedHeader(std::string_view name) {
  return equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "connection") ||
         equalsIgnoreCase(name, "transfer-encoding") || equalsIgnoreCase(name, "keep-alive") ||
         equalsIgnoreCase(name, "upgrade");
}

// "example.com:8080" -> "example.com"; "[::1]:8080" -> "[::1]".
std::string_view stripPort(std::string_view host) {
  auto colon = host.rfind(':');
  if (colon == std::string_view::npos) return host;
  auto bracket = host.rfind(']');
  if (bracket != std::string_view::npos && bracket > colon) return host;
  return host.substr(0, colon);
}

core::Error malformed(std::string message) {
  return core::Error("MalformedFunctionResponse", 500, std::move(message));
}

}  // namespace

bool isTextualContentType(std::string_view contentType) {
  std::string type = lower(trimWhitespace(contentType.substr(0, contentType.find(';'))));
  if (type.rfind("text/", 0) == 0) return true;
  static constexpr std::string_view kText[] = {
      "application/json",    "application/javascript", "application/ecmascript",
      "application/xml",     "application/yaml",       "application/x-yaml",
      "application/graphql", "application/ld+json",    "application/x-www-form-urlencoded"};
  if (std::find(std::begin(kText), std::end(kText), type) != std::end(kText)) return true;
  return type.ends_with("+json") || type.ends_with("+xml");
}

json::object buildEvent(const EventInputs& in, json::storage_ptr sp) {
  const ServerRequest& req = in.request;
  std::string_view target = req.target;
  auto q = target.find('?');
  std::string_view rawPath = target.substr(0, q);
  std::string_view rawQuery =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  json::object headers(sp);
  headers.reserve(req.headers.size() + 3);
  json::array cookies(sp);
  std::string_view contentType;
  std::string forwardedFor;
  std::string_view host, userAgent;
  for (const auto& h : req.headers) {
    std::string name = lower(h.name);
    if (name == "cookie") {
      std::string_view rest = h.value;
      while (!rest.empty()) {
        auto semi = rest.find(';');
        std::string_view c = trimWhitespace(rest.substr(0, semi));
        if (!c.empty()) cookies.emplace_back(c);
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
      }
      continue;
    }
    if (name == "x-forwarded-for") {
      forwardedFor += forwardedFor.empty() ? h.value : ", " + h.value;
      continue;
    }
    if (name == "content-type" && contentType.empty()) contentType = h.value;
    if (name == "host" && host.empty()) host = h.value;
    if (name == "user-agent" && userAgent.empty()) userAgent = h.value;
    joinInto(headers, name, h.value);
  }
  // API Gateway appends the client address and states how it was reached.
  forwardedFor += forwardedFor.empty() ? req.sourceIp : ", " + req.sourceIp;
  headers["x-forwarded-for"] = forwardedFor;
  char port[8];
  auto portEnd = fmt::format_to_n(port, sizeof(port), "{}", in.listenPort).out;
  headers["x-forwarded-port"] = std::string_view(port, static_cast<std::size_t>(portEnd - port));
  headers["x-forwarded-proto"] = "http";

  json::object event(sp);
  event.reserve(12);
  event["version"] = "2.0";
  event["routeKey"] = in.route.routeKey;
  event["rawPath"] = rawPath;
  event["rawQueryString"] = rawQuery;
  if (!cookies.empty()) event["cookies"] = std::move(cookies);
  event["headers"] = std::move(headers);
  if (!rawQuery.empty()) {
    json::object params(sp);
    addQuery(params, rawQuery);
    if (!params.empty()) event["queryStringParameters"] = std::move(params);
  }

  // API Gateway's domain names never carry a port.
  std::string_view hostOnly = stripPort(host);
  json::object http(sp);
  http["method"] = req.method;
  http["path"] = rawPath;
  http["protocol"] = req.protocol;
  http["sourceIp"] = req.sourceIp;
  http["userAgent"] = userAgent;
  json::object ctx(sp);
  ctx["accountId"] = in.api.accountId;
  ctx["apiId"] = in.api.apiId;
  if (in.authorizer) ctx["authorizer"] = *in.authorizer;
  ctx["domainName"] = hostOnly;
  ctx["domainPrefix"] = hostOnly.substr(0, hostOnly.find('.'));
  ctx["http"] = std::move(http);
  ctx["requestId"] = in.requestId;
  ctx["routeKey"] = in.route.routeKey;
  ctx["stage"] = in.api.stage;
  ctx["time"] = core::apiGatewayTimeView(in.time);
  ctx["timeEpoch"] = core::epochMillis(in.time);
  event["requestContext"] = std::move(ctx);

  if (!req.body.empty()) {
    bool text =
        (contentType.empty() || isTextualContentType(contentType)) && core::isValidUtf8(req.body);
    if (text) {
      event["body"] = req.body;
    } else {
      event["body"] = core::base64Encode(req.body);
    }
    event["isBase64Encoded"] = !text;
  } else {
    event["isBase64Encoded"] = false;
  }
  if (!in.route.pathParameters.empty()) {
    json::object params(sp);
    for (const auto& [k, v] : in.route.pathParameters) params[k] = v;
    event["pathParameters"] = std::move(params);
  }
  if (!in.api.stageVariables.empty()) {
    json::object vars(sp);
    for (const auto& [k, v] : in.api.stageVariables) vars[k] = v;
    event["stageVariables"] = std::move(vars);
  }
  return event;
}

core::Result<ServerResponse> mapResult(const json::value& result) {
  ServerResponse out;
  const json::object* obj = result.if_object();
  if (!obj || !obj->contains("statusCode")) {
    // API Gateway's inference: 200, application/json, the value itself as the body.
    out.set("content-type", "application/json");
    out.body = result.is_string() ? std::string(result.get_string()) : core::toJson(result);
    return out;
  }
  auto status = core::integerValue(obj->at("statusCode"));
  if (!status || *status < 100 || *status > 599) {
    return malformed("statusCode must be an integer from 100 to 599");
  }
  out.status = static_cast<int>(*status);

  bool hasContentType = false;
  if (auto it = obj->find("headers"); it != obj->end() && !it->value().is_null()) {
    if (!it->value().is_object()) return malformed("headers must be an object");
    for (const auto& kv : it->value().get_object()) {
      std::string_view name = kv.key();
      std::string value;
      if (kv.value().is_string()) {
        value = std::string(kv.value().get_string());
      } else if (kv.value().is_number() || kv.value().is_bool()) {
        value = core::toJson(kv.value());
      } else {
        return malformed(fmt::format("header '{}' must be a string", name));
      }
      if (!isToken(name) || !isSafeValue(value)) {
        return malformed(fmt::format("header '{}' has an invalid name or value", name));
      }
      if (isManagedHeader(name)) continue;
      if (equalsIgnoreCase(name, "content-type")) hasContentType = true;
      out.set(std::string(name), std::move(value));
    }
  }
  if (auto it = obj->find("cookies"); it != obj->end() && !it->value().is_null()) {
    if (!it->value().is_array()) return malformed("cookies must be an array of strings");
    for (const auto& c : it->value().get_array()) {
      if (!c.is_string() || !isSafeValue(c.get_string())) {
        return malformed("cookies must be an array of strings");
      }
      out.set("set-cookie", std::string(c.get_string()));
    }
  }
  bool base64 = false;
  if (auto it = obj->find("isBase64Encoded"); it != obj->end() && !it->value().is_null()) {
    if (!it->value().is_bool()) return malformed("isBase64Encoded must be a boolean");
    base64 = it->value().get_bool();
  }
  if (auto it = obj->find("body"); it != obj->end() && !it->value().is_null()) {
    if (!it->value().is_string()) return malformed("body must be a string");
    std::string_view body = it->value().get_string();
    if (base64) {
      auto decoded = core::base64Decode(body);
      if (!decoded) return malformed("body is not valid base64");
      out.body = std::move(*decoded);
    } else {
      out.body = std::string(body);
    }
  }
  if (!hasContentType && !out.body.empty()) out.set("content-type", "application/json");
  return out;
}

}  // namespace bakery::gateway
