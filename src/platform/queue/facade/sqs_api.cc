#include "platform/queue/facade/sqs_api.h"

#include <climits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "platform/queue/engine/message_validation.h"

namespace bakery::queue {
namespace {

constexpr std::pair<SqsAction, std::string_view> kActions[] = {
    {SqsAction::kCreateQueue, "CreateQueue"},
    {SqsAction::kGetQueueUrl, "GetQueueUrl"},
    {SqsAction::kListQueues, "ListQueues"},
    {SqsAction::kDeleteQueue, "DeleteQueue"},
    {SqsAction::kPurgeQueue, "PurgeQueue"},
    {SqsAction::kGetQueueAttributes, "GetQueueAttributes"},
    {SqsAction::kSetQueueAttributes, "SetQueueAttributes"},
    {SqsAction::kSendMessage, "SendMessage"},
    {SqsAction::kSendMessageBatch, "SendMessageBatch"},
    {SqsAction::kReceiveMessage, "ReceiveMessage"},
    {SqsAction::kDeleteMessage, "DeleteMessage"},
    {SqsAction::kDeleteMessageBatch, "DeleteMessageBatch"},
    {SqsAction::kChangeMessageVisibility, "ChangeMessageVisibility"},
    {SqsAction::kChangeMessageVisibilityBatch, "ChangeMessageVisibilityBatch"},
};

// Errors whose query code is the type behind SQS's legacy prefix.
constexpr std::string_view kPrefixedCodes[] = {
    "BatchEntryIdsNotDistinct", "BatchRequestTooLong",          "EmptyBatchRequest",
    "InvalidBatchEntryId",      "MessageNotInflight",           "PurgeQueueInProgress",
    "QueueDeletedRecently",     "TooManyEntriesInBatchRequest", "UnsupportedOperation"};

// --- Reading request documents ------------------------------------------------------------
// A member of the wrong JSON type is a SerializationException, as AWS answers it; null is
// taken as absent.

core::Error unexpectedType(std::string_view member) {
  return core::Error("SerializationException", 400,
                     fmt::format("Unexpected field type for {}", member));
}

core::Error missingParameter(std::string_view member) {
  return core::Error("MissingParameter", 400,
                     fmt::format("The request must contain the parameter {}.", member));
}

core::Error invalidParameterValue(std::string message) {
  return core::Error("InvalidParameterValue", 400, std::move(message));
}

core::Error queueDoesNotExist() {
  return core::Error("QueueDoesNotExist", 400, "The specified queue does not exist.");
}

const json::value* member(const json::object& object, std::string_view name) {
  const json::value* v = object.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

core::Result<std::optional<std::string_view>> optionalString(const json::object& object,
                                                             std::string_view name) {
  const json::value* v = member(object, name);
  if (v == nullptr) return std::optional<std::string_view>();
  if (!v->is_string()) return unexpectedType(name);
  const json::string& s = v->get_string();
  return std::optional<std::string_view>(std::string_view(s.data(), s.size()));
}

core::Result<std::string_view> requiredString(const json::object& object, std::string_view name) {
  auto s = optionalString(object, name);
  if (!s) return s.error();
  if (!*s) return missingParameter(name);
  return **s;
}

core::Result<std::optional<int>> optionalInt(const json::object& object, std::string_view name) {
  const json::value* v = member(object, name);
  if (v == nullptr) return std::optional<int>();
  auto n = core::integerValue(*v);
  if (!n) return unexpectedType(name);
  if (*n < INT_MIN || *n > INT_MAX) {
    return invalidParameterValue(
        fmt::format("Value {} for parameter {} is invalid. Reason: Must be an integer.", *n, name));
  }
  return std::optional<int>(static_cast<int>(*n));
}

// A list member; nullptr when it is absent.
core::Result<const json::array*> optionalList(const json::object& object, std::string_view name) {
  const json::value* v = member(object, name);
  if (v == nullptr) return static_cast<const json::array*>(nullptr);
  if (!v->is_array()) return unexpectedType(name);
  return &v->get_array();
}

core::Result<std::vector<std::string>> stringList(const json::object& object,
                                                  std::string_view name) {
  auto list = optionalList(object, name);
  if (!list) return list.error();
  std::vector<std::string> out;
  if (*list == nullptr) return out;
  out.reserve((*list)->size());
  for (const json::value& e : **list) {
    if (!e.is_string()) return unexpectedType(name);
    out.emplace_back(e.get_string());
  }
  return out;
}

core::Result<QueueAttributeMap> stringMap(const json::object& object, std::string_view name) {
  QueueAttributeMap out;
  const json::value* v = member(object, name);
  if (v == nullptr) return out;
  if (!v->is_object()) return unexpectedType(name);
  for (const auto& entry : v->get_object()) {
    if (!entry.value().is_string()) return unexpectedType(name);
    out.emplace(std::string(entry.key()), std::string(entry.value().get_string()));
  }
  return out;
}

// MessageAttributes: {name: {DataType, StringValue | BinaryValue (base64)}}, at most ten.
core::Result<MessageAttributes> messageAttributes(const json::object& object) {
  MessageAttributes out;
  const json::value* v = member(object, "MessageAttributes");
  if (v == nullptr) return out;
  if (!v->is_object()) return unexpectedType("MessageAttributes");
  const json::object& map = v->get_object();
  // Counted before anything is decoded, as the engine would count them afterwards.
  if (map.size() > kMaxMessageAttributes) {
    return invalidParameterValue(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum [{}].",
                    map.size(), kMaxMessageAttributes));
  }
  for (const auto& entry : map) {
    if (!entry.value().is_object()) return unexpectedType("MessageAttributes");
    const json::object& value = entry.value().get_object();
    auto dataType = optionalString(value, "DataType");
    auto stringValue = optionalString(value, "StringValue");
    auto binaryValue = optionalString(value, "BinaryValue");
    if (!dataType) return dataType.error();
    if (!stringValue) return stringValue.error();
    if (!binaryValue) return binaryValue.error();
    MessageAttributeValue attribute;
    attribute.dataType = std::string(dataType->value_or(""));
    attribute.stringValue = std::string(stringValue->value_or(""));
    if (*binaryValue) {
      auto bytes = core::base64Decode(**binaryValue);
      if (!bytes) {
        return invalidParameterValue(fmt::format(
            "The binary value of message attribute '{}' is not valid base64.", entry.key()));
      }
      attribute.binaryValue = std::move(*bytes);
    }
    out.emplace(std::string(entry.key()), std::move(attribute));
  }
  return out;
}

// The engine's SendRequest of a SendMessage request or a SendMessageBatch entry.
core::Result<SendRequest> sendRequest(const json::object& object) {
  // A missing body is left to the engine, which fails a batch entry alone for it.
  auto body = optionalString(object, "MessageBody");
  if (!body) return body.error();
  auto delay = optionalInt(object, "DelaySeconds");
  if (!delay) return delay.error();
  auto attributes = messageAttributes(object);
  if (!attributes) return attributes.error();
  auto group = optionalString(object, "MessageGroupId");
  if (!group) return group.error();
  auto dedup = optionalString(object, "MessageDeduplicationId");
  if (!dedup) return dedup.error();
  SendRequest request;
  request.body = std::string(body->value_or(""));
  request.delaySeconds = *delay;
  request.attributes = std::move(*attributes);
  if (*group) request.messageGroupId = std::string(**group);
  if (*dedup) request.messageDeduplicationId = std::string(**dedup);
  return request;
}

// The entries of a batch request, after the checks SQS makes before looking into any of them:
// at least one, at most ten (counted before anything else is decoded), valid distinct ids.
core::Result<std::vector<const json::object*>> batchEntries(const json::object& request,
                                                            std::string_view entryType) {
  auto list = optionalList(request, "Entries");
  if (!list) return list.error();
  std::size_t count = *list == nullptr ? 0 : (*list)->size();
  if (count > kMaxBatchEntries) {
    return core::Error(
        "TooManyEntriesInBatchRequest", 400,
        fmt::format("Maximum number of entries per request are {}. You have sent {}.",
                    kMaxBatchEntries, count));
  }
  std::vector<const json::object*> entries;
  std::vector<std::string_view> ids;
  for (std::size_t i = 0; i < count; ++i) {
    const json::value& e = (**list)[i];
    if (!e.is_object()) return unexpectedType("Entries");
    auto id = optionalString(e.get_object(), "Id");
    if (!id) return id.error();
    entries.push_back(&e.get_object());
    ids.push_back(id->value_or(""));
  }
  auto checked = checkBatchEntryIds(ids, entryType);
  if (!checked) return checked.error();
  return entries;
}

// --- Writing response documents -----------------------------------------------------------

json::object encodeMessageAttributes(const MessageAttributes& attributes) {
  json::object out;
  for (const auto& [name, value] : attributes) {
    json::object v;
    if (value.dataType.starts_with("Binary")) {
      v["BinaryValue"] = core::base64Encode(value.binaryValue);
    } else {
      v["StringValue"] = value.stringValue;
    }
    v["DataType"] = value.dataType;
    out[name] = std::move(v);
  }
  return out;
}

json::object encodeSendResult(const SendResult& result) {
  json::object out;
  out["MD5OfMessageBody"] = result.md5OfMessageBody;
  if (!result.md5OfMessageAttributes.empty()) {
    out["MD5OfMessageAttributes"] = result.md5OfMessageAttributes;
  }
  out["MessageId"] = result.messageId;
  if (!result.sequenceNumber.empty()) out["SequenceNumber"] = result.sequenceNumber;
  return out;
}

json::array encodeFailures(const std::vector<BatchResultError>& failed) {
  json::array out;
  for (const BatchResultError& f : failed) {
    out.push_back(json::object{
        {"Id", f.id}, {"SenderFault", f.senderFault}, {"Code", f.code}, {"Message", f.message}});
  }
  return out;
}

json::object encodeBatchResult(const BatchResult& result) {
  json::array successful;
  for (const std::string& id : result.successful) successful.push_back(json::object{{"Id", id}});
  return json::object{{"Successful", std::move(successful)},
                      {"Failed", encodeFailures(result.failed)}};
}

// The path segments of a URL ("http://host:4566/000000000000/jobs?x" -> 000000000000, jobs);
// a text without "://" is taken as a path.
std::vector<std::string_view> pathSegments(std::string_view url) {
  if (std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    std::size_t slash = url.find('/');
    url = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  }
  url = url.substr(0, url.find_first_of("?#"));
  std::vector<std::string_view> segments;
  while (!url.empty()) {
    std::size_t slash = url.find('/');
    std::string_view segment = url.substr(0, slash);
    if (!segment.empty()) segments.push_back(segment);
    if (slash == std::string_view::npos) break;
    url.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

std::optional<SqsAction> sqsActionFromName(std::string_view name) {
  for (const auto& [action, actionName] : kActions) {
    if (actionName == name) return action;
  }
  return std::nullopt;
}

std::string_view sqsActionName(SqsAction action) {
  for (const auto& [a, name] : kActions) {
    if (a == action) return name;
  }
  return {};
}

std::string queryErrorCode(std::string_view type) {
  if (type == "QueueDoesNotExist") return "AWS.SimpleQueueService.NonExistentQueue";
  if (type == "QueueNameExists") return "QueueAlreadyExists";
  for (std::string_view prefixed : kPrefixedCodes) {
    if (type == prefixed) return fmt::format("AWS.SimpleQueueService.{}", type);
  }
  // The endpoint's own errors, by the names the query protocol gives them.
  if (type == "MissingAuthenticationTokenException") return "MissingAuthenticationToken";
  if (type == "IncompleteSignatureException") return "IncompleteSignature";
  if (type == "InvalidSignatureException") return "SignatureDoesNotMatch";
  if (type == "UnrecognizedClientException") return "InvalidClientTokenId";
  if (type == "InternalServerException") return "InternalFailure";
  return std::string(type);
}

std::string queryErrorHeader(const core::Error& error) {
  return fmt::format("{};{}", queryErrorCode(error.type()),
                     error.status() >= 500 || error.status() == 0 ? "Receiver" : "Sender");
}

core::Result<json::object> SqsApi::call(SqsAction action, std::string_view owner,
                                        const json::object& request) {
  switch (action) {
    case SqsAction::kCreateQueue:
      return createQueue(owner, request);
    case SqsAction::kGetQueueUrl:
      return getQueueUrl(owner, request);
    case SqsAction::kListQueues:
      return listQueues(owner, request);
    case SqsAction::kDeleteQueue:
      return deleteQueue(owner, request);
    case SqsAction::kPurgeQueue:
      return purgeQueue(owner, request);
    case SqsAction::kGetQueueAttributes:
      return getQueueAttributes(owner, request);
    case SqsAction::kSetQueueAttributes:
      return setQueueAttributes(owner, request);
    case SqsAction::kSendMessage:
      return sendMessage(owner, request);
    case SqsAction::kSendMessageBatch:
      return sendMessageBatch(owner, request);
    case SqsAction::kReceiveMessage:
      return receiveMessage(owner, request);
    case SqsAction::kDeleteMessage:
      return deleteMessage(owner, request);
    case SqsAction::kDeleteMessageBatch:
      return deleteMessageBatch(owner, request);
    case SqsAction::kChangeMessageVisibility:
      return changeMessageVisibility(owner, request);
    case SqsAction::kChangeMessageVisibilityBatch:
      return changeMessageVisibilityBatch(owner, request);
  }
  return core::Error::internal();
}

std::string SqsApi::accountOf(std::string_view owner) const {
  // The engine spells its URLs <endpoint>/<account>/<name>.
  std::string url = engine_.queueUrl(owner, "q");
  std::vector<std::string_view> segments = pathSegments(url);
  return segments.size() >= 2 ? std::string(segments[segments.size() - 2]) : std::string();
}

core::Result<std::string> SqsApi::queueName(std::string_view owner,
                                            const json::object& request) const {
  auto url = requiredString(request, "QueueUrl");
  if (!url) return url.error();
  std::vector<std::string_view> segments = pathSegments(*url);
  if (segments.empty()) return queueDoesNotExist();
  if (segments.size() >= 2 && segments[segments.size() - 2] != accountOf(owner)) {
    return queueDoesNotExist();  // another account's queue: this caller cannot see it
  }
  return std::string(segments.back());
}

core::Result<json::object> SqsApi::createQueue(std::string_view owner,
                                               const json::object& request) {
  auto name = requiredString(request, "QueueName");
  if (!name) return name.error();
  auto attributes = stringMap(request, "Attributes");
  if (!attributes) return attributes.error();
  auto url = engine_.createQueue(owner, *name, *attributes);
  if (!url) return url.error();
  return json::object{{"QueueUrl", *url}};
}

core::Result<json::object> SqsApi::getQueueUrl(std::string_view owner,
                                               const json::object& request) {
  auto name = requiredString(request, "QueueName");
  if (!name) return name.error();
  auto account = optionalString(request, "QueueOwnerAWSAccountId");
  if (!account) return account.error();
  if (*account && **account != accountOf(owner)) return queueDoesNotExist();
  auto url = engine_.getQueueUrl(owner, *name);
  if (!url) return url.error();
  return json::object{{"QueueUrl", *url}};
}

core::Result<json::object> SqsApi::listQueues(std::string_view owner, const json::object& request) {
  auto prefix = optionalString(request, "QueueNamePrefix");
  if (!prefix) return prefix.error();
  auto maxResults = optionalInt(request, "MaxResults");
  if (!maxResults) return maxResults.error();
  auto nextToken = optionalString(request, "NextToken");
  if (!nextToken) return nextToken.error();
  auto listed =
      engine_.listQueues(owner, prefix->value_or(""), *maxResults, nextToken->value_or(""));
  if (!listed) return listed.error();
  json::object out;
  if (!listed->queues.empty()) {
    json::array urls;
    for (const ListedQueue& q : listed->queues) urls.push_back(json::string(q.url));
    out["QueueUrls"] = std::move(urls);
  }
  if (!listed->nextToken.empty()) out["NextToken"] = listed->nextToken;
  return out;
}

core::Result<json::object> SqsApi::deleteQueue(std::string_view owner,
                                               const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto deleted = engine_.deleteQueue(owner, *name);
  if (!deleted) return deleted.error();
  return json::object{};
}

core::Result<json::object> SqsApi::purgeQueue(std::string_view owner, const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto purged = engine_.purgeQueue(owner, *name);
  if (!purged) return purged.error();
  return json::object{};
}

core::Result<json::object> SqsApi::getQueueAttributes(std::string_view owner,
                                                      const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto names = stringList(request, "AttributeNames");
  if (!names) return names.error();
  auto attributes = engine_.getQueueAttributes(owner, *name, *names);
  if (!attributes) return attributes.error();
  json::object out;
  if (!attributes->empty()) {
    json::object map;
    for (const auto& [key, value] : *attributes) map[key] = value;
    out["Attributes"] = std::move(map);
  }
  return out;
}

core::Result<json::object> SqsApi::setQueueAttributes(std::string_view owner,
                                                      const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  if (member(request, "Attributes") == nullptr) return missingParameter("Attributes");
  auto attributes = stringMap(request, "Attributes");
  if (!attributes) return attributes.error();
  auto set = engine_.setQueueAttributes(owner, *name, *attributes);
  if (!set) return set.error();
  return json::object{};
}

core::Result<json::object> SqsApi::sendMessage(std::string_view owner,
                                               const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto send = sendRequest(request);
  if (!send) return send.error();
  auto result = engine_.sendMessage(owner, *name, *send);
  if (!result) return result.error();
  return encodeSendResult(*result);
}

core::Result<json::object> SqsApi::sendMessageBatch(std::string_view owner,
                                                    const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto entries = batchEntries(request, "SendMessageBatchRequestEntry");
  if (!entries) return entries.error();
  std::vector<SendBatchEntry> batch;
  batch.reserve(entries->size());
  for (const json::object* e : *entries) {
    const json::object& entry = *e;
    auto send = sendRequest(entry);
    if (!send) return send.error();
    batch.push_back({std::string(core::stringMember(entry, "Id").value_or("")), std::move(*send)});
  }
  auto result = engine_.sendMessageBatch(owner, *name, batch);
  if (!result) return result.error();
  json::array successful;
  for (const SendBatchResultEntry& s : result->successful) {
    json::object entry = encodeSendResult(s.result);
    entry.emplace("Id", s.id);
    successful.push_back(std::move(entry));
  }
  return json::object{{"Successful", std::move(successful)},
                      {"Failed", encodeFailures(result->failed)}};
}

core::Result<json::object> SqsApi::receiveMessage(std::string_view owner,
                                                  const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto attributeNames = stringList(request, "AttributeNames");
  if (!attributeNames) return attributeNames.error();
  // The JSON protocol's newer spelling of AttributeNames; a client may send either.
  auto systemNames = stringList(request, "MessageSystemAttributeNames");
  if (!systemNames) return systemNames.error();
  auto messageAttributeNames = stringList(request, "MessageAttributeNames");
  if (!messageAttributeNames) return messageAttributeNames.error();
  auto maxMessages = optionalInt(request, "MaxNumberOfMessages");
  if (!maxMessages) return maxMessages.error();
  auto visibility = optionalInt(request, "VisibilityTimeout");
  if (!visibility) return visibility.error();
  auto wait = optionalInt(request, "WaitTimeSeconds");
  if (!wait) return wait.error();
  ReceiveRequest receive;
  receive.maxNumberOfMessages = maxMessages->value_or(1);
  receive.visibilityTimeout = *visibility;
  receive.waitTimeSeconds = *wait;
  receive.attributeNames = std::move(*attributeNames);
  receive.attributeNames.insert(receive.attributeNames.end(), systemNames->begin(),
                                systemNames->end());
  receive.messageAttributeNames = std::move(*messageAttributeNames);
  auto messages = engine_.receiveMessage(owner, *name, receive);
  if (!messages) return messages.error();
  json::object out;
  if (messages->empty()) return out;
  json::array list;
  for (const ReceivedMessage& m : *messages) {
    json::object message{{"MessageId", m.messageId},
                         {"ReceiptHandle", m.receiptHandle},
                         {"MD5OfBody", m.md5OfBody},
                         {"Body", m.body}};
    if (!m.attributes.empty()) {
      json::object attributes;
      for (const auto& [key, value] : m.attributes) attributes[key] = value;
      message["Attributes"] = std::move(attributes);
    }
    if (!m.md5OfMessageAttributes.empty()) {
      message["MD5OfMessageAttributes"] = m.md5OfMessageAttributes;
    }
    if (!m.messageAttributes.empty()) {
      message["MessageAttributes"] = encodeMessageAttributes(m.messageAttributes);
    }
    list.push_back(std::move(message));
  }
  out["Messages"] = std::move(list);
  return out;
}

core::Result<json::object> SqsApi::deleteMessage(std::string_view owner,
                                                 const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto handle = requiredString(request, "ReceiptHandle");
  if (!handle) return handle.error();
  auto deleted = engine_.deleteMessage(owner, *name, *handle);
  if (!deleted) return deleted.error();
  return json::object{};
}

core::Result<json::object> SqsApi::deleteMessageBatch(std::string_view owner,
                                                      const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto entries = batchEntries(request, "DeleteMessageBatchRequestEntry");
  if (!entries) return entries.error();
  std::vector<DeleteBatchEntry> batch;
  for (const json::object* e : *entries) {
    const json::object& entry = *e;
    auto handle = optionalString(entry, "ReceiptHandle");  // empty: the entry fails alone
    if (!handle) return handle.error();
    batch.push_back({std::string(core::stringMember(entry, "Id").value_or("")),
                     std::string(handle->value_or(""))});
  }
  auto result = engine_.deleteMessageBatch(owner, *name, batch);
  if (!result) return result.error();
  return encodeBatchResult(*result);
}

core::Result<json::object> SqsApi::changeMessageVisibility(std::string_view owner,
                                                           const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto handle = requiredString(request, "ReceiptHandle");
  if (!handle) return handle.error();
  auto timeout = optionalInt(request, "VisibilityTimeout");
  if (!timeout) return timeout.error();
  if (!*timeout) return missingParameter("VisibilityTimeout");
  auto changed = engine_.changeMessageVisibility(owner, *name, *handle, **timeout);
  if (!changed) return changed.error();
  return json::object{};
}

core::Result<json::object> SqsApi::changeMessageVisibilityBatch(std::string_view owner,
                                                                const json::object& request) {
  auto name = queueName(owner, request);
  if (!name) return name.error();
  auto entries = batchEntries(request, "ChangeMessageVisibilityBatchRequestEntry");
  if (!entries) return entries.error();
  std::vector<ChangeVisibilityBatchEntry> batch;
  for (const json::object* e : *entries) {
    const json::object& entry = *e;
    auto handle = optionalString(entry, "ReceiptHandle");  // empty: the entry fails alone
    if (!handle) return handle.error();
    auto timeout = optionalInt(entry, "VisibilityTimeout");
    if (!timeout) return timeout.error();
    batch.push_back({std::string(core::stringMember(entry, "Id").value_or("")),
                     std::string(handle->value_or("")), timeout->value_or(0)});
  }
  auto result = engine_.changeMessageVisibilityBatch(owner, *name, batch);
  if (!result) return result.error();
  return encodeBatchResult(*result);
}

}  // namespace bakery::queue
