// Typed views over API Gateway HTTP API payload 2.0 events and responses.
//
// HttpRequest reads an event without copying it (the event must outlive the view);
// HttpResponse builds the structured response. Both are plain values; the JSON stays the
// contract, so a handler written against them runs unchanged on AWS Lambda.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "core/json.h"
#include "core/result.h"

namespace bakery {

class HttpRequest {
 public:
  explicit HttpRequest(const json::value& event) : event_(event.as_object()) {}

  std::string_view method() const { return nested("requestContext", "http", "method"); }
  std::string_view rawPath() const { return member("rawPath"); }
  std::string_view routeKey() const { return member("routeKey"); }
  // Header by lower-case name (repeated headers arrive joined by commas).
  std::optional<std::string_view> header(std::string_view lowerName) const {
    return lookup("headers", lowerName);
  }
  std::optional<std::string_view> query(std::string_view name) const {
    return lookup("queryStringParameters", name);
  }
  std::optional<std::string_view> pathParam(std::string_view name) const {
    return lookup("pathParameters", name);
  }
  // The body as bytes (base64-decoded when the event says so); empty when absent.
  std::string body() const {
    auto b = core::stringMember(event_, "body");
    if (!b) return {};
    auto it = event_.find("isBase64Encoded");
    if (it != event_.end() && it->value().is_bool() && it->value().get_bool()) {
      return core::base64Decode(*b).value_or(std::string());
    }
    return std::string(*b);
  }
  // The body parsed as JSON; a ValidationException naming `body` when it is not JSON.
  core::Result<json::value> jsonBody() const { return core::parseJson(body(), "body"); }

 private:
  std::string_view member(std::string_view key) const {
    return core::stringMember(event_, key).value_or(std::string_view());
  }
  std::string_view nested(std::string_view a, std::string_view b, std::string_view c) const {
    auto ia = event_.find(a);
    if (ia == event_.end() || !ia->value().is_object()) return {};
    auto ib = ia->value().get_object().find(b);
    if (ib == ia->value().get_object().end() || !ib->value().is_object()) return {};
    return core::stringMember(ib->value().get_object(), c).value_or(std::string_view());
  }
  std::optional<std::string_view> lookup(std::string_view map, std::string_view key) const {
    auto it = event_.find(map);
    if (it == event_.end() || !it->value().is_object()) return std::nullopt;
    return core::stringMember(it->value().get_object(), key);
  }

  const json::object& event_;
};

class HttpResponse {
 public:
  explicit HttpResponse(int status = 200) : status_(status) {}

  HttpResponse& header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  HttpResponse& cookie(std::string setCookie) {
    cookies_.push_back(std::move(setCookie));
    return *this;
  }
  HttpResponse& body(std::string text) {
    body_ = std::move(text);
    base64_ = false;
    return *this;
  }
  HttpResponse& binaryBody(std::string_view bytes) {
    body_ = core::base64Encode(bytes);
    base64_ = true;
    return *this;
  }
  HttpResponse& jsonBody(const json::value& v) {
    header("content-type", "application/json");
    return body(core::toJson(v));
  }

  json::value toJson() const {
    json::object out;
    out["statusCode"] = status_;
    json::object headers;
    for (const auto& [k, v] : headers_) headers[k] = v;
    out["headers"] = std::move(headers);
    if (!cookies_.empty()) {
      json::array cookies;
      for (const auto& c : cookies_) cookies.emplace_back(c);
      out["cookies"] = std::move(cookies);
    }
    out["body"] = body_;
    out["isBase64Encoded"] = base64_;
    return out;
  }

 private:
  int status_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::string> cookies_;
  std::string body_;
  bool base64_ = false;
};

// The app API's error shape: {"error": {"type", "message", "requestId", "field"?}}.
inline json::value errorBody(const core::Error& error, std::string_view requestId) {
  json::object e;
  e["type"] = error.type();
  e["message"] = error.message();
  if (!error.field().empty()) e["field"] = error.field();
  e["requestId"] = requestId;
  json::object out;
  out["error"] = std::move(e);
  return out;
}

inline json::value errorResponse(const core::Error& error, std::string_view requestId) {
  return HttpResponse(error.status()).jsonBody(errorBody(error, requestId)).toJson();
}

}  // namespace bakery
