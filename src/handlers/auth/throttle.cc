#include "handlers/auth/throttle.h"

#include <algorithm>

#include "handlers/auth/store.h"

namespace bakery::handlers::auth::detail {

using table::attr;
using table::Condition;
using table::S;
using table::Update;

std::chrono::seconds lockoutDuration(std::int64_t failures, int threshold,
                                     std::chrono::seconds base, std::chrono::seconds max) {
  if (threshold < 1 || failures < threshold) return std::chrono::seconds(0);
  std::int64_t n = failures - threshold;  // doublings
  std::int64_t seconds = base.count();
  for (std::int64_t i = 0; i < n && seconds < max.count(); ++i) seconds *= 2;
  return std::chrono::seconds(std::min<std::int64_t>(seconds, max.count()));
}

std::string accountThrottleKey(std::string_view slug, std::string_view skeleton) {
  return "login-account#" + std::string(slug) + "#" + std::string(skeleton);
}

std::string ipThrottleKey(std::string_view ip) { return "login-ip#" + std::string(ip); }

namespace {

std::chrono::seconds ceilSeconds(std::int64_t millis) {
  return std::chrono::seconds(std::max<std::int64_t>(1, (millis + 999) / 1000));
}

}  // namespace

core::Result<std::optional<std::chrono::seconds>> lockedFor(table::Table& throttle,
                                                            const std::string& key,
                                                            std::int64_t nowMillis) {
  auto got = throttle.get({{"key", S(key)}}, {.consistent = true});
  if (!got) return got.error();
  if (!*got) return std::optional<std::chrono::seconds>();
  std::int64_t until = num(**got, "lockedUntil");
  if (until <= nowMillis) return std::optional<std::chrono::seconds>();
  return std::optional<std::chrono::seconds>(ceilSeconds(until - nowMillis));
}

core::Result<std::optional<std::chrono::seconds>> recordFailure(
    table::Table& throttle, const std::string& key, std::int64_t nowMillis, int threshold,
    std::chrono::seconds base, std::chrono::seconds max) {
  std::int64_t expires = nowMillis + std::chrono::milliseconds(kFailureWindow).count();
  std::int64_t ttl = expires / 1000;
  table::AttributeMap k{{"key", S(key)}};
  // Atomic increment of a live counter; an expired or missing one starts again at 1.
  auto updated = throttle.update(k,
                                 Update()
                                     .add(attr("failures"), numberValue(1))
                                     .set(attr("expiresAt"), numberValue(expires))
                                     .set(attr(kTtlAttribute), numberValue(ttl)),
                                 {.condition = attr("expiresAt") > numberValue(nowMillis),
                                  .returnValues = table::ReturnValues::kAllNew});
  std::int64_t failures = 1;
  if (updated) {
    failures = updated->has_value() ? num(**updated, "failures") : 1;
  } else if (isConditionFailure(updated.error())) {
    auto put = throttle.put({{"key", S(key)},
                             {"failures", numberValue(1)},
                             {"expiresAt", numberValue(expires)},
                             {kTtlAttribute, numberValue(ttl)}});
    if (!put) return put.error();
  } else {
    return updated.error();
  }
  auto lockout = lockoutDuration(failures, threshold, base, max);
  if (lockout.count() == 0) return std::optional<std::chrono::seconds>();
  std::int64_t until = nowMillis + std::chrono::milliseconds(lockout).count();
  auto locked = throttle.update(k, Update().set(attr("lockedUntil"), numberValue(until)));
  if (!locked) return locked.error();
  return std::optional<std::chrono::seconds>(lockout);
}

core::Result<void> resetCounter(table::Table& throttle, const std::string& key) {
  auto removed = throttle.remove({{"key", S(key)}});
  if (!removed) return removed.error();
  return {};
}

core::Result<WindowCount> countInWindow(table::Table& throttle, const std::string& keyPrefix,
                                        std::int64_t nowMillis, std::chrono::seconds windowLength) {
  std::int64_t windowMillis = std::chrono::milliseconds(windowLength).count();
  std::int64_t window = nowMillis / windowMillis;
  std::int64_t end = (window + 1) * windowMillis;
  auto updated = throttle.update(
      {{"key", S(keyPrefix + "#" + std::to_string(window))}},
      Update().add(attr("count"), numberValue(1)).set(attr(kTtlAttribute), numberValue(end / 1000)),
      {.returnValues = table::ReturnValues::kAllNew});
  if (!updated) return updated.error();
  WindowCount out;
  out.count = updated->has_value() ? num(**updated, "count") : 1;
  out.remaining = ceilSeconds(end - nowMillis);
  return out;
}

}  // namespace bakery::handlers::auth::detail
