// DictCache: a small LRU of decoded session/visitor dictionaries, keyed by segment and column.
// Every overview needs the sorted UUID dictionaries of every segment in range (they are what
// distinct counts are computed from); keeping the decoded form of the hot ones saves the read,
// checksum and copy on warm queries. Bounded by bytes, so memory stays flat however much data
// the store holds; segments are immutable, so entries never go stale (a replaced segment's
// entries just age out).
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "tapistry/event.h"

namespace tapistry::store {

class DictCache {
 public:
  using Value = std::shared_ptr<const std::vector<Uuid>>;
  explicit DictCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  Value Get(uint64_t key);
  // Values larger than the whole capacity are not kept.
  void Put(uint64_t key, Value value);
  size_t bytes() const;

 private:
  struct Entry {
    uint64_t key;
    Value value;
    size_t bytes;
  };
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<uint64_t, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace tapistry::store
