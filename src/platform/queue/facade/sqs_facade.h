// The queue engine on the AWS endpoint, as Amazon SQS: two wire protocols over one operation
// layer (SqsApi).
//
//  - SqsJsonService: AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>` (the AWS SDKs since
//    late 2023: @aws-sdk v3, botocore >= 1.31.64). Errors are `com.amazonaws.sqs#<Type>`.
//  - SqsQueryService: the query protocol (form-encoded POST or GET with `Action=`, XML
//    responses), which older SDKs and the AWS CLI v1 speak; routed by the SigV4 signing name
//    "sqs" when a request has no X-Amz-Target. A request sent to a queue's URL without a
//    QueueUrl parameter (as some SDKs do) names that queue.
//
// Actions: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue, GetQueueAttributes,
// SetQueueAttributes, SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
// ChangeMessageVisibility(Batch); the others are UnknownOperationException (JSON) or
// InvalidAction (query). Queue URLs are the engine's (its EngineOptions::endpoint should be
// the AWS listener's URL); any URL ending in /<account>/<name> is accepted.
//
// An access key may be bound to a tenant (`tenants`: access key id -> owner): its requests act
// for that owner, whose queues no other key sees; unbound keys act for the system owner "".
// ReceiveMessage's long polling blocks the calling thread (the endpoint runs it on a worker).
// Thread-safe; the engine must outlive the services.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/ids.h"
#include "platform/gateway/aws_endpoint.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/queue/facade/sqs_api.h"

namespace bakery::queue {

class SqsJsonService final : public gateway::AwsJsonService {
 public:
  explicit SqsJsonService(QueueEngine& engine, std::map<std::string, std::string> tenants = {});

  std::string_view targetPrefix() const override { return "AmazonSQS"; }
  std::string_view signingName() const override { return "sqs"; }
  core::Result<std::string> call(std::string_view operation, std::string_view body,
                                 std::string_view accessKeyId) override;
  // "com.amazonaws.sqs#QueueDoesNotExist". (SQS also sends the query code in an
  // `x-amzn-query-error` header: see queryErrorHeader().)
  std::string errorType(std::string_view type) const override;
  std::vector<gateway::HttpHeader> errorHeaders(const core::Error& error) const override {
    return {{"x-amzn-query-error", queryErrorHeader(error)}};
  }
  bool mayBlock(std::string_view operation) const override;

 private:
  SqsApi api_;
  std::map<std::string, std::string, std::less<>> tenants_;
};

class SqsQueryService final : public gateway::AwsHttpService {
 public:
  // `ids` makes the request ids of responses.
  SqsQueryService(QueueEngine& engine, core::IdGenerator& ids,
                  std::map<std::string, std::string> tenants = {});

  std::string_view signingName() const override { return "sqs"; }
  gateway::ServerResponse serve(const gateway::ServerRequest& request,
                                std::string_view accessKeyId) override;
  gateway::ServerResponse errorResponse(const gateway::ServerRequest& request,
                                        const core::Error& error,
                                        std::string_view requestId) override;

 private:
  core::Result<std::string> run(const gateway::ServerRequest& request, std::string_view accessKeyId,
                                std::string_view requestId);

  SqsApi api_;
  core::IdGenerator& ids_;
  std::map<std::string, std::string, std::less<>> tenants_;
};

}  // namespace bakery::queue
