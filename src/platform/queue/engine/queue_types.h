// Value types of the queue engine's interface: what a send, a receive and a batch carry, in
// SQS's terms. Plain copyable values, safe to pass between threads; binary attribute values
// are raw bytes (the AWS facade base64-decodes them).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bakery::queue {

// One message attribute. `dataType` is "String", "Number" or "Binary", optionally with a
// custom suffix ("String.json", "Number.int"); String and Number carry `stringValue`,
// Binary carries `binaryValue`.
struct MessageAttributeValue {
  std::string dataType;
  std::string stringValue;
  std::string binaryValue;

  friend bool operator==(const MessageAttributeValue&, const MessageAttributeValue&) = default;
};
// Keyed by attribute name, in byte order (the order SQS hashes them in).
using MessageAttributes = std::map<std::string, MessageAttributeValue, std::less<>>;

// Queue attributes by SQS name ("VisibilityTimeout" -> "30"), values as SQS writes them.
using QueueAttributeMap = std::map<std::string, std::string, std::less<>>;

struct SendRequest {
  std::string body;
  // Per-message delay (standard queues only); nullopt: the queue's DelaySeconds.
  std::optional<int> delaySeconds;
  MessageAttributes attributes;
  std::optional<std::string> messageGroupId;          // required on FIFO queues
  std::optional<std::string> messageDeduplicationId;  // FIFO only
  // The SenderId attribute receivers see; empty: the owner's account.
  std::string senderId;
};

struct SendResult {
  std::string messageId;
  std::string md5OfMessageBody;        // 32 lower-case hex digits
  std::string md5OfMessageAttributes;  // empty when the message has no attributes
  std::string sequenceNumber;          // FIFO queues only
};

struct ReceiveRequest {
  int maxNumberOfMessages = 1;                     // 1-10
  std::optional<int> visibilityTimeout;            // 0-43200; nullopt: the queue's
  std::optional<int> waitTimeSeconds;              // 0-20; nullopt: ReceiveMessageWaitTimeSeconds
  std::vector<std::string> attributeNames;         // system attributes: names or "All"
  std::vector<std::string> messageAttributeNames;  // names, "All", ".*" or "prefix.*"
};

struct ReceivedMessage {
  std::string messageId;
  std::string receiptHandle;
  std::string body;
  std::string md5OfBody;
  // Of the attributes returned (the selection), as SQS computes it; empty when none.
  std::string md5OfMessageAttributes;
  std::map<std::string, std::string> attributes;  // the selected system attributes
  MessageAttributes messageAttributes;            // the selected message attributes
};

// One failed entry of a batch call. `senderFault`: the entry itself was wrong (a 4xx).
struct BatchResultError {
  std::string id;
  std::string code;
  std::string message;
  bool senderFault = true;
};

struct SendBatchEntry {
  std::string id;
  SendRequest request;
};
struct SendBatchResultEntry {
  std::string id;
  SendResult result;
};
struct SendBatchResult {
  std::vector<SendBatchResultEntry> successful;
  std::vector<BatchResultError> failed;
};

struct DeleteBatchEntry {
  std::string id;
  std::string receiptHandle;
};
struct ChangeVisibilityBatchEntry {
  std::string id;
  std::string receiptHandle;
  int visibilityTimeout = 0;
};
// Delete and change-visibility batches: the ids that succeeded, and the failures.
struct BatchResult {
  std::vector<std::string> successful;
  std::vector<BatchResultError> failed;
};

struct ListedQueue {
  std::string name;
  std::string url;
};
struct ListQueuesResult {
  std::vector<ListedQueue> queues;
  std::string nextToken;  // empty on the last page
};

namespace detail {
struct PendingMessage;
}  // namespace detail

// A send staged into a caller's WriteBatch (QueueEngine::stageSend). `result` is what the
// send answers. A duplicate (FIFO deduplication) stages nothing and carries the original's
// MessageId. Pass it to commitStaged() once the batch is written; drop it otherwise.
struct StagedSend {
  SendResult result;
  bool duplicate = false;
  std::shared_ptr<detail::PendingMessage> pending;  // engine-internal
};

}  // namespace bakery::queue
