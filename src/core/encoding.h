// Byte encodings: base64 (RFC 4648, padded), lower-case hex, SHA-256, UTF-8 validation.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bakery::core {

std::string base64Encode(std::string_view bytes);
// nullopt when `text` is not canonical padded base64.
std::optional<std::string> base64Decode(std::string_view text);
std::string hexEncode(std::string_view bytes);
// SHA-256 digest as 64 lower-case hex digits (OpenSSL).
std::string sha256Hex(std::string_view bytes);
// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool isValidUtf8(std::string_view bytes);
// True when a and b are equal, in time that depends only on their lengths.
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace bakery::core
