#include "platform/runtime/idempotency_store.h"

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"

namespace bakery::runtime {
namespace {

using namespace std::chrono_literals;
using Kind = IdempotencyClaim::Kind;

class MemoryIdempotencyStoreTest : public ::testing::Test {
 protected:
  core::Clock::WallTime in(std::chrono::nanoseconds d) const { return clock_.wallNow() + d; }

  // Claims `key` for a 3 s invocation; the claim must succeed.
  std::uint64_t claimed(std::string_view key, std::string_view hash = "h1") {
    auto c = store_.claim(key, hash, in(3s));
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return 0;
    EXPECT_EQ(c->kind, Kind::kClaimed);
    return c->token;
  }

  Kind kindOf(std::string_view key, std::string_view hash = "h1") {
    auto c = store_.claim(key, hash, in(3s));
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->kind : Kind::kPayloadMismatch;
  }

  core::ManualClock clock_;
  MemoryIdempotencyStore store_{clock_};
};

TEST_F(MemoryIdempotencyStoreTest, FirstClaimOwnsTheKeyWithANonZeroToken) {
  EXPECT_NE(claimed("k"), 0u);
  EXPECT_EQ(store_.sizeForTest(), 1u);
}

TEST_F(MemoryIdempotencyStoreTest, EveryClaimGetsADistinctToken) {
  std::set<std::uint64_t> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(claimed("k" + std::to_string(i)));
  EXPECT_EQ(tokens.size(), 100u);
}

TEST_F(MemoryIdempotencyStoreTest, SecondClaimWhileInProgressIsInProgress) {
  claimed("k");
  EXPECT_EQ(kindOf("k"), Kind::kInProgress);
}

TEST_F(MemoryIdempotencyStoreTest, CompletedKeyReplaysTheStoredResponse) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.complete("k", token, json::value{{"statusCode", 201}}, in(1h)).ok());
  auto c = store_.claim("k", "h1", in(3s));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Kind::kCompleted);
  EXPECT_EQ(c->response, (json::value{{"statusCode", 201}}));
  // Replays do not consume the record.
  EXPECT_EQ(kindOf("k"), Kind::kCompleted);
}

TEST_F(MemoryIdempotencyStoreTest, SameKeyWithAnotherPayloadIsAMismatchWhileInProgress) {
  claimed("k", "h1");
  EXPECT_EQ(kindOf("k", "h2"), Kind::kPayloadMismatch);
}

TEST_F(MemoryIdempotencyStoreTest, SameKeyWithAnotherPayloadIsAMismatchOnceCompleted) {
  std::uint64_t token = claimed("k", "h1");
  ASSERT_TRUE(store_.complete("k", token, "done", in(1h)).ok());
  EXPECT_EQ(kindOf("k", "h2"), Kind::kPayloadMismatch);
}

TEST_F(MemoryIdempotencyStoreTest, KeysAreIndependent) {
  claimed("a");
  EXPECT_NE(claimed("b"), 0u);
}

TEST_F(MemoryIdempotencyStoreTest, CompletedRecordLivesUntilItsExpiry) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.complete("k", token, "done", in(1h)).ok());
  clock_.advance(1h - 1ns);
  EXPECT_EQ(kindOf("k"), Kind::kCompleted);
  clock_.advance(1ns);
  EXPECT_EQ(kindOf("k"), Kind::kClaimed);
}

TEST_F(MemoryIdempotencyStoreTest, ExpiredRecordAcceptsAnotherPayload) {
  std::uint64_t token = claimed("k", "h1");
  ASSERT_TRUE(store_.complete("k", token, "done", in(1min)).ok());
  clock_.advance(2min);
  EXPECT_EQ(kindOf("k", "h2"), Kind::kClaimed);
}

TEST_F(MemoryIdempotencyStoreTest, InProgressRecordExpiresAtItsClaimersDeadline) {
  std::uint64_t first = claimed("k");
  clock_.advance(3s - 1ns);
  EXPECT_EQ(kindOf("k"), Kind::kInProgress);
  clock_.advance(1ns);
  std::uint64_t second = claimed("k");
  EXPECT_NE(second, first);
}

TEST_F(MemoryIdempotencyStoreTest, LateCompletionFromALostClaimDoesNothing) {
  std::uint64_t first = claimed("k");
  clock_.advance(5s);
  std::uint64_t second = claimed("k");
  ASSERT_TRUE(store_.complete("k", first, "stale", in(1h)).ok());
  EXPECT_EQ(kindOf("k"), Kind::kInProgress);
  ASSERT_TRUE(store_.complete("k", second, "fresh", in(1h)).ok());
  auto c = store_.claim("k", "h1", in(3s));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Kind::kCompleted);
  EXPECT_EQ(c->response, json::value("fresh"));
}

TEST_F(MemoryIdempotencyStoreTest, ReleaseDeletesTheRecord) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.release("k", token).ok());
  EXPECT_EQ(store_.sizeForTest(), 0u);
  EXPECT_EQ(kindOf("k"), Kind::kClaimed);
}

TEST_F(MemoryIdempotencyStoreTest, ReleaseWithTheWrongTokenDoesNothing) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.release("k", token + 1).ok());
  EXPECT_EQ(store_.sizeForTest(), 1u);
  EXPECT_EQ(kindOf("k"), Kind::kInProgress);
}

TEST_F(MemoryIdempotencyStoreTest, ReleaseFromALostClaimKeepsTheNewClaimersRecord) {
  std::uint64_t first = claimed("k");
  clock_.advance(5s);
  claimed("k");
  ASSERT_TRUE(store_.release("k", first).ok());
  EXPECT_EQ(kindOf("k"), Kind::kInProgress);
}

TEST_F(MemoryIdempotencyStoreTest, ReleaseOfAnUnknownKeyIsHarmless) {
  EXPECT_TRUE(store_.release("nothing", 1).ok());
  EXPECT_EQ(store_.sizeForTest(), 0u);
}

TEST_F(MemoryIdempotencyStoreTest, LateCompletionAfterReleaseDoesNothing) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.release("k", token).ok());
  ASSERT_TRUE(store_.complete("k", token, "late", in(1h)).ok());
  EXPECT_EQ(store_.sizeForTest(), 0u);
  EXPECT_EQ(kindOf("k"), Kind::kClaimed);
}

TEST_F(MemoryIdempotencyStoreTest, ReleaseAfterCompletionDeletesTheStoredResponse) {
  std::uint64_t token = claimed("k");
  ASSERT_TRUE(store_.complete("k", token, "done", in(1h)).ok());
  ASSERT_TRUE(store_.release("k", token).ok());
  EXPECT_EQ(kindOf("k"), Kind::kClaimed);
}

TEST(MemoryIdempotencyStoreCapacityTest, NewKeyPastCapacityIs503ServiceUnavailable) {
  core::ManualClock clock;
  MemoryIdempotencyStore store(clock, 2);
  ASSERT_TRUE(store.claim("a", "h", clock.wallNow() + 3s).ok());
  ASSERT_TRUE(store.claim("b", "h", clock.wallNow() + 3s).ok());
  auto c = store.claim("c", "h", clock.wallNow() + 3s);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type(), "ServiceUnavailableException");
  EXPECT_EQ(c.error().status(), 503);
  EXPECT_EQ(store.sizeForTest(), 2u);
}

TEST(MemoryIdempotencyStoreCapacityTest, ExistingKeysStillAnswerAtCapacity) {
  core::ManualClock clock;
  MemoryIdempotencyStore store(clock, 1);
  auto a = store.claim("a", "h", clock.wallNow() + 3s);
  ASSERT_TRUE(a.ok());
  auto again = store.claim("a", "h", clock.wallNow() + 3s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, Kind::kInProgress);
}

TEST(MemoryIdempotencyStoreCapacityTest, ExpiredRecordsAreSweptToMakeRoom) {
  core::ManualClock clock;
  MemoryIdempotencyStore store(clock, 2);
  auto a = store.claim("a", "h", clock.wallNow() + 1s);
  auto b = store.claim("b", "h", clock.wallNow() + 10s);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(store.complete("a", a->token, "done", clock.wallNow() + 1s).ok());
  clock.advance(2s);
  auto c = store.claim("c", "h", clock.wallNow() + 3s);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Kind::kClaimed);
  EXPECT_EQ(store.sizeForTest(), 2u);  // a swept; b and c live
}

TEST(MemoryIdempotencyStoreCapacityTest, ReleasedRecordsFreeCapacity) {
  core::ManualClock clock;
  MemoryIdempotencyStore store(clock, 1);
  auto a = store.claim("a", "h", clock.wallNow() + 3s);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store.release("a", a->token).ok());
  EXPECT_TRUE(store.claim("b", "h", clock.wallNow() + 3s).ok());
}

TEST(MemoryIdempotencyStoreConcurrencyTest, ExactlyOneOfManyConcurrentClaimersWins) {
  core::ManualClock clock;
  MemoryIdempotencyStore store(clock);
  constexpr int kThreads = 8;
  std::atomic<int> claimedCount{0}, inProgressCount{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      auto c = store.claim("k", "h", clock.wallNow() + 3s);
      if (c.ok() && c->kind == Kind::kClaimed) ++claimedCount;
      if (c.ok() && c->kind == Kind::kInProgress) ++inProgressCount;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimedCount.load(), 1);
  EXPECT_EQ(inProgressCount.load(), kThreads - 1);
}

}  // namespace
}  // namespace bakery::runtime
