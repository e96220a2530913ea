// Event: one validated, sanitized, enriched analytics event as it is stored.
// This is the row of the `events` table (spec §5.1) in the shape both EventStore backends keep.
// Wire format (Appendix A) -> Event happens in ingest/; nothing below ingest sees raw client JSON.
// Thread-safety: plain value type.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapistry {

// 128-bit identifier (event_id, session_id, anonymous_id are UUIDs on the wire).
struct Uuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool operator==(const Uuid&) const = default;
  auto operator<=>(const Uuid&) const = default;
  bool IsNil() const { return hi == 0 && lo == 0; }
  // Canonical lowercase 8-4-4-4-12 form.
  std::string ToString() const;
  // Parses the 8-4-4-4-12 form (either case). Returns false on anything else.
  static bool Parse(std::string_view text, Uuid* out);
};

struct UuidHash {
  size_t operator()(const Uuid& u) const {
    return static_cast<size_t>(u.hi ^ (u.lo * 0x9E3779B97F4A7C15ULL));
  }
};

// Stored as one byte; the numbers are part of the on-disk format (docs/formats/segment.md).
enum class EventType : uint8_t {
  kPageView = 1,
  kClick = 2,
  kScroll = 3,           // one per page view, when it ends: depth_pct = max depth reached
  kScrollMilestone = 4,  // depth_pct = the milestone crossed (25/50/75/90/100 by default)
  kCustom = 5,           // name = the track() name
  kMouseMove = 6,
};
const char* EventTypeName(EventType t);
bool ParseEventType(std::string_view s, EventType* out);

enum class DeviceClass : uint8_t { kUnknown = 0, kDesktop = 1, kMobile = 2, kTablet = 3 };
const char* DeviceClassName(DeviceClass d);
bool ParseDeviceClass(std::string_view s, DeviceClass* out);

// Click flags (bit set in Event::flags).
inline constexpr uint8_t kFlagRage = 1;  // part of a rage click (>= 3 within 1 s and 30 px)
inline constexpr uint8_t kFlagDead = 2;  // no DOM change or navigation within 2.5 s
// On a position: fixed / sticky element; its x, y are where the element sits at the top of the
// page (the viewport point of the click), which is where the page snapshot shows it.
inline constexpr uint8_t kFlagFixed = 4;

// Viewport width buckets (spec §5.1 vw_bucket): 0 '0-479', 1 '480-767', 2 '768-1023',
// 3 '1024-1439', 4 '1440+'. 255 = unknown width.
uint8_t ViewportBucket(uint16_t width);
const char* ViewportBucketName(uint8_t bucket);
bool ParseViewportBucket(std::string_view s, uint8_t* out);

inline constexpr uint8_t kNoDepth = 255;

// An event with bot_score >= kBotScoreThreshold is a bot's (spec §7: "bot_score < 50" is the
// human traffic every view shows by default; EventFilter::include_bots).
inline constexpr uint8_t kBotScoreThreshold = 50;
inline constexpr bool IsBotScore(uint8_t bot_score) { return bot_score >= kBotScoreThreshold; }

struct Event {
  int64_t ts_ms = 0;      // event time, client clock corrected by the measured skew (UTC ms)
  int64_t ingest_ms = 0;  // server time when accepted
  Uuid event_id;          // client-generated; the idempotency key
  Uuid session_id;
  Uuid anonymous_id;
  std::string project_id;
  std::string user_id;  // empty = none
  EventType type = EventType::kPageView;
  std::string name;  // custom event name; empty for built-in types
  std::string url;   // sanitized: allowlisted query params only, no fragment
  std::string path;  // normalized (spec §9)
  std::string title;
  std::string referrer;  // sanitized like url
  std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content;
  DeviceClass device_class = DeviceClass::kUnknown;
  std::string browser;       // family: "Chrome", "Firefox", "Safari", "Edge", "Other"
  std::string os;            // family: "Windows", "macOS", "iOS", "Android", "Linux", "Other"
  std::string ua;            // raw user agent: empty unless the project opted in
  char country[2] = {0, 0};  // ISO 3166-1 alpha-2, {0,0} = unknown
  uint16_t viewport_w = 0;
  uint16_t viewport_h = 0;
  float x = NAN, y = NAN;        // clicks: document-relative 0..1 (DESIGN §5); NaN = none
  float ex = NAN, ey = NAN;      // clicks: position inside the clicked element's box, 0..1
  uint64_t selector_hash = 0;    // 0 = none
  std::string selector;          // optional, for debugging
  uint8_t flags = 0;             // kFlagRage | kFlagDead
  uint8_t depth_pct = kNoDepth;  // scroll events: 0..100
  uint8_t bot_score = 0;         // 0 (human) .. 100 (certainly a bot); see IsBotScore
  std::string props;             // the event's props object as compact JSON ("{}" when none)

  bool HasPoint() const { return !std::isnan(x) && !std::isnan(y); }
};

// Milliseconds in a UTC day, and the day number (days since 1970-01-01) of a timestamp.
inline constexpr int64_t kDayMs = 86400000;
inline int32_t DayOf(int64_t ts_ms) {
  return static_cast<int32_t>(ts_ms >= 0 ? ts_ms / kDayMs : (ts_ms - kDayMs + 1) / kDayMs);
}
// "YYYY-MM-DD" <-> day number.
std::string FormatDay(int32_t day);
bool ParseDay(std::string_view s, int32_t* day);

}  // namespace tapistry
