#include "platform/queue/facade/sqs_query_protocol.h"

#include <charconv>
#include <cstdint>
#include <set>
#include <span>

#include <fmt/format.h>

namespace bakery::queue {
namespace {

constexpr std::string_view kXmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";

// --- The model's shapes, as far as the served actions use them ---------------------------
// A member has its document (JSON) name and its wire name: the locationName of the model,
// which for SQS's flattened lists is the list member's name (`Entries` travel as
// `SendMessageBatchRequestEntry.N`). Every list and map of these actions is flattened; map
// entries are `Name` / `Value`. Members appear in the model's order, the order XML is written.

enum class Kind { kString, kInteger, kBoolean, kStructure, kList, kMap };

struct Shape;

struct Member {
  std::string_view name;
  std::string_view wireName;
  const Shape* shape;
};

struct Shape {
  Kind kind;
  std::span<const Member> members = {};  // kStructure
  const Shape* element = nullptr;        // kList: its members; kMap: its values
};

constexpr Shape kString{Kind::kString};
constexpr Shape kInteger{Kind::kInteger};
constexpr Shape kBoolean{Kind::kBoolean};
constexpr Shape kStringList{Kind::kList, {}, &kString};
constexpr Shape kStringMap{Kind::kMap, {}, &kString};

// String and number values only: SQS reserves the list values (StringListValue, ...).
constexpr Member kMessageAttributeValueMembers[] = {
    {"StringValue", "StringValue", &kString},
    {"BinaryValue", "BinaryValue", &kString},  // base64 in documents and on the wire
    {"DataType", "DataType", &kString},
};
constexpr Shape kMessageAttributeValue{Kind::kStructure, kMessageAttributeValueMembers};
constexpr Shape kMessageAttributeMap{Kind::kMap, {}, &kMessageAttributeValue};

constexpr Member kQueueUrlMembers[] = {{"QueueUrl", "QueueUrl", &kString}};
constexpr Shape kQueueUrlRequest{Kind::kStructure, kQueueUrlMembers};
constexpr Shape kQueueUrlResult{Kind::kStructure, kQueueUrlMembers};

constexpr Member kCreateQueueMembers[] = {
    {"QueueName", "QueueName", &kString},
    {"Attributes", "Attribute", &kStringMap},
};
constexpr Shape kCreateQueueRequest{Kind::kStructure, kCreateQueueMembers};

constexpr Member kGetQueueUrlMembers[] = {
    {"QueueName", "QueueName", &kString},
    {"QueueOwnerAWSAccountId", "QueueOwnerAWSAccountId", &kString},
};
constexpr Shape kGetQueueUrlRequest{Kind::kStructure, kGetQueueUrlMembers};

constexpr Member kListQueuesMembers[] = {
    {"QueueNamePrefix", "QueueNamePrefix", &kString},
    {"NextToken", "NextToken", &kString},
    {"MaxResults", "MaxResults", &kInteger},
};
constexpr Shape kListQueuesRequest{Kind::kStructure, kListQueuesMembers};
constexpr Member kListQueuesResultMembers[] = {
    {"QueueUrls", "QueueUrl", &kStringList},
    {"NextToken", "NextToken", &kString},
};
constexpr Shape kListQueuesResult{Kind::kStructure, kListQueuesResultMembers};

constexpr Member kGetQueueAttributesMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"AttributeNames", "AttributeName", &kStringList},
};
constexpr Shape kGetQueueAttributesRequest{Kind::kStructure, kGetQueueAttributesMembers};
constexpr Member kQueueAttributesMembers[] = {{"Attributes", "Attribute", &kStringMap}};
constexpr Shape kGetQueueAttributesResult{Kind::kStructure, kQueueAttributesMembers};

constexpr Member kSetQueueAttributesMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"Attributes", "Attribute", &kStringMap},
};
constexpr Shape kSetQueueAttributesRequest{Kind::kStructure, kSetQueueAttributesMembers};

constexpr Member kSendMessageMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"MessageBody", "MessageBody", &kString},
    {"DelaySeconds", "DelaySeconds", &kInteger},
    {"MessageAttributes", "MessageAttribute", &kMessageAttributeMap},
    {"MessageDeduplicationId", "MessageDeduplicationId", &kString},
    {"MessageGroupId", "MessageGroupId", &kString},
};
constexpr Shape kSendMessageRequest{Kind::kStructure, kSendMessageMembers};
constexpr Member kSendMessageResultMembers[] = {
    {"MD5OfMessageBody", "MD5OfMessageBody", &kString},
    {"MD5OfMessageAttributes", "MD5OfMessageAttributes", &kString},
    {"MessageId", "MessageId", &kString},
    {"SequenceNumber", "SequenceNumber", &kString},
};
constexpr Shape kSendMessageResult{Kind::kStructure, kSendMessageResultMembers};

constexpr Member kBatchResultErrorMembers[] = {
    {"Id", "Id", &kString},
    {"SenderFault", "SenderFault", &kBoolean},
    {"Code", "Code", &kString},
    {"Message", "Message", &kString},
};
constexpr Shape kBatchResultError{Kind::kStructure, kBatchResultErrorMembers};
constexpr Shape kBatchResultErrorList{Kind::kList, {}, &kBatchResultError};

constexpr Member kSendEntryMembers[] = {
    {"Id", "Id", &kString},
    {"MessageBody", "MessageBody", &kString},
    {"DelaySeconds", "DelaySeconds", &kInteger},
    {"MessageAttributes", "MessageAttribute", &kMessageAttributeMap},
    {"MessageDeduplicationId", "MessageDeduplicationId", &kString},
    {"MessageGroupId", "MessageGroupId", &kString},
};
constexpr Shape kSendEntry{Kind::kStructure, kSendEntryMembers};
constexpr Shape kSendEntryList{Kind::kList, {}, &kSendEntry};
constexpr Member kSendMessageBatchMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"Entries", "SendMessageBatchRequestEntry", &kSendEntryList},
};
constexpr Shape kSendMessageBatchRequest{Kind::kStructure, kSendMessageBatchMembers};
constexpr Member kSendResultEntryMembers[] = {
    {"Id", "Id", &kString},
    {"MessageId", "MessageId", &kString},
    {"MD5OfMessageBody", "MD5OfMessageBody", &kString},
    {"MD5OfMessageAttributes", "MD5OfMessageAttributes", &kString},
    {"SequenceNumber", "SequenceNumber", &kString},
};
constexpr Shape kSendResultEntry{Kind::kStructure, kSendResultEntryMembers};
constexpr Shape kSendResultEntryList{Kind::kList, {}, &kSendResultEntry};
constexpr Member kSendMessageBatchResultMembers[] = {
    {"Successful", "SendMessageBatchResultEntry", &kSendResultEntryList},
    {"Failed", "BatchResultErrorEntry", &kBatchResultErrorList},
};
constexpr Shape kSendMessageBatchResult{Kind::kStructure, kSendMessageBatchResultMembers};

constexpr Member kReceiveMessageMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"AttributeNames", "AttributeName", &kStringList},
    {"MessageAttributeNames", "MessageAttributeName", &kStringList},
    {"MaxNumberOfMessages", "MaxNumberOfMessages", &kInteger},
    {"VisibilityTimeout", "VisibilityTimeout", &kInteger},
    {"WaitTimeSeconds", "WaitTimeSeconds", &kInteger},
};
constexpr Shape kReceiveMessageRequest{Kind::kStructure, kReceiveMessageMembers};
constexpr Member kMessageMembers[] = {
    {"MessageId", "MessageId", &kString},
    {"ReceiptHandle", "ReceiptHandle", &kString},
    {"MD5OfBody", "MD5OfBody", &kString},
    {"Body", "Body", &kString},
    {"Attributes", "Attribute", &kStringMap},
    {"MD5OfMessageAttributes", "MD5OfMessageAttributes", &kString},
    {"MessageAttributes", "MessageAttribute", &kMessageAttributeMap},
};
constexpr Shape kMessage{Kind::kStructure, kMessageMembers};
constexpr Shape kMessageList{Kind::kList, {}, &kMessage};
constexpr Member kReceiveMessageResultMembers[] = {{"Messages", "Message", &kMessageList}};
constexpr Shape kReceiveMessageResult{Kind::kStructure, kReceiveMessageResultMembers};

constexpr Member kReceiptHandleMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"ReceiptHandle", "ReceiptHandle", &kString},
};
constexpr Shape kDeleteMessageRequest{Kind::kStructure, kReceiptHandleMembers};

constexpr Member kDeleteEntryMembers[] = {
    {"Id", "Id", &kString},
    {"ReceiptHandle", "ReceiptHandle", &kString},
};
constexpr Shape kDeleteEntry{Kind::kStructure, kDeleteEntryMembers};
constexpr Shape kDeleteEntryList{Kind::kList, {}, &kDeleteEntry};
constexpr Member kDeleteMessageBatchMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"Entries", "DeleteMessageBatchRequestEntry", &kDeleteEntryList},
};
constexpr Shape kDeleteMessageBatchRequest{Kind::kStructure, kDeleteMessageBatchMembers};

constexpr Member kIdMembers[] = {{"Id", "Id", &kString}};
constexpr Shape kIdEntry{Kind::kStructure, kIdMembers};
constexpr Shape kIdEntryList{Kind::kList, {}, &kIdEntry};
constexpr Member kDeleteMessageBatchResultMembers[] = {
    {"Successful", "DeleteMessageBatchResultEntry", &kIdEntryList},
    {"Failed", "BatchResultErrorEntry", &kBatchResultErrorList},
};
constexpr Shape kDeleteMessageBatchResult{Kind::kStructure, kDeleteMessageBatchResultMembers};

constexpr Member kChangeVisibilityMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"ReceiptHandle", "ReceiptHandle", &kString},
    {"VisibilityTimeout", "VisibilityTimeout", &kInteger},
};
constexpr Shape kChangeVisibilityRequest{Kind::kStructure, kChangeVisibilityMembers};

constexpr Member kChangeEntryMembers[] = {
    {"Id", "Id", &kString},
    {"ReceiptHandle", "ReceiptHandle", &kString},
    {"VisibilityTimeout", "VisibilityTimeout", &kInteger},
};
constexpr Shape kChangeEntry{Kind::kStructure, kChangeEntryMembers};
constexpr Shape kChangeEntryList{Kind::kList, {}, &kChangeEntry};
constexpr Member kChangeVisibilityBatchMembers[] = {
    {"QueueUrl", "QueueUrl", &kString},
    {"Entries", "ChangeMessageVisibilityBatchRequestEntry", &kChangeEntryList},
};
constexpr Shape kChangeVisibilityBatchRequest{Kind::kStructure, kChangeVisibilityBatchMembers};
constexpr Member kChangeVisibilityBatchResultMembers[] = {
    {"Successful", "ChangeMessageVisibilityBatchResultEntry", &kIdEntryList},
    {"Failed", "BatchResultErrorEntry", &kBatchResultErrorList},
};
constexpr Shape kChangeVisibilityBatchResult{Kind::kStructure, kChangeVisibilityBatchResultMembers};

struct ActionShapes {
  const Shape* input;
  const Shape* output;  // nullptr: the response carries only its metadata
};

ActionShapes shapesOf(SqsAction action) {
  switch (action) {
    case SqsAction::kCreateQueue:
      return {&kCreateQueueRequest, &kQueueUrlResult};
    case SqsAction::kGetQueueUrl:
      return {&kGetQueueUrlRequest, &kQueueUrlResult};
    case SqsAction::kListQueues:
      return {&kListQueuesRequest, &kListQueuesResult};
    case SqsAction::kDeleteQueue:
    case SqsAction::kPurgeQueue:
      return {&kQueueUrlRequest, nullptr};
    case SqsAction::kGetQueueAttributes:
      return {&kGetQueueAttributesRequest, &kGetQueueAttributesResult};
    case SqsAction::kSetQueueAttributes:
      return {&kSetQueueAttributesRequest, nullptr};
    case SqsAction::kSendMessage:
      return {&kSendMessageRequest, &kSendMessageResult};
    case SqsAction::kSendMessageBatch:
      return {&kSendMessageBatchRequest, &kSendMessageBatchResult};
    case SqsAction::kReceiveMessage:
      return {&kReceiveMessageRequest, &kReceiveMessageResult};
    case SqsAction::kDeleteMessage:
      return {&kDeleteMessageRequest, nullptr};
    case SqsAction::kDeleteMessageBatch:
      return {&kDeleteMessageBatchRequest, &kDeleteMessageBatchResult};
    case SqsAction::kChangeMessageVisibility:
      return {&kChangeVisibilityRequest, nullptr};
    case SqsAction::kChangeMessageVisibilityBatch:
      return {&kChangeVisibilityBatchRequest, &kChangeVisibilityBatchResult};
  }
  return {&kQueueUrlRequest, nullptr};
}

// --- Form parameters -> document -----------------------------------------------------------

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::Result<std::string> formDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      int hi = i + 2 < text.size() ? hexDigit(text[i + 1]) : -1;
      int lo = hi >= 0 ? hexDigit(text[i + 2]) : -1;
      if (lo < 0) {
        return core::Error("MalformedQueryString", 400,
                           "The request has an invalid percent-encoded character.");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string joinKey(std::string_view prefix, std::string_view name) {
  if (prefix.empty()) return std::string(name);
  return fmt::format("{}.{}", prefix, name);
}

// The indices N (from 1) of the parameters `<prefix>.N` and `<prefix>.N.<rest>`, in order.
std::set<std::uint32_t> indicesUnder(const FormParameters& parameters, std::string_view prefix) {
  std::set<std::uint32_t> indices;
  std::string start = fmt::format("{}.", prefix);
  for (auto it = parameters.lower_bound(start);
       it != parameters.end() && it->first.starts_with(start); ++it) {
    std::string_view rest = std::string_view(it->first).substr(start.size());
    rest = rest.substr(0, rest.find('.'));
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec == std::errc() && end == rest.data() + rest.size() && n > 0) indices.insert(n);
  }
  return indices;
}

// The value of `shape` under `key`; a null value when no parameter carries it.
core::Result<json::value> decodeValue(const Shape& shape, std::string_view name,
                                      const std::string& key, const FormParameters& parameters);

core::Result<json::value> decodeStructure(const Shape& shape, const std::string& key,
                                          const FormParameters& parameters) {
  json::object object;
  for (const Member& m : shape.members) {
    auto value = decodeValue(*m.shape, m.name, joinKey(key, m.wireName), parameters);
    if (!value) return value.error();
    if (!value->is_null()) object[m.name] = std::move(*value);
  }
  return json::value(std::move(object));
}

core::Result<json::value> decodeValue(const Shape& shape, std::string_view name,
                                      const std::string& key, const FormParameters& parameters) {
  switch (shape.kind) {
    case Kind::kString:
    case Kind::kInteger:
    case Kind::kBoolean: {
      auto it = parameters.find(key);
      if (it == parameters.end()) return json::value(nullptr);
      if (shape.kind == Kind::kString) return json::value(json::string(it->second));
      if (shape.kind == Kind::kBoolean) return json::value(it->second == "true");
      std::int64_t n = 0;
      const std::string& text = it->second;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return core::Error(
            "InvalidParameterValue", 400,
            fmt::format("Value {} for parameter {} is invalid. Reason: Must be an integer.", text,
                        name));
      }
      return json::value(n);
    }
    case Kind::kStructure: {
      auto object = decodeStructure(shape, key, parameters);
      if (!object) return object.error();
      if (object->get_object().empty()) return json::value(nullptr);
      return object;
    }
    case Kind::kList: {
      std::set<std::uint32_t> indices = indicesUnder(parameters, key);
      if (indices.empty()) return json::value(nullptr);
      json::array list;
      for (std::uint32_t n : indices) {
        std::string elementKey = fmt::format("{}.{}", key, n);
        // An element is there even when none of its members is known: a batch entry counts
        // (and fails for its missing Id) whatever it carries.
        auto element = shape.element->kind == Kind::kStructure
                           ? decodeStructure(*shape.element, elementKey, parameters)
                           : decodeValue(*shape.element, name, elementKey, parameters);
        if (!element) return element.error();
        if (!element->is_null()) list.push_back(std::move(*element));
      }
      return json::value(std::move(list));
    }
    case Kind::kMap: {
      std::set<std::uint32_t> indices = indicesUnder(parameters, key);
      if (indices.empty()) return json::value(nullptr);
      json::object map;
      for (std::uint32_t n : indices) {
        auto entryName = parameters.find(fmt::format("{}.{}.Name", key, n));
        if (entryName == parameters.end()) continue;
        std::string valueKey = fmt::format("{}.{}.Value", key, n);
        auto value = shape.element->kind == Kind::kStructure
                         ? decodeStructure(*shape.element, valueKey, parameters)
                         : decodeValue(*shape.element, name, valueKey, parameters);
        if (!value) return value.error();
        if (value->is_null()) value = json::value(json::string());
        map[entryName->second] = std::move(*value);
      }
      return json::value(std::move(map));
    }
  }
  return json::value(nullptr);
}

// --- Document -> XML -----------------------------------------------------------------------

void appendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\r':
        out += "&#xD;";  // a literal CR would reach the reader as LF (XML end-of-line handling)
        break;
      default:
        out.push_back(c);
    }
  }
}

void appendElement(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  appendEscaped(out, text);
  out += "</";
  out += name;
  out += '>';
}

void appendContent(std::string& out, const Shape& shape, const json::value& value);

void appendMembers(std::string& out, const Shape& shape, const json::object& object) {
  for (const Member& m : shape.members) {
    const json::value* v = object.if_contains(m.name);
    if (v == nullptr || v->is_null()) continue;
    if (m.shape->kind == Kind::kList) {
      if (!v->is_array()) continue;
      for (const json::value& element : v->get_array()) {
        out += fmt::format("<{}>", m.wireName);
        appendContent(out, *m.shape->element, element);
        out += fmt::format("</{}>", m.wireName);
      }
    } else if (m.shape->kind == Kind::kMap) {
      if (!v->is_object()) continue;
      for (const auto& entry : v->get_object()) {
        out += fmt::format("<{}>", m.wireName);
        appendElement(out, "Name", entry.key());
        out += "<Value>";
        appendContent(out, *m.shape->element, entry.value());
        out += fmt::format("</Value></{}>", m.wireName);
      }
    } else {
      out += fmt::format("<{}>", m.wireName);
      appendContent(out, *m.shape, *v);
      out += fmt::format("</{}>", m.wireName);
    }
  }
}

void appendContent(std::string& out, const Shape& shape, const json::value& value) {
  if (value.is_string()) {
    appendEscaped(out, value.get_string());
  } else if (value.is_bool()) {
    out += value.get_bool() ? "true" : "false";
  } else if (value.is_int64()) {
    out += std::to_string(value.get_int64());
  } else if (value.is_object() && shape.kind == Kind::kStructure) {
    appendMembers(out, shape, value.get_object());
  }
}

}  // namespace

core::Result<void> parseFormParameters(std::string_view text, FormParameters& out) {
  while (!text.empty()) {
    std::size_t amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = formDecode(pair.substr(0, eq));
    if (!name) return name.error();
    auto value =
        formDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return value.error();
    out.emplace(std::move(*name), std::move(*value));
  }
  return {};
}

core::Result<json::object> decodeQueryRequest(SqsAction action, const FormParameters& parameters) {
  auto document = decodeStructure(*shapesOf(action).input, "", parameters);
  if (!document) return document.error();
  return std::move(document->get_object());
}

std::string writeQueryResponse(SqsAction action, const json::object& response,
                               std::string_view requestId) {
  std::string_view name = sqsActionName(action);
  std::string out;
  out.reserve(256);
  out += fmt::format(R"(<?xml version="1.0"?><{}Response xmlns="{}">)", name, kXmlNamespace);
  if (const Shape* output = shapesOf(action).output) {
    out += fmt::format("<{}Result>", name);
    appendMembers(out, *output, response);
    out += fmt::format("</{}Result>", name);
  }
  out += "<ResponseMetadata>";
  appendElement(out, "RequestId", requestId);
  out += fmt::format("</ResponseMetadata></{}Response>", name);
  return out;
}

std::string writeQueryError(const core::Error& error, std::string_view requestId) {
  std::string out =
      fmt::format(R"(<?xml version="1.0"?><ErrorResponse xmlns="{}"><Error>)", kXmlNamespace);
  appendElement(out, "Type", error.status() >= 500 || error.status() == 0 ? "Receiver" : "Sender");
  appendElement(out, "Code", queryErrorCode(error.type()));
  appendElement(out, "Message", error.message());
  out += "<Detail/></Error>";
  appendElement(out, "RequestId", requestId);
  out += "</ErrorResponse>";
  return out;
}

}  // namespace bakery::queue
