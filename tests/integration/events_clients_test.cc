// `bakery serve`'s EventBridge and SQS endpoints driven by Debian's AWS CLI and boto3 (SQS
// over its query protocol, as these versions speak it). A real server on 127.0.0.1 (port 0,
// fresh data directory); clients run with a minimal environment (credentials test / test).
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/clock.h"
#include "platform/aws/aws_json_client.h"
#include "platform/bus/remote/remote_bus.h"
#include "platform/queue/remote/sqs_client.h"
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

TEST_F(EventsClientsTest, AwsCliSchedulerCreatesListsAndRefusesBadExpressions) {
  aws({"sqs", "create-queue", "--queue-name", "ticks"});
  json::value created =
      aws({"scheduler", "create-schedule", "--name", "nightly", "--schedule-expression",
           "cron(0 2 * * ? *)", "--schedule-expression-timezone", "Europe/Berlin",
           "--flexible-time-window", "Mode=OFF", "--target",
           "Arn=arn:aws:sqs:us-east-1:000000000000:ticks,"
           "RoleArn=arn:aws:iam::000000000000:role/scheduler"});
  EXPECT_EQ(created.at("ScheduleArn"),
            "arn:aws:scheduler:us-east-1:000000000000:schedule/default/nightly");
  json::value got = aws({"scheduler", "get-schedule", "--name", "nightly"});
  EXPECT_EQ(got.at("ScheduleExpressionTimezone"), "Europe/Berlin");
  json::value listed = aws({"scheduler", "list-schedules"});
  ASSERT_EQ(listed.at("Schedules").as_array().size(), 1u);
  std::vector<std::string> command = environment();
  command.insert(
      command.end(),
      {kAwsCli, "--endpoint-url", endpoint(), "scheduler", "create-schedule", "--name", "bad",
       "--schedule-expression", "rate(1 minutes)", "--flexible-time-window", "Mode=OFF", "--target",
       "Arn=arn:aws:sqs:us-east-1:000000000000:ticks,RoleArn=arn:aws:iam::0:role/x"});
  CommandResult bad = runCommand(command);
  EXPECT_NE(bad.exitCode, 0);
  EXPECT_NE(bad.err.find("ValidationException"), std::string::npos) << bad.err;
}

// The AWS backends (the SDK's Bus over EventBridge's API, SQS's JSON protocol) against our
// own endpoint, as a deployed handler would use them against AWS.
TEST_F(EventsClientsTest, RemoteBusAndSqsJsonProtocolThroughTheSharedClient) {
  core::SystemClock clock;
  auto events = aws::AwsJsonClient::create(bus::eventBridgeClientOptions(endpoint(), "us-east-1"),
                                           {"test", "test", ""}, clock);
  auto sqs = aws::AwsJsonClient::create(queue::sqsClientOptions(endpoint(), "us-east-1"),
                                        {"test", "test", ""}, clock);
  ASSERT_TRUE(events.ok() && sqs.ok());
  auto queue = (*sqs)->call("CreateQueue", bakery::json::object{{"QueueName", "remote"}});
  ASSERT_TRUE(queue.ok()) << queue.error().message();
  std::string url(queue->at("QueueUrl").as_string());
  ASSERT_TRUE(
      (*events)
          ->call("PutRule", bakery::json::object{{"Name", "remote"},
                                                 {"EventPattern", R"({"source":["remote"]})"}})
          .ok());
  ASSERT_TRUE(
      (*events)
          ->call("PutTargets",
                 bakery::json::object{
                     {"Rule", "remote"},
                     {"Targets",
                      bakery::json::array{bakery::json::object{
                          {"Id", "q"}, {"Arn", "arn:aws:sqs:us-east-1:000000000000:remote"}}}}})
          .ok());
  bus::RemoteBus remote(**events, nullptr);
  auto put = remote.put({EventEntry{"remote", "Ping", bakery::json::object{{"n", 7}}, {}, ""}});
  ASSERT_TRUE(put.ok()) << put.error().message();
  ASSERT_EQ(put->size(), 1u);
  EXPECT_TRUE((*put)[0].ok());
  auto received = (*sqs)->call("ReceiveMessage",
                               bakery::json::object{{"QueueUrl", url}, {"WaitTimeSeconds", 5}});
  ASSERT_TRUE(received.ok()) << received.error().message();
  const auto& messages = received->at("Messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  auto body = bakery::json::parse(messages[0].at("Body").as_string());
  EXPECT_EQ(body.at("detail").at("n"), 7);
  EXPECT_EQ(body.at("id"), bakery::json::value((*put)[0].eventId));
  // An SQS error through the JSON protocol keeps SQS's type name.
  auto missing = (*sqs)->call("GetQueueUrl", bakery::json::object{{"QueueName", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().type(), "QueueDoesNotExist");
}

}  // namespace
}  // namespace bakery::testing
