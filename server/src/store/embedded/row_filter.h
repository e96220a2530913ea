// Predicate pushdown for one source: an EventFilter (plus an optional event type) is compiled
// against the source's dictionaries and column ranges into either "no row", "every row", or a
// check on dictionary codes and small integers — no string is compared per row.
// Thread-safety: CompiledFilter is an immutable value once compiled.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "store/embedded/columns.h"
#include "store/embedded/rollup.h"
#include "store/embedded/source.h"
#include "tapistry/event_store.h"

namespace tapistry::store {

struct RowPredicate {
  std::optional<std::string> path;
  std::optional<DeviceClass> device_class;
  std::optional<uint8_t> viewport_bucket;
  std::optional<EventType> type;
  static RowPredicate FromFilter(const EventFilter& f,
                                 std::optional<EventType> type = std::nullopt) {
    return {f.path, f.device_class, f.viewport_bucket, type};
  }
  bool empty() const { return !path && !device_class && !viewport_bucket && !type; }
};

struct CompiledFilter {
  enum class State { kNone, kAll, kRows };
  State state = State::kAll;
  std::optional<uint32_t> path_code;
  std::optional<uint8_t> device;
  std::optional<uint8_t> viewport_bucket;
  std::optional<uint8_t> type;
  ColumnMask columns = 0;  // needed by Evaluate

  // Sets (*sel)[r] = 1 for matching rows, 0 otherwise (state must be kRows).
  void Evaluate(const Columns& cols, std::vector<uint8_t>* sel) const;
};

Status CompileFilter(const RowPredicate& p, const Source& src, CompiledFilter* out);

// The rows of one source a scan reads when no rollup answers: `mask` plus the columns the filter
// needs, and which rows the filter selects. Not copyable: cols() may point into it.
class SelectedRows {
 public:
  SelectedRows() = default;
  SelectedRows(const SelectedRows&) = delete;
  SelectedRows& operator=(const SelectedRows&) = delete;

  Status Read(const Source& src, const CompiledFilter& cf, ColumnMask mask);
  const Columns& cols() const { return *cols_; }
  bool selected(size_t r) const { return sel_.empty() || sel_[r]; }

 private:
  Columns scratch_;
  const Columns* cols_ = nullptr;
  std::vector<uint8_t> sel_;  // empty: every row
};

// The filter applied to a segment's cell rollup (rollup.h), where whole cells match (on device
// and viewport bucket; the path by the cells' path range): reads and decodes the cells, then
// puts the indices of the matching ones in *selected.
Status LoadSelectedCells(const Source& src, const CompiledFilter& f, CellTable* cells,
                         std::vector<uint32_t>* selected);

// Inclusive viewport widths that fall in a bucket (ViewportBucket); false for no width.
bool ViewportBucketWidths(uint8_t bucket, uint16_t* lo, uint16_t* hi);

}  // namespace tapistry::store
