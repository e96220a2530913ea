// ReferenceEventStore: each query is one pass over every stored event, straight from the
// definitions in event_store.h. Ordered containers keep iteration deterministic; nothing is
// cached between queries.
#include "reference_event_store.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>

namespace tapistry::reference {
namespace {

Status CheckRange(const EventFilter& f) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  return Status::Ok();
}

// The referrer URL's host ("" when there is none).
std::string ReferrerHost(const std::string& url) {
  const size_t p = url.find("://");
  if (p == std::string::npos) return "";
  const std::string rest = url.substr(p + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

bool SessionLevel(Dimension d) {
  return d == Dimension::kEntryPage || d == Dimension::kReferrer || d == Dimension::kUtmSource ||
         d == Dimension::kUtmMedium || d == Dimension::kUtmCampaign;
}

constexpr int64_t kHourMs = 3600000;

// The overview numbers of one set of events (the whole range, or one day or hour of it).
struct OverviewAcc {
  struct Session {
    uint64_t pageviews = 0;
    int64_t first = INT64_MAX, last = INT64_MIN;
  };
  uint64_t pageviews = 0;
  std::set<Uuid> visitors;
  std::map<Uuid, Session> sessions;

  void Add(const Event& e) {
    Session& s = sessions[e.session_id];
    s.first = std::min(s.first, e.ts_ms);
    s.last = std::max(s.last, e.ts_ms);
    visitors.insert(e.anonymous_id);
    if (e.type == EventType::kPageView) {
      ++pageviews;
      ++s.pageviews;
    }
  }
  OverviewTotals Totals() const {
    OverviewTotals t;
    t.pageviews = pageviews;
    t.sessions = sessions.size();
    t.visitors = visitors.size();
    for (const auto& [id, s] : sessions) {
      if (s.pageviews > 0) ++t.sessions_with_pageviews;
      if (s.pageviews == 1) ++t.bounced_sessions;
      t.total_duration_ms += static_cast<uint64_t>(s.last - s.first);
    }
    return t;
  }
};

}  // namespace

bool Selected(const Event& e, const EventFilter& f) {
  const int32_t day = DayOf(e.ts_ms);
  return e.project_id == f.project_id && day >= f.from_day && day <= f.to_day &&
         (!f.path || e.path == *f.path) && (!f.device_class || e.device_class == *f.device_class) &&
         (!f.viewport_bucket || ViewportBucket(e.viewport_w) == *f.viewport_bucket) &&
         (f.include_bots || !IsBotScore(e.bot_score));
}

std::string ValueOf(const Event& e, Dimension d) {
  switch (d) {
    case Dimension::kPage:
    case Dimension::kEntryPage:
      return e.path;
    case Dimension::kReferrer:
      return ReferrerHost(e.referrer);
    case Dimension::kUtmSource:
      return e.utm_source;
    case Dimension::kUtmMedium:
      return e.utm_medium;
    case Dimension::kUtmCampaign:
      return e.utm_campaign;
    case Dimension::kDevice:
      return DeviceClassName(e.device_class);
    case Dimension::kBrowser:
      return e.browser;
    case Dimension::kOs:
      return e.os;
    case Dimension::kCountry:
      return e.country[0] ? std::string(e.country, 2) : std::string();
    case Dimension::kVisitorType:  // not an event's field (reference_funnel.cc)
      return "";
  }
  return "";
}

Status ReferenceEventStore::Append(std::span<const Event> events, uint64_t last_seq) {
  std::lock_guard lock(mu_);
  events_.insert(events_.end(), events.begin(), events.end());
  if (last_seq != 0) last_seq_ = std::max(last_seq_, last_seq);
  return Status::Ok();
}

Status ReferenceEventStore::Flush() {
  std::lock_guard lock(mu_);
  persisted_seq_ = last_seq_;
  return Status::Ok();
}

uint64_t ReferenceEventStore::PersistedSeq() const {
  std::lock_guard lock(mu_);
  return persisted_seq_;
}

std::vector<Event> ReferenceEventStore::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<Event> ReferenceEventStore::Select(const EventFilter& f) const {
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (Selected(e, f)) out.push_back(e);
  }
  return out;
}

Result<OverviewResult> ReferenceEventStore::Overview(const OverviewQuery& q) {
  TAP_RETURN_IF_ERROR(CheckRange(q.filter));
  const bool hourly = q.interval == Interval::kHour;
  if (hourly && int64_t{q.filter.to_day} - q.filter.from_day >= kMaxHourlyDays) {
    return Status::InvalidArgument("an hourly series spans at most 7 days");
  }
  OverviewAcc total;
  std::map<int64_t, OverviewAcc> buckets;  // by UTC day, or by UTC hour since the epoch
  std::map<std::string, std::pair<uint64_t, std::set<Uuid>>> pages;  // pageviews, sessions
  for (const Event& e : Select(q.filter)) {
    total.Add(e);
    const int64_t hour = e.ts_ms >= 0 ? e.ts_ms / kHourMs : (e.ts_ms - kHourMs + 1) / kHourMs;
    buckets[hourly ? hour : DayOf(e.ts_ms)].Add(e);
    if (e.type == EventType::kPageView) {
      ++pages[e.path].first;
      pages[e.path].second.insert(e.session_id);
    }
  }
  OverviewResult r;
  r.totals = total.Totals();
  for (int32_t d = q.filter.from_day; d <= q.filter.to_day; ++d) {
    for (int h = hourly ? 0 : -1; h < (hourly ? 24 : 0); ++h) {
      OverviewDay entry;
      entry.day = d;
      entry.hour = h;
      const int64_t key = hourly ? int64_t{d} * 24 + h : d;
      if (auto it = buckets.find(key); it != buckets.end()) entry.totals = it->second.Totals();
      r.series.push_back(entry);
    }
  }
  for (const auto& [path, p] : pages) r.top_pages.push_back({path, p.first, p.second.size()});
  std::sort(r.top_pages.begin(), r.top_pages.end(), [](const TopPage& a, const TopPage& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.path < b.path;
  });
  r.top_pages.resize(
      std::min(r.top_pages.size(), static_cast<size_t>(std::max(0, q.top_pages_limit))));
  return r;
}

Result<HeatmapResult> ReferenceEventStore::Heatmap(const HeatmapQuery& q) {
  if (!q.filter.path) return Status::InvalidArgument("path is required");
  TAP_RETURN_IF_ERROR(CheckRange(q.filter));
  HeatmapResult r;
  std::map<std::pair<int, int>, uint64_t> tiles;  // (i, j) as ints: ascending, negatives first
  for (const Event& e : Select(q.filter)) {
    if (e.type == EventType::kPageView) ++r.pageviews;
    if (e.type != EventType::kClick || !e.HasPoint()) continue;
    if (q.kind == ClickKind::kRage && !(e.flags & kFlagRage)) continue;
    if (q.kind == ClickKind::kDead && !(e.flags & kFlagDead)) continue;
    const int i = std::min(63, static_cast<int>(std::floor(e.x * 64)));
    const int j = std::min(63, static_cast<int>(std::floor(e.y * 64)));
    ++tiles[{i, j}];
    ++r.total;
  }
  for (const auto& [ij, n] : tiles) {
    r.tiles.push_back({static_cast<uint8_t>(ij.first), static_cast<uint8_t>(ij.second), n});
  }
  return r;
}

Result<ScrollMapResult> ReferenceEventStore::ScrollMap(const EventFilter& f) {
  TAP_RETURN_IF_ERROR(CheckRange(f));
  ScrollMapResult r;
  for (const Event& e : Select(f)) {
    if (e.type != EventType::kScroll || e.depth_pct > 100) continue;
    ++r.histogram[e.depth_pct];
    ++r.views;
    if (e.viewport_h > 0) {
      ++r.fold_views;
      r.fold_px_sum += e.viewport_h;
    }
  }
  return r;
}

Result<ElementsResult> ReferenceEventStore::TopElements(const EventFilter& f, size_t limit) {
  TAP_RETURN_IF_ERROR(CheckRange(f));
  struct Acc {
    ElementStat stat;
    uint64_t with_position = 0;
    double sum_x = 0, sum_y = 0;
  };
  std::map<uint64_t, Acc> by_hash;
  ElementsResult r;
  for (const Event& e : Select(f)) {
    if (e.type != EventType::kClick) continue;
    ++r.total_clicks;
    if (e.selector_hash == 0) continue;
    Acc& a = by_hash[e.selector_hash];
    a.stat.selector_hash = e.selector_hash;
    ++a.stat.clicks;
    if (e.flags & kFlagRage) ++a.stat.rage;
    if (e.flags & kFlagDead) ++a.stat.dead;
    if (!e.selector.empty() && (a.stat.selector.empty() || e.selector < a.stat.selector)) {
      a.stat.selector = e.selector;
    }
    if (!std::isnan(e.ex) && !std::isnan(e.ey)) {
      ++a.with_position;
      a.sum_x += e.ex;
      a.sum_y += e.ey;
    }
  }
  for (auto& [hash, a] : by_hash) {
    if (a.with_position) {
      a.stat.ex = a.sum_x / static_cast<double>(a.with_position);
      a.stat.ey = a.sum_y / static_cast<double>(a.with_position);
    }
    r.elements.push_back(a.stat);
  }
  std::stable_sort(r.elements.begin(), r.elements.end(),
                   [](const ElementStat& a, const ElementStat& b) { return a.clicks > b.clicks; });
  r.elements.resize(std::min(r.elements.size(), limit));
  return r;
}

Result<ElementHeatmapResult> ReferenceEventStore::ElementHeatmap(const HeatmapQuery& q,
                                                                 size_t limit) {
  if (!q.filter.path) return Status::InvalidArgument("path is required");
  TAP_RETURN_IF_ERROR(CheckRange(q.filter));
  // Per hash: the selector over all its clicks, and the grid over its attributed ones.
  std::map<uint64_t, std::string> selectors;
  std::map<uint64_t, std::map<int, uint64_t>> grids;
  std::map<std::pair<int, int>, uint64_t> tiles;  // (i, j) as ints, as Heatmap
  ElementHeatmapResult r;
  for (const Event& e : Select(q.filter)) {
    if (e.type == EventType::kPageView) ++r.pageviews;
    if (e.type != EventType::kClick) continue;
    if (e.selector_hash != 0) {
      std::string& s = selectors[e.selector_hash];
      if (!e.selector.empty() && (s.empty() || e.selector < s)) s = e.selector;
    }
    if (q.kind == ClickKind::kRage && !(e.flags & kFlagRage)) continue;
    if (q.kind == ClickKind::kDead && !(e.flags & kFlagDead)) continue;
    if (e.selector_hash != 0 && std::isfinite(e.ex) && std::isfinite(e.ey)) {
      const int gx = std::min(15, static_cast<int>(std::floor(std::clamp(e.ex, 0.0f, 1.0f) * 16)));
      const int gy = std::min(15, static_cast<int>(std::floor(std::clamp(e.ey, 0.0f, 1.0f) * 16)));
      ++grids[e.selector_hash][gy * 16 + gx];
      ++r.attributed;
    } else if (e.HasPoint()) {
      const int i = std::min(63, static_cast<int>(std::floor(e.x * 64)));
      const int j = std::min(63, static_cast<int>(std::floor(e.y * 64)));
      ++tiles[{i, j}];
    } else {
      continue;
    }
    ++r.total;
  }
  for (const auto& [hash, cells] : grids) {
    ElementGrid g;
    g.selector_hash = hash;
    g.selector = selectors[hash];
    for (const auto& [index, n] : cells) {
      g.cells.push_back({static_cast<uint8_t>(index), n});
      g.count += n;
    }
    r.elements.push_back(std::move(g));
  }
  std::stable_sort(r.elements.begin(), r.elements.end(),
                   [](const ElementGrid& a, const ElementGrid& b) { return a.count > b.count; });
  r.elements.resize(std::min(r.elements.size(), limit));
  for (const auto& [ij, n] : tiles) {
    r.unattached.push_back({static_cast<uint8_t>(ij.first), static_cast<uint8_t>(ij.second), n});
  }
  return r;
}

Result<std::vector<LayoutCount>> ReferenceEventStore::Layouts(const EventFilter& f) {
  TAP_RETURN_IF_ERROR(CheckRange(f));
  std::map<std::pair<int, int>, LayoutCount> rows;
  for (const Event& e : Select(f)) {
    const uint8_t bucket = ViewportBucket(e.viewport_w);
    LayoutCount& row = rows[{static_cast<int>(e.device_class), bucket}];
    row.device_class = e.device_class;
    row.viewport_bucket = bucket;
    if (e.type == EventType::kPageView) ++row.pageviews;
    if (e.type == EventType::kClick) ++row.clicks;
  }
  std::vector<LayoutCount> out;
  for (const auto& [key, row] : rows) out.push_back(row);  // device, then bucket, ascending
  std::stable_sort(out.begin(), out.end(), [](const LayoutCount& a, const LayoutCount& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.clicks > b.clicks;
  });
  return out;
}

Result<BreakdownResult> ReferenceEventStore::Breakdown(const EventFilter& f, Dimension d,
                                                       size_t limit) {
  TAP_RETURN_IF_ERROR(CheckRange(f));
  if (static_cast<int>(d) > static_cast<int>(Dimension::kCountry)) {
    return Status::InvalidArgument("not a breakdown dimension");
  }
  const std::vector<Event> events = Select(f);
  struct Row {
    std::set<Uuid> visitors;
    uint64_t pageviews = 0;
  };
  std::map<std::string, Row> rows;
  std::set<Uuid> everyone;
  for (const Event& e : events) everyone.insert(e.anonymous_id);
  if (!SessionLevel(d)) {
    for (const Event& e : events) {
      Row& row = rows[ValueOf(e, d)];
      row.visitors.insert(e.anonymous_id);
      if (e.type == EventType::kPageView) ++row.pageviews;
    }
  } else {
    // Each session goes to the value on its first page view (earliest ts, then smallest
    // event_id), with all of its page views; sessions without a page view go nowhere.
    std::map<Uuid, const Event*> first;
    std::map<Uuid, uint64_t> pageviews;
    for (const Event& e : events) {
      if (e.type != EventType::kPageView) continue;
      ++pageviews[e.session_id];
      const Event*& f1 = first[e.session_id];
      if (f1 == nullptr || std::pair(e.ts_ms, e.event_id) < std::pair(f1->ts_ms, f1->event_id)) {
        f1 = &e;
      }
    }
    for (const auto& [session, e] : first) {
      Row& row = rows[ValueOf(*e, d)];
      row.visitors.insert(e->anonymous_id);
      row.pageviews += pageviews[session];
    }
  }
  BreakdownResult r;
  r.total_visitors = everyone.size();
  for (const auto& [value, row] : rows)
    r.rows.push_back({value, row.visitors.size(), row.pageviews});
  std::stable_sort(r.rows.begin(), r.rows.end(), [](const BreakdownRow& a, const BreakdownRow& b) {
    return a.visitors > b.visitors;
  });
  r.rows.resize(std::min(r.rows.size(), limit));
  return r;
}

Result<std::vector<PathCount>> ReferenceEventStore::Paths(const EventFilter& f,
                                                          const std::string& contains,
                                                          size_t limit) {
  TAP_RETURN_IF_ERROR(CheckRange(f));
  std::map<std::string, uint64_t> counts;
  for (const Event& e : Select(f)) {
    if (e.type == EventType::kPageView && e.path.find(contains) != std::string::npos) {
      ++counts[e.path];
    }
  }
  std::vector<PathCount> out;
  for (const auto& [path, n] : counts) out.push_back({path, n});
  std::stable_sort(out.begin(), out.end(), [](const PathCount& a, const PathCount& b) {
    return a.pageviews > b.pageviews;
  });
  out.resize(std::min(out.size(), limit));
  return out;
}

Result<uint64_t> ReferenceEventStore::LiveVisitors(const std::string& project_id, int64_t since_ms,
                                                   bool include_bots) {
  std::lock_guard lock(mu_);
  std::set<Uuid> visitors;
  for (const Event& e : events_) {
    if (e.project_id == project_id && e.ts_ms >= since_ms &&
        (include_bots || !IsBotScore(e.bot_score))) {
      visitors.insert(e.anonymous_id);
    }
  }
  return static_cast<uint64_t>(visitors.size());
}

Result<std::vector<Event>> ReferenceEventStore::ListEvents(const EventFilter& filter,
                                                           std::optional<EventType> type,
                                                           size_t limit) {
  TAP_RETURN_IF_ERROR(CheckRange(filter));
  std::vector<Event> out;
  for (Event& e : Select(filter)) {
    if (!type || e.type == *type) out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return std::pair(a.ts_ms, a.event_id) < std::pair(b.ts_ms, b.event_id);
  });
  out.resize(std::min(out.size(), limit));
  return out;
}

Status ReferenceEventStore::ScanEventIds(int64_t since_ms,
                                         const std::function<void(const Uuid&, int64_t)>& fn) {
  for (const Event& e : events()) {
    if (e.ingest_ms >= since_ms) fn(e.event_id, e.ingest_ms);
  }
  return Status::Ok();
}

Result<std::vector<Uuid>> ReferenceEventStore::SubjectSessions(
    const std::string& project_id, const std::optional<Uuid>& anonymous_id,
    const std::optional<std::string>& user_id) {
  const bool by_user = user_id && !user_id->empty();
  if (!anonymous_id && !by_user) {
    return Status::InvalidArgument("SubjectSessions needs an anonymous_id or user_id");
  }
  std::lock_guard lock(mu_);
  std::set<Uuid> sessions;
  for (const Event& e : events_) {
    if (e.project_id == project_id &&
        ((anonymous_id && e.anonymous_id == *anonymous_id) || (by_user && e.user_id == *user_id))) {
      sessions.insert(e.session_id);
    }
  }
  return std::vector<Uuid>(sessions.begin(), sessions.end());
}

Result<std::vector<Event>> ReferenceEventStore::SubjectEvents(
    const std::string& project_id, const std::optional<Uuid>& anonymous_id,
    const std::optional<std::string>& user_id) {
  const bool by_user = user_id && !user_id->empty();
  if (!anonymous_id && !by_user) {
    return Status::InvalidArgument("SubjectEvents needs an anonymous_id or user_id");
  }
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  for (const Event& e : events_) {
    if (e.project_id == project_id &&
        ((anonymous_id && e.anonymous_id == *anonymous_id) || (by_user && e.user_id == *user_id))) {
      out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.event_id < b.event_id;
  });
  return out;
}

Result<uint64_t> ReferenceEventStore::DeleteSubject(const std::string& project_id,
                                                    const std::optional<Uuid>& anonymous_id,
                                                    const std::optional<std::string>& user_id) {
  const bool by_user = user_id && !user_id->empty();  // "" is "no user", never a subject
  if (!anonymous_id && !by_user) {
    return Status::InvalidArgument("DeleteSubject needs an anonymous_id or user_id");
  }
  std::lock_guard lock(mu_);
  const size_t removed = std::erase_if(events_, [&](const Event& e) {
    return e.project_id == project_id && ((anonymous_id && e.anonymous_id == *anonymous_id) ||
                                          (by_user && e.user_id == *user_id));
  });
  return static_cast<uint64_t>(removed);
}

Result<uint64_t> ReferenceEventStore::ApplyRetention(const std::string& project_id, int32_t today,
                                                     int keep_days) {
  if (keep_days < 0) return Status::InvalidArgument("keep_days is negative");
  const int64_t cutoff = static_cast<int64_t>(today) - keep_days;  // days before it go
  std::lock_guard lock(mu_);
  const size_t removed = std::erase_if(events_, [&](const Event& e) {
    return e.project_id == project_id && DayOf(e.ts_ms) < cutoff;
  });
  return static_cast<uint64_t>(removed);
}

std::vector<StoreGauge> ReferenceEventStore::Gauges() const {
  std::lock_guard lock(mu_);
  return {{std::string(kStoreRowsGauge), "Events held", static_cast<double>(events_.size())}};
}

}  // namespace tapistry::reference
