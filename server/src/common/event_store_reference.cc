// Reference implementations of the EventStore queries, written for clarity over ListEvents.
// They define the numbers (DESIGN §5) executably: backends override them with fast versions and
// the conformance suite checks that every backend returns exactly what these return.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "tapistry/event_store.h"

namespace tapistry {
namespace {

constexpr size_t kAll = std::numeric_limits<size_t>::max();

std::string ReferrerHost(const std::string& url) {
  size_t p = url.find("://");
  if (p == std::string::npos) return "";
  std::string rest = url.substr(p + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// The value of an event for a dimension (event-level, or the first page view's for session-level).
std::string ValueOf(const Event& e, Dimension d) {
  switch (d) {
    case Dimension::kPage:
    case Dimension::kEntryPage: return e.path;
    case Dimension::kReferrer: return ReferrerHost(e.referrer);
    case Dimension::kUtmSource: return e.utm_source;
    case Dimension::kUtmMedium: return e.utm_medium;
    case Dimension::kUtmCampaign: return e.utm_campaign;
    case Dimension::kDevice: return DeviceClassName(e.device_class);
    case Dimension::kBrowser: return e.browser;
    case Dimension::kOs: return e.os;
    case Dimension::kCountry: return e.country[0] ? std::string(e.country, 2) : std::string();
  }
  return "";
}

bool SessionLevel(Dimension d) {
  return d == Dimension::kEntryPage || d == Dimension::kReferrer || d == Dimension::kUtmSource ||
         d == Dimension::kUtmMedium || d == Dimension::kUtmCampaign;
}

}  // namespace

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kPage: return "page";
    case Dimension::kEntryPage: return "entry_page";
    case Dimension::kReferrer: return "referrer";
    case Dimension::kUtmSource: return "utm_source";
    case Dimension::kUtmMedium: return "utm_medium";
    case Dimension::kUtmCampaign: return "utm_campaign";
    case Dimension::kDevice: return "device";
    case Dimension::kBrowser: return "browser";
    case Dimension::kOs: return "os";
    case Dimension::kCountry: return "country";
  }
  return "page";
}

bool ParseDimension(std::string_view s, Dimension* out) {
  for (int i = 0; i <= static_cast<int>(Dimension::kCountry); ++i) {
    if (s == DimensionName(static_cast<Dimension>(i))) {
      *out = static_cast<Dimension>(i);
      return true;
    }
  }
  return false;
}

Result<HeatmapResult> EventStore::Heatmap(const HeatmapQuery& q) {
  if (!q.filter.path) return Status::InvalidArgument("path is required");
  auto events = ListEvents(q.filter, std::nullopt, kAll);
  if (!events.ok()) return events.status();
  std::map<std::pair<int, int>, uint64_t> tiles;
  HeatmapResult r;
  for (const Event& e : *events) {
    if (e.type == EventType::kPageView) ++r.pageviews;
    if (e.type != EventType::kClick || !e.HasPoint()) continue;
    if (q.kind == ClickKind::kRage && !(e.flags & kFlagRage)) continue;
    if (q.kind == ClickKind::kDead && !(e.flags & kFlagDead)) continue;
    int i = std::min(63, static_cast<int>(std::floor(e.x * 64)));
    int j = std::min(63, static_cast<int>(std::floor(e.y * 64)));
    ++tiles[{i, j}];
    ++r.total;
  }
  for (const auto& [k, c] : tiles) r.tiles.push_back({static_cast<uint8_t>(k.first), static_cast<uint8_t>(k.second), c});
  return r;
}

Result<ScrollMapResult> EventStore::ScrollMap(const EventFilter& f) {
  auto events = ListEvents(f, EventType::kScroll, kAll);
  if (!events.ok()) return events.status();
  ScrollMapResult r;
  for (const Event& e : *events) {
    if (e.depth_pct > 100) continue;
    ++r.histogram[e.depth_pct];
    ++r.views;
    if (e.viewport_h > 0) {
      ++r.fold_views;
      r.fold_px_sum += e.viewport_h;
    }
  }
  return r;
}

Result<ElementsResult> EventStore::TopElements(const EventFilter& f, size_t limit) {
  auto events = ListEvents(f, EventType::kClick, kAll);
  if (!events.ok()) return events.status();
  struct Acc {
    ElementStat s;
    uint64_t with_pos = 0;
    double sx = 0, sy = 0;
  };
  std::unordered_map<uint64_t, Acc> by_hash;
  ElementsResult r;
  for (const Event& e : *events) {
    ++r.total_clicks;
    if (e.selector_hash == 0) continue;
    Acc& a = by_hash[e.selector_hash];
    a.s.selector_hash = e.selector_hash;
    ++a.s.clicks;
    if (e.flags & kFlagRage) ++a.s.rage;
    if (e.flags & kFlagDead) ++a.s.dead;
    if (!e.selector.empty() && (a.s.selector.empty() || e.selector < a.s.selector)) a.s.selector = e.selector;
    if (!std::isnan(e.ex) && !std::isnan(e.ey)) {
      ++a.with_pos;
      a.sx += e.ex;
      a.sy += e.ey;
    }
  }
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

Result<BreakdownResult> EventStore::Breakdown(const EventFilter& f, Dimension d, size_t limit) {
  auto events = ListEvents(f, std::nullopt, kAll);
  if (!events.ok()) return events.status();
  struct Row {
    std::unordered_set<Uuid, UuidHash> visitors;
    uint64_t pageviews = 0;
  };
  std::map<std::string, Row> rows;
  std::unordered_set<Uuid, UuidHash> all;
  for (const Event& e : *events) all.insert(e.anonymous_id);
  if (!SessionLevel(d)) {
    for (const Event& e : *events) {
      Row& row = rows[ValueOf(e, d)];
      row.visitors.insert(e.anonymous_id);
      if (e.type == EventType::kPageView) ++row.pageviews;
    }
  } else {
    struct First {
      int64_t ts;
      Uuid id;
      std::string value;
      Uuid visitor;
      uint64_t pageviews = 0;
    };
    std::unordered_map<Uuid, First, UuidHash> sessions;
    for (const Event& e : *events) {
      if (e.type != EventType::kPageView) continue;
      auto [it, fresh] = sessions.try_emplace(e.session_id, First{e.ts_ms, e.event_id, ValueOf(e, d), e.anonymous_id});
      First& s = it->second;
      ++s.pageviews;
      if (!fresh && (e.ts_ms < s.ts || (e.ts_ms == s.ts && e.event_id < s.id))) {
        s.ts = e.ts_ms;
        s.id = e.event_id;
        s.value = ValueOf(e, d);
        s.visitor = e.anonymous_id;
      }
    }
    for (const auto& [sid, s] : sessions) {
      Row& row = rows[s.value];
      row.visitors.insert(s.visitor);
      row.pageviews += s.pageviews;
    }
  }
  BreakdownResult r;
  r.total_visitors = all.size();
  for (auto& [v, row] : rows) r.rows.push_back({v, row.visitors.size(), row.pageviews});
  std::sort(r.rows.begin(), r.rows.end(), [](const BreakdownRow& a, const BreakdownRow& b) {
    return a.visitors != b.visitors ? a.visitors > b.visitors : a.value < b.value;
  });
  if (r.rows.size() > limit) r.rows.resize(limit);
  return r;
}

Result<std::vector<PathCount>> EventStore::Paths(const EventFilter& f, const std::string& contains, size_t limit) {
  auto events = ListEvents(f, EventType::kPageView, kAll);
  if (!events.ok()) return events.status();
  std::unordered_map<std::string, uint64_t> counts;
  for (const Event& e : *events) {
    if (e.path.find(contains) != std::string::npos) ++counts[e.path];
  }
  std::vector<PathCount> out;
  for (auto& [p, c] : counts) out.push_back({p, c});
  std::sort(out.begin(), out.end(), [](const PathCount& a, const PathCount& b) {
    return a.pageviews != b.pageviews ? a.pageviews > b.pageviews : a.path < b.path;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<uint64_t> EventStore::LiveVisitors(const std::string& project_id, int64_t since_ms) {
  EventFilter f;
  f.project_id = project_id;
  f.from_day = DayOf(since_ms);
  f.to_day = INT32_MAX;  // "since" has no upper day
  auto events = ListEvents(f, std::nullopt, kAll);
  if (!events.ok()) return events.status();
  std::unordered_set<Uuid, UuidHash> v;
  for (const Event& e : *events) {
    if (e.ts_ms >= since_ms) v.insert(e.anonymous_id);
  }
  return static_cast<uint64_t>(v.size());
}

}  // namespace tapistry
