// Token-bucket rate limiter (spec §18, Appendix F) keyed by strings such as "p:<project>",
// "ip:<addr>", "s:<session>". Memory is bounded: a bucket that has refilled completely is the
// same as no bucket, so idle keys are swept when a shard grows past its share of `max_keys`.
// Thread-safety: safe for concurrent use (sharded mutexes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tapistry/clock.h"

namespace tapistry {

class RateLimiter {
 public:
  explicit RateLimiter(Clock* clock, size_t max_keys = 1 << 20);

  // Takes `cost` tokens from the bucket of `key` (capacity `burst`, refilled at `rate` per
  // second). Returns true when allowed; otherwise *retry_after_s says when enough tokens will be
  // there (rounded up to whole seconds, at least 1).
  bool Allow(std::string_view key, double rate, double burst, double cost, int* retry_after_s);

  // Takes up to `n` single tokens from the bucket of `key` and returns how many it took: the
  // same answer as `n` calls of Allow(key, rate, burst, 1) in a row, in one lookup.
  size_t AllowUpTo(std::string_view key, double rate, double burst, size_t n);

  // Fraction of the bucket in use (0 = idle, 1 = empty bucket), without taking tokens.
  double Pressure(std::string_view key, double rate, double burst);

  size_t Size() const;

 private:
  struct Bucket {
    double tokens;
    int64_t last_ns;
  };
  // Lookups by string_view without building a std::string (only a new key allocates).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return std::hash<std::string_view>()(k); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Bucket, KeyHash, std::equal_to<>> buckets;
  };
  static constexpr size_t kShards = 16;

  Shard& ShardFor(std::string_view key);
  // The refilled bucket of `key` (created full); s.mu held.
  Bucket& RefillLocked(Shard& s, std::string_view key, int64_t now_ns, double rate, double burst);
  void Sweep(Shard& s, int64_t now_ns, double rate, double burst);

  Clock* clock_;
  size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace tapistry
