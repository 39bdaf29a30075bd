// RemoteTableService: the TableService of a remote DynamoDB, or of any endpoint that speaks
// DynamoDB's JSON 1.0 protocol (dynalite, ScyllaDB Alternator, our own facade).
//
// Each Operation becomes one AWS JSON call, `X-Amz-Target: DynamoDB_20120810.<Operation>`,
// signed for the `dynamodb` service; documents pass through unchanged in both directions and
// errors come back as the client parses them (type without the namespace prefix, DynamoDB's
// message, the extra members in details()), which is exactly the TableService contract.
// Retries and connection reuse are the client's (see aws_json_client.h).
//
// Thread-safe. Owns its client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "platform/aws/aws_json_client.h"
#include "platform/table/table_service.h"

namespace bakery::table {

inline constexpr std::string_view kDynamoDbTargetPrefix = "DynamoDB_20120810";
inline constexpr std::string_view kDynamoDbSigningName = "dynamodb";

// `https://dynamodb.<region>.amazonaws.com` (`.amazonaws.com.cn` for the China regions).
std::string dynamoDbEndpoint(std::string_view region);

// Client options for DynamoDB at `endpoint` in `region`, with the SDKs' DynamoDB defaults
// (10 attempts, 25 ms base backoff); callers adjust timeouts and retries from there.
aws::AwsJsonClientOptions dynamoDbClientOptions(std::string endpoint, std::string region);

class RemoteTableService final : public TableService {
 public:
  // `client` must have been made from dynamoDbClientOptions() (or the same target prefix and
  // signing name).
  explicit RemoteTableService(std::unique_ptr<aws::AwsJsonClient> client);

  core::Result<json::object> call(Operation op, const json::object& request) override;

 private:
  std::unique_ptr<aws::AwsJsonClient> client_;
};

}  // namespace bakery::table
