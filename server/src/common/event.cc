#include "tapistry/event.h"

#include <array>
#include <chrono>
#include <cstdio>

#include "common/ascii.h"

namespace tapistry {

std::string Uuid::ToString() const {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return std::string(buf, 36);
}

namespace {

// Hex digit values, 0xFF for anything else: three UUIDs per event are parsed on the ingest hot
// path, so this is a table lookup rather than a chain of comparisons.
constexpr auto kHexTable = [] {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = 0xFF;
  for (int c = 0; c < 256; ++c) {
    int v = ascii::HexValue(static_cast<char>(c));
    if (v >= 0) t[static_cast<size_t>(c)] = static_cast<uint8_t>(v);
  }
  return t;
}();

// Parses 16 hex digits from p (skipping the dashes at the given offsets) into *out.
bool ParseHalf(const char* p, const int (&pos)[16], uint64_t* out) {
  uint64_t v = 0;
  uint8_t bad = 0;
  for (int k = 0; k < 16; ++k) {
    uint8_t d = kHexTable[static_cast<unsigned char>(p[pos[k]])];
    bad |= d;
    v = (v << 4) | (d & 0x0F);
  }
  *out = v;
  return (bad & 0xF0) == 0;
}

}  // namespace

bool Uuid::Parse(std::string_view t, Uuid* out) {
  if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-') return false;
  static constexpr int kHi[16] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17};
  static constexpr int kLo[16] = {19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
  uint64_t hi, lo;
  if (!ParseHalf(t.data(), kHi, &hi) || !ParseHalf(t.data(), kLo, &lo)) return false;
  out->hi = hi;
  out->lo = lo;
  return true;
}

const char* EventTypeName(EventType t) {
  switch (t) {
    case EventType::kPageView:
      return "page_view";
    case EventType::kClick:
      return "click";
    case EventType::kScroll:
      return "scroll";
    case EventType::kScrollMilestone:
      return "scroll_milestone";
    case EventType::kCustom:
      return "custom";
    case EventType::kMouseMove:
      return "mousemove";
  }
  return "unknown";
}

bool ParseEventType(std::string_view s, EventType* out) {
  static constexpr EventType kAll[] = {EventType::kPageView, EventType::kClick,
                                       EventType::kScroll,   EventType::kScrollMilestone,
                                       EventType::kCustom,   EventType::kMouseMove};
  for (EventType t : kAll) {
    if (s == EventTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

const char* DeviceClassName(DeviceClass d) {
  switch (d) {
    case DeviceClass::kDesktop:
      return "desktop";
    case DeviceClass::kMobile:
      return "mobile";
    case DeviceClass::kTablet:
      return "tablet";
    case DeviceClass::kUnknown:
      return "unknown";
  }
  return "unknown";
}

bool ParseDeviceClass(std::string_view s, DeviceClass* out) {
  if (s == "desktop") *out = DeviceClass::kDesktop;
  else if (s == "mobile") *out = DeviceClass::kMobile;
  else if (s == "tablet") *out = DeviceClass::kTablet;
  else if (s == "unknown") *out = DeviceClass::kUnknown;
  else return false;
  return true;
}

uint8_t ViewportBucket(uint16_t w) {
  if (w == 0) return 255;
  if (w < 480) return 0;
  if (w < 768) return 1;
  if (w < 1024) return 2;
  if (w < 1440) return 3;
  return 4;
}

const char* ViewportBucketName(uint8_t b) {
  static constexpr const char* kNames[] = {"0-479", "480-767", "768-1023", "1024-1439", "1440+"};
  return b < 5 ? kNames[b] : "unknown";
}

bool ParseViewportBucket(std::string_view s, uint8_t* out) {
  for (uint8_t b = 0; b < 5; ++b) {
    if (s == ViewportBucketName(b)) {
      *out = b;
      return true;
    }
  }
  return false;
}

std::string FormatDay(int32_t day) {
  std::chrono::sys_days d{std::chrono::days{day}};
  std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

bool ParseDay(std::string_view s, int32_t* day) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int v[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (size_t i = starts[k]; i < starts[k] + lens[k]; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v[k] = v[k] * 10 + (s[i] - '0');
    }
  }
  std::chrono::year_month_day ymd{std::chrono::year{v[0]},
                                  std::chrono::month{static_cast<unsigned>(v[1])},
                                  std::chrono::day{static_cast<unsigned>(v[2])}};
  if (!ymd.ok()) return false;
  *day = static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
  return true;
}

}  // namespace tapistry
