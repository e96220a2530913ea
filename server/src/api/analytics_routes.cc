// The analytics read routes: overview, raw events, heatmap tiles, element heatmap, layouts,
// scroll map, elements, breakdowns and paths (spec §6.2, docs/api.md).
#include <cmath>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "common/json_writer.h"
#include "common/params.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

void WriteTotals(const OverviewTotals& t, JsonWriter* w) {
  w->Key("pageviews")
      .Uint(t.pageviews)
      .Key("sessions")
      .Uint(t.sessions)
      .Key("visitors")
      .Uint(t.visitors);
  w->Key("bounce_rate")
      .Double(t.sessions_with_pageviews ? double(t.bounced_sessions) / t.sessions_with_pageviews
                                        : 0.0);
  w->Key("avg_session_ms").Uint(t.sessions ? t.total_duration_ms / t.sessions : 0);
  w->Key("views_per_session")
      .Double(t.sessions_with_pageviews ? double(t.pageviews) / t.sessions_with_pageviews : 0.0);
}

// "YYYY-MM-DDTHH:00Z": the UTC hour an hourly series entry covers.
std::string FormatHour(const OverviewDay& d) {
  const char digits[3] = {static_cast<char>('0' + d.hour / 10),
                          static_cast<char>('0' + d.hour % 10), 0};
  return FormatDay(d.day) + "T" + digits + ":00Z";
}

Reply Overview(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  OverviewQuery q;
  Status s = ParseFilter(call, d.clock->NowMs(), &q.filter);
  if (!s.ok()) return ErrorReply(s);
  auto limit = LimitParam(req, static_cast<size_t>(q.top_pages_limit), limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  q.top_pages_limit = static_cast<int>(*limit);
  const std::string interval = req.Query("interval");
  if (interval == "hour") {
    q.interval = Interval::kHour;
  } else if (!interval.empty() && interval != "day") {
    return ErrorReply(Status::InvalidArgument("interval must be hour or day"));
  }
  if (q.interval == Interval::kHour &&
      int64_t{q.filter.to_day} - q.filter.from_day >= kMaxHourlyDays) {
    return ErrorReply(Status::InvalidArgument("interval=hour covers at most 7 days (from..to)"));
  }
  const bool hourly = q.interval == Interval::kHour;
  auto r = d.events->Overview(q);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv =
        hourly ? "hour,pageviews,sessions,visitors\r\n" : "date,pageviews,sessions,visitors\r\n";
    for (const OverviewDay& d : r->series) {
      csv += (hourly ? FormatHour(d) : FormatDay(d.day)) + "," +
             std::to_string(d.totals.pageviews) + "," + std::to_string(d.totals.sessions) + "," +
             std::to_string(d.totals.visitors) + "\r\n";
    }
    return CsvReply(std::move(csv), "overview.csv");
  }
  // What the bot filter takes out of the totals: the totals with bots minus those without, the
  // other one from a second overview of the same filter (daily, no top pages: its totals only).
  OverviewQuery other = q;
  other.filter.include_bots = !q.filter.include_bots;
  other.interval = Interval::kDay;
  other.top_pages_limit = 0;
  auto o = d.events->Overview(other);
  if (!o.ok()) return ErrorReply(o.status());
  const OverviewTotals& with_bots = q.filter.include_bots ? r->totals : o->totals;
  const OverviewTotals& without_bots = q.filter.include_bots ? o->totals : r->totals;
  auto live = d.events->LiveVisitors(q.filter.project_id, d.clock->NowMs() - 5 * 60 * 1000,
                                     q.filter.include_bots);
  JsonWriter w;
  w.BeginObject().Key("totals").BeginObject();
  WriteTotals(r->totals, &w);
  w.EndObject();
  w.Key("series").BeginArray();
  for (const OverviewDay& d : r->series) {
    w.BeginObject();
    if (hourly) w.Key("hour").String(FormatHour(d));
    w.Key("date").String(FormatDay(d.day));
    WriteTotals(d.totals, &w);
    w.EndObject();
  }
  w.EndArray().Key("top_pages").BeginArray();
  for (const TopPage& p : r->top_pages) {
    w.BeginObject()
        .Key("path")
        .String(p.path)
        .Key("pageviews")
        .Uint(p.pageviews)
        .Key("sessions")
        .Uint(p.sessions)
        .EndObject();
  }
  w.EndArray().Key("bots").BeginObject().Key("excluded").Bool(!q.filter.include_bots);
  // Saturating: events appended between the two overviews may land in the second one only.
  auto minus = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
  w.Key("pageviews").Uint(minus(with_bots.pageviews, without_bots.pageviews));
  w.Key("visitors").Uint(minus(with_bots.visitors, without_bots.visitors)).EndObject();
  w.Key("interval").String(hourly ? "hour" : "day");
  w.Key("live_visitors").Uint(live.ok() ? *live : 0).Key("timezone").String("UTC").EndObject();
  return JsonReply(w.Take());
}

// The heatmaps' common parameters: the filter, a required path, and kind=clicks|rage|dead.
Status ParseHeatmapQuery(const ApiDeps& d, const RouteCall& call, HeatmapQuery* q) {
  TAP_RETURN_IF_ERROR(ParseFilter(call, d.clock->NowMs(), &q->filter));
  if (!q->filter.path) return Status::InvalidArgument("path is required");
  const std::string kind = call.req.Query("kind");
  if (kind == "rage") q->kind = ClickKind::kRage;
  else if (kind == "dead") q->kind = ClickKind::kDead;
  else if (!kind.empty() && kind != "clicks")
    return Status::InvalidArgument("kind must be clicks, rage or dead");
  return Status::Ok();
}

Reply Heatmap(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  HeatmapQuery q;
  Status s = ParseHeatmapQuery(d, call, &q);
  if (!s.ok()) return ErrorReply(s);
  const std::string kind = req.Query("kind");
  auto r = d.events->Heatmap(q);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv = "i,j,count\r\n";
    for (const HeatmapTile& t : r->tiles) {
      csv +=
          std::to_string(t.i) + "," + std::to_string(t.j) + "," + std::to_string(t.count) + "\r\n";
    }
    return CsvReply(std::move(csv), "heatmap-tiles.csv");
  }
  JsonWriter w;
  w.BeginObject().Key("grid").Int(64).Key("tiles").BeginArray();
  for (const HeatmapTile& t : r->tiles) {
    w.BeginObject().Key("i").Uint(t.i).Key("j").Uint(t.j).Key("count").Uint(t.count).EndObject();
  }
  w.EndArray()
      .Key("total")
      .Uint(r->total)
      .Key("pageviews")
      .Uint(r->pageviews)
      .Key("kind")
      .String(kind.empty() ? "clicks" : kind)
      .EndObject();
  return JsonReply(w.Take());
}

// Issue 13: each element's 16x16 click grid, the dashboard draws on the element wherever the
// snapshot puts it; clicks without an element stay in document tiles.
Reply ElementHeatmap(const ApiDeps& d, const RouteCall& call) {
  HeatmapQuery q;
  Status s = ParseHeatmapQuery(d, call, &q);
  if (!s.ok()) return ErrorReply(s);
  auto limit = LimitParam(call.req, 200, limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = d.events->ElementHeatmap(q, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("elements").BeginArray();
  for (const ElementGrid& e : r->elements) {
    // A decimal string: a 64-bit hash does not survive a JavaScript number (as /api/elements).
    w.BeginObject()
        .Key("selector_hash")
        .String(std::to_string(e.selector_hash))
        .Key("selector")
        .String(e.selector)
        .Key("count")
        .Uint(e.count)
        .Key("cells")
        .BeginArray();
    for (const ElementGridCell& c : e.cells) w.BeginArray().Uint(c.index).Uint(c.count).EndArray();
    w.EndArray().EndObject();
  }
  w.EndArray().Key("unattached").BeginArray();
  for (const HeatmapTile& t : r->unattached)
    w.BeginArray().Uint(t.i).Uint(t.j).Uint(t.count).EndArray();
  w.EndArray()
      .Key("total")
      .Uint(r->total)
      .Key("attributed")
      .Uint(r->attributed)
      .Key("pageviews")
      .Uint(r->pageviews)
      .Key("grid")
      .Int(kElementGrid)
      .EndObject();
  return JsonReply(w.Take());
}

// The layouts of a page (device class x viewport bucket) with their page views and clicks: the
// heatmap viewer's tabs, one layout per picture, the busiest first.
Reply Layouts(const ApiDeps& d, const RouteCall& call) {
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  if (!f.path) return ErrorReply(Status::InvalidArgument("path is required"));
  auto r = d.events->Layouts(f);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("layouts").BeginArray();
  for (const LayoutCount& l : *r) {
    w.BeginObject()
        .Key("device")
        .String(DeviceClassName(l.device_class))
        .Key("vw")
        .String(ViewportBucketName(l.viewport_bucket))
        .Key("pageviews")
        .Uint(l.pageviews)
        .Key("clicks")
        .Uint(l.clicks)
        .EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

Reply ScrollMap(const ApiDeps& d, const RouteCall& call) {
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  if (!f.path) return ErrorReply(Status::InvalidArgument("path is required"));
  auto r = d.events->ScrollMap(f);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("histogram").BeginArray();
  for (size_t d = 0; d < r->histogram.size(); ++d) {
    if (r->histogram[d])
      w.BeginObject().Key("depth_pct").Uint(d).Key("count").Uint(r->histogram[d]).EndObject();
  }
  w.EndArray().Key("views").Uint(r->views).Key("reach").BeginArray();
  // reach[d] = share of views whose max depth >= d.
  uint64_t at_least = r->views;
  for (size_t d = 0; d <= 100; ++d) {
    double pct =
        r->views ? 100.0 * static_cast<double>(at_least) / static_cast<double>(r->views) : 0.0;
    w.BeginObject()
        .Key("depth_pct")
        .Uint(d)
        .Key("pct")
        .Double(std::round(pct * 100) / 100)
        .EndObject();
    at_least -= r->histogram[d];
  }
  w.EndArray().Key("avg_fold_px");
  if (r->fold_views > 0) {
    w.Uint((r->fold_px_sum + r->fold_views / 2) / r->fold_views);  // rounded half up
  } else {
    w.Null();
  }
  w.EndObject();
  return JsonReply(w.Take());
}

Reply Elements(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  // Without a path: the elements clicked on every page (the funnel builder's click picker). The
  // bookmarklet's token reads the page it is on, never the whole site.
  if (!f.path && call.caller == Caller::kOverlayToken)
    return ErrorReply(Status::InvalidArgument("path is required"));
  auto limit = LimitParam(req, 20, limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = d.events->TopElements(f, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("elements").BeginArray();
  for (const ElementStat& e : r->elements) {
    w.BeginObject()
        .Key("selector_hash")
        .String(std::to_string(e.selector_hash))
        .Key("selector")
        .String(e.selector)
        .Key("clicks")
        .Uint(e.clicks)
        .Key("rage")
        .Uint(e.rage)
        .Key("dead")
        .Uint(e.dead)
        .Key("ex")
        .Double(std::round(e.ex * 10000) / 10000)
        .Key("ey")
        .Double(std::round(e.ey * 10000) / 10000)
        .EndObject();
  }
  w.EndArray().Key("total_clicks").Uint(r->total_clicks).EndObject();
  return JsonReply(w.Take());
}

Reply Breakdown(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  Dimension dim_id;
  std::string dim = req.Query("dimension");
  if (!ParseDimension(dim, &dim_id)) {
    return ErrorReply(
        Status::InvalidArgument("dimension must be page, entry_page, referrer, utm_source, "
                                "utm_medium, utm_campaign, device, browser, os or country"));
  }
  auto limit = LimitParam(req, 10, limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = d.events->Breakdown(f, dim_id, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv = std::string(DimensionName(dim_id)) + ",visitors,pageviews\r\n";
    for (const BreakdownRow& row : r->rows) {
      csv += CsvField(row.value) + "," + std::to_string(row.visitors) + "," +
             std::to_string(row.pageviews) + "\r\n";
    }
    return CsvReply(std::move(csv), std::string(DimensionName(dim_id)) + ".csv");
  }
  JsonWriter w;
  w.BeginObject().Key("dimension").String(DimensionName(dim_id)).Key("rows").BeginArray();
  for (const BreakdownRow& row : r->rows) {
    w.BeginObject()
        .Key("value")
        .String(row.value)
        .Key("visitors")
        .Uint(row.visitors)
        .Key("pageviews")
        .Uint(row.pageviews)
        .EndObject();
  }
  w.EndArray().Key("total_visitors").Uint(r->total_visitors).EndObject();
  return JsonReply(w.Take());
}

Reply Paths(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  auto limit = LimitParam(req, 20, limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  f.path.reset();  // autocomplete searches every path
  std::string q = req.Query("q");
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto r = d.events->Paths(f, q, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("paths").BeginArray();
  for (const PathCount& p : *r)
    w.BeginObject().Key("path").String(p.path).Key("pageviews").Uint(p.pageviews).EndObject();
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

Reply Events(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  std::optional<EventType> type;
  std::string t = req.Query("type");
  if (!t.empty()) {
    EventType et;
    if (!ParseEventType(t, &et)) return ErrorReply(Status::InvalidArgument("unknown type " + t));
    type = et;
  }
  auto limit = LimitParam(req, 1000, limits::kMaxEventsLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = d.events->ListEvents(f, type, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("events").BeginArray();
  for (const Event& e : *r) WriteEventJson(e, &w);
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

}  // namespace

Status AddAnalyticsRoutes(RouteTable* t, const ApiDeps& d) {
  const size_t body = limits::kMaxApiBody;
  struct R {
    const char* path;
    AuthPolicy auth;
    Reply (*fn)(const ApiDeps&, const RouteCall&);
  };
  for (const R& r : {R{"/api/overview", AuthPolicy::kRead, Overview},
                     R{"/api/events", AuthPolicy::kRead, Events},
                     R{"/api/heatmap", AuthPolicy::kHeatmapRead, Heatmap},
                     R{"/api/heatmap/elements", AuthPolicy::kHeatmapRead, ElementHeatmap},
                     R{"/api/layouts", AuthPolicy::kHeatmapRead, Layouts},
                     R{"/api/scrollmap", AuthPolicy::kHeatmapRead, ScrollMap},
                     R{"/api/elements", AuthPolicy::kHeatmapRead, Elements},
                     R{"/api/breakdown", AuthPolicy::kRead, Breakdown},
                     R{"/api/paths", AuthPolicy::kRead, Paths}}) {
    auto fn = r.fn;
    TAP_RETURN_IF_ERROR(t->Add({"GET", r.path, r.auth, body, 0, false, CorsPolicy::kNone, "api",
                                Sync([d, fn](const RouteCall& c) { return fn(d, c); })}));
  }
  return Status::Ok();
}

}  // namespace tapistry
