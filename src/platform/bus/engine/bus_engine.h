// BusEngine: EventBridge's event buses, rules and targets on the embedded store.
//
// call() runs one EventBridge operation (the JSON 1.1 request and response documents of the
// `AWSEvents` API) for an owner (the account or tenant the caller acts for; owners never see
// each other's buses, rules or archives). Each owner has the bus "default" from the start.
//
// The event path: PutEvents validates each entry, wraps it in the EventBridge envelope,
// matches it against the bus's compiled automaton (pattern_automaton.h), renders each
// matched target's input, and writes one delivery record per (event, target) plus the
// archive copies, all entries of the request in one atomic, durable batch, before it
// answers. A dispatcher thread then delivers the records in order of due time. A queue or
// bus target is written in the same batch that deletes its delivery record (so a queue
// receives an event exactly once, even across a crash); a function target is invoked and
// then its record deleted (at least once). A failed attempt is rescheduled with exponential
// backoff and full jitter until the target's RetryPolicy (age, attempts) is exhausted, then
// the event goes to the target's dead-letter queue with EventBridge's message attributes.
// After a crash, open() reloads every record still pending: an accepted event reaches every
// target it matched.
//
// Storage: `bus` family "d"[u64 due µs][u64 seq] -> delivery record (JSON), "a"[u64 archive
// id][u64 time µs][u64 seq] -> archived event; metadata in `default` under "bus/", "rule/",
// "archive/", "replay/". Thread-safe; the engine must outlive its users.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/result.h"

namespace rocksdb {
class WriteBatch;
}
namespace bakery::storage {
class Storage;
}
namespace bakery::observability {
class MetricsRegistry;
}

namespace bakery::bus {

struct QueueMessageAttribute {
  std::string name;
  std::string value;  // a String attribute
};

// Where targets lead, supplied by the application (queues, functions). Implementations are
// thread-safe.
class TargetSinks {
 public:
  virtual ~TargetSinks() = default;
  // Stages a message for the queue `queueArn` of `owner` inside `batch`; the returned
  // callback runs after the batch is durable (to wake receivers). An error of type
  // "NO_RESOURCE" means the queue does not exist (not retried).
  virtual core::Result<std::function<void()>> stageQueueMessage(
      std::string_view owner, std::string_view queueArn, std::string_view body,
      const std::vector<QueueMessageAttribute>& attributes, rocksdb::WriteBatch& batch) = 0;
  // Invokes the function `functionArn` with `payload` and waits for its outcome; an error is
  // a failed attempt (retried unless its type is "NO_RESOURCE").
  virtual core::Result<void> invokeFunction(std::string_view owner, std::string_view functionArn,
                                            std::string_view payload) = 0;
};

struct BusOptions {
  std::string region = "us-east-1";
  std::string accountId = "000000000000";
  // Backoff between attempts: base * 2^(attempt-1), capped, times a uniform jitter in
  // [0, 1] (full jitter).
  std::chrono::milliseconds retryBase{1000};
  std::chrono::milliseconds retryCap{std::chrono::minutes(5)};
  // The dispatcher's longest sleep when nothing is due (it is woken on every new record).
  std::chrono::milliseconds idleWait{200};
  bool startDispatcher = true;  // tests drive deliveries with dispatchDueForTest()
};

// A delivery made for another service through the bus's dispatcher (EventBridge Scheduler
// fires its schedules this way): the same retries, backoff and dead-lettering as a rule's.
struct DeliveryRequest {
  std::string owner;
  std::string sourceArn;        // the schedule (or rule) the delivery comes from
  std::string sourceAttribute;  // its dead-letter attribute: "SCHEDULE_ARN", "RULE_ARN"
  std::string targetArn;
  std::string payload;
  std::string deadLetterArn;  // empty: dropped after the last failure
  std::int64_t maxAgeSeconds = 86400;
  std::int64_t maxAttempts = 185;
};

// PutEvents staged into someone else's batch: the answer to give, and what to run once the
// batch is durable.
struct StagedPutEvents {
  json::object response;
  std::function<void()> afterCommit;
};

class BusEngine {
 public:
  BusEngine(storage::Storage& storage, core::Clock& clock, core::IdGenerator& ids,
            TargetSinks& sinks, BusOptions options = {},
            observability::MetricsRegistry* metrics = nullptr);
  ~BusEngine();
  BusEngine(const BusEngine&) = delete;
  BusEngine& operator=(const BusEngine&) = delete;

  // Loads buses, rules and pending deliveries, and starts the dispatcher. Call once.
  core::Result<void> open();
  // Stops the dispatcher after the attempt in progress; pending records stay stored.
  void stop();

  // One EventBridge operation ("PutEvents", "PutRule", ...) on behalf of `owner`.
  core::Result<json::object> call(std::string_view owner, std::string_view operation,
                                  const json::object& request);

  // PutEvents inside the caller's batch (the outbox: a handler's table writes and its events
  // commit together). Run afterCommit once the batch is durable; drop it otherwise.
  core::Result<StagedPutEvents> stagePutEvents(std::string_view owner, const json::object& request,
                                               rocksdb::WriteBatch& batch);

  // Stages `request` in `batch` (the caller's own atomic write); run the returned callback
  // once the batch is durable, to hand the delivery to the dispatcher.
  std::function<void()> stageDelivery(const DeliveryRequest& request, rocksdb::WriteBatch& batch);

  // Puts events from inside the platform (the SDK's Bus): the PutEvents request document.
  core::Result<json::object> putEvents(std::string_view owner, const json::object& request);

  // Fires the scheduled rules and delivers every record due now; returns how many records
  // were attempted. The dispatcher thread calls it; tests call it with a ManualClock.
  std::size_t dispatchDueForTest();
  std::size_t pendingDeliveries() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bakery::bus
