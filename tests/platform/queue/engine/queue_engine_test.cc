#include "platform/queue/engine/queue_engine.h"

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include "core/clock.h"
#include "core/ids.h"
#include "platform/storage/storage.h"
#include "support/temp_dir.h"

namespace bakery::queue {
namespace {

using std::chrono::seconds;

constexpr std::string_view kOwner = "123456789012";

class QueueEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void TearDown() override {
    engine_.reset();
    storage_.reset();
  }
  void reopen(std::chrono::milliseconds sweepInterval = std::chrono::seconds(60)) {
    engine_.reset();
    storage_.reset();
    auto storage = storage::Storage::open({dir_.path(), storage::SyncPolicy::kNone});
    ASSERT_TRUE(storage.ok()) << storage.error().message();
    storage_ = std::move(*storage);
    EngineOptions options;
    options.endpoint = "http://localhost:4566";
    options.sweepInterval = sweepInterval;
    engine_ = std::make_unique<QueueEngine>(*storage_, clock_, ids_, options);
    auto opened = engine_->open();
    ASSERT_TRUE(opened.ok()) << opened.error().message();
  }

  void create(std::string_view name, const QueueAttributeMap& attributes = {},
              std::string_view owner = kOwner) {
    auto r = engine_->createQueue(owner, name, attributes);
    ASSERT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
  }
  SendResult send(std::string_view queue, SendRequest request, std::string_view owner = kOwner) {
    auto r = engine_->sendMessage(owner, queue, request);
    EXPECT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
    return r ? *r : SendResult{};
  }
  SendResult send(std::string_view queue, std::string body) {
    return send(queue, SendRequest{.body = std::move(body)});
  }
  SendResult sendFifo(std::string_view queue, std::string body, std::string group,
                      std::optional<std::string> dedup = std::nullopt) {
    return send(queue, SendRequest{.body = std::move(body),
                                   .messageGroupId = std::move(group),
                                   .messageDeduplicationId = std::move(dedup)});
  }
  std::vector<ReceivedMessage> receive(std::string_view queue, ReceiveRequest request,
                                       std::string_view owner = kOwner) {
    auto r = engine_->receiveMessage(owner, queue, request);
    EXPECT_TRUE(r.ok()) << r.error().type() << ": " << r.error().message();
    return r ? *r : std::vector<ReceivedMessage>{};
  }
  std::vector<ReceivedMessage> receive(std::string_view queue, int max = 10) {
    return receive(queue, ReceiveRequest{.maxNumberOfMessages = max,
                                         .attributeNames = {"All"},
                                         .messageAttributeNames = {"All"}});
  }
  std::vector<std::string> bodies(const std::vector<ReceivedMessage>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.body);
    return out;
  }
  QueueAttributeMap attributes(std::string_view queue, std::string_view owner = kOwner) {
    auto r = engine_->getQueueAttributes(owner, queue, {"All"});
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r ? *r : QueueAttributeMap{};
  }
  static std::string describe(const core::Error& e) { return e.type() + ": " + e.message(); }
  template <class T>
  static std::string failure(const core::Result<T>& r) {
    return r ? std::string("succeeded") : describe(r.error());
  }

  testing::TempDir dir_{"bakery-queue"};
  core::ManualClock clock_;
  core::RandomIdGenerator ids_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<QueueEngine> engine_;
};

// --- Queues -----------------------------------------------------------------------------

TEST_F(QueueEngineTest, CreateQueueAnswersUrlAndIsIdempotentWithEqualAttributes) {
  auto url = engine_->createQueue(kOwner, "jobs", {{"VisibilityTimeout", "60"}});
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "http://localhost:4566/123456789012/jobs");
  auto again = engine_->createQueue(kOwner, "jobs", {{"VisibilityTimeout", "60"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *url);
  EXPECT_TRUE(engine_->createQueue(kOwner, "jobs").ok());  // no attributes: nothing differs
}

TEST_F(QueueEngineTest, CreateQueueWithDifferentAttributeValueIsQueueNameExists) {
  create("jobs", {{"VisibilityTimeout", "60"}});
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "jobs", {{"VisibilityTimeout", "30"}})),
            "QueueNameExists: A queue already exists with the same name and a different value "
            "for attribute VisibilityTimeout");
}

TEST_F(QueueEngineTest, QueueNamesFollowSqsRules) {
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "bad name")),
            "InvalidParameterValue: Can only include alphanumeric characters, hyphens, or "
            "underscores. 1 to 80 in length");
  EXPECT_FALSE(engine_->createQueue(kOwner, std::string(81, 'a')).ok());
  EXPECT_TRUE(engine_->createQueue(kOwner, std::string(80, 'a')).ok());
  EXPECT_FALSE(engine_->createQueue(kOwner, "plain.fifo").ok());
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "orders", {{"FifoQueue", "true"}})),
            "InvalidParameterValue: The name of a FIFO queue can only include alphanumeric "
            "characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in "
            "length.");
  EXPECT_TRUE(engine_->createQueue(kOwner, "orders.fifo", {{"FifoQueue", "true"}}).ok());
}

TEST_F(QueueEngineTest, MissingQueueIsQueueDoesNotExist) {
  EXPECT_EQ(failure(engine_->getQueueUrl(kOwner, "nope")),
            "QueueDoesNotExist: The specified queue does not exist.");
  EXPECT_EQ(engine_->sendMessage(kOwner, "nope", {.body = "x"}).error().type(),
            "QueueDoesNotExist");
  EXPECT_EQ(engine_->receiveMessage(kOwner, "nope", {}).error().type(), "QueueDoesNotExist");
}

TEST_F(QueueEngineTest, ListQueuesFiltersByPrefixAndPagesWithNextToken) {
  for (auto name : {"alpha", "beta-1", "beta-2", "beta-3", "gamma"}) create(name);
  auto all = engine_->listQueues(kOwner);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->queues.size(), 5u);
  EXPECT_TRUE(all->nextToken.empty());

  auto page1 = engine_->listQueues(kOwner, "beta", 2);
  ASSERT_TRUE(page1.ok());
  ASSERT_EQ(page1->queues.size(), 2u);
  EXPECT_EQ(page1->queues[0].name, "beta-1");
  EXPECT_EQ(page1->queues[1].url, "http://localhost:4566/123456789012/beta-2");
  ASSERT_FALSE(page1->nextToken.empty());
  auto page2 = engine_->listQueues(kOwner, "beta", 2, page1->nextToken);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->queues.size(), 1u);
  EXPECT_EQ(page2->queues[0].name, "beta-3");
  EXPECT_TRUE(page2->nextToken.empty());

  EXPECT_EQ(failure(engine_->listQueues(kOwner, "", 1001)),
            "InvalidParameterValue: Value 1001 for parameter MaxResults is invalid. Reason: "
            "MaxResults must be an integer between 1 and 1000.");
}

TEST_F(QueueEngineTest, DeletedQueueIsGoneAndANewOneOfTheSameNameStartsEmpty) {
  create("jobs");
  send("jobs", "old");
  ASSERT_TRUE(engine_->deleteQueue(kOwner, "jobs").ok());
  EXPECT_EQ(engine_->getQueueUrl(kOwner, "jobs").error().type(), "QueueDoesNotExist");
  create("jobs");
  EXPECT_TRUE(receive("jobs").empty());
  reopen();
  EXPECT_TRUE(receive("jobs").empty());
}

// --- Attributes ---------------------------------------------------------------------------

TEST_F(QueueEngineTest, NewQueueHasSqsDefaults) {
  create("jobs");
  auto a = attributes("jobs");
  EXPECT_EQ(a["DelaySeconds"], "0");
  EXPECT_EQ(a["MaximumMessageSize"], "262144");
  EXPECT_EQ(a["MessageRetentionPeriod"], "345600");
  EXPECT_EQ(a["ReceiveMessageWaitTimeSeconds"], "0");
  EXPECT_EQ(a["VisibilityTimeout"], "30");
  EXPECT_EQ(a["ApproximateNumberOfMessages"], "0");
  EXPECT_EQ(a["ApproximateNumberOfMessagesNotVisible"], "0");
  EXPECT_EQ(a["ApproximateNumberOfMessagesDelayed"], "0");
  EXPECT_EQ(a["CreatedTimestamp"], "1700000000");
  EXPECT_EQ(a["LastModifiedTimestamp"], "1700000000");
  EXPECT_EQ(a["QueueArn"], "arn:aws:sqs:us-east-1:123456789012:jobs");
  EXPECT_FALSE(a.contains("FifoQueue"));
  EXPECT_FALSE(a.contains("RedrivePolicy"));

  auto some = engine_->getQueueAttributes(kOwner, "jobs", {"VisibilityTimeout", "QueueArn"});
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->size(), 2u);
  auto none = engine_->getQueueAttributes(kOwner, "jobs", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(QueueEngineTest, AttributeValidationAnswersSqsErrors) {
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"VisibilityTimeout", "43201"}})),
            "InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"DelaySeconds", "901"}})),
            "InvalidAttributeValue: Invalid value for the parameter DelaySeconds.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"MaximumMessageSize", "1023"}})),
            "InvalidAttributeValue: Invalid value for the parameter MaximumMessageSize.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"MessageRetentionPeriod", "59"}})),
            "InvalidAttributeValue: Invalid value for the parameter MessageRetentionPeriod.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"ReceiveMessageWaitTimeSeconds", "x"}})),
            "InvalidAttributeValue: Invalid value for the parameter "
            "ReceiveMessageWaitTimeSeconds.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"Colour", "blue"}})),
            "InvalidAttributeName: Unknown Attribute Colour.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"QueueArn", "arn"}})),
            "InvalidAttributeName: Unknown Attribute QueueArn.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "q", {{"ContentBasedDeduplication", "true"}})),
            "InvalidAttributeName: Unknown Attribute ContentBasedDeduplication.");
  create("q");
  EXPECT_EQ(failure(engine_->getQueueAttributes(kOwner, "q", {"Colour"})),
            "InvalidAttributeName: Unknown Attribute Colour.");
  EXPECT_EQ(failure(engine_->setQueueAttributes(kOwner, "q", {{"FifoQueue", "true"}})),
            "InvalidAttributeName: Unknown Attribute FifoQueue.");
}

TEST_F(QueueEngineTest, RedrivePolicyIsValidatedAndNormalized) {
  create("dlq");
  create("fifo-dlq.fifo", {{"FifoQueue", "true"}});
  auto policy = [](std::string_view target, std::string_view count) {
    return std::string(R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:)") +
           std::string(target) + R"(","maxReceiveCount":)" + std::string(count) + "}";
  };
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "src", {{"RedrivePolicy", policy("dlq", "0")}})),
            "InvalidParameterValue: Value " + policy("dlq", "0") +
                " for parameter RedrivePolicy is invalid. Reason: Invalid value for "
                "maxReceiveCount: 0, valid values are from 1 to 1000 both inclusive.");
  EXPECT_EQ(failure(engine_->createQueue(kOwner, "src", {{"RedrivePolicy", policy("nope", "3")}})),
            "InvalidParameterValue: Value " + policy("nope", "3") +
                " for parameter RedrivePolicy is invalid. Reason: Dead letter target does not "
                "exist.");
  EXPECT_EQ(engine_->createQueue(kOwner, "src", {{"RedrivePolicy", policy("fifo-dlq.fifo", "3")}})
                .error()
                .type(),
            "InvalidParameterValue");
  EXPECT_EQ(engine_->createQueue(kOwner, "src", {{"RedrivePolicy", "not json"}}).error().message(),
            "Value not json for parameter RedrivePolicy is invalid. Reason: Redrive policy is not "
            "a valid JSON map.");
  // The count may come as a string; SQS reports it as a number.
  create("src", {{"RedrivePolicy", policy("dlq", "\"3\"")}});
  EXPECT_EQ(attributes("src")["RedrivePolicy"], policy("dlq", "3"));
  ASSERT_TRUE(engine_->setQueueAttributes(kOwner, "src", {{"RedrivePolicy", ""}}).ok());
  EXPECT_FALSE(attributes("src").contains("RedrivePolicy"));
}

TEST_F(QueueEngineTest, SetQueueAttributesChangesValuesAndLastModified) {
  create("jobs");
  clock_.advance(seconds(10));
  ASSERT_TRUE(engine_->setQueueAttributes(kOwner, "jobs", {{"VisibilityTimeout", "5"}}).ok());
  auto a = attributes("jobs");
  EXPECT_EQ(a["VisibilityTimeout"], "5");
  EXPECT_EQ(a["CreatedTimestamp"], "1700000000");
  EXPECT_EQ(a["LastModifiedTimestamp"], "1700000010");
  EXPECT_EQ(failure(engine_->setQueueAttributes(kOwner, "jobs", {{"VisibilityTimeout", "-1"}})),
            "InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout.");
}

// --- Sending ------------------------------------------------------------------------------

TEST_F(QueueEngineTest, SendAnswersMessageIdAndDigests) {
  create("jobs");
  auto r = send(
      "jobs",
      SendRequest{
          .body = "hello",
          .attributes = {{"test_attribute_name_1", {"String", "test_attribute_value_1", {}}},
                         {"test_attribute_name_2", {"String", "test_attribute_value_2", {}}}}});
  EXPECT_EQ(r.messageId.size(), 36u);
  EXPECT_EQ(r.md5OfMessageBody, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(r.md5OfMessageAttributes, "d53f3b558fe951154770f25cb63dbba9");
  EXPECT_TRUE(r.sequenceNumber.empty());
  auto got = receive("jobs");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].messageId, r.messageId);
  EXPECT_EQ(got[0].md5OfBody, r.md5OfMessageBody);
  EXPECT_EQ(got[0].md5OfMessageAttributes, r.md5OfMessageAttributes);
}

TEST_F(QueueEngineTest, SendRejectsInvalidBodiesWithSqsErrors) {
  create("small", {{"MaximumMessageSize", "1024"}});
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "small", {.body = ""})),
            "MissingParameter: The request must contain the parameter MessageBody.");
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "small", {.body = std::string(1025, 'x')})),
            "InvalidParameterValue: One or more parameters are invalid. Reason: Message must be "
            "shorter than 1024 bytes.");
  // Attributes count against the size too.
  EXPECT_FALSE(engine_
                   ->sendMessage(kOwner, "small",
                                 {.body = std::string(1000, 'x'),
                                  .attributes = {{"name", {"String", std::string(30, 'v'), {}}}}})
                   .ok());
  EXPECT_TRUE(engine_->sendMessage(kOwner, "small", {.body = std::string(1024, 'x')}).ok());
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "small", {.body = "bell\x07"})),
            "InvalidMessageContents: Invalid characters found. Valid unicode characters are #x9 "
            "| #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "small", {.body = "x", .delaySeconds = 901})),
            "InvalidParameterValue: Value 901 for parameter DelaySeconds is invalid. Reason: "
            "DelaySeconds must be >= 0 and <= 900.");
  EXPECT_EQ(engine_->sendMessage(kOwner, "small", {.body = "x", .messageDeduplicationId = "d"})
                .error()
                .message(),
            "Value d for parameter MessageDeduplicationId is invalid. Reason: The request "
            "includes a parameter that is not valid for this queue type.");
}

// --- Visibility ---------------------------------------------------------------------------

TEST_F(QueueEngineTest, ReceivedMessageStaysInvisibleUntilVisibilityTimeoutExpires) {
  create("jobs");
  send("jobs", "work");
  auto first = receive("jobs");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].attributes.at("ApproximateReceiveCount"), "1");
  EXPECT_TRUE(receive("jobs").empty());
  clock_.advance(seconds(29));
  EXPECT_TRUE(receive("jobs").empty());
  clock_.advance(seconds(1));
  auto second = receive("jobs");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].messageId, first[0].messageId);
  EXPECT_EQ(second[0].attributes.at("ApproximateReceiveCount"), "2");
  EXPECT_EQ(second[0].attributes.at("ApproximateFirstReceiveTimestamp"), "1700000000000");
  EXPECT_EQ(second[0].attributes.at("SentTimestamp"), "1700000000000");
  EXPECT_EQ(second[0].attributes.at("SenderId"), "123456789012");
  EXPECT_NE(second[0].receiptHandle, first[0].receiptHandle);
}

TEST_F(QueueEngineTest, ReceiveVisibilityTimeoutOverridesTheQueues) {
  create("jobs");
  send("jobs", "work");
  ASSERT_EQ(receive("jobs", ReceiveRequest{.visibilityTimeout = 5}).size(), 1u);
  clock_.advance(seconds(5));
  EXPECT_EQ(receive("jobs").size(), 1u);
}

TEST_F(QueueEngineTest, ReceiveValidatesItsParameters) {
  create("jobs");
  EXPECT_EQ(failure(engine_->receiveMessage(kOwner, "jobs", {.maxNumberOfMessages = 11})),
            "InvalidParameterValue: Value 11 for parameter MaxNumberOfMessages is invalid. "
            "Reason: Must be between 1 and 10, if provided.");
  EXPECT_EQ(failure(engine_->receiveMessage(kOwner, "jobs", {.waitTimeSeconds = 21})),
            "InvalidParameterValue: Value 21 for parameter WaitTimeSeconds is invalid. Reason: "
            "Must be >= 0 and <= 20, if provided.");
}

TEST_F(QueueEngineTest, ReceiveReturnsUpToMaxNumberOfMessages) {
  create("jobs");
  for (int i = 0; i < 15; ++i) send("jobs", "m" + std::to_string(i));
  EXPECT_EQ(receive("jobs", 10).size(), 10u);
  EXPECT_EQ(receive("jobs", 10).size(), 5u);
  EXPECT_TRUE(receive("jobs", 10).empty());
}

TEST_F(QueueEngineTest, ChangeVisibilityToZeroMakesTheMessageVisibleNow) {
  create("jobs");
  send("jobs", "work");
  auto got = receive("jobs");
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(engine_->changeMessageVisibility(kOwner, "jobs", got[0].receiptHandle, 0).ok());
  EXPECT_EQ(receive("jobs").size(), 1u);
}

TEST_F(QueueEngineTest, ChangeVisibilityRestartsTheTimeoutFromNow) {
  create("jobs");
  send("jobs", "work");
  auto got = receive("jobs");
  clock_.advance(seconds(20));
  ASSERT_TRUE(engine_->changeMessageVisibility(kOwner, "jobs", got[0].receiptHandle, 60).ok());
  clock_.advance(seconds(59));
  EXPECT_TRUE(receive("jobs").empty());
  clock_.advance(seconds(1));
  EXPECT_EQ(receive("jobs").size(), 1u);
}

TEST_F(QueueEngineTest, ChangeVisibilityOfAMessageNotInFlightIsMessageNotInflight) {
  create("jobs");
  send("jobs", "work");
  auto first = receive("jobs");
  clock_.advance(seconds(30));  // visible again
  EXPECT_EQ(failure(engine_->changeMessageVisibility(kOwner, "jobs", first[0].receiptHandle, 10)),
            "MessageNotInflight: The message referred to isn't in flight.");
  auto second = receive("jobs");
  ASSERT_EQ(second.size(), 1u);
  // In flight again, but under a newer receipt handle.
  EXPECT_EQ(
      engine_->changeMessageVisibility(kOwner, "jobs", first[0].receiptHandle, 10).error().type(),
      "MessageNotInflight");
  EXPECT_TRUE(engine_->changeMessageVisibility(kOwner, "jobs", second[0].receiptHandle, 10).ok());
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", second[0].receiptHandle).ok());
  EXPECT_EQ(failure(engine_->changeMessageVisibility(kOwner, "jobs", second[0].receiptHandle, 10)),
            "InvalidParameterValue: Value " + second[0].receiptHandle +
                " for parameter ReceiptHandle is invalid. Reason: Message does not exist or is "
                "not available for visibility timeout change.");
}

TEST_F(QueueEngineTest, ChangeVisibilityValidatesTimeoutAndHandle) {
  create("jobs");
  send("jobs", "work");
  auto got = receive("jobs");
  EXPECT_EQ(failure(engine_->changeMessageVisibility(kOwner, "jobs", got[0].receiptHandle, 43201)),
            "InvalidParameterValue: Value 43201 for parameter VisibilityTimeout is invalid. "
            "Reason: Must be between 0 and 43200, if provided.");
  EXPECT_EQ(failure(engine_->changeMessageVisibility(kOwner, "jobs", "garbage", 10)),
            "ReceiptHandleIsInvalid: The input receipt handle \"garbage\" is not a valid receipt "
            "handle.");
  clock_.advance(seconds(10));
  // No more than 12 hours of invisibility after the receive.
  EXPECT_EQ(engine_->changeMessageVisibility(kOwner, "jobs", got[0].receiptHandle, 43200)
                .error()
                .message(),
            "Value 43200 for parameter VisibilityTimeout is invalid. Reason: Total "
            "VisibilityTimeout for the message is beyond the limit [43200 seconds]");
}

TEST_F(QueueEngineTest, ChangeVisibilityBatchReportsEachEntry) {
  create("jobs");
  send("jobs", "a");
  auto got = receive("jobs");
  auto r = engine_->changeMessageVisibilityBatch(
      kOwner, "jobs", {{"ok", got[0].receiptHandle, 0}, {"bad", "garbage", 0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->successful, std::vector<std::string>{"ok"});
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].id, "bad");
  EXPECT_EQ(r->failed[0].code, "ReceiptHandleIsInvalid");
  EXPECT_TRUE(r->failed[0].senderFault);
  EXPECT_EQ(receive("jobs").size(), 1u);
}

// --- Deleting -----------------------------------------------------------------------------

TEST_F(QueueEngineTest, DeleteRemovesTheMessageForGood) {
  create("jobs");
  send("jobs", "work");
  auto got = receive("jobs");
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", got[0].receiptHandle).ok());
  clock_.advance(seconds(60));
  EXPECT_TRUE(receive("jobs").empty());
  // Deleting again succeeds, as in SQS.
  EXPECT_TRUE(engine_->deleteMessage(kOwner, "jobs", got[0].receiptHandle).ok());
}

TEST_F(QueueEngineTest, DeleteWithAnOlderReceiptHandleOfAnExistingMessageSucceeds) {
  create("jobs");
  send("jobs", "work");
  auto first = receive("jobs");
  clock_.advance(seconds(30));
  ASSERT_EQ(receive("jobs").size(), 1u);
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", first[0].receiptHandle).ok());
  clock_.advance(seconds(30));
  EXPECT_TRUE(receive("jobs").empty());
}

TEST_F(QueueEngineTest, DeleteWithAMalformedHandleIsReceiptHandleIsInvalid) {
  create("jobs");
  EXPECT_EQ(failure(engine_->deleteMessage(kOwner, "jobs", "not-a-handle")),
            "ReceiptHandleIsInvalid: The input receipt handle \"not-a-handle\" is not a valid "
            "receipt handle.");
}

TEST_F(QueueEngineTest, DeleteBatchReportsEachEntry) {
  create("jobs");
  send("jobs", "a");
  send("jobs", "b");
  auto got = receive("jobs");
  ASSERT_EQ(got.size(), 2u);
  auto r = engine_->deleteMessageBatch(
      kOwner, "jobs", {{"a", got[0].receiptHandle}, {"b", got[1].receiptHandle}, {"c", "x"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->successful, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].code, "ReceiptHandleIsInvalid");
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessagesNotVisible"], "0");
}

// --- Delays and counts ----------------------------------------------------------------------

TEST_F(QueueEngineTest, QueueDelayHoldsBackNewMessages) {
  create("jobs", {{"DelaySeconds", "10"}});
  send("jobs", "later");
  EXPECT_TRUE(receive("jobs").empty());
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessagesDelayed"], "1");
  clock_.advance(seconds(10));
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessages"], "1");
  EXPECT_EQ(receive("jobs").size(), 1u);
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessagesNotVisible"], "1");
}

TEST_F(QueueEngineTest, PerMessageDelayOverridesTheQueueDelay) {
  create("jobs", {{"DelaySeconds", "10"}});
  send("jobs", SendRequest{.body = "now", .delaySeconds = 0});
  send("jobs", SendRequest{.body = "much later", .delaySeconds = 100});
  auto now = receive("jobs");
  EXPECT_EQ(bodies(now), std::vector<std::string>{"now"});
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", now[0].receiptHandle).ok());
  clock_.advance(seconds(99));
  EXPECT_TRUE(receive("jobs").empty());
  clock_.advance(seconds(1));
  EXPECT_EQ(bodies(receive("jobs")), std::vector<std::string>{"much later"});
}

// --- Redrive, retention, purge --------------------------------------------------------------

TEST_F(QueueEngineTest, MessageMovesToTheDeadLetterQueueAfterMaxReceiveCount) {
  create("dlq");
  create("jobs",
         {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq",)"
                            R"("maxReceiveCount":2})"}});
  auto sent =
      send("jobs", SendRequest{.body = "poison", .attributes = {{"kind", {"String", "bad", {}}}}});
  for (int i = 1; i <= 2; ++i) {
    auto got = receive("jobs");
    ASSERT_EQ(got.size(), 1u) << "receive " << i;
    clock_.advance(seconds(30));
  }
  EXPECT_TRUE(receive("jobs").empty());  // the third receive moves it instead
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessages"], "0");
  auto dead = receive("dlq");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].messageId, sent.messageId);
  EXPECT_EQ(dead[0].body, "poison");
  EXPECT_EQ(dead[0].messageAttributes.at("kind").stringValue, "bad");
  EXPECT_EQ(dead[0].attributes.at("ApproximateReceiveCount"), "1");
  EXPECT_EQ(dead[0].attributes.at("DeadLetterQueueSourceArn"),
            "arn:aws:sqs:us-east-1:123456789012:jobs");
  reopen();  // the move was one atomic write
  clock_.advance(seconds(30));
  EXPECT_EQ(receive("dlq").size(), 1u);
  EXPECT_TRUE(receive("jobs").empty());
}

TEST_F(QueueEngineTest, MessagesExpireAfterTheRetentionPeriod) {
  create("jobs", {{"MessageRetentionPeriod", "60"}});
  send("jobs", "old");
  clock_.advance(seconds(30));
  send("jobs", "young");
  clock_.advance(seconds(30));
  EXPECT_EQ(bodies(receive("jobs")), std::vector<std::string>{"young"});  // expired lazily

  create("swept", {{"MessageRetentionPeriod", "60"}});
  send("swept", "a");
  send("swept", "b");
  clock_.advance(seconds(60));
  EXPECT_EQ(engine_->sweepExpired(), 3u);  // both of "swept" and "young" (in flight)
  EXPECT_EQ(attributes("swept")["ApproximateNumberOfMessages"], "0");
  reopen();
  EXPECT_TRUE(receive("swept").empty());
}

TEST_F(QueueEngineTest, PurgeDeletesEveryMessageOncePerMinute) {
  create("jobs");
  send("jobs", "a");
  send("jobs", "b");
  receive("jobs", 1);
  ASSERT_TRUE(engine_->purgeQueue(kOwner, "jobs").ok());
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessagesNotVisible"], "0");
  clock_.advance(seconds(30));
  EXPECT_TRUE(receive("jobs").empty());
  EXPECT_EQ(failure(engine_->purgeQueue(kOwner, "jobs")),
            "PurgeQueueInProgress: Only one PurgeQueue operation on jobs is allowed every 60 "
            "seconds.");
  EXPECT_EQ(engine_->purgeQueue(kOwner, "jobs").error().status(), 403);
  send("jobs", "after");
  EXPECT_EQ(bodies(receive("jobs")), std::vector<std::string>{"after"});
  clock_.advance(seconds(30));
  EXPECT_TRUE(engine_->purgeQueue(kOwner, "jobs").ok());
  reopen();
  clock_.advance(seconds(30));
  EXPECT_TRUE(receive("jobs").empty());
}

// --- FIFO -----------------------------------------------------------------------------------

class FifoQueueTest : public QueueEngineTest {
 protected:
  void SetUp() override {
    QueueEngineTest::SetUp();
    create("orders.fifo", {{"FifoQueue", "true"}});
    create("auto.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  }
};

TEST_F(FifoQueueTest, DeliversAGroupInOrderAndNotWhileOneOfItsMessagesIsInFlight) {
  sendFifo("orders.fifo", "a1", "a", "1");
  sendFifo("orders.fifo", "a2", "a", "2");
  sendFifo("orders.fifo", "a3", "a", "3");
  auto first = receive("orders.fifo", 1);
  EXPECT_EQ(bodies(first), std::vector<std::string>{"a1"});
  EXPECT_TRUE(receive("orders.fifo").empty());  // a1 in flight blocks a2 and a3
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "orders.fifo", first[0].receiptHandle).ok());
  EXPECT_EQ(bodies(receive("orders.fifo")), (std::vector<std::string>{"a2", "a3"}));
}

TEST_F(FifoQueueTest, RedeliversInOrderAfterTheVisibilityTimeout) {
  sendFifo("orders.fifo", "a1", "a", "1");
  sendFifo("orders.fifo", "a2", "a", "2");
  EXPECT_EQ(bodies(receive("orders.fifo")), (std::vector<std::string>{"a1", "a2"}));
  clock_.advance(seconds(30));
  auto again = receive("orders.fifo");
  EXPECT_EQ(bodies(again), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(again[0].attributes.at("ApproximateReceiveCount"), "2");
}

TEST_F(FifoQueueTest, GroupsAreIndependent) {
  sendFifo("orders.fifo", "a1", "a", "1");
  sendFifo("orders.fifo", "a2", "a", "2");
  sendFifo("orders.fifo", "b1", "b", "3");
  EXPECT_EQ(bodies(receive("orders.fifo", 1)), std::vector<std::string>{"a1"});
  EXPECT_EQ(bodies(receive("orders.fifo", 1)), std::vector<std::string>{"b1"});
  EXPECT_TRUE(receive("orders.fifo").empty());
}

TEST_F(FifoQueueTest, SequenceNumbersIncreaseAndAreReported) {
  auto one = sendFifo("orders.fifo", "a1", "a", "1");
  auto two = sendFifo("orders.fifo", "b1", "b", "2");
  EXPECT_EQ(one.sequenceNumber.size(), 20u);
  EXPECT_LT(one.sequenceNumber, two.sequenceNumber);
  auto got = receive("orders.fifo", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attributes.at("SequenceNumber"), one.sequenceNumber);
  EXPECT_EQ(got[0].attributes.at("MessageGroupId"), "a");
  EXPECT_EQ(got[0].attributes.at("MessageDeduplicationId"), "1");
}

TEST_F(FifoQueueTest, DeduplicatesAnExplicitIdForFiveMinutes) {
  auto original = sendFifo("orders.fifo", "first", "a", "same");
  clock_.advance(seconds(299));
  auto duplicate = sendFifo("orders.fifo", "second", "a", "same");
  EXPECT_EQ(duplicate.messageId, original.messageId);
  EXPECT_EQ(duplicate.sequenceNumber, original.sequenceNumber);
  auto got = receive("orders.fifo");
  EXPECT_EQ(bodies(got), std::vector<std::string>{"first"});
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "orders.fifo", got[0].receiptHandle).ok());
  clock_.advance(seconds(1));
  auto fresh = sendFifo("orders.fifo", "third", "a", "same");
  EXPECT_NE(fresh.messageId, original.messageId);
  EXPECT_EQ(bodies(receive("orders.fifo")), std::vector<std::string>{"third"});
}

TEST_F(FifoQueueTest, ContentBasedDeduplicationHashesTheBody) {
  auto original = sendFifo("auto.fifo", "same body", "g");
  auto duplicate = sendFifo("auto.fifo", "same body", "g");
  auto other = sendFifo("auto.fifo", "other body", "g");
  EXPECT_EQ(duplicate.messageId, original.messageId);
  EXPECT_NE(other.messageId, original.messageId);
  auto got = receive("auto.fifo");
  EXPECT_EQ(bodies(got), (std::vector<std::string>{"same body", "other body"}));
  // The deduplication id SQS reports is the body's SHA-256.
  EXPECT_EQ(got[0].attributes.at("MessageDeduplicationId"),
            "8f6372a8b1509601faa57ff3a292cfcccb95aa2325c18b8e50b0c035ea1648fe");
}

TEST_F(FifoQueueTest, DeduplicationSurvivesReopen) {
  auto original = sendFifo("orders.fifo", "first", "a", "same");
  reopen();
  EXPECT_EQ(sendFifo("orders.fifo", "again", "a", "same").messageId, original.messageId);
  clock_.advance(seconds(300));
  EXPECT_EQ(engine_->sweepExpired(), 0u);
  reopen();
  EXPECT_NE(sendFifo("orders.fifo", "again", "a", "same").messageId, original.messageId);
}

TEST_F(FifoQueueTest, SendsMissingFifoParametersFail) {
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "orders.fifo", {.body = "x"})),
            "MissingParameter: The request must contain the parameter MessageGroupId.");
  EXPECT_EQ(
      failure(engine_->sendMessage(kOwner, "orders.fifo", {.body = "x", .messageGroupId = "g"})),
      "InvalidParameterValue: The queue should either have ContentBasedDeduplication "
      "enabled or MessageDeduplicationId provided explicitly");
  EXPECT_EQ(failure(engine_->sendMessage(kOwner, "auto.fifo",
                                         {.body = "x", .delaySeconds = 5, .messageGroupId = "g"})),
            "InvalidParameterValue: Value 5 for parameter DelaySeconds is invalid. Reason: The "
            "request include parameter that is not valid for this queue type.");
  EXPECT_EQ(
      engine_
          ->sendMessage(kOwner, "auto.fifo", {.body = "x", .messageGroupId = std::string(129, 'g')})
          .error()
          .type(),
      "InvalidParameterValue");
}

TEST_F(FifoQueueTest, DeleteWithAnExpiredReceiptHandleFails) {
  sendFifo("orders.fifo", "a1", "a", "1");
  auto got = receive("orders.fifo");
  clock_.advance(seconds(30));
  EXPECT_EQ(engine_->deleteMessage(kOwner, "orders.fifo", got[0].receiptHandle).error().message(),
            "Value " + got[0].receiptHandle +
                " for parameter ReceiptHandle is invalid. Reason: The receipt handle has "
                "expired.");
}

TEST_F(FifoQueueTest, RedrivePreservesTheGroupOrderOfWhatRemains) {
  create("dead.fifo", {{"FifoQueue", "true"}});
  ASSERT_TRUE(engine_
                  ->setQueueAttributes(
                      kOwner, "orders.fifo",
                      {{"RedrivePolicy",
                        R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dead.fifo",)"
                        R"("maxReceiveCount":1})"}})
                  .ok());
  sendFifo("orders.fifo", "a1", "a", "1");
  sendFifo("orders.fifo", "a2", "a", "2");
  EXPECT_EQ(bodies(receive("orders.fifo", 1)), std::vector<std::string>{"a1"});
  clock_.advance(seconds(30));
  EXPECT_EQ(bodies(receive("orders.fifo", 1)), std::vector<std::string>{"a2"});  // a1 moved
  auto dead = receive("dead.fifo");
  EXPECT_EQ(bodies(dead), std::vector<std::string>{"a1"});
  EXPECT_EQ(dead[0].attributes.at("MessageGroupId"), "a");
}

// --- Batches --------------------------------------------------------------------------------

TEST_F(QueueEngineTest, SendBatchReportsPerEntryFailures) {
  create("jobs");
  auto r = engine_->sendMessageBatch(kOwner, "jobs",
                                     {{"one", {.body = "1"}},
                                      {"empty", {.body = ""}},
                                      {"late", {.body = "3", .delaySeconds = 1000}},
                                      {"two", {.body = "2"}}});
  ASSERT_TRUE(r.ok()) << describe(r.error());
  ASSERT_EQ(r->successful.size(), 2u);
  EXPECT_EQ(r->successful[0].id, "one");
  EXPECT_EQ(r->successful[0].result.md5OfMessageBody, "c4ca4238a0b923820dcc509a6f75849b");
  EXPECT_EQ(r->successful[1].id, "two");
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].id, "empty");
  EXPECT_EQ(r->failed[0].code, "MissingParameter");
  EXPECT_EQ(r->failed[1].id, "late");
  EXPECT_EQ(r->failed[1].code, "InvalidParameterValue");
  EXPECT_EQ(bodies(receive("jobs")), (std::vector<std::string>{"1", "2"}));
}

TEST_F(QueueEngineTest, BatchEntriesMustBeDistinctValidAndAtMostTen) {
  create("jobs");
  EXPECT_EQ(failure(engine_->sendMessageBatch(kOwner, "jobs", {})),
            "EmptyBatchRequest: There should be at least one SendMessageBatchRequestEntry in "
            "the request.");
  std::vector<SendBatchEntry> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back({"e" + std::to_string(i), {.body = "x"}});
  EXPECT_EQ(failure(engine_->sendMessageBatch(kOwner, "jobs", eleven)),
            "TooManyEntriesInBatchRequest: Maximum number of entries per request are 10. You "
            "have sent 11.");
  EXPECT_EQ(failure(engine_->sendMessageBatch(kOwner, "jobs",
                                              {{"a", {.body = "x"}}, {"a", {.body = "y"}}})),
            "BatchEntryIdsNotDistinct: Two or more batch entries in the request have the same "
            "Id.");
  EXPECT_EQ(failure(engine_->sendMessageBatch(kOwner, "jobs", {{"a b", {.body = "x"}}})),
            "InvalidBatchEntryId: A batch entry id can only contain alphanumeric characters, "
            "hyphens and underscores. It can be at most 80 letters long.");
  EXPECT_EQ(failure(engine_->sendMessageBatch(kOwner, "jobs",
                                              {{"a", {.body = std::string(200000, 'x')}},
                                               {"b", {.body = std::string(70000, 'y')}}})),
            "BatchRequestTooLong: Batch requests cannot be longer than 262144 bytes. You have "
            "sent 270000 bytes.");
  EXPECT_EQ(engine_->deleteMessageBatch(kOwner, "jobs", {}).error().message(),
            "There should be at least one DeleteMessageBatchRequestEntry in the request.");
  EXPECT_TRUE(receive("jobs").empty());
}

// --- Selection of attributes ----------------------------------------------------------------

TEST_F(QueueEngineTest, ReceiveReturnsOnlyTheSelectedAttributes) {
  create("jobs");
  send("jobs", SendRequest{.body = "x",
                           .attributes = {{"trace.id", {"String", "t", {}}},
                                          {"trace.span", {"String", "s", {}}},
                                          {"size", {"Number", "3", {}}},
                                          {"blob", {"Binary", {}, std::string("\0\1", 2)}}}});
  auto none = receive("jobs", ReceiveRequest{.visibilityTimeout = 0});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_TRUE(none[0].attributes.empty());
  EXPECT_TRUE(none[0].messageAttributes.empty());
  EXPECT_EQ(none[0].md5OfMessageAttributes, "");

  auto some = receive("jobs", ReceiveRequest{.visibilityTimeout = 0,
                                             .attributeNames = {"SentTimestamp"},
                                             .messageAttributeNames = {"trace.*", "size"}});
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].attributes.size(), 1u);
  EXPECT_EQ(some[0].attributes.at("SentTimestamp"), "1700000000000");
  EXPECT_EQ(some[0].messageAttributes.size(), 3u);
  EXPECT_FALSE(some[0].messageAttributes.contains("blob"));

  auto all = receive("jobs", ReceiveRequest{.messageAttributeNames = {"All"}});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].messageAttributes.at("blob").binaryValue, std::string("\0\1", 2));
  EXPECT_NE(all[0].md5OfMessageAttributes, some[0].md5OfMessageAttributes);
}

// --- Durability -----------------------------------------------------------------------------

TEST_F(QueueEngineTest, QueuesAndMessagesSurviveReopen) {
  create("jobs", {{"VisibilityTimeout", "45"}});
  send("jobs", SendRequest{.body = "kept", .attributes = {{"a", {"String", "b", {}}}}});
  send("jobs", "in flight");
  auto first = receive("jobs", 1);
  ASSERT_EQ(bodies(first), std::vector<std::string>{"kept"});
  reopen();
  EXPECT_EQ(attributes("jobs")["VisibilityTimeout"], "45");
  EXPECT_EQ(bodies(receive("jobs", ReceiveRequest{.maxNumberOfMessages = 10,
                                                  .messageAttributeNames = {"All"}})),
            std::vector<std::string>{"in flight"});
  clock_.advance(seconds(45));
  auto again = receive("jobs", 10);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].body, "kept");
  EXPECT_EQ(again[0].attributes.at("ApproximateReceiveCount"), "2");
  EXPECT_EQ(again[0].messageAttributes.at("a").stringValue, "b");
  // A receipt handle from before the reopen still deletes.
  ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", first[0].receiptHandle).ok());
  reopen();
  clock_.advance(seconds(45));
  EXPECT_EQ(bodies(receive("jobs")), std::vector<std::string>{"in flight"});
}

TEST_F(FifoQueueTest, SequenceNumbersKeepIncreasingAcrossReopen) {
  auto before = sendFifo("orders.fifo", "a", "g", "1");
  reopen();
  auto after = sendFifo("orders.fifo", "b", "g", "2");
  EXPECT_LT(before.sequenceNumber, after.sequenceNumber);
}

// --- Long polling ---------------------------------------------------------------------------

TEST_F(QueueEngineTest, LongPollIsWokenByASend) {
  create("jobs");
  auto waiter = std::async(std::launch::async, [&] {
    return engine_->receiveMessage(kOwner, "jobs", {.waitTimeSeconds = 20});
  });
  send("jobs", "wake up");
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(bodies(*got), std::vector<std::string>{"wake up"});
}

TEST_F(QueueEngineTest, LongPollEndsEmptyWhenTheWaitTimeHasPassed) {
  create("jobs", {{"ReceiveMessageWaitTimeSeconds", "20"}});
  auto waiter =
      std::async(std::launch::async, [&] { return engine_->receiveMessage(kOwner, "jobs", {}); });
  // The receive's deadline counts from when it starts, which this thread cannot observe: move
  // the clock on until the receive notices.
  for (int i = 0;
       i < 100 && waiter.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready;
       ++i) {
    clock_.advance(seconds(20));
  }
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST_F(QueueEngineTest, LongPollReturnsAMessageWhoseDelayEnds) {
  create("jobs");
  send("jobs", SendRequest{.body = "delayed", .delaySeconds = 5});
  auto waiter = std::async(std::launch::async, [&] {
    return engine_->receiveMessage(kOwner, "jobs", {.waitTimeSeconds = 20});
  });
  clock_.advance(seconds(5));
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(bodies(*got), std::vector<std::string>{"delayed"});
}

TEST_F(QueueEngineTest, StopEndsLongPolls) {
  create("jobs");
  auto waiter = std::async(std::launch::async, [&] {
    return engine_->receiveMessage(kOwner, "jobs", {.waitTimeSeconds = 20});
  });
  engine_->stop();
  ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST_F(QueueEngineTest, SweeperThreadDropsExpiredMessages) {
  reopen(std::chrono::milliseconds(5));
  create("jobs", {{"MessageRetentionPeriod", "60"}});
  send("jobs", "short-lived");
  clock_.advance(seconds(60));
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessages"], "1");  // not swept yet
  engine_->start();
  // Wait (bounded) for the sweeper thread's next round.
  for (int i = 0; i < 1000 && attributes("jobs")["ApproximateNumberOfMessages"] != "0"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessages"], "0");
  engine_->stop();
}

// --- Concurrency ----------------------------------------------------------------------------

TEST_F(QueueEngineTest, ConcurrentProducersAndConsumersDeliverEachMessageOnce) {
  create("jobs");
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 200;
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> deleted{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        auto r = engine_->sendMessage(kOwner, "jobs",
                                      {.body = std::to_string(p) + "-" + std::to_string(i)});
        ASSERT_TRUE(r.ok());
      }
    });
  }
  for (int c = 0; c < 3; ++c) {
    threads.emplace_back([&] {
      while (deleted < kProducers * kPerProducer) {
        auto got = engine_->receiveMessage(kOwner, "jobs", {.maxNumberOfMessages = 10});
        ASSERT_TRUE(got.ok());
        for (const auto& m : *got) {
          {
            std::lock_guard lock(mu);
            seen.insert(m.body);
          }
          ASSERT_TRUE(engine_->deleteMessage(kOwner, "jobs", m.receiptHandle).ok());
          ++deleted;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kProducers * kPerProducer));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
  EXPECT_EQ(attributes("jobs")["ApproximateNumberOfMessages"], "0");
}

TEST_F(FifoQueueTest, ConcurrentConsumersSeeEachGroupInOrder) {
  constexpr int kGroups = 4;
  constexpr int kPerGroup = 50;
  for (int i = 0; i < kPerGroup; ++i) {
    for (int g = 0; g < kGroups; ++g) {
      sendFifo("orders.fifo", std::to_string(i), "g" + std::to_string(g),
               std::to_string(g) + "-" + std::to_string(i));
    }
  }
  std::mutex mu;
  std::map<std::string, std::vector<int>> order;
  std::atomic<int> deleted{0};
  std::vector<std::thread> consumers;
  for (int c = 0; c < 4; ++c) {
    consumers.emplace_back([&] {
      while (deleted < kGroups * kPerGroup) {
        auto got = engine_->receiveMessage(kOwner, "orders.fifo",
                                           {.maxNumberOfMessages = 3, .attributeNames = {"All"}});
        ASSERT_TRUE(got.ok());
        for (const auto& m : *got) {
          {
            std::lock_guard lock(mu);
            order[m.attributes.at("MessageGroupId")].push_back(std::stoi(m.body));
          }
          ASSERT_TRUE(engine_->deleteMessage(kOwner, "orders.fifo", m.receiptHandle).ok());
          ++deleted;
        }
      }
    });
  }
  for (auto& t : consumers) t.join();
  ASSERT_EQ(order.size(), static_cast<std::size_t>(kGroups));
  std::vector<int> expected(kPerGroup);
  for (int i = 0; i < kPerGroup; ++i) expected[i] = i;
  for (const auto& [group, received] : order) EXPECT_EQ(received, expected) << group;
}

// --- Owners ---------------------------------------------------------------------------------

TEST_F(QueueEngineTest, OwnersCannotSeeEachOthersQueuesOrMessages) {
  create("jobs", {}, "acme");
  EXPECT_EQ(engine_->getQueueUrl("globex", "jobs").error().type(), "QueueDoesNotExist");
  create("jobs", {}, "globex");
  send("jobs", SendRequest{.body = "acme's"}, "acme");
  EXPECT_TRUE(receive("jobs", ReceiveRequest{}, "globex").empty());
  auto got = receive("jobs", ReceiveRequest{}, "acme");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(engine_->deleteMessage("globex", "jobs", got[0].receiptHandle).error().type(),
            "ReceiptHandleIsInvalid");
  auto listed = engine_->listQueues("globex");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->queues.size(), 1u);
  EXPECT_EQ(listed->queues[0].url, "http://localhost:4566/globex/jobs");
  EXPECT_EQ(attributes("jobs", "acme")["QueueArn"], "arn:aws:sqs:us-east-1:acme:jobs");
  ASSERT_TRUE(engine_->deleteQueue("globex", "jobs").ok());
  EXPECT_TRUE(engine_->getQueueUrl("acme", "jobs").ok());
}

// --- Staged sends ---------------------------------------------------------------------------

TEST_F(QueueEngineTest, StagedSendIsReceivableOnlyAfterTheCallersWriteAndCommit) {
  create("jobs");
  rocksdb::WriteBatch batch;
  auto staged = engine_->stageSend(kOwner, "jobs", {.body = "from the bus"}, batch);
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(staged->result.md5OfMessageBody, "03b238e19e52815534db45d87ca5de30");
  EXPECT_TRUE(receive("jobs").empty());
  ASSERT_TRUE(storage_->write(batch).ok());
  engine_->commitStaged(*staged);
  auto got = receive("jobs");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].messageId, staged->result.messageId);
}

TEST_F(FifoQueueTest, ADroppedStagedSendReleasesItsDeduplicationId) {
  {
    rocksdb::WriteBatch batch;
    auto staged = engine_->stageSend(
        kOwner, "orders.fifo",
        {.body = "never written", .messageGroupId = "g", .messageDeduplicationId = "d"}, batch);
    ASSERT_TRUE(staged.ok());
    // The caller's write failed: it drops the StagedSend.
  }
  auto sent = sendFifo("orders.fifo", "written", "g", "d");
  EXPECT_EQ(bodies(receive("orders.fifo")), std::vector<std::string>{"written"});
  EXPECT_FALSE(sent.messageId.empty());
}

}  // namespace
}  // namespace bakery::queue
