// API Gateway HTTP API payload format 2.0: the event a request becomes, and how a function's
// result becomes the response.
//
// Event rules (as API Gateway applies them): header names lower-cased, repeated headers joined
// with commas, every Cookie header split into `cookies` (and not repeated in `headers`),
// x-forwarded-for/-port/-proto added; query parameters percent-decoded with repeated keys
// comma-joined; maps that would be empty are omitted; `body` is omitted when there is none and
// base64-encoded (isBase64Encoded true) unless the content type is textual and the bytes are
// UTF-8. Result rules: an object with `statusCode` is the structured response; any other JSON
// value is returned as 200 `application/json` (a JSON string as its text). A malformed
// structured response (bad status, header or base64) is an error: the gateway answers 500.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "platform/gateway/http_message.h"
#include "platform/gateway/router.h"

namespace bakery::gateway {

// The API's identity as it appears in requestContext.
struct ApiIdentity {
  std::string region = "us-east-1";  // of ARNs (an authorizer's routeArn)
  std::string accountId = "000000000000";
  std::string apiId = "bakery";
  std::string stage = "$default";
  std::map<std::string, std::string> stageVariables;
};

struct EventInputs {
  const ServerRequest& request;
  const RouteMatch& route;
  const ApiIdentity& api;
  std::string_view requestId;
  std::chrono::system_clock::time_point time;
  std::uint16_t listenPort = 0;
  const json::object* authorizer = nullptr;  // requestContext.authorizer when present
};

// `sp` is the memory resource for the whole event (one per request keeps it to a few
// allocations; see ApiGateway::handle).
json::object buildEvent(const EventInputs& in, json::storage_ptr sp = {});

// Whether a body with this content type is passed as text (JSON, XML, text/*, ...).
bool isTextualContentType(std::string_view contentType);

// The HTTP response for a function result, before gateway headers (request id, CORS).
core::Result<ServerResponse> mapResult(const json::value& result);

}  // namespace bakery::gateway
