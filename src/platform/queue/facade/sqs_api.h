// SqsApi: the SQS API over the queue engine, shared by both wire protocols.
//
// Requests and responses are protocol-neutral documents: JSON objects whose members are
// those of the SQS model (QueueUrl, MessageBody, MessageAttributes as a map of
// {DataType, StringValue, BinaryValue}, Entries, Successful, Failed, ...), i.e. exactly what
// the AWS JSON 1.0 protocol carries. The JSON front end passes its bodies through; the query
// front end (sqs_query_protocol.h) converts its form parameters into such a document and the
// result back into XML. Binary values are base64 text in documents and raw bytes in the engine.
//
// A queue is named by its URL: any URL whose last path segment is the queue's name; when the
// segment before it is present it must be the caller's account (the owner's account as the
// engine shows it), otherwise the queue does not exist for this caller.
//
// Errors carry SQS's JSON-protocol type names (QueueDoesNotExist, InvalidParameterValue, ...;
// SerializationException for a member of the wrong JSON type); queryErrorCode() gives the
// query protocol's code of each. Stateless apart from the engine reference: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "platform/queue/engine/queue_engine.h"

namespace bakery::queue {

enum class SqsAction {
  kCreateQueue,
  kGetQueueUrl,
  kListQueues,
  kDeleteQueue,
  kPurgeQueue,
  kGetQueueAttributes,
  kSetQueueAttributes,
  kSendMessage,
  kSendMessageBatch,
  kReceiveMessage,
  kDeleteMessage,
  kDeleteMessageBatch,
  kChangeMessageVisibility,
  kChangeMessageVisibilityBatch,
};

// "SendMessage" -> kSendMessage; nullopt for an action this facade does not serve.
std::optional<SqsAction> sqsActionFromName(std::string_view name);
std::string_view sqsActionName(SqsAction action);

// The query protocol's error code of an error type, e.g. QueueDoesNotExist ->
// "AWS.SimpleQueueService.NonExistentQueue", QueueNameExists -> "QueueAlreadyExists"; types
// without a distinct code are their own code.
std::string queryErrorCode(std::string_view type);
// The value of the `x-amzn-query-error` header SQS adds to JSON-protocol errors so that
// query-compatible clients see the query code: "<code>;Sender" (a 4xx) or "<code>;Receiver".
std::string queryErrorHeader(const core::Error& error);

class SqsApi {
 public:
  explicit SqsApi(QueueEngine& engine) : engine_(engine) {}

  // Runs `action` for `owner` on the request document; the response document.
  core::Result<json::object> call(SqsAction action, std::string_view owner,
                                  const json::object& request);

 private:
  core::Result<json::object> createQueue(std::string_view owner, const json::object& request);
  core::Result<json::object> getQueueUrl(std::string_view owner, const json::object& request);
  core::Result<json::object> listQueues(std::string_view owner, const json::object& request);
  core::Result<json::object> deleteQueue(std::string_view owner, const json::object& request);
  core::Result<json::object> purgeQueue(std::string_view owner, const json::object& request);
  core::Result<json::object> getQueueAttributes(std::string_view owner,
                                                const json::object& request);
  core::Result<json::object> setQueueAttributes(std::string_view owner,
                                                const json::object& request);
  core::Result<json::object> sendMessage(std::string_view owner, const json::object& request);
  core::Result<json::object> sendMessageBatch(std::string_view owner, const json::object& request);
  core::Result<json::object> receiveMessage(std::string_view owner, const json::object& request);
  core::Result<json::object> deleteMessage(std::string_view owner, const json::object& request);
  core::Result<json::object> deleteMessageBatch(std::string_view owner,
                                                const json::object& request);
  core::Result<json::object> changeMessageVisibility(std::string_view owner,
                                                     const json::object& request);
  core::Result<json::object> changeMessageVisibilityBatch(std::string_view owner,
                                                          const json::object& request);

  // The name of the queue the request's QueueUrl names for `owner`.
  core::Result<std::string> queueName(std::string_view owner, const json::object& request) const;
  // The account `owner`'s queue URLs carry.
  std::string accountOf(std::string_view owner) const;

  QueueEngine& engine_;
};

}  // namespace bakery::queue
