#include "platform/table/facade/dynamodb_facade.h"

#include <fmt/format.h>

#include "core/json.h"
#include "platform/table/codec/attribute_json.h"

namespace bakery::table {

DynamoDbFacade::DynamoDbFacade(engine::TableEngine& engine,
                               std::map<std::string, std::string> tenants)
    : engine_(engine), tenants_(tenants.begin(), tenants.end()) {}

std::string DynamoDbFacade::errorType(std::string_view type) const {
  return fmt::format("com.amazonaws.dynamodb.v20120810#{}", type);
}

bool DynamoDbFacade::mayBlock(std::string_view operation) const {
  auto op = operationFromName(operation);
  if (!op) return false;  // answered at once with UnknownOperationException
  switch (*op) {
    case Operation::kGetItem:
    case Operation::kQuery:
    case Operation::kScan:
    case Operation::kBatchGetItem:
    case Operation::kDescribeTimeToLive:
    case Operation::kListTables:
      return false;
    default:
      return true;  // writes wait for their fsync; DescribeTable counts items
  }
}

core::Result<std::string> DynamoDbFacade::call(std::string_view operation, std::string_view body,
                                               std::string_view accessKeyId) {
  auto op = operationFromName(operation);
  if (!op) {
    return core::Error("UnknownOperationException", 400,
                       fmt::format("Operation DynamoDB_20120810.{} is not supported", operation));
  }
  json::object request;
  if (!body.empty()) {
    auto parsed = core::parseJson(body, "request body");
    if (!parsed)
      return codec::serializationError("Start of structure or map found where not expected");
    if (!parsed->is_object()) {
      return codec::serializationError("Start of structure or map found where not expected");
    }
    request = std::move(parsed->get_object());
  }
  auto tenant = tenants_.find(accessKeyId);
  auto result =
      engine_.call(tenant == tenants_.end() ? std::string_view() : tenant->second, *op, request);
  if (!result) return result.error();
  return core::toJson(*result);
}

}  // namespace bakery::table
