// Runs test code with gtest's reporter intercepted and returns the failures it raised, so an
// honesty test can assert that a conformance check *fails* on a wrong store without failing
// itself. Failures from every thread count (the race checks assert from worker threads).
// Thread-safety: call from the test's main thread.
#pragma once

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace tapistry::conformance {

struct CheckOutcome {
  int failures = 0;
  std::string first;  // the first failure's message, for the assertion that expected none
};

inline CheckOutcome RunIntercepted(const std::function<void()>& fn) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ALL_THREADS, &results);
    fn();
  }
  CheckOutcome out;
  out.failures = results.size();
  if (out.failures > 0) out.first = results.GetTestPartResult(0).message();
  return out;
}

}  // namespace tapistry::conformance
