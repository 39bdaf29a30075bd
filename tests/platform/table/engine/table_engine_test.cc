#include "platform/table/engine/table_engine.h"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include <bakery/table/table.h>

#include "core/clock.h"
#include "core/ids.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/engine_tables.h"

namespace bakery::table::engine {
namespace {

json::object parse(std::string_view text) { return core::parseJson(text, "test")->as_object(); }

class TableEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bakery-engine-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    reopen();
  }
  void TearDown() override {
    engine_.reset();
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    engine_.reset();
    storage_.reset();
    auto storage = storage::Storage::open({dir_, storage::SyncPolicy::kNone});
    ASSERT_TRUE(storage.ok()) << storage.error().message();
    storage_ = std::move(*storage);
    EngineOptions options;
    options.ttlSweepInterval = std::chrono::milliseconds(0);  // tests sweep by hand
    engine_ = std::make_unique<TableEngine>(*storage_, clock_, ids_, options);
    ASSERT_TRUE(engine_->open().ok());
  }
  json::object call(std::string_view tenant, Operation op, std::string_view request) {
    auto r = engine_->call(tenant, op, parse(request));
    EXPECT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
    return r ? *r : json::object{};
  }
  core::Error fail(std::string_view tenant, Operation op, std::string_view request) {
    auto r = engine_->call(tenant, op, parse(request));
    EXPECT_FALSE(r.ok());
    return r ? core::Error("none", 0, "") : r.error();
  }
  void createOrders(std::string_view extra = "") {
    call("", Operation::kCreateTable,
         std::string(R"({"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
           "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                                   {"AttributeName":"sk","AttributeType":"N"}],
           "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},
                        {"AttributeName":"sk","KeyType":"RANGE"}])") +
             std::string(extra) + "}");
  }

  std::string dir_;
  core::ManualClock clock_;
  core::RandomIdGenerator ids_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<TableEngine> engine_;
};

TEST_F(TableEngineTest, TenantsCannotReadEachOthersItems) {
  createOrders();
  call("acme", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"p"},"sk":{"N":"1"},"v":{"S":"acme"}}})");
  call("globex", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"p"},"sk":{"N":"1"},"v":{"S":"globex"}}})");
  auto acme = call("acme", Operation::kGetItem,
                   R"({"TableName":"orders","Key":{"pk":{"S":"p"},"sk":{"N":"1"}}})");
  EXPECT_EQ(acme.at("Item").at("v").at("S"), "acme");
  auto other = call("initech", Operation::kGetItem,
                    R"({"TableName":"orders","Key":{"pk":{"S":"p"},"sk":{"N":"1"}}})");
  EXPECT_FALSE(other.contains("Item"));
  auto scan = call("globex", Operation::kScan, R"({"TableName":"orders"})");
  ASSERT_EQ(scan.at("Count"), 1);
  EXPECT_EQ(scan.at("Items").at(0).at("v").at("S"), "globex");
  auto query = call("initech", Operation::kQuery,
                    R"({"TableName":"orders","KeyConditionExpression":"pk = :p",
                        "ExpressionAttributeValues":{":p":{"S":"p"}}})");
  EXPECT_EQ(query.at("Count"), 0);
}

TEST_F(TableEngineTest, TablesItemsAndIndexesSurviveReopening) {
  createOrders(R"(,"GlobalSecondaryIndexes":[{"IndexName":"byStatus",
      "KeySchema":[{"AttributeName":"status","KeyType":"HASH"}],
      "Projection":{"ProjectionType":"KEYS_ONLY"}}],
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"status","AttributeType":"S"}])");
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"p"},"sk":{"N":"2"},"status":{"S":"open"}}})");
  reopen();
  auto item = call("", Operation::kGetItem,
                   R"({"TableName":"orders","Key":{"pk":{"S":"p"},"sk":{"N":"2"}}})");
  EXPECT_EQ(item.at("Item").at("status").at("S"), "open");
  auto byStatus = call("", Operation::kQuery,
                       R"({"TableName":"orders","IndexName":"byStatus",
                           "KeyConditionExpression":"#s = :s",
                           "ExpressionAttributeNames":{"#s":"status"},
                           "ExpressionAttributeValues":{":s":{"S":"open"}}})");
  ASSERT_EQ(byStatus.at("Count"), 1);
  EXPECT_EQ(core::toJson(byStatus.at("Items").at(0)),
            R"({"pk":{"S":"p"},"sk":{"N":"2"},"status":{"S":"open"}})");
}

TEST_F(TableEngineTest, StreamRecordsEveryChangeInOrderWithItsImages) {
  createOrders(
      R"(,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"})");
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"p"},"sk":{"N":"1"},"v":{"N":"1"}}})");
  call("", Operation::kUpdateItem,
       R"({"TableName":"orders","Key":{"pk":{"S":"p"},"sk":{"N":"1"}},
           "UpdateExpression":"SET v = v + :one","ExpressionAttributeValues":{":one":{"N":"1"}}})");
  call("", Operation::kDeleteItem,
       R"({"TableName":"orders","Key":{"pk":{"S":"p"},"sk":{"N":"1"}}})");
  auto records = engine_->readStream("orders", 0, 10);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].record.at("eventName"), "INSERT");
  EXPECT_EQ((*records)[1].record.at("eventName"), "MODIFY");
  EXPECT_EQ((*records)[1].record.at("dynamodb").at("OldImage").at("v").at("N"), "1");
  EXPECT_EQ((*records)[1].record.at("dynamodb").at("NewImage").at("v").at("N"), "2");
  EXPECT_EQ((*records)[2].record.at("eventName"), "REMOVE");
  EXPECT_LT((*records)[0].sequence, (*records)[1].sequence);
  auto after = engine_->readStream("orders", (*records)[1].sequence, 10);
  ASSERT_EQ(after->size(), 1u);
  // After a restart the sequence continues past every stored record.
  reopen();
  call("", Operation::kPutItem, R"({"TableName":"orders","Item":{"pk":{"S":"q"},"sk":{"N":"1"}}})");
  auto later = engine_->readStream("orders", (*records)[2].sequence, 10);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_GT(later->front().sequence, (*records)[2].sequence);
}

TEST_F(TableEngineTest, ExpiredItemsAreSweptAndTheirRemovalIsStreamed) {
  createOrders(R"(,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"})");
  call(
      "", Operation::kUpdateTimeToLive,
      R"({"TableName":"orders","TimeToLiveSpecification":{"AttributeName":"expires","Enabled":true}})");
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch());
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"old"},"sk":{"N":"1"},"expires":{"N":")" +
           std::to_string(now.count() + 60) + R"("}}})");
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"keep"},"sk":{"N":"1"},"expires":{"N":")" +
           std::to_string(now.count() + 3600) + R"("}}})");
  EXPECT_EQ(engine_->sweepExpired(), 0u);
  clock_.advance(std::chrono::seconds(120));
  EXPECT_EQ(engine_->sweepExpired(), 1u);
  auto scan = call("", Operation::kScan, R"({"TableName":"orders"})");
  ASSERT_EQ(scan.at("Count"), 1);
  EXPECT_EQ(scan.at("Items").at(0).at("pk").at("S"), "keep");
  auto records = engine_->readStream("orders", 0, 10);
  ASSERT_EQ(records->size(), 3u);
  const json::object& removal = records->back().record;
  EXPECT_EQ(removal.at("eventName"), "REMOVE");
  EXPECT_EQ(removal.at("userIdentity").at("principalId"), "dynamodb.amazonaws.com");
}

TEST_F(TableEngineTest, StreamRecordsAndTokensAreDroppedAfterTheirRetention) {
  createOrders(R"(,"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"})");
  call("", Operation::kPutItem, R"({"TableName":"orders","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}})");
  call("", Operation::kTransactWriteItems, R"({"ClientRequestToken":"t1","TransactItems":[
      {"Put":{"TableName":"orders","Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}}]})");
  EXPECT_EQ(engine_->trimRetained(), 0u);
  clock_.advance(std::chrono::hours(23));
  call("", Operation::kPutItem, R"({"TableName":"orders","Item":{"pk":{"S":"c"},"sk":{"N":"1"}}})");
  EXPECT_EQ(engine_->trimRetained(), 1u);  // the token, after ten minutes
  clock_.advance(std::chrono::hours(2));
  EXPECT_EQ(engine_->trimRetained(), 2u);  // the two records older than 24 hours
  auto records = engine_->readStream("orders", 0, 10);
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().record.at("dynamodb").at("Keys").at("pk").at("S"), "c");
}

TEST_F(TableEngineTest, AnIndexAddedLaterIsBackfilledFromExistingItems) {
  createOrders();
  for (int i = 0; i < 5; ++i) {
    call("", Operation::kPutItem,
         R"({"TableName":"orders","Item":{"pk":{"S":"p"},"sk":{"N":")" + std::to_string(i) +
             R"("},"color":{"S":")" + (i % 2 ? "red" : "blue") + R"("}}})");
  }
  call(
      "", Operation::kUpdateTable,
      R"({"TableName":"orders","AttributeDefinitions":[{"AttributeName":"color","AttributeType":"S"}],
           "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"byColor",
             "KeySchema":[{"AttributeName":"color","KeyType":"HASH"}],
             "Projection":{"ProjectionType":"ALL"}}}]})");
  auto red =
      call("", Operation::kQuery,
           R"({"TableName":"orders","IndexName":"byColor","KeyConditionExpression":"color = :c",
                      "ExpressionAttributeValues":{":c":{"S":"red"}}})");
  EXPECT_EQ(red.at("Count"), 2);
  call(
      "", Operation::kUpdateTable,
      R"({"TableName":"orders","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"byColor"}}]})");
  auto gone =
      fail("", Operation::kQuery,
           R"({"TableName":"orders","IndexName":"byColor","KeyConditionExpression":"color = :c",
                       "ExpressionAttributeValues":{":c":{"S":"red"}}})");
  EXPECT_EQ(gone.message(), "The table does not have the specified index: byColor");
}

TEST_F(TableEngineTest, ConcurrentConditionalIncrementsNeverLoseAnUpdate) {
  createOrders();
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"c"},"sk":{"N":"0"},"v":{"N":"0"}}})");
  std::atomic<int> applied{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto current =
            engine_->call("", Operation::kGetItem,
                          parse(R"({"TableName":"orders","Key":{"pk":{"S":"c"},"sk":{"N":"0"}}})"));
        std::string v(current->at("Item").at("v").at("N").as_string());
        std::string next = std::to_string(std::stoi(v) + 1);
        auto r = engine_->call("", Operation::kUpdateItem,
                               parse(R"({"TableName":"orders","Key":{"pk":{"S":"c"},"sk":{"N":"0"}},
                      "UpdateExpression":"SET v = :next","ConditionExpression":"v = :prev",
                      "ExpressionAttributeValues":{":next":{"N":")" +
                                     next + R"("},":prev":{"N":")" + v + R"("}}})"));
        if (r) ++applied;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto final = call("", Operation::kGetItem,
                    R"({"TableName":"orders","Key":{"pk":{"S":"c"},"sk":{"N":"0"}}})");
  EXPECT_EQ(final.at("Item").at("v").at("N"), json::value(std::to_string(applied.load())));
  EXPECT_GT(applied.load(), 0);
}

TEST_F(TableEngineTest, ACancelledTransactionWritesNothing) {
  createOrders();
  call("", Operation::kPutItem,
       R"({"TableName":"orders","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"v":{"N":"1"}}})");
  auto e = fail("", Operation::kTransactWriteItems, R"({"TransactItems":[
      {"Put":{"TableName":"orders","Item":{"pk":{"S":"b"},"sk":{"N":"1"}}}},
      {"ConditionCheck":{"TableName":"orders","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
        "ConditionExpression":"v = :two","ExpressionAttributeValues":{":two":{"N":"2"}},
        "ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}]})");
  EXPECT_EQ(e.type(), "TransactionCanceledException");
  EXPECT_EQ(e.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons [None, "
            "ConditionalCheckFailed]");
  auto details = parse(e.details());
  EXPECT_EQ(details.at("CancellationReasons").at(1).at("Item").at("v").at("N"), "1");
  auto b = call("", Operation::kGetItem,
                R"({"TableName":"orders","Key":{"pk":{"S":"b"},"sk":{"N":"1"}}})");
  EXPECT_FALSE(b.contains("Item"));
}

TEST_F(TableEngineTest, ARepeatedClientRequestTokenDoesNotApplyTwice) {
  createOrders();
  std::string tx = R"({"ClientRequestToken":"tok-1","TransactItems":[
      {"Update":{"TableName":"orders","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},
        "UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}}]})";
  call("", Operation::kTransactWriteItems, tx);
  call("", Operation::kTransactWriteItems, tx);
  auto a = call("", Operation::kGetItem,
                R"({"TableName":"orders","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}})");
  EXPECT_EQ(a.at("Item").at("n").at("N"), "1");
  auto mismatch =
      fail("", Operation::kTransactWriteItems, R"({"ClientRequestToken":"tok-1","TransactItems":[
      {"Delete":{"TableName":"orders","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}}}]})");
  EXPECT_EQ(mismatch.type(), "IdempotentParameterMismatchException");
  clock_.advance(std::chrono::minutes(11));
  call("", Operation::kTransactWriteItems, tx);
  a = call("", Operation::kGetItem,
           R"({"TableName":"orders","Key":{"pk":{"S":"a"},"sk":{"N":"1"}}})");
  EXPECT_EQ(a.at("Item").at("n").at("N"), "2");
}

TEST_F(TableEngineTest, TypedTablesRenderEveryCallForTheEngine) {
  createOrders();
  EngineTables tables(*engine_, "acme");
  auto orders = tables.open("orders");
  AttributeMap item{{"pk", S("u1")}, {"sk", N("1")}, {"status", S("open")}, {"n", N("1")}};
  ASSERT_TRUE(orders->put(item, {.condition = Condition::notExists(attr("pk"))}).ok());
  auto again = orders->put(item, {.condition = Condition::notExists(attr("pk"))});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type(), "ConditionalCheckFailedException");
  auto updated = orders->update(
      {{"pk", S("u1")}, {"sk", N("1")}},
      Update().increment(attr("n"), N("2")).set(attr("status"), S("done")),
      {.condition = attr("status") == S("open"), .returnValues = ReturnValues::kUpdatedNew});
  ASSERT_TRUE(updated.ok()) << updated.error().message();
  EXPECT_EQ((*updated)->at("n"), N("3"));
  EXPECT_EQ((*updated)->at("status"), S("done"));
  auto direct = orders->get({{"pk", S("u1")}, {"sk", N("1")}});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ((**direct).at("n"), N("3"));
  auto wrongKey = orders->get({{"pk", S("u1")}});
  ASSERT_FALSE(wrongKey.ok());
  EXPECT_EQ(wrongKey.error().message(), "The provided key element does not match the schema");
  EXPECT_EQ(tables.open("missing")->get({{"pk", S("x")}}).error().type(),
            "ResourceNotFoundException");
  EngineTables other(*engine_, "globex");
  EXPECT_FALSE(other.open("orders")->get({{"pk", S("u1")}, {"sk", N("1")}})->has_value());
  auto page = orders->query(KeyCondition("pk", S("u1")).sortAtLeast("sk", N("1")),
                            {.projection = {attr("status")}});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0], (AttributeMap{{"status", S("done")}}));
  ASSERT_TRUE(
      tables
          .transactWrite({TransactionAction::put("orders", {{"pk", S("u2")}, {"sk", N("1")}}),
                          TransactionAction::remove("orders", {{"pk", S("u1")}, {"sk", N("1")}})})
          .ok());
  auto scan = orders->scan();
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->items.size(), 1u);
  EXPECT_EQ(scan->items[0].at("pk"), S("u2"));
}

}  // namespace
}  // namespace bakery::table::engine
