#include "platform/gateway/aws_endpoint.h"

#include <fmt/format.h>

#include "core/json.h"

namespace bakery::gateway {

ServerResponse AwsEndpoint::refusal(int status, std::string_view type, std::string_view message) {
  ServerResponse r;
  r.status = status;
  r.set("content-type", "application/x-amz-json-1.0");
  r.set("x-amzn-RequestId", ids_.uuid());
  r.body = core::toJson(json::object{{"__type", type}, {"message", message}});
  return r;
}

void AwsEndpoint::handle(ServerRequest request, Responder respond) {
  std::string_view target = request.header("x-amz-target").value_or("");
  std::string operation =
      target.empty() ? fmt::format("{} {}", request.method, request.target) : std::string(target);
  respond(refusal(400, "UnknownOperationException",
                  fmt::format("Operation {} is not supported by this endpoint", operation)));
}

}  // namespace bakery::gateway
