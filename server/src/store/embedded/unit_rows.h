// The per-session operator: every session's — or, on request, every visitor's — selected rows
// in time order, across all the sources of a query (segments of several days, the memtable, the
// bots' partitions), with the cross-source merge done here once.
//
// Each source runs in parallel: the caller's `select` sees the source's columns and picks rows,
// giving each a 64-bit tag of its own (e.g. which funnel steps the row matches, compiled to the
// source's dictionary codes). Units get global ids from the union of the sources' sorted
// session (or anonymous) dictionaries, so one session spread over midnight, several segments
// and the memtable is one unit. The rows are then grouped by unit (a counting sort on the ids)
// and each unit's rows ordered by (ts, event_id) — the order funnel.h and DESIGN §5 define.
//
// Used by the funnel engine (store_funnel.cc); "sessions that did X" (replay lists, drop-offs)
// and other per-unit questions read the same rows.
// Thread-safety: pure functions; `select` is called from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "store/embedded/source.h"
#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry::store {

enum class UnitKind : uint8_t { kSession, kVisitor };

struct UnitRow {
  int64_t ts = 0;
  Uuid event_id;
  uint64_t tag = 0;     // the caller's, from `select`
  uint32_t source = 0;  // index in the SourceList
  uint32_t row = 0;     // row in that source
};

struct UnitRows {
  // Rows of every unit back to back; unit k's are rows[begin[k] .. begin[k + 1]), ascending by
  // (ts, event_id). Units without a selected row are left out.
  std::vector<UnitRow> rows;
  std::vector<uint32_t> begin;  // one entry per unit, plus the end
  std::span<const UnitRow> Unit(size_t k) const {
    return std::span<const UnitRow>(rows).subspan(begin[k], begin[k + 1] - begin[k]);
  }
  size_t units() const { return begin.empty() ? 0 : begin.size() - 1; }
};

// One selected row of a source and its tag.
struct TaggedRow {
  uint32_t row;
  uint64_t tag;
};

// select(i, source, columns, out): appends the rows of sources[i] to keep. `columns` holds at
// least `mask` plus ts, event_id and the unit's uuid column.
using RowSelect = std::function<Status(size_t, const Source&, const Columns&, std::vector<TaggedRow>*)>;

Status CollectUnitRows(const SourceList& sources, UnitKind kind, ColumnMask mask,
                       const RowSelect& select, UnitRows* out);

// The columns the operator reads itself (memtable copies must hold them).
ColumnMask UnitColumns(UnitKind kind);

}  // namespace tapistry::store
