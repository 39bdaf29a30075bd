// Timestamp renderings used on the wire. Pure functions, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace bakery::core {

// RFC 3339 in UTC with microseconds: `2026-11-25T15:19:49.123456Z`.
std::string rfc3339Micro(std::chrono::system_clock::time_point t);
// The same, appended to `out`; the calendar part is cached per thread for the current second,
// so a logger calling it for every line formats a date once a second.
void appendRfc3339Micro(std::string& out, std::chrono::system_clock::time_point t);
// API Gateway's requestContext.time: `25/Nov/2026:15:19:49 +0000`.
std::string apiGatewayTime(std::chrono::system_clock::time_point t);
// The same as a view into a per-thread buffer that is formatted once a second; valid until
// the next call on the same thread. For the request path, which needs it for every request.
std::string_view apiGatewayTimeView(std::chrono::system_clock::time_point t);
// Milliseconds since the Unix epoch.
std::int64_t epochMillis(std::chrono::system_clock::time_point t);

}  // namespace bakery::core
