// AwsEndpoint: the AWS-compatible listener (`--aws-listen`).
//
// It speaks the AWS JSON protocol's error shape ({"__type", "message"} with
// x-amzn-RequestId). Service facades (DynamoDB, EventBridge, SQS, ...) are added by later
// issues; until then every request is answered with UnknownOperationException, as AWS
// answers an operation it does not know. Thread-safe.
#pragma once

#include "core/ids.h"
#include "platform/gateway/http_message.h"

namespace bakery::gateway {

class AwsEndpoint final : public RequestHandler {
 public:
  explicit AwsEndpoint(core::IdGenerator& ids) : ids_(ids) {}

  void handle(ServerRequest request, Responder respond) override;
  ServerResponse refusal(int status, std::string_view type, std::string_view message) override;

 private:
  core::IdGenerator& ids_;
};

}  // namespace bakery::gateway
