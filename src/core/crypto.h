// Cryptographic hash primitives: SHA-256, HMAC-SHA-256 and MD5 as raw bytes (OpenSSL 3).
//
// Raw rather than hex because HMAC chains (SigV4's signing key, HS256) feed one digest into
// the next as a key; encoding.h turns bytes into hex where text is needed. Pure functions,
// thread-safe, no state kept between calls.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bakery::core {

inline constexpr std::size_t kSha256Bytes = 32;
inline constexpr std::size_t kMd5Bytes = 16;

// The SHA-256 digest of `data`: 32 raw bytes.
std::string sha256(std::string_view data);
// HMAC-SHA-256 of `data` under `key` (any length; RFC 2104): 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view data);
// The MD5 digest of `data`: 16 raw bytes. Not for security: only where a protocol demands it
// (SQS reports MD5OfMessageBody and MD5OfMessageAttributes, which clients verify).
std::string md5(std::string_view data);

}  // namespace bakery::core
