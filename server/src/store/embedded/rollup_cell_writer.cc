// RollupWriter::BuildCells: the six cell rollups (kCells, kCellScroll, kCellFold, kCellTiles,
// kCellGrid, kCellElements) from one pass over the rows, in named steps — number the cells,
// count the rows into them, sort the clicks and scroll depths into per-cell buckets, then per
// cell the scroll, tile, element and grid steps — each rollup then laid out by the Put function
// of its own file (rollup_internal.h). The steps share one pass, so they live together: every
// per-row and per-click loop is in this file with what it calls, which the compiler inlines
// (internal linkage); only per-segment and per-cell steps may stay calls.
#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {
namespace {

// Step 1: the cells, numbered in (segment path code, device, viewport bucket) order. Fills the
// keys of *t (every count zero) and, per row, its cell's first-seen number in *cell_of; returns
// the cell of each first-seen number.
//
// Rows are visited in input order (sequential reads); a cell is numbered on first sight by
// (input path code, device, viewport bucket), then renumbered in (segment path code, device,
// viewport bucket) order. (device, bucket) pairs are few: they are numbered first.
std::vector<uint32_t> NumberCells(const Columns& cols, std::span<const uint32_t> rows,
                                  const std::vector<uint32_t>& path_remap,
                                  std::vector<uint32_t>* cell_of, CellArrays* t) {
  const size_t n = rows.size();
  const uint32_t* path_codes = cols.str[kStrPath].codes.data();
  const uint64_t npaths = path_remap.size();  // the input column's dictionary
  std::vector<uint16_t> dv_index(256 * 256, UINT16_MAX);
  std::vector<uint16_t> dv_key;  // device << 8 | bucket, per pair
  cell_of->resize(n);
  std::vector<uint64_t>
      cell_key;                // segment path << 16 | device << 8 | bucket, by first-seen number
  std::vector<uint32_t> flat;  // (input path code, pair) -> first-seen number, when small
  std::unordered_map<uint64_t, uint32_t> sparse;
  uint64_t flat_dv = 8;  // pairs the flat table has room for
  if (npaths * flat_dv <= (uint64_t{1} << 22)) flat.assign(npaths * flat_dv, UINT32_MAX);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t r = rows[k];
    const uint16_t key =
        static_cast<uint16_t>((cols.device[r] << 8) | BucketOfWidth(cols.viewport_w[r]));
    uint16_t dv = dv_index[key];
    if (dv == UINT16_MAX) {
      dv = dv_index[key] = static_cast<uint16_t>(dv_key.size());
      dv_key.push_back(key);
    }
    const uint32_t pc = path_codes[r];
    uint32_t* slot;
    if (dv < flat_dv && !flat.empty()) {
      slot = &flat[uint64_t{pc} * flat_dv + dv];
    } else {
      slot = &sparse.try_emplace((uint64_t{pc} << 16) | dv, UINT32_MAX).first->second;
    }
    if (*slot == UINT32_MAX) {
      *slot = static_cast<uint32_t>(cell_key.size());
      cell_key.push_back((uint64_t{path_remap[pc]} << 16) | key);
    }
    (*cell_of)[k] = *slot;
  }
  flat = {};
  sparse = {};
  const size_t ncells = cell_key.size();
  std::vector<uint32_t> order(ncells);
  for (uint32_t c = 0; c < ncells; ++c) order[c] = c;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return cell_key[a] < cell_key[b]; });
  std::vector<uint32_t> rank(ncells);
  for (uint32_t k = 0; k < ncells; ++k) rank[order[k]] = k;

  t->path.resize(ncells);
  t->device.resize(ncells);
  t->vb.resize(ncells);
  for (uint32_t k = 0; k < ncells; ++k) {
    const uint64_t key = cell_key[order[k]];
    t->path[k] = static_cast<uint32_t>(key >> 16);
    t->device[k] = static_cast<uint8_t>(key >> 8);
    t->vb[k] = static_cast<uint8_t>(key);
  }
  t->rows.assign(ncells, 0);
  t->pageviews.assign(ncells, 0);
  t->clicks.assign(ncells, 0);
  t->scroll_n.assign(ncells, 0);
  for (auto& v : t->tiles_n) v.assign(ncells, 0);
  t->elements_n.assign(ncells, 0);
  return rank;
}

// Step 2: per cell its rows, page views, clicks and fold (kCellFold), and the scroll events the
// scroll rollup counts (returned); renumbers *cell_of from first-seen numbers to cells.
std::vector<uint32_t> CountRows(const Columns& cols, std::span<const uint32_t> rows,
                                const std::vector<uint32_t>& rank, std::vector<uint32_t>* cell_of,
                                CellArrays* t, FoldArrays* fold) {
  const size_t n = rows.size(), ncells = t->path.size();
  std::vector<uint32_t> scrolls(ncells, 0);
  fold->n.assign(ncells, 0);
  fold->sum_px.assign(ncells, 0);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t r = rows[k];
    const uint32_t c = (*cell_of)[k] = rank[(*cell_of)[k]];
    ++t->rows[c];
    const uint8_t type = cols.type[r];
    t->pageviews[c] += type == kPageView;
    t->clicks[c] += type == kClick;
    const bool scroll = type == kScroll && cols.depth[r] <= 100;
    scrolls[c] += scroll;
    if (scroll && cols.viewport_h[r] > 0) {
      ++fold->n[c];
      fold->sum_px[c] += cols.viewport_h[r];
    }
  }
  return scrolls;
}

// What the per-cell steps read of a click.
struct ClickRecord {
  uint64_t hash;
  float ex, ey;
  uint32_t selector;  // input dictionary code
  uint16_t tile;      // i * 64 + j, or kNoTile
  uint8_t flags;
};
constexpr uint16_t kNoTile = UINT16_MAX;       // no point
constexpr uint16_t kBadTile = UINT16_MAX - 1;  // a point TileOf cannot hold

// Step 3: the clicks and scroll depths copied into per-cell buckets in one sequential pass (a
// counting sort: each cell's clicks stay in input order), so the per-cell steps read memory in
// order.
struct CellBuckets {
  std::vector<uint32_t> click_at, scroll_at;  // per cell, where its bucket starts; then the end
  std::vector<ClickRecord> clicks;
  std::vector<uint8_t> scroll_depths;
  bool tiles_ok = true;
  // The grid rollup holds the tiles of the clicks it does not attribute: written only when all
  // of those have one (a segment without it answers ElementHeatmap from its rows).
  bool grid_ok = true;
};
CellBuckets SortIntoCells(const Columns& cols, std::span<const uint32_t> rows,
                          const std::vector<uint32_t>& cell_of,
                          const std::vector<uint32_t>& clicks_per_cell,
                          const std::vector<uint32_t>& scrolls_per_cell) {
  const size_t n = rows.size(), ncells = clicks_per_cell.size();
  CellBuckets b;
  b.click_at.assign(ncells + 1, 0);
  b.scroll_at.assign(ncells + 1, 0);
  for (size_t c = 0; c < ncells; ++c) {
    b.click_at[c + 1] = b.click_at[c] + clicks_per_cell[c];
    b.scroll_at[c + 1] = b.scroll_at[c] + scrolls_per_cell[c];
  }
  b.clicks.resize(b.click_at[ncells]);
  b.scroll_depths.resize(b.scroll_at[ncells]);
  const StringColumn& selectors = cols.str[kStrSelector];
  std::vector<uint32_t> cfill(b.click_at.begin(), b.click_at.end() - 1),
      sfill(b.scroll_at.begin(), b.scroll_at.end() - 1);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t r = rows[k];
    const uint8_t type = cols.type[r];
    if (type == kClick) {
      const float x = cols.x[r], y = cols.y[r];
      uint16_t tile = kNoTile;
      if (!std::isnan(x) && !std::isnan(y)) {
        bool ok = true;
        const int ti = TileOf(x, &ok), tj = TileOf(y, &ok);
        tile = ok ? static_cast<uint16_t>(ti * kGrid + tj) : kBadTile;
        b.tiles_ok &= ok;
        if (!ok && (cols.selector_hash[r] == 0 || GridCellOf(cols.ex[r], cols.ey[r]) < 0))
          b.grid_ok = false;
      }
      b.clicks[cfill[cell_of[k]]++] = {cols.selector_hash[r], cols.ex[r], cols.ey[r],
                                       selectors.codes[r],    tile,       cols.flags[r]};
    } else if (type == kScroll && cols.depth[r] <= 100) {
      b.scroll_depths[sfill[cell_of[k]]++] = cols.depth[r];
    }
  }
  return b;
}

// Step 4, per cell: the scroll step (kCellScroll). A cell's scroll depths (0..100) as (depth,
// count) entries, depths ascending; returns how many.
uint32_t AddScrollEntries(std::span<const uint8_t> depths, ScrollArrays* scroll) {
  uint32_t hist[101] = {};
  for (const uint8_t d : depths) ++hist[d];
  uint32_t entries = 0;
  for (uint8_t d = 0; d <= 100; ++d) {
    if (hist[d] == 0) continue;
    ++entries;
    scroll->depth.push_back(d);
    scroll->count.push_back(hist[d]);
  }
  return entries;
}

// The click lists a click counts in: bit 0 all, then bit 1 rage and bit 2 dead when flagged.
uint8_t ListsOf(const ClickRecord& e) {
  return static_cast<uint8_t>(1 | (e.flags & kFlagRage ? 2 : 0) | (e.flags & kFlagDead ? 4 : 0));
}

// The tile step (kCellTiles): a cell's clicks counted per list and tile in a grid whose touched
// tiles are listed, so clearing it costs what the cell used. Off (no tile rollup) when a click's
// point has no tile.
class TileCounter {
 public:
  explicit TileCounter(bool on) : on_(on), count_(3 * kGrid * kGrid, 0) {}
  void BeginCell() { touched_.clear(); }
  void Add(const ClickRecord& e) {
    if (!(e.tile < kGrid * kGrid && on_)) return;
    for (int l = 0; l < 3; ++l) {
      if (l == kTilesRage && !(e.flags & kFlagRage)) continue;
      if (l == kTilesDead && !(e.flags & kFlagDead)) continue;
      const uint16_t key = static_cast<uint16_t>((l << 12) | e.tile);
      if (count_[l * kGrid * kGrid + e.tile]++ == 0) touched_.push_back(key);
    }
  }
  // Appends cell c's entries, list by list, tiles ascending; n[l][c] = how many in list l.
  void EndCell(size_t c, std::vector<uint32_t> (&n)[3]) {
    std::sort(touched_.begin(), touched_.end());
    for (uint16_t key : touched_) {
      const uint32_t l = key >> 12, tile = key & 4095;
      ++n[l][c];
      out_.tile.push_back(static_cast<uint16_t>(tile));
      out_.count.push_back(count_[l * kGrid * kGrid + tile]);
      count_[l * kGrid * kGrid + tile] = 0;
    }
  }
  const TileArrays& entries() const { return out_; }

 private:
  const bool on_;
  std::vector<uint32_t> count_;
  std::vector<uint16_t> touched_;  // list << 12 | tile
  TileArrays out_;
};

// The element step (kCellElements): a cell's clicks with a selector_hash, per element in a small
// open-addressing table by hash, each hash's clicks added in input order.
class ElementCounter {
 public:
  ElementCounter(const StringColumn& selectors, const std::vector<uint32_t>& selector_remap)
      : selectors_(selectors), selector_remap_(selector_remap) {}
  void BeginCell(uint32_t nclicks) {
    size_t cap = 16;
    while (cap < 2 * static_cast<size_t>(nclicks)) cap *= 2;
    table_.assign(cap, Acc{0, 0, 0, 0, 0, kNoSelector, 0, 0});
    used_.clear();
  }
  // Counts click e (selector_hash != 0); returns its element's slot in the table.
  size_t Add(const ClickRecord& e) {
    const size_t cap = table_.size();
    size_t h = static_cast<size_t>((e.hash * 0x9E3779B97F4A7C15ULL) >> 40) & (cap - 1);
    while (table_[h].hash != 0 && table_[h].hash != e.hash) h = (h + 1) & (cap - 1);
    Acc& a = table_[h];
    if (a.hash == 0) {
      a.hash = e.hash;
      used_.push_back(static_cast<uint32_t>(h));
    }
    ++a.clicks;
    a.rage += (e.flags & kFlagRage) != 0;
    a.dead += (e.flags & kFlagDead) != 0;
    if (!std::isnan(e.ex) && !std::isnan(e.ey)) {
      ++a.with_pos;
      a.sx += e.ex;
      a.sy += e.ey;
    }
    if (e.selector == a.selector) return h;  // the same string
    std::string_view s = selectors_.dict[e.selector];
    if (!s.empty() && (a.selector == kNoSelector || s < selectors_.dict[a.selector]))
      a.selector = e.selector;
    return h;
  }
  // The cell's elements in entry order: (hash, slot), hashes ascending.
  const std::vector<std::pair<uint64_t, uint32_t>>& SortByHash() {
    by_hash_.clear();
    for (uint32_t slot : used_) by_hash_.emplace_back(table_[slot].hash, slot);
    std::sort(by_hash_.begin(), by_hash_.end());
    return by_hash_;
  }
  size_t slots() const { return table_.size(); }
  // Appends cell c's entries in SortByHash order; n[c] = how many.
  void EndCell(size_t c, std::vector<uint32_t>* n) {
    for (const auto& [hash, slot] : by_hash_) {
      const Acc& a = table_[slot];
      ++(*n)[c];
      out_.hash.push_back(hash);
      out_.clicks.push_back(a.clicks);
      out_.rage.push_back(a.rage);
      out_.dead.push_back(a.dead);
      out_.with_pos.push_back(a.with_pos);
      out_.sum_ex.push_back(a.sx);
      out_.sum_ey.push_back(a.sy);
      out_.selector.push_back(a.selector == kNoSelector ? kNoSelector
                                                        : selector_remap_[a.selector]);
    }
  }
  const ElementArrays& entries() const { return out_; }

 private:
  struct Acc {
    uint64_t hash;                                    // 0 = empty slot
    uint32_t clicks, rage, dead, with_pos, selector;  // selector: input dictionary code
    double sx, sy;
  };
  const StringColumn& selectors_;
  const std::vector<uint32_t>& selector_remap_;
  std::vector<Acc> table_;
  std::vector<uint32_t> used_;  // slots in first-use order
  std::vector<std::pair<uint64_t, uint32_t>> by_hash_;
  ElementArrays out_;
};

// The grid step (kCellGrid): per attributed click and list, slot << 10 | list << 8 | grid cell
// (the slot becomes the element's rank once the elements are sorted); the tiles of the other
// clicks counted like the tile step's. Off (no grid rollup) when one of those has no tile.
class GridCounter {
 public:
  GridCounter(bool on, size_t ncells) : on_(on), ugrid_(on ? 3 * kGrid * kGrid : 0, 0) {
    for (auto& g : gl_) g.cell_n.assign(on ? ncells : 0, 0);
  }
  void BeginCell() {
    grid_keys_.clear();
    utouched_.clear();
  }
  // gcell: the click's grid cell when it is attributed (GridCellOf), else -1.
  void AddUnattributed(const ClickRecord& e, int gcell, uint8_t lists) {
    if (!(on_ && gcell < 0 && e.tile < kGrid * kGrid)) return;
    for (int l = 0; l < 3; ++l) {
      if (!(lists >> l & 1)) continue;
      if (ugrid_[l * kGrid * kGrid + e.tile]++ == 0)
        utouched_.push_back(static_cast<uint16_t>((l << 12) | e.tile));
    }
  }
  void AddAttributed(size_t slot, int gcell, uint8_t lists) {
    if (!(on_ && gcell >= 0)) return;
    for (uint64_t l = 0; l < 3; ++l) {
      if (lists >> l & 1) grid_keys_.push_back(uint64_t{slot} << 10 | l << 8 | uint64_t(gcell));
    }
  }
  // Appends cell c's entries: grid entries in element order (by_hash, from the element step over
  // a table of `slots`), each element's lists, cells ascending; then the unattributed tiles.
  void EndCell(size_t c, const std::vector<std::pair<uint64_t, uint32_t>>& by_hash, size_t slots) {
    if (!on_) return;
    rank_of_slot_.resize(slots);
    for (uint32_t rank = 0; rank < by_hash.size(); ++rank)
      rank_of_slot_[by_hash[rank].second] = rank;
    for (uint64_t& key : grid_keys_) key = uint64_t{rank_of_slot_[key >> 10]} << 10 | (key & 1023);
    std::sort(grid_keys_.begin(), grid_keys_.end());
    const size_t first_element = gl_[0].element_n.size();
    for (auto& g : gl_) g.element_n.resize(first_element + by_hash.size(), 0);
    for (size_t i = 0; i < grid_keys_.size();) {
      size_t j = i;
      while (j < grid_keys_.size() && grid_keys_[j] == grid_keys_[i]) ++j;
      auto& g = gl_[grid_keys_[i] >> 8 & 3];
      ++g.element_n[first_element + (grid_keys_[i] >> 10)];
      g.cell.push_back(static_cast<uint8_t>(grid_keys_[i]));
      g.count.push_back(static_cast<uint32_t>(j - i));
      i = j;
    }
    std::sort(utouched_.begin(), utouched_.end());
    for (uint16_t key : utouched_) {
      const uint32_t l = key >> 12, tile = key & 4095;
      ++gl_[l].cell_n[c];
      gl_[l].tile.push_back(static_cast<uint16_t>(tile));
      gl_[l].tile_count.push_back(ugrid_[l * kGrid * kGrid + tile]);
      ugrid_[l * kGrid * kGrid + tile] = 0;
    }
  }
  const GridList (&lists() const)[3] { return gl_; }

 private:
  const bool on_;
  GridList gl_[3];  // per click list
  std::vector<uint64_t> grid_keys_;
  std::vector<uint32_t> rank_of_slot_, ugrid_;
  std::vector<uint16_t> utouched_;  // list << 12 | tile
};

}  // namespace

void RollupWriter::BuildCells(std::vector<Stream>* out) {
  const Columns& cols = *in_.cols;
  const std::span<const uint32_t> rows = in_.rows;
  CellArrays t;
  std::vector<uint32_t> cell_of;
  FoldArrays fold;
  CellBuckets b;
  {
    const std::vector<uint32_t> rank = NumberCells(cols, rows, path_remap_, &cell_of, &t);
    const std::vector<uint32_t> scrolls = CountRows(cols, rows, rank, &cell_of, &t, &fold);
    b = SortIntoCells(cols, rows, cell_of, t.clicks, scrolls);
  }
  cell_of = {};

  const size_t ncells = t.path.size();
  ScrollArrays scroll;
  TileCounter tiles(b.tiles_ok);
  ElementCounter elements(cols.str[kStrSelector], selector_remap_);
  GridCounter grid(b.grid_ok, ncells);
  for (size_t c = 0; c < ncells; ++c) {
    t.scroll_n[c] =
        AddScrollEntries(std::span<const uint8_t>(b.scroll_depths)
                             .subspan(b.scroll_at[c], b.scroll_at[c + 1] - b.scroll_at[c]),
                         &scroll);
    const uint32_t nclicks = b.click_at[c + 1] - b.click_at[c];
    if (nclicks == 0) continue;
    tiles.BeginCell();
    elements.BeginCell(nclicks);
    grid.BeginCell();
    for (uint32_t k = b.click_at[c]; k < b.click_at[c + 1]; ++k) {
      const ClickRecord& e = b.clicks[k];
      const uint8_t lists = ListsOf(e);
      const int gcell = e.hash != 0 ? GridCellOf(e.ex, e.ey) : -1;
      grid.AddUnattributed(e, gcell, lists);
      tiles.Add(e);
      if (e.hash == 0) continue;
      const size_t slot = elements.Add(e);
      grid.AddAttributed(slot, gcell, lists);
    }
    tiles.EndCell(c, t.tiles_n);
    grid.EndCell(c, elements.SortByHash(), elements.slots());
    elements.EndCell(c, &t.elements_n);
  }
  b.clicks = {};
  b.scroll_depths = {};

  std::string raw;
  PutCells(t, b.tiles_ok, &raw);
  out->push_back({StreamKind::kCells, std::move(raw), true});

  raw = std::string();
  PutScroll(scroll, &raw);
  out->push_back({StreamKind::kCellScroll, std::move(raw), true});

  raw = std::string();
  PutFold(fold, &raw);
  out->push_back({StreamKind::kCellFold, std::move(raw), true});

  if (b.tiles_ok) {
    raw = std::string();
    PutTiles(tiles.entries(), &raw);
    out->push_back({StreamKind::kCellTiles, std::move(raw), true});
  }

  const ElementArrays& el = elements.entries();
  if (b.grid_ok) {
    raw = std::string();
    PutCellGrid(grid.lists(), el.hash, el.selector, t.elements_n, in_.zstd_level, &raw);
    out->push_back({StreamKind::kCellGrid, std::move(raw), false});
  }

  raw = std::string();
  PutElements(el, &raw);
  out->push_back({StreamKind::kCellElements, std::move(raw), true});
}

}  // namespace tapistry::store
