// Request-member checks of the EventBridge API, with the service's message shape
// ("1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: ...").
// Internal to the bus engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/json.h"
#include "core/result.h"

namespace bakery::bus::detail {

inline core::Error constraint(std::string_view member, std::string_view value,
                              std::string_view rule) {
  return core::Error::validation(
      fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                  "constraint: {}",
                  value, member, rule),
      std::string(member));
}

inline core::Error missing(std::string_view member) {
  return core::Error::validation(
      fmt::format("1 validation error detected: Value null at '{}' failed to satisfy "
                  "constraint: Member must not be null",
                  member),
      std::string(member));
}

// [\.\-_A-Za-z0-9]+: rule, target and bus names.
inline bool isName(std::string_view s, bool allowSlash = false) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || (allowSlash && c == '/');
    if (!ok) return false;
  }
  return true;
}

// The string member `name` of `r`: missing is allowed unless `required`; wrong type, length
// or (with `named`) characters are errors.
inline core::Result<std::optional<std::string>> stringField(const json::object& r,
                                                            std::string_view name, bool required,
                                                            std::size_t minLength,
                                                            std::size_t maxLength,
                                                            bool named = false) {
  auto it = r.find(name);
  if (it == r.end() || it->value().is_null()) {
    if (required) return missing(name);
    return std::optional<std::string>();
  }
  if (!it->value().is_string()) {
    return core::Error::validation(fmt::format("Start of structure or map found where not "
                                               "expected: member '{}' must be a string",
                                               name),
                                   std::string(name));
  }
  std::string value(it->value().get_string());
  if (value.size() < minLength) {
    return constraint(
        name, value, fmt::format("Member must have length greater than or equal to {}", minLength));
  }
  if (value.size() > maxLength) {
    return constraint(name, value.substr(0, 64),
                      fmt::format("Member must have length less than or equal to {}", maxLength));
  }
  if (named && !isName(value)) {
    return constraint(name, value,
                      "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  }
  return std::optional<std::string>(std::move(value));
}

inline core::Result<std::optional<std::int64_t>> integerField(const json::object& r,
                                                              std::string_view name,
                                                              std::int64_t min, std::int64_t max) {
  auto it = r.find(name);
  if (it == r.end() || it->value().is_null()) return std::optional<std::int64_t>();
  auto v = core::integerValue(it->value());
  if (!v) {
    return core::Error::validation(fmt::format("Member '{}' must be an integer", name),
                                   std::string(name));
  }
  if (*v < min) {
    return constraint(name, std::to_string(*v),
                      fmt::format("Member must have value greater than or equal to {}", min));
  }
  if (*v > max) {
    return constraint(name, std::to_string(*v),
                      fmt::format("Member must have value less than or equal to {}", max));
  }
  return std::optional<std::int64_t>(*v);
}

}  // namespace bakery::bus::detail
