// PlatformTargets: where the event bus delivers inside `bakery serve` — the embedded queue
// engine for SQS ARNs and the function runtime for Lambda ARNs.
//
// A queue message is staged into the bus's own write batch (so a delivery is recorded and
// enqueued atomically); a function is invoked synchronously with the event as its input.
// Thread-safe; the engines must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ids.h"
#include "platform/bus/engine/bus_engine.h"

namespace bakery::queue {
class QueueEngine;
}
namespace bakery::runtime {
class FunctionCatalog;
class Invoker;
}  // namespace bakery::runtime

namespace bakery::app {

class PlatformTargets final : public bus::TargetSinks {
 public:
  // Without `functions` and `invoker` (benchmarks), function targets do not exist.
  PlatformTargets(queue::QueueEngine& queues, runtime::FunctionCatalog* functions,
                  runtime::Invoker* invoker, core::IdGenerator& ids);

  core::Result<std::function<void()>> stageQueueMessage(
      std::string_view owner, std::string_view queueArn, std::string_view body,
      const std::vector<bus::QueueMessageAttribute>& attributes,
      rocksdb::WriteBatch& batch) override;
  core::Result<void> invokeFunction(std::string_view owner, std::string_view functionArn,
                                    std::string_view payload) override;

 private:
  queue::QueueEngine& queues_;
  runtime::FunctionCatalog* functions_;
  runtime::Invoker* invoker_;
  core::IdGenerator& ids_;
};

}  // namespace bakery::app
