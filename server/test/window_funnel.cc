#include "window_funnel.h"

#include <algorithm>
#include <map>
#include <set>

#include "reference_event_store.h"

namespace tapistry::reference {

std::optional<std::vector<uint64_t>> WindowFunnelUnits(const std::vector<Event>& events,
                                                       const FunnelQuery& q) {
  if (!ValidateFunnelQuery(q).ok()) return std::nullopt;
  if (q.mode != FunnelMode::kSequential || !q.exclusions.empty()) return std::nullopt;
  const size_t n = q.steps.size();
  // Per unit, the rows that match some step: (ts, which conditions hold).
  std::map<Uuid, std::vector<std::pair<int64_t, std::vector<bool>>>> units;
  for (const Event& e : events) {
    if (e.project_id != q.project_id) continue;
    std::vector<bool> cond(n);
    bool any = false;
    for (size_t s = 0; s < n; ++s) {
      cond[s] = MatchesStep(e, q.steps[s]);
      if (s == 0) cond[s] = cond[s] && DayOf(e.ts_ms) >= q.from_day && DayOf(e.ts_ms) <= q.to_day;
      any |= cond[s];
    }
    if (any)
      units[q.unit == FunnelUnit::kSession ? e.session_id : e.anonymous_id].emplace_back(e.ts_ms,
                                                                                         cond);
  }
  std::vector<uint64_t> out(n, 0);
  for (auto& [unit, rows] : units) {
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].first == rows[i - 1].first) return std::nullopt;  // equal timestamps
    }
    std::vector<std::optional<int64_t>> start(n);  // per level: start of the chain that reached it
    for (const auto& [ts, cond] : rows) {
      for (size_t s = n; s-- > 0;) {
        if (!cond[s]) continue;
        if (s == 0) {
          start[0] = ts;
        } else if (start[s - 1] && ts <= *start[s - 1] + q.window_ms) {
          start[s] = start[s - 1];
        }
      }
    }
    for (size_t s = 0; s < n; ++s) out[s] += start[s] ? 1 : 0;
  }
  return out;
}

}  // namespace tapistry::reference
