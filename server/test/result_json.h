// The answers of EventStore queries as JSON: the "expect" language of the golden cases
// (golden/README.md) and what the conformance suite prints when a backend disagrees.
// One shape per result type, every field written (histograms sparse: only non-zero depths).
// Thread-safety: pure functions; test code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/funnel.h"
#include "tapistry/status.h"

namespace tapistry::reference {

std::string ToJson(const OverviewResult& r);
std::string ToJson(const HeatmapResult& r);
std::string ToJson(const ScrollMapResult& r);
std::string ToJson(const ElementsResult& r);
std::string ToJson(const ElementHeatmapResult& r);
std::string ToJson(const std::vector<LayoutCount>& r);
std::string ToJson(const BreakdownResult& r);
std::string ToJson(const std::vector<PathCount>& r);
std::string ToJson(const std::vector<Event>& r);  // ListEvents: id, ts, type, path of each
std::string ToJson(const FunnelResult& r);
// The funnel's times and trend (golden query "funnel_times"): units, median and p90 per step,
// the time-to-convert buckets and the days.
std::string FunnelTimesJson(const FunnelResult& r);
// Ids written as `name(id)` says (the golden runner gives back its short names), else as UUIDs.
std::string ToJson(const FunnelMembersResult& r,
                   const std::function<std::string(const Uuid&)>& name = nullptr);
std::string LiveVisitorsJson(uint64_t visitors);
// {"error": "<StatusCodeName>"}: what a golden case expects of a query that must be refused.
std::string ErrorJson(const Status& s);

// Renders a Result: the value's JSON, or ErrorJson of its status.
template <typename T>
std::string ToJson(const Result<T>& r) {
  return r.ok() ? ToJson(r.value()) : ErrorJson(r.status());
}

}  // namespace tapistry::reference
