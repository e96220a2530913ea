// The kCells rollup (docs/formats/segment.md 2.8): per (path, device, viewport bucket) cell its
// counts and where its entries of the other cell rollups end. Read and written here; the rows
// are counted into cells by RollupWriter::BuildCells (rollup_cell_writer.cc).
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

std::pair<size_t, size_t> CellTable::PathRange(uint32_t path_code) const {
  size_t lo = 0, hi = size();
  while (lo < hi) {  // first cell with path >= path_code
    const size_t mid = lo + (hi - lo) / 2;
    if (path[mid] < path_code) lo = mid + 1;
    else hi = mid;
  }
  size_t end = lo;
  hi = size();
  while (end < hi) {  // first cell with path > path_code
    const size_t mid = end + (hi - end) / 2;
    if (path[mid] <= path_code) end = mid + 1;
    else hi = mid;
  }
  return {lo, end};
}

Status DecodeCells(ScratchString raw, CellTable* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  CellTable& c = *out;
  if (!r.GetVarint64(&n) || !View(&r, n, &c.path) || !View(&r, n, &c.device) ||
      !View(&r, n, &c.vb) || !View(&r, n, &c.rows) || !View(&r, n, &c.pageviews) ||
      !View(&r, n, &c.clicks) || !View(&r, n, &c.scroll_end) || !View(&r, n, &c.tiles_end[0]) ||
      !View(&r, n, &c.tiles_end[1]) || !View(&r, n, &c.tiles_end[2]) ||
      !View(&r, n, &c.elements_end) || r.remaining() != 0) {
    return Bad("truncated cells");
  }
  return Status::Ok();
}

Status ValidateCells(const CellTable& c, const RollupBounds& b) {
  const size_t n = c.size();
  if (n > b.rows) return Bad("cell count");
  uint64_t key_prev = 0, rows = 0, pageviews = 0;
  uint32_t scroll = 0, tiles = 0, elements = 0;
  for (size_t i = 0; i < n; ++i) {
    if (c.path[i] >= b.path_dict) return Bad("cell path code");
    const uint64_t key = (uint64_t{c.path[i]} << 16) | (uint64_t{c.device[i]} << 8) | c.vb[i];
    if (i > 0 && key <= key_prev) return Bad("cells not sorted");
    key_prev = key;
    const uint32_t cr = c.rows[i], cc = c.clicks[i];
    if (cr == 0 || c.pageviews[i] > cr || cc > cr) return Bad("cell counts");
    if (c.scroll_end[i] < scroll || c.scroll_end[i] - scroll > 101)
      return Bad("cell scroll entries");
    const uint32_t all = c.tiles_end[0][i], rage = c.tiles_end[1][i], dead = c.tiles_end[2][i];
    if (all < tiles || all - tiles > cc || rage < all || rage - all > all - tiles || dead < rage ||
        dead - rage > all - tiles) {
      return Bad("cell tile entries");
    }
    if (c.elements_end[i] < elements || c.elements_end[i] - elements > cc)
      return Bad("cell element entries");
    scroll = c.scroll_end[i];
    tiles = dead;
    elements = c.elements_end[i];
    rows += cr;
    pageviews += c.pageviews[i];
  }
  if (rows != b.rows || pageviews != b.pageviews) return Bad("cells disagree with the footer");
  return Status::Ok();
}

void PutCells(const CellArrays& t, bool tiles_ok, std::string* out) {
  const size_t ncells = t.path.size();
  PutVarint64(out, ncells);
  PutArray(out, t.path);
  PutArray(out, t.device);
  PutArray(out, t.vb);
  PutArray(out, t.rows);
  PutArray(out, t.pageviews);
  PutArray(out, t.clicks);
  std::vector<uint32_t> ends(ncells);
  auto put_ends = [&](const std::vector<uint32_t>& counts) {
    uint32_t total = 0;
    for (size_t c = 0; c < ncells; ++c) ends[c] = total += counts[c];
    PutArray(out, ends);
  };
  put_ends(t.scroll_n);
  {
    // Each cell's lists are consecutive: all, rage, dead.
    std::vector<uint32_t> list_end[3];
    uint32_t total = 0;
    for (auto& v : list_end) v.resize(ncells);
    for (size_t c = 0; c < ncells; ++c) {
      for (int l = 0; l < 3; ++l) list_end[l][c] = total += tiles_ok ? t.tiles_n[l][c] : 0;
    }
    for (const auto& v : list_end) PutArray(out, v);
  }
  put_ends(t.elements_n);
}

}  // namespace tapistry::store
