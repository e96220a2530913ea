// Metrics: counters, gauges and histograms rendered as Prometheus text at GET /metrics.
// Label sets are fixed at registration time (no unbounded cardinality from client input).
// Thread-safety: registration takes a lock; updates are lock-free atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tapistry {

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Approximate quantile from the buckets (upper bound of the bucket holding it).
  double Quantile(double q) const;
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum * 1e6, to stay integral
};

// Latency buckets in seconds, 0.1 ms .. 10 s.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  // Returns the counter for (name, labels), creating it once. `labels` is preformatted:
  // `reason="bad_json"`. Pointers stay valid for the registry's lifetime.
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const std::string& labels = "");
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::string& labels = "",
                          std::vector<double> bounds = LatencyBuckets());
  // A gauge whose value is read at render time.
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> fn);

  std::string RenderPrometheus() const;

 private:
  struct CounterEntry {
    std::string name, help, labels;
    std::unique_ptr<Counter> c;
  };
  struct HistEntry {
    std::string name, help, labels;
    std::unique_ptr<Histogram> h;
  };
  struct GaugeEntry {
    std::string name, help;
    std::function<double()> fn;
  };
  mutable std::mutex mu_;
  std::vector<CounterEntry> counters_;
  std::vector<HistEntry> hists_;
  std::vector<GaugeEntry> gauges_;
};

}  // namespace tapistry
