// ScratchString: a string borrowed from a small per-thread pool and handed back, with its
// capacity, when destroyed. Queries decompress a few MB of rollups per segment; fresh
// allocations of that size come straight from mmap and cost a page fault per 4 KB every query,
// while pooled buffers are already mapped. The pool keeps at most kMaxPooled buffers of at most
// kMaxPooledBytes each per thread, so what stays resident is bounded.
// Thread-safety: a ScratchString is used by one thread at a time; it may be destroyed on another
// thread than the one it was taken on (it then joins that thread's pool).
#pragma once

#include <memory>
#include <string>

namespace tapistry::store {

class ScratchString {
 public:
  static constexpr size_t kMaxPooled = 16;
  static constexpr size_t kMaxPooledBytes = 4u << 20;

  ScratchString();
  ~ScratchString();
  ScratchString(ScratchString&& other) noexcept = default;
  ScratchString& operator=(ScratchString&& other) noexcept;
  ScratchString(const ScratchString&) = delete;
  ScratchString& operator=(const ScratchString&) = delete;

  std::string& operator*() { return *s_; }
  const std::string& operator*() const { return *s_; }
  std::string* operator->() { return s_.get(); }
  const std::string* operator->() const { return s_.get(); }
  std::string* get() { return s_.get(); }

 private:
  void Release();
  std::unique_ptr<std::string> s_;
};

}  // namespace tapistry::store
