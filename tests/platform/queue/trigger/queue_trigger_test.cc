#include "platform/queue/trigger/queue_trigger.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::queue {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr std::string_view kOwner = "";  // the system scope: account 000000000000
constexpr std::string_view kArn = "arn:aws:sqs:eu-west-1:000000000000:orders";

// A function the trigger calls: records every event and answers with `respond` (default: a
// null response, which is success).
class RecordingFunction {
 public:
  using Respond = std::function<core::Result<json::value>(const json::value& event, int call)>;

  explicit RecordingFunction(Respond respond = {}) : respond_(std::move(respond)) {}

  QueueTrigger::Invoke invoker() {
    return [this](const json::value& event) -> core::Result<json::value> {
      int call = 0;
      {
        std::lock_guard lock(mu_);
        events_.push_back(event);
        call = static_cast<int>(events_.size());
      }
      changed_.notify_all();
      return respond_ ? respond_(event, call) : core::Result<json::value>(json::value(nullptr));
    };
  }
  std::vector<json::value> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  // Waits (at most 5 s) for the trigger's thread to have made `n` calls.
  bool waitForCalls(std::size_t n) const {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, seconds(5), [&] { return events_.size() >= n; });
  }

 private:
  Respond respond_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<json::value> events_;
};

const json::array& records(const json::value& event) { return event.at("Records").as_array(); }
std::vector<std::string> field(const json::value& event, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& r : records(event)) out.emplace_back(r.at(name).as_string());
  return out;
}
core::Result<json::value> fail(const json::value&, int) {
  return core::Error("Unhandled", 500, "the function failed");
}
core::Result<json::value> batchItemFailures(const std::vector<std::string>& ids) {
  json::array items;
  for (const auto& id : ids) items.push_back(json::object{{"itemIdentifier", id}});
  return json::value(json::object{{"batchItemFailures", std::move(items)}});
}

// Polls `done` until it holds, at most 5 s: for what the trigger's thread does.
template <class Predicate>
bool eventually(Predicate done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class TriggerFixture : public ::testing::Test {
 protected:
  virtual core::Clock& clock() = 0;

  void SetUp() override {
    auto storage = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(storage.ok()) << storage.error().message();
    storage_ = std::move(*storage);
    EngineOptions options;
    options.region = "eu-west-1";
    engine_ = std::make_unique<QueueEngine>(*storage_, clock(), ids_, options);
    auto opened = engine_->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message();
  }
  void TearDown() override {
    triggers_.clear();
    engine_.reset();
    storage_.reset();
  }

  void create(std::string_view name, const QueueAttributeMap& attributes = {}) {
    auto r = engine_->createQueue(kOwner, name, attributes);
    ASSERT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
  }
  SendResult send(std::string_view queue, SendRequest request) {
    auto r = engine_->sendMessage(kOwner, queue, request);
    EXPECT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
    return r ? *r : SendResult{};
  }
  SendResult send(std::string_view queue, std::string body) {
    return send(queue, SendRequest{.body = std::move(body)});
  }
  // Sends all at once, so that they become visible together.
  void sendAll(std::string_view queue, int count) {
    std::vector<SendBatchEntry> entries;
    for (int i = 0; i < count; ++i) {
      entries.push_back({"e" + std::to_string(i), {.body = "m" + std::to_string(i)}});
    }
    auto r = engine_->sendMessageBatch(kOwner, queue, entries);
    ASSERT_TRUE(r.ok() && r->failed.empty());
  }
  std::string attribute(std::string_view queue, std::string name) {
    auto r = engine_->getQueueAttributes(kOwner, queue, {name});
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r ? (*r)[name] : "";
  }
  std::string visible(std::string_view queue) {
    return attribute(queue, "ApproximateNumberOfMessages");
  }
  std::string inFlight(std::string_view queue) {
    return attribute(queue, "ApproximateNumberOfMessagesNotVisible");
  }

  QueueTrigger& trigger(QueueTriggerOptions options, RecordingFunction& function) {
    auto created = QueueTrigger::create(*engine_, clock(), std::move(options), function.invoker(),
                                        [this](const core::Error& e) {
                                          std::lock_guard lock(reportedMu_);
                                          reported_.push_back(e.message());
                                        });
    EXPECT_TRUE(created.ok()) << created.error().message();
    triggers_.push_back(std::move(created).value());
    return *triggers_.back();
  }
  BatchOutcome poll(QueueTrigger& t) {
    auto r = t.pollOnce();
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r ? *r : BatchOutcome{};
  }
  std::vector<std::string> reported() {
    std::lock_guard lock(reportedMu_);
    return reported_;
  }

  testing::TempDir dir_{"bakery-trigger"};
  core::RandomIdGenerator ids_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<QueueEngine> engine_;
  std::vector<std::unique_ptr<QueueTrigger>> triggers_;
  std::mutex reportedMu_;
  std::vector<std::string> reported_;
};

// One poll at a time on the test's thread, with time moved by hand. A poll must only be made
// when a message is visible: with nothing to receive it would wait for the clock to move.
class QueueTriggerTest : public TriggerFixture {
 protected:
  core::Clock& clock() override { return clock_; }
  core::ManualClock clock_;
};

// Started triggers, polling on their own thread, on the real clock.
class QueueTriggerPollerTest : public TriggerFixture {
 protected:
  core::Clock& clock() override { return clock_; }
  core::SystemClock clock_;
};

// --- Options --------------------------------------------------------------------------------

TEST_F(QueueTriggerTest, CreateRejectsInvalidOptionsNamingThem) {
  RecordingFunction function;
  auto rejected = [&](QueueTriggerOptions o) {
    auto r = QueueTrigger::create(*engine_, clock_, std::move(o), function.invoker());
    EXPECT_FALSE(r.ok());
    return r ? std::string("accepted") : r.error().field() + " | " + r.error().message();
  };
  EXPECT_EQ(rejected({.queue = "orders", .batchSize = 0}),
            "batchSize | batchSize: must be between 1 and 10, got 0");
  EXPECT_EQ(rejected({.queue = "orders", .batchSize = 11}),
            "batchSize | batchSize: must be between 1 and 10, got 11");
  EXPECT_EQ(rejected({.queue = "orders", .maximumBatchingWindowSeconds = 301}),
            "maximumBatchingWindowSeconds | maximumBatchingWindowSeconds: must be between 0 and "
            "300, got 301");
  EXPECT_EQ(rejected({.queue = "orders", .maximumBatchingWindowSeconds = -1}),
            "maximumBatchingWindowSeconds | maximumBatchingWindowSeconds: must be between 0 and "
            "300, got -1");
  EXPECT_EQ(rejected({.queue = "orders.fifo", .maximumBatchingWindowSeconds = 1}),
            "maximumBatchingWindowSeconds | maximumBatchingWindowSeconds: must be 0 for a FIFO "
            "queue");
  EXPECT_EQ(rejected({.queue = "orders", .pollWaitSeconds = 0}),
            "pollWaitSeconds | pollWaitSeconds: must be between 1 and 20, got 0");
  EXPECT_EQ(rejected({.queue = "orders", .pollWaitSeconds = 21}),
            "pollWaitSeconds | pollWaitSeconds: must be between 1 and 20, got 21");
  EXPECT_EQ(rejected({.queue = ""}), "queue | queue: is required");
  auto noFunction = QueueTrigger::create(*engine_, clock_, {.queue = "orders"}, {});
  ASSERT_FALSE(noFunction.ok());
  EXPECT_EQ(noFunction.error().field(), "invoke");
  EXPECT_TRUE(QueueTrigger::create(*engine_, clock_,
                                   {.queue = "orders",
                                    .batchSize = 1,
                                    .maximumBatchingWindowSeconds = 300,
                                    .pollWaitSeconds = 20},
                                   function.invoker())
                  .ok());
}

// --- The event ------------------------------------------------------------------------------

TEST_F(QueueTriggerTest, EventIsLambdasSqsEvent) {
  create("orders");
  SendResult sent = send(
      "orders", SendRequest{.body = R"({"order":1})",
                            .attributes = {{"kind", {"String", "new", {}}},
                                           {"count", {"Number.int", "3", {}}},
                                           {"blob", {"Binary", {}, std::string("\x00\x01", 2)}}}});
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  clock_.advance(seconds(2));
  BatchOutcome outcome = poll(t);
  EXPECT_EQ(outcome.received, 1u);
  std::vector<json::value> events = function.events();
  ASSERT_EQ(events.size(), 1u);
  const json::value& event = events[0];
  ASSERT_EQ(event.as_object().size(), 1u);
  ASSERT_EQ(records(event).size(), 1u);
  const json::object& r = records(event)[0].as_object();

  std::vector<std::string> keys;
  for (const auto& kv : r) keys.emplace_back(kv.key());
  EXPECT_THAT(keys, ElementsAre("messageId", "receiptHandle", "body", "attributes",
                                "messageAttributes", "md5OfBody", "md5OfMessageAttributes",
                                "eventSource", "eventSourceARN", "awsRegion"));
  EXPECT_EQ(r.at("messageId").as_string(), sent.messageId);
  EXPECT_FALSE(r.at("receiptHandle").as_string().empty());
  EXPECT_EQ(r.at("body").as_string(), R"({"order":1})");
  EXPECT_EQ(r.at("md5OfBody").as_string(), sent.md5OfMessageBody);
  EXPECT_EQ(r.at("md5OfMessageAttributes").as_string(), sent.md5OfMessageAttributes);
  EXPECT_EQ(r.at("eventSource").as_string(), "aws:sqs");
  EXPECT_EQ(r.at("eventSourceARN").as_string(), kArn);
  EXPECT_EQ(r.at("awsRegion").as_string(), "eu-west-1");

  const json::object& attributes = r.at("attributes").as_object();
  EXPECT_EQ(attributes.at("ApproximateReceiveCount").as_string(), "1");
  EXPECT_EQ(attributes.at("SenderId").as_string(), "000000000000");
  std::string sentAt(attributes.at("SentTimestamp").as_string());
  std::string firstReceive(attributes.at("ApproximateFirstReceiveTimestamp").as_string());
  EXPECT_EQ(std::stoll(firstReceive) - std::stoll(sentAt), 2000);
  EXPECT_EQ(attributes.size(), 4u);  // a standard queue's: no group, no sequence number

  EXPECT_EQ(core::toJson(r.at("messageAttributes")),
            R"({"blob":{"binaryValue":"AAE=","stringListValues":[],"binaryListValues":[],)"
            R"("dataType":"Binary"},)"
            R"("count":{"stringValue":"3","stringListValues":[],"binaryListValues":[],)"
            R"("dataType":"Number.int"},)"
            R"("kind":{"stringValue":"new","stringListValues":[],"binaryListValues":[],)"
            R"("dataType":"String"}})");
}

TEST_F(QueueTriggerTest, MessageWithoutAttributesHasNoAttributeDigest) {
  create("orders");
  send("orders", "plain");
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  poll(t);
  std::vector<json::value> events = function.events();
  ASSERT_EQ(events.size(), 1u);
  const json::object& r = records(events[0])[0].as_object();
  EXPECT_FALSE(r.contains("md5OfMessageAttributes"));
  EXPECT_TRUE(r.at("messageAttributes").as_object().empty());
}

TEST_F(QueueTriggerTest, FifoRecordsCarryGroupDeduplicationIdAndSequenceNumber) {
  create("orders.fifo", {{"FifoQueue", "true"}});
  SendResult sent =
      send("orders.fifo",
           SendRequest{.body = "a1", .messageGroupId = "a", .messageDeduplicationId = "d1"});
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders.fifo"}, function);
  poll(t);
  std::vector<json::value> events = function.events();
  ASSERT_EQ(events.size(), 1u);
  const json::object& r = records(events[0])[0].as_object();
  const json::object& attributes = r.at("attributes").as_object();
  EXPECT_EQ(attributes.at("MessageGroupId").as_string(), "a");
  EXPECT_EQ(attributes.at("MessageDeduplicationId").as_string(), "d1");
  EXPECT_EQ(attributes.at("SequenceNumber").as_string(), sent.sequenceNumber);
  EXPECT_EQ(r.at("eventSourceARN").as_string(), std::string(kArn) + ".fifo");
}

// --- Batches and acknowledgement ------------------------------------------------------------

TEST_F(QueueTriggerTest, BatchesHoldAtMostBatchSizeMessages) {
  create("orders");
  sendAll("orders", 5);
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders", .batchSize = 2}, function);
  EXPECT_EQ(poll(t).received, 2u);
  EXPECT_EQ(poll(t).received, 2u);
  EXPECT_EQ(poll(t).received, 1u);  // what is left; no window: invoked at once
  std::multiset<std::string> bodies;
  for (const auto& event : function.events()) {
    for (auto& b : field(event, "body")) bodies.insert(b);
  }
  EXPECT_THAT(bodies, UnorderedElementsAre("m0", "m1", "m2", "m3", "m4"));
}

TEST_F(QueueTriggerTest, SuccessDeletesEveryMessageOfTheBatch) {
  create("orders");
  sendAll("orders", 3);
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  BatchOutcome outcome = poll(t);
  EXPECT_TRUE(outcome.invoked);
  EXPECT_EQ(outcome.received, 3u);
  EXPECT_EQ(outcome.deleted, 3u);
  EXPECT_EQ(outcome.retained, 0u);
  EXPECT_FALSE(outcome.error);
  EXPECT_EQ(visible("orders"), "0");
  EXPECT_EQ(inFlight("orders"), "0");
  clock_.advance(seconds(3600));
  EXPECT_EQ(visible("orders"), "0");  // deleted, not merely hidden
  EXPECT_EQ(t.stats().deletedMessages, 3u);
}

TEST_F(QueueTriggerTest, FailedInvocationKeepsTheBatchUntilTheVisibilityTimeout) {
  create("orders", {{"VisibilityTimeout", "30"}});
  sendAll("orders", 2);
  RecordingFunction function([](const json::value& e, int call) -> core::Result<json::value> {
    if (call == 1) return fail(e, call);
    return json::value(nullptr);
  });
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  BatchOutcome failed = poll(t);
  EXPECT_TRUE(failed.invoked);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->message(), "the function failed");
  EXPECT_EQ(failed.deleted, 0u);
  EXPECT_EQ(failed.retained, 2u);
  EXPECT_EQ(inFlight("orders"), "2");
  clock_.advance(seconds(29));
  EXPECT_EQ(visible("orders"), "0");
  clock_.advance(seconds(1));
  EXPECT_EQ(visible("orders"), "2");

  BatchOutcome retried = poll(t);
  EXPECT_EQ(retried.deleted, 2u);
  std::vector<json::value> events = function.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(field(events[1], "messageId"), field(events[0], "messageId"));
  for (const auto& r : records(events[1])) {
    EXPECT_EQ(r.at("attributes").at("ApproximateReceiveCount").as_string(), "2");
  }
  EXPECT_EQ(visible("orders"), "0");
  EXPECT_EQ(inFlight("orders"), "0");
  QueueTriggerStats stats = t.stats();
  EXPECT_EQ(stats.invocations, 2u);
  EXPECT_EQ(stats.failedInvocations, 1u);
  EXPECT_EQ(stats.retainedMessages, 2u);
  EXPECT_EQ(stats.deletedMessages, 2u);
  EXPECT_TRUE(reported().empty());  // the function's own failure is not the trigger's trouble
}

TEST_F(QueueTriggerTest, PartialBatchFailureKeepsExactlyTheReportedMessages) {
  create("orders");
  sendAll("orders", 4);
  std::vector<std::string> failedIds;
  RecordingFunction function([&](const json::value& event, int) {
    std::vector<std::string> ids = field(event, "messageId");
    failedIds = {ids[1], ids[3]};
    return batchItemFailures(failedIds);
  });
  QueueTrigger& t = trigger({.queue = "orders", .reportBatchItemFailures = true}, function);
  BatchOutcome outcome = poll(t);
  EXPECT_FALSE(outcome.error);
  EXPECT_EQ(outcome.deleted, 2u);
  EXPECT_EQ(outcome.retained, 2u);
  EXPECT_EQ(inFlight("orders"), "2");

  clock_.advance(seconds(30));
  RecordingFunction second;
  QueueTrigger& again = trigger({.queue = "orders"}, second);
  EXPECT_EQ(poll(again).received, 2u);
  ASSERT_EQ(second.events().size(), 1u);
  EXPECT_THAT(field(second.events()[0], "messageId"),
              UnorderedElementsAre(failedIds[0], failedIds[1]));
}

TEST_F(QueueTriggerTest, BatchItemFailuresAreIgnoredWithoutReportBatchItemFailures) {
  create("orders");
  sendAll("orders", 2);
  RecordingFunction function(
      [](const json::value& event, int) { return batchItemFailures(field(event, "messageId")); });
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  EXPECT_EQ(poll(t).deleted, 2u);
  EXPECT_EQ(inFlight("orders"), "0");
}

TEST_F(QueueTriggerTest, NullOrEmptyPartialBatchResponsesAreCompleteSuccess) {
  create("orders");
  for (std::string_view response : {"null", "{}", R"({"batchItemFailures":null})",
                                    R"({"batchItemFailures":[]})", R"({"statusCode":200})"}) {
    send("orders", std::string(response));
    RecordingFunction function(
        [&](const json::value&, int) { return core::parseJson(response, "response"); });
    QueueTrigger& t = trigger({.queue = "orders", .reportBatchItemFailures = true}, function);
    BatchOutcome outcome = poll(t);
    EXPECT_FALSE(outcome.error) << response;
    EXPECT_EQ(outcome.deleted, 1u) << response;
  }
  EXPECT_EQ(inFlight("orders"), "0");
  EXPECT_TRUE(reported().empty());
}

TEST_F(QueueTriggerTest, InvalidPartialBatchResponseFailsTheWholeBatch) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("done")", "the response is not a JSON object"},
      {R"([])", "the response is not a JSON object"},
      {R"({"batchItemFailures":{}})", "batchItemFailures is not an array"},
      {R"({"batchItemFailures":["ID"]})", "batchItemFailures[0] has no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":""}]})",
       "batchItemFailures[0] has no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":null}]})",
       "batchItemFailures[0] has no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":"ID"},{"messageId":"ID"}]})",
       "batchItemFailures[1] has no itemIdentifier"},
      {R"({"batchItemFailures":[{"itemIdentifier":"someone-else"}]})",
       "batchItemFailures[0].itemIdentifier 'someone-else' is not a message of the batch"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string& response = cases[i].first;
    const std::string& reason = cases[i].second;
    std::string queue = "q" + std::to_string(i);
    create(queue);
    sendAll(queue, 2);
    RecordingFunction function([&](const json::value& event, int) {
      std::string text = response;
      std::string id = field(event, "messageId")[0];
      for (std::size_t at; (at = text.find("\"ID\"")) != std::string::npos;) {
        text.replace(at, 4, "\"" + id + "\"");
      }
      return core::parseJson(text, "response");
    });
    QueueTrigger& t = trigger({.queue = queue, .reportBatchItemFailures = true}, function);
    BatchOutcome outcome = poll(t);
    ASSERT_TRUE(outcome.error) << response;
    EXPECT_EQ(outcome.error->message(), "invalid partial batch response: " + reason);
    EXPECT_EQ(outcome.deleted, 0u) << response;
    EXPECT_EQ(outcome.retained, 2u) << response;
    EXPECT_EQ(inFlight(queue), "2") << response;
    EXPECT_EQ(t.stats().failedInvocations, 1u);
  }
  // The owner hears of each: a function answering the wrong shape loses nothing but retries.
  EXPECT_EQ(reported().size(), cases.size());
}

TEST_F(QueueTriggerTest, AStoppingTriggerInvokesNothingAndReleasesWhatItReceived) {
  create("orders", {{"VisibilityTimeout", "30"}});
  sendAll("orders", 3);
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  t.requestStop();
  BatchOutcome outcome = poll(t);
  EXPECT_EQ(outcome.received, 3u);
  EXPECT_FALSE(outcome.invoked);
  EXPECT_EQ(outcome.retained, 3u);
  EXPECT_TRUE(function.events().empty());
  EXPECT_EQ(visible("orders"), "3");  // at once, not after the visibility timeout
}

TEST_F(QueueTriggerTest, PollOfAMissingQueueIsQueueDoesNotExist) {
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "nowhere"}, function);
  auto r = t.pollOnce();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), "QueueDoesNotExist");
}

// --- The poller thread ----------------------------------------------------------------------

TEST_F(QueueTriggerPollerTest, StartedTriggerDeliversEveryMessageInBatchesOfAtMostBatchSize) {
  create("orders");
  sendAll("orders", 7);
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders", .batchSize = 3}, function);
  t.start();
  ASSERT_TRUE(eventually([&] { return t.stats().deletedMessages == 7; }));
  t.stop();
  std::multiset<std::string> bodies;
  for (const auto& event : function.events()) {
    EXPECT_LE(records(event).size(), 3u);
    for (auto& b : field(event, "body")) bodies.insert(b);
  }
  EXPECT_THAT(bodies, UnorderedElementsAre("m0", "m1", "m2", "m3", "m4", "m5", "m6"));
  EXPECT_EQ(visible("orders"), "0");
  EXPECT_EQ(inFlight("orders"), "0");
}

TEST_F(QueueTriggerPollerTest, BatchingWindowGathersMessagesUntilTheBatchIsFull) {
  create("orders");
  RecordingFunction function;
  QueueTrigger& t =
      trigger({.queue = "orders", .batchSize = 4, .maximumBatchingWindowSeconds = 300}, function);
  t.start();
  for (int i = 0; i < 4; ++i) send("orders", "m" + std::to_string(i));
  ASSERT_TRUE(function.waitForCalls(1));
  ASSERT_TRUE(eventually([&] { return t.stats().deletedMessages == 4; }));
  t.stop();
  ASSERT_EQ(function.events().size(), 1u);  // one full batch, long before the window closed
  EXPECT_THAT(field(function.events()[0], "body"), ElementsAre("m0", "m1", "m2", "m3"));
}

TEST_F(QueueTriggerPollerTest, BatchingWindowClosesWithWhatItGathered) {
  create("orders");
  RecordingFunction function;
  QueueTrigger& t =
      trigger({.queue = "orders", .batchSize = 10, .maximumBatchingWindowSeconds = 1}, function);
  t.start();
  send("orders", "lonely");
  ASSERT_TRUE(function.waitForCalls(1));
  t.stop();
  EXPECT_THAT(field(function.events()[0], "body"), ElementsAre("lonely"));
}

TEST_F(QueueTriggerPollerTest, RepeatedFailuresRedriveTheMessageToTheDeadLetterQueue) {
  create("orders-dlq");
  // VisibilityTimeout 0: a failed message is visible again at once, so retries need no waiting.
  create("orders", {{"VisibilityTimeout", "0"},
                    {"RedrivePolicy", R"({"deadLetterTargetArn":")" +
                                          engine_->queueArn(kOwner, "orders-dlq") +
                                          R"(","maxReceiveCount":3})"}});
  SendResult sent = send("orders", "poison");
  RecordingFunction function(fail);
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  t.start();
  ASSERT_TRUE(eventually([&] { return visible("orders-dlq") == "1"; }));
  t.stop();
  std::vector<std::string> counts;
  for (const auto& event : function.events()) {
    EXPECT_EQ(field(event, "messageId"), std::vector<std::string>{sent.messageId});
    counts.emplace_back(
        records(event)[0].at("attributes").at("ApproximateReceiveCount").as_string());
  }
  EXPECT_THAT(counts, ElementsAre("1", "2", "3"));
  EXPECT_EQ(visible("orders"), "0");
  EXPECT_EQ(inFlight("orders"), "0");
  auto dead = engine_->receiveMessage(kOwner, "orders-dlq", {.waitTimeSeconds = 0});
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].messageId, sent.messageId);
  EXPECT_EQ((*dead)[0].body, "poison");
}

TEST_F(QueueTriggerPollerTest, StopEndsAnIdleLongPollPromptlyWithoutStoppingTheEngine) {
  create("orders");
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders", .pollWaitSeconds = 1}, function);
  t.start();
  auto stopped = std::async(std::launch::async, [&] { t.stop(); });
  ASSERT_EQ(stopped.wait_for(seconds(5)), std::future_status::ready);
  send("orders", "after");
  EXPECT_EQ(visible("orders"), "1");  // nobody consumes it any more
  EXPECT_TRUE(function.events().empty());
  // The engine still long-polls for others: a receive waits for a send.
  create("other");
  auto waiter = std::async(std::launch::async, [&] {
    return engine_->receiveMessage(kOwner, "other", {.waitTimeSeconds = 20});
  });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  send("other", "wake");
  ASSERT_EQ(waiter.wait_for(seconds(5)), std::future_status::ready);
}

TEST_F(QueueTriggerPollerTest, StopLetsTheInvocationInProgressFinishAndAcknowledgesIt) {
  create("orders");
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  RecordingFunction function([&](const json::value&, int call) -> core::Result<json::value> {
    if (call == 1) {
      entered.set_value();
      released.wait();
    }
    return json::value(nullptr);
  });
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  t.start();
  send("orders", "slow");
  ASSERT_EQ(entered.get_future().wait_for(seconds(5)), std::future_status::ready);
  auto stopped = std::async(std::launch::async, [&] { t.stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  release.set_value();
  ASSERT_EQ(stopped.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_EQ(t.stats().deletedMessages, 1u);
  EXPECT_EQ(inFlight("orders"), "0");
  EXPECT_EQ(function.events().size(), 1u);
}

TEST_F(QueueTriggerPollerTest, AMissingQueueIsReportedOnceAndPolledUntilItExists) {
  RecordingFunction function;
  QueueTrigger& t = trigger({.queue = "orders"}, function);
  t.start();
  ASSERT_TRUE(eventually([&] { return !reported().empty(); }));
  create("orders");
  send("orders", "finally");
  ASSERT_TRUE(function.waitForCalls(1));
  t.stop();
  EXPECT_THAT(reported(), ElementsAre(HasSubstr("The specified queue does not exist.")));
  EXPECT_THAT(field(function.events()[0], "body"), ElementsAre("finally"));
}

}  // namespace
}  // namespace bakery::queue
