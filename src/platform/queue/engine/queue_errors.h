// The errors of the queue engine, with SQS's type names (the JSON protocol's shape names; the
// AWS facade maps them to query-protocol codes such as AWS.SimpleQueueService.NonExistentQueue)
// and SQS's messages. Internal to the engine and its tests.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/result.h"

namespace bakery::queue::detail {

inline core::Error sqsError(std::string type, std::string message, int status = 400) {
  return core::Error(std::move(type), status, std::move(message));
}
inline core::Error queueDoesNotExist() {
  return sqsError("QueueDoesNotExist", "The specified queue does not exist.");
}
inline core::Error invalidParameterValue(std::string message) {
  return sqsError("InvalidParameterValue", std::move(message));
}
// "Value <value> for parameter <parameter> is invalid. Reason: <reason>"
inline core::Error invalidParameter(std::string_view value, std::string_view parameter,
                                    std::string_view reason) {
  return invalidParameterValue(
      fmt::format("Value {} for parameter {} is invalid. Reason: {}", value, parameter, reason));
}
inline core::Error missingParameter(std::string_view parameter) {
  return sqsError("MissingParameter",
                  fmt::format("The request must contain the parameter {}.", parameter));
}
inline core::Error invalidAttributeName(std::string_view name) {
  return sqsError("InvalidAttributeName", fmt::format("Unknown Attribute {}.", name));
}
inline core::Error invalidAttributeValue(std::string_view name) {
  return sqsError("InvalidAttributeValue",
                  fmt::format("Invalid value for the parameter {}.", name));
}
inline core::Error receiptHandleIsInvalid(std::string_view handle) {
  return sqsError(
      "ReceiptHandleIsInvalid",
      fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", handle));
}

}  // namespace bakery::queue::detail
