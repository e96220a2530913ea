// Clock: the one source of "now" for code that must be testable with a fake time.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace tapistry {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (wall clock, UTC).
  virtual int64_t NowMs() const = 0;
  // Monotonic nanoseconds, for durations and rate limiting.
  virtual int64_t MonoNs() const = 0;
};

// The real clock.
Clock* SystemClock();

// A clock tests move by hand.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1723718400000) : now_ms_(now_ms), mono_ns_(0) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonoNs() const override { return mono_ns_.load(); }
  void AdvanceMs(int64_t ms) {
    now_ms_ += ms;
    mono_ns_ += ms * 1000000;
  }

 private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int64_t> mono_ns_;
};

}  // namespace tapistry
