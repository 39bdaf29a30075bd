#include "platform/bus/remote/remote_bus.h"

#include "platform/bus/engine/engine_bus.h"

namespace bakery::bus {

aws::AwsJsonClientOptions eventBridgeClientOptions(std::string endpoint, std::string region) {
  aws::AwsJsonClientOptions options;
  options.endpoint = std::move(endpoint);
  options.region = std::move(region);
  options.service = std::string(kEventBridgeSigningName);
  options.targetPrefix = std::string(kEventBridgeTargetPrefix);
  options.contentType = "application/x-amz-json-1.1";
  return options;
}

RemoteBus::RemoteBus(aws::AwsJsonClient& client, table::Tables* tables)
    : client_(client), tables_(tables) {}

core::Result<std::vector<PutEventResult>> RemoteBus::put(const std::vector<EventEntry>& entries) {
  auto response = client_.call("PutEvents", putEventsRequest(entries));
  if (!response) return response.error();
  return putEventsResults(*response);
}

core::Result<std::vector<PutEventResult>> RemoteBus::putWithWrites(
    const std::vector<table::TransactionAction>& actions, const std::vector<EventEntry>& entries) {
  if (!tables_) {
    return core::Error("ServiceUnavailableException", 503, "No table store is configured.");
  }
  if (auto written = tables_->transactWrite(actions); !written) return written.error();
  return put(entries);
}

}  // namespace bakery::bus
