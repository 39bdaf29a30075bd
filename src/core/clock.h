// Clock: the seam for time. Production code takes a Clock& and never calls
// std::chrono::*::now() itself, so tests drive time with ManualClock and never sleep.
// Thread-safe: both implementations may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace bakery::core {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Calendar time: timestamps in logs and events.
  virtual WallTime wallNow() const = 0;
  // Monotonic time: deadlines, durations, expiry.
  virtual MonoTime monoNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  MonoTime monoNow() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told to; both faces advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)))
      : wall_(start.time_since_epoch().count()) {}

  WallTime wallNow() const override { return WallTime(WallTime::duration(wall_.load())); }
  MonoTime monoNow() const override { return MonoTime(MonoTime::duration(mono_.load())); }

  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ += std::chrono::duration_cast<MonoTime::duration>(d).count();
  }

 private:
  std::atomic<WallTime::rep> wall_;
  std::atomic<MonoTime::rep> mono_{0};
};

}  // namespace bakery::core
