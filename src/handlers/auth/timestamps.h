// Parsing of the ISO-8601 timestamps clients send (RFC 3339's profile). Pure; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace bakery::handlers::auth {

// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, `T` or `t` or a space between date and
// time, `Z` or `z`; the fraction is kept to the microsecond. nullopt for anything else,
// including out-of-range fields (month 13, hour 24, February 30, seconds 60).
std::optional<std::chrono::system_clock::time_point> parseTimestamp(std::string_view text);

}  // namespace bakery::handlers::auth
