#include "handlers/auth/timestamps.h"

#include <gtest/gtest.h>

namespace bakery::handlers::auth {
namespace {

using namespace std::chrono;

std::int64_t epoch(std::string_view text) {
  auto t = parseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t ? duration_cast<seconds>(t->time_since_epoch()).count() : -1;
}

TEST(TimestampTest, ParsesUtcAndOffsets) {
  EXPECT_EQ(epoch("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(epoch("2024-02-29T12:00:00Z"), 1709208000);
  EXPECT_EQ(epoch("2024-02-29T14:00:00+02:00"), 1709208000);
  EXPECT_EQ(epoch("2024-02-29T07:30:00-04:30"), 1709208000);
  EXPECT_EQ(epoch("2024-02-29t12:00:00z"), 1709208000);
}

TEST(TimestampTest, KeepsFractionsToTheMicrosecond) {
  auto t = parseTimestamp("1970-01-01T00:00:01.2500001Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(duration_cast<microseconds>(t->time_since_epoch()).count(), 1'250'000);
}

TEST(TimestampTest, RefusesMalformedOrOutOfRangeText) {
  for (std::string_view bad :
       {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00", "2024-01-01",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0200", "2024-01-01T00:00:00Zjunk", "tomorrow",
        "2024-1-01T00:00:00Z"}) {
    EXPECT_FALSE(parseTimestamp(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace bakery::handlers::auth
