#include "store/embedded/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tapistry::store {
namespace {

// One ParallelFor call: indices are claimed with an atomic counter by whoever is free.
struct Job {
  size_t n;
  const std::function<void(size_t)>* fn;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::mutex mu;
  std::condition_variable cv;

  void Run() {
    size_t finished = 0;
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      (*fn)(i);
      ++finished;
    }
    if (finished > 0 && done.fetch_add(finished) + finished == n) {
      std::lock_guard<std::mutex> l(mu);
      cv.notify_all();
    }
  }
};

class Pool {
 public:
  Pool() {
    size_t hw = std::max<size_t>(1, std::thread::hardware_concurrency());
    for (size_t i = 0; i + 1 < hw; ++i) {
      std::thread([this] { Loop(); }).detach();  // lives as long as the process
    }
    degree_ = hw;
  }
  size_t degree() const { return degree_; }

  void Submit(std::shared_ptr<Job> job, size_t helpers) {
    std::lock_guard<std::mutex> l(mu_);
    for (size_t i = 0; i < helpers; ++i) queue_.push_back(job);
    cv_.notify_all();
  }

 private:
  void Loop() {
    while (true) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job->Run();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  size_t degree_ = 1;
};

Pool& GetPool() {
  static Pool* pool = new Pool();  // never destroyed: detached workers may still hold it
  return *pool;
}

}  // namespace

size_t ParallelismDegree() { return GetPool().degree(); }

void ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  Pool& pool = GetPool();
  if (n == 1 || pool.degree() == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->n = n;
  job->fn = &fn;
  pool.Submit(job, std::min(n - 1, pool.degree() - 1));
  job->Run();
  std::unique_lock<std::mutex> l(job->mu);
  job->cv.wait(l, [&] { return job->done.load() == n; });
}

}  // namespace tapistry::store
