// EmbeddedEventStore: heatmap, scroll map, elements, paths and live visitors.
// Each returns what event_store.h defines (server/test/reference_event_store.cc computes it by
// brute force; the conformance suite compares them). Sources are read in
// parallel: a segment answers from its cell rollups (rollup.h) — every filter selects whole
// cells — and a memtable copy or a segment without rollups is scanned column by column. The
// per-source partials are then combined in source order, so results do not depend on thread
// timing.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/embedded/analytics_parts.h"
#include "store/embedded/embedded_event_store.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kClick = kClickType;
constexpr uint8_t kPageView = kPageViewType;

struct HeatmapPart {
  std::vector<uint64_t> grid;                     // kGrid * kGrid counts, i * 64 + j
  std::map<std::pair<int, int>, uint64_t> other;  // tiles outside the grid (scanned rows only)
  uint64_t pageviews = 0, total = 0;
};

constexpr ColumnMask kHeatmapColumns =
    Bit(ColumnId::kType) | Bit(ColumnId::kX) | Bit(ColumnId::kY) | Bit(ColumnId::kFlags);

Status HeatmapOf(const Source& src, const CompiledFilter& cf, ClickKind kind, HeatmapPart* p) {
  p->grid.assign(kGrid * kGrid, 0);
  if (HasCellRollup(src, StreamKind::kCellTiles)) {
    const TileList list = kind == ClickKind::kRage   ? kTilesRage
                          : kind == ClickKind::kDead ? kTilesDead
                                                     : kTilesAll;
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    if (selected.empty()) return Status::Ok();
    ScratchString raw;
    TileEntries tiles;
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCellTiles, &raw));
    TAP_RETURN_IF_ERROR(DecodeTiles(std::move(raw), cells, &tiles));
    for (uint32_t c : selected) {
      p->pageviews += cells.pageviews[c];
      const auto range = cells.TileRange(c, list);
      TAP_RETURN_IF_ERROR(CheckRange(range, tiles.tile.size()));
      for (uint32_t k = range.first; k < range.second; ++k) {
        const uint16_t tile = tiles.tile[k];
        if (tile >= kGrid * kGrid) return Status::Corruption("segment rollup: tile out of range");
        p->grid[tile] += tiles.count[k];
        p->total += tiles.count[k];
      }
    }
    return Status::Ok();
  }
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, kHeatmapColumns));
  const Columns& c = rows.cols();
  for (size_t r = 0; r < c.rows; ++r) {
    if (!rows.selected(r)) continue;
    if (c.type[r] == kPageView) ++p->pageviews;
    if (c.type[r] != kClick || std::isnan(c.x[r]) || std::isnan(c.y[r])) continue;
    if (kind == ClickKind::kRage && !(c.flags[r] & kFlagRage)) continue;
    if (kind == ClickKind::kDead && !(c.flags[r] & kFlagDead)) continue;
    // Same float arithmetic as the definition: floor(x * 64) in float, capped at 63.
    const int ti = std::min(63, static_cast<int>(std::floor(c.x[r] * 64)));
    const int tj = std::min(63, static_cast<int>(std::floor(c.y[r] * 64)));
    if (ti >= 0 && tj >= 0) {
      ++p->grid[ti * kGrid + tj];
    } else {
      ++p->other[{ti, tj}];
    }
    ++p->total;
  }
  return Status::Ok();
}

struct ScrollPart {
  std::array<uint64_t, 101> histogram{};
  uint64_t fold_views = 0, fold_px_sum = 0;
};

Status ScrollOf(const Source& src, const CompiledFilter& cf, ScrollPart* p) {
  // Segments before version 3 have the scroll rollup but not the fold: their rows answer both.
  if (HasCellRollup(src, StreamKind::kCellScroll) && src.HasAggregate(StreamKind::kCellFold)) {
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    if (selected.empty()) return Status::Ok();
    ScratchString raw;
    ScrollEntries scroll;
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCellScroll, &raw));
    TAP_RETURN_IF_ERROR(DecodeScroll(std::move(raw), cells, &scroll));
    FoldEntries fold;
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCellFold, &raw));
    TAP_RETURN_IF_ERROR(DecodeFold(std::move(raw), cells, &fold));
    for (uint32_t c : selected) {
      const auto range = cells.ScrollRange(c);
      TAP_RETURN_IF_ERROR(CheckRange(range, scroll.depth.size()));
      for (uint32_t k = range.first; k < range.second; ++k) {
        const uint8_t depth = scroll.depth[k];
        if (depth > 100) return Status::Corruption("segment rollup: scroll depth out of range");
        p->histogram[depth] += scroll.count[k];
      }
      p->fold_views += fold.n[c];
      p->fold_px_sum += fold.sum_px[c];
    }
    return Status::Ok();
  }
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, Bit(ColumnId::kDepth) | Bit(ColumnId::kViewportH)));
  const Columns& c = rows.cols();
  for (size_t r = 0; r < c.rows; ++r) {
    if (!rows.selected(r) || c.depth[r] > 100) continue;
    ++p->histogram[c.depth[r]];
    if (c.viewport_h[r] > 0) {
      ++p->fold_views;
      p->fold_px_sum += c.viewport_h[r];
    }
  }
  return Status::Ok();
}

// One source's elements: an entry per (hash, cell) — or per hash for scanned rows — with its
// clicks, flags, position sums (added in segment order) and smallest selector.
struct ElementEntry {
  uint64_t hash;
  uint32_t clicks, rage, dead, with_pos;
  double sx, sy;
  std::string_view selector;  // smallest non-empty, "" if none
};
struct ElementsPart {
  uint64_t total_clicks = 0;
  std::vector<ElementEntry> entries;
  StringColumn selectors;  // keeps the selector strings alive
};

constexpr ColumnMask kElementColumns = Bit(ColumnId::kSelectorHash) | Bit(ColumnId::kFlags) |
                                       Bit(ColumnId::kEx) | Bit(ColumnId::kEy) |
                                       Bit(ColumnId::kSelector);

Status ElementsOf(const Source& src, const CompiledFilter& cf, ElementsPart* p) {
  if (HasCellRollup(src, StreamKind::kCellElements)) {
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    size_t n = 0;
    for (uint32_t c : selected) {
      p->total_clicks += cells.clicks[c];
      const auto range = cells.ElementRange(c);
      TAP_RETURN_IF_ERROR(CheckRange(range, cells.element_total()));
      n += range.second - range.first;
    }
    if (n == 0) return Status::Ok();
    ScratchString raw;
    ElementEntries el;
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCellElements, &raw));
    TAP_RETURN_IF_ERROR(DecodeElements(std::move(raw), cells, &el));
    const StringColumn* dict = nullptr;
    p->entries.reserve(n);
    for (uint32_t c : selected) {
      const auto range = cells.ElementRange(c);
      for (uint32_t k = range.first; k < range.second; ++k) {
        std::string_view sel;
        if (const uint32_t code = el.selector[k]; code != kNoSelector) {
          if (dict == nullptr) {
            TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kSelector, &p->selectors, &dict));
            if (dict != &p->selectors) p->selectors.keepalive = dict->keepalive;
          }
          if (code >= dict->dict.size()) {
            return Status::Corruption("segment rollup: selector code out of range");
          }
          sel = dict->dict[code];
        }
        p->entries.push_back({el.hash[k], el.clicks[k], el.rage[k], el.dead[k], el.with_pos[k],
                              el.sum_ex[k], el.sum_ey[k], sel});
      }
    }
    return Status::Ok();
  }
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, kElementColumns));
  const Columns& c = rows.cols();
  std::unordered_map<uint64_t, uint32_t> index;
  for (size_t r = 0; r < c.rows; ++r) {
    if (!rows.selected(r)) continue;
    ++p->total_clicks;
    const uint64_t h = c.selector_hash[r];
    if (h == 0) continue;
    auto [it, fresh] = index.try_emplace(h, static_cast<uint32_t>(p->entries.size()));
    if (fresh) p->entries.push_back({h, 0, 0, 0, 0, 0, 0, {}});
    ElementEntry& e = p->entries[it->second];
    ++e.clicks;
    e.rage += (c.flags[r] & kFlagRage) != 0;
    e.dead += (c.flags[r] & kFlagDead) != 0;
    if (!std::isnan(c.ex[r]) && !std::isnan(c.ey[r])) {
      ++e.with_pos;
      e.sx += c.ex[r];
      e.sy += c.ey[r];
    }
    std::string_view s = c.str[kStrSelector].Value(r);
    if (!s.empty() && (e.selector.empty() || s < e.selector)) e.selector = s;
  }
  p->selectors.keepalive = c.str[kStrSelector].keepalive;
  return Status::Ok();
}

struct PathsPart {
  std::vector<std::pair<std::string_view, uint64_t>> counts;
  StringColumn dict;  // keeps the path strings alive
};

Status PathsOf(const Source& src, const CompiledFilter& cf, const std::string& contains,
               PathsPart* p) {
  std::vector<uint64_t> per_code;
  const StringColumn* dict = nullptr;
  SelectedRows rows;  // scanned rows (their path dictionary is used below)
  if (src.HasAggregate(StreamKind::kCells)) {
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    if (selected.empty()) return Status::Ok();
    TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kPath, &p->dict, &dict));
    per_code.assign(dict->dict.size(), 0);
    for (uint32_t c : selected) {
      const uint32_t code = cells.path[c];
      if (code >= per_code.size()) {
        return Status::Corruption("segment rollup: cell path code out of range");
      }
      per_code[code] += cells.pageviews[c];
    }
  } else {
    TAP_RETURN_IF_ERROR(rows.Read(src, cf, Bit(ColumnId::kPath)));
    const Columns& c = rows.cols();
    const StringColumn& path = c.str[kStrPath];
    per_code.assign(path.dict.size(), 0);
    for (size_t r = 0; r < c.rows; ++r) {
      if (rows.selected(r)) ++per_code[path.codes[r]];
    }
    p->dict.dict = path.dict;
    p->dict.keepalive = path.keepalive;
    dict = &p->dict;
  }
  if (dict != &p->dict) p->dict.keepalive = dict->keepalive;
  for (size_t code = 0; code < per_code.size(); ++code) {
    if (per_code[code] == 0) continue;
    if (dict->dict[code].find(contains) == std::string_view::npos) continue;
    p->counts.emplace_back(dict->dict[code], per_code[code]);
  }
  return Status::Ok();
}

}  // namespace

Status EmbeddedEventStore::ScanSelected(const EventFilter& f, std::optional<EventType> type,
                                        ColumnMask mask, const ScanFn& fn) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  const RowPredicate pred = RowPredicate::FromFilter(f, type);
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day,
                           mask | Bit(ColumnId::kType) | Bit(ColumnId::kPath) |
                               Bit(ColumnId::kDevice) | Bit(ColumnId::kViewportW),
                           f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  SourceList& sources = *snapshot;
  std::stable_sort(sources.begin(), sources.end(),
                   [](const auto& a, const auto& b) { return a->day() < b->day(); });
  for (const auto& src : sources) {
    CompiledFilter cf;
    TAP_RETURN_IF_ERROR(CompileFilter(pred, *src, &cf));
    if (cf.state == CompiledFilter::State::kNone) continue;
    SelectedRows rows;
    TAP_RETURN_IF_ERROR(rows.Read(*src, cf, mask));
    TAP_RETURN_IF_ERROR(fn(*src, rows));
  }
  return Status::Ok();
}

Result<HeatmapResult> EmbeddedEventStore::Heatmap(const HeatmapQuery& q) {
  const EventFilter& f = q.filter;
  if (!f.path) return Status::InvalidArgument("path is required");
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day, kHeatmapColumns | kFilterColumns,
                           f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<HeatmapPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return HeatmapOf(src, cf, q.kind, &parts[i]);
                                    }));
  HeatmapResult r;
  std::vector<uint64_t> grid(kGrid * kGrid, 0);
  std::map<std::pair<int, int>, uint64_t> other;
  for (const HeatmapPart& p : parts) {
    r.pageviews += p.pageviews;
    r.total += p.total;
    for (size_t t = 0; t < p.grid.size(); ++t) grid[t] += p.grid[t];
    for (const auto& [k, n] : p.other) other[k] += n;
  }
  // Ascending (i, j) as ints: tiles left of or above the page (negative) come first.
  auto tile = [](int i, int j, uint64_t n) {
    return HeatmapTile{static_cast<uint8_t>(i), static_cast<uint8_t>(j), n};
  };
  auto it = other.begin();
  for (; it != other.end() && it->first.first < 0; ++it) {
    r.tiles.push_back(tile(it->first.first, it->first.second, it->second));
  }
  for (int i = 0; i < kGrid; ++i) {
    for (; it != other.end() && it->first.first == i; ++it) {  // (i, negative j)
      r.tiles.push_back(tile(i, it->first.second, it->second));
    }
    for (int j = 0; j < kGrid; ++j) {
      if (grid[i * kGrid + j]) r.tiles.push_back(tile(i, j, grid[i * kGrid + j]));
    }
  }
  return r;
}

Result<ScrollMapResult> EmbeddedEventStore::ScrollMap(const EventFilter& f) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot =
      Snapshot(f.project_id, f.from_day, f.to_day,
               Bit(ColumnId::kDepth) | Bit(ColumnId::kViewportH) | kFilterColumns, f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<ScrollPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f, EventType::kScroll),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return ScrollOf(src, cf, &parts[i]);
                                    }));
  ScrollMapResult r;
  for (const ScrollPart& p : parts) {
    for (size_t d = 0; d <= 100; ++d) {
      r.histogram[d] += p.histogram[d];
      r.views += p.histogram[d];
    }
    r.fold_views += p.fold_views;
    r.fold_px_sum += p.fold_px_sum;
  }
  return r;
}

Result<ElementsResult> EmbeddedEventStore::TopElements(const EventFilter& f, size_t limit) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day, kElementColumns | kFilterColumns,
                           f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<ElementsPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f, EventType::kClick),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return ElementsOf(src, cf, &parts[i]);
                                    }));
  // Sources are added in source order (event_store.h: ex, ey compare within a tolerance; the
  // order still makes repeated queries return the same bits).
  ElementsResult r;
  struct Acc {
    uint64_t with_pos = 0;
    double sx = 0, sy = 0;
    std::string_view selector;
  };
  std::unordered_map<uint64_t, uint32_t> index;
  std::vector<ElementStat> stats;
  std::vector<Acc> accs;
  for (const ElementsPart& p : parts) {
    r.total_clicks += p.total_clicks;
    for (const ElementEntry& e : p.entries) {
      auto [it, fresh] = index.try_emplace(e.hash, static_cast<uint32_t>(stats.size()));
      if (fresh) {
        stats.push_back(ElementStat{e.hash, {}, 0, 0, 0, 0, 0});
        accs.emplace_back();
      }
      ElementStat& s = stats[it->second];
      Acc& a = accs[it->second];
      s.clicks += e.clicks;
      s.rage += e.rage;
      s.dead += e.dead;
      a.with_pos += e.with_pos;
      a.sx += e.sx;
      a.sy += e.sy;
      if (!e.selector.empty() && (a.selector.empty() || e.selector < a.selector)) {
        a.selector = e.selector;
      }
    }
  }
  std::vector<uint32_t> order(stats.size());
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = k;
  auto by_clicks = [&](uint32_t a, uint32_t b) {
    return stats[a].clicks != stats[b].clicks ? stats[a].clicks > stats[b].clicks
                                              : stats[a].selector_hash < stats[b].selector_hash;
  };
  const size_t n = std::min(limit, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(n), order.end(),
                    by_clicks);
  for (size_t k = 0; k < n; ++k) {
    ElementStat s = stats[order[k]];
    const Acc& a = accs[order[k]];
    s.selector = std::string(a.selector);
    if (a.with_pos) {
      s.ex = a.sx / static_cast<double>(a.with_pos);
      s.ey = a.sy / static_cast<double>(a.with_pos);
    }
    r.elements.push_back(std::move(s));
  }
  return r;
}

Result<std::vector<PathCount>> EmbeddedEventStore::Paths(const EventFilter& f,
                                                         const std::string& contains,
                                                         size_t limit) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day, kFilterColumns, f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<PathsPart> parts(sources.size());
  TAP_RETURN_IF_ERROR(ForEachSource(sources, RowPredicate::FromFilter(f, EventType::kPageView),
                                    [&](size_t i, const Source& src, const CompiledFilter& cf) {
                                      return PathsOf(src, cf, contains, &parts[i]);
                                    }));
  std::unordered_map<std::string_view, uint64_t> counts;
  for (const PathsPart& p : parts) {
    for (const auto& [path, n] : p.counts) counts[path] += n;
  }
  std::vector<PathCount> out;
  out.reserve(counts.size());
  for (auto& [p, n] : counts) out.push_back({std::string(p), n});
  auto by_count = [](const PathCount& a, const PathCount& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.path < b.path;
  };
  const size_t n = std::min(limit, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<ptrdiff_t>(n), out.end(), by_count);
  out.resize(n);
  return out;
}

Result<uint64_t> EmbeddedEventStore::LiveVisitors(const std::string& project_id, int64_t since_ms,
                                                  bool include_bots) {
  EventFilter f;
  f.project_id = project_id;
  f.include_bots = include_bots;
  f.from_day = DayOf(since_ms);
  // Every later day too: an event counts by its ts, and ingest accepts ts up to minutes ahead of
  // the server clock (and an import, anything), so "since" has no upper day.
  f.to_day = INT32_MAX;
  std::unordered_set<Uuid, UuidHash> visitors;
  TAP_RETURN_IF_ERROR(ScanSelected(f, std::nullopt, Bit(ColumnId::kTs) | Bit(ColumnId::kAnonymous),
                                   [&](const Source&, const SelectedRows& rows) {
                                     const Columns& c = rows.cols();
                                     for (size_t i = 0; i < c.rows; ++i) {
                                       if (rows.selected(i) && c.ts[i] >= since_ms) {
                                         visitors.insert(c.anonymous.dict[c.anonymous.codes[i]]);
                                       }
                                     }
                                     return Status::Ok();
                                   }));
  return static_cast<uint64_t>(visitors.size());
}

}  // namespace tapistry::store
