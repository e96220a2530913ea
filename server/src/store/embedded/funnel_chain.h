// FunnelChains: one unit's funnel outcome (tapistry/funnel.h) from its events in time order —
// how far it got, the earliest chain that got there, and whether an exclusion removes it.
//
// Exact for every rule of funnel.h, in polynomial time. Events at one timestamp form a group;
// a chain fills steps group by group, and inside a group any of its events may fill any of the
// steps that group takes, so "which steps can this group fill" is a small bipartite matching
// (steps against the group's events), solved by augmenting paths one step at a time (a prefix of
// the remaining steps). Over groups:
// - sequential: filling the longest prefix at each group is optimal (a chain that has filled
//   more steps can always continue as one that filled fewer), so one pass decides;
// - strict: no page view, click or custom event may lie strictly between two steps, so the
//   chain must use every such group it passes — the pass carries the set of step counts the
//   chain may have reached, since filling fewer steps now can let the next group continue;
// - any order: the chain's events lie in a window [t0, t0 + window] that contains step 1; every
//   t0 at an event's time is tried, each a matching of the remaining steps.
// The earliest chain reaching the furthest step is then built step by step: for each step, the
// first event (in time, then event_id order) with which the furthest step is still reachable.
//
// Thread-safety: one FunnelChains per thread (it keeps scratch buffers).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tapistry/funnel.h"

namespace tapistry::store {

// One event of a unit. A unit's events come ascending by (ts, event_id).
struct ChainEvent {
  int64_t ts = 0;
  uint32_t steps = 0;       // bit s: the event matches step s (0-based)
  uint32_t exclusions = 0;  // bit x: the event matches exclusion x's step
  bool interrupts = false;  // a page view, click or custom event (breaks a strict funnel)
};

struct ChainOutcome {
  size_t furthest = 0;          // steps reached; 0: no step-1 event in the range
  std::vector<uint32_t> chain;  // indices of the chain's events, step by step
  bool excluded = false;        // an exclusion removes the unit
};

class FunnelChains {
 public:
  // [range_start_ms, range_end_ms): where a step-1 event must lie (the query's days).
  FunnelChains(const FunnelQuery& q, int64_t range_start_ms, int64_t range_end_ms);

  ChainOutcome Run(std::span<const ChainEvent> events);

 private:
  size_t MaxPrefix(size_t first_step);
  void PoolGroup(size_t g, std::span<const uint32_t> used);
  size_t ReachOrdered(size_t g, std::span<const uint32_t> used, size_t placed, int64_t t_end);
  size_t ReachAnyOrder(std::span<const uint32_t> chain, size_t placed);
  size_t Reach(std::span<const uint32_t> chain, size_t placed);
  bool Augment(size_t step);

  size_t nsteps_;
  FunnelMode mode_;
  int64_t window_;
  int64_t range_start_, range_end_;
  std::vector<FunnelExclusion> exclusions_;

  std::span<const ChainEvent> ev_;
  std::vector<uint32_t> group_of_;     // event -> group
  std::vector<uint32_t> group_begin_;  // group -> first event; one extra entry at the end
  std::vector<uint32_t> pool_;         // events the matching may use
  std::vector<int32_t> owner_;         // pool position -> step it fills, or -1
  std::vector<uint8_t> visited_;
};

}  // namespace tapistry::store
