// Throttling of log-ins and sign-ups, with counters in the system scope's `auth-throttle`
// table (one item per key; a `ttl` lets the store expire idle counters, and every read also
// checks the expiry itself because TTL deletion is lazy).
//
// Log-in failures are counted per account (tenant slug + email skeleton, whether or not the
// account exists, so a lockout reveals nothing) and per source IP. Past a threshold each
// further failure locks the key out for base * 2^(n-1), at most max; a locked key is refused
// before any password is verified. Sign-ups are counted per source IP in fixed hourly windows.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <bakery/table/table.h>

#include "core/result.h"

namespace bakery::handlers::auth::detail {

// How long a counter lives after its last failure.
inline constexpr std::chrono::seconds kFailureWindow{std::chrono::hours(1)};

// The lockout that the `failures`-th consecutive failure starts (zero below the threshold):
// base * 2^(failures - threshold), capped at `max`.
std::chrono::seconds lockoutDuration(std::int64_t failures, int threshold,
                                     std::chrono::seconds base, std::chrono::seconds max);

std::string accountThrottleKey(std::string_view slug, std::string_view skeleton);
std::string ipThrottleKey(std::string_view ip);

// Time left on the key's lockout (nullopt when it is not locked).
core::Result<std::optional<std::chrono::seconds>> lockedFor(table::Table& throttle,
                                                            const std::string& key,
                                                            std::int64_t nowMillis);
// Counts one failure; returns the lockout it started, if any.
core::Result<std::optional<std::chrono::seconds>> recordFailure(
    table::Table& throttle, const std::string& key, std::int64_t nowMillis, int threshold,
    std::chrono::seconds base, std::chrono::seconds max);
core::Result<void> resetCounter(table::Table& throttle, const std::string& key);

// Adds one to the fixed window of `windowLength` that holds `nowMillis`; returns the new
// count and the time left in the window.
struct WindowCount {
  std::int64_t count = 0;
  std::chrono::seconds remaining{0};
};
core::Result<WindowCount> countInWindow(table::Table& throttle, const std::string& keyPrefix,
                                        std::int64_t nowMillis, std::chrono::seconds windowLength);

}  // namespace bakery::handlers::auth::detail
