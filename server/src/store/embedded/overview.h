// The overview query (GET /api/overview) over a snapshot of sources: totals, a daily series and
// top pages, with exactly the meaning event_store.h gives them (the numbers ClickHouse's
// count()/uniqExact over the same events would give).
//
// How it stays exact and fast: every source's session and visitor dictionaries are sorted UUIDs,
// so per-source distinct counts are dictionary sizes (or counts of selected codes), and the
// range totals are a union of those dictionaries (UuidUnion) rather than a per-row hash set.
// Segment rows are ordered by session, so "distinct sessions per path" is one linear pass that
// remembers the last session seen per path; sessions present in more than one source (crossing
// midnight, or spread over uncompacted segments) emit (session, path) pairs that are deduplicated
// globally, so no session is counted twice for a path.
// Thread-safety: pure function over immutable sources; runs sources in parallel.
#pragma once

#include "store/embedded/source.h"
#include "tapistry/event_store.h"

namespace tapistry::store {

// `sources` must be the partitions of q.filter.project_id within [from_day, to_day].
Result<OverviewResult> RunOverview(const SourceList& sources, const OverviewQuery& q);

// The series of an Interval::kHour overview (overview_hourly.cc): 24 entries per day of f's
// range, from a scan of the sources' rows (the same sources as RunOverview's).
Status HourlySeries(const SourceList& sources, const EventFilter& f, std::vector<OverviewDay>* out);

// Widest day range a query may span (a series entry per day is allocated).
inline constexpr int32_t kMaxQueryDays = 20 * 366;

}  // namespace tapistry::store
