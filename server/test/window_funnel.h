// ClickHouse's windowFunnel, as a second opinion on sequential funnels.
//
// DESIGN §5: in sequential mode, on distinct timestamps, a unit reaches step k exactly when
//   windowFunnel(window_ms)(ts, step1 AND toDate(ts) BETWEEN from AND to, step2, ..., stepN) >= k
// over the unit's events. This re-implements windowFunnel's documented algorithm (one pass over
// the unit's events in time order; per level, the start of the latest chain that reached it; a
// row's conditions tried from the last to the first so that one row advances at most one level;
// the window inclusive: ts <= start + window) — a greedy scan that shares nothing with the
// reference's chain enumeration, so agreement between the two means something.
// Thread-safety: pure function; test code.
#pragma once

#include <optional>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/funnel.h"

namespace tapistry::reference {

// Units per step as ClickHouse would count them, or nullopt when the equivalence does not hold
// (an invalid query, mode not sequential, exclusions, or two step-matching events of one unit on
// the same ms).
std::optional<std::vector<uint64_t>> WindowFunnelUnits(const std::vector<Event>& events,
                                                       const FunnelQuery& q);

}  // namespace tapistry::reference
