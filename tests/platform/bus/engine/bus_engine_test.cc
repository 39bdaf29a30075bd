// BusEngine on a real store with a ManualClock: matching, delivery, retries with backoff,
// dead-lettering, durability across a restart, bus-to-bus forwarding, archives and replays,
// scheduled rules. Targets are a durable in-test sink: queue messages are written into the
// engine's own batch (as the real queue engine does), so what "arrived" is what committed.
#include "platform/bus/engine/bus_engine.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "platform/aws/scripted_http_server.h"
#include "platform/bus/engine/recording_sinks.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::bus {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kQueue = "arn:aws:sqs:us-east-1:000000000000:orders";
constexpr std::string_view kDlq = "arn:aws:sqs:us-east-1:000000000000:dlq";
constexpr std::string_view kFunction = "arn:aws:lambda:us-east-1:000000000000:function:f";

class BusEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    auto s = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(s.ok()) << s.error().message();
    storage_ = std::move(s).value();
    BusOptions options;
    options.startDispatcher = false;
    engine_ = std::make_unique<BusEngine>(*storage_, clock_, ids_, sinks_, options);
    ASSERT_TRUE(engine_->open().ok());
  }
  void reopen() {
    engine_.reset();
    storage_.reset();
    open();
  }
  json::object call(std::string_view op, std::string_view request, std::string_view owner = "") {
    auto r = engine_->call(owner, op, core::parseJson(request, "request")->as_object());
    EXPECT_TRUE(r.ok()) << op << ": " << r.error().message();
    return r.ok() ? r.value() : json::object{};
  }
  core::Error fails(std::string_view op, std::string_view request) {
    auto r = engine_->call("", op, core::parseJson(request, "request")->as_object());
    EXPECT_FALSE(r.ok()) << op << " succeeded";
    return r.ok() ? core::Error::internal() : r.error();
  }
  json::object put(std::string_view detail, std::string_view source = "shop") {
    json::object entry{{"Source", source}, {"DetailType", "order"}, {"Detail", detail}};
    return call("PutEvents", core::toJson(json::object{{"Entries", json::array{entry}}}));
  }
  void ruleToQueue(std::string_view pattern, std::string_view extraTarget = "") {
    call("PutRule", core::toJson(json::object{{"Name", "orders"}, {"EventPattern", pattern}}));
    std::string target = fmt::format(R"({{"Id":"q","Arn":"{}"{}}})", kQueue, extraTarget);
    call("PutTargets", fmt::format(R"({{"Rule":"orders","Targets":[{}]}})", target));
  }

  testing::TempDir dir_;
  core::ManualClock clock_;
  core::RandomIdGenerator ids_;
  RecordingSinks sinks_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<BusEngine> engine_;
};

TEST_F(BusEngineTest, MatchingEventReachesTheQueueTargetOnce) {
  ruleToQueue(R"({"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}})");
  json::object out = put(R"({"total": 250})");
  EXPECT_EQ(out.at("FailedEntryCount").as_int64(), 0);
  put(R"({"total": 5})");
  EXPECT_EQ(engine_->dispatchDueForTest(), 1u);
  ASSERT_EQ(sinks_.received.size(), 1u);
  auto event = core::parseJson(sinks_.received[0].body, "event")->as_object();
  EXPECT_EQ(event.at("source").as_string(), "shop");
  EXPECT_EQ(event.at("detail-type").as_string(), "order");
  EXPECT_EQ(event.at("version").as_string(), "0");
  EXPECT_EQ(event.at("id").as_string(), out.at("Entries").as_array()[0].at("EventId").as_string());
  EXPECT_EQ(event.at("detail").at("total").as_int64(), 250);
  EXPECT_EQ(engine_->dispatchDueForTest(), 0u);
  EXPECT_EQ(engine_->pendingDeliveries(), 0u);
}

TEST_F(BusEngineTest, InputTransformerShapesWhatTheTargetGets) {
  ruleToQueue(
      R"({"source":["shop"]})",
      R"(,"InputTransformer":{"InputPathsMap":{"t":"$.detail.total"},"InputTemplate":"{\"total\": <t>, \"rule\": \"<aws.events.rule-name>\"}"})");
  put(R"({"total": 7})");
  engine_->dispatchDueForTest();
  ASSERT_EQ(sinks_.received.size(), 1u);
  EXPECT_EQ(core::parseJson(sinks_.received[0].body, "body").value(),
            core::parseJson(R"({"total": 7, "rule": "orders"})", "x").value());
}

TEST_F(BusEngineTest, PutEventsReportsEachFailedEntryInRequestOrder) {
  json::object out = call("PutEvents", R"({"Entries":[
      {"Source":"shop","DetailType":"order","Detail":"{}"},
      {"DetailType":"order","Detail":"{}"},
      {"Source":"shop","DetailType":"order","Detail":"not json"},
      {"Source":"shop","DetailType":"order","Detail":"{}","EventBusName":"nope"}]})");
  EXPECT_EQ(out.at("FailedEntryCount").as_int64(), 3);
  const json::array& entries = out.at("Entries").as_array();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_TRUE(entries[0].as_object().contains("EventId"));
  EXPECT_EQ(entries[1].at("ErrorCode").as_string(), "InvalidArgument");
  EXPECT_EQ(entries[2].at("ErrorCode").as_string(), "MalformedDetail");
  EXPECT_EQ(entries[3].at("ErrorCode").as_string(), "ResourceNotFoundException");
  EXPECT_EQ(fails("PutEvents", R"({"Entries":[]})").type(), "ValidationException");
}

TEST_F(BusEngineTest, FailingTargetIsRetriedWithBackoffThenDeadLettered) {
  call("PutRule", R"({"Name":"f","EventPattern":"{\"source\":[\"shop\"]}"})");
  call("PutTargets", fmt::format(R"({{"Rule":"f","Targets":[{{"Id":"fn","Arn":"{}",
        "RetryPolicy":{{"MaximumRetryAttempts":2}},"DeadLetterConfig":{{"Arn":"{}"}}}}]}})",
                                 kFunction, kDlq));
  sinks_.functionFailures = 100;
  put("{}");
  EXPECT_EQ(engine_->dispatchDueForTest(), 1u);  // first attempt
  EXPECT_EQ(engine_->pendingDeliveries(), 1u);   // rescheduled, not due yet at this instant
  for (int i = 0; i < 5 && sinks_.received.empty(); ++i) {
    clock_.advance(10min);
    engine_->dispatchDueForTest();
  }
  EXPECT_EQ(sinks_.invocations.size(), 3u);  // the attempt and two retries
  ASSERT_EQ(sinks_.received.size(), 1u);
  const Message& m = sinks_.received[0];
  EXPECT_EQ(m.queueArn, kDlq);
  EXPECT_EQ(m.attributes.at("EXHAUSTED_RETRY_CONDITION"), "MaximumRetryAttempts");
  EXPECT_EQ(m.attributes.at("RETRY_ATTEMPTS"), "2");
  EXPECT_EQ(m.attributes.at("ERROR_CODE"), "SERVICE_ERROR");
  EXPECT_EQ(m.attributes.at("RULE_ARN"), "arn:aws:events:us-east-1:000000000000:rule/f");
  EXPECT_EQ(m.attributes.at("TARGET_ARN"), kFunction);
  EXPECT_EQ(engine_->pendingDeliveries(), 0u);
}

TEST_F(BusEngineTest, EventOlderThanMaximumAgeIsNotRetried) {
  call("PutRule", R"({"Name":"f","EventPattern":"{\"source\":[\"shop\"]}"})");
  call("PutTargets", fmt::format(R"({{"Rule":"f","Targets":[{{"Id":"fn","Arn":"{}",
        "RetryPolicy":{{"MaximumEventAgeInSeconds":60}},"DeadLetterConfig":{{"Arn":"{}"}}}}]}})",
                                 kFunction, kDlq));
  sinks_.functionFailures = 1000;
  put("{}");
  for (int i = 0; i < 40 && sinks_.received.empty(); ++i) {
    engine_->dispatchDueForTest();
    clock_.advance(5s);
  }
  ASSERT_EQ(sinks_.received.size(), 1u);
  EXPECT_EQ(sinks_.received[0].attributes.at("EXHAUSTED_RETRY_CONDITION"),
            "MaximumEventAgeInSeconds");
}

TEST_F(BusEngineTest, MissingQueueGoesStraightToTheDeadLetterQueue) {
  call("PutRule", R"({"Name":"r","EventPattern":"{\"source\":[\"shop\"]}"})");
  call("PutTargets", fmt::format(R"({{"Rule":"r","Targets":[{{"Id":"gone",
        "Arn":"arn:aws:sqs:us-east-1:000000000000:gone","DeadLetterConfig":{{"Arn":"{}"}}}}]}})",
                                 kDlq));
  put("{}");
  engine_->dispatchDueForTest();
  ASSERT_EQ(sinks_.received.size(), 1u);
  EXPECT_EQ(sinks_.received[0].attributes.at("ERROR_CODE"), "NO_RESOURCE");
  EXPECT_FALSE(sinks_.received[0].attributes.contains("EXHAUSTED_RETRY_CONDITION"));
}

TEST_F(BusEngineTest, AcceptedEventsAreDeliveredAfterARestart) {
  ruleToQueue(R"({"source":["shop"]})");
  put(R"({"n":1})");
  put(R"({"n":2})");
  reopen();
  EXPECT_EQ(engine_->pendingDeliveries(), 2u);
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 2u);
  reopen();
  EXPECT_EQ(engine_->pendingDeliveries(), 0u);
  // Rules and targets survived too.
  json::object rule = call("DescribeRule", R"({"Name":"orders"})");
  EXPECT_EQ(rule.at("State").as_string(), "ENABLED");
  EXPECT_EQ(call("ListTargetsByRule", R"({"Rule":"orders"})").at("Targets").as_array().size(), 1u);
}

TEST_F(BusEngineTest, DisabledRuleMatchesNothing) {
  ruleToQueue(R"({"source":["shop"]})");
  call("DisableRule", R"({"Name":"orders"})");
  put("{}");
  EXPECT_EQ(engine_->dispatchDueForTest(), 0u);
  call("EnableRule", R"({"Name":"orders"})");
  put("{}");
  EXPECT_EQ(engine_->dispatchDueForTest(), 1u);
}

TEST_F(BusEngineTest, BusTargetForwardsTheEventToTheOtherBusRules) {
  call("CreateEventBus", R"({"Name":"audit"})");
  call("PutRule",
       R"({"Name":"all","EventBusName":"audit","EventPattern":"{\"source\":[\"shop\"]}"})");
  call("PutTargets",
       fmt::format(R"({{"Rule":"all","EventBusName":"audit","Targets":[{{"Id":"q","Arn":"{}"}}]}})",
                   kQueue));
  call("PutRule", R"({"Name":"fwd","EventPattern":"{\"source\":[\"shop\"]}"})");
  call(
      "PutTargets",
      R"({"Rule":"fwd","Targets":[{"Id":"b","Arn":"arn:aws:events:us-east-1:000000000000:event-bus/audit"}]})");
  put("{}");
  engine_->dispatchDueForTest();  // to the bus
  engine_->dispatchDueForTest();  // from its rule to the queue
  ASSERT_EQ(sinks_.received.size(), 1u);
}

TEST_F(BusEngineTest, ReplayResendsArchivedEventsMarkedWithTheReplayName) {
  json::object archive = call(
      "CreateArchive",
      R"({"ArchiveName":"all","EventSourceArn":"arn:aws:events:us-east-1:000000000000:event-bus/default"})");
  put(R"({"n":1})");
  put(R"({"n":2})");
  EXPECT_EQ(call("DescribeArchive", R"({"ArchiveName":"all"})").at("EventCount").as_int64(), 2);
  ruleToQueue(R"({"source":["shop"],"replay-name":[{"exists":true}]})");
  double now = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(clock_.wallNow().time_since_epoch())
          .count());
  call("StartReplay",
       core::toJson(json::object{
           {"ReplayName", "again"},
           {"EventSourceArn", archive.at("ArchiveArn")},
           {"EventStartTime", now - 60},
           {"EventEndTime", now + 60},
           {"Destination", {{"Arn", "arn:aws:events:us-east-1:000000000000:event-bus/default"}}}}));
  std::string state;
  for (int i = 0; i < 500 && state != "COMPLETED"; ++i) {
    state = call("DescribeReplay", R"({"ReplayName":"again"})").at("State").as_string();
    if (state != "COMPLETED") std::this_thread::sleep_for(10ms);  // the replay's own thread
  }
  ASSERT_EQ(state, "COMPLETED");
  engine_->dispatchDueForTest();
  ASSERT_EQ(sinks_.received.size(), 2u);
  auto event = core::parseJson(sinks_.received[0].body, "event")->as_object();
  EXPECT_EQ(event.at("replay-name").as_string(), "again");
  // Replayed events are not archived again.
  EXPECT_EQ(call("DescribeArchive", R"({"ArchiveName":"all"})").at("EventCount").as_int64(), 2);
}

TEST_F(BusEngineTest, ScheduledRuleFiresOnceForAMissedPeriod) {
  call("PutRule", R"j({"Name":"tick","ScheduleExpression":"rate(5 minutes)"})j");
  call("PutTargets",
       fmt::format(R"({{"Rule":"tick","Targets":[{{"Id":"q","Arn":"{}"}}]}})", kQueue));
  engine_->dispatchDueForTest();
  EXPECT_TRUE(sinks_.received.empty());
  clock_.advance(5min);
  engine_->dispatchDueForTest();
  engine_->dispatchDueForTest();
  ASSERT_EQ(sinks_.received.size(), 1u);
  auto event = core::parseJson(sinks_.received[0].body, "event")->as_object();
  EXPECT_EQ(event.at("detail-type").as_string(), "Scheduled Event");
  EXPECT_EQ(event.at("source").as_string(), "aws.events");
  clock_.advance(1h);  // twelve ticks missed
  engine_->dispatchDueForTest();
  engine_->dispatchDueForTest();
  EXPECT_EQ(sinks_.received.size(), 2u);
}

TEST_F(BusEngineTest, RulesAreValidatedAndScopedToTheirOwner) {
  EXPECT_EQ(fails("PutRule", R"({"Name":"x","EventPattern":"{\"a\":\"b\"}"})").type(),
            "InvalidEventPatternException");
  EXPECT_EQ(fails("PutRule", R"({"Name":"bad name","EventPattern":"{}"})").type(),
            "ValidationException");
  EXPECT_EQ(fails("PutRule", R"({"Name":"x"})").type(), "ValidationException");
  EXPECT_EQ(fails("PutRule", R"j({"Name":"x","ScheduleExpression":"rate(1 minutes)"})j").type(),
            "ValidationException");
  ruleToQueue(R"({"source":["shop"]})");
  EXPECT_EQ(fails("DeleteRule", R"({"Name":"orders"})").message(),
            "Rule can't be deleted since it has targets.");
  auto other = engine_->call("tenant-b", "DescribeRule",
                             core::parseJson(R"({"Name":"orders"})", "r")->as_object());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().type(), "ResourceNotFoundException");
  // Tenant B's events never reach tenant A's rule.
  json::object entry{{"Source", "shop"}, {"DetailType", "order"}, {"Detail", "{}"}};
  ASSERT_TRUE(
      engine_->call("tenant-b", "PutEvents", json::object{{"Entries", json::array{entry}}}).ok());
  EXPECT_EQ(engine_->dispatchDueForTest(), 0u);
}

TEST_F(BusEngineTest, RulesChangeWhileOtherThreadsPutEvents) {
  ruleToQueue(R"({"source":["shop"]})");  // stays throughout: every event reaches it
  std::atomic<bool> done{false};
  std::atomic<int> put{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 2; ++t) {
    producers.emplace_back([&] {
      json::object entry{{"Source", "shop"}, {"DetailType", "order"}, {"Detail", "{}"}};
      while (!done) {
        auto r = engine_->putEvents("", json::object{{"Entries", json::array{entry}}});
        if (r.ok() && r->at("FailedEntryCount").as_int64() == 0) ++put;
      }
    });
  }
  for (int i = 0; i < 100; ++i) {
    std::string name = fmt::format("churn-{}", i);
    call("PutRule",
         core::toJson(json::object{
             {"Name", name}, {"EventPattern", fmt::format(R"({{"detail":{{"n":[{}]}}}})", i)}}));
    if (i % 3 == 0) call("DeleteRule", core::toJson(json::object{{"Name", name}}));
  }
  done = true;
  for (std::thread& t : producers) t.join();
  while (engine_->dispatchDueForTest() > 0) {
  }
  EXPECT_GT(put.load(), 0);
  EXPECT_EQ(sinks_.received.size(), static_cast<std::size_t>(put.load()));
}

TEST_F(BusEngineTest, TestEventPatternChecksTheEnvelope) {
  json::object r = call("TestEventPattern", R"({"EventPattern":"{\"source\":[\"a\"]}",
      "Event":"{\"id\":\"1\",\"account\":\"1\",\"source\":\"a\",\"time\":\"t\",\"region\":\"r\",\"detail-type\":\"d\",\"detail\":{}}"})");
  EXPECT_TRUE(r.at("Result").as_bool());
  EXPECT_EQ(
      fails("TestEventPattern", R"({"EventPattern":"{}","Event":"{\"source\":\"a\"}"})").message(),
      "Parameter Event is not valid.");
}

TEST_F(BusEngineTest, ApiDestinationReceivesTheEventWithTheConnectionsKey) {
  aws::testing::ScriptedHttpServer server;
  server.enqueue({.status = 503});
  server.enqueue({.status = 200});
  server.enqueue({.status = 404});
  json::object connection =
      call("CreateConnection", R"({"Name":"hook","AuthorizationType":"API_KEY",
      "AuthParameters":{"ApiKeyAuthParameters":{"ApiKeyName":"x-api-key","ApiKeyValue":"s3cret"}}})");
  json::object destination =
      call("CreateApiDestination",
           core::toJson(json::object{{"Name", "hook"},
                                     {"ConnectionArn", connection.at("ConnectionArn")},
                                     {"InvocationEndpoint", server.endpoint() + "/hooks/orders"},
                                     {"HttpMethod", "POST"},
                                     {"InvocationRateLimitPerSecond", 10}}));
  EXPECT_EQ(destination.at("ApiDestinationState").as_string(), "ACTIVE");
  // The secret never comes back.
  json::object described = call("DescribeConnection", R"({"Name":"hook"})");
  EXPECT_EQ(core::toJson(described).find("s3cret"), std::string::npos);
  call("PutRule", R"({"Name":"h","EventPattern":"{\"source\":[\"shop\"]}"})");
  call("PutTargets",
       core::toJson(json::object{
           {"Rule", "h"},
           {"Targets", json::array{json::object{{"Id", "api"},
                                                {"Arn", destination.at("ApiDestinationArn")},
                                                {"InputPath", "$.detail"},
                                                {"DeadLetterConfig", {{"Arn", kDlq}}}}}}}));
  put(R"({"n":1})");
  engine_->dispatchDueForTest();  // 503: retried
  clock_.advance(10min);
  engine_->dispatchDueForTest();  // 200
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/hooks/orders");
  EXPECT_EQ(requests[1].header("x-api-key"), "s3cret");
  EXPECT_EQ(core::parseJson(requests[1].body, "body").value(),
            core::parseJson(R"({"n":1})", "x").value());
  EXPECT_TRUE(sinks_.received.empty());
  put(R"({"n":2})");
  engine_->dispatchDueForTest();  // 404: final, to the dead-letter queue
  ASSERT_EQ(sinks_.received.size(), 1u);
  EXPECT_EQ(sinks_.received[0].attributes.at("ERROR_CODE"), "HTTP_404");
}

}  // namespace
}  // namespace bakery::bus
