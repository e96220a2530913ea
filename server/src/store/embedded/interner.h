// Interners assign dense dictionary codes to strings and UUIDs as rows arrive, so a memtable
// partition is already dictionary-encoded when it is flushed. Open addressing over codes keeps
// the table small (4 bytes a slot) and the lookup to one hash and usually one compare.
// Thread-safety: not thread-safe; the owning RowBatch is guarded by the store's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tapistry/event.h"

namespace tapistry::store {

// Append-only storage for interned bytes. Chunks never move, so string_views into them stay
// valid for as long as someone holds the arena (query snapshots share ownership).
class Arena {
 public:
  std::string_view Copy(std::string_view s);
  size_t bytes() const { return bytes_; }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cur_ = nullptr;
  size_t left_ = 0;
  size_t bytes_ = 0;
};

class StringInterner {
 public:
  // Appends to *values; code 0 is always "" (most optional strings are empty).
  explicit StringInterner(std::vector<std::string_view>* values, std::shared_ptr<Arena> arena);
  uint32_t Intern(std::string_view s);
  size_t table_bytes() const { return table_.size() * sizeof(uint32_t); }

 private:
  void Grow();
  std::vector<std::string_view>* values_;
  std::shared_ptr<Arena> arena_;
  std::vector<uint32_t> table_;  // kEmpty or a code
  uint32_t last_ = 0;            // consecutive rows often repeat a value
};

class UuidInterner {
 public:
  explicit UuidInterner(std::vector<Uuid>* values);
  uint32_t Intern(const Uuid& u);
  size_t table_bytes() const { return table_.size() * sizeof(uint32_t); }

 private:
  void Grow();
  std::vector<Uuid>* values_;
  std::vector<uint32_t> table_;
  uint32_t last_ = UINT32_MAX;
};

}  // namespace tapistry::store
