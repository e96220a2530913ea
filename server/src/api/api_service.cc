#include "api/api_service.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "common/crypto.h"
#include "common/json_writer.h"
#include "snapshot/snapshot_service.h"

namespace tapistry {
namespace {

constexpr int32_t kMaxRangeDays = 400;

Reply ErrorReply(const Status& s) {
  return JsonError(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
}

Reply JsonReply(std::string body) {
  Reply r;
  r.body = std::move(body);
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

// RFC 4180 field: quoted when it holds a comma, quote or line break; formula-looking cells get a
// leading apostrophe so spreadsheets never evaluate data as formulas.
std::string CsvField(std::string_view v) {
  std::string s(v);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

Reply CsvReply(std::string body, const std::string& filename) {
  Reply r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(body);
  r.AddHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Result<size_t> LimitParam(const HttpRequest& req, size_t def, size_t max) {
  std::string ls = req.Query("limit");
  if (ls.empty()) return def;
  size_t n = 0;
  auto [p, ec] = std::from_chars(ls.data(), ls.data() + ls.size(), n);
  if (ec != std::errc() || p != ls.data() + ls.size() || n < 1 || n > max) {
    return Status::InvalidArgument("limit must be 1.." + std::to_string(max));
  }
  return n;
}

void WriteTotals(const OverviewTotals& t, JsonWriter* w) {
  w->Key("pageviews").Uint(t.pageviews).Key("sessions").Uint(t.sessions).Key("visitors").Uint(t.visitors);
  w->Key("bounce_rate").Double(t.sessions_with_pageviews ? double(t.bounced_sessions) / t.sessions_with_pageviews : 0.0);
  w->Key("avg_session_ms").Uint(t.sessions ? t.total_duration_ms / t.sessions : 0);
  w->Key("views_per_session").Double(t.sessions_with_pageviews ? double(t.pageviews) / t.sessions_with_pageviews : 0.0);
}

}  // namespace

bool ParseDayParam(std::string_view s, int32_t* day) {
  if (ParseDay(s, day)) return true;
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return false;
  *day = DayOf(ms);
  return true;
}

void WriteEventJson(const Event& e, JsonWriter* w) {
  w->BeginObject()
      .Key("id").String(e.event_id.ToString())
      .Key("ts").Int(e.ts_ms)
      .Key("ingest_ts").Int(e.ingest_ms)
      .Key("type").String(EventTypeName(e.type));
  if (!e.name.empty()) w->Key("name").String(e.name);
  w->Key("session_id").String(e.session_id.ToString()).Key("anonymous_id").String(e.anonymous_id.ToString());
  if (!e.user_id.empty()) w->Key("user_id").String(e.user_id);
  w->Key("url").String(e.url).Key("path").String(e.path).Key("title").String(e.title)
      .Key("referrer").String(e.referrer);
  w->Key("utm").BeginObject();
  if (!e.utm_source.empty()) w->Key("source").String(e.utm_source);
  if (!e.utm_medium.empty()) w->Key("medium").String(e.utm_medium);
  if (!e.utm_campaign.empty()) w->Key("campaign").String(e.utm_campaign);
  if (!e.utm_term.empty()) w->Key("term").String(e.utm_term);
  if (!e.utm_content.empty()) w->Key("content").String(e.utm_content);
  w->EndObject();
  w->Key("viewport").BeginObject().Key("w").Uint(e.viewport_w).Key("h").Uint(e.viewport_h).EndObject();
  if (e.HasPoint()) w->Key("x").Double(e.x).Key("y").Double(e.y);
  if (!std::isnan(e.ex) && !std::isnan(e.ey)) w->Key("ex").Double(e.ex).Key("ey").Double(e.ey);
  if (e.selector_hash != 0) w->Key("selector_hash").String(std::to_string(e.selector_hash));
  if (!e.selector.empty()) w->Key("selector").String(e.selector);
  w->Key("props").Raw(e.props.empty() ? "{}" : e.props);
  w->Key("device_class").String(DeviceClassName(e.device_class))
      .Key("browser").String(e.browser).Key("os").String(e.os);
  if (e.country[0] != 0) w->Key("country").String(std::string_view(e.country, 2));
  if (e.depth_pct != kNoDepth) w->Key("depth_pct").Uint(e.depth_pct);
  if (e.flags & kFlagRage) w->Key("rage").Bool(true);
  if (e.flags & kFlagDead) w->Key("dead").Bool(true);
  w->Key("bot_score").Uint(e.bot_score);
  if (!e.ua.empty()) w->Key("ua").String(e.ua);
  w->EndObject();
}

ApiService::ApiService(MetaStore* meta, EventStore* events, SessionAuth* auth, SnapshotService* snapshots,
                       Clock* clock, MetricsRegistry* metrics)
    : meta_(meta), events_(events), auth_(auth), snapshots_(snapshots), clock_(clock), metrics_(metrics) {}

Reply ApiService::Snapshot(const HttpRequest& req, bool status_only) {
  std::string project = req.Query("project_id");
  if (project.empty()) return ErrorReply(Status::InvalidArgument("project_id is required"));
  Status s = Authorize(req, project);
  if (!s.ok()) return ErrorReply(s);
  std::string path = req.Query("path");
  if (path.empty()) return ErrorReply(Status::InvalidArgument("path is required"));
  std::optional<uint8_t> bucket;
  std::string vw = req.Query("vw");
  if (!vw.empty()) {
    uint8_t b;
    if (!ParseViewportBucket(vw, &b)) return ErrorReply(Status::InvalidArgument("vw must be one of 0-479, 480-767, 768-1023, 1024-1439, 1440+"));
    bucket = b;
  }
  if (status_only) return JsonReply(snapshots_->StatusJson(project, path, bucket));
  auto r = snapshots_->Get(project, path, bucket);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound) return JsonError(404, "no_snapshot", r.status().message());
  if (!r.ok()) return ErrorReply(r.status());
  return JsonReply(std::move(r).value());
}

Status ApiService::CheckSessionWrite(const HttpRequest& req) {
  std::string csrf;
  if (!HasSession(req, &csrf)) return Status::Unauthenticated("sign in with the link tapistry serve printed");
  if (!ConstantTimeEquals(req.Header("x-csrf-token"), csrf)) return Status::PermissionDenied("missing or wrong X-CSRF-Token");
  return Status::Ok();
}

Reply ApiService::DsarDelete(const HttpRequest& req) {
  if (Status s = CheckSessionWrite(req); !s.ok()) return ErrorReply(s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req.body).get(doc) || !doc.is_object()) return ErrorReply(Status::InvalidArgument("body must be a JSON object"));
  std::string project, anon_text, user;
  for (auto f : doc.get_object()) {
    if (!f.value.is_string()) continue;
    std::string v(std::string_view(f.value));
    if (f.key == "project_id") project = v;
    else if (f.key == "anonymous_id") anon_text = v;
    else if (f.key == "user_id") user = v;
  }
  auto p = meta_->GetProject(project);
  if (!p.ok()) return ErrorReply(p.status().code() == StatusCode::kNotFound ? Status::NotFound("no project " + project) : p.status());
  std::optional<Uuid> anon;
  if (!anon_text.empty()) {
    Uuid u;
    if (!Uuid::Parse(anon_text, &u)) return ErrorReply(Status::InvalidArgument("anonymous_id must be a UUID"));
    anon = u;
  }
  if (!anon && user.empty()) return ErrorReply(Status::InvalidArgument("give anonymous_id or user_id"));
  auto n = events_->DeleteSubject(project, anon, user.empty() ? std::nullopt : std::optional<std::string>(user));
  if (!n.ok()) return ErrorReply(n.status());
  metrics_->GetCounter("tapistry_dsar_deletes_total", "DSAR delete requests")->Inc();
  JsonWriter w;
  w.BeginObject().Key("deleted").Uint(*n).EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::BookmarkletToken(const HttpRequest& req) {
  if (Status s = CheckSessionWrite(req); !s.ok()) return ErrorReply(s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string project;
  if (!parser.parse(req.body).get(doc) && doc.is_object()) {
    auto v = doc["project_id"];
    if (!v.error() && v.is_string()) project = std::string(std::string_view(v.value_unsafe()));
  }
  if (project.empty()) project = req.Query("project_id");
  auto p = meta_->GetProject(project);
  if (!p.ok()) return ErrorReply(p.status().code() == StatusCode::kNotFound ? Status::NotFound("no project " + project) : p.status());
  int64_t expires = 0;
  std::string token = auth_->IssueProjectToken(project, 3600 * 1000, &expires);
  JsonWriter w;
  w.BeginObject().Key("token").String(token).Key("expires_at").Int(expires).EndObject();
  return JsonReply(w.Take());
}

bool ApiService::HasSession(const HttpRequest& req, std::string* csrf) const {
  std::string cookie = CookieValue(req.Header("cookie"), kSessionCookie);
  return !cookie.empty() && auth_ != nullptr && auth_->Verify(cookie, csrf);
}

Reply ApiService::SignIn(const HttpRequest& req) {
  std::string cookie;
  Status s = auth_->Redeem(req.Query("token"), &cookie);
  Reply r;
  r.content_type = "text/html; charset=utf-8";
  if (!s.ok()) {
    r.status = 401;
    r.body = "<!doctype html><meta charset=utf-8><title>Tapistry sign-in</title>"
             "<body style=\"font:16px system-ui;max-width:40em;margin:4em auto\"><h1>Sign-in link not valid</h1><p>" +
             s.message() +
             ". Run <code>tapistry signin-link --data DIR</code> on the server (or restart it) for a new link.</p>";
    return r;
  }
  bool https = req.Header("x-forwarded-proto") == "https";
  r.status = 302;
  r.AddHeader("Set-Cookie", std::string(kSessionCookie) + "=" + cookie + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                std::to_string(SessionAuth::kSessionTtlMs / 1000) + (https ? "; Secure" : ""));
  r.AddHeader("Location", "/app/");
  r.AddHeader("Cache-Control", "no-store");
  r.AddHeader("Referrer-Policy", "no-referrer");
  return r;
}

Reply ApiService::Me(const HttpRequest& req) {
  std::string csrf;
  if (!HasSession(req, &csrf)) return JsonError(401, "unauthenticated", "sign in with the link tapistry serve printed");
  JsonWriter w;
  w.BeginObject().Key("signed_in").Bool(true).Key("csrf").String(csrf).EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::Projects(const HttpRequest& req) {
  if (!HasSession(req, nullptr)) return JsonError(401, "unauthenticated", "sign in with the link tapistry serve printed");
  auto list = meta_->ListProjects();
  if (!list.ok()) return ErrorReply(list.status());
  auto demo = meta_->GetValue(kDemoProjectKey);
  if (!demo.ok()) return ErrorReply(demo.status());
  const std::string demo_id = demo->value_or("");
  JsonWriter w;
  w.BeginObject().Key("projects").BeginArray();
  for (const Project& p : *list) {
    w.BeginObject().Key("id").String(p.id).Key("name").String(p.name).Key("public_key").String(p.public_key)
        .Key("created_ms").Int(p.created_ms).Key("demo").Bool(!demo_id.empty() && p.id == demo_id)
        .Key("allowed_origins").BeginArray();
    for (const auto& o : p.allowed_origins) w.String(o);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

bool ApiService::Handle(const HttpRequest& req, Reply* reply) {
  if (req.path == "/auth/signin" && auth_ != nullptr) {
    *reply = SignIn(req);
    return true;
  }
  if (req.path == "/auth/signout") {
    if (req.method != "POST") {
      *reply = JsonError(405, "method_not_allowed", "use POST");
      return true;
    }
    // A session ends only by its own page's request (the CSRF token), so another site cannot sign
    // the user out; without a session there is nothing to end and the cookie is cleared anyway.
    std::string csrf;
    if (HasSession(req, &csrf)) {
      if (!ConstantTimeEquals(req.Header("x-csrf-token"), csrf)) {
        *reply = ErrorReply(Status::PermissionDenied("missing or wrong X-CSRF-Token"));
        return true;
      }
      // Revoked server-side too, so a copy of the cookie stops working as well.
      if (Status s = auth_->Revoke(CookieValue(req.Header("cookie"), kSessionCookie)); !s.ok()) {
        *reply = ErrorReply(s);
        return true;
      }
    }
    Reply r;
    r.status = 204;
    r.content_type.clear();
    r.AddHeader("Set-Cookie", std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    *reply = std::move(r);
    return true;
  }
  if (!req.path.starts_with("/api/")) return false;
  if (req.path == "/api/bookmarklet-token") {
    *reply = req.method == "POST" ? BookmarkletToken(req) : JsonError(405, "method_not_allowed", "use POST");
    return true;
  }
  if (req.path == "/api/dsar/delete") {
    *reply = req.method == "POST" ? DsarDelete(req) : JsonError(405, "method_not_allowed", "use POST");
    return true;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    *reply = JsonError(405, "method_not_allowed", "use GET");
    return true;
  }
  if (req.path == "/api/overview") {
    *reply = Overview(req);
  } else if (req.path == "/api/events") {
    *reply = Events(req);
  } else if (req.path == "/api/heatmap") {
    *reply = Heatmap(req);
  } else if (req.path == "/api/scrollmap") {
    *reply = ScrollMap(req);
  } else if (req.path == "/api/elements") {
    *reply = Elements(req);
  } else if (req.path == "/api/breakdown") {
    *reply = Breakdown(req);
  } else if (req.path == "/api/paths") {
    *reply = Paths(req);
  } else if (req.path == "/api/snapshot" && snapshots_ != nullptr) {
    *reply = Snapshot(req, false);
  } else if (req.path == "/api/snapshot/status" && snapshots_ != nullptr) {
    *reply = Snapshot(req, true);
  } else if (req.path == "/api/me") {
    *reply = Me(req);
  } else if (req.path == "/api/projects") {
    *reply = Projects(req);
  } else {
    *reply = JsonError(404, "not_found", "no API endpoint " + req.path);
  }
  return true;
}

Status ApiService::Authorize(const HttpRequest& req, const std::string& project_id) {
  if (HasSession(req, nullptr)) {
    auto p = meta_->GetProject(project_id);
    if (!p.ok()) return p.status().code() == StatusCode::kNotFound ? Status::NotFound("no project " + project_id) : p.status();
    return Status::Ok();
  }
  std::string_view auth = req.Header("authorization");
  if (auth.size() < 8 || !(auth.starts_with("Bearer ") || auth.starts_with("bearer "))) {
    return Status::Unauthenticated("send Authorization: Bearer <read_token>");
  }
  std::string token(auth.substr(7));
  if (token.starts_with("bt.")) {
    if (auth_ != nullptr && auth_->VerifyProjectToken(token, project_id)) return Status::Ok();
    return Status::Unauthenticated("the overlay token is expired or not for project " + project_id);
  }
  auto ok = meta_->CheckReadToken(project_id, token);
  if (!ok.ok()) return ok.status();
  if (!*ok) return Status::Unauthenticated("the read token is not valid for project " + project_id);
  return Status::Ok();
}

Status ApiService::ParseFilter(const HttpRequest& req, EventFilter* f) {
  f->project_id = req.Query("project_id");
  if (f->project_id.empty()) return Status::InvalidArgument("project_id is required");
  TAP_RETURN_IF_ERROR(Authorize(req, f->project_id));
  int32_t today = DayOf(clock_->NowMs());
  f->to_day = today;
  f->from_day = today - 6;
  std::string from = req.Query("from"), to = req.Query("to");
  if (!to.empty() && !ParseDayParam(to, &f->to_day)) return Status::InvalidArgument("to must be YYYY-MM-DD or ms");
  if (!from.empty() && !ParseDayParam(from, &f->from_day)) return Status::InvalidArgument("from must be YYYY-MM-DD or ms");
  if (from.empty() && !to.empty()) f->from_day = f->to_day - 6;
  if (f->from_day > f->to_day) return Status::InvalidArgument("from is after to");
  if (f->to_day - f->from_day >= kMaxRangeDays) return Status::InvalidArgument("the range is longer than 400 days");
  std::string path = req.Query("path");
  if (!path.empty()) f->path = path;
  std::string device = req.Query("device");
  if (!device.empty()) {
    DeviceClass d;
    if (!ParseDeviceClass(device, &d)) return Status::InvalidArgument("device must be desktop, mobile or tablet");
    f->device_class = d;
  }
  std::string vw = req.Query("vw");
  if (!vw.empty()) {
    uint8_t b;
    if (!ParseViewportBucket(vw, &b)) return Status::InvalidArgument("vw must be one of 0-479, 480-767, 768-1023, 1024-1439, 1440+");
    f->viewport_bucket = b;
  }
  return Status::Ok();
}

Reply ApiService::Overview(const HttpRequest& req) {
  OverviewQuery q;
  Status s = ParseFilter(req, &q.filter);
  if (!s.ok()) return ErrorReply(s);
  std::string limit = req.Query("limit");
  if (!limit.empty()) {
    int n = 0;
    auto [p, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), n);
    if (ec != std::errc() || n < 1 || n > 1000) return ErrorReply(Status::InvalidArgument("limit must be 1..1000"));
    q.top_pages_limit = n;
  }
  auto r = events_->Overview(q);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv = "date,pageviews,sessions,visitors\r\n";
    for (const OverviewDay& d : r->series) {
      csv += FormatDay(d.day) + "," + std::to_string(d.totals.pageviews) + "," + std::to_string(d.totals.sessions) +
             "," + std::to_string(d.totals.visitors) + "\r\n";
    }
    return CsvReply(std::move(csv), "overview.csv");
  }
  auto live = events_->LiveVisitors(q.filter.project_id, clock_->NowMs() - 5 * 60 * 1000);
  JsonWriter w;
  w.BeginObject().Key("totals").BeginObject();
  WriteTotals(r->totals, &w);
  w.EndObject();
  w.Key("series").BeginArray();
  for (const OverviewDay& d : r->series) {
    w.BeginObject().Key("date").String(FormatDay(d.day));
    WriteTotals(d.totals, &w);
    w.EndObject();
  }
  w.EndArray().Key("top_pages").BeginArray();
  for (const TopPage& p : r->top_pages) {
    w.BeginObject().Key("path").String(p.path).Key("pageviews").Uint(p.pageviews)
        .Key("sessions").Uint(p.sessions).EndObject();
  }
  w.EndArray().Key("live_visitors").Uint(live.ok() ? *live : 0).Key("timezone").String("UTC").EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::Heatmap(const HttpRequest& req) {
  HeatmapQuery q;
  Status s = ParseFilter(req, &q.filter);
  if (!s.ok()) return ErrorReply(s);
  if (!q.filter.path) return ErrorReply(Status::InvalidArgument("path is required"));
  std::string kind = req.Query("kind");
  if (kind == "rage") q.kind = ClickKind::kRage;
  else if (kind == "dead") q.kind = ClickKind::kDead;
  else if (!kind.empty() && kind != "clicks") return ErrorReply(Status::InvalidArgument("kind must be clicks, rage or dead"));
  auto r = events_->Heatmap(q);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv = "i,j,count\r\n";
    for (const HeatmapTile& t : r->tiles) {
      csv += std::to_string(t.i) + "," + std::to_string(t.j) + "," + std::to_string(t.count) + "\r\n";
    }
    return CsvReply(std::move(csv), "heatmap-tiles.csv");
  }
  JsonWriter w;
  w.BeginObject().Key("grid").Int(64).Key("tiles").BeginArray();
  for (const HeatmapTile& t : r->tiles) {
    w.BeginObject().Key("i").Uint(t.i).Key("j").Uint(t.j).Key("count").Uint(t.count).EndObject();
  }
  w.EndArray().Key("total").Uint(r->total).Key("pageviews").Uint(r->pageviews)
      .Key("kind").String(kind.empty() ? "clicks" : kind).EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::ScrollMap(const HttpRequest& req) {
  EventFilter f;
  Status s = ParseFilter(req, &f);
  if (!s.ok()) return ErrorReply(s);
  if (!f.path) return ErrorReply(Status::InvalidArgument("path is required"));
  auto r = events_->ScrollMap(f);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("histogram").BeginArray();
  for (size_t d = 0; d < r->histogram.size(); ++d) {
    if (r->histogram[d]) w.BeginObject().Key("depth_pct").Uint(d).Key("count").Uint(r->histogram[d]).EndObject();
  }
  w.EndArray().Key("views").Uint(r->views).Key("reach").BeginArray();
  // reach[d] = share of views whose max depth >= d.
  uint64_t at_least = r->views;
  for (size_t d = 0; d <= 100; ++d) {
    double pct = r->views ? 100.0 * static_cast<double>(at_least) / static_cast<double>(r->views) : 0.0;
    w.BeginObject().Key("depth_pct").Uint(d).Key("pct").Double(std::round(pct * 100) / 100).EndObject();
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

Reply ApiService::Elements(const HttpRequest& req) {
  EventFilter f;
  Status s = ParseFilter(req, &f);
  if (!s.ok()) return ErrorReply(s);
  if (!f.path) return ErrorReply(Status::InvalidArgument("path is required"));
  auto limit = LimitParam(req, 20, 1000);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = events_->TopElements(f, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("elements").BeginArray();
  for (const ElementStat& e : r->elements) {
    w.BeginObject().Key("selector_hash").String(std::to_string(e.selector_hash)).Key("selector").String(e.selector)
        .Key("clicks").Uint(e.clicks).Key("rage").Uint(e.rage).Key("dead").Uint(e.dead)
        .Key("ex").Double(std::round(e.ex * 10000) / 10000).Key("ey").Double(std::round(e.ey * 10000) / 10000)
        .EndObject();
  }
  w.EndArray().Key("total_clicks").Uint(r->total_clicks).EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::Breakdown(const HttpRequest& req) {
  EventFilter f;
  Status s = ParseFilter(req, &f);
  if (!s.ok()) return ErrorReply(s);
  Dimension d;
  std::string dim = req.Query("dimension");
  if (!ParseDimension(dim, &d)) {
    return ErrorReply(Status::InvalidArgument(
        "dimension must be page, entry_page, referrer, utm_source, utm_medium, utm_campaign, device, browser, os or country"));
  }
  auto limit = LimitParam(req, 10, 1000);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r = events_->Breakdown(f, d, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  if (req.Query("format") == "csv") {
    std::string csv = std::string(DimensionName(d)) + ",visitors,pageviews\r\n";
    for (const BreakdownRow& row : r->rows) {
      csv += CsvField(row.value) + "," + std::to_string(row.visitors) + "," + std::to_string(row.pageviews) + "\r\n";
    }
    return CsvReply(std::move(csv), std::string(DimensionName(d)) + ".csv");
  }
  JsonWriter w;
  w.BeginObject().Key("dimension").String(DimensionName(d)).Key("rows").BeginArray();
  for (const BreakdownRow& row : r->rows) {
    w.BeginObject().Key("value").String(row.value).Key("visitors").Uint(row.visitors)
        .Key("pageviews").Uint(row.pageviews).EndObject();
  }
  w.EndArray().Key("total_visitors").Uint(r->total_visitors).EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::Paths(const HttpRequest& req) {
  EventFilter f;
  Status s = ParseFilter(req, &f);
  if (!s.ok()) return ErrorReply(s);
  auto limit = LimitParam(req, 20, 1000);
  if (!limit.ok()) return ErrorReply(limit.status());
  f.path.reset();  // autocomplete searches every path
  std::string q = req.Query("q");
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto r = events_->Paths(f, q, *limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("paths").BeginArray();
  for (const PathCount& p : *r) w.BeginObject().Key("path").String(p.path).Key("pageviews").Uint(p.pageviews).EndObject();
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

Reply ApiService::Events(const HttpRequest& req) {
  EventFilter f;
  Status s = ParseFilter(req, &f);
  if (!s.ok()) return ErrorReply(s);
  std::optional<EventType> type;
  std::string t = req.Query("type");
  if (!t.empty()) {
    EventType et;
    if (!ParseEventType(t, &et)) return ErrorReply(Status::InvalidArgument("unknown type " + t));
    type = et;
  }
  size_t limit = 1000;
  std::string ls = req.Query("limit");
  if (!ls.empty()) {
    auto [p, ec] = std::from_chars(ls.data(), ls.data() + ls.size(), limit);
    if (ec != std::errc() || limit < 1 || limit > 100000) return ErrorReply(Status::InvalidArgument("limit must be 1..100000"));
  }
  auto r = events_->ListEvents(f, type, limit);
  if (!r.ok()) return ErrorReply(r.status());
  JsonWriter w;
  w.BeginObject().Key("events").BeginArray();
  for (const Event& e : *r) WriteEventJson(e, &w);
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

}  // namespace tapistry
