// Events for the EventStore tests: a maker with sensible defaults, seeded random traffic that
// exercises every field a query reads, and the filters the randomized comparisons run under.
// Thread-safety: test code (Ev's id counter is atomic).
#pragma once

#include <algorithm>
#include <atomic>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/event_store.h"

namespace tapistry::conformance {

inline constexpr int32_t kDay0 = 19950;  // 2024-08-15
inline constexpr int64_t kT0 = int64_t{kDay0} * kDayMs;

inline Uuid Id(uint64_t n) { return Uuid{0x1000000000000000ULL ^ (n * 0x9E3779B97F4A7C15ULL), n}; }

inline Event Ev(const std::string& project, int64_t ts, uint64_t session, uint64_t visitor,
                EventType type = EventType::kPageView, const std::string& path = "/") {
  static std::atomic<uint64_t> next{1};
  Event e;
  e.project_id = project;
  e.ts_ms = ts;
  e.ingest_ms = ts + 50;
  uint64_t n = next++;
  e.event_id = Uuid{0xeeee000000000000ULL | n, n * 0xC2B2AE3D27D4EB4FULL};
  e.session_id = Id(1000000 + session);
  e.anonymous_id = Id(2000000 + visitor);
  e.type = type;
  e.path = path;
  e.url = "https://shop.example" + path;
  e.device_class = DeviceClass::kDesktop;
  e.viewport_w = 1280;
  e.viewport_h = 800;
  e.browser = "Firefox";
  e.os = "Linux";
  e.props = "{}";
  return e;
}

// Varied traffic for the randomized comparisons: `sessions` sessions of 1..12 events over
// `days` days from kT0, with every field a query reads drawn from small sets (so groups have
// several members), some sessions crossing midnight, some session ids reused on another day,
// some sessions changing device, viewport, browser, country or visitor half-way, clicks with
// and without points and element positions, scrolls with and without a fold, bots (a ninth of
// the sessions scored 85-95, a few at the threshold 50 or just under it at 49, a few scored as
// bots half-way), and a tenth of the sessions in a second project, `project` + "-other".
// Deterministic for a seed.
inline std::vector<Event> RandomTraffic(uint64_t seed, const std::string& project, int sessions,
                                        int days) {
  std::mt19937_64 rng(seed);
  const char* paths[] = {"/", "/pricing", "/docs", "/docs/api", "/blog", "/blog/post-1", "/signup"};
  const char* referrers[] = {"", "https://www.google.com/search?q=x", "https://news.example/item",
                             "https://b.example/"};
  const char* utm[] = {"", "mail", "ads"};
  const char* browsers[] = {"Chrome", "Safari", "Firefox"};
  const char* oses[] = {"Linux", "iOS", "Windows", "macOS"};
  const char* countries[] = {"DE", "US", "FR", ""};
  const DeviceClass devices[] = {DeviceClass::kDesktop, DeviceClass::kMobile, DeviceClass::kTablet,
                                 DeviceClass::kUnknown};
  const uint16_t widths[] = {1920, 1280, 800, 390, 600, 0};
  const std::pair<uint64_t, const char*> selectors[] = {
      {0, ""},           {11, "a.buy"},   {11, "a.buy-2"}, {11, ""},
      {12, "button#go"}, {13, "nav > a"}, {13, "nav>a"}};
  std::vector<Event> out;
  for (int s = 0; s < sessions; ++s) {
    const int day = static_cast<int>(rng() % static_cast<uint64_t>(days));
    int64_t t = kT0 + day * kDayMs + static_cast<int64_t>(rng() % kDayMs);
    if (rng() % 15 == 0) t = kT0 + day * kDayMs + kDayMs - static_cast<int64_t>(rng() % 300000);
    uint64_t visitor = rng() % static_cast<uint64_t>(std::max(1, sessions / 3));
    const uint64_t sid =
        (s > 10 && rng() % 20 == 0) ? static_cast<uint64_t>(s - 10) : static_cast<uint64_t>(s);
    const std::string in = rng() % 10 == 0 ? project + "-other" : project;
    size_t dev = rng() % 4, width = rng() % 6, browser = rng() % 3, os = rng() % 4,
           country = rng() % 4;
    const bool changes = rng() % 6 == 0;
    // Bot scores come from s, not from rng, so every other field is what it was before bots.
    const uint8_t score = s % 9 == 4    ? static_cast<uint8_t>(85 + s % 11)
                          : s % 23 == 5 ? kBotScoreThreshold
                          : s % 19 == 3 ? kBotScoreThreshold - 1
                                        : 0;
    const bool turns_bot = s % 31 == 12;  // its later requests were scored as a bot's
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      if (changes && k == n / 2) {
        switch (rng() % 5) {
          case 0:
            width = (width + 1) % 6;
            break;
          case 1:
            dev = (dev + 1) % 4;
            break;
          case 2:
            browser = (browser + 1) % 3;
            break;
          case 3:
            country = (country + 1) % 4;
            break;
          default:
            visitor = visitor + 1;
            break;
        }
      }
      const uint64_t roll = rng() % 20;
      const EventType type = roll < 8    ? EventType::kPageView
                             : roll < 14 ? EventType::kClick
                             : roll < 17 ? EventType::kScroll
                             : roll < 19 ? EventType::kCustom
                                         : EventType::kScrollMilestone;
      Event e = Ev(in, t, 5000000 + sid, 5000000 + visitor, type, paths[rng() % 7]);
      e.device_class = devices[dev];
      e.viewport_w = widths[width];
      e.viewport_h = rng() % 6 == 0 ? 0 : static_cast<uint16_t>(500 + rng() % 600);
      e.browser = browsers[browser];
      e.os = oses[os];
      e.country[0] = countries[country][0];
      e.country[1] = countries[country][0] ? countries[country][1] : 0;
      e.referrer = referrers[rng() % 4];
      e.utm_source = utm[rng() % 3];
      e.utm_medium = utm[rng() % 3];
      e.utm_campaign = utm[rng() % 3];
      if (rng() % 7 == 0) e.user_id = "user-" + std::to_string(visitor % 5);
      if (type == EventType::kClick) {
        if (rng() % 5) {
          e.x = static_cast<float>(rng() % 1001) / 1000.0f;  // includes 1.0: tile 63
          e.y = static_cast<float>(rng() % 1001) / 1000.0f;
        }
        if (rng() % 4) {
          e.ex = static_cast<float>(rng() % 1000) / 999.0f;
          e.ey = static_cast<float>(rng() % 1000) / 997.0f;
        }
        const auto& [hash, sel] = selectors[rng() % 7];
        e.selector_hash = hash;
        e.selector = sel;
        e.flags = static_cast<uint8_t>(rng() % 4);
      }
      if (type == EventType::kScroll || type == EventType::kScrollMilestone) {
        e.depth_pct = static_cast<uint8_t>(rng() % 101);
      }
      if (type == EventType::kCustom) e.name = rng() % 2 ? "signup" : "purchase";
      e.bot_score = turns_bot && k >= n / 2 ? 90 : score;
      out.push_back(e);
      // Mostly seconds to minutes apart; now and then the same millisecond.
      t += rng() % 8 == 0 ? 0 : static_cast<int64_t>(rng() % (25 * 60 * 1000));
    }
  }
  return out;
}

// The filters the randomized comparisons run every query under.
inline std::vector<EventFilter> FilterMatrix(const std::string& project, int32_t from, int32_t to) {
  std::vector<EventFilter> out;
  auto add = [&](std::optional<std::string> path, std::optional<DeviceClass> dev,
                 std::optional<uint8_t> vb, int32_t f, int32_t t) {
    EventFilter x;
    x.project_id = project;
    x.from_day = f;
    x.to_day = t;
    x.path = std::move(path);
    x.device_class = dev;
    x.viewport_bucket = vb;
    out.push_back(x);
  };
  add(std::nullopt, std::nullopt, std::nullopt, from, to);
  add(std::nullopt, DeviceClass::kMobile, std::nullopt, from, to);
  add(std::nullopt, DeviceClass::kUnknown, std::nullopt, from, to);
  add(std::nullopt, std::nullopt, ViewportBucket(390), from, to);
  add(std::nullopt, std::nullopt, ViewportBucket(1280), from, to);
  add(std::nullopt, std::nullopt, uint8_t{255}, from, to);
  add(std::nullopt, DeviceClass::kTablet, ViewportBucket(800), from, to);
  add(std::string("/docs"), std::nullopt, std::nullopt, from, to);
  add(std::string("/docs"), DeviceClass::kDesktop, ViewportBucket(1920), from, to);
  add(std::string("/nowhere"), std::nullopt, std::nullopt, from, to);
  add(std::nullopt, std::nullopt, std::nullopt, from + 1, to);
  add(std::nullopt, std::nullopt, std::nullopt, from, from);
  add(std::string("/blog"), std::nullopt, std::nullopt, to, to);
  add(std::nullopt, std::nullopt, std::nullopt, to + 1, to + 3);  // after the data
  add(std::nullopt, std::nullopt, std::nullopt, to, from);        // invalid: both must refuse
  return out;
}

}  // namespace tapistry::conformance
