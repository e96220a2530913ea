// Helpers shared by the BlobStore and MetaStore conformance suites.
// Thread-safety: call from the test's thread; RunTogether's fn runs on n threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace tapistry::conformance {

// Starts n threads that begin fn(i) at the same moment (a spin barrier), then joins them: how the
// suites provoke races instead of hoping for them.
inline void RunTogether(int n, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (ready.load() < n) std::this_thread::yield();
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

// Test names say the backend (ctest -R Fs) rather than the factory's template name.
struct BackendName {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace tapistry::conformance
