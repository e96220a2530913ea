#include "api/api_common.h"

#include <cmath>

#include "common/json_writer.h"
#include "common/params.h"

namespace tapistry {

Reply ErrorReply(const Status& s) {
  return JsonError(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
}

Reply JsonReply(std::string body) {
  Reply r;
  r.body = std::move(body);
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Reply CsvReply(std::string body, const std::string& filename) {
  Reply r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(body);
  r.AddHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

std::string CsvField(std::string_view v) {
  std::string s(v);
  const size_t first = s.find_first_not_of(' ');
  if (first != std::string::npos &&
      std::string_view("=+-@\t\r").find(s[first]) != std::string_view::npos) {
    s.insert(s.begin(), '\'');
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

RouteHandler Sync(std::function<Reply(const RouteCall&)> f) {
  return [f = std::move(f)](RouteCall&& call, Responder respond) { respond(f(call)); };
}

void WriteEventJson(const Event& e, JsonWriter* w) {
  w->BeginObject()
      .Key("id")
      .String(e.event_id.ToString())
      .Key("ts")
      .Int(e.ts_ms)
      .Key("ingest_ts")
      .Int(e.ingest_ms)
      .Key("type")
      .String(EventTypeName(e.type));
  if (!e.name.empty()) w->Key("name").String(e.name);
  w->Key("session_id")
      .String(e.session_id.ToString())
      .Key("anonymous_id")
      .String(e.anonymous_id.ToString());
  if (!e.user_id.empty()) w->Key("user_id").String(e.user_id);
  w->Key("url")
      .String(e.url)
      .Key("path")
      .String(e.path)
      .Key("title")
      .String(e.title)
      .Key("referrer")
      .String(e.referrer);
  w->Key("utm").BeginObject();
  if (!e.utm_source.empty()) w->Key("source").String(e.utm_source);
  if (!e.utm_medium.empty()) w->Key("medium").String(e.utm_medium);
  if (!e.utm_campaign.empty()) w->Key("campaign").String(e.utm_campaign);
  if (!e.utm_term.empty()) w->Key("term").String(e.utm_term);
  if (!e.utm_content.empty()) w->Key("content").String(e.utm_content);
  w->EndObject();
  w->Key("viewport")
      .BeginObject()
      .Key("w")
      .Uint(e.viewport_w)
      .Key("h")
      .Uint(e.viewport_h)
      .EndObject();
  if (e.HasPoint()) w->Key("x").Double(e.x).Key("y").Double(e.y);
  if (!std::isnan(e.ex) && !std::isnan(e.ey)) w->Key("ex").Double(e.ex).Key("ey").Double(e.ey);
  if (e.selector_hash != 0) w->Key("selector_hash").String(std::to_string(e.selector_hash));
  if (!e.selector.empty()) w->Key("selector").String(e.selector);
  w->Key("props").Raw(e.props.empty() ? "{}" : e.props);
  w->Key("device_class")
      .String(DeviceClassName(e.device_class))
      .Key("browser")
      .String(e.browser)
      .Key("os")
      .String(e.os);
  if (e.country[0] != 0) w->Key("country").String(std::string_view(e.country, 2));
  if (e.depth_pct != kNoDepth) w->Key("depth_pct").Uint(e.depth_pct);
  if (e.flags & kFlagRage) w->Key("rage").Bool(true);
  if (e.flags & kFlagDead) w->Key("dead").Bool(true);
  w->Key("bot_score").Uint(e.bot_score);
  if (!e.ua.empty()) w->Key("ua").String(e.ua);
  w->EndObject();
}

Status ParseFilter(const RouteCall& call, int64_t now_ms, EventFilter* f) {
  const HttpRequest& req = call.req;
  f->project_id = call.project_id;
  TAP_RETURN_IF_ERROR(ParseDayRange(req, now_ms, &f->from_day, &f->to_day));
  std::string path = req.Query("path");
  if (!path.empty()) f->path = path;
  std::string device = req.Query("device");
  if (!device.empty()) {
    DeviceClass d;
    if (!ParseDeviceClass(device, &d))
      return Status::InvalidArgument("device must be desktop, mobile or tablet");
    f->device_class = d;
  }
  std::string vw = req.Query("vw");
  if (!vw.empty()) {
    // "unknown": events without a viewport width, a layout /api/layouts lists like the others.
    uint8_t b = 255;
    if (vw != "unknown" && !ParseViewportBucket(vw, &b)) {
      return Status::InvalidArgument(
          "vw must be one of 0-479, 480-767, 768-1023, 1024-1439, 1440+, unknown");
    }
    f->viewport_bucket = b;
  }
  // Bots are left out unless asked for (spec §7: the dashboard filters bot_score >= 50 by default).
  const std::string bots = req.Query("bots");
  if (bots == "include") {
    f->include_bots = true;
  } else if (!bots.empty() && bots != "exclude") {
    return Status::InvalidArgument("bots must be include or exclude");
  }
  return Status::Ok();
}

}  // namespace tapistry
