#include "platform/queue/engine/message_digest.h"

#include <cstdint>

#include "core/crypto.h"
#include "core/encoding.h"

namespace bakery::queue {
namespace {

void appendLengthPrefixed(std::string& out, std::string_view bytes) {
  auto n = static_cast<std::uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out += bytes;
}

}  // namespace

std::string md5OfBody(std::string_view body) { return core::hexEncode(core::md5(body)); }

std::string md5OfMessageAttributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return {};
  std::string encoded;
  for (const auto& [name, value] : attributes) {  // std::map: byte order of the names
    appendLengthPrefixed(encoded, name);
    appendLengthPrefixed(encoded, value.dataType);
    bool binary = value.dataType.starts_with("Binary");
    encoded.push_back(binary ? '\2' : '\1');
    appendLengthPrefixed(encoded, binary ? value.binaryValue : value.stringValue);
  }
  return core::hexEncode(core::md5(encoded));
}

}  // namespace bakery::queue
