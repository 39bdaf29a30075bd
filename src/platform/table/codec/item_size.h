// DynamoDB's size accounting for items.
//
// itemSize() is what the 400 KB limit and capacity units count: per attribute, the UTF-8
// bytes of its name plus its value (S: UTF-8 bytes; B: raw bytes; N: about one byte per two
// significant digits plus one; BOOL and NULL: 1; L and M: 3 plus one byte per element plus
// the elements). storedSize() is the larger on-disk measure the service uses for the 1 MB
// Query/Scan page limit (per-item overhead and a compact encoding of the sort key); the
// formula is the one dynalite measured against the service.
#pragma once

#include <cstddef>
#include <string_view>

#include <bakery/table/attribute_value.h>

namespace bakery::table::codec {

constexpr std::size_t kMaxItemBytes = 400 * 1024;

std::size_t itemSize(const AttributeMap& item);
std::size_t valueSize(const AttributeValue& value);
std::size_t storedSize(const AttributeMap& item, std::string_view sortKeyName);

}  // namespace bakery::table::codec
