// EventBridgeFacade: the bus engine on the AWS endpoint, as the EventBridge API (AWS JSON
// 1.1, `X-Amz-Target: AWSEvents.<Operation>`, signing name "events").
//
// An access key may be bound to a tenant: its requests then act for that tenant, whose
// buses, rules and archives no other key sees; unbound keys act for the system owner.
// Errors carry EventBridge's bare type names (`ResourceNotFoundException`, ...). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "platform/bus/engine/bus_engine.h"
#include "platform/gateway/aws_endpoint.h"

namespace bakery::bus {

class EventBridgeFacade final : public gateway::AwsJsonService {
 public:
  explicit EventBridgeFacade(BusEngine& engine, std::map<std::string, std::string> tenants = {});

  std::string_view targetPrefix() const override { return "AWSEvents"; }
  std::string_view signingName() const override { return "events"; }
  core::Result<std::string> call(std::string_view operation, std::string_view body,
                                 std::string_view accessKeyId) override;
  std::string errorType(std::string_view type) const override { return std::string(type); }
  bool mayBlock(std::string_view operation) const override;

 private:
  BusEngine& engine_;
  std::map<std::string, std::string, std::less<>> tenants_;
};

}  // namespace bakery::bus
