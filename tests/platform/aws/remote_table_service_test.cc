// RemoteTableService (src/platform/table/remote) against a scripted HTTP server: each
// Operation goes out as DynamoDB_20120810.<Operation>, signed for `dynamodb`, and DynamoDB's
// answers and errors come back as the TableService contract says.
#include "platform/table/remote/remote_table_service.h"

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/json.h"
#include "platform/aws/aws_json_client.h"
#include "platform/aws/scripted_http_server.h"
#include "platform/aws/sigv4.h"

namespace bakery::table {
namespace {

using aws::testing::RecordedRequest;
using aws::testing::ScriptedHttpServer;

json::object parse(std::string_view text) {
  return core::parseJson(text, "test document").value().as_object();
}

class RemoteTableServiceTest : public ::testing::Test {
 protected:
  RemoteTableServiceTest() {
    aws::AwsJsonClientOptions options = dynamoDbClientOptions(server_.endpoint(), "eu-west-1");
    auto client = aws::AwsJsonClient::create(
        options, credentials_, clock_,
        [](std::chrono::milliseconds) { return std::chrono::milliseconds(0); },
        [](std::chrono::milliseconds) {});
    service_ = std::make_unique<RemoteTableService>(std::move(client).value());
  }

  const aws::Credentials credentials_{"AKIDTABLE", "table-secret", ""};
  core::ManualClock clock_;
  ScriptedHttpServer server_;
  std::unique_ptr<RemoteTableService> service_;
};

TEST_F(RemoteTableServiceTest, SendsEachOperationAsADynamoDbTargetSignedForDynamoDb) {
  server_.enqueue({.body = R"({"Item":{"pk":{"S":"a"},"n":{"N":"1"}}})"});
  json::object request = parse(R"({"TableName":"t","Key":{"pk":{"S":"a"}}})");

  core::Result<json::object> result = service_->call(Operation::kGetItem, request);

  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(*result, parse(R"({"Item":{"pk":{"S":"a"},"n":{"N":"1"}}})"));
  RecordedRequest r = server_.requests().at(0);
  EXPECT_EQ(r.header("X-Amz-Target"), "DynamoDB_20120810.GetItem");
  EXPECT_EQ(parse(r.body), request);
  EXPECT_NE(r.header("Authorization")->find("/eu-west-1/dynamodb/aws4_request"), std::string::npos);

  aws::Verifier verifier({.service = "dynamodb", .region = "eu-west-1"},
                         [this](std::string_view) { return std::optional(credentials_); });
  std::vector<aws::HeaderView> headers;
  for (const auto& [name, value] : r.headers) headers.push_back({name, value});
  EXPECT_TRUE(verifier.verify({r.method, r.target, "", headers, r.body}, clock_.wallNow()).ok());
}

TEST_F(RemoteTableServiceTest, UsesDynamoDbsNameForEveryOperation) {
  for (Operation op : {Operation::kCreateTable, Operation::kTransactWriteItems, Operation::kQuery,
                       Operation::kUpdateTimeToLive}) {
    ASSERT_TRUE(service_->call(op, {}).ok());
  }
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].header("X-Amz-Target"), "DynamoDB_20120810.CreateTable");
  EXPECT_EQ(requests[1].header("X-Amz-Target"), "DynamoDB_20120810.TransactWriteItems");
  EXPECT_EQ(requests[2].header("X-Amz-Target"), "DynamoDB_20120810.Query");
  EXPECT_EQ(requests[3].header("X-Amz-Target"), "DynamoDB_20120810.UpdateTimeToLive");
}

TEST_F(RemoteTableServiceTest, ReturnsDynamoDbErrorsWithoutTheNamespaceAndWithDetails) {
  server_.enqueue(
      {.status = 400,
       .body = R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",)"
               R"("message":"The conditional request failed","Item":{"pk":{"S":"a"}}})"});
  core::Result<json::object> result = service_->call(Operation::kPutItem, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type(), "ConditionalCheckFailedException");
  EXPECT_EQ(result.error().message(), "The conditional request failed");
  EXPECT_EQ(parse(result.error().details()), parse(R"({"Item":{"pk":{"S":"a"}}})"));
}

TEST(DynamoDbEndpointTest, NamesTheRegionalEndpoint) {
  EXPECT_EQ(dynamoDbEndpoint("us-east-1"), "https://dynamodb.us-east-1.amazonaws.com");
  EXPECT_EQ(dynamoDbEndpoint("cn-north-1"), "https://dynamodb.cn-north-1.amazonaws.com.cn");
}

TEST(DynamoDbEndpointTest, ClientOptionsCarryDynamoDbsTargetPrefixAndSigningName) {
  aws::AwsJsonClientOptions options = dynamoDbClientOptions("http://127.0.0.1:4566", "us-west-2");
  EXPECT_EQ(options.targetPrefix, "DynamoDB_20120810");
  EXPECT_EQ(options.service, "dynamodb");
  EXPECT_EQ(options.region, "us-west-2");
  EXPECT_EQ(options.retry.maxAttempts, 10);
  EXPECT_EQ(options.retry.base, std::chrono::milliseconds(25));
}

}  // namespace
}  // namespace bakery::table
