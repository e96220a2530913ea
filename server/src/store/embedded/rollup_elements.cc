// The kCellElements rollup (docs/formats/segment.md 2.8): per cell and selector_hash the
// clicks, rage and dead clicks, position sums and smallest selector. Read and written here;
// collected by RollupWriter::BuildCells (rollup_cell_writer.cc).
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

Status DecodeElements(ScratchString raw, const CellTable& cells, ElementEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.element_total()) return Bad("element entry count");
  if (!View(&r, n, &out->hash) || !View(&r, n, &out->clicks) || !View(&r, n, &out->rage) ||
      !View(&r, n, &out->dead) || !View(&r, n, &out->with_pos) || !View(&r, n, &out->sum_ex) ||
      !View(&r, n, &out->sum_ey) || !View(&r, n, &out->selector) || r.remaining() != 0) {
    return Bad("truncated element entries");
  }
  return Status::Ok();
}

Status ValidateElements(const ElementEntries& e, const CellTable& cells, const RollupBounds& b) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t total = 0;
    const auto [first, end] = cells.ElementRange(c);
    for (uint32_t k = first; k < end; ++k) {
      if (e.hash[k] == 0 || (k > first && e.hash[k] <= e.hash[k - 1]) || e.clicks[k] == 0 ||
          e.rage[k] > e.clicks[k] || e.dead[k] > e.clicks[k] || e.with_pos[k] > e.clicks[k] ||
          (e.selector[k] != kNoSelector && e.selector[k] >= b.selector_dict)) {
        return Bad("element entries");
      }
      total += e.clicks[k];
    }
    if (total > cells.clicks[c]) return Bad("element counts");
  }
  return Status::Ok();
}

void PutElements(const ElementArrays& el, std::string* out) {
  PutVarint64(out, el.hash.size());
  PutArray(out, el.hash);
  PutArray(out, el.clicks);
  PutArray(out, el.rage);
  PutArray(out, el.dead);
  PutArray(out, el.with_pos);
  PutArray(out, el.sum_ex);
  PutArray(out, el.sum_ey);
  PutArray(out, el.selector);
}

}  // namespace tapistry::store
