// EmbeddedEventStore: heatmap, scroll map, elements, paths and live visitors as column scans.
// Each returns exactly what the reference implementation over ListEvents returns
// (common/event_store_reference.cc; the conformance suite compares them), but reads only the
// columns it needs and never builds Event objects, so memory stays bounded for long ranges.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/embedded/embedded_event_store.h"
#include "store/embedded/row_filter.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kClick = static_cast<uint8_t>(EventType::kClick);
constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

bool Selected(const std::vector<uint8_t>& sel, size_t r) { return sel.empty() || sel[r]; }

}  // namespace

Status EmbeddedEventStore::ScanSelected(const EventFilter& f, std::optional<EventType> type, ColumnMask mask,
                                        const ScanFn& fn) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  const RowPredicate pred = RowPredicate::FromFilter(f, type);
  SourceList sources = Snapshot(f.project_id, f.from_day, f.to_day,
                                mask | Bit(ColumnId::kType) | Bit(ColumnId::kPath) | Bit(ColumnId::kDevice) |
                                    Bit(ColumnId::kViewportW));
  std::stable_sort(sources.begin(), sources.end(), [](const auto& a, const auto& b) { return a->day() < b->day(); });
  for (const auto& src : sources) {
    CompiledFilter cf;
    TAP_RETURN_IF_ERROR(CompileFilter(pred, *src, &cf));
    if (cf.state == CompiledFilter::State::kNone) continue;
    Columns scratch;
    auto cols = src->Get(mask | cf.columns, &scratch);
    if (!cols.ok()) return cols.status();
    std::vector<uint8_t> sel;
    if (cf.state == CompiledFilter::State::kRows) cf.Evaluate(**cols, &sel);
    TAP_RETURN_IF_ERROR(fn(*src, **cols, sel));
  }
  return Status::Ok();
}

Result<HeatmapResult> EmbeddedEventStore::Heatmap(const HeatmapQuery& q) {
  if (!q.filter.path) return Status::InvalidArgument("path is required");
  std::map<std::pair<int, int>, uint64_t> tiles;
  HeatmapResult r;
  const ColumnMask mask = Bit(ColumnId::kType) | Bit(ColumnId::kX) | Bit(ColumnId::kY) | Bit(ColumnId::kFlags);
  TAP_RETURN_IF_ERROR(ScanSelected(q.filter, std::nullopt, mask, [&](const Source&, const Columns& c, const auto& sel) {
    for (size_t i = 0; i < c.rows; ++i) {
      if (!Selected(sel, i)) continue;
      if (c.type[i] == kPageView) ++r.pageviews;
      if (c.type[i] != kClick || std::isnan(c.x[i]) || std::isnan(c.y[i])) continue;
      if (q.kind == ClickKind::kRage && !(c.flags[i] & kFlagRage)) continue;
      if (q.kind == ClickKind::kDead && !(c.flags[i] & kFlagDead)) continue;
      // Same float arithmetic as the definition: floor(x * 64) in float, capped at 63.
      const int ti = std::min(63, static_cast<int>(std::floor(c.x[i] * 64)));
      const int tj = std::min(63, static_cast<int>(std::floor(c.y[i] * 64)));
      ++tiles[{ti, tj}];
      ++r.total;
    }
    return Status::Ok();
  }));
  for (const auto& [k, n] : tiles) {
    r.tiles.push_back({static_cast<uint8_t>(k.first), static_cast<uint8_t>(k.second), n});
  }
  return r;
}

Result<ScrollMapResult> EmbeddedEventStore::ScrollMap(const EventFilter& f) {
  ScrollMapResult r;
  TAP_RETURN_IF_ERROR(ScanSelected(f, EventType::kScroll, Bit(ColumnId::kDepth),
                                   [&](const Source&, const Columns& c, const auto& sel) {
                                     for (size_t i = 0; i < c.rows; ++i) {
                                       if (!Selected(sel, i) || c.depth[i] > 100) continue;
                                       ++r.histogram[c.depth[i]];
                                       ++r.views;
                                     }
                                     return Status::Ok();
                                   }));
  return r;
}

Result<ElementsResult> EmbeddedEventStore::TopElements(const EventFilter& f, size_t limit) {
  struct Acc {
    ElementStat s;
    uint64_t with_pos = 0;
    double sx = 0, sy = 0;
  };
  std::unordered_map<uint64_t, Acc> by_hash;
  ElementsResult r;
  // The mean position is a floating-point sum, so it must add clicks in the definition's order
  // (oldest first, ties by event_id): sources are scanned day by day, each day's clicks sorted.
  struct Click {
    int64_t ts;
    Uuid id;
    uint32_t row;
    uint32_t part;
  };
  const ColumnMask mask = Bit(ColumnId::kTs) | Bit(ColumnId::kEventId) | Bit(ColumnId::kSelectorHash) |
                          Bit(ColumnId::kFlags) | Bit(ColumnId::kEx) | Bit(ColumnId::kEy) | Bit(ColumnId::kSelector);
  int32_t day = INT32_MIN;
  std::vector<Columns> day_cols;  // the day's sources (a day has one or a few)
  std::vector<Click> clicks;
  auto flush_day = [&] {
    std::sort(clicks.begin(), clicks.end(), [](const Click& a, const Click& b) {
      return a.ts != b.ts ? a.ts < b.ts : a.id < b.id;
    });
    for (const Click& k : clicks) {
      const Columns& c = day_cols[k.part];
      const uint32_t i = k.row;
      ++r.total_clicks;
      const uint64_t h = c.selector_hash[i];
      if (h == 0) continue;
      Acc& a = by_hash[h];
      a.s.selector_hash = h;
      ++a.s.clicks;
      if (c.flags[i] & kFlagRage) ++a.s.rage;
      if (c.flags[i] & kFlagDead) ++a.s.dead;
      std::string_view sel = c.str[kStrSelector].Value(i);
      if (!sel.empty() && (a.s.selector.empty() || sel < a.s.selector)) a.s.selector = std::string(sel);
      if (!std::isnan(c.ex[i]) && !std::isnan(c.ey[i])) {
        ++a.with_pos;
        a.sx += c.ex[i];
        a.sy += c.ey[i];
      }
    }
    clicks.clear();
    day_cols.clear();
  };
  TAP_RETURN_IF_ERROR(ScanSelected(f, EventType::kClick, mask, [&](const Source& src, const Columns& c, const auto& sel) {
    if (src.day() != day) {
      flush_day();
      day = src.day();
    }
    // Keep only what the day's sort and accumulation need.
    Columns keep;
    keep.rows = c.rows;
    keep.selector_hash = c.selector_hash;
    keep.flags = c.flags;
    keep.ex = c.ex;
    keep.ey = c.ey;
    keep.str[kStrSelector] = c.str[kStrSelector];
    const uint32_t part = static_cast<uint32_t>(day_cols.size());
    day_cols.push_back(std::move(keep));
    for (size_t i = 0; i < c.rows; ++i) {
      if (Selected(sel, i)) clicks.push_back({c.ts[i], c.event_id[i], static_cast<uint32_t>(i), part});
    }
    return Status::Ok();
  }));
  flush_day();
  for (auto& [h, a] : by_hash) {
    if (a.with_pos) {
      a.s.ex = a.sx / a.with_pos;
      a.s.ey = a.sy / a.with_pos;
    }
    r.elements.push_back(a.s);
  }
  std::sort(r.elements.begin(), r.elements.end(), [](const ElementStat& a, const ElementStat& b) {
    return a.clicks != b.clicks ? a.clicks > b.clicks : a.selector_hash < b.selector_hash;
  });
  if (r.elements.size() > limit) r.elements.resize(limit);
  return r;
}

Result<std::vector<PathCount>> EmbeddedEventStore::Paths(const EventFilter& f, const std::string& contains,
                                                         size_t limit) {
  std::unordered_map<std::string, uint64_t> counts;
  TAP_RETURN_IF_ERROR(ScanSelected(f, EventType::kPageView, Bit(ColumnId::kPath),
                                   [&](const Source&, const Columns& c, const auto& sel) {
                                     const StringColumn& path = c.str[kStrPath];
                                     std::vector<uint64_t> per_code(path.dict.size(), 0);
                                     for (size_t i = 0; i < c.rows; ++i) {
                                       if (Selected(sel, i)) ++per_code[path.codes[i]];
                                     }
                                     for (size_t code = 0; code < per_code.size(); ++code) {
                                       if (per_code[code] == 0) continue;
                                       if (path.dict[code].find(contains) == std::string_view::npos) continue;
                                       counts[std::string(path.dict[code])] += per_code[code];
                                     }
                                     return Status::Ok();
                                   }));
  std::vector<PathCount> out;
  for (auto& [p, n] : counts) out.push_back({p, n});
  std::sort(out.begin(), out.end(), [](const PathCount& a, const PathCount& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.path < b.path;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<uint64_t> EmbeddedEventStore::LiveVisitors(const std::string& project_id, int64_t since_ms) {
  EventFilter f;
  f.project_id = project_id;
  f.from_day = DayOf(since_ms);
  f.to_day = DayOf(since_ms) + 2;
  std::unordered_set<Uuid, UuidHash> visitors;
  TAP_RETURN_IF_ERROR(ScanSelected(f, std::nullopt, Bit(ColumnId::kTs) | Bit(ColumnId::kAnonymous),
                                   [&](const Source&, const Columns& c, const auto& sel) {
                                     for (size_t i = 0; i < c.rows; ++i) {
                                       if (Selected(sel, i) && c.ts[i] >= since_ms) {
                                         visitors.insert(c.anonymous.dict[c.anonymous.codes[i]]);
                                       }
                                     }
                                     return Status::Ok();
                                   }));
  return static_cast<uint64_t>(visitors.size());
}

}  // namespace tapistry::store
