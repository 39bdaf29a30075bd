#include "core/time_format.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

system_clock::time_point at(int y, unsigned mo, unsigned d, hours h, minutes mi, seconds s,
                            microseconds us = 0us) {
  return sys_days{year{y} / month{mo} / day{d}} + h + mi + s + us;
}

TEST(TimeFormatTest, Rfc3339MicroRendersUtcWithSixFractionDigits) {
  EXPECT_EQ(rfc3339Micro(at(2026, 11, 25, 15h, 19min, 49s, 123456us)),
            "2026-11-25T15:19:49.123456Z");
}

TEST(TimeFormatTest, Rfc3339MicroPadsEveryField) {
  EXPECT_EQ(rfc3339Micro(at(2026, 1, 5, 3h, 4min, 5s, 7us)), "2026-01-05T03:04:05.000007Z");
}

TEST(TimeFormatTest, Rfc3339MicroAtTheEpoch) {
  EXPECT_EQ(rfc3339Micro(system_clock::time_point{}), "1970-01-01T00:00:00.000000Z");
}

TEST(TimeFormatTest, Rfc3339MicroTruncatesNanoseconds) {
  auto t = at(2026, 11, 25, 15h, 19min, 49s) + nanoseconds(999'999'999);
  EXPECT_EQ(rfc3339Micro(time_point_cast<system_clock::duration>(t)),
            "2026-11-25T15:19:49.999999Z");
}

TEST(TimeFormatTest, Rfc3339MicroBeforeTheEpochCountsForward) {
  EXPECT_EQ(rfc3339Micro(system_clock::time_point{} - 1us), "1969-12-31T23:59:59.999999Z");
}

TEST(TimeFormatTest, Rfc3339MicroOnALeapDay) {
  EXPECT_EQ(rfc3339Micro(at(2024, 2, 29, 23h, 59min, 59s, 500000us)),
            "2024-02-29T23:59:59.500000Z");
}

TEST(TimeFormatTest, ApiGatewayTimeMatchesTheRequestContextFormat) {
  EXPECT_EQ(apiGatewayTime(at(2026, 11, 25, 15h, 19min, 49s, 123456us)),
            "25/Nov/2026:15:19:49 +0000");
}

TEST(TimeFormatTest, ApiGatewayTimePadsDayAndTime) {
  EXPECT_EQ(apiGatewayTime(at(2026, 1, 5, 3h, 4min, 5s)), "05/Jan/2026:03:04:05 +0000");
}

TEST(TimeFormatTest, ApiGatewayTimeNamesEveryMonth) {
  const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned m = 1; m <= 12; ++m) {
    EXPECT_EQ(apiGatewayTime(at(2025, m, 1, 0h, 0min, 0s)),
              std::string("01/") + names[m - 1] + "/2025:00:00:00 +0000");
  }
}

TEST(TimeFormatTest, EpochMillisCountsWholeMillisecondsSinceTheEpoch) {
  EXPECT_EQ(epochMillis(system_clock::time_point{}), 0);
  // 2026-11-25T15:19:49Z is 1795619989 s after the epoch.
  EXPECT_EQ(epochMillis(at(2026, 11, 25, 15h, 19min, 49s, 123456us)), 1'795'619'989'123);
  EXPECT_EQ(epochMillis(system_clock::time_point{} + 1500ms), 1500);
}

}  // namespace
}  // namespace bakery::core

namespace bakery::core {
namespace {

// Both per-thread caches must refresh whenever the second changes, in either direction.
TEST(TimeFormatTest, CachedFormatsFollowTheSecondBackAndForth) {
  using namespace std::chrono;
  auto base = system_clock::time_point(seconds(1'795'621'298));  // 2026-11-25T15:41:38Z
  struct Case {
    microseconds offset;
    const char* rfc3339;
    const char* apiGateway;
  };
  for (const Case& c : {
           Case{0us, "2026-11-25T15:41:38.000000Z", "25/Nov/2026:15:41:38 +0000"},
           Case{1us, "2026-11-25T15:41:38.000001Z", "25/Nov/2026:15:41:38 +0000"},
           Case{999'999us, "2026-11-25T15:41:38.999999Z", "25/Nov/2026:15:41:38 +0000"},
           Case{1'000'000us, "2026-11-25T15:41:39.000000Z", "25/Nov/2026:15:41:39 +0000"},
           Case{86'400'000'123us, "2026-11-26T15:41:38.000123Z", "26/Nov/2026:15:41:38 +0000"},
           Case{5us, "2026-11-25T15:41:38.000005Z", "25/Nov/2026:15:41:38 +0000"},
       }) {
    std::string appended = "x";
    appendRfc3339Micro(appended, base + c.offset);
    EXPECT_EQ(appended, std::string("x") + c.rfc3339) << c.offset.count();
    EXPECT_EQ(apiGatewayTimeView(base + c.offset), c.apiGateway) << c.offset.count();
  }
}

}  // namespace
}  // namespace bakery::core
