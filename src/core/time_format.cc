#include "core/time_format.h"

#include <ctime>
#include <limits>

#include <fmt/format.h>

namespace bakery::core {
namespace {

std::tm utc(std::chrono::system_clock::time_point t) {
  std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

}  // namespace

std::string rfc3339Micro(std::chrono::system_clock::time_point t) {
  std::string out;
  appendRfc3339Micro(out, t);
  return out;
}

void appendRfc3339Micro(std::string& out, std::chrono::system_clock::time_point t) {
  struct Cache {
    // Not a second any time point can have (-1 is a real one: just before the epoch).
    std::int64_t second = std::numeric_limits<std::int64_t>::min();
    char text[24] = {};  // "2026-11-25T15:19:49"
  };
  thread_local Cache cache;
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  std::int64_t second = secs.time_since_epoch().count();
  if (second != cache.second) {
    std::tm tm = utc(t);
    fmt::format_to_n(cache.text, sizeof(cache.text) - 1, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    cache.second = second;
  }
  out.append(cache.text, 19);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  char frac[9] = {'.', '0', '0', '0', '0', '0', '0', 'Z', 0};
  for (int i = 6; i >= 1; --i, micros /= 10) frac[i] = static_cast<char>('0' + micros % 10);
  out.append(frac, 8);
}

std::string apiGatewayTime(std::chrono::system_clock::time_point t) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm = utc(t);
  return fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string_view apiGatewayTimeView(std::chrono::system_clock::time_point t) {
  thread_local std::int64_t cachedSecond = std::numeric_limits<std::int64_t>::min();
  thread_local std::string cached;
  std::int64_t second = std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
  if (second != cachedSecond) {
    cached = apiGatewayTime(t);
    cachedSecond = second;
  }
  return cached;
}

std::int64_t epochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace bakery::core
