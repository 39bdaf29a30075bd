#include "platform/queue/engine/message_validation.h"

#include <cctype>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "platform/queue/engine/queue_errors.h"

namespace bakery::queue {

using detail::invalidParameterValue;
using detail::sqsError;

namespace {

bool isAllowedCodePoint(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

bool isAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool startsWithIgnoringCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// A decimal number: optional sign, digits with an optional fraction, optional exponent.
bool isNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == s.size();
}

// The base type of a data type ("String.json" -> "String"), or empty when it has none of the
// three prefixes.
std::string_view baseType(std::string_view dataType) {
  for (std::string_view base : {"String", "Number", "Binary"}) {
    if (dataType == base) return base;
    if (dataType.size() > base.size() + 1 && dataType.starts_with(base) &&
        dataType[base.size()] == '.') {
      return base;
    }
  }
  return {};
}

constexpr std::string_view kInvalidCharacters =
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
    "#xE000 to #xFFFD | #x10000 to #x10FFFF";

}  // namespace

bool hasOnlyAllowedCharacters(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    std::uint32_t c = *p;
    int extra = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0) {
      c &= 0x1F, extra = 1, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      c &= 0x0F, extra = 2, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      c &= 0x07, extra = 3, min = 0x10000;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[k] & 0x3F);
    }
    if (c < min || !isAllowedCodePoint(c)) return false;  // overlongs, surrogates, controls
    p += extra + 1;
  }
  return true;
}

core::Result<void> checkMessageBody(std::string_view body) {
  if (body.empty()) return detail::missingParameter("MessageBody");
  if (!hasOnlyAllowedCharacters(body)) {
    return sqsError("InvalidMessageContents", std::string(kInvalidCharacters));
  }
  return {};
}

core::Result<void> checkMessageAttributes(const MessageAttributes& attributes) {
  if (attributes.size() > kMaxMessageAttributes) {
    return invalidParameterValue(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum [{}].",
                    attributes.size(), kMaxMessageAttributes));
  }
  for (const auto& [name, value] : attributes) {
    if (name.empty()) {
      return invalidParameterValue("The request must contain non-empty message attribute name.");
    }
    if (name.size() > 256) {
      return invalidParameterValue(fmt::format(
          "Message (user) attribute name {} exceeds the maximum length of 256 bytes.", name));
    }
    for (char c : name) {
      if (!isAsciiAlnum(c) && c != '_' && c != '-' && c != '.') {
        return invalidParameterValue(fmt::format(
            "Message (user) attribute name {} is invalid. The name can only contain alphanumeric "
            "characters, hyphens, underscores and periods.",
            name));
      }
    }
    if (startsWithIgnoringCase(name, "AWS.") || startsWithIgnoringCase(name, "Amazon.")) {
      return invalidParameterValue(fmt::format(
          "Message (user) attribute name {} is invalid. You can't use message attribute names "
          "beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use.",
          name));
    }
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos) {
      return invalidParameterValue(fmt::format(
          "Message (user) attribute name {} is invalid. The name can't start or end with a "
          "period, or contain successive periods.",
          name));
    }
    if (value.dataType.empty()) {
      return invalidParameterValue(fmt::format(
          "The message attribute '{}' must contain non-empty message attribute type.", name));
    }
    if (value.dataType.size() > 256) {
      return invalidParameterValue(fmt::format(
          "Message (user) attribute '{}' type exceeds the maximum length of 256 bytes.", name));
    }
    std::string_view base = baseType(value.dataType);
    if (base.empty()) {
      return invalidParameterValue(fmt::format(
          "The type of message (user) attribute '{}' is invalid. You must use only the following "
          "supported type prefixes: Binary, Number, String.",
          name));
    }
    const std::string& v = base == "Binary" ? value.binaryValue : value.stringValue;
    if (v.empty()) {
      return invalidParameterValue(
          fmt::format("The message attribute '{}' must contain non-empty message attribute "
                      "value for message attribute type '{}'.",
                      name, base));
    }
    if (base == "Number" && !isNumber(v)) {
      return invalidParameterValue(
          fmt::format("Can't cast the value of message (user) attribute '{}' to a number.", name));
    }
    if (base == "String" && !hasOnlyAllowedCharacters(v)) {
      return invalidParameterValue(std::string(kInvalidCharacters));
    }
  }
  return {};
}

std::size_t messagePayloadSize(const SendRequest& request) {
  std::size_t size = request.body.size();
  for (const auto& [name, value] : request.attributes) {
    size +=
        name.size() + value.dataType.size() + value.stringValue.size() + value.binaryValue.size();
  }
  return size;
}

core::Result<void> checkFifoToken(std::string_view value, std::string_view parameter) {
  bool ok = !value.empty() && value.size() <= 128;
  for (char c : value) {
    // Alphanumeric and punctuation: the printable ASCII characters other than space.
    if (c <= ' ' || c > '~') ok = false;
  }
  if (!ok) {
    return detail::invalidParameter(
        value, parameter,
        fmt::format("{} can only include alphanumeric and punctuation characters. 1 to 128 in "
                    "length.",
                    parameter));
  }
  return {};
}

core::Result<void> checkBatchEntryIds(const std::vector<std::string_view>& ids,
                                      std::string_view entryType) {
  if (ids.empty()) {
    return sqsError("EmptyBatchRequest",
                    fmt::format("There should be at least one {} in the request.", entryType));
  }
  if (ids.size() > kMaxBatchEntries) {
    return sqsError("TooManyEntriesInBatchRequest",
                    fmt::format("Maximum number of entries per request are {}. You have sent {}.",
                                kMaxBatchEntries, ids.size()));
  }
  std::set<std::string_view> seen;
  for (std::string_view id : ids) {
    bool ok = !id.empty() && id.size() <= 80;
    for (char c : id) {
      if (!isAsciiAlnum(c) && c != '_' && c != '-') ok = false;
    }
    if (!ok) {
      return sqsError("InvalidBatchEntryId",
                      "A batch entry id can only contain alphanumeric characters, hyphens and "
                      "underscores. It can be at most 80 letters long.");
    }
    if (!seen.insert(id).second) {
      return sqsError("BatchEntryIdsNotDistinct",
                      "Two or more batch entries in the request have the same Id.");
    }
  }
  return {};
}

}  // namespace bakery::queue
