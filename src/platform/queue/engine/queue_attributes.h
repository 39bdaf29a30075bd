// QueueAttributes: a queue's configuration with SQS's names, ranges and defaults, and the rules
// for setting it (CreateQueue, SetQueueAttributes) with SQS's errors. Queue names are checked
// here too, since FifoQueue decides which names are valid. Values, thread-compatible.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "platform/queue/engine/queue_types.h"

namespace bakery::queue {

struct RedrivePolicy {
  std::string deadLetterTargetArn;
  // The target ARN's parts: arn:aws:sqs:<region>:<account>:<name>.
  std::string region;
  std::string account;
  std::string queueName;
  int maxReceiveCount = 0;
};

struct QueueAttributes {
  int delaySeconds = 0;                   // 0-900
  int maximumMessageSize = 262144;        // 1024-262144 bytes
  int messageRetentionPeriod = 345600;    // 60-1209600 s (4 days by default)
  int receiveMessageWaitTimeSeconds = 0;  // 0-20
  int visibilityTimeout = 30;             // 0-43200
  std::optional<RedrivePolicy> redrivePolicy;
  bool fifoQueue = false;
  bool contentBasedDeduplication = false;        // FIFO only
  std::string deduplicationScope = "queue";      // FIFO only: queue | messageGroup
  std::string fifoThroughputLimit = "perQueue";  // FIFO only: perQueue | perMessageGroupId
  // Accepted, stored and reported, without effect here: Policy, KmsMasterKeyId,
  // KmsDataKeyReusePeriodSeconds, SqsManagedSseEnabled, RedriveAllowPolicy.
  std::map<std::string, std::string, std::less<>> inert;
};

// The attributes GetQueueAttributes computes rather than stores.
bool isReadOnlyAttribute(std::string_view name);
// Every attribute name GetQueueAttributes knows (settable or read-only), "All" excluded.
bool isKnownAttribute(std::string_view name);

// 1-80 characters of [A-Za-z0-9_-]; a FIFO queue's name ends in ".fifo" (counted in the 80),
// a standard queue's must not.
core::Result<void> checkQueueName(std::string_view name, bool fifo);

// The attributes of a new queue named `name`: the defaults with `request` applied (FifoQueue
// first, since what else is valid depends on it), and the name checked against FifoQueue.
// A RedrivePolicy's target is parsed but not looked up (the engine does that).
core::Result<QueueAttributes> attributesForNewQueue(std::string_view name,
                                                    const QueueAttributeMap& request);

// Applies SetQueueAttributes' `request` to a copy of `current`. FifoQueue cannot change.
core::Result<QueueAttributes> attributesAfterSet(const QueueAttributes& current,
                                                 const QueueAttributeMap& request);

// The settable attributes as SQS reports them (what GetQueueAttributes shows and what the
// engine stores): integers in decimal, booleans as "true"/"false", RedrivePolicy as compact
// JSON. FIFO-only attributes appear only on FIFO queues; unset optional ones not at all.
QueueAttributeMap settableAttributes(const QueueAttributes& attributes);

// The value `name` has on a queue with `attributes`, as CreateQueue compares it: the reported
// value, "false" for FifoQueue on a standard queue, empty for an attribute that is not set.
std::string comparableValue(const QueueAttributes& attributes, std::string_view name);

}  // namespace bakery::queue
