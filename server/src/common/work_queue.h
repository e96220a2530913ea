// WorkQueue: a few threads for slow, blocking work that must not run on the HTTP I/O threads
// (an upstream asset fetch may take seconds). Bounded: past `max_queued` waiting jobs, Submit
// refuses (the caller answers 503), so no caller can pile up threads or memory.
// Thread-safety: Submit from any thread; the destructor waits for running jobs and drops queued
// ones.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tapistry {

class WorkQueue {
 public:
  WorkQueue(size_t threads, size_t max_queued);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when the queue is full (the job is not run).
  bool Submit(std::function<void()> job);

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tapistry
