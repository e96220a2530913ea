#include "store/embedded/funnel_chain.h"

#include <algorithm>
#include <bit>

namespace tapistry::store {

FunnelChains::FunnelChains(const FunnelQuery& q, int64_t range_start_ms, int64_t range_end_ms)
    : nsteps_(q.steps.size()), mode_(q.mode), window_(q.window_ms), range_start_(range_start_ms),
      range_end_(range_end_ms), exclusions_(q.exclusions) {}

// Kuhn's augmenting path for `step` over pool_: true when the matching grew by it.
bool FunnelChains::Augment(size_t step) {
  for (size_t k = 0; k < pool_.size(); ++k) {
    if (visited_[k] || !((ev_[pool_[k]].steps >> step) & 1)) continue;
    visited_[k] = 1;
    if (owner_[k] < 0 || Augment(static_cast<size_t>(owner_[k]))) {
      owner_[k] = static_cast<int32_t>(step);
      return true;
    }
  }
  return false;
}

// How many of the steps first_step, first_step + 1, ... distinct events of pool_ can fill.
size_t FunnelChains::MaxPrefix(size_t first_step) {
  if (pool_.empty()) return 0;
  owner_.assign(pool_.size(), -1);
  size_t m = 0;
  for (size_t s = first_step; s < nsteps_; ++s) {
    visited_.assign(pool_.size(), 0);
    if (!Augment(s)) break;
    ++m;
  }
  return m;
}

void FunnelChains::PoolGroup(size_t g, std::span<const uint32_t> used) {
  pool_.clear();
  for (uint32_t i = group_begin_[g]; i < group_begin_[g + 1]; ++i) {
    if (ev_[i].steps != 0 && std::find(used.begin(), used.end(), i) == used.end())
      pool_.push_back(i);
  }
}

// The furthest step a sequential or strict chain reaches when `placed` steps are filled and the
// last of them lies in group g, where `used` are the chain's events; later steps by t_end.
size_t FunnelChains::ReachOrdered(size_t g, std::span<const uint32_t> used, size_t placed,
                                  int64_t t_end) {
  const size_t ngroups = group_begin_.size() - 1;
  PoolGroup(g, used);
  const size_t m = MaxPrefix(placed);
  if (mode_ == FunnelMode::kSequential) {
    size_t p = placed + m;
    for (size_t h = g + 1; h < ngroups && p < nsteps_; ++h) {
      if (ev_[group_begin_[h]].ts > t_end) break;
      PoolGroup(h, {});
      p += MaxPrefix(p);
    }
    return p;
  }
  // Strict: every group holding an interrupting event must take at least one step, so the pass
  // carries each step count the chain may have reached (bit p: p steps filled).
  uint32_t states = 0;
  for (size_t k = 0; k <= m; ++k) states |= uint32_t{1} << (placed + k);
  size_t best = placed + m;
  for (size_t h = g + 1; h < ngroups && best < nsteps_; ++h) {
    if (ev_[group_begin_[h]].ts > t_end) break;
    bool interrupts = false;
    for (uint32_t i = group_begin_[h]; i < group_begin_[h + 1]; ++i)
      interrupts |= ev_[i].interrupts;
    if (!interrupts) continue;
    PoolGroup(h, {});
    uint32_t next = 0;
    for (uint32_t s = states; s != 0; s &= s - 1) {
      const size_t p = static_cast<size_t>(std::countr_zero(s));
      const size_t more = MaxPrefix(p);
      for (size_t k = 1; k <= more; ++k) next |= uint32_t{1} << (p + k);
    }
    if (next == 0) break;
    states = next;
    best = std::max(best, static_cast<size_t>(31 - std::countl_zero(next)));
  }
  return best;
}

// The furthest step an any-order chain reaches when `chain` fills the first `placed` steps: the
// best window [t0, t0 + window] holding the chain, t0 at some event's time.
size_t FunnelChains::ReachAnyOrder(std::span<const uint32_t> chain, size_t placed) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t i : chain) {
    lo = std::min(lo, ev_[i].ts);
    hi = std::max(hi, ev_[i].ts);
  }
  size_t best = placed;
  const size_t ngroups = group_begin_.size() - 1;
  for (size_t h = 0; h < ngroups && best < nsteps_; ++h) {
    const int64_t t0 = ev_[group_begin_[h]].ts;
    if (t0 > lo) break;
    if (t0 < hi - window_) continue;
    pool_.clear();
    for (uint32_t i = group_begin_[h]; i < ev_.size() && ev_[i].ts - t0 <= window_; ++i) {
      if (ev_[i].steps != 0 && std::find(chain.begin(), chain.end(), i) == chain.end()) {
        pool_.push_back(i);
      }
    }
    best = std::max(best, placed + MaxPrefix(placed));
  }
  return best;
}

size_t FunnelChains::Reach(std::span<const uint32_t> chain, size_t placed) {
  if (mode_ == FunnelMode::kAnyOrder) return ReachAnyOrder(chain, placed);
  const uint32_t g = group_of_[chain.back()];
  // The chain's events in that group (ordered chains fill groups in time order: a suffix).
  size_t k = chain.size();
  while (k > 0 && group_of_[chain[k - 1]] == g) --k;
  return ReachOrdered(g, chain.subspan(k), placed, ev_[chain[0]].ts + window_);
}

ChainOutcome FunnelChains::Run(std::span<const ChainEvent> events) {
  ev_ = events;
  group_of_.resize(events.size());
  group_begin_.clear();
  for (uint32_t i = 0; i < events.size(); ++i) {
    if (i == 0 || events[i].ts != events[i - 1].ts) group_begin_.push_back(i);
    group_of_[i] = static_cast<uint32_t>(group_begin_.size() - 1);
  }
  group_begin_.push_back(static_cast<uint32_t>(events.size()));

  ChainOutcome o;
  std::vector<uint32_t>& chain = o.chain;
  // The furthest step, and the earliest step-1 event that reaches it.
  uint32_t first = 0;
  for (uint32_t i = 0; i < events.size() && o.furthest < nsteps_; ++i) {
    if (!(events[i].steps & 1) || events[i].ts < range_start_ || events[i].ts >= range_end_)
      continue;
    const uint32_t c1[] = {i};
    const size_t r = Reach(c1, 1);
    if (r > o.furthest) {
      o.furthest = r;
      first = i;
    }
  }
  if (o.furthest == 0) return o;

  // The earliest chain reaching it, step by step.
  chain.push_back(first);
  const int64_t t_end = events[first].ts + window_;
  for (size_t s = 1; s < o.furthest; ++s) {
    const uint32_t last = chain.back();
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t i : chain) {
      lo = std::min(lo, events[i].ts);
      hi = std::max(hi, events[i].ts);
    }
    // Strict: the next step lies in the last step's group or the next interrupting one.
    uint32_t next_group = UINT32_MAX;
    if (mode_ == FunnelMode::kStrict) {
      for (uint32_t i = group_begin_[group_of_[last] + 1]; i < events.size(); ++i) {
        if (events[i].interrupts) {
          next_group = group_of_[i];
          break;
        }
      }
    }
    bool found = false;
    for (uint32_t j = 0; j < events.size() && !found; ++j) {
      if (!((events[j].steps >> s) & 1) ||
          std::find(chain.begin(), chain.end(), j) != chain.end()) {
        continue;
      }
      if (mode_ == FunnelMode::kAnyOrder) {
        if (std::max(hi, events[j].ts) - std::min(lo, events[j].ts) > window_) continue;
      } else {
        if (events[j].ts < events[last].ts) continue;
        if (events[j].ts > t_end) break;
        if (mode_ == FunnelMode::kStrict && group_of_[j] != group_of_[last] &&
            group_of_[j] != next_group) {
          if (group_of_[j] > next_group) break;
          continue;
        }
      }
      chain.push_back(j);
      if (Reach(chain, s + 1) >= o.furthest) {
        found = true;
      } else {
        chain.pop_back();
      }
    }
    if (!found) {  // cannot happen: the furthest step was reached from this prefix
      o.furthest = s;
      break;
    }
  }

  for (size_t x = 0; x < exclusions_.size() && !o.excluded; ++x) {
    const FunnelExclusion& ex = exclusions_[x];
    if (o.furthest < ex.to_step) continue;
    const int64_t a = events[chain[ex.from_step - 1]].ts;
    const int64_t b = events[chain[ex.to_step - 1]].ts;
    const int64_t lo = std::min(a, b), hi = std::max(a, b);
    for (uint32_t i = 0; i < events.size() && !o.excluded; ++i) {
      if (!((events[i].exclusions >> x) & 1) || events[i].ts <= lo || events[i].ts >= hi) continue;
      o.excluded = std::find(chain.begin(), chain.end(), i) == chain.end();
    }
  }
  return o;
}

}  // namespace tapistry::store
