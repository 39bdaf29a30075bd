// JSON value types (Boost.JSON) and small helpers shared by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"

namespace bakery {
namespace json = boost::json;
}

namespace bakery::core {

// Parses `text` as one JSON document. The error names `what` (e.g. "request body").
Result<json::value> parseJson(std::string_view text, std::string_view what);
// Compact serialization. Unlike boost::json::serialize, doubles are written in their
// shortest round-trip form without a forced exponent (0.695 rather than 6.95E-1), which is
// what people reading logs and clients parsing responses expect; NaN and infinities, which
// JSON cannot represent, become null.
std::string toJson(const json::value& v);
void appendJson(std::string& out, const json::value& v);
// Appends `s` as a quoted, escaped JSON string.
void appendJsonString(std::string& out, std::string_view s);
// The value as a signed integer when it is one, stored signed or unsigned (Boost.JSON keeps an
// unsigned C++ value as uint64); nullopt otherwise, or when it does not fit.
std::optional<std::int64_t> integerValue(const json::value& v);
// The string member `key` of `obj`, or nullopt when it is missing or not a string.
std::optional<std::string_view> stringMember(const json::object& obj, std::string_view key);

}  // namespace bakery::core
