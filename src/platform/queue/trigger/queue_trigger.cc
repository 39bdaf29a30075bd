#include "platform/queue/trigger/queue_trigger.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/queue/engine/queue_types.h"

namespace bakery::queue {
namespace {

// How long the poller pauses after a poll that could not read the queue (it is missing, or
// storage failed) before trying again.
constexpr std::chrono::seconds kRetryPause{1};

constexpr int kMaxBatchSize = 10;  // one ReceiveMessage; Lambda allows more only with a window
constexpr int kMaxBatchingWindowSeconds = 300;
constexpr int kMaxPollWaitSeconds = 20;  // SQS's longest WaitTimeSeconds

core::Error invalidOption(std::string_view option, std::string_view message) {
  return core::Error::validation(fmt::format("{}: {}", option, message), std::string(option));
}

core::Result<void> validate(const QueueTriggerOptions& o) {
  if (o.queue.empty()) return invalidOption("queue", "is required");
  if (o.batchSize < 1 || o.batchSize > kMaxBatchSize) {
    return invalidOption(
        "batchSize", fmt::format("must be between 1 and {}, got {}", kMaxBatchSize, o.batchSize));
  }
  if (o.maximumBatchingWindowSeconds < 0 ||
      o.maximumBatchingWindowSeconds > kMaxBatchingWindowSeconds) {
    return invalidOption("maximumBatchingWindowSeconds",
                         fmt::format("must be between 0 and {}, got {}", kMaxBatchingWindowSeconds,
                                     o.maximumBatchingWindowSeconds));
  }
  // SQS names every FIFO queue *.fifo; Lambda has no batching window for them.
  if (o.maximumBatchingWindowSeconds > 0 && o.queue.ends_with(".fifo")) {
    return invalidOption("maximumBatchingWindowSeconds", "must be 0 for a FIFO queue");
  }
  if (o.pollWaitSeconds < 1 || o.pollWaitSeconds > kMaxPollWaitSeconds) {
    return invalidOption("pollWaitSeconds", fmt::format("must be between 1 and {}, got {}",
                                                        kMaxPollWaitSeconds, o.pollWaitSeconds));
  }
  return {};
}

// arn:aws:sqs:<region>:<account>:<name>
std::string regionOf(std::string_view arn) {
  for (int field = 0; field < 3; ++field) {
    std::size_t colon = arn.find(':');
    if (colon == std::string_view::npos) return {};
    arn.remove_prefix(colon + 1);
  }
  return std::string(arn.substr(0, arn.find(':')));
}

// One message attribute as Lambda writes it: the value under stringValue or (base64)
// binaryValue, and the list members SQS reserves for future use, always empty.
json::object attributeValue(const MessageAttributeValue& a) {
  json::object value;
  if (std::string_view(a.dataType).starts_with("Binary")) {
    value["binaryValue"] = core::base64Encode(a.binaryValue);
  } else {
    value["stringValue"] = a.stringValue;
  }
  value["stringListValues"] = json::array();
  value["binaryListValues"] = json::array();
  value["dataType"] = a.dataType;
  return value;
}

json::value sqsEvent(const std::vector<ReceivedMessage>& batch, std::string_view queueArn,
                     std::string_view region) {
  json::array records;
  records.reserve(batch.size());
  for (const ReceivedMessage& m : batch) {
    json::object attributes;
    for (const auto& [name, value] : m.attributes) attributes[name] = value;
    json::object messageAttributes;
    for (const auto& [name, value] : m.messageAttributes) {
      messageAttributes[name] = attributeValue(value);
    }
    json::object record;
    record["messageId"] = m.messageId;
    record["receiptHandle"] = m.receiptHandle;
    record["body"] = m.body;
    record["attributes"] = std::move(attributes);
    record["messageAttributes"] = std::move(messageAttributes);
    record["md5OfBody"] = m.md5OfBody;
    if (!m.md5OfMessageAttributes.empty()) {
      record["md5OfMessageAttributes"] = m.md5OfMessageAttributes;
    }
    record["eventSource"] = "aws:sqs";
    record["eventSourceARN"] = queueArn;
    record["awsRegion"] = region;
    records.push_back(std::move(record));
  }
  json::object event;
  event["Records"] = std::move(records);
  return event;
}

// The message ids a partial batch response reports as failed, or why the response is not
// one (Lambda then fails the whole batch).
core::Result<std::set<std::string, std::less<>>> reportedFailures(
    const json::value& response, const std::vector<ReceivedMessage>& batch) {
  std::set<std::string, std::less<>> failed;
  auto invalid = [](std::string message) {
    return core::Error("InvalidBatchResponse", 502,
                       "invalid partial batch response: " + std::move(message));
  };
  if (response.is_null()) return failed;
  if (!response.is_object()) return invalid("the response is not a JSON object");
  const json::value* items = response.get_object().if_contains("batchItemFailures");
  if (!items || items->is_null()) return failed;
  if (!items->is_array()) return invalid("batchItemFailures is not an array");
  std::set<std::string_view> inBatch;
  for (const ReceivedMessage& m : batch) inBatch.insert(m.messageId);
  const json::array& list = items->get_array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json::value* id =
        list[i].is_object() ? list[i].get_object().if_contains("itemIdentifier") : nullptr;
    if (!id || !id->is_string() || id->get_string().empty()) {
      return invalid(fmt::format("batchItemFailures[{}] has no itemIdentifier", i));
    }
    std::string_view text(id->get_string());
    if (!inBatch.contains(text)) {
      return invalid(
          fmt::format("batchItemFailures[{}].itemIdentifier '{}' is not a message of "
                      "the batch",
                      i, text));
    }
    failed.emplace(text);
  }
  return failed;
}

}  // namespace

core::Result<std::unique_ptr<QueueTrigger>> QueueTrigger::create(QueueEngine& queues,
                                                                 core::Clock& clock,
                                                                 QueueTriggerOptions options,
                                                                 Invoke invoke,
                                                                 ReportError reportError) {
  if (auto valid = validate(options); !valid) return valid.error();
  if (!invoke) return invalidOption("invoke", "is required");
  return std::unique_ptr<QueueTrigger>(new QueueTrigger(queues, clock, std::move(options),
                                                        std::move(invoke), std::move(reportError)));
}

QueueTrigger::QueueTrigger(QueueEngine& queues, core::Clock& clock, QueueTriggerOptions options,
                           Invoke invoke, ReportError reportError)
    : queues_(queues),
      clock_(clock),
      options_(std::move(options)),
      queueArn_(queues.queueArn(options_.owner, options_.queue)),
      region_(regionOf(queueArn_)),
      invoke_(std::move(invoke)),
      reportError_(std::move(reportError)) {}

QueueTrigger::~QueueTrigger() { stop(); }

void QueueTrigger::start() {
  if (poller_.joinable()) return;
  poller_ = std::thread([this] { run(); });
}

void QueueTrigger::requestStop() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void QueueTrigger::stop() {
  requestStop();
  if (poller_.joinable()) poller_.join();
}

void QueueTrigger::run() {
  while (!stopping_) {
    auto polled = pollOnce();
    if (polled) {
      lastReported_.reset();
      continue;
    }
    report(polled.error());
    core::MutexLock lock(mu_);
    wake_.wait_for(lock.native(), kRetryPause, [this] { return stopping_.load(); });
  }
}

core::Result<BatchOutcome> QueueTrigger::pollOnce() {
  BatchOutcome outcome;
  std::vector<ReceivedMessage> batch;
  const auto batchSize = static_cast<std::size_t>(options_.batchSize);
  const std::chrono::seconds window(options_.maximumBatchingWindowSeconds);
  core::Clock::MonoTime windowEnd{};
  for (;;) {
    int wait = options_.pollWaitSeconds;
    if (!batch.empty()) {
      // Receives wait in whole seconds: the window may run over by less than one when
      // nothing arrives in its last second.
      auto left = windowEnd - clock_.monoNow();
      if (left <= std::chrono::nanoseconds::zero()) break;
      wait =
          std::min(wait, static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count()));
    }
    ReceiveRequest request;
    request.maxNumberOfMessages = static_cast<int>(batchSize - batch.size());
    request.waitTimeSeconds = wait;
    request.attributeNames = {"All"};
    request.messageAttributeNames = {"All"};
    auto received = queues_.receiveMessage(options_.owner, options_.queue, request);
    if (!received) {
      if (batch.empty()) return received.error();
      report(received.error());
      break;  // deliver what was gathered
    }
    if (batch.empty()) {
      if (received->empty()) return outcome;
      windowEnd = clock_.monoNow() + window;  // the window opens with the batch's first message
    }
    std::move(received->begin(), received->end(), std::back_inserter(batch));
    if (batch.size() >= batchSize || window.count() == 0 || stopping_) break;
  }
  outcome.received = batch.size();

  if (stopping_) {
    // Never delivered: make the messages visible again now rather than after the timeout.
    std::vector<ChangeVisibilityBatchEntry> entries;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      entries.push_back({std::to_string(i), batch[i].receiptHandle, 0});
    }
    auto released = queues_.changeMessageVisibilityBatch(options_.owner, options_.queue, entries);
    if (!released) report(released.error());
    outcome.retained = batch.size();
    retainedMessages_ += batch.size();
    return outcome;
  }

  outcome.invoked = true;
  ++invocations_;
  auto response = invoke_(sqsEvent(batch, queueArn_, region_));
  std::vector<DeleteBatchEntry> done;
  if (!response) {
    outcome.error = response.error();
  } else if (!options_.reportBatchItemFailures) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      done.push_back({std::to_string(i), batch[i].receiptHandle});
    }
  } else if (auto failed = reportedFailures(*response, batch); !failed) {
    outcome.error = failed.error();
    report(failed.error());
  } else {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!failed->contains(batch[i].messageId)) {
        done.push_back({std::to_string(i), batch[i].receiptHandle});
      }
    }
  }
  if (outcome.error) ++failedInvocations_;
  if (!done.empty()) {
    auto deleted = queues_.deleteMessageBatch(options_.owner, options_.queue, done);
    if (!deleted) {
      report(deleted.error());
    } else {
      outcome.deleted = deleted->successful.size();
      if (!deleted->failed.empty()) {
        const BatchResultError& first = deleted->failed.front();
        report(core::Error(first.code, first.senderFault ? 400 : 500, first.message));
      }
    }
  }
  outcome.retained = batch.size() - outcome.deleted;
  deletedMessages_ += outcome.deleted;
  retainedMessages_ += outcome.retained;
  return outcome;
}

QueueTriggerStats QueueTrigger::stats() const {
  return {invocations_.load(), failedInvocations_.load(), deletedMessages_.load(),
          retainedMessages_.load()};
}

void QueueTrigger::report(const core::Error& error) {
  if (lastReported_ == error.message()) return;
  lastReported_ = error.message();
  if (reportError_) reportError_(error);
}

}  // namespace bakery::queue
