// DynamoDbFacade: the embedded table engine served over the DynamoDB JSON 1.0 protocol.
//
// Mounted on the AWS endpoint under the target prefix `DynamoDB_20120810`, it turns each
// request document into one engine call and the result back into DynamoDB's response or
// error document, so `aws dynamodb --endpoint-url ...`, boto3 and the AWS SDKs work against
// `bakery serve` unchanged. A table created here is the very table handlers see. Each
// access key may be bound to a tenant (its requests then run in that tenant's scope); keys
// without a tenant run in the system scope. Thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "platform/gateway/aws_endpoint.h"
#include "platform/table/engine/table_engine.h"

namespace bakery::table {

class DynamoDbFacade final : public gateway::AwsJsonService {
 public:
  // `tenants` maps access key ids to tenants; absent keys use the system scope.
  DynamoDbFacade(engine::TableEngine& engine, std::map<std::string, std::string> tenants = {});

  std::string_view targetPrefix() const override { return "DynamoDB_20120810"; }
  std::string_view signingName() const override { return "dynamodb"; }
  core::Result<std::string> call(std::string_view operation, std::string_view body,
                                 std::string_view accessKeyId) override;
  std::string errorType(std::string_view type) const override;
  // Reads never wait on a sync; writes and table changes do.
  bool mayBlock(std::string_view operation) const override;

 private:
  engine::TableEngine& engine_;
  std::map<std::string, std::string, std::less<>> tenants_;
};

}  // namespace bakery::table
