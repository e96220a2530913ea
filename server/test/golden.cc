#include "golden.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/json_writer.h"
#include "ingest/event_parser.h"
#include "reference_event_store.h"
#include "result_json.h"

namespace tapistry::golden {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr const char* kDefaultProject = "p";
// Every event is "accepted" at this server time (ingest_ms); no golden query reads it.
constexpr int64_t kIngestMs = 1735689600000;  // 2025-01-01

uint64_t Fnv1a(std::string_view s, uint64_t h = 14695981039346656037ULL) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// A UUID for a short name ("s1", "alice"): deterministic, and distinct names get distinct ids.
// Names given back in answers that print ids (funnel members), by the UUID they became.
std::mutex names_mu;
std::map<Uuid, std::string>& Names() {
  static std::map<Uuid, std::string> names;
  return names;
}

std::string NameUuid(std::string_view name) {
  const Uuid u{Fnv1a(name), Fnv1a(name, Fnv1a("golden"))};
  std::lock_guard lock(names_mu);
  Names().try_emplace(u, std::string(name));
  return u.ToString();
}

std::string NameOf(const Uuid& u) {
  std::lock_guard lock(names_mu);
  auto it = Names().find(u);
  return it == Names().end() ? u.ToString() : it->second;
}

// The default event_id of the n-th event of a file (1-based): ids ascend in file order, so on a
// timestamp tie the earlier line has the smaller event_id.
std::string LineUuid(size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012zx", n % (size_t{1} << 48));
  return buf;
}

bool IsUuid(std::string_view s) {
  Uuid u;
  return Uuid::Parse(s, &u);
}

std::string Trim(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r");
  return std::string(s.substr(a, b - a + 1));
}

// One golden event line -> the import wire form, plus the fields only the runner sets.
struct Extras {
  std::string project = kDefaultProject;
  std::string browser, os;
};

Status RewriteEvent(std::string_view line, size_t index, std::string* wire, Extras* extras) {
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(line.data(), line.size()).get(doc)) {
    return Status::InvalidArgument(std::string("not JSON: ") + simdjson::error_message(err));
  }
  if (doc.type() != element_type::OBJECT)
    return Status::InvalidArgument("an event is a JSON object");
  JsonWriter w;
  w.BeginObject();
  bool has_id = false, has_url = false;
  std::string path;
  for (auto field : object(doc)) {
    const std::string_view k = field.key;
    const element v = field.value;
    if (k == "project" || k == "browser" || k == "os") {
      if (v.type() != element_type::STRING)
        return Status::InvalidArgument(std::string(k) + " must be a string");
      const std::string s{std::string_view(v)};
      (k == "project" ? extras->project : k == "browser" ? extras->browser : extras->os) = s;
      continue;
    }
    if (k == "ts" && v.type() == element_type::STRING) {
      int64_t ms;
      if (!ParseTimestamp(std::string_view(v), &ms)) {
        return Status::InvalidArgument("ts: want ms or \"YYYY-MM-DD HH:MM:SS[.mmm]\"");
      }
      w.Key("ts").Int(ms);
      continue;
    }
    if ((k == "session_id" || k == "anonymous_id" || k == "id") &&
        v.type() == element_type::STRING && !IsUuid(std::string_view(v))) {
      w.Key(k).String(NameUuid(std::string_view(v)));
      has_id |= k == "id";
      continue;
    }
    has_id |= k == "id";
    has_url |= k == "url";
    if (k == "path" && v.type() == element_type::STRING) path = std::string(std::string_view(v));
    w.Key(k).Raw(simdjson::minify(v));
  }
  if (!has_id) w.Key("id").String(LineUuid(index));
  if (!has_url && !path.empty()) w.Key("url").String("https://shop.example" + path);
  *wire = w.EndObject().Take();
  return Status::Ok();
}

Status ParseEvents(const std::vector<std::pair<int, std::string>>& lines, std::vector<Event>* out) {
  EventParser parser;
  ParseOptions po;
  po.import_mode = true;
  po.now_ms = kIngestMs;
  for (size_t i = 0; i < lines.size(); ++i) {
    const int lineno = lines[i].first;
    const std::string& text = lines[i].second;
    auto fail = [&](const std::string& why) {
      return Status::InvalidArgument("line " + std::to_string(lineno) + ": " + why);
    };
    std::string wire;
    Extras extras;
    if (Status s = RewriteEvent(text, i + 1, &wire, &extras); !s.ok()) return fail(s.message());
    Event e;
    EventError err;
    size_t unknown = 0;
    if (!parser.ParseOne(wire, po, &e, &err, &unknown)) return fail(err.field + ": " + err.reason);
    if (unknown) return fail("unknown keys (a typo?): " + wire);
    e.project_id = extras.project;
    e.browser = extras.browser;
    e.os = extras.os;
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

// Query keys -------------------------------------------------------------------------------

struct Reader {
  object obj;
  std::string error;

  bool Has(std::string_view k) {
    element v;
    return !obj.at_key(k).get(v);
  }
  bool Str(std::string_view k, std::string* out) {
    element v;
    if (obj.at_key(k).get(v)) return false;
    if (v.type() != element_type::STRING) {
      error = std::string(k) + " must be a string";
      return false;
    }
    *out = std::string(std::string_view(v));
    return true;
  }
  bool Int(std::string_view k, int64_t* out) {
    element v;
    if (obj.at_key(k).get(v)) return false;
    if (v.type() == element_type::INT64) *out = int64_t(v);
    else if (v.type() == element_type::UINT64) *out = static_cast<int64_t>(uint64_t(v));
    else error = std::string(k) + " must be an integer";
    return error.empty();
  }
  bool Uint(std::string_view k, uint64_t* out) {
    element v;
    if (obj.at_key(k).get(v)) return false;
    if (v.type() == element_type::UINT64) *out = uint64_t(v);
    else if (v.type() == element_type::INT64 && int64_t(v) >= 0)
      *out = static_cast<uint64_t>(int64_t(v));
    else error = std::string(k) + " must be a non-negative integer";
    return error.empty();
  }
};

Status ParseStep(element v, FunnelStep* s) {
  if (v.type() != element_type::OBJECT)
    return Status::InvalidArgument("a funnel step is an object");
  Reader r{object(v), ""};
  std::string type = "page_view", match = "equals";
  r.Str("type", &type);
  r.Str("match", &match);
  if (!ParseFunnelStepType(type, &s->type)) return Status::InvalidArgument("step type " + type);
  if (!ParsePathMatch(match, &s->path_match)) return Status::InvalidArgument("path match " + match);
  r.Str("path", &s->path);
  r.Str("selector", &s->selector);
  r.Uint("selector_hash", &s->selector_hash);
  r.Str("name", &s->name);
  r.Str("property", &s->property);
  r.Str("value", &s->value);
  // "filters": {"device": "mobile", "country": "DE"} — dimension name → value.
  element filters;
  if (!object(v)["filters"].get(filters)) {
    if (filters.type() != element_type::OBJECT)
      return Status::InvalidArgument("step filters are an object");
    for (auto f : object(filters)) {
      FunnelStepFilter sf;
      if (!ParseDimension(f.key, &sf.dimension))
        return Status::InvalidArgument("filter dimension " + std::string(f.key));
      if (f.value.type() != element_type::STRING)
        return Status::InvalidArgument("a filter value is a string");
      sf.value = std::string(std::string_view(f.value));
      s->filters.push_back(std::move(sf));
    }
  }
  for (auto field : object(v)) {
    static constexpr std::string_view kKeys[] = {"type",     "match",         "path",
                                                 "selector", "selector_hash", "name",
                                                 "property", "value",         "filters"};
    if (std::find(std::begin(kKeys), std::end(kKeys), field.key) == std::end(kKeys)) {
      return Status::InvalidArgument("unknown step key " + std::string(field.key));
    }
  }
  if (!r.error.empty()) return Status::InvalidArgument(r.error);
  return Status::Ok();
}

Status ParseFunnel(Reader& r, Query* q) {
  FunnelQuery& f = q->funnel;
  f.project_id = q->filter.project_id;
  f.from_day = q->filter.from_day;
  f.to_day = q->filter.to_day;
  f.include_bots = q->filter.include_bots;
  element v;
  if (r.obj.at_key("steps").get(v) || v.type() != element_type::ARRAY) {
    return Status::InvalidArgument("a funnel needs \"steps\": [...]");
  }
  for (element step : simdjson::dom::array(v)) {
    f.steps.emplace_back();
    TAP_RETURN_IF_ERROR(ParseStep(step, &f.steps.back()));
  }
  std::string s;
  if (r.Str("mode", &s) && !ParseFunnelMode(s, &f.mode))
    return Status::InvalidArgument("mode " + s);
  if (r.Str("unit", &s) && !ParseFunnelUnit(s, &f.unit))
    return Status::InvalidArgument("unit " + s);
  r.Int("window_ms", &f.window_ms);
  if (r.Str("breakdown", &s)) {
    Dimension d;
    if (!ParseFunnelBreakdown(s, &d)) return Status::InvalidArgument("breakdown " + s);
    f.breakdown = d;
  }
  uint64_t n;
  if (r.Uint("breakdown_limit", &n)) f.breakdown_limit = n;
  if (!r.obj.at_key("exclusions").get(v)) {
    if (v.type() != element_type::ARRAY) return Status::InvalidArgument("exclusions is an array");
    for (element x : simdjson::dom::array(v)) {
      if (x.type() != element_type::OBJECT)
        return Status::InvalidArgument("an exclusion is an object");
      Reader xr{object(x), ""};
      FunnelExclusion ex;
      element step;
      if (xr.obj.at_key("step").get(step))
        return Status::InvalidArgument("an exclusion needs a step");
      TAP_RETURN_IF_ERROR(ParseStep(step, &ex.step));
      uint64_t a = 0, b = 0;
      if (!xr.Uint("from_step", &a) || !xr.Uint("to_step", &b)) {
        return Status::InvalidArgument("an exclusion needs from_step and to_step");
      }
      ex.from_step = a;
      ex.to_step = b;
      f.exclusions.push_back(ex);
    }
  }
  if (!r.error.empty()) return Status::InvalidArgument(r.error);
  return Status::Ok();
}

// JSON comparison --------------------------------------------------------------------------

bool IsInteger(element_type t) { return t == element_type::INT64 || t == element_type::UINT64; }
bool IsNumber(element_type t) { return IsInteger(t) || t == element_type::DOUBLE; }
double AsDouble(element e) {
  switch (e.type()) {
    case element_type::INT64:
      return static_cast<double>(int64_t(e));
    case element_type::UINT64:
      return static_cast<double>(uint64_t(e));
    default:
      return double(e);
  }
}

// "" when equal, else the path of the first difference.
std::string Diff(element got, element want, const std::string& at) {
  const element_type gt = got.type(), wt = want.type();
  if (IsNumber(gt) && IsNumber(wt)) {
    if (IsInteger(gt) && IsInteger(wt)) {
      const bool same = gt == wt ? simdjson::minify(got) == simdjson::minify(want)
                                 : AsDouble(got) == AsDouble(want) && AsDouble(got) >= 0;
      return same ? "" : at;
    }
    return std::fabs(AsDouble(got) - AsDouble(want)) <= 1e-6 ? "" : at;
  }
  if (gt != wt) return at + " (type)";
  switch (gt) {
    case element_type::ARRAY: {
      simdjson::dom::array a(got), b(want);
      if (a.size() != b.size())
        return at + " (length " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
               ")";
      size_t i = 0;
      for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib, ++i) {
        std::string d = Diff(*ia, *ib, at + "[" + std::to_string(i) + "]");
        if (!d.empty()) return d;
      }
      return "";
    }
    case element_type::OBJECT: {
      object a(got), b(want);
      for (auto f : b) {
        element v;
        if (a.at_key(f.key).get(v)) return at + "." + std::string(f.key) + " (missing)";
        std::string d = Diff(v, f.value, at + "." + std::string(f.key));
        if (!d.empty()) return d;
      }
      for (auto f : a) {
        element v;
        if (b.at_key(f.key).get(v)) return at + "." + std::string(f.key) + " (not expected)";
      }
      return "";
    }
    case element_type::STRING:
      return std::string_view(got) == std::string_view(want) ? "" : at;
    case element_type::BOOL:
      return bool(got) == bool(want) ? "" : at;
    default:
      return "";  // null
  }
}

}  // namespace

bool ParseTimestamp(std::string_view s, int64_t* ms) {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  if (s.size() != 19 && !(s.size() == 23 && s[19] == '.')) return false;
  int32_t day;
  if (!ParseDay(s.substr(0, 10), &day) || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  auto num = [&](size_t at, size_t len, int* v) {
    *v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      *v = *v * 10 + (s[i] - '0');
    }
    return true;
  };
  int h, m, sec, frac = 0;
  if (!num(11, 2, &h) || !num(14, 2, &m) || !num(17, 2, &sec) || h > 23 || m > 59 || sec > 59)
    return false;
  if (s.size() == 23 && !num(20, 3, &frac)) return false;
  *ms = int64_t{day} * kDayMs + ((h * 60 + m) * 60 + sec) * int64_t{1000} + frac;
  return true;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".golden") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status Load(const std::string& path, File* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), std::filesystem::path(path).filename().string(), out);
}

Status Parse(std::string_view text, const std::string& name, File* out) {
  *out = File();
  out->name = name;
  enum class Section { kNone, kEvents, kQuery, kExpect } section = Section::kNone;
  std::vector<std::pair<int, std::string>> event_lines;
  int lineno = 0;
  auto fail = [&](const std::string& why) {
    return Status::InvalidArgument(name + ":" + std::to_string(lineno) + ": " + why);
  };
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lineno;
    if (line.starts_with("-- ")) {
      const std::string marker = line.substr(3);
      if (marker == "events") {
        if (section != Section::kNone) return fail("-- events comes first, once");
        section = Section::kEvents;
      } else if (marker == "query") {
        if (section == Section::kQuery) return fail("-- query without -- expect");
        out->cases.emplace_back();
        out->cases.back().line = lineno;
        section = Section::kQuery;
      } else if (marker == "expect") {
        if (section != Section::kQuery) return fail("-- expect must follow a -- query");
        section = Section::kExpect;
      } else {
        return fail("unknown section '" + marker + "'");
      }
      continue;
    }
    if (line.starts_with("#")) {
      if (section == Section::kQuery || section == Section::kExpect) {
        out->cases.back().comments.push_back(line);
      }
      continue;
    }
    if (line.empty()) continue;
    switch (section) {
      case Section::kNone:
        return fail("text before -- events");
      case Section::kEvents:
        event_lines.emplace_back(lineno, line);
        break;
      case Section::kQuery:
        out->cases.back().query += line + "\n";
        break;
      case Section::kExpect:
        out->cases.back().expect += line + "\n";
        break;
    }
  }
  if (section == Section::kQuery) return fail("the last -- query has no -- expect");
  if (out->cases.empty()) return fail("no cases");
  for (const Case& c : out->cases) {
    if (c.comments.empty()) {
      return Status::InvalidArgument(name + ":" + std::to_string(c.line) +
                                     ": every case says why its answer is right in a '#' comment");
    }
    if (c.query.empty() || c.expect.empty()) {
      return Status::InvalidArgument(name + ":" + std::to_string(c.line) +
                                     ": empty query or expect");
    }
  }
  if (Status s = ParseEvents(event_lines, &out->events); !s.ok()) {
    return Status::InvalidArgument(name + ": " + s.message());
  }
  return Status::Ok();
}

Status ParseQuery(std::string_view json, Query* out) {
  *out = Query();
  simdjson::dom::parser parser;
  element doc;
  if (auto err = parser.parse(json.data(), json.size()).get(doc)) {
    return Status::InvalidArgument(std::string("query is not JSON: ") +
                                   simdjson::error_message(err));
  }
  if (doc.type() != element_type::OBJECT)
    return Status::InvalidArgument("a query is a JSON object");
  Reader r{object(doc), ""};
  std::string kind, s;
  if (!r.Str("query", &kind)) return Status::InvalidArgument("a query needs \"query\": <kind>");
  static const std::pair<const char*, QueryKind> kKinds[] = {
      {"overview", QueryKind::kOverview},
      {"heatmap", QueryKind::kHeatmap},
      {"scrollmap", QueryKind::kScrollMap},
      {"elements", QueryKind::kElements},
      {"breakdown", QueryKind::kBreakdown},
      {"paths", QueryKind::kPaths},
      {"live_visitors", QueryKind::kLiveVisitors},
      {"list_events", QueryKind::kListEvents},
      {"funnel", QueryKind::kFunnel},
      {"funnel_members", QueryKind::kFunnelMembers},
      {"funnel_times", QueryKind::kFunnelTimes},
      {"element_heatmap", QueryKind::kElementHeatmap},
      {"layouts", QueryKind::kLayouts}};
  auto it = std::find_if(std::begin(kKinds), std::end(kKinds),
                         [&](const auto& k) { return kind == k.first; });
  if (it == std::end(kKinds)) return Status::InvalidArgument("unknown query kind " + kind);
  out->kind = it->second;

  EventFilter& f = out->filter;
  f.project_id = kDefaultProject;
  r.Str("project", &f.project_id);
  if (out->kind == QueryKind::kLiveVisitors) {
    if (!r.Str("since", &s) || !ParseTimestamp(s, &out->since_ms)) {
      return Status::InvalidArgument("live_visitors needs \"since\": \"YYYY-MM-DD HH:MM:SS\"");
    }
  } else {
    if (!r.Str("from", &s) || !ParseDay(s, &f.from_day))
      return Status::InvalidArgument("needs \"from\": YYYY-MM-DD");
    if (!r.Str("to", &s) || !ParseDay(s, &f.to_day))
      return Status::InvalidArgument("needs \"to\": YYYY-MM-DD");
  }
  std::string path;
  if (r.Str("path", &path)) f.path = path;
  if (r.Str("device", &s)) {
    DeviceClass d;
    if (!ParseDeviceClass(s, &d)) return Status::InvalidArgument("device " + s);
    f.device_class = d;
  }
  if (r.Str("viewport", &s)) {
    uint8_t b = 255;
    if (s != "unknown" && !ParseViewportBucket(s, &b))
      return Status::InvalidArgument("viewport " + s);
    f.viewport_bucket = b;
  }
  if (r.Str("bots", &s)) {
    if (s != "include" && s != "exclude") return Status::InvalidArgument("bots " + s);
    f.include_bots = s == "include";
  }
  if (r.Str("interval", &s)) {
    if (s != "day" && s != "hour") return Status::InvalidArgument("interval " + s);
    out->interval = s == "hour" ? Interval::kHour : Interval::kDay;
  }
  uint64_t limit = 0;
  const bool has_limit = r.Uint("limit", &limit);
  switch (out->kind) {
    case QueryKind::kOverview:
      out->limit = has_limit ? limit : 10;
      break;
    case QueryKind::kListEvents:
      out->limit = has_limit ? limit : 1000;
      break;
    case QueryKind::kElementHeatmap:
      out->limit = has_limit ? limit : 200;
      break;
    default:
      out->limit = has_limit ? limit : 100;
      break;
  }
  if (r.Str("kind", &s)) {
    if (s == "all") out->click_kind = ClickKind::kAll;
    else if (s == "rage") out->click_kind = ClickKind::kRage;
    else if (s == "dead") out->click_kind = ClickKind::kDead;
    else return Status::InvalidArgument("heatmap kind " + s);
  }
  if (r.Str("dimension", &s) && !ParseDimension(s, &out->dimension)) {
    return Status::InvalidArgument("dimension " + s);
  }
  r.Str("contains", &out->contains);
  if (r.Str("type", &s)) {
    EventType t;
    if (!ParseEventType(s, &t)) return Status::InvalidArgument("type " + s);
    out->type = t;
  }
  if (out->kind == QueryKind::kFunnel || out->kind == QueryKind::kFunnelMembers ||
      out->kind == QueryKind::kFunnelTimes) {
    TAP_RETURN_IF_ERROR(ParseFunnel(r, out));
  }
  if (out->kind == QueryKind::kFunnelMembers) {
    uint64_t furthest = 0;
    if (!r.Uint("furthest", &furthest))
      return Status::InvalidArgument("funnel_members needs \"furthest\"");
    out->furthest = furthest;
  }
  if (!r.error.empty()) return Status::InvalidArgument(r.error);
  return Status::Ok();
}

std::optional<std::string> Answer(EventStore& store, const Query& q) {
  using reference::ToJson;
  const EventFilter& f = q.filter;
  switch (q.kind) {
    case QueryKind::kOverview:
      return ToJson(store.Overview(OverviewQuery{f, static_cast<int>(q.limit), q.interval}));
    case QueryKind::kHeatmap:
      return ToJson(store.Heatmap(HeatmapQuery{f, q.click_kind}));
    case QueryKind::kScrollMap:
      return ToJson(store.ScrollMap(f));
    case QueryKind::kElements:
      return ToJson(store.TopElements(f, q.limit));
    case QueryKind::kElementHeatmap:
      return ToJson(store.ElementHeatmap(HeatmapQuery{f, q.click_kind}, q.limit));
    case QueryKind::kLayouts:
      return ToJson(store.Layouts(f));
    case QueryKind::kBreakdown:
      return ToJson(store.Breakdown(f, q.dimension, q.limit));
    case QueryKind::kPaths:
      return ToJson(store.Paths(f, q.contains, q.limit));
    case QueryKind::kListEvents:
      return ToJson(store.ListEvents(f, q.type, q.limit));
    case QueryKind::kLiveVisitors: {
      auto r = store.LiveVisitors(f.project_id, q.since_ms, f.include_bots);
      return r.ok() ? reference::LiveVisitorsJson(r.value()) : reference::ErrorJson(r.status());
    }
    case QueryKind::kFunnel:
      return ToJson(store.Funnel(q.funnel));
    case QueryKind::kFunnelTimes: {
      auto r = store.Funnel(q.funnel);
      return r.ok() ? reference::FunnelTimesJson(*r) : reference::ErrorJson(r.status());
    }
    case QueryKind::kFunnelMembers: {
      auto r = store.FunnelMembers(FunnelMembersQuery{q.funnel, q.furthest, q.limit});
      return r.ok() ? reference::ToJson(*r, NameOf) : reference::ErrorJson(r.status());
    }
  }
  return std::nullopt;
}

::testing::AssertionResult SameJson(std::string_view got, std::string_view want) {
  simdjson::dom::parser pg, pw;
  element g, w;
  if (auto err = pw.parse(want.data(), want.size()).get(w)) {
    return ::testing::AssertionFailure()
           << "expect is not JSON: " << simdjson::error_message(err) << "\n"
           << want;
  }
  if (auto err = pg.parse(got.data(), got.size()).get(g)) {
    return ::testing::AssertionFailure()
           << "answer is not JSON: " << simdjson::error_message(err) << "\n"
           << got;
  }
  const std::string d = Diff(g, w, "$");
  if (d.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "differs at " << d << "\n  got:  " << got << "\n  want: " << simdjson::minify(w);
}

}  // namespace tapistry::golden
