#include "ops/metrics.h"

#include <cmath>
#include <cstdio>
#include <set>

namespace tapistry {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::max(0.0, v) * 1e6), std::memory_order_relaxed);
}

double Histogram::Quantile(double q) const {
  uint64_t total = Count();
  if (total == 0) return 0;
  uint64_t target = static_cast<uint64_t>(std::ceil(q * total)), acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    if (acc >= target) return i < bounds_.size() ? bounds_[i] : INFINITY;
  }
  return INFINITY;
}

static std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  std::string sep = labels.empty() ? "" : ",";
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? Fmt(bounds_[i]) : "+Inf";
    *out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(acc) + "\n";
  }
  std::string l = labels.empty() ? "" : "{" + labels + "}";
  *out += name + "_sum" + l + " " + Fmt(sum_micro_.load() / 1e6) + "\n";
  *out += name + "_count" + l + " " + std::to_string(Count()) + "\n";
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const std::string& labels) {
  std::lock_guard lock(mu_);
  for (auto& e : counters_) {
    if (e.name == name && e.labels == labels) return e.c.get();
  }
  counters_.push_back({name, help, labels, std::make_unique<Counter>()});
  return counters_.back().c.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const std::string& labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  for (auto& e : hists_) {
    if (e.name == name && e.labels == labels) return e.h.get();
  }
  hists_.push_back({name, help, labels, std::make_unique<Histogram>(std::move(bounds))});
  return hists_.back().h.get();
}

void MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                               std::function<double()> fn) {
  std::lock_guard lock(mu_);
  gauges_.push_back({name, help, std::move(fn)});
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::set<std::string> described;
  for (const auto& e : counters_) {
    if (described.insert(e.name).second) {
      out += "# HELP " + e.name + " " + e.help + "\n# TYPE " + e.name + " counter\n";
    }
    out += e.name + (e.labels.empty() ? "" : "{" + e.labels + "}") + " " +
           std::to_string(e.c->Value()) + "\n";
  }
  for (const auto& e : hists_) {
    if (described.insert(e.name).second) {
      out += "# HELP " + e.name + " " + e.help + "\n# TYPE " + e.name + " histogram\n";
    }
    e.h->Render(e.name, e.labels, &out);
  }
  for (const auto& e : gauges_) {
    out += "# HELP " + e.name + " " + e.help + "\n# TYPE " + e.name + " gauge\n";
    out += e.name + " " + Fmt(e.fn()) + "\n";
  }
  return out;
}

}  // namespace tapistry
