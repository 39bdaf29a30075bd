// The conformance suite against dynalite (an independent DynamoDB implementation, started on
// 127.0.0.1 by this binary) through the DynamoDB client. Scenarios dynalite is known to fail
// (no transactions, no TTL updates, sizes in UTF-16, ...) carry "skip": {"dynalite": reason}.
#include <memory>
#include <optional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "conformance/conformance_suite.h"
#include "conformance/dynalite_process.h"
#include "core/clock.h"
#include "platform/table/remote/remote_table_service.h"

namespace bakery::conformance {
namespace {

// dynalite on an ephemeral port and the client that talks to it. dynalite does not check
// signatures; any credentials do.
class DynaliteBackend {
 public:
  DynaliteBackend()
      : process_(BAKERY_NODE_PATH, BAKERY_DYNALITE_LAUNCHER, BAKERY_NODE_PACKAGE_ROOT),
        service_(makeClient(process_.endpoint(), clock_)) {}

  table::TableService& service() { return service_; }

 private:
  static std::unique_ptr<aws::AwsJsonClient> makeClient(const std::string& endpoint,
                                                        const core::Clock& clock) {
    auto options = table::dynamoDbClientOptions(endpoint, "us-east-1");
    // A local peer: errors are answers, not reasons to wait and retry.
    options.retry.maxAttempts = 1;
    auto client = aws::AwsJsonClient::create(std::move(options), {"test", "test", ""}, clock);
    if (!client) throw std::runtime_error("DynamoDB client: " + client.error().message());
    return std::move(client).value();
  }

  core::SystemClock clock_;
  DynaliteProcess process_;
  table::RemoteTableService service_;
};

}  // namespace
}  // namespace bakery::conformance

int main(int argc, char** argv) {
  return bakery::conformance::runConformanceMain<bakery::conformance::DynaliteBackend>(argc, argv,
                                                                                       "dynalite");
}
