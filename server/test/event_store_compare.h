// Comparing two EventStores query by query: the checks of the conformance suite, as functions
// that return what differs instead of failing a test, so that a test can also prove they catch
// a wrong backend (event_store_honesty_test.cc runs them on stores that must be rejected).
//
// `want` is always the reference (reference_event_store.h) holding the test's own events; `got`
// is the backend under test. Two answers agree when both are errors with the same code or both
// are values that are equal — exactly, except the mean element positions (event_store.h:
// within a relative 1e-9).
// Thread-safety: test code; the stores' own contracts apply.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "result_json.h"
#include "tapistry/event_store.h"
#include "tapistry/funnel.h"

namespace tapistry::conformance {

// ElementsResult as event_store.h compares it: every field exact except the mean positions
// ex, ey, floating-point means whose last bits depend on the order clicks were added in.
inline constexpr double kPositionTolerance = 1e-9;  // relative
inline bool SamePosition(double a, double b) {
  return a == b || std::fabs(a - b) <= kPositionTolerance * std::max(std::fabs(a), std::fabs(b));
}
inline bool SameElementsValue(const ElementsResult& got, const ElementsResult& want) {
  bool same = got.total_clicks == want.total_clicks && got.elements.size() == want.elements.size();
  for (size_t i = 0; same && i < got.elements.size(); ++i) {
    const ElementStat& a = got.elements[i];
    const ElementStat& b = want.elements[i];
    same = a.selector_hash == b.selector_hash && a.selector == b.selector && a.clicks == b.clicks &&
           a.rage == b.rage && a.dead == b.dead && SamePosition(a.ex, b.ex) &&
           SamePosition(a.ey, b.ey);
  }
  return same;
}
inline ::testing::AssertionResult SameElements(const ElementsResult& got,
                                               const ElementsResult& want) {
  if (SameElementsValue(got, want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got:  " << reference::ToJson(got) << "\nwant: " << reference::ToJson(want);
}

// Every stored field of an event (floats: NaN equals NaN).
inline bool SameFloat(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
inline bool SameEvent(const Event& a, const Event& b) {
  return a.ts_ms == b.ts_ms && a.ingest_ms == b.ingest_ms && a.event_id == b.event_id &&
         a.session_id == b.session_id && a.anonymous_id == b.anonymous_id &&
         a.project_id == b.project_id && a.user_id == b.user_id && a.type == b.type &&
         a.name == b.name && a.url == b.url && a.path == b.path && a.title == b.title &&
         a.referrer == b.referrer && a.utm_source == b.utm_source && a.utm_medium == b.utm_medium &&
         a.utm_campaign == b.utm_campaign && a.utm_term == b.utm_term &&
         a.utm_content == b.utm_content && a.device_class == b.device_class &&
         a.browser == b.browser && a.os == b.os && a.ua == b.ua &&
         std::memcmp(a.country, b.country, 2) == 0 && a.viewport_w == b.viewport_w &&
         a.viewport_h == b.viewport_h && SameFloat(a.x, b.x) && SameFloat(a.y, b.y) &&
         SameFloat(a.ex, b.ex) && SameFloat(a.ey, b.ey) && a.selector_hash == b.selector_hash &&
         a.selector == b.selector && a.flags == b.flags && a.depth_pct == b.depth_pct &&
         a.bot_score == b.bot_score && a.props == b.props;
}
inline bool SameEventsValue(const std::vector<Event>& a, const std::vector<Event>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), SameEvent);
}

template <typename T>
bool SameValue(const T& a, const T& b) {
  return a == b;
}
inline bool SameValue(const ElementsResult& a, const ElementsResult& b) {
  return SameElementsValue(a, b);
}
inline bool SameValue(const std::vector<Event>& a, const std::vector<Event>& b) {
  return SameEventsValue(a, b);
}
inline std::string Render(const Result<uint64_t>& r) {
  return r.ok() ? reference::LiveVisitorsJson(r.value()) : reference::ErrorJson(r.status());
}
template <typename T>
std::string Render(const Result<T>& r) {
  return reference::ToJson(r);
}

// "" when the answers agree, else "<what>: got ... want ...".
template <typename T>
std::string Differs(const std::string& what, const Result<T>& got, const Result<T>& want) {
  const bool same =
      got.ok() == want.ok() && (got.ok() ? SameValue(got.value(), want.value())
                                         : got.status().code() == want.status().code());
  if (same) return "";
  return what + ":\n  got:  " + Render(got) + "\n  want: " + Render(want);
}

inline std::string FilterName(const EventFilter& f) {
  return "project=" + f.project_id + " days=" + FormatDay(f.from_day) + ".." + FormatDay(f.to_day) +
         " path=" + f.path.value_or("-") +
         " device=" + (f.device_class ? DeviceClassName(*f.device_class) : "-") +
         " vb=" + (f.viewport_bucket ? std::to_string(*f.viewport_bucket) : "-") +
         (f.include_bots ? " bots=include" : "");
}

// Every query of event_store.h under `f`, and under `f` with include_bots the other way (so
// every query is compared with bots and without), on `got` and on `want`; one entry per
// disagreement, each starting with the query's name (overview, heatmap, scrollmap,
// element_heatmap, layouts, elements, breakdown, paths, funnel, funnel_members, list_events). The
// overview is asked for its daily and its hourly series (over more than kMaxHourlyDays days both
// must refuse the hourly one). Heatmaps need a path: f.path, else `heatmap_path`.
inline std::vector<std::string> Mismatches(EventStore& got, EventStore& want,
                                           const EventFilter& filter,
                                           const std::string& heatmap_path = "/docs") {
  std::vector<std::string> out;
  auto add = [&](std::string diff) {
    if (!diff.empty()) out.push_back(std::move(diff));
  };
  for (bool flip : {false, true}) {
    EventFilter f = filter;
    if (flip) f.include_bots = !f.include_bots;
    const std::string bots = f.include_bots ? " bots=include" : "";
    for (int limit : {3, 1000}) {
      const OverviewQuery q{f, limit};
      add(Differs("overview limit=" + std::to_string(limit) + bots, got.Overview(q),
                  want.Overview(q)));
    }
    const OverviewQuery hourly{f, 3, Interval::kHour};
    add(Differs("overview interval=hour" + bots, got.Overview(hourly), want.Overview(hourly)));
    for (ClickKind kind : {ClickKind::kAll, ClickKind::kRage, ClickKind::kDead}) {
      HeatmapQuery q{f, kind};
      if (!q.filter.path) q.filter.path = heatmap_path;
      add(Differs("heatmap kind=" + std::to_string(static_cast<int>(kind)) + bots, got.Heatmap(q),
                  want.Heatmap(q)));
    }
    add(Differs("scrollmap" + bots, got.ScrollMap(f), want.ScrollMap(f)));
    for (ClickKind kind : {ClickKind::kAll, ClickKind::kRage, ClickKind::kDead}) {
      HeatmapQuery q{f, kind};
      if (!q.filter.path) q.filter.path = heatmap_path;
      for (size_t limit : {size_t{0}, size_t{2}, size_t{1000}}) {
        add(Differs("element_heatmap kind=" + std::to_string(static_cast<int>(kind)) +
                        " limit=" + std::to_string(limit) + bots,
                    got.ElementHeatmap(q, limit), want.ElementHeatmap(q, limit)));
      }
    }
    add(Differs("layouts" + bots, got.Layouts(f), want.Layouts(f)));
    for (size_t limit : {size_t{2}, size_t{1000}}) {
      add(Differs("elements limit=" + std::to_string(limit) + bots, got.TopElements(f, limit),
                  want.TopElements(f, limit)));
      for (int d = 0; d <= static_cast<int>(Dimension::kCountry); ++d) {
        const Dimension dim = static_cast<Dimension>(d);
        add(Differs(std::string("breakdown ") + DimensionName(dim) +
                        " limit=" + std::to_string(limit) + bots,
                    got.Breakdown(f, dim, limit), want.Breakdown(f, dim, limit)));
      }
    }
    for (const char* contains : {"", "doc"}) {
      add(Differs(std::string("paths contains='") + contains + "'" + bots,
                  got.Paths(f, contains, 1000), want.Paths(f, contains, 1000)));
    }
    // Funnels over the filter's project and days (funnels take no path, device or viewport
    // filter): two pages in order and in any order, per session and per visitor, one broken
    // down; and the units behind each bar.
    for (FunnelMode mode : {FunnelMode::kSequential, FunnelMode::kAnyOrder}) {
      for (FunnelUnit unit : {FunnelUnit::kSession, FunnelUnit::kVisitor}) {
        FunnelQuery q;
        q.project_id = f.project_id;
        q.from_day = f.from_day;
        q.to_day = f.to_day;
        q.mode = mode;
        q.unit = unit;
        q.window_ms = 3600000;
        q.include_bots = f.include_bots;
        FunnelStep a, b;
        a.path = "/";
        a.path_match = PathMatch::kPrefix;
        b.path = heatmap_path;
        q.steps = {a, b};
        if (unit == FunnelUnit::kSession) q.breakdown = Dimension::kDevice;
        const std::string name =
            std::string(" mode=") + FunnelModeName(mode) + " unit=" + FunnelUnitName(unit) + bots;
        add(Differs("funnel" + name, got.Funnel(q), want.Funnel(q)));
        for (size_t furthest : {size_t{1}, size_t{2}}) {
          const FunnelMembersQuery m{q, furthest, 3};
          add(Differs("funnel_members furthest=" + std::to_string(furthest) + name,
                      got.FunnelMembers(m), want.FunnelMembers(m)));
        }
      }
    }
    add(Differs("list_events" + bots, got.ListEvents(f, std::nullopt, 1000000),
                want.ListEvents(f, std::nullopt, 1000000)));
    add(Differs("list_events limit=5" + bots, got.ListEvents(f, std::nullopt, 5),
                want.ListEvents(f, std::nullopt, 5)));
    for (EventType type :
         {EventType::kPageView, EventType::kClick, EventType::kScroll, EventType::kCustom}) {
      add(Differs(std::string("list_events type=") + EventTypeName(type) + bots,
                  got.ListEvents(f, type, 1000000), want.ListEvents(f, type, 1000000)));
    }
  }
  return out;
}

// LiveVisitors of `project` since each of `since`, without bots and with them.
inline std::vector<std::string> LiveVisitorMismatches(EventStore& got, EventStore& want,
                                                      const std::string& project,
                                                      const std::vector<int64_t>& since) {
  std::vector<std::string> out;
  for (bool bots : {false, true}) {
    for (int64_t t : since) {
      std::string d =
          Differs("live_visitors since=" + std::to_string(t) + (bots ? " bots=include" : ""),
                  got.LiveVisitors(project, t, bots), want.LiveVisitors(project, t, bots));
      if (!d.empty()) out.push_back(std::move(d));
    }
  }
  return out;
}

inline ::testing::AssertionResult NoMismatches(const std::vector<std::string>& diffs,
                                               const std::string& context = "") {
  if (diffs.empty()) return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << diffs.size() << " queries disagree with the reference" << (context.empty() ? "" : " (")
          << context << (context.empty() ? "" : ")");
  for (const std::string& d : diffs) failure << "\n" << d;
  return failure;
}

// Every query under `f` agrees.
inline ::testing::AssertionResult SameAnswers(EventStore& got, EventStore& want,
                                              const EventFilter& f,
                                              const std::string& heatmap_path = "/docs") {
  return NoMismatches(Mismatches(got, want, f, heatmap_path), FilterName(f));
}

}  // namespace tapistry::conformance
