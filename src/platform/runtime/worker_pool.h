// WorkerPool: a fixed set of threads running posted tasks in FIFO order.
//
// The pool itself does not bound its queue: the Invoker admits at most `size()` invocations
// at once (excess callers get 429), so a posted task always finds a thread soon. Thread-safe.
// stop() lets queued tasks finish, then joins; the destructor calls it.
#pragma once

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "core/mutex.h"

namespace bakery::runtime {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void post(std::function<void()> task);
  void stop();
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void run();

  core::Mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace bakery::runtime
