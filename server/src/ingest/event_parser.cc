#include "ingest/event_parser.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "common/ascii.h"
#include "common/json_writer.h"
#include "ingest/pii.h"
#include "ingest/url.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::string_view kBadUtf8Marker = "\xEF\xB7\x90";  // U+FDD0
constexpr size_t kMaxPropsDepth = 8;
constexpr int64_t kMinSaneMs = 946684800000;   // 2000-01-01
constexpr int64_t kMaxSaneMs = 4102444800000;  // 2100-01-01

// Collects the first problem of an event; later ones are not reported.
struct Check {
  EventError* err;
  bool failed = false;
  bool Fail(std::string_view field, std::string_view reason) {
    if (!failed) {
      failed = true;
      err->field = std::string(field);
      err->reason = std::string(reason);
    }
    return false;
  }
};

bool GetNumber(element e, double* out) {
  switch (e.type()) {
    case element_type::INT64:
      *out = static_cast<double>(int64_t(e));
      return true;
    case element_type::UINT64:
      *out = static_cast<double>(uint64_t(e));
      return true;
    case element_type::DOUBLE:
      *out = double(e);
      return true;
    default:
      return false;
  }
}

bool GetInt(element e, int64_t* out) {
  switch (e.type()) {
    case element_type::INT64:
      *out = int64_t(e);
      return true;
    case element_type::UINT64: {
      uint64_t v = uint64_t(e);
      if (v > static_cast<uint64_t>(INT64_MAX)) return false;
      *out = static_cast<int64_t>(v);
      return true;
    }
    case element_type::DOUBLE: {
      double d = double(e);
      if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default:
      return false;
  }
}

// A string field: type, length, and the bad-UTF-8 marker.
bool GetString(element e, std::string_view field, size_t max, Check* c, std::string_view* out) {
  if (e.type() != element_type::STRING) return c->Fail(field, "must be a string");
  std::string_view s = std::string_view(e);
  if (s.size() > max) return c->Fail(field, "longer than " + std::to_string(max) + " bytes");
  if (s.find(kBadUtf8Marker) != std::string_view::npos) return c->Fail(field, "invalid UTF-8");
  *out = s;
  return true;
}

bool GetUuid(element e, std::string_view field, Check* c, Uuid* out) {
  std::string_view s;
  if (!GetString(e, field, 64, c, &s)) return false;
  if (!Uuid::Parse(s, out)) return c->Fail(field, "must be a UUID (8-4-4-4-12 hex)");
  return true;
}

bool GetUnit(element e, std::string_view field, Check* c, float* out) {
  double d;
  if (!GetNumber(e, &d) || !std::isfinite(d)) return c->Fail(field, "must be a number");
  if (d < 0 || d > 1) return c->Fail(field, "must be between 0 and 1");
  *out = static_cast<float>(d);
  return true;
}

// Truncates at a UTF-8 code point boundary.
void TruncateUtf8(std::string* s, size_t max) {
  if (s->size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>((*s)[n]) & 0xC0) == 0x80) --n;
  s->resize(n);
}

bool ParseSelectorHash(element e, Check* c, uint64_t* out) {
  if (e.type() == element_type::UINT64) {
    *out = uint64_t(e);
    return true;
  }
  if (e.type() == element_type::INT64) {
    int64_t v = int64_t(e);
    if (v < 0) return c->Fail("selector_hash", "must not be negative");
    *out = static_cast<uint64_t>(v);
    return true;
  }
  if (e.type() != element_type::STRING)
    return c->Fail("selector_hash", "must be a string or integer");
  std::string_view s = std::string_view(e);
  int base = 10;
  if (s.size() == 16 || s.starts_with("0x")) {
    base = 16;
    if (s.starts_with("0x")) s.remove_prefix(2);
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return c->Fail("selector_hash", "must be a decimal or 16-digit hex 64-bit number");
  }
  return true;
}

// Re-serializes props with PII redacted from string values; checks depth, key count and size.
bool WriteProps(element e, size_t depth, JsonWriter* w, Check* c) {
  if (depth > kMaxPropsDepth) return c->Fail("props", "nested deeper than 8 levels");
  switch (e.type()) {
    case element_type::OBJECT: {
      w->BeginObject();
      for (auto field : object(e)) {
        if (field.key.find(kBadUtf8Marker) != std::string_view::npos)
          return c->Fail("props", "invalid UTF-8");
        std::string key(field.key);
        RedactPii(&key);
        w->Key(key);
        if (!WriteProps(field.value, depth + 1, w, c)) return false;
      }
      w->EndObject();
      return true;
    }
    case element_type::ARRAY: {
      w->BeginArray();
      for (element v : simdjson::dom::array(e)) {
        if (!WriteProps(v, depth + 1, w, c)) return false;
      }
      w->EndArray();
      return true;
    }
    case element_type::STRING: {
      std::string_view s = std::string_view(e);
      if (s.find(kBadUtf8Marker) != std::string_view::npos)
        return c->Fail("props", "invalid UTF-8");
      std::string v(s);
      RedactPii(&v);
      w->String(v);
      return true;
    }
    case element_type::INT64:
      w->Int(int64_t(e));
      return true;
    case element_type::UINT64:
      w->Uint(uint64_t(e));
      return true;
    case element_type::DOUBLE:
      w->Double(double(e));
      return true;
    case element_type::BOOL:
      w->Bool(bool(e));
      return true;
    case element_type::NULL_VALUE:
      w->Null();
      return true;
    default:
      return c->Fail("props", "unsupported value");
  }
}

void UtmFromQuery(const ParsedUrl& u, Event* ev) {
  std::string_view q(u.query);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = pair.substr(0, eq);
    std::string v(pair.substr(eq + 1, limits::kMaxUtmBytes));
    for (char& ch : v) {
      if (ch == '+') ch = ' ';
    }
    std::string* dst = k == "utm_source"     ? &ev->utm_source
                       : k == "utm_medium"   ? &ev->utm_medium
                       : k == "utm_campaign" ? &ev->utm_campaign
                       : k == "utm_term"     ? &ev->utm_term
                       : k == "utm_content"  ? &ev->utm_content
                                             : nullptr;
    if (dst && dst->empty()) {
      RedactPii(&v);
      *dst = v;
    }
  }
}

const std::vector<std::string>& DefaultAllowlist() {
  static const std::vector<std::string> kList = {"utm_source", "utm_medium", "utm_campaign",
                                                 "utm_term", "utm_content"};
  return kList;
}

}  // namespace

struct EventParser::Impl {
  simdjson::dom::parser parser;
  std::string repaired;
  ParsedUrl url_scratch, ref_scratch;  // reused: their strings keep their capacity

  bool ParseEvent(element e, const ParseOptions& opts, int64_t skew, Event* ev, EventError* err,
                  size_t* unknown);
};

bool EventParser::Impl::ParseEvent(element e, const ParseOptions& opts, int64_t skew, Event* ev,
                                   EventError* err, size_t* unknown) {
  Check c{err};
  if (e.type() != element_type::OBJECT) return c.Fail("", "event must be a JSON object");
  *ev = Event();
  bool has_id = false, has_ts = false, has_type = false, has_sid = false, has_aid = false;
  std::string_view url_raw, ref_raw;
  bool has_url = false;
  element props_el;
  bool has_props = false, has_utm_obj = false;
  int64_t ts = 0;
  const auto& allow = opts.query_allowlist ? *opts.query_allowlist : DefaultAllowlist();

  for (auto field : object(e)) {
    std::string_view k = field.key;
    element v = field.value;
    std::string_view s;
    if (k == "id") {
      if (v.type() == element_type::STRING)
        err->id = std::string(std::string_view(v).substr(0, 64));
      if (!GetUuid(v, "id", &c, &ev->event_id)) return false;
      has_id = true;
    } else if (k == "ts") {
      if (!GetInt(v, &ts)) return c.Fail("ts", "must be an integer (ms since epoch)");
      has_ts = true;
    } else if (k == "type") {
      if (!GetString(v, "type", 32, &c, &s)) return false;
      if (!ParseEventType(s, &ev->type)) {
        return c.Fail(
            "type", "unknown type (page_view, click, scroll, scroll_milestone, custom, mousemove)");
      }
      has_type = true;
    } else if (k == "name") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (!GetString(v, "name", limits::kMaxNameBytes, &c, &s)) return false;
      ev->name = std::string(s);
      RedactPii(&ev->name);
    } else if (k == "session_id") {
      if (!GetUuid(v, "session_id", &c, &ev->session_id)) return false;
      has_sid = true;
    } else if (k == "anonymous_id") {
      if (!GetUuid(v, "anonymous_id", &c, &ev->anonymous_id)) return false;
      has_aid = true;
    } else if (k == "user_id") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (!GetString(v, "user_id", limits::kMaxUserIdBytes, &c, &s)) return false;
      ev->user_id = std::string(s);
    } else if (k == "url") {
      if (!GetString(v, "url", limits::kMaxUrlBytes, &c, &url_raw)) return false;
      has_url = true;
    } else if (k == "path") {
      if (!GetString(v, "path", limits::kMaxUrlBytes, &c, &s)) return false;  // recomputed from url
    } else if (k == "title") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::STRING) return c.Fail("title", "must be a string");
      s = std::string_view(v);
      if (s.find(kBadUtf8Marker) != std::string_view::npos) return c.Fail("title", "invalid UTF-8");
      ev->title = std::string(s.substr(0, limits::kMaxTitleBytes + 4));
      TruncateUtf8(&ev->title, limits::kMaxTitleBytes);
      RedactPii(&ev->title);
    } else if (k == "referrer") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (!GetString(v, "referrer", limits::kMaxUrlBytes, &c, &ref_raw)) return false;
    } else if (k == "utm") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::OBJECT) return c.Fail("utm", "must be an object");
      has_utm_obj = true;
      for (auto u : object(v)) {
        std::string* dst = u.key == "source"     ? &ev->utm_source
                           : u.key == "medium"   ? &ev->utm_medium
                           : u.key == "campaign" ? &ev->utm_campaign
                           : u.key == "term"     ? &ev->utm_term
                           : u.key == "content"  ? &ev->utm_content
                                                 : nullptr;
        if (!dst) {
          ++*unknown;
          continue;
        }
        if (u.value.type() == element_type::NULL_VALUE) continue;
        if (!GetString(u.value, "utm." + std::string(u.key), limits::kMaxUtmBytes, &c, &s))
          return false;
        *dst = std::string(s);
        RedactPii(dst);
      }
    } else if (k == "device") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::OBJECT) return c.Fail("device", "must be an object");
      for (auto d : object(v)) {
        if (d.key == "class") {
          if (!GetString(d.value, "device.class", 16, &c, &s)) return false;
          DeviceClass dc;
          if (!ParseDeviceClass(s, &dc))
            return c.Fail("device.class", "must be desktop, mobile or tablet");
          ev->device_class = dc;  // a hint; the UA decides when it can
        } else if (d.key == "mobile") {
          if (d.value.type() != element_type::BOOL)
            return c.Fail("device.mobile", "must be a boolean");
          if (bool(d.value) && ev->device_class == DeviceClass::kUnknown)
            ev->device_class = DeviceClass::kMobile;
        } else if (d.key != "ua") {
          ++*unknown;
        }
      }
    } else if (k == "viewport") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::OBJECT) return c.Fail("viewport", "must be an object {w,h}");
      for (auto d : object(v)) {
        int64_t n;
        if (d.key != "w" && d.key != "h") {
          ++*unknown;
          continue;
        }
        std::string f = "viewport." + std::string(d.key);
        if (!GetInt(d.value, &n) || n < 0 || n > limits::kMaxViewport) {
          return c.Fail(f, "must be an integer 0..20000");
        }
        (d.key == "w" ? ev->viewport_w : ev->viewport_h) = static_cast<uint16_t>(n);
      }
    } else if (k == "x") {
      if (v.type() != element_type::NULL_VALUE && !GetUnit(v, "x", &c, &ev->x)) return false;
    } else if (k == "y") {
      if (v.type() != element_type::NULL_VALUE && !GetUnit(v, "y", &c, &ev->y)) return false;
    } else if (k == "ex") {
      if (v.type() != element_type::NULL_VALUE && !GetUnit(v, "ex", &c, &ev->ex)) return false;
    } else if (k == "ey") {
      if (v.type() != element_type::NULL_VALUE && !GetUnit(v, "ey", &c, &ev->ey)) return false;
    } else if (k == "selector_hash") {
      if (v.type() != element_type::NULL_VALUE && !ParseSelectorHash(v, &c, &ev->selector_hash))
        return false;
    } else if (k == "selector") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (!GetString(v, "selector", limits::kMaxSelectorBytes, &c, &s)) return false;
      ev->selector = std::string(s);
      RedactPii(&ev->selector);
    } else if (k == "props") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (v.type() != element_type::OBJECT) return c.Fail("props", "must be an object");
      props_el = v;
      has_props = true;
    } else if (opts.import_mode && k == "device_class") {
      if (!GetString(v, "device_class", 16, &c, &s)) return false;
      if (!ParseDeviceClass(s, &ev->device_class))
        return c.Fail("device_class", "must be desktop, mobile, tablet or unknown");
    } else if (opts.import_mode && k == "country") {
      if (v.type() == element_type::NULL_VALUE) continue;
      if (!GetString(v, "country", 2, &c, &s)) return false;
      if (s.size() == 2 && ascii::IsUpper(s[0]) && ascii::IsUpper(s[1])) {
        ev->country[0] = s[0];
        ev->country[1] = s[1];
      } else if (!s.empty()) {
        return c.Fail("country", "must be an ISO 3166-1 alpha-2 code");
      }
    } else if (opts.import_mode && k == "bot_score") {
      int64_t n;
      if (!GetInt(v, &n) || n < 0 || n > 100)
        return c.Fail("bot_score", "must be an integer 0..100");
      ev->bot_score = static_cast<uint8_t>(n);
    } else {
      ++*unknown;
    }
  }

  if (!has_id) return c.Fail("id", "is required");
  if (!has_ts) return c.Fail("ts", "is required");
  if (!has_type) return c.Fail("type", "is required");
  if (!has_sid) return c.Fail("session_id", "is required");
  if (!has_aid) return c.Fail("anonymous_id", "is required");
  if (!has_url) return c.Fail("url", "is required");

  ev->ts_ms = opts.import_mode ? ts : ts + skew;
  if (ev->ts_ms < kMinSaneMs || ev->ts_ms > kMaxSaneMs) return c.Fail("ts", "out of range");
  if (!opts.import_mode) {
    if (ev->ts_ms > opts.now_ms + limits::kMaxFutureMs)
      return c.Fail("ts", "more than 5 minutes in the future");
    if (ev->ts_ms < opts.now_ms - limits::kMaxPastMs)
      return c.Fail("ts", "more than 7 days in the past");
  }
  ev->ingest_ms = opts.now_ms;

  // Each URL is parsed once; sanitizing, the path, UTMs and the self-referral check reuse it.
  ParsedUrl& pu = url_scratch;
  if (!ParseHttpUrl(url_raw, &pu)) return c.Fail("url", "must be an absolute http(s) URL");
  SanitizeParsedUrl(pu, allow, &ev->url);
  ev->path = RoutePath(pu);
  if (opts.path_rules != nullptr) ApplyPathRules(*opts.path_rules, &ev->path);
  if (ev->path.size() > limits::kMaxPathBytes) return c.Fail("url", "path longer than 1024 bytes");
  if (!ref_raw.empty()) {
    ParsedUrl& ru = ref_scratch;
    // A referrer on the page's own host is internal navigation, not a source (as Plausible does).
    if (ParseHttpUrl(ref_raw, &ru) && ru.host != pu.host)
      SanitizeParsedUrl(ru, allow, &ev->referrer);
  }
  if (!has_utm_obj) UtmFromQuery(pu, ev);

  if (ev->type == EventType::kCustom && ev->name.empty())
    return c.Fail("name", "is required for custom events");

  if (has_props) {
    JsonWriter w;
    if (!WriteProps(props_el, 1, &w, &c)) return false;
    ev->props = w.Take();
    if (ev->props.size() > limits::kMaxPropsBytes) return c.Fail("props", "larger than 4096 bytes");
    object po(props_el);
    size_t nkeys = 0;
    for (auto p : po) {
      ++nkeys;
      if (p.key == "rage" && p.value.type() == element_type::BOOL && bool(p.value))
        ev->flags |= kFlagRage;
      if (p.key == "dead" && p.value.type() == element_type::BOOL && bool(p.value))
        ev->flags |= kFlagDead;
      if (p.key == "fixed" && p.value.type() == element_type::BOOL && bool(p.value))
        ev->flags |= kFlagFixed;
      bool depth_key = (ev->type == EventType::kScroll && p.key == "max_depth_pct") ||
                       (ev->type == EventType::kScrollMilestone && p.key == "depth");
      if (depth_key) {
        double d;
        if (!GetNumber(p.value, &d) || !std::isfinite(d) || d < 0 || d > 100) {
          return c.Fail("props." + std::string(p.key), "must be a number 0..100");
        }
        ev->depth_pct = static_cast<uint8_t>(std::lround(d));
      }
    }
    if (nkeys > limits::kMaxPropsKeys) return c.Fail("props", "more than 50 keys");
  } else {
    ev->props = "{}";
  }
  if (ev->type == EventType::kScroll && ev->depth_pct == kNoDepth) {
    return c.Fail("props.max_depth_pct", "is required for scroll events");
  }
  if (ev->type == EventType::kScrollMilestone && ev->depth_pct == kNoDepth) {
    return c.Fail("props.depth", "is required for scroll_milestone events");
  }
  return true;
}

EventParser::EventParser() : impl_(std::make_unique<Impl>()) {}
EventParser::~EventParser() = default;

Status EventParser::ParseBatch(std::string_view body, const ParseOptions& opts, ParsedBatch* out) {
  *out = ParsedBatch();
  element doc;
  auto err = impl_->parser.parse(body.data(), body.size(), true).get(doc);
  if (err == simdjson::UTF8_ERROR) {
    RepairUtf8(body, &impl_->repaired);
    err = impl_->parser.parse(impl_->repaired.data(), impl_->repaired.size(), true).get(doc);
  }
  if (err == simdjson::DEPTH_ERROR) return Status::InvalidArgument("JSON nested too deeply");
  if (err)
    return Status::InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(err));
  if (doc.type() != element_type::OBJECT)
    return Status::InvalidArgument("body must be a JSON object");

  element events;
  bool has_events = false;
  int64_t sent_at = 0;
  for (auto field : object(doc)) {
    if (field.key == "events") {
      events = field.value;
      has_events = true;
    } else if (field.key == "k") {
      if (field.value.type() == element_type::STRING)
        out->key = std::string(std::string_view(field.value).substr(0, 128));
    } else if (field.key == "sent_at") {
      int64_t v;
      if (GetInt(field.value, &v)) sent_at = v;
    } else if (field.key == "client") {
      if (field.value.type() == element_type::OBJECT) {
        for (auto cf : object(field.value)) {
          if (cf.key == "webdriver" && cf.value.type() == element_type::BOOL)
            out->webdriver = bool(cf.value);
        }
      }
    } else if (field.key == "consent") {
      int64_t v;
      out->consent = GetInt(field.value, &v) && v == 1;
    } else if (field.key != "sdk") {
      ++out->unknown_keys;
    }
  }
  if (!has_events || events.type() != element_type::ARRAY) {
    return Status::InvalidArgument("body needs an \"events\" array");
  }
  simdjson::dom::array arr(events);
  size_t n = arr.size();
  if (n > limits::kMaxEventsPerBatch) {
    return Status::TooLarge("batch has " + std::to_string(n) + " events; the limit is " +
                            std::to_string(limits::kMaxEventsPerBatch));
  }
  int64_t client_time = opts.client_time_ms != 0 ? opts.client_time_ms : sent_at;
  // A client clock within 2 s of ours is trusted as is: network latency dominates that error.
  int64_t skew = 0;
  if (client_time > kMinSaneMs && client_time < kMaxSaneMs) {
    int64_t d = opts.now_ms - client_time;
    if (d > 2000 || d < -2000) skew = d;
  }
  out->skew_ms = skew;
  out->events.reserve(n);
  size_t i = 0;
  for (element e : arr) {
    Event ev;
    EventError ee;
    ee.index = i;
    if (impl_->ParseEvent(e, opts, skew, &ev, &ee, &out->unknown_keys)) {
      out->events.push_back(std::move(ev));
      out->event_index.push_back(i);
    } else {
      out->errors.push_back(std::move(ee));
    }
    ++i;
  }
  return Status::Ok();
}

bool EventParser::ParseOne(std::string_view json, const ParseOptions& opts, Event* out,
                           EventError* err, size_t* unknown_keys) {
  element doc;
  auto e = impl_->parser.parse(json.data(), json.size(), true).get(doc);
  if (e == simdjson::UTF8_ERROR) {
    RepairUtf8(json, &impl_->repaired);
    e = impl_->parser.parse(impl_->repaired.data(), impl_->repaired.size(), true).get(doc);
  }
  if (e) {
    err->field = "";
    err->reason = std::string("malformed JSON: ") + simdjson::error_message(e);
    return false;
  }
  return impl_->ParseEvent(doc, opts, 0, out, err, unknown_keys);
}

size_t RepairUtf8(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size() + 16);
  size_t repaired = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = 0;
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out->append(in.substr(i, len));
      i += len;
    } else {
      out->append(kBadUtf8Marker);
      ++repaired;
      ++i;
    }
  }
  return repaired;
}

}  // namespace tapistry
