// `bakery serve`'s EventBridge and SQS endpoints driven by Debian's AWS CLI and boto3 (SQS
// over its query protocol, as these versions speak it). A real server on 127.0.0.1 (port 0,
// fresh data directory); clients run with a minimal environment (credentials test / test).
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace bakery::testing {
namespace {

namespace json = boost::json;

constexpr const char* kBakery = BAKERY_BIN_PATH;
constexpr const char* kAwsCli = BAKERY_AWS_CLI_PATH;
constexpr const char* kPython = BAKERY_PYTHON3_PATH;
constexpr const char* kEventsScript = BAKERY_EVENTS_BOTO3_SCRIPT;

class EventsClientsTest : public ::testing::Test {
 protected:
  std::vector<std::string> environment() const {
    return {"/usr/bin/env",
            "-i",
            "PATH=/usr/bin:/bin",
            "HOME=" + home_.path(),
            "AWS_ACCESS_KEY_ID=test",
            "AWS_SECRET_ACCESS_KEY=test",
            "AWS_DEFAULT_REGION=us-east-1",
            "AWS_PAGER=",
            "AWS_CONFIG_FILE=/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
            "AWS_EC2_METADATA_DISABLED=true"};
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.awsPort()); }

  // Runs the AWS CLI; its parsed JSON output (null when there was none).
  json::value aws(std::vector<std::string> args) {
    std::vector<std::string> command = environment();
    command.insert(command.end(), {kAwsCli, "--endpoint-url", endpoint(), "--output", "json"});
    command.insert(command.end(), args.begin(), args.end());
    CommandResult r = runCommand(command);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    if (r.out.find_first_not_of(" \n") == std::string::npos) return nullptr;
    return json::parse(r.out);
  }

  TempDir home_{"bakery-events-home"};
  ServerProcess server_{kBakery};
};

TEST_F(EventsClientsTest, Boto3EventBridgeAndSqsSessionHoldsEveryCheck) {
  ASSERT_TRUE(std::filesystem::exists(kPython)) << "install python3-boto3";
  std::vector<std::string> command = environment();
  command.insert(command.end(), {kPython, "-I", kEventsScript, endpoint()});
  CommandResult r = runCommand(command);
  EXPECT_EQ(r.exitCode, 0) << r.err << r.out;
}

TEST_F(EventsClientsTest, AwsCliRuleDeliversAPutEventToAQueue) {
  ASSERT_TRUE(std::filesystem::exists(kAwsCli)) << "install awscli";
  json::value queue = aws({"sqs", "create-queue", "--queue-name", "cli"});
  std::string url(queue.at("QueueUrl").as_string());
  json::value attributes =
      aws({"sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn"});
  std::string arn(attributes.at("Attributes").at("QueueArn").as_string());
  aws({"events", "put-rule", "--name", "cli", "--event-pattern",
       R"({"source":["cli.test"],"detail":{"n":[{"numeric":[">=",2]}]}})"});
  aws({"events", "put-targets", "--rule", "cli", "--targets",
       "Id=q,Arn=" + arn + ",InputPath=$.detail"});
  json::value put = aws({"events", "put-events", "--entries",
                         R"([{"Source":"cli.test","DetailType":"t","Detail":"{\"n\":1}"},
                             {"Source":"cli.test","DetailType":"t","Detail":"{\"n\":3}"}])"});
  EXPECT_EQ(put.at("FailedEntryCount"), 0);
  json::value received = aws({"sqs", "receive-message", "--queue-url", url, "--wait-time-seconds",
                              "10", "--max-number-of-messages", "10"});
  ASSERT_TRUE(received.is_object()) << "no message arrived";
  const json::array& messages = received.at("Messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(json::parse(messages[0].at("Body").as_string()), json::parse(R"({"n":3})"));
  json::value rules = aws({"events", "list-rules"});
  ASSERT_EQ(rules.at("Rules").as_array().size(), 1u);
  EXPECT_EQ(rules.at("Rules").as_array()[0].at("Name"), "cli");
}

}  // namespace
}  // namespace bakery::testing
