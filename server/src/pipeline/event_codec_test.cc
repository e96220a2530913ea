#include "pipeline/event_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "common/event_testing.h"
#include "pipeline/test_util.h"

namespace tapistry {
namespace {

Event FullEvent() {
  TestEvents gen(1);
  Event e = gen.Make(1723718400123);
  e.user_id = "user-42";
  e.name = "signup";
  e.utm_medium = "email";
  e.utm_campaign = "launch";
  e.utm_term = "analytics";
  e.utm_content = "hero";
  e.ua = "Mozilla/5.0 (X11; Linux x86_64)";
  e.flags = kFlagRage | kFlagDead;
  e.depth_pct = 87;
  e.bot_score = 3;
  return e;
}

Event RoundTrip(const Event& e) {
  std::string buf;
  EncodeEvent(e, &buf);
  std::string_view in = buf;
  Event out;
  Status s = DecodeEvent(&in, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(in.empty());
  return out;
}

TEST(EventCodecTest, RoundTripsEveryField) {
  const Event e = FullEvent();
  ExpectSameEvent(RoundTrip(e), e);
}

TEST(EventCodecTest, RoundTripsDefaultsAndExtremes) {
  Event plain;  // NaN coordinates, empty strings, no selector hash
  ExpectSameEvent(RoundTrip(plain), plain);

  Event e = FullEvent();
  e.ts_ms = std::numeric_limits<int64_t>::min();
  e.ingest_ms = std::numeric_limits<int64_t>::max();
  e.viewport_w = 65535;
  e.viewport_h = 0;
  e.x = -0.0f;
  e.y = NAN;  // one coordinate of the pair missing still round-trips the other
  e.ex = std::numeric_limits<float>::infinity();
  e.ey = std::numeric_limits<float>::denorm_min();
  e.selector_hash = ~0ULL;
  e.type = EventType::kMouseMove;
  e.device_class = DeviceClass::kTablet;
  e.props = std::string(100000, 'p');
  e.country[0] = '\0';
  e.country[1] = '\xff';
  ExpectSameEvent(RoundTrip(e), e);
}

TEST(EventCodecTest, IsCompact) {
  // A typical click with every optional field set stays close to the size of its strings.
  const Event e = FullEvent();
  std::string buf;
  EncodeEvent(e, &buf);
  size_t strings = 0;
  for (const std::string* s :
       {&e.project_id, &e.user_id, &e.name, &e.url, &e.path, &e.title, &e.referrer, &e.utm_source,
        &e.utm_medium, &e.utm_campaign, &e.utm_term, &e.utm_content, &e.browser, &e.os, &e.ua,
        &e.selector, &e.props}) {
    strings += s->size();
  }
  EXPECT_LE(buf.size(), strings + 17 + 8 + 48 + 24 + 8 + 6);
}

TEST(EventCodecTest, BatchRoundTrips) {
  TestEvents gen(2);
  std::vector<Event> in = gen.Batch(40, 1723718400000);
  in[3].type = EventType::kPageView;
  in[3].x = in[3].y = in[3].ex = in[3].ey = NAN;
  std::string payload;
  StartEventBatch(99, &payload);
  for (const Event& e : in) EncodeEvent(e, &payload);
  SetEventBatchAcceptMs(1723718400777, &payload);
  int64_t accept_ms = 0;
  std::vector<Event> out;
  ASSERT_TRUE(DecodeEventBatch(payload, &accept_ms, &out).ok());
  EXPECT_EQ(accept_ms, 1723718400777);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) ExpectSameEvent(out[i], in[i]);
}

TEST(EventCodecTest, EveryTruncationIsCorruption) {
  std::string buf;
  EncodeEvent(FullEvent(), &buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    std::string_view in(buf.data(), n);
    Event out;
    Status s = DecodeEvent(&in, &out);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << "prefix " << n;
  }
}

TEST(EventCodecTest, RejectsOutOfRangeValues) {
  std::string good;
  EncodeEvent(FullEvent(), &good);
  auto decode = [](std::string bytes) {
    std::string_view in = bytes;
    Event out;
    return DecodeEvent(&in, &out).code();
  };
  std::string bad = good;
  bad[0] = 0;  // event type 0
  EXPECT_EQ(decode(bad), StatusCode::kCorruption);
  bad = good;
  bad[0] = 7;  // past kMouseMove
  EXPECT_EQ(decode(bad), StatusCode::kCorruption);
  bad = good;
  bad[1] = 4;  // device class past kTablet
  EXPECT_EQ(decode(bad), StatusCode::kCorruption);
  bad = good;
  bad[5] = static_cast<char>(bad[5] | 0x80);  // unknown presence bit
  EXPECT_EQ(decode(bad), StatusCode::kCorruption);
  // An eleven-byte varint for ts_ms.
  bad = good.substr(0, 8) + std::string(10, '\xff') + "\x01" + good.substr(8);
  EXPECT_EQ(decode(bad), StatusCode::kCorruption);
}

TEST(EventCodecTest, HugeStringLengthDoesNotAllocate) {
  Event e;
  std::string buf;
  EncodeEvent(e, &buf);
  // The first string length (project_id, empty) sits right after the viewport varints: replace
  // the empty project_id's length 0 with 2^62 followed by nothing.
  const size_t fixed = 8 + 1 + 1 + 48 + 1 + 1;  // bytes, ts 0, delta 0, uuids, viewport 0, 0
  ASSERT_EQ(buf[fixed], '\0');
  std::string bad = buf.substr(0, fixed) + std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9) +
                    buf.substr(fixed + 1);
  std::string_view in = bad;
  Event out;
  EXPECT_EQ(DecodeEvent(&in, &out).code(), StatusCode::kCorruption);
}

TEST(EventCodecTest, RandomCorruptionNeverCrashes) {
  TestEvents gen(3);
  std::string payload;
  StartEventBatch(1, &payload);
  for (const Event& e : gen.Batch(5, 1723718400000)) EncodeEvent(e, &payload);
  std::mt19937 rng(11);
  size_t failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bad = payload;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 2) bad.resize(rng() % bad.size());
    int64_t accept_ms;
    std::vector<Event> out;
    Status s = DecodeEventBatch(bad, &accept_ms, &out);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      ++failures;
    }
  }
  EXPECT_GT(failures, 0u);
}

}  // namespace
}  // namespace tapistry
