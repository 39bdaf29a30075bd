// The SDK's typed handles (ServiceTables) over the DynamoDB client against dynalite, an
// independent implementation: the builders' rendered expressions mean on another
// DynamoDB what they mean on our engine (tests/platform/table/engine runs the same calls).
#include <memory>
#include <stdexcept>

#include <gtest/gtest.h>

#include <bakery/table/table.h>

#include "conformance/dynalite_process.h"
#include "core/clock.h"
#include "platform/table/remote/remote_table_service.h"
#include "platform/table/service_tables.h"

namespace bakery::table {
namespace {

class TypedTablesOnDynaliteTest : public ::testing::Test {
 protected:
  TypedTablesOnDynaliteTest()
      : process_(BAKERY_NODE_PATH, BAKERY_DYNALITE_LAUNCHER, BAKERY_NODE_PACKAGE_ROOT) {
    auto client = aws::AwsJsonClient::create(
        dynamoDbClientOptions(process_.endpoint(), "us-east-1"), {"test", "test", ""}, clock_);
    if (!client) throw std::runtime_error(client.error().message());
    service_ = std::make_unique<RemoteTableService>(std::move(*client));
    tables_ = std::make_unique<ServiceTables>(*service_);
    auto created =
        service_->call(Operation::kCreateTable,
                       core::parseJson(R"({"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                                    {"AttributeName":"sk","AttributeType":"N"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                         {"AttributeName":"sk","KeyType":"RANGE"}]})",
                                       "create")
                           ->as_object());
    if (!created) throw std::runtime_error(created.error().message());
  }

  core::SystemClock clock_;
  conformance::DynaliteProcess process_;
  std::unique_ptr<TableService> service_;
  std::unique_ptr<ServiceTables> tables_;
};

TEST_F(TypedTablesOnDynaliteTest, BuildersMeanTheSameOnAnotherDynamoDb) {
  auto orders = tables_->open("orders");
  // `status` and `name` are reserved words: the builders' placeholders make them safe.
  AttributeMap item{
      {"pk", S("u1")}, {"sk", N("1")}, {"status", S("open")}, {"name", S("a")}, {"n", N("1")}};
  ASSERT_TRUE(orders->put(item, {.condition = Condition::notExists(attr("pk"))}).ok());
  auto again = orders->put(item, {.condition = Condition::notExists(attr("pk"))});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type(), "ConditionalCheckFailedException");

  auto updated = orders->update(
      {{"pk", S("u1")}, {"sk", N("1")}},
      Update().increment(attr("n"), N("2")).set(attr("status"), S("done")).remove(attr("name")),
      {.condition = attr("status") == S("open") && Condition::exists(attr("name")),
       .returnValues = ReturnValues::kAllNew});
  ASSERT_TRUE(updated.ok()) << updated.error().message();
  EXPECT_EQ((*updated)->at("n"), N("3"));
  EXPECT_FALSE((*updated)->contains("name"));

  for (int i = 2; i <= 5; ++i) {
    ASSERT_TRUE(orders->put({{"pk", S("u1")}, {"sk", N(std::to_string(i))}, {"n", N("7")}}).ok());
  }
  auto page =
      orders->query(KeyCondition("pk", S("u1")).sortBetween("sk", N("2"), N("4")),
                    {.filter = attr("n") == N("7"), .forward = false, .projection = {attr("sk")}});
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_EQ(page->items[0], (AttributeMap{{"sk", N("4")}}));
  EXPECT_EQ(page->items[2], (AttributeMap{{"sk", N("2")}}));

  auto got = orders->get({{"pk", S("u1")}, {"sk", N("1")}}, {.projection = {attr("status")}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(**got, (AttributeMap{{"status", S("done")}}));
}

}  // namespace
}  // namespace bakery::table
