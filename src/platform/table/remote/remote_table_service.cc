#include "platform/table/remote/remote_table_service.h"

#include <cassert>
#include <utility>

#include <fmt/format.h>

namespace bakery::table {

std::string dynamoDbEndpoint(std::string_view region) {
  bool china = region.substr(0, 3) == "cn-";
  return fmt::format("https://dynamodb.{}.amazonaws.com{}", region, china ? ".cn" : "");
}

aws::AwsJsonClientOptions dynamoDbClientOptions(std::string endpoint, std::string region) {
  aws::AwsJsonClientOptions options;
  options.endpoint = std::move(endpoint);
  options.region = std::move(region);
  options.service = std::string(kDynamoDbSigningName);
  options.targetPrefix = std::string(kDynamoDbTargetPrefix);
  return options;
}

RemoteTableService::RemoteTableService(std::unique_ptr<aws::AwsJsonClient> client)
    : client_(std::move(client)) {
  assert(client_ != nullptr);
  assert(client_->options().targetPrefix == kDynamoDbTargetPrefix);
}

core::Result<json::object> RemoteTableService::call(Operation op, const json::object& request) {
  return client_->call(operationName(op), request);
}

}  // namespace bakery::table
