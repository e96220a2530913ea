// RowBatch: an appendable, dictionary-encoded set of rows of one (project, day) partition.
// It is the memtable's unit and the segment writer's input (flush, compaction, DSAR rewrite).
// Rows are kept in arrival order; the writer sorts them. Session and anonymous id dictionaries
// are in first-seen order here (UuidColumn::dict is NOT sorted in raw()); Snapshot() sorts them.
// Thread-safety: not thread-safe; the store guards each batch with its memtable lock. Snapshots
// share only the immutable string arena with the batch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "store/embedded/columns.h"
#include "store/embedded/interner.h"
#include "tapistry/event.h"

namespace tapistry::store {

class RowBatch {
 public:
  RowBatch();
  RowBatch(const RowBatch&) = delete;
  RowBatch& operator=(const RowBatch&) = delete;

  void Append(const Event& e);
  // Appends the given rows of `cols` (every column loaded), re-coding its dictionaries.
  void AppendRows(const Columns& cols, std::span<const uint32_t> rows);

  size_t rows() const { return cols_.rows; }
  // All columns; uuid dictionaries unsorted (see the header comment).
  const Columns& raw() const { return cols_; }
  // Copies the columns in `mask` into *out in query form (sorted uuid dictionaries).
  void Snapshot(ColumnMask mask, Columns* out) const;
  // Keeps only rows for which keep(row) is true; returns how many were removed.
  template <typename Pred>
  size_t RemoveIf(Pred remove);
  size_t ApproxBytes() const;

 private:
  void Rebuild(std::span<const uint32_t> keep);

  Columns cols_;
  std::shared_ptr<Arena> arena_;
  UuidInterner session_, anonymous_;
  std::vector<StringInterner> strings_;
};

template <typename Pred>
size_t RowBatch::RemoveIf(Pred remove) {
  std::vector<uint32_t> keep;
  keep.reserve(cols_.rows);
  for (uint32_t r = 0; r < cols_.rows; ++r) {
    if (!remove(cols_, r)) keep.push_back(r);
  }
  size_t removed = cols_.rows - keep.size();
  if (removed > 0) Rebuild(keep);
  return removed;
}

}  // namespace tapistry::store
