#include "result_json.h"

#include "common/json_writer.h"

namespace tapistry::reference {
namespace {

void Totals(JsonWriter& w, const OverviewTotals& t) {
  w.Key("pageviews").Uint(t.pageviews);
  w.Key("sessions").Uint(t.sessions);
  w.Key("visitors").Uint(t.visitors);
  w.Key("sessions_with_pageviews").Uint(t.sessions_with_pageviews);
  w.Key("bounced_sessions").Uint(t.bounced_sessions);
  w.Key("total_duration_ms").Uint(t.total_duration_ms);
}

}  // namespace

std::string ToJson(const OverviewResult& r) {
  JsonWriter w;
  w.BeginObject().Key("totals").BeginObject();
  Totals(w, r.totals);
  w.EndObject().Key("series").BeginArray();
  for (const OverviewDay& d : r.series) {
    w.BeginObject();
    if (d.hour < 0) {
      w.Key("day").String(FormatDay(d.day));
    } else {
      const char hh[3] = {static_cast<char>('0' + d.hour / 10),
                          static_cast<char>('0' + d.hour % 10), 0};
      w.Key("hour").String(FormatDay(d.day) + "T" + hh + ":00Z");
    }
    Totals(w, d.totals);
    w.EndObject();
  }
  w.EndArray().Key("top_pages").BeginArray();
  for (const TopPage& p : r.top_pages) {
    w.BeginObject().Key("path").String(p.path).Key("pageviews").Uint(p.pageviews);
    w.Key("sessions").Uint(p.sessions).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const HeatmapResult& r) {
  JsonWriter w;
  w.BeginObject().Key("tiles").BeginArray();
  for (const HeatmapTile& t : r.tiles) w.BeginArray().Uint(t.i).Uint(t.j).Uint(t.count).EndArray();
  w.EndArray().Key("total").Uint(r.total).Key("pageviews").Uint(r.pageviews);
  return w.EndObject().Take();
}

std::string ToJson(const ScrollMapResult& r) {
  JsonWriter w;
  w.BeginObject().Key("views").Uint(r.views).Key("histogram").BeginObject();
  for (size_t d = 0; d < r.histogram.size(); ++d) {
    if (r.histogram[d]) w.Key(std::to_string(d)).Uint(r.histogram[d]);
  }
  w.EndObject().Key("fold_views").Uint(r.fold_views).Key("fold_px_sum").Uint(r.fold_px_sum);
  return w.EndObject().Take();
}

std::string ToJson(const ElementsResult& r) {
  JsonWriter w;
  w.BeginObject().Key("total_clicks").Uint(r.total_clicks).Key("elements").BeginArray();
  for (const ElementStat& e : r.elements) {
    w.BeginObject().Key("selector_hash").Uint(e.selector_hash).Key("selector").String(e.selector);
    w.Key("clicks").Uint(e.clicks).Key("rage").Uint(e.rage).Key("dead").Uint(e.dead);
    w.Key("ex").Double(e.ex).Key("ey").Double(e.ey).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const ElementHeatmapResult& r) {
  JsonWriter w;
  w.BeginObject().Key("elements").BeginArray();
  for (const ElementGrid& e : r.elements) {
    w.BeginObject().Key("selector_hash").Uint(e.selector_hash).Key("selector").String(e.selector);
    w.Key("count").Uint(e.count).Key("cells").BeginArray();
    for (const ElementGridCell& c : e.cells) w.BeginArray().Uint(c.index).Uint(c.count).EndArray();
    w.EndArray().EndObject();
  }
  w.EndArray().Key("unattached").BeginArray();
  for (const HeatmapTile& t : r.unattached)
    w.BeginArray().Uint(t.i).Uint(t.j).Uint(t.count).EndArray();
  w.EndArray().Key("total").Uint(r.total).Key("attributed").Uint(r.attributed);
  return w.Key("pageviews").Uint(r.pageviews).EndObject().Take();
}

std::string ToJson(const std::vector<LayoutCount>& r) {
  JsonWriter w;
  w.BeginObject().Key("layouts").BeginArray();
  for (const LayoutCount& l : r) {
    w.BeginObject().Key("device").String(DeviceClassName(l.device_class));
    w.Key("vw").String(ViewportBucketName(l.viewport_bucket)).Key("pageviews").Uint(l.pageviews);
    w.Key("clicks").Uint(l.clicks).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const BreakdownResult& r) {
  JsonWriter w;
  w.BeginObject().Key("total_visitors").Uint(r.total_visitors).Key("rows").BeginArray();
  for (const BreakdownRow& row : r.rows) {
    w.BeginObject().Key("value").String(row.value).Key("visitors").Uint(row.visitors);
    w.Key("pageviews").Uint(row.pageviews).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const std::vector<PathCount>& r) {
  JsonWriter w;
  w.BeginObject().Key("paths").BeginArray();
  for (const PathCount& p : r) {
    w.BeginObject().Key("path").String(p.path).Key("pageviews").Uint(p.pageviews).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const std::vector<Event>& r) {
  JsonWriter w;
  w.BeginObject().Key("events").BeginArray();
  for (const Event& e : r) {
    w.BeginObject().Key("id").String(e.event_id.ToString()).Key("ts").Int(e.ts_ms);
    w.Key("type").String(EventTypeName(e.type)).Key("path").String(e.path).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

namespace {
void FunnelSteps(JsonWriter& w, const std::vector<FunnelStepResult>& steps) {
  w.BeginArray();
  for (const FunnelStepResult& s : steps) {
    w.BeginObject().Key("units").Uint(s.units);
    w.Key("total_ms_from_previous").Uint(s.total_ms_from_previous);
    w.Key("median_ms_from_previous").Uint(s.median_ms_from_previous).EndObject();
  }
  w.EndArray();
}
}  // namespace

std::string ToJson(const FunnelResult& r) {
  JsonWriter w;
  w.BeginObject().Key("steps");
  FunnelSteps(w, r.steps);
  w.Key("breakdown").BeginArray();
  for (const FunnelBreakdownRow& row : r.breakdown) {
    w.BeginObject().Key("value").String(row.value).Key("steps");
    FunnelSteps(w, row.steps);
    w.EndObject();
  }
  w.EndArray().Key("excluded_units").Uint(r.excluded_units);
  return w.EndObject().Take();
}

std::string FunnelTimesJson(const FunnelResult& r) {
  JsonWriter w;
  w.BeginObject().Key("steps").BeginArray();
  for (const FunnelStepResult& s : r.steps) {
    w.BeginObject().Key("units").Uint(s.units);
    w.Key("median_ms_from_previous").Uint(s.median_ms_from_previous);
    w.Key("p90_ms_from_previous").Uint(s.p90_ms_from_previous).EndObject();
  }
  w.EndArray().Key("time_to_convert").BeginArray();
  for (uint64_t n : r.time_to_convert) w.Uint(n);
  w.EndArray().Key("days").BeginArray();
  for (const FunnelDay& d : r.days) {
    w.BeginObject().Key("day").String(FormatDay(d.day));
    w.Key("entered").Uint(d.entered).Key("converted").Uint(d.converted).EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string ToJson(const FunnelMembersResult& r,
                   const std::function<std::string(const Uuid&)>& name) {
  auto id = [&](const Uuid& u) { return name ? name(u) : u.ToString(); };
  JsonWriter w;
  w.BeginObject().Key("total").Uint(r.total).Key("members").BeginArray();
  for (const FunnelMember& m : r.members) {
    w.BeginObject().Key("unit").String(id(m.unit_id)).Key("session").String(id(m.session_id));
    w.Key("entered_ms").Int(m.entered_ms).Key("reached_ms").Int(m.reached_ms);
    w.Key("device").String(DeviceClassName(m.device_class)).Key("country").String(m.country);
    w.EndObject();
  }
  return w.EndArray().EndObject().Take();
}

std::string LiveVisitorsJson(uint64_t visitors) {
  JsonWriter w;
  return w.BeginObject().Key("visitors").Uint(visitors).EndObject().Take();
}

std::string ErrorJson(const Status& s) {
  JsonWriter w;
  return w.BeginObject().Key("error").String(StatusCodeName(s.code())).EndObject().Take();
}

}  // namespace tapistry::reference
