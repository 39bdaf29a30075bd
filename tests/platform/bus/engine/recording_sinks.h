// RecordingSinks: bus targets for tests. Queues that exist are named in `queues`; a message
// rides in the engine's own write batch (as the real queue engine's does) and shows up in
// `received` only once that batch committed. Functions record their payloads and fail
// `functionFailures` times first.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <rocksdb/write_batch.h>

#include "platform/bus/engine/bus_engine.h"

namespace bakery::bus {

struct Message {
  std::string queueArn;
  std::string body;
  std::map<std::string, std::string> attributes;
};

class RecordingSinks final : public TargetSinks {
 public:
  core::Result<std::function<void()>> stageQueueMessage(
      std::string_view owner, std::string_view queueArn, std::string_view body,
      const std::vector<QueueMessageAttribute>& attributes, rocksdb::WriteBatch& batch) override {
    (void)owner;
    if (!queues.contains(std::string(queueArn))) {
      return core::Error("NO_RESOURCE", 404, "queue does not exist");
    }
    batch.Put("q", "message");  // rides in the engine's batch like a real enqueue
    Message m{std::string(queueArn), std::string(body), {}};
    for (const auto& a : attributes) m.attributes[a.name] = a.value;
    return std::function<void()>([this, m] { received.push_back(m); });
  }
  core::Result<void> invokeFunction(std::string_view owner, std::string_view functionArn,
                                    std::string_view payload) override {
    (void)owner;
    (void)functionArn;
    invocations.emplace_back(payload);
    if (functionFailures > 0) {
      --functionFailures;
      return core::Error("SERVICE_ERROR", 500, "the function failed");
    }
    return {};
  }

  std::set<std::string> queues{"arn:aws:sqs:us-east-1:000000000000:orders",
                               "arn:aws:sqs:us-east-1:000000000000:dlq"};
  std::vector<Message> received;
  std::vector<std::string> invocations;
  int functionFailures = 0;
};

}  // namespace bakery::bus
