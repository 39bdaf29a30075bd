#include "core/ids.h"

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bakery::core {
namespace {

constexpr int kMany = 10'000;

bool isLowerHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(RandomIdGeneratorTest, UuidIsLowerCaseVersion4WithTheRfc4122Variant) {
  static const std::regex kUuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  RandomIdGenerator ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.uuid();
    ASSERT_TRUE(std::regex_match(id, kUuid)) << id;
  }
}

TEST(RandomIdGeneratorTest, UuidVariantBitsCoverAllFourValues) {
  // Two random bits follow the fixed "10": over many ids all of 8, 9, a and b appear, so
  // the variant mask keeps randomness instead of pinning one value.
  RandomIdGenerator ids;
  std::set<char> variants;
  for (int i = 0; i < 1000; ++i) variants.insert(ids.uuid()[19]);
  EXPECT_EQ(variants, (std::set<char>{'8', '9', 'a', 'b'}));
}

TEST(RandomIdGeneratorTest, UuidsAreUnique) {
  RandomIdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < kMany; ++i) seen.insert(ids.uuid());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMany));
}

TEST(RandomIdGeneratorTest, TraceIdIs32LowerHexDigitsNotAllZero) {
  RandomIdGenerator ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.traceId();
    ASSERT_EQ(id.size(), 32u) << id;
    ASSERT_TRUE(isLowerHex(id)) << id;
    ASSERT_NE(id, std::string(32, '0'));
  }
}

TEST(RandomIdGeneratorTest, SpanIdIs16LowerHexDigitsNotAllZero) {
  RandomIdGenerator ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.spanId();
    ASSERT_EQ(id.size(), 16u) << id;
    ASSERT_TRUE(isLowerHex(id)) << id;
    ASSERT_NE(id, std::string(16, '0'));
  }
}

TEST(RandomIdGeneratorTest, TraceAndSpanIdsAreUnique) {
  RandomIdGenerator ids;
  std::set<std::string> traces, spans;
  for (int i = 0; i < kMany; ++i) {
    traces.insert(ids.traceId());
    spans.insert(ids.spanId());
  }
  EXPECT_EQ(traces.size(), static_cast<std::size_t>(kMany));
  EXPECT_EQ(spans.size(), static_cast<std::size_t>(kMany));
}

TEST(RandomIdGeneratorTest, ThreadsDrawDistinctIds) {
  // Each thread has its own engine; seeding them alike would repeat ids across threads.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::vector<std::vector<std::string>> drawn(kThreads);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&drawn, t] {
        RandomIdGenerator ids;
        for (int i = 0; i < kPerThread; ++i) drawn[t].push_back(ids.uuid());
      });
    }
    for (auto& th : threads) th.join();
  }
  std::set<std::string> all;
  for (const auto& v : drawn) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace bakery::core
