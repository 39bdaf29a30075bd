#include "apps/bakery/platform_targets.h"

#include <fmt/format.h>

#include "core/json.h"
#include "platform/queue/engine/queue_engine.h"
#include "platform/runtime/function_catalog.h"
#include "platform/runtime/invoker.h"

namespace bakery::app {
namespace {

// The resource name at the end of an ARN: "orders" in arn:aws:sqs:r:a:orders, "f" in
// arn:aws:lambda:r:a:function:f (a version or alias qualifier after it is ignored).
std::string_view resourceName(std::string_view arn, std::string_view marker) {
  std::size_t at = arn.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = arn.substr(at + marker.size());
  return rest.substr(0, rest.find(':'));
}

}  // namespace

PlatformTargets::PlatformTargets(queue::QueueEngine& queues, runtime::FunctionCatalog* functions,
                                 runtime::Invoker* invoker, core::IdGenerator& ids)
    : queues_(queues), functions_(functions), invoker_(invoker), ids_(ids) {}

core::Result<std::function<void()>> PlatformTargets::stageQueueMessage(
    std::string_view owner, std::string_view queueArn, std::string_view body,
    const std::vector<bus::QueueMessageAttribute>& attributes, rocksdb::WriteBatch& batch) {
  // arn:aws:sqs:<region>:<account>:<name>
  std::string_view name = queueArn.substr(queueArn.rfind(':') + 1);
  queue::SendRequest request;
  request.body = std::string(body);
  for (const bus::QueueMessageAttribute& a : attributes) {
    request.attributes[a.name] = queue::MessageAttributeValue{"String", a.value, {}};
  }
  // A FIFO queue needs a group: all events of one target share one, as EventBridge does
  // when MessageGroupId is not configured.
  if (name.ends_with(".fifo")) {
    request.messageGroupId = "eventbridge";
    request.messageDeduplicationId = ids_.uuid();
  }
  auto staged = queues_.stageSend(owner, name, request, batch);
  if (!staged) {
    if (staged.error().type() == "QueueDoesNotExist") {
      return core::Error("NO_RESOURCE", 404, fmt::format("The queue {} does not exist.", queueArn));
    }
    return core::Error("INVALID_PARAMETER", 400, staged.error().message());
  }
  return std::function<void()>([this, s = std::move(staged).value()] { queues_.commitStaged(s); });
}

core::Result<void> PlatformTargets::invokeFunction(std::string_view owner,
                                                   std::string_view functionArn,
                                                   std::string_view payload) {
  std::string_view name = resourceName(functionArn, ":function:");
  runtime::RegisteredFunction* fn = functions_ ? functions_->find(name) : nullptr;
  if (!fn) {
    return core::Error("NO_RESOURCE", 404, fmt::format("Function {} does not exist.", name));
  }
  auto event = core::parseJson(payload, "event");
  runtime::InvocationRequest request;
  request.requestId = ids_.uuid();
  request.trace.traceId = ids_.traceId();
  request.trace.spanId = ids_.spanId();
  request.event = event ? std::move(event).value() : json::value(std::string(payload));
  request.tenant = std::string(owner);
  runtime::InvocationResult result = invoker_->invokeSync(*fn, std::move(request));
  if (result.error) {
    // Throttled invocations are retried like any failure; EventBridge calls it THROTTLING.
    std::string code = result.error->status() == 429 ? "THROTTLING" : "FUNCTION_ERROR";
    return core::Error(code, result.error->status(), result.error->message());
  }
  return {};
}

}  // namespace bakery::app
