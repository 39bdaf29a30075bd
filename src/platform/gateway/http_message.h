// ServerRequest / ServerResponse: HTTP/1.1 messages as the server hands them to a
// RequestHandler, free of any HTTP library type so handlers and their tests stay light.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakery::gateway {

struct HttpHeader {
  std::string name;  // as received (case preserved)
  std::string value;
};

struct ServerRequest {
  std::string method;  // upper case as received, e.g. "GET"
  std::string target;  // origin-form: path and optional ?query, undecoded
  std::string protocol = "HTTP/1.1";
  std::vector<HttpHeader> headers;  // in arrival order, repeats kept
  std::string body;
  std::string sourceIp;

  // The first header named `name` (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
};

struct ServerResponse {
  int status = 200;
  std::vector<HttpHeader> headers;  // Content-Length and Connection are added by the server
  std::string body;

  ServerResponse& set(std::string name, std::string value) {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
};

// Delivers the response for one request; call exactly once, from any thread.
using Responder = std::function<void(ServerResponse)>;

// What a listener does with requests: the app gateway and each AWS endpoint implement it.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(ServerRequest request, Responder respond) = 0;
  // The response for a request the server refused before handling it (a limit, a timeout,
  // a malformed message), in this listener's error shape. `type` is an AWS-style error name.
  virtual ServerResponse refusal(int status, std::string_view type, std::string_view message) = 0;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);
// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view trimWhitespace(std::string_view s);

}  // namespace bakery::gateway
