// The kCellScroll and kCellFold rollups (docs/formats/segment.md 2.8): per cell the scroll
// events by depth, and how many of them carry a viewport height with the sum of those heights
// (the scroll map's average fold). Read and written here; collected by
// RollupWriter::BuildCells (rollup_cell_writer.cc).
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

Status DecodeScroll(ScratchString raw, const CellTable& cells, ScrollEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.scroll_total()) return Bad("scroll entry count");
  if (!View(&r, n, &out->depth) || !View(&r, n, &out->count) || r.remaining() != 0) {
    return Bad("truncated scroll entries");
  }
  return Status::Ok();
}

Status ValidateScroll(const ScrollEntries& e, const CellTable& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t total = 0;
    const auto [first, end] = cells.ScrollRange(c);
    for (uint32_t k = first; k < end; ++k) {
      if (e.depth[k] > 100 || (k > first && e.depth[k] <= e.depth[k - 1]) || e.count[k] == 0) {
        return Bad("scroll entries");
      }
      total += e.count[k];
    }
    if (total > cells.rows[c]) return Bad("scroll counts");
  }
  return Status::Ok();
}

void PutScroll(const ScrollArrays& scroll, std::string* out) {
  PutVarint64(out, scroll.depth.size());
  PutArray(out, scroll.depth);
  PutArray(out, scroll.count);
}

Status DecodeFold(ScratchString raw, const CellTable& cells, FoldEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.size()) return Bad("fold cell count");
  if (!View(&r, n, &out->n) || !View(&r, n, &out->sum_px) || r.remaining() != 0) {
    return Bad("truncated fold entries");
  }
  return Status::Ok();
}

Status ValidateFold(const FoldEntries& e, const ScrollEntries& scroll, const CellTable& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t scrolls = 0;
    const auto [first, end] = cells.ScrollRange(c);
    for (uint32_t k = first; k < end && k < scroll.count.size(); ++k) scrolls += scroll.count[k];
    if (e.n[c] > scrolls || e.sum_px[c] > uint64_t{e.n[c]} * UINT16_MAX ||
        (e.n[c] > 0) != (e.sum_px[c] > 0)) {
      return Bad("fold entries");
    }
  }
  return Status::Ok();
}

void PutFold(const FoldArrays& fold, std::string* out) {
  PutVarint64(out, fold.n.size());
  PutArray(out, fold.n);
  PutArray(out, fold.sum_px);
}

}  // namespace tapistry::store
