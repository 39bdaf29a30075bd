// DeadlineQueue: callbacks that run when their deadline passes, unless cancelled first.
//
// One background thread sleeps until the earliest deadline, or for at most kIdleTick; add()
// and cancel() are O(log n) under a mutex, and add() wakes the thread only for a deadline
// earlier than its planned wake-up. Most deadlines are seconds away, so the request path pays
// no cross-thread wake-up for them. Callbacks run on that thread and must be short
// (they post elsewhere). runDue(now) is the logic the thread runs, exposed so tests can drive
// it with a ManualClock instead of waiting. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/mutex.h"

namespace bakery::runtime {

class DeadlineQueue {
 public:
  using Id = std::uint64_t;
  static constexpr std::chrono::milliseconds kIdleTick{100};

  // With `startThread` false nothing runs by itself (tests call runDue()).
  DeadlineQueue(const core::Clock& clock, bool startThread = true);
  ~DeadlineQueue();
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  Id add(core::Clock::MonoTime deadline, std::function<void()> onExpire);
  // True when the callback was removed before it ran.
  bool cancel(Id id);
  // Runs (and removes) every callback whose deadline is <= now; returns how many ran.
  int runDue(core::Clock::MonoTime now);
  void stop();

 private:
  void run();

  const core::Clock& clock_;
  core::Mutex mu_;
  std::condition_variable changed_;
  std::map<std::pair<core::Clock::MonoTime, Id>, std::function<void()>> entries_ GUARDED_BY(mu_);
  std::map<Id, core::Clock::MonoTime> deadlines_ GUARDED_BY(mu_);
  Id nextId_ GUARDED_BY(mu_) = 1;
  // When the thread will next look at the queue (it never sleeps longer than kIdleTick).
  core::Clock::MonoTime wakeAt_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bakery::runtime
