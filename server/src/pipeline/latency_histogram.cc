#include "pipeline/latency_histogram.h"

#include <algorithm>

namespace tapistry {

void LatencyHistogram::Record(uint64_t ns) {
  const uint64_t us = ns / 1000;
  const auto it =
      std::lower_bound(kLatencyBucketBoundsUs.begin(), kLatencyBucketBoundsUs.end(), us);
  counts_[static_cast<size_t>(it - kLatencyBucketBoundsUs.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

LatencySnapshot LatencyHistogram::Snapshot() const {
  LatencySnapshot s;
  for (size_t i = 0; i < counts_.size(); ++i)
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  s.count = 0;
  for (uint64_t c : s.counts) s.count += c;
  s.sum_ns = sum_ns_.load(std::memory_order_relaxed);
  return s;
}

double LatencySnapshot::PercentileUs(double p) const {
  if (count == 0) return 0;
  const double rank = std::clamp(p, 0.0, 1.0) * static_cast<double>(count);
  double seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (seen + counts[i] >= rank) {
      if (i == kLatencyBucketCount) return static_cast<double>(kLatencyBucketBoundsUs.back());
      const double lo = i == 0 ? 0.0 : static_cast<double>(kLatencyBucketBoundsUs[i - 1]);
      const double hi = static_cast<double>(kLatencyBucketBoundsUs[i]);
      return lo + (hi - lo) * ((rank - seen) / static_cast<double>(counts[i]));
    }
    seen += static_cast<double>(counts[i]);
  }
  return static_cast<double>(kLatencyBucketBoundsUs.back());
}

}  // namespace tapistry
