// QueueTrigger: runs a function on the messages of one queue, with the semantics of an AWS
// Lambda event source mapping for Amazon SQS.
//
// A poller thread long-polls the queue and gathers a batch of up to `batchSize` messages: with
// no batching window, whatever one receive returns; with a window, it keeps receiving until
// the batch is full or `maximumBatchingWindowSeconds` have passed since the batch's first
// message (AWS: not for FIFO queues). It then invokes the function synchronously with
// Lambda's SQS event, {"Records":[{"messageId", "receiptHandle", "body", "attributes",
// "messageAttributes", "md5OfBody", "eventSource":"aws:sqs", "eventSourceARN",
// "awsRegion"}]}, and acknowledges the outcome:
//   - the invocation failed: nothing is deleted. The messages reappear after the queue's
//     visibility timeout; the queue's redrive policy moves them to its dead-letter queue after
//     maxReceiveCount receives (the engine does that, as SQS does).
//   - it succeeded: every message of the batch is deleted, except, with
//     `reportBatchItemFailures`, those the response names in batchItemFailures[].itemIdentifier
//     (they are retried like a failed batch). As in Lambda, a null response or a null, missing
//     or empty batchItemFailures list is complete success, and a response that is not a valid
//     partial batch response (not an object; batchItemFailures not an array; an entry without
//     a non-empty string itemIdentifier; an identifier that names no message of the batch) is
//     complete failure. Without the option the response is ignored.
//
// Stopping: requestStop() returns at once; the poller then starts no other invocation, lets
// the one in progress finish and acknowledges it, and makes messages it gathered but did not
// deliver visible again. Each receive waits at most `pollWaitSeconds`, so the poller notices
// the request within about that long without the engine being stopped. stop() also joins it.
//
// Thread-safety: start(), requestStop() and stop() from one owning thread; stats() from any.
// pollOnce() is what the poller thread runs; call it directly only on a trigger not started.
// The engine and clock must outlive the trigger; `invoke` is called on the poller thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/json.h"
#include "core/mutex.h"
#include "core/result.h"
#include "core/thread_annotations.h"

namespace bakery::queue {

class QueueEngine;

struct QueueTriggerOptions {
  std::string owner;                     // the queue's owner ("" = the system scope)
  std::string queue;                     // the queue's name
  int batchSize = 10;                    // 1-10
  int maximumBatchingWindowSeconds = 0;  // 0-300; 0 on FIFO queues
  bool reportBatchItemFailures = false;  // Lambda's FunctionResponseTypes ReportBatchItemFailures
  int pollWaitSeconds = 1;               // 1-20: the longest receive, hence stop() latency
};

// What one poll did. `error`: why the batch failed (the invocation's error, or what was wrong
// with its response); nothing of it was deleted.
struct BatchOutcome {
  std::size_t received = 0;
  bool invoked = false;
  std::size_t deleted = 0;
  std::size_t retained = 0;  // left in flight for redelivery (failed, or gathered when stopping)
  std::optional<core::Error> error;
};

// Running totals since the trigger was created.
struct QueueTriggerStats {
  std::uint64_t invocations = 0;
  std::uint64_t failedInvocations = 0;  // the invocation failed or its response was invalid
  std::uint64_t deletedMessages = 0;
  std::uint64_t retainedMessages = 0;
};

class QueueTrigger {
 public:
  // Calls the function with the event; its result is the function's response.
  using Invoke = std::function<core::Result<json::value>(const json::value& event)>;
  // Told about trouble that is not the function's own failure: receives and deletes that
  // failed, invalid partial batch responses. A run of identical failures is told once.
  using ReportError = std::function<void(const core::Error&)>;

  // Validates `options` (ValidationException naming the option, e.g. `batchSize`). The queue
  // need not exist yet: until it does, each poll fails and is reported.
  static core::Result<std::unique_ptr<QueueTrigger>> create(QueueEngine& queues, core::Clock& clock,
                                                            QueueTriggerOptions options,
                                                            Invoke invoke,
                                                            ReportError reportError = {});
  ~QueueTrigger();  // stop()
  QueueTrigger(const QueueTrigger&) = delete;
  QueueTrigger& operator=(const QueueTrigger&) = delete;

  // Starts the poller thread. Once.
  void start();
  void requestStop();
  // requestStop(), then waits for the poller thread to end.
  void stop();

  // One round: gathers a batch (waiting up to pollWaitSeconds for its first message),
  // invokes the function and acknowledges. Receiving nothing is an empty outcome; an error is
  // the engine's, when the queue could not be read.
  core::Result<BatchOutcome> pollOnce();

  QueueTriggerStats stats() const;
  const QueueTriggerOptions& options() const { return options_; }

 private:
  QueueTrigger(QueueEngine& queues, core::Clock& clock, QueueTriggerOptions options, Invoke invoke,
               ReportError reportError);
  void run();
  // Tells reportError_, unless the last thing told was the same (poller thread only).
  void report(const core::Error& error);

  QueueEngine& queues_;
  core::Clock& clock_;
  const QueueTriggerOptions options_;
  const std::string queueArn_;
  const std::string region_;
  Invoke invoke_;
  ReportError reportError_;

  std::atomic<bool> stopping_{false};
  core::Mutex mu_;
  std::condition_variable wake_;  // ends the pause after a failed poll early on stop
  std::thread poller_;
  std::optional<std::string> lastReported_;  // poller thread only

  std::atomic<std::uint64_t> invocations_{0};
  std::atomic<std::uint64_t> failedInvocations_{0};
  std::atomic<std::uint64_t> deletedMessages_{0};
  std::atomic<std::uint64_t> retainedMessages_{0};
};

}  // namespace bakery::queue
