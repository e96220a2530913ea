// The per-session operator: every session's — or, on request, every visitor's — selected rows
// in time order, across all the sources of a query (segments of several days, the memtable, the
// bots' partitions), with the cross-source merge done here once.
//
// Each source runs in parallel: the caller's `select` sees the source's columns and picks rows,
// giving each a 64-bit tag of its own (e.g. which funnel steps the row matches, compiled to the
// source's dictionary codes). Units get global ids from the union of the sources' sorted
// session (or anonymous) dictionaries, so one session spread over midnight, several segments
// and the memtable is one unit. A unit only one source holds — most sessions — is handed to the
// caller right there, from the source's own task: a segment keeps each session's rows together
// in (ts, event_id) order, so it needs neither a sort nor its event ids. The rows of units that
// several sources hold are merged once, ordered by (ts, event_id) — event ids are read only for
// rows of different sources at one millisecond — and handed over from a second parallel phase.
//
// The operator's two halves serve the other per-session queries as well: UnitIds (the global
// session and visitor ids of a query's sources) and ForEachSharedSession (the records of the
// sessions several sources hold, combined per session) are how overview.cc and
// store_breakdown.cc, which answer most sessions from rollups inside one source, merge the rest.
// Used by the funnel engine (store_funnel.cc); "sessions that did X" (replay lists, drop-offs)
// and other per-unit questions read the same rows.
// Thread-safety: pure functions; `select` and `unit` are called from several threads at once,
// never two at a time with the same worker number.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "store/embedded/source.h"
#include "store/embedded/uuid_union.h"
#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry::store {

enum class UnitKind : uint8_t { kSession, kVisitor };

struct UnitRow {
  int64_t ts;
  uint64_t tag;     // the caller's, from `select`
  uint32_t source;  // index in the SourceList
  uint32_t row;     // row in that source
};

// One selected row of a source and its tag.
struct TaggedRow {
  uint32_t row;
  uint64_t tag;
};

// select(i, source, columns, out): appends the rows of sources[i] to keep, ascending. `columns`
// holds at least `mask` plus ts and the unit's uuid column.
using RowSelect =
    std::function<Status(size_t, const Source&, const Columns&, std::vector<TaggedRow>*)>;
// unit(worker, rows): one unit's selected rows, ascending by (ts, event_id). worker < UnitWorkers.
using UnitFn = std::function<Status(size_t, std::span<const UnitRow>)>;

// The worker numbers ForEachUnit uses for `sources`: one per source, then the merge's.
size_t UnitWorkers(const SourceList& sources);

// Calls `unit` once for every unit with a selected row. Returns the first error of select or unit.
Status ForEachUnit(const SourceList& sources, UnitKind kind, ColumnMask mask,
                   const RowSelect& select, const UnitFn& unit);

// Global ids of the sessions and visitors of a query's sources: the unions of their sorted
// dictionaries (uuid_union.h). A session with multiplicity > 1 is held by several sources (it
// crosses midnight, or spreads over a day's segments, the memtable and the bots' partition).
struct UnitIds {
  std::vector<int> index;    // per source: its list in the unions; -1 when it is not read
  std::vector<size_t> live;  // the sources read, ascending
  std::vector<std::shared_ptr<const std::vector<Uuid>>> sessions, visitors;  // per source
  UuidUnionResult session_ids, visitor_ids;
  const std::vector<uint32_t>& SessionGids(size_t source) const {
    return session_ids.gid[static_cast<size_t>(index[source])];
  }
  const std::vector<uint32_t>& VisitorGids(size_t source) const {
    return visitor_ids.gid[static_cast<size_t>(index[source])];
  }
  bool Shared(uint32_t session_gid) const { return session_ids.multiplicity[session_gid] > 1; }
};

struct UnitIdsWanted {
  bool sessions = true;
  bool visitors = true;
  bool visitor_gids = true;  // false: only visitor_ids.distinct is computed
};

// Reads the dictionaries of every source i with read[i] and no zero rows, and unions them.
Status LoadUnitIds(const SourceList& sources, const std::vector<uint8_t>& read, UnitIdsWanted want,
                   UnitIds* out);

// The cross-source merge of per-session records: sorts `records` (each with a `gid` member, the
// session's global id) by gid, then by `less` within a session, and calls
// fn(records[a .. b)) once per session, in gid order. Stops at the first error fn returns.
template <typename R, typename Less, typename Fn>
Status ForEachSharedSession(std::vector<R>& records, Less less, Fn fn) {
  std::sort(records.begin(), records.end(),
            [&](const R& x, const R& y) { return x.gid != y.gid ? x.gid < y.gid : less(x, y); });
  for (size_t a = 0; a < records.size();) {
    size_t b = a + 1;
    while (b < records.size() && records[b].gid == records[a].gid) ++b;
    TAP_RETURN_IF_ERROR(fn(std::span<R>(records.data() + a, b - a)));
    a = b;
  }
  return Status::Ok();
}

// The columns the operator reads itself (memtable copies must hold them).
ColumnMask UnitColumns(UnitKind kind);

}  // namespace tapistry::store
