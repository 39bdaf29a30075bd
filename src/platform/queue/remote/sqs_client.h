// The SQS API (AWS JSON 1.0 protocol, `AmazonSQS.<Operation>`, SigV4 "sqs") through the
// shared AWS JSON client: client options for SQS itself or any compatible endpoint (a
// `bakery serve` AWS port). Requests and responses are the protocol's JSON documents
// (`{"QueueUrl":..., "MessageBody":...}`).
#pragma once

#include <string>
#include <string_view>

#include "platform/aws/aws_json_client.h"

namespace bakery::queue {

inline constexpr std::string_view kSqsSigningName = "sqs";
inline constexpr std::string_view kSqsTargetPrefix = "AmazonSQS";

inline aws::AwsJsonClientOptions sqsClientOptions(std::string endpoint, std::string region) {
  aws::AwsJsonClientOptions options;
  options.endpoint = std::move(endpoint);
  options.region = std::move(region);
  options.service = std::string(kSqsSigningName);
  options.targetPrefix = std::string(kSqsTargetPrefix);
  return options;
}

}  // namespace bakery::queue
