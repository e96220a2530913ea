// What the per-source analytics queries (store_analytics.cc, store_element_grid.cc) share: each
// query runs one function per Source in parallel, a segment answering from its cell rollups
// (rollup.h) and a memtable copy or an older segment from its rows, and then combines the
// per-source partials in source order, so results do not depend on thread timing.
// Thread-safety: pure functions; ForEachSource calls fn from several threads at once.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "store/embedded/row_filter.h"
#include "store/embedded/source.h"
#include "store/embedded/thread_pool.h"

namespace tapistry::store {

inline constexpr uint8_t kClickType = static_cast<uint8_t>(EventType::kClick);
inline constexpr uint8_t kPageViewType = static_cast<uint8_t>(EventType::kPageView);

// Memtable columns every analytics query may filter on.
inline constexpr ColumnMask kFilterColumns = Bit(ColumnId::kType) | Bit(ColumnId::kPath) |
                                             Bit(ColumnId::kDevice) | Bit(ColumnId::kViewportW);

// An entry range of a cell, checked against the entry stream before anything is read.
inline Status CheckRange(std::pair<uint32_t, uint32_t> range, size_t entries) {
  if (range.first > range.second || range.second > entries) {
    return Status::Corruption("segment rollup: cell entries out of range");
  }
  return Status::Ok();
}

// A rollup kind is usable when the source has it and the cells it is indexed by.
inline bool HasCellRollup(const Source& src, StreamKind kind) {
  return src.HasAggregate(StreamKind::kCells) && src.HasAggregate(kind);
}

// Runs fn(i, source, compiled filter) for every source whose filter can match, on all cores;
// returns the first error (in source order).
inline Status ForEachSource(
    const SourceList& sources, const RowPredicate& pred,
    const std::function<Status(size_t, const Source&, const CompiledFilter&)>& fn) {
  std::vector<Status> status(sources.size());
  ParallelFor(sources.size(), [&](size_t i) {
    const Source& src = *sources[i];
    CompiledFilter cf;
    status[i] = CompileFilter(pred, src, &cf);
    if (!status[i].ok() || cf.state == CompiledFilter::State::kNone) return;
    status[i] = fn(i, src, cf);
  });
  for (const Status& s : status) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// Compiles `pred` against every source on all cores into *filter_of(i); returns, per source,
// whether some row of it can match (1) or none can (0), or the first error in source order.
template <typename FilterOf>
Result<std::vector<uint8_t>> CompileFilters(const SourceList& sources, const RowPredicate& pred,
                                            FilterOf filter_of) {
  std::vector<uint8_t> read(sources.size(), 0);
  std::vector<Status> status(sources.size());
  ParallelFor(sources.size(), [&](size_t i) {
    CompiledFilter* cf = filter_of(i);
    status[i] = CompileFilter(pred, *sources[i], cf);
    read[i] = status[i].ok() && cf->state != CompiledFilter::State::kNone;
  });
  for (const Status& s : status) {
    if (!s.ok()) return s;
  }
  return read;
}

}  // namespace tapistry::store
