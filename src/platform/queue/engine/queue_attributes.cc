#include "platform/queue/engine/queue_attributes.h"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "core/json.h"
#include "platform/queue/engine/queue_errors.h"

namespace bakery::queue {

using detail::invalidAttributeName;
using detail::invalidAttributeValue;

namespace {

constexpr std::array<std::string_view, 6> kReadOnly = {"ApproximateNumberOfMessages",
                                                       "ApproximateNumberOfMessagesNotVisible",
                                                       "ApproximateNumberOfMessagesDelayed",
                                                       "CreatedTimestamp",
                                                       "LastModifiedTimestamp",
                                                       "QueueArn"};

constexpr std::array<std::string_view, 5> kInert = {"Policy", "KmsMasterKeyId",
                                                    "KmsDataKeyReusePeriodSeconds",
                                                    "SqsManagedSseEnabled", "RedriveAllowPolicy"};

constexpr std::array<std::string_view, 9> kSettable = {"DelaySeconds",
                                                       "MaximumMessageSize",
                                                       "MessageRetentionPeriod",
                                                       "ReceiveMessageWaitTimeSeconds",
                                                       "VisibilityTimeout",
                                                       "RedrivePolicy",
                                                       "FifoQueue",
                                                       "ContentBasedDeduplication",
                                                       "DeduplicationScope"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

std::optional<int> parseInt(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parseBool(std::string_view s) {
  std::string lower;
  for (char c : s) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return std::nullopt;
}

core::Result<int> rangedInt(std::string_view name, std::string_view value, int min, int max) {
  auto v = parseInt(value);
  if (!v || *v < min || *v > max) return invalidAttributeValue(name);
  return *v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

core::Result<RedrivePolicy> parseRedrivePolicy(std::string_view value) {
  auto invalid = [&](std::string_view reason) {
    return detail::invalidParameter(value, "RedrivePolicy", reason);
  };
  auto doc = core::parseJson(value, "RedrivePolicy");
  if (!doc || !doc->is_object()) return invalid("Redrive policy is not a valid JSON map.");
  const json::object& o = doc->get_object();
  RedrivePolicy policy;
  auto arn = core::stringMember(o, "deadLetterTargetArn");
  if (!arn) {
    return invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  }
  const json::value* count = o.if_contains("maxReceiveCount");
  if (!count) {
    return invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  }
  // SQS takes the count as a number or as a string holding one.
  std::optional<std::int64_t> n;
  std::string shown;
  if (count->is_string()) {
    shown = std::string(count->get_string());
    if (auto v = parseInt(shown)) n = *v;
  } else {
    shown = core::toJson(*count);
    n = core::integerValue(*count);
  }
  if (!n || *n < 1 || *n > 1000) {
    return invalid(fmt::format(
        "Invalid value for maxReceiveCount: {}, valid values are from 1 to 1000 both inclusive.",
        shown));
  }
  std::vector<std::string_view> parts = split(*arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5].empty()) {
    return invalid("Invalid value for deadLetterTargetArn.");
  }
  policy.deadLetterTargetArn = std::string(*arn);
  policy.region = std::string(parts[3]);
  policy.account = std::string(parts[4]);
  policy.queueName = std::string(parts[5]);
  policy.maxReceiveCount = static_cast<int>(*n);
  return policy;
}

std::string redriveJson(const RedrivePolicy& p) {
  json::object o;
  o["deadLetterTargetArn"] = p.deadLetterTargetArn;
  o["maxReceiveCount"] = p.maxReceiveCount;
  return core::toJson(o);
}

// Applies one attribute other than FifoQueue.
core::Result<void> apply(QueueAttributes& a, std::string_view name, std::string_view value) {
  if (name == "DelaySeconds") {
    auto v = rangedInt(name, value, 0, 900);
    if (!v) return v.error();
    a.delaySeconds = *v;
  } else if (name == "MaximumMessageSize") {
    auto v = rangedInt(name, value, 1024, 262144);
    if (!v) return v.error();
    a.maximumMessageSize = *v;
  } else if (name == "MessageRetentionPeriod") {
    auto v = rangedInt(name, value, 60, 1209600);
    if (!v) return v.error();
    a.messageRetentionPeriod = *v;
  } else if (name == "ReceiveMessageWaitTimeSeconds") {
    auto v = rangedInt(name, value, 0, 20);
    if (!v) return v.error();
    a.receiveMessageWaitTimeSeconds = *v;
  } else if (name == "VisibilityTimeout") {
    auto v = rangedInt(name, value, 0, 43200);
    if (!v) return v.error();
    a.visibilityTimeout = *v;
  } else if (name == "RedrivePolicy") {
    if (value.empty()) {
      a.redrivePolicy.reset();
      return {};
    }
    auto p = parseRedrivePolicy(value);
    if (!p) return p.error();
    a.redrivePolicy = std::move(*p);
  } else if (name == "ContentBasedDeduplication") {
    if (!a.fifoQueue) return invalidAttributeName(name);
    auto v = parseBool(value);
    if (!v) return invalidAttributeValue(name);
    a.contentBasedDeduplication = *v;
  } else if (name == "DeduplicationScope" || name == "FifoThroughputLimit") {
    if (!a.fifoQueue) {
      return detail::sqsError(
          "InvalidAttributeName",
          fmt::format("You can specify the {} only when FifoQueue is set to true.", name));
    }
    bool scope = name == "DeduplicationScope";
    if (scope ? (value != "queue" && value != "messageGroup")
              : (value != "perQueue" && value != "perMessageGroupId")) {
      return invalidAttributeValue(name);
    }
    (scope ? a.deduplicationScope : a.fifoThroughputLimit) = std::string(value);
  } else if (contains(kInert, name)) {
    if (name == "KmsDataKeyReusePeriodSeconds") {
      auto v = rangedInt(name, value, 60, 86400);
      if (!v) return v.error();
    } else if (name == "SqsManagedSseEnabled") {
      auto v = parseBool(value);
      if (!v) return invalidAttributeValue(name);
      value = *v ? "true" : "false";
    } else if ((name == "Policy" || name == "RedriveAllowPolicy") && !value.empty()) {
      auto doc = core::parseJson(value, name);
      if (!doc || !doc->is_object()) return invalidAttributeValue(name);
    }
    if (value.empty()) {
      a.inert.erase(std::string(name));
    } else {
      a.inert.insert_or_assign(std::string(name), std::string(value));
    }
  } else {
    return invalidAttributeName(name);
  }
  return {};
}

}  // namespace

bool isReadOnlyAttribute(std::string_view name) { return contains(kReadOnly, name); }

bool isKnownAttribute(std::string_view name) {
  return contains(kReadOnly, name) || contains(kSettable, name) || contains(kInert, name) ||
         name == "FifoThroughputLimit";
}

core::Result<void> checkQueueName(std::string_view name, bool fifo) {
  if (name.empty()) return detail::missingParameter("QueueName");
  std::string_view base = name;
  bool ok = name.size() <= 80;
  if (fifo) {
    ok = ok && name.ends_with(".fifo") && name.size() > 5;
    if (ok) base.remove_suffix(5);
  }
  for (char c : base) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') ok = false;
  }
  if (ok) return {};
  return detail::invalidParameterValue(
      fifo ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
             "underscores, must end with .fifo suffix and be 1 to 80 in length."
           : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
             "length");
}

core::Result<QueueAttributes> attributesForNewQueue(std::string_view name,
                                                    const QueueAttributeMap& request) {
  QueueAttributes a;
  if (auto it = request.find("FifoQueue"); it != request.end()) {
    auto v = parseBool(it->second);
    if (!v) return invalidAttributeValue("FifoQueue");
    a.fifoQueue = *v;
  }
  if (auto r = checkQueueName(name, a.fifoQueue); !r) return r.error();
  for (const auto& [key, value] : request) {
    if (key == "FifoQueue") continue;
    if (auto r = apply(a, key, value); !r) return r.error();
  }
  return a;
}

core::Result<QueueAttributes> attributesAfterSet(const QueueAttributes& current,
                                                 const QueueAttributeMap& request) {
  QueueAttributes a = current;
  for (const auto& [key, value] : request) {
    if (key == "FifoQueue") return invalidAttributeName(key);
    if (auto r = apply(a, key, value); !r) return r.error();
  }
  return a;
}

QueueAttributeMap settableAttributes(const QueueAttributes& a) {
  QueueAttributeMap out;
  out["DelaySeconds"] = std::to_string(a.delaySeconds);
  out["MaximumMessageSize"] = std::to_string(a.maximumMessageSize);
  out["MessageRetentionPeriod"] = std::to_string(a.messageRetentionPeriod);
  out["ReceiveMessageWaitTimeSeconds"] = std::to_string(a.receiveMessageWaitTimeSeconds);
  out["VisibilityTimeout"] = std::to_string(a.visibilityTimeout);
  if (a.redrivePolicy) out["RedrivePolicy"] = redriveJson(*a.redrivePolicy);
  if (a.fifoQueue) {
    out["FifoQueue"] = "true";
    out["ContentBasedDeduplication"] = a.contentBasedDeduplication ? "true" : "false";
    out["DeduplicationScope"] = a.deduplicationScope;
    out["FifoThroughputLimit"] = a.fifoThroughputLimit;
  }
  for (const auto& [k, v] : a.inert) out[k] = v;
  // New queues are encrypted with SQS-managed keys unless a KMS key is named (SQS's default
  // since 2022); nothing is encrypted here, but clients read the flag.
  if (!out.contains("SqsManagedSseEnabled")) {
    out["SqsManagedSseEnabled"] = out.contains("KmsMasterKeyId") ? "false" : "true";
  }
  return out;
}

std::string comparableValue(const QueueAttributes& a, std::string_view name) {
  QueueAttributeMap all = settableAttributes(a);
  if (auto it = all.find(name); it != all.end()) return it->second;
  if (name == "FifoQueue") return "false";
  return {};
}

}  // namespace bakery::queue
