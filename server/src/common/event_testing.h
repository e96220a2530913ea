// GoogleTest helpers for comparing events: every field, floats bit for bit (NaN = "none" equals
// NaN). Used by the round-trip tests of each encoding (WAL codec, segment files).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "tapistry/event.h"

namespace tapistry {

inline bool SameFloat(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

inline void ExpectSameEvent(const Event& a, const Event& b) {
  EXPECT_EQ(a.ts_ms, b.ts_ms);
  EXPECT_EQ(a.ingest_ms, b.ingest_ms);
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.anonymous_id, b.anonymous_id);
  EXPECT_EQ(a.project_id, b.project_id);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.url, b.url);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.referrer, b.referrer);
  EXPECT_EQ(a.utm_source, b.utm_source);
  EXPECT_EQ(a.utm_medium, b.utm_medium);
  EXPECT_EQ(a.utm_campaign, b.utm_campaign);
  EXPECT_EQ(a.utm_term, b.utm_term);
  EXPECT_EQ(a.utm_content, b.utm_content);
  EXPECT_EQ(a.device_class, b.device_class);
  EXPECT_EQ(a.browser, b.browser);
  EXPECT_EQ(a.os, b.os);
  EXPECT_EQ(a.ua, b.ua);
  EXPECT_EQ(a.country[0], b.country[0]);
  EXPECT_EQ(a.country[1], b.country[1]);
  EXPECT_EQ(a.viewport_w, b.viewport_w);
  EXPECT_EQ(a.viewport_h, b.viewport_h);
  EXPECT_TRUE(SameFloat(a.x, b.x)) << a.x << " vs " << b.x;
  EXPECT_TRUE(SameFloat(a.y, b.y)) << a.y << " vs " << b.y;
  EXPECT_TRUE(SameFloat(a.ex, b.ex)) << a.ex << " vs " << b.ex;
  EXPECT_TRUE(SameFloat(a.ey, b.ey)) << a.ey << " vs " << b.ey;
  EXPECT_EQ(a.selector_hash, b.selector_hash);
  EXPECT_EQ(a.selector, b.selector);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.depth_pct, b.depth_pct);
  EXPECT_EQ(a.bot_score, b.bot_score);
  EXPECT_EQ(a.props, b.props);
}

}  // namespace tapistry
