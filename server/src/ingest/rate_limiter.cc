#include "ingest/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace tapistry {

RateLimiter::RateLimiter(Clock* clock, size_t max_keys)
    : clock_(clock), max_per_shard_(std::max<size_t>(16, max_keys / kShards)) {}

RateLimiter::Shard& RateLimiter::ShardFor(std::string_view key) {
  return shards_[std::hash<std::string_view>()(key) % kShards];
}

void RateLimiter::Sweep(Shard& s, int64_t now_ns, double rate, double burst) {
  // Drop buckets that are full again: forgetting them changes no decision.
  for (auto it = s.buckets.begin(); it != s.buckets.end();) {
    double refill = (now_ns - it->second.last_ns) / 1e9 * rate;
    if (it->second.tokens + refill >= burst) {
      it = s.buckets.erase(it);
    } else {
      ++it;
    }
  }
  // Still over (an attack with many keys): forget half, which errs towards allowing.
  if (s.buckets.size() > max_per_shard_) {
    size_t drop = s.buckets.size() / 2;
    for (auto it = s.buckets.begin(); it != s.buckets.end() && drop > 0; --drop)
      it = s.buckets.erase(it);
  }
}

RateLimiter::Bucket& RateLimiter::RefillLocked(Shard& s, std::string_view key, int64_t now_ns,
                                               double rate, double burst) {
  auto it = s.buckets.find(key);
  if (it == s.buckets.end()) {
    if (s.buckets.size() >= max_per_shard_) Sweep(s, now_ns, rate, burst);
    it = s.buckets.emplace(std::string(key), Bucket{burst, now_ns}).first;
  }
  Bucket& b = it->second;
  b.tokens = std::min(burst, b.tokens + (now_ns - b.last_ns) / 1e9 * rate);
  b.last_ns = now_ns;
  return b;
}

bool RateLimiter::Allow(std::string_view key, double rate, double burst, double cost,
                        int* retry_after_s) {
  if (rate <= 0) return true;
  const int64_t now = clock_->MonoNs();
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  Bucket& b = RefillLocked(s, key, now, rate, burst);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return true;
  }
  double wait = (cost - b.tokens) / rate;
  if (retry_after_s) *retry_after_s = std::max(1, static_cast<int>(std::ceil(wait)));
  return false;
}

size_t RateLimiter::AllowUpTo(std::string_view key, double rate, double burst, size_t n) {
  if (rate <= 0 || n == 0) return n;
  const int64_t now = clock_->MonoNs();
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  Bucket& b = RefillLocked(s, key, now, rate, burst);
  const size_t taken = b.tokens >= static_cast<double>(n)
                           ? n
                           : static_cast<size_t>(std::max(0.0, std::floor(b.tokens)));
  b.tokens -= static_cast<double>(taken);
  return taken;
}

double RateLimiter::Pressure(std::string_view key, double rate, double burst) {
  if (rate <= 0 || burst <= 0) return 0;
  int64_t now = clock_->MonoNs();
  Shard& s = ShardFor(key);
  std::lock_guard lock(s.mu);
  auto it = s.buckets.find(key);
  if (it == s.buckets.end()) return 0;
  double tokens = std::min(burst, it->second.tokens + (now - it->second.last_ns) / 1e9 * rate);
  return 1.0 - tokens / burst;
}

size_t RateLimiter::Size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace tapistry
