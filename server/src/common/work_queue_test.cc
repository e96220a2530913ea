// WorkQueue bounds what a caller can pile up: past max_queued, Submit refuses (the asset route
// answers 503), and queued jobs are dropped, not run, once the queue stops.
#include "common/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace tapistry {
namespace {

TEST(WorkQueueTest, RefusesPastItsBoundAndRunsWhatItTook) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ran{0};
  auto blocker = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    ++ran;
  };
  {
    WorkQueue q(1, 2);
    ASSERT_TRUE(
        q.Submit(blocker));  // taken by the one thread (may still sit in the queue a moment)
    while (true) {           // fill the queue to its bound
      if (!q.Submit(blocker)) break;
    }
    EXPECT_FALSE(q.Submit([&] { ++ran; })) << "past the bound: refused, not run";
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    while (ran.load() < 1) std::this_thread::yield();
  }
  EXPECT_GE(ran.load(), 1);
  EXPECT_LE(ran.load(), 3) << "at most the running job and the two it queued";
}

}  // namespace
}  // namespace tapistry
