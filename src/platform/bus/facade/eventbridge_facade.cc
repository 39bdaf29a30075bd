#include "platform/bus/facade/eventbridge_facade.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/json.h"

namespace bakery::bus {
namespace {

constexpr std::string_view kOperations[] = {
    "PutEvents",           "PutRule",          "DescribeRule",         "ListRules",
    "EnableRule",          "DisableRule",      "DeleteRule",           "PutTargets",
    "ListTargetsByRule",   "RemoveTargets",    "TestEventPattern",     "CreateEventBus",
    "DescribeEventBus",    "ListEventBuses",   "DeleteEventBus",       "CreateArchive",
    "DescribeArchive",     "StartReplay",      "DescribeReplay",       "CreateConnection",
    "DescribeConnection",  "DeleteConnection", "CreateApiDestination", "DescribeApiDestination",
    "DeleteApiDestination"};

// Operations that only read memory: answered on the event loop.
constexpr std::string_view kNonBlocking[] = {
    "DescribeRule",      "DescribeConnection", "DescribeApiDestination", "ListRules",
    "ListTargetsByRule", "TestEventPattern",   "DescribeEventBus",       "ListEventBuses"};

}  // namespace

EventBridgeFacade::EventBridgeFacade(BusEngine& engine, std::map<std::string, std::string> tenants)
    : engine_(engine), tenants_(tenants.begin(), tenants.end()) {}

bool EventBridgeFacade::mayBlock(std::string_view operation) const {
  return std::find(std::begin(kNonBlocking), std::end(kNonBlocking), operation) ==
         std::end(kNonBlocking);
}

core::Result<std::string> EventBridgeFacade::call(std::string_view operation, std::string_view body,
                                                  std::string_view accessKeyId) {
  if (std::find(std::begin(kOperations), std::end(kOperations), operation) ==
      std::end(kOperations)) {
    return core::Error("UnknownOperationException", 400,
                       fmt::format("Operation AWSEvents.{} is not supported", operation));
  }
  auto request = gateway::parseRequestDocument(body);
  if (!request) return request.error();
  auto tenant = tenants_.find(accessKeyId);
  auto result = engine_.call(tenant == tenants_.end() ? std::string_view() : tenant->second,
                             operation, *request);
  if (!result) return result.error();
  return core::toJson(*result);
}

}  // namespace bakery::bus
