// The SDK's Bus over the engines: put() reaches the rule's target; putWithWrites() commits
// the items and the events together, and a failed condition leaves neither.
#include "platform/bus/engine/engine_bus.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <bakery/bus.h>
#include <bakery/table/expression_builder.h>

#include "core/clock.h"
#include "core/ids.h"
#include "platform/bus/engine/bus_engine.h"
#include "platform/bus/engine/recording_sinks.h"
#include "platform/storage/storage.h"
#include "platform/table/engine/engine_tables.h"
#include "platform/table/engine/table_engine.h"
#include "support/temp_dir.h"

namespace bakery::bus {
namespace {

using table::AttributeMap;
using table::AttributeValue;
using table::TransactionAction;

class EngineBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone}).value();
    tables_ = std::make_unique<table::engine::TableEngine>(*storage_, clock_, ids_);
    ASSERT_TRUE(tables_->open().ok());
    BusOptions options;
    options.startDispatcher = false;
    engine_ = std::make_unique<BusEngine>(*storage_, clock_, ids_, sinks_, options);
    ASSERT_TRUE(engine_->open().ok());
    auto created =
        tables_->call("", table::Operation::kCreateTable,
                      core::parseJson(R"({"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})",
                                      "r")
                          ->as_object());
    ASSERT_TRUE(created.ok()) << created.error().message();
    auto rule = engine_->call(
        "tenant-a", "PutRule",
        core::parseJson(R"({"Name":"r","EventPattern":"{\"source\":[\"shop\"]}"})", "r")
            ->as_object());
    ASSERT_TRUE(rule.ok());
    auto target = engine_->call(
        "tenant-a", "PutTargets",
        core::parseJson(
            R"({"Rule":"r","Targets":[{"Id":"q","Arn":"arn:aws:sqs:us-east-1:000000000000:orders"}]})",
            "r")
            ->as_object());
    ASSERT_TRUE(target.ok());
  }

  EventEntry placed(std::string id) {
    return EventEntry{"shop", "OrderPlaced", json::object{{"id", std::move(id)}}, {}, ""};
  }
  std::optional<AttributeMap> order(std::string id) {
    table::engine::EngineTables scoped(*tables_, "tenant-a");
    auto item = scoped.open("orders")->get(AttributeMap{{"id", AttributeValue::string(id)}});
    EXPECT_TRUE(item.ok());
    return item.ok() ? *item : std::nullopt;
  }

  testing::TempDir dir_;
  core::ManualClock clock_;
  core::RandomIdGenerator ids_;
  RecordingSinks sinks_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<table::engine::TableEngine> tables_;
  std::unique_ptr<BusEngine> engine_;
};

TEST_F(EngineBusTest, PutReachesTheTenantsRuleTarget) {
  EngineBus bus(*engine_, tables_.get(), "tenant-a");
  auto results = bus.put({placed("o-1"), EventEntry{"", "x", json::object{}, {}, ""}});
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 2u);
  EXPECT_TRUE((*results)[0].ok());
  EXPECT_FALSE((*results)[0].eventId.empty());
  EXPECT_EQ((*results)[1].errorCode, "InvalidArgument");
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 1u);
  // Another tenant's events do not reach tenant A's rule.
  EngineBus other(*engine_, tables_.get(), "tenant-b");
  ASSERT_TRUE(other.put({placed("o-2")}).ok());
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 1u);
}

TEST_F(EngineBusTest, WritesAndEventsCommitTogether) {
  EngineBus bus(*engine_, tables_.get(), "tenant-a");
  AttributeMap item{{"id", AttributeValue::string("o-1")}, {"total", AttributeValue::number("5")}};
  auto results = bus.putWithWrites({TransactionAction::put("orders", item)}, {placed("o-1")});
  ASSERT_TRUE(results.ok()) << results.error().message();
  EXPECT_TRUE((*results)[0].ok());
  EXPECT_TRUE(order("o-1").has_value());
  EXPECT_EQ(engine_->pendingDeliveries(), 1u);
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 1u);
}

TEST_F(EngineBusTest, AFailedConditionCancelsTheWritesAndTheEvents) {
  EngineBus bus(*engine_, tables_.get(), "tenant-a");
  AttributeMap item{{"id", AttributeValue::string("o-1")}};
  ASSERT_TRUE(bus.putWithWrites({TransactionAction::put("orders", item)}, {placed("o-1")}).ok());
  engine_->dispatchDueForTest();
  // The same order again, only if it does not exist: the condition fails.
  auto again = bus.putWithWrites(
      {TransactionAction::put("orders", item, table::Condition::notExists(table::attr("id")))},
      {placed("o-1")});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().type(), "TransactionCanceledException");
  EXPECT_EQ(engine_->pendingDeliveries(), 0u);
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 1u);
}

}  // namespace
}  // namespace bakery::bus
