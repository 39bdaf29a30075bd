#include "platform/runtime/deadline_queue.h"

#include <algorithm>
#include <vector>

namespace bakery::runtime {

DeadlineQueue::DeadlineQueue(const core::Clock& clock, bool startThread)
    : clock_(clock), wakeAt_(core::Clock::MonoTime::max()) {
  if (startThread) thread_ = std::thread([this] { run(); });
}

DeadlineQueue::~DeadlineQueue() { stop(); }

DeadlineQueue::Id DeadlineQueue::add(core::Clock::MonoTime deadline,
                                     std::function<void()> onExpire) {
  bool sooner;
  Id id;
  {
    core::MutexLock lock(mu_);
    id = nextId_++;
    sooner = deadline < wakeAt_;
    entries_.emplace(std::make_pair(deadline, id), std::move(onExpire));
    deadlines_.emplace(id, deadline);
  }
  // Only a deadline before the thread's planned wake-up needs to shorten its sleep.
  if (sooner) changed_.notify_one();
  return id;
}

bool DeadlineQueue::cancel(Id id) {
  core::MutexLock lock(mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return false;
  entries_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
  return true;
}

int DeadlineQueue::runDue(core::Clock::MonoTime now) {
  std::vector<std::function<void()>> due;
  {
    core::MutexLock lock(mu_);
    while (!entries_.empty() && entries_.begin()->first.first <= now) {
      auto node = entries_.extract(entries_.begin());
      deadlines_.erase(node.key().second);
      due.push_back(std::move(node.mapped()));
    }
  }
  for (auto& f : due) f();
  return static_cast<int>(due.size());
}

void DeadlineQueue::stop() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeadlineQueue::run() {
  for (;;) {
    {
      core::MutexLock lock(mu_);
      if (stopping_) return;
      // The deadline is on the injected clock; the wait itself is on the real steady clock,
      // which is what the production clock is.
      auto now = clock_.monoNow();
      wakeAt_ = now + kIdleTick;
      if (!entries_.empty()) wakeAt_ = std::min(wakeAt_, entries_.begin()->first.first);
      if (wakeAt_ > now) changed_.wait_for(lock.native(), wakeAt_ - now);
      wakeAt_ = core::Clock::MonoTime::min();  // awake: adds need no notification
      if (stopping_) return;
    }
    runDue(clock_.monoNow());
  }
}

}  // namespace bakery::runtime
