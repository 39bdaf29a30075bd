// The DynamoDB JSON form of attribute values: {"S":"a"}, {"N":"1"}, {"B":"<base64>"}, ...
//
// Decoding validates exactly as DynamoDB does and fails with its messages: one type per
// value, NULL must be true, numbers within range and precision (canonicalized here), sets
// non-empty and free of duplicates, base64 well-formed, nesting at most 32 levels. Shape
// errors (a string where an object belongs) are SerializationExceptions, as the service
// reports them. Pure functions, thread-safe.
#pragma once

#include <string_view>

#include <bakery/table/attribute_value.h>

#include "core/json.h"
#include "core/result.h"

namespace bakery::table::codec {

core::Result<AttributeValue> attributeFromJson(const json::value& v);
// An object of attribute name -> value (an item, a key, ExpressionAttributeValues).
core::Result<AttributeMap> attributeMapFromJson(const json::value& v);

json::value attributeToJson(const AttributeValue& v);
json::object attributeMapToJson(const AttributeMap& m);

// SerializationException, the error for a request document of the wrong shape.
core::Error serializationError(std::string message);

}  // namespace bakery::table::codec
