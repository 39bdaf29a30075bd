// RemoteBus: the SDK's Bus over EventBridge's API (AWS JSON 1.1, `AWSEvents.PutEvents`,
// SigV4 "events") through the shared AWS JSON client, for handlers deployed to AWS or
// talking to another `bakery serve`.
//
// AWS has no transaction spanning DynamoDB and EventBridge, so putWithWrites() writes the
// table actions first (TransactWriteItems) and puts the events only once they committed: a
// failed condition puts nothing, but a crash between the two loses the events (use a
// DynamoDB stream to republish if that matters). Thread-compatible; the client and tables
// must outlive it.
#pragma once

#include <string>
#include <vector>

#include <bakery/bus.h>

#include "platform/aws/aws_json_client.h"

namespace bakery::bus {

inline constexpr std::string_view kEventBridgeSigningName = "events";
inline constexpr std::string_view kEventBridgeTargetPrefix = "AWSEvents";

// Client options for EventBridge at `endpoint` ("https://events.us-east-1.amazonaws.com" or
// a `bakery serve` AWS port).
aws::AwsJsonClientOptions eventBridgeClientOptions(std::string endpoint, std::string region);

class RemoteBus final : public Bus {
 public:
  // Without `tables`, putWithWrites() is unavailable.
  RemoteBus(aws::AwsJsonClient& client, table::Tables* tables);

  core::Result<std::vector<PutEventResult>> put(const std::vector<EventEntry>& entries) override;
  core::Result<std::vector<PutEventResult>> putWithWrites(
      const std::vector<table::TransactionAction>& actions,
      const std::vector<EventEntry>& entries) override;

 private:
  aws::AwsJsonClient& client_;
  table::Tables* tables_;
};

}  // namespace bakery::bus
