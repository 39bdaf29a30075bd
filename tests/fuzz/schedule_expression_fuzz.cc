// Schedule expressions from arbitrary bytes: parsing accepts or refuses cleanly, and an
// accepted expression yields its next firings (bounded loop) without crashing or hanging.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/scheduler/schedule_expression.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bakery::scheduler;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (ExpressionDialect dialect : {ExpressionDialect::kScheduler, ExpressionDialect::kRule}) {
    auto parsed = parseScheduleExpression(text, dialect);
    if (!parsed) continue;
    auto reparsed = parseScheduleExpression(parsed->text(), dialect);
    if (!reparsed || reparsed->text() != parsed->text()) __builtin_trap();
    static const auto zone = TimeZone::named("America/New_York");
    auto t = bakery::core::Clock::WallTime(std::chrono::seconds(1'700'000'000));
    for (int i = 0; i < 5; ++i) {
      auto next = nextFiring(*parsed, t, zone ? *zone : TimeZone(), t);
      if (!next) break;
      if (*next <= t) __builtin_trap();  // firings move forward
      t = *next;
    }
  }
  return 0;
}
