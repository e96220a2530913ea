// EmbeddedEventStore: the element heatmap (clicks on each element's 16x16 grid, the rest in
// document tiles) and the layouts (page views and clicks per device class and viewport bucket),
// issue 13. Both return what event_store.h defines (reference_event_store.cc computes it by brute
// force). A segment answers from its cells (layouts) or its cells and the chunks of its grid
// rollup that hold them (rollup.h, kCellGrid); a memtable copy or a segment without them is
// scanned.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <unordered_map>

#include "store/embedded/analytics_parts.h"
#include "store/embedded/embedded_event_store.h"

namespace tapistry::store {
namespace {

// One element's share of a source: an entry per (cell, hash) of the rollup, or per hash of
// scanned rows. Entries with no attributed click still carry the selector (event_store.h: the
// element's name comes from all of its clicks).
struct GridEntry {
  uint64_t hash;
  std::string_view selector;  // smallest non-empty, "" if none
  uint64_t count;             // attributed clicks
  uint32_t first, end;        // its cells in GridPart::cells
};
struct GridPart {
  std::vector<GridEntry> entries;
  std::vector<ElementGridCell> cells;
  std::vector<uint64_t> tiles;                    // unattributed, kGrid * kGrid, i * 64 + j
  std::map<std::pair<int, int>, uint64_t> other;  // unattributed tiles off the page (rows only)
  uint64_t pageviews = 0, attributed = 0, unattached = 0;
  StringColumn selectors;  // keeps the selector strings alive
};

constexpr ColumnMask kGridColumns = Bit(ColumnId::kType) | Bit(ColumnId::kX) | Bit(ColumnId::kY) |
                                    Bit(ColumnId::kFlags) | Bit(ColumnId::kSelectorHash) |
                                    Bit(ColumnId::kEx) | Bit(ColumnId::kEy) |
                                    Bit(ColumnId::kSelector);

bool OfKind(uint8_t flags, ClickKind kind) {
  return kind == ClickKind::kAll || (kind == ClickKind::kRage && (flags & kFlagRage)) ||
         (kind == ClickKind::kDead && (flags & kFlagDead));
}

Status GridFromRollups(const Source& src, const CompiledFilter& cf, ClickKind kind, GridPart* p) {
  const int list = kind == ClickKind::kRage   ? kTilesRage
                   : kind == ClickKind::kDead ? kTilesDead
                                              : kTilesAll;
  CellTable cells;
  std::vector<uint32_t> selected;
  TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
  uint64_t clicks = 0;
  for (uint32_t c : selected) {
    p->pageviews += cells.pageviews[c];
    clicks += cells.clicks[c];
  }
  if (clicks == 0) return Status::Ok();
  ScratchString raw;
  CellGrid grid;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCellGrid, &raw));
  TAP_RETURN_IF_ERROR(grid.Open(std::move(raw), cells));
  // The selected cells ascend (one path's are consecutive): each chunk is read once, if at all.
  CellGrid::Chunk g;
  size_t loaded = SIZE_MAX;
  const StringColumn* dict = nullptr;
  for (uint32_t c : selected) {
    if (cells.clicks[c] == 0) continue;
    if (const size_t k = grid.ChunkOf(c); k != loaded) {
      TAP_RETURN_IF_ERROR(grid.Load(k, list, &g));
      loaded = k;
    }
    const auto elements = cells.ElementRange(c);
    if (elements.first < g.first_element) return Status::Corruption("segment rollup: grid chunk");
    const std::pair<uint32_t, uint32_t> local{elements.first - g.first_element,
                                              elements.second - g.first_element};
    TAP_RETURN_IF_ERROR(CheckRange(local, g.elements));
    for (uint32_t e = local.first; e < local.second; ++e) {
      const auto range = g.GridRange(e);
      TAP_RETURN_IF_ERROR(CheckRange(range, g.cell.size()));
      const uint32_t code = g.selector[e];
      if (range.first == range.second && code == kNoSelector) continue;  // adds nothing
      GridEntry entry{g.hash[e], {}, 0, static_cast<uint32_t>(p->cells.size()), 0};
      for (uint32_t i = range.first; i < range.second; ++i) {
        p->cells.push_back({g.cell[i], g.count[i]});
        entry.count += g.count[i];
      }
      entry.end = static_cast<uint32_t>(p->cells.size());
      if (code != kNoSelector) {
        if (dict == nullptr) {
          TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kSelector, &p->selectors, &dict));
          if (dict != &p->selectors) p->selectors.keepalive = dict->keepalive;
        }
        if (code >= dict->dict.size()) {
          return Status::Corruption("segment rollup: selector code out of range");
        }
        entry.selector = dict->dict[code];
      }
      p->attributed += entry.count;
      p->entries.push_back(entry);
    }
    const auto tiles = g.TileRange(c - g.first_cell);
    TAP_RETURN_IF_ERROR(CheckRange(tiles, g.tile.size()));
    for (uint32_t i = tiles.first; i < tiles.second; ++i) {
      const uint16_t tile = g.tile[i];
      if (tile >= kGrid * kGrid) return Status::Corruption("segment rollup: tile out of range");
      p->tiles[tile] += g.tile_count[i];
      p->unattached += g.tile_count[i];
    }
  }
  return Status::Ok();
}

Status GridFromRows(const Source& src, const CompiledFilter& cf, ClickKind kind, GridPart* p) {
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, kGridColumns));
  const Columns& c = rows.cols();
  std::unordered_map<uint64_t, uint32_t> index;  // hash -> entry
  std::vector<uint64_t> keys;                    // entry << 8 | grid cell, per attributed click
  for (size_t r = 0; r < c.rows; ++r) {
    if (!rows.selected(r)) continue;
    if (c.type[r] == kPageViewType) ++p->pageviews;
    if (c.type[r] != kClickType) continue;
    const uint64_t h = c.selector_hash[r];
    uint32_t entry = 0;
    if (h != 0) {
      auto [it, fresh] = index.try_emplace(h, static_cast<uint32_t>(p->entries.size()));
      if (fresh) p->entries.push_back({h, {}, 0, 0, 0});
      entry = it->second;
      std::string_view s = c.str[kStrSelector].Value(r);
      std::string_view& best = p->entries[entry].selector;
      if (!s.empty() && (best.empty() || s < best)) best = s;
    }
    if (!OfKind(c.flags[r], kind)) continue;
    const int gcell = h != 0 ? GridCellOf(c.ex[r], c.ey[r]) : -1;
    if (gcell >= 0) {
      keys.push_back(uint64_t{entry} << 8 | static_cast<uint64_t>(gcell));
      ++p->attributed;
      continue;
    }
    if (std::isnan(c.x[r]) || std::isnan(c.y[r])) continue;
    // Heatmap's tile arithmetic: floor(x * 64) in float, capped at 63.
    const int ti = std::min(63, static_cast<int>(std::floor(c.x[r] * 64)));
    const int tj = std::min(63, static_cast<int>(std::floor(c.y[r] * 64)));
    if (ti >= 0 && tj >= 0) {
      ++p->tiles[ti * kGrid + tj];
    } else {
      ++p->other[{ti, tj}];
    }
    ++p->unattached;
  }
  p->selectors.keepalive = c.str[kStrSelector].keepalive;
  // Sorted keys are runs of (entry, cell): each entry's cells end up consecutive, ascending.
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0, j; i < keys.size(); i = j) {
    for (j = i; j < keys.size() && keys[j] == keys[i];) ++j;
    GridEntry& e = p->entries[keys[i] >> 8];
    if (e.count == 0) e.first = static_cast<uint32_t>(p->cells.size());
    p->cells.push_back({static_cast<uint8_t>(keys[i]), j - i});
    e.count += j - i;
    e.end = static_cast<uint32_t>(p->cells.size());
  }
  return Status::Ok();
}

Status ElementGridOf(const Source& src, const CompiledFilter& cf, ClickKind kind, GridPart* p) {
  p->tiles.assign(kGrid * kGrid, 0);
  if (HasCellRollup(src, StreamKind::kCellGrid)) {
    return GridFromRollups(src, cf, kind, p);
  }
  return GridFromRows(src, cf, kind, p);
}

struct LayoutPart {
  std::array<LayoutCount, 4 * 256> rows;  // by device << 8 | bucket
  std::array<bool, 4 * 256> present{};
};

Status LayoutsOf(const Source& src, const CompiledFilter& cf, LayoutPart* p) {
  auto add = [&](uint8_t device, uint8_t bucket, uint64_t pageviews, uint64_t clicks) {
    if (device > 3) return Status::Corruption("segment: device class out of range");
    const size_t k = size_t{device} << 8 | bucket;
    p->present[k] = true;
    p->rows[k].pageviews += pageviews;
    p->rows[k].clicks += clicks;
    return Status::Ok();
  };
  if (src.HasAggregate(StreamKind::kCells)) {
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    for (uint32_t c : selected) {
      TAP_RETURN_IF_ERROR(add(cells.device[c], cells.vb[c], cells.pageviews[c], cells.clicks[c]));
    }
    return Status::Ok();
  }
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, kFilterColumns));
  const Columns& c = rows.cols();
  for (size_t r = 0; r < c.rows; ++r) {
    if (!rows.selected(r)) continue;
    TAP_RETURN_IF_ERROR(add(c.device[r], BucketOfWidth(c.viewport_w[r]), c.type[r] == kPageViewType,
                            c.type[r] == kClickType));
  }
  return Status::Ok();
}

}  // namespace

Result<ElementHeatmapResult> EmbeddedEventStore::ElementHeatmap(const HeatmapQuery& q,
                                                                size_t limit) {
  const EventFilter& f = q.filter;
  if (!f.path) return Status::InvalidArgument("path is required");
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot =
      Snapshot(f.project_id, f.from_day, f.to_day, kGridColumns | kFilterColumns, f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<GridPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return ElementGridOf(src, cf, q.kind, &parts[i]);
                                    }));
  ElementHeatmapResult r;
  // Pass 1: every element's count and name; pass 2 adds the cells of the `limit` chosen ones,
  // so the grids of elements the limit cuts are never built.
  struct Acc {
    uint64_t hash, count;
    std::string_view selector;
    int32_t rank;  // among the chosen, or -1
  };
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<Acc> accs;
  std::vector<std::vector<uint32_t>> acc_of(parts.size());
  std::vector<uint64_t> tiles(kGrid * kGrid, 0);
  std::map<std::pair<int, int>, uint64_t> other;
  for (size_t i = 0; i < parts.size(); ++i) {
    const GridPart& p = parts[i];
    r.pageviews += p.pageviews;
    r.attributed += p.attributed;
    r.total += p.attributed + p.unattached;
    for (size_t t = 0; t < p.tiles.size(); ++t) tiles[t] += p.tiles[t];
    for (const auto& [k, n] : p.other) other[k] += n;
    acc_of[i].reserve(p.entries.size());
    for (const GridEntry& e : p.entries) {
      auto [it, fresh] = index.try_emplace(e.hash, static_cast<uint32_t>(accs.size()));
      if (fresh) accs.push_back({e.hash, 0, {}, -1});
      Acc& a = accs[it->second];
      a.count += e.count;
      if (!e.selector.empty() && (a.selector.empty() || e.selector < a.selector))
        a.selector = e.selector;
      acc_of[i].push_back(it->second);
    }
  }
  std::vector<uint32_t> order;
  for (uint32_t k = 0; k < accs.size(); ++k) {
    if (accs[k].count > 0) order.push_back(k);
  }
  const size_t n = std::min(limit, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(n), order.end(),
                    [&](uint32_t a, uint32_t b) {
                      return accs[a].count != accs[b].count ? accs[a].count > accs[b].count
                                                            : accs[a].hash < accs[b].hash;
                    });
  std::vector<std::array<uint64_t, kElementGrid * kElementGrid>> grids(n);
  for (size_t k = 0; k < n; ++k) {
    grids[k].fill(0);
    accs[order[k]].rank = static_cast<int32_t>(k);
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const GridPart& p = parts[i];
    for (size_t k = 0; k < p.entries.size(); ++k) {
      const int32_t rank = accs[acc_of[i][k]].rank;
      if (rank < 0) continue;
      for (uint32_t c = p.entries[k].first; c < p.entries[k].end; ++c) {
        grids[rank][p.cells[c].index] += p.cells[c].count;
      }
    }
  }
  r.elements.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const Acc& a = accs[order[k]];
    ElementGrid& g = r.elements[k];
    g.selector_hash = a.hash;
    g.selector = std::string(a.selector);
    g.count = a.count;
    for (int c = 0; c < kElementGrid * kElementGrid; ++c) {
      if (grids[k][c]) g.cells.push_back({static_cast<uint8_t>(c), grids[k][c]});
    }
  }
  // Ascending (i, j) as ints, as Heatmap: tiles left of or above the page first.
  auto tile = [](int i, int j, uint64_t count) {
    return HeatmapTile{static_cast<uint8_t>(i), static_cast<uint8_t>(j), count};
  };
  auto it = other.begin();
  for (; it != other.end() && it->first.first < 0; ++it) {
    r.unattached.push_back(tile(it->first.first, it->first.second, it->second));
  }
  for (int i = 0; i < kGrid; ++i) {
    for (; it != other.end() && it->first.first == i; ++it) {
      r.unattached.push_back(tile(i, it->first.second, it->second));
    }
    for (int j = 0; j < kGrid; ++j) {
      if (tiles[i * kGrid + j]) r.unattached.push_back(tile(i, j, tiles[i * kGrid + j]));
    }
  }
  return r;
}

Result<std::vector<LayoutCount>> EmbeddedEventStore::Layouts(const EventFilter& f) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day, kFilterColumns, f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<LayoutPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return LayoutsOf(src, cf, &parts[i]);
                                    }));
  std::vector<LayoutCount> out;
  for (size_t k = 0; k < 4 * 256; ++k) {  // device, then bucket, ascending
    LayoutCount row;
    bool present = false;
    for (const LayoutPart& p : parts) {
      present |= p.present[k];
      row.pageviews += p.rows[k].pageviews;
      row.clicks += p.rows[k].clicks;
    }
    if (!present) continue;
    row.device_class = static_cast<DeviceClass>(k >> 8);
    row.viewport_bucket = static_cast<uint8_t>(k);
    out.push_back(row);
  }
  std::stable_sort(out.begin(), out.end(), [](const LayoutCount& a, const LayoutCount& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.clicks > b.clicks;
  });
  return out;
}

}  // namespace tapistry::store
