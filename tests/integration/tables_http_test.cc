// The table store seen from both sides of `bakery serve`: a table created through the
// DynamoDB endpoint is the table handlers write through Context::tables(), and an access key
// bound to a tenant sees only that tenant's items.
#include <memory>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "integration/integration.h"
#include "platform/aws/aws_json_client.h"
#include "platform/table/remote/remote_table_service.h"

namespace bakery::testing {
namespace {

constexpr const char* kConfig = R"({"aws": {"accessKeys": {
    "test": {"secretAccessKey": "test"},
    "acme-key": {"secretAccessKey": "acme-secret", "tenant": "acme"}}}})";

std::unique_ptr<table::TableService> dynamo(const ServerProcess& s, const core::Clock& clock,
                                            std::string key, std::string secret) {
  auto client = aws::AwsJsonClient::create(
      table::dynamoDbClientOptions("http://127.0.0.1:" + std::to_string(s.awsPort()), "us-east-1"),
      {std::move(key), std::move(secret), ""}, clock);
  EXPECT_TRUE(client.ok());
  return std::make_unique<table::RemoteTableService>(std::move(*client));
}

json::object doc(std::string_view text) { return core::parseJson(text, "test")->as_object(); }

TEST(TablesHttpTest, AHandlerWritesToTheTableTheEndpointCreated) {
  auto s = startTestbed(kConfig);
  core::SystemClock clock;
  auto system = dynamo(*s, clock, "test", "test");
  auto created = system->call(table::Operation::kCreateTable, doc(R"({"TableName":"notes",
      "BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})"));
  ASSERT_TRUE(created.ok()) << created.error().message();

  auto r = post(*s, "/v1/test/notes", R"({"id":"n1","text":"hello"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r.body).at("text"), "hello");

  auto item = system->call(table::Operation::kGetItem,
                           doc(R"({"TableName":"notes","Key":{"id":{"S":"n1"}}})"));
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->at("Item").at("text").at("S"), "hello");
}

TEST(TablesHttpTest, AnAccessKeyBoundToATenantSeesOnlyThatTenantsItems) {
  auto s = startTestbed(kConfig);
  core::SystemClock clock;
  auto system = dynamo(*s, clock, "test", "test");
  auto acme = dynamo(*s, clock, "acme-key", "acme-secret");
  ASSERT_TRUE(system
                  ->call(table::Operation::kCreateTable, doc(R"({"TableName":"notes",
      "BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})"))
                  .ok());
  ASSERT_TRUE(acme->call(table::Operation::kPutItem,
                         doc(R"({"TableName":"notes","Item":{"id":{"S":"a"},"v":{"S":"acme"}}})"))
                  .ok());
  ASSERT_TRUE(system
                  ->call(table::Operation::kPutItem,
                         doc(R"({"TableName":"notes","Item":{"id":{"S":"a"},"v":{"S":"sys"}}})"))
                  .ok());
  auto fromAcme = acme->call(table::Operation::kScan, doc(R"({"TableName":"notes"})"));
  ASSERT_TRUE(fromAcme.ok());
  ASSERT_EQ(fromAcme->at("Count"), 1);
  EXPECT_EQ(fromAcme->at("Items").at(0).at("v").at("S"), "acme");
  auto fromSystem = system->call(table::Operation::kGetItem,
                                 doc(R"({"TableName":"notes","Key":{"id":{"S":"a"}}})"));
  EXPECT_EQ(fromSystem->at("Item").at("v").at("S"), "sys");
}

}  // namespace
}  // namespace bakery::testing
