#include "platform/runtime/deadline_queue.h"

#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/clock.h"

namespace bakery::runtime {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DeadlineQueueTest : public ::testing::Test {
 protected:
  core::Clock::MonoTime in(std::chrono::nanoseconds d) const { return clock_.monoNow() + d; }
  std::function<void()> record(std::string name) {
    return [this, name = std::move(name)] { ran_.push_back(name); };
  }

  core::ManualClock clock_;
  DeadlineQueue queue_{clock_, /*startThread=*/false};
  std::vector<std::string> ran_;
};

TEST_F(DeadlineQueueTest, NothingRunsBeforeItsDeadline) {
  queue_.add(in(10ms), record("a"));
  EXPECT_EQ(queue_.runDue(in(10ms - 1ns)), 0);
  EXPECT_THAT(ran_, IsEmpty());
}

TEST_F(DeadlineQueueTest, RunsEntriesWhoseDeadlineIsExactlyNow) {
  queue_.add(in(10ms), record("a"));
  EXPECT_EQ(queue_.runDue(in(10ms)), 1);
  EXPECT_THAT(ran_, ElementsAre("a"));
}

TEST_F(DeadlineQueueTest, RunsDueEntriesInDeadlineOrderAndLeavesTheRest) {
  queue_.add(in(30ms), record("c"));
  queue_.add(in(10ms), record("a"));
  queue_.add(in(50ms), record("late"));
  queue_.add(in(20ms), record("b"));
  EXPECT_EQ(queue_.runDue(in(40ms)), 3);
  EXPECT_THAT(ran_, ElementsAre("a", "b", "c"));
  EXPECT_EQ(queue_.runDue(in(40ms)), 0);
  EXPECT_EQ(queue_.runDue(in(50ms)), 1);
  EXPECT_THAT(ran_, ElementsAre("a", "b", "c", "late"));
}

TEST_F(DeadlineQueueTest, EqualDeadlinesRunInTheOrderAdded) {
  queue_.add(in(10ms), record("first"));
  queue_.add(in(10ms), record("second"));
  queue_.add(in(10ms), record("third"));
  EXPECT_EQ(queue_.runDue(in(10ms)), 3);
  EXPECT_THAT(ran_, ElementsAre("first", "second", "third"));
}

TEST_F(DeadlineQueueTest, EachEntryRunsOnce) {
  queue_.add(in(10ms), record("a"));
  EXPECT_EQ(queue_.runDue(in(1s)), 1);
  EXPECT_EQ(queue_.runDue(in(2s)), 0);
  EXPECT_THAT(ran_, ElementsAre("a"));
}

TEST_F(DeadlineQueueTest, IdsAreDistinct) {
  std::set<DeadlineQueue::Id> ids;
  for (int i = 0; i < 100; ++i) ids.insert(queue_.add(in(1s), [] {}));
  EXPECT_EQ(ids.size(), 100u);
}

TEST_F(DeadlineQueueTest, CancelledEntryNeverRuns) {
  auto a = queue_.add(in(10ms), record("a"));
  queue_.add(in(10ms), record("b"));
  EXPECT_TRUE(queue_.cancel(a));
  EXPECT_EQ(queue_.runDue(in(1s)), 1);
  EXPECT_THAT(ran_, ElementsAre("b"));
}

TEST_F(DeadlineQueueTest, CancelAfterTheEntryRanReturnsFalse) {
  auto a = queue_.add(in(10ms), record("a"));
  queue_.runDue(in(10ms));
  EXPECT_FALSE(queue_.cancel(a));
}

TEST_F(DeadlineQueueTest, CancellingTwiceReturnsFalseTheSecondTime) {
  auto a = queue_.add(in(10ms), record("a"));
  EXPECT_TRUE(queue_.cancel(a));
  EXPECT_FALSE(queue_.cancel(a));
}

TEST_F(DeadlineQueueTest, CancellingAnUnknownIdReturnsFalse) { EXPECT_FALSE(queue_.cancel(12345)); }

TEST_F(DeadlineQueueTest, CancelOnlyRemovesTheGivenEntryAmongEqualDeadlines) {
  queue_.add(in(10ms), record("a"));
  auto b = queue_.add(in(10ms), record("b"));
  queue_.add(in(10ms), record("c"));
  EXPECT_TRUE(queue_.cancel(b));
  queue_.runDue(in(10ms));
  EXPECT_THAT(ran_, ElementsAre("a", "c"));
}

TEST_F(DeadlineQueueTest, CallbackMayAddAndCancelEntries) {
  // Callbacks run outside the lock: calling back into the queue must not deadlock. An entry
  // added by a callback waits for the next runDue even when it is already due.
  DeadlineQueue::Id victim = queue_.add(in(1h), record("victim"));
  queue_.add(in(10ms), [&] {
    ran_.push_back("a");
    queue_.add(in(0ns), record("added"));
    EXPECT_TRUE(queue_.cancel(victim));
  });
  EXPECT_EQ(queue_.runDue(in(10ms)), 1);
  EXPECT_THAT(ran_, ElementsAre("a"));
  EXPECT_EQ(queue_.runDue(in(2h)), 1);
  EXPECT_THAT(ran_, ElementsAre("a", "added"));
}

// The background thread waits on the real steady clock, so these use SystemClock and assert
// only outcomes: what ran, never how long it took.
TEST(DeadlineQueueThreadTest, ThreadRunsAnEntryThatIsDue) {
  core::SystemClock clock;
  DeadlineQueue queue(clock);
  std::promise<void> fired;
  queue.add(clock.monoNow(), [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(10s), std::future_status::ready);
}

TEST(DeadlineQueueThreadTest, AnEarlierEntryWakesAThreadSleepingOnALaterOne) {
  core::SystemClock clock;
  DeadlineQueue queue(clock);
  auto lateRan = std::make_shared<std::atomic<bool>>(false);
  queue.add(clock.monoNow() + 1h, [lateRan] { *lateRan = true; });
  std::promise<void> fired;
  queue.add(clock.monoNow(), [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(lateRan->load());
}

TEST(DeadlineQueueThreadTest, StopDoesNotRunPendingEntries) {
  core::SystemClock clock;
  auto ran = std::make_shared<std::atomic<bool>>(false);
  {
    DeadlineQueue queue(clock);
    queue.add(clock.monoNow() + 1h, [ran] { *ran = true; });
    queue.stop();
  }
  EXPECT_FALSE(ran->load());
}

}  // namespace
}  // namespace bakery::runtime
