// LatencyHistogram: fixed-bucket histogram of operation durations (fsync, submit-to-ack), shaped
// for a Prometheus histogram: upper bounds in microseconds on a 1-2-5 series from 10 us to 10 s,
// plus an overflow bucket. Fixed buckets keep Record() to one atomic increment, so it can sit on
// the group-commit path.
// Thread-safety: Record and Snapshot may be called concurrently from any thread; a Snapshot taken
// during Record calls may be off by the in-flight samples, never torn.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tapistry {

inline constexpr size_t kLatencyBucketCount = 19;
// Upper bound (inclusive, "le") of each bucket in microseconds; one more bucket holds the rest.
inline constexpr std::array<uint64_t, kLatencyBucketCount> kLatencyBucketBoundsUs = {
    10,    20,    50,     100,    200,    500,     1000,    2000,    5000,    10000,
    20000, 50000, 100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000};

struct LatencySnapshot {
  // counts[i] = samples in bucket i (not cumulative); counts[kLatencyBucketCount] = over the
  // last bound. Prometheus' `_bucket{le=...}` series is the running sum of these.
  std::array<uint64_t, kLatencyBucketCount + 1> counts{};
  uint64_t count = 0;
  uint64_t sum_ns = 0;

  // Estimated p-quantile (0 < p <= 1) in microseconds, interpolating linearly inside the bucket
  // that holds it; 0 when empty. Samples past the last bound report that bound.
  double PercentileUs(double p) const;
  double MeanUs() const { return count ? static_cast<double>(sum_ns) / 1000.0 / count : 0; }
};

class LatencyHistogram {
 public:
  void Record(uint64_t ns);
  LatencySnapshot Snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kLatencyBucketCount + 1> counts_{};
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace tapistry
