#include "platform/runtime/worker_pool.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace bakery::runtime {
namespace {

using namespace std::chrono_literals;

// A failsafe bound on waits for events that must happen: a broken pool fails the test instead
// of hanging it. Nothing is timed.
constexpr auto kFailsafe = 10s;

TEST(WorkerPoolTest, SizeIsTheNumberOfThreads) {
  WorkerPool pool(3);
  EXPECT_EQ(pool.size(), 3);
}

TEST(WorkerPoolTest, RunsEveryPostedTask) {
  WorkerPool pool(2);
  constexpr int kTasks = 100;
  std::atomic<int> ran{0};
  std::promise<void> all;
  for (int i = 0; i < kTasks; ++i) {
    pool.post([&] {
      if (++ran == kTasks) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(kFailsafe), std::future_status::ready);
  EXPECT_EQ(ran.load(), kTasks);
}

TEST(WorkerPoolTest, OneThreadRunsTasksInTheOrderPosted) {
  std::vector<int> order;
  {
    WorkerPool pool(1);
    for (int i = 0; i < 20; ++i) pool.post([&order, i] { order.push_back(i); });
  }  // the destructor lets queued tasks finish
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST(WorkerPoolTest, RunsTasksOnAsManyThreadsAtOnce) {
  // Each task waits for the other: only two threads running them together lets both finish.
  WorkerPool pool(2);
  std::promise<void> aStarted, bStarted;
  auto aSeen = aStarted.get_future().share();
  auto bSeen = bStarted.get_future().share();
  std::promise<bool> aSawB, bSawA;
  pool.post([&] {
    aStarted.set_value();
    aSawB.set_value(bSeen.wait_for(kFailsafe) == std::future_status::ready);
  });
  pool.post([&] {
    bStarted.set_value();
    bSawA.set_value(aSeen.wait_for(kFailsafe) == std::future_status::ready);
  });
  EXPECT_TRUE(aSawB.get_future().get());
  EXPECT_TRUE(bSawA.get_future().get());
}

TEST(WorkerPoolTest, RunsTasksOffTheCallersThread) {
  WorkerPool pool(1);
  std::promise<std::thread::id> where;
  pool.post([&] { where.set_value(std::this_thread::get_id()); });
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
}

TEST(WorkerPoolTest, StopLetsQueuedTasksFinish) {
  WorkerPool pool(1);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> ran{0};
  pool.post([&ran, released] {
    released.wait_for(kFailsafe);
    ++ran;
  });
  for (int i = 0; i < 10; ++i) pool.post([&ran] { ++ran; });
  // Whether stop() begins before or after the first task is released, the ten queued behind
  // it must still run before stop() returns.
  std::thread stopper([&] { pool.stop(); });
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran.load(), 11);
}

TEST(WorkerPoolTest, StopIsRepeatable) {
  WorkerPool pool(2);
  pool.stop();
  pool.stop();
  EXPECT_EQ(pool.size(), 2);
}

}  // namespace
}  // namespace bakery::runtime
