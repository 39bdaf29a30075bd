// The conformance suite against our own DynamoDB endpoint: a real `bakery serve` on
// 127.0.0.1 (ephemeral ports, fresh data directory), driven by the DynamoDB client with
// SigV4-signed requests (access key test / test).
#include <memory>
#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "conformance/conformance_suite.h"
#include "core/clock.h"
#include "platform/aws/aws_json_client.h"
#include "platform/table/remote/remote_table_service.h"
#include "support/server_process.h"

namespace {

class EndpointBackend {
 public:
  EndpointBackend() : server_(BAKERY_BIN_PATH) {
    std::string endpoint = "http://127.0.0.1:" + std::to_string(server_.awsPort());
    auto client = bakery::aws::AwsJsonClient::create(
        bakery::table::dynamoDbClientOptions(endpoint, "us-east-1"), {"test", "test", ""}, clock_);
    if (!client) throw std::runtime_error(client.error().message());
    service_ = std::make_unique<bakery::table::RemoteTableService>(std::move(*client));
  }
  bakery::table::TableService& service() { return *service_; }

 private:
  bakery::core::SystemClock clock_;
  bakery::testing::ServerProcess server_;
  std::unique_ptr<bakery::table::TableService> service_;
};

}  // namespace

int main(int argc, char** argv) {
  return bakery::conformance::runConformanceMain<EndpointBackend>(argc, argv, "endpoint");
}
