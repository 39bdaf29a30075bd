// The stored form of items, and the order-preserving encoding of key values.
//
// Items are stored in a compact binary form (a type byte and varint lengths per value)
// rather than as JSON: smaller on disk and several times cheaper to decode on every read.
// decodeItem() never trusts its input (it is fuzzed): a truncated or corrupt record is an
// error, not a crash.
//
// Key values are encoded so that bytewise order is DynamoDB's order: S by UTF-8 bytes, B by
// unsigned bytes, N numerically (a sign tag, the decimal exponent, then the digits,
// complemented for negatives). Every encoding is self-delimiting, so encoded keys can be
// concatenated (partition key, then sort key) and still compare correctly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <bakery/table/attribute_value.h>

#include "core/result.h"

namespace bakery::table::codec {

void encodeItem(const AttributeMap& item, std::string& out);
std::string encodeItem(const AttributeMap& item);
core::Result<AttributeMap> decodeItem(std::string_view bytes);

// Appends the order-preserving encoding of a key value (S, N or B only).
void appendKey(std::string& out, const AttributeValue& keyValue);
// Appends `s` escaped (0x00 -> 0x00 0xFF) and terminated (0x00 0x01): order-preserving and
// self-delimiting, for strings inside composite keys (tenant names, table names).
void appendEscaped(std::string& out, std::string_view s);
void appendUint32(std::string& out, std::uint32_t v);  // big-endian
void appendUint64(std::string& out, std::uint64_t v);  // big-endian
std::uint64_t readUint64(std::string_view bytes);      // first 8 bytes, big-endian

// A stable 16-bit hash of an encoded partition key: it spreads partitions over the key
// space as DynamoDB's hashing does, defines the (hash-ordered) Scan order, and lets a
// parallel Scan segment cover one contiguous range of it.
std::uint16_t partitionHash(std::string_view encodedPartitionKey);

}  // namespace bakery::table::codec
