// The EventStore conformance suite: what every backend (embedded columnar store, ClickHouse)
// must return for the same events. It is a typed, parameterized GoogleTest suite; a backend
// plugs in with a factory type and one INSTANTIATE_TYPED_TEST_SUITE_P line:
//
//   struct MyFactory {
//     MyFactory();                              // fresh, empty storage for one test
//     std::unique_ptr<EventStore> Open();       // a store over that storage (may be called again
//                                               // after the previous store was closed: reopen)
//     FakeClock* clock();                       // the clock the store was given
//     static constexpr bool kSupportsReopen;    // data survives Close + Open
//     static constexpr const char* kName;       // test name part, e.g. "ClickHouse"
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, EventStoreConformanceTest, ::testing::Types<MyFactory>);
//
// Expected numbers are either worked out by hand in the test or computed by the brute-force
// reference (reference_event_store.h) from the events the test itself appended — never from the
// backend under test, so a backend cannot agree with itself into passing. The comparisons are
// event_store_compare.h's; event_store_honesty_test.cc proves they reject wrong backends.
// Thread-safety: test code.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "event_store_compare.h"
#include "reference_event_store.h"
#include "result_json.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"
#include "tapistry/funnel.h"
#include "test_events.h"

namespace tapistry::conformance {

// (pageviews, sessions, visitors): what the hand-computed cases check; the bounce and duration
// fields have their own case and the randomized comparisons with the reference.
inline std::array<uint64_t, 3> Counts(const OverviewTotals& t) {
  return {t.pageviews, t.sessions, t.visitors};
}

template <typename Factory>
class EventStoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    factory_ = std::make_unique<Factory>();
    store_ = factory_->Open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_) {
      EXPECT_TRUE(store_->Close().ok());
    }
  }
  // Appends to the backend and to the reference: the reference only ever sees the test's events.
  void Append(const std::vector<Event>& events, uint64_t seq = 0) {
    ASSERT_TRUE(store_->Append(events, seq).ok());
    ASSERT_TRUE(ref_.Append(events, seq).ok());
  }
  OverviewResult Overview(const EventFilter& f, int limit = 10) {
    auto r = store_->Overview(OverviewQuery{f, limit});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : OverviewResult();
  }
  void ExpectMatchesReference(const EventFilter& f, int limit = 10) {
    const OverviewQuery q{f, limit};
    EXPECT_EQ("", Differs("overview", store_->Overview(q), ref_.Overview(q))) << FilterName(f);
  }
  // Every query of event_store.h under `f`.
  void ExpectAllMatchReference(const EventFilter& f, const std::string& heatmap_path = "/docs") {
    EXPECT_TRUE(SameAnswers(*store_, ref_, f, heatmap_path));
  }
  void Reopen() {
    ASSERT_TRUE(store_->Close().ok());
    store_.reset();
    store_ = factory_->Open();
    ASSERT_NE(store_, nullptr);
  }
  // The backend's kStoreRowsGauge, which every backend must report (-1 when it does not).
  double StoredRows() const {
    const std::optional<double> rows = FindGauge(store_->Gauges(), kStoreRowsGauge);
    EXPECT_TRUE(rows.has_value()) << "no " << kStoreRowsGauge << " among the store's gauges";
    return rows.value_or(-1);
  }
  static EventFilter Range(const std::string& project, int32_t from, int32_t to) {
    EventFilter f;
    f.project_id = project;
    f.from_day = from;
    f.to_day = to;
    return f;
  }

  std::unique_ptr<Factory> factory_;
  std::unique_ptr<EventStore> store_;
  reference::ReferenceEventStore ref_;  // the test's own events, for the expected answers
};

TYPED_TEST_SUITE_P(EventStoreConformanceTest);

TYPED_TEST_P(EventStoreConformanceTest, EmptyStoreHasEveryDayWithZeros) {
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 2));
  EXPECT_EQ(r.totals, OverviewTotals());
  ASSERT_EQ(r.series.size(), 3u);
  EXPECT_EQ(r.series[0].day, kDay0);
  EXPECT_EQ(r.series[2].day, kDay0 + 2);
  EXPECT_TRUE(r.top_pages.empty());
}

TYPED_TEST_P(EventStoreConformanceTest, CountsPageviewsSessionsAndVisitors) {
  // Visitor 1: session 1 (2 page views + a click), session 2 (1 page view) on the next day.
  // Visitor 2: session 3 (a click only: a session without page views still counts).
  this->Append({Ev("p", kT0 + 1000, 1, 1, EventType::kPageView, "/a"),
                Ev("p", kT0 + 2000, 1, 1, EventType::kClick, "/a"),
                Ev("p", kT0 + 3000, 1, 1, EventType::kPageView, "/b"),
                Ev("p", kT0 + kDayMs + 10, 2, 1, EventType::kPageView, "/a"),
                Ev("p", kT0 + 5000, 3, 2, EventType::kClick, "/a")});
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 1));
  EXPECT_EQ(Counts(r.totals), Counts({3, 3, 2}));
  ASSERT_EQ(r.series.size(), 2u);
  EXPECT_EQ(Counts(r.series[0].totals), Counts({2, 2, 2}));
  EXPECT_EQ(Counts(r.series[1].totals), Counts({1, 1, 1}));
  ASSERT_EQ(r.top_pages.size(), 2u);
  EXPECT_EQ(r.top_pages[0], (TopPage{"/a", 2, 2}));
  EXPECT_EQ(r.top_pages[1], (TopPage{"/b", 1, 1}));
}

TYPED_TEST_P(EventStoreConformanceTest, SessionCrossingMidnightCountsOnceInTotals) {
  this->Append({Ev("p", kT0 + kDayMs - 60000, 7, 7, EventType::kPageView, "/x"),
                Ev("p", kT0 + kDayMs + 60000, 7, 7, EventType::kPageView, "/x")});
  ASSERT_TRUE(this->store_->Flush().ok());
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 1));
  EXPECT_EQ(Counts(r.totals), Counts({2, 1, 1}));
  EXPECT_EQ(Counts(r.series[0].totals), Counts({1, 1, 1}));
  EXPECT_EQ(Counts(r.series[1].totals), Counts({1, 1, 1}));
  ASSERT_EQ(r.top_pages.size(), 1u);
  EXPECT_EQ(r.top_pages[0], (TopPage{"/x", 2, 1}));
}

TYPED_TEST_P(EventStoreConformanceTest, BounceAndDurationPerSessionAcrossMidnight) {
  // Session 1: one page view and a click 30 s later (bounced, 30 s). Session 2: two page views
  // 10 s apart, then one more page view past midnight 2 min later: on day 0 it has 2 page views,
  // on day 1 a single one (bounced that day), and over the range 3 page views lasting 130 s.
  // Session 3: only a click (no page view: neither with page views nor bounced; 0 s).
  const int64_t late = kT0 + kDayMs - 60000;
  this->Append({Ev("p", kT0 + 1000, 1, 1, EventType::kPageView),
                Ev("p", kT0 + 31000, 1, 1, EventType::kClick),
                Ev("p", late, 2, 2, EventType::kPageView),
                Ev("p", late + 10000, 2, 2, EventType::kPageView),
                Ev("p", kT0 + 5000, 3, 3, EventType::kClick)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({Ev("p", late + 130000, 2, 2, EventType::kPageView)});
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 1));
  EXPECT_EQ(r.totals.sessions_with_pageviews, 2u);
  EXPECT_EQ(r.totals.bounced_sessions, 1u);
  EXPECT_EQ(r.totals.total_duration_ms, 30000u + 130000u);
  EXPECT_EQ(r.series[0].totals.sessions_with_pageviews, 2u);
  EXPECT_EQ(r.series[0].totals.bounced_sessions, 1u);
  EXPECT_EQ(r.series[0].totals.total_duration_ms, 30000u + 10000u);
  EXPECT_EQ(r.series[1].totals.sessions_with_pageviews, 1u);
  EXPECT_EQ(r.series[1].totals.bounced_sessions, 1u);
  EXPECT_EQ(r.series[1].totals.total_duration_ms, 0u);
  this->ExpectMatchesReference(this->Range("p", kDay0, kDay0 + 1));
  // A filter narrows the events each session is measured over.
  EventFilter clicks_path = this->Range("p", kDay0, kDay0 + 1);
  clicks_path.device_class = DeviceClass::kDesktop;
  this->ExpectMatchesReference(clicks_path);
}

TYPED_TEST_P(EventStoreConformanceTest, TopPagesOrderTiesAndLimit) {
  std::vector<Event> ev;
  // /c: 3 views; /a and /b: 2 views each (tie -> path ascending); /d: 1 view.
  for (int i = 0; i < 3; ++i)
    ev.push_back(Ev("p", kT0 + i * 1000, 10 + i, 1, EventType::kPageView, "/c"));
  for (int i = 0; i < 2; ++i)
    ev.push_back(Ev("p", kT0 + 5000 + i, 20, 2, EventType::kPageView, "/b"));
  for (int i = 0; i < 2; ++i)
    ev.push_back(Ev("p", kT0 + 6000 + i, 21 + i, 3, EventType::kPageView, "/a"));
  ev.push_back(Ev("p", kT0 + 9000, 30, 4, EventType::kPageView, "/d"));
  this->Append(ev);
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0), 3);
  ASSERT_EQ(r.top_pages.size(), 3u);
  EXPECT_EQ(r.top_pages[0], (TopPage{"/c", 3, 3}));
  EXPECT_EQ(r.top_pages[1], (TopPage{"/a", 2, 2}));
  EXPECT_EQ(r.top_pages[2], (TopPage{"/b", 2, 1}));
  EXPECT_TRUE(this->Overview(this->Range("p", kDay0, kDay0), 0).top_pages.empty());
}

TYPED_TEST_P(EventStoreConformanceTest, FiltersSelectEventsExactly) {
  Event m1 = Ev("p", kT0 + 1000, 1, 1, EventType::kPageView, "/a");
  m1.device_class = DeviceClass::kMobile;
  m1.viewport_w = 390;
  Event m2 = Ev("p", kT0 + 2000, 1, 1, EventType::kClick, "/a");
  m2.device_class = DeviceClass::kMobile;
  m2.viewport_w = 390;
  Event d1 = Ev("p", kT0 + 3000, 2, 2, EventType::kPageView, "/a");
  Event d2 = Ev("p", kT0 + 4000, 2, 2, EventType::kPageView, "/b");
  Event t1 = Ev("p", kT0 + 5000, 3, 3, EventType::kPageView, "/b");
  t1.device_class = DeviceClass::kTablet;
  t1.viewport_w = 800;
  Event unknown_w = Ev("p", kT0 + 6000, 4, 4, EventType::kPageView, "/b");
  unknown_w.viewport_w = 0;
  this->Append({m1, m2, d1, d2, t1, unknown_w});
  EventFilter f = this->Range("p", kDay0, kDay0);
  f.path = "/a";
  EXPECT_EQ(Counts(this->Overview(f).totals), Counts({2, 2, 2}));
  f.path = "/nowhere";
  EXPECT_EQ(this->Overview(f).totals, OverviewTotals());
  f.path.reset();
  f.device_class = DeviceClass::kMobile;
  OverviewResult mobile = this->Overview(f);
  EXPECT_EQ(Counts(mobile.totals), Counts({1, 1, 1}));
  ASSERT_EQ(mobile.top_pages.size(), 1u);
  EXPECT_EQ(mobile.top_pages[0], (TopPage{"/a", 1, 1}));
  f.device_class.reset();
  f.viewport_bucket = ViewportBucket(1280);
  EXPECT_EQ(Counts(this->Overview(f).totals), Counts({2, 1, 1}));
  f.viewport_bucket = 255;  // unknown width
  EXPECT_EQ(Counts(this->Overview(f).totals), Counts({1, 1, 1}));
  f.viewport_bucket = 2;
  f.device_class = DeviceClass::kTablet;
  f.path = "/b";
  EXPECT_EQ(Counts(this->Overview(f).totals), Counts({1, 1, 1}));
  f.device_class = DeviceClass::kDesktop;
  EXPECT_EQ(this->Overview(f).totals, OverviewTotals());
}

TYPED_TEST_P(EventStoreConformanceTest, ProjectsAndDayBoundsAreIsolated) {
  this->Append({Ev("p", kT0 - 1, 1, 1), Ev("p", kT0, 2, 2), Ev("p", kT0 + kDayMs - 1, 3, 3),
                Ev("p", kT0 + kDayMs, 4, 4), Ev("q", kT0 + 10, 5, 5), Ev("pp", kT0 + 10, 6, 6)});
  EXPECT_EQ(Counts(this->Overview(this->Range("p", kDay0, kDay0)).totals), Counts({2, 2, 2}));
  EXPECT_EQ(Counts(this->Overview(this->Range("q", kDay0, kDay0)).totals), Counts({1, 1, 1}));
  EXPECT_EQ(Counts(this->Overview(this->Range("p", kDay0 - 1, kDay0 + 1)).totals),
            Counts({4, 4, 4}));
  EXPECT_EQ(this->Overview(this->Range("nobody", kDay0 - 1, kDay0 + 1)).totals, OverviewTotals());
}

TYPED_TEST_P(EventStoreConformanceTest, InvalidRangeIsAnError) {
  auto r = this->store_->Overview(OverviewQuery{this->Range("p", kDay0 + 1, kDay0), 10});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

// Rows spread over flushed storage and the write buffer must be read together, exactly.
TYPED_TEST_P(EventStoreConformanceTest, RandomWorkloadMatchesReferenceAcrossFlushes) {
  std::mt19937_64 rng(42);
  const char* paths[] = {"/", "/pricing", "/docs", "/docs/api", "/blog", "/blog/post-1", "/signup"};
  const DeviceClass devices[] = {DeviceClass::kDesktop, DeviceClass::kMobile, DeviceClass::kTablet};
  const uint16_t widths[] = {0, 375, 600, 800, 1280, 1920};
  uint64_t session = 0;
  for (int round = 0; round < 4; ++round) {
    std::vector<Event> batch;
    for (int s = 0; s < 60; ++s) {
      ++session;
      const uint64_t visitor = rng() % 40;
      // Sessions start anywhere in a 4-day window, some late enough to cross midnight; a few
      // reuse an older session id, as a buggy client would, on another day.
      int64_t t = kT0 + static_cast<int64_t>(rng() % (4 * kDayMs));
      const uint64_t sid = (rng() % 10 == 0 && session > 5) ? session - 5 : session;
      const DeviceClass dev = devices[rng() % 3];
      const uint16_t w = widths[rng() % 6];
      const std::string project = rng() % 5 == 0 ? "other" : "p";
      const int n = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < n; ++k) {
        EventType type = rng() % 3 == 0 ? EventType::kClick : EventType::kPageView;
        Event e = Ev(project, t, sid, visitor, type, paths[rng() % 7]);
        e.device_class = dev;
        e.viewport_w = w;
        batch.push_back(e);
        t += static_cast<int64_t>(rng() % (40 * 60 * 1000));
      }
    }
    this->Append(batch, round + 1);
    if (round % 2 == 0) {
      ASSERT_TRUE(this->store_->Flush().ok());
    }
  }
  for (int32_t from : {kDay0, kDay0 + 1}) {
    for (int32_t to : {kDay0 + 1, kDay0 + 4}) {
      EventFilter f = this->Range("p", from, to);
      this->ExpectAllMatchReference(f);
      f.path = "/docs";
      this->ExpectAllMatchReference(f);
      f.path.reset();
      f.device_class = DeviceClass::kMobile;
      this->ExpectAllMatchReference(f);
      f.viewport_bucket = ViewportBucket(1280);
      this->ExpectAllMatchReference(f);
      f.device_class.reset();
      f.viewport_bucket = 255;
      this->ExpectAllMatchReference(f);
    }
  }
  this->ExpectAllMatchReference(this->Range("other", kDay0, kDay0 + 5));
}

TYPED_TEST_P(EventStoreConformanceTest, ListEventsOldestFirstWithTypeAndLimit) {
  Event a = Ev("p", kT0 + 3000, 1, 1, EventType::kPageView, "/a");
  a.user_id = "u-1";
  a.title = "Home";
  a.referrer = "https://search.example/";
  a.utm_source = "newsletter";
  a.utm_medium = "email";
  a.utm_campaign = "launch";
  a.utm_term = "analytics";
  a.utm_content = "hero";
  a.country[0] = 'F';
  a.country[1] = 'R';
  a.ua = "Mozilla/5.0";
  a.bot_score = 7;
  a.props = "{\"plan\":\"pro\"}";
  Event b = Ev("p", kT0 + 1000, 1, 1, EventType::kClick, "/a");
  b.x = 0.25f;
  b.y = 0.75f;
  b.ex = 0.5f;
  b.ey = 0.125f;
  b.selector_hash = 0x1234567890abcdefULL;
  b.selector = "button.buy";
  b.flags = kFlagRage | kFlagDead;
  Event c = Ev("p", kT0 + kDayMs + 5, 2, 1, EventType::kScroll, "/b");
  c.depth_pct = 80;
  c.name = "";
  Event d = Ev("p", kT0 + 2000, 3, 2, EventType::kCustom, "/a");
  d.name = "signup";
  this->Append({a, b, c});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({d});  // still in the write buffer
  auto all = this->store_->ListEvents(this->Range("p", kDay0, kDay0 + 1), std::nullopt, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].event_id, b.event_id);
  EXPECT_EQ((*all)[1].event_id, d.event_id);
  EXPECT_EQ((*all)[2].event_id, a.event_id);
  EXPECT_EQ((*all)[3].event_id, c.event_id);
  const Event& ga = (*all)[2];
  EXPECT_EQ(ga.ts_ms, a.ts_ms);
  EXPECT_EQ(ga.ingest_ms, a.ingest_ms);
  EXPECT_EQ(ga.session_id, a.session_id);
  EXPECT_EQ(ga.anonymous_id, a.anonymous_id);
  EXPECT_EQ(ga.project_id, "p");
  EXPECT_EQ(ga.user_id, "u-1");
  EXPECT_EQ(ga.title, "Home");
  EXPECT_EQ(ga.url, a.url);
  EXPECT_EQ(ga.referrer, a.referrer);
  EXPECT_EQ(ga.utm_source, "newsletter");
  EXPECT_EQ(ga.utm_medium, "email");
  EXPECT_EQ(ga.utm_campaign, "launch");
  EXPECT_EQ(ga.utm_term, "analytics");
  EXPECT_EQ(ga.utm_content, "hero");
  EXPECT_EQ(ga.device_class, DeviceClass::kDesktop);
  EXPECT_EQ(ga.browser, "Firefox");
  EXPECT_EQ(ga.os, "Linux");
  EXPECT_EQ(ga.ua, "Mozilla/5.0");
  EXPECT_EQ(std::string(ga.country, 2), "FR");
  EXPECT_EQ(ga.viewport_w, 1280);
  EXPECT_EQ(ga.viewport_h, 800);
  EXPECT_TRUE(std::isnan(ga.x));
  EXPECT_EQ(ga.depth_pct, kNoDepth);
  EXPECT_EQ(ga.bot_score, 7);
  EXPECT_EQ(ga.props, a.props);
  const Event& gb = (*all)[0];
  EXPECT_EQ(gb.type, EventType::kClick);
  EXPECT_EQ(gb.x, 0.25f);
  EXPECT_EQ(gb.y, 0.75f);
  EXPECT_EQ(gb.ex, 0.5f);
  EXPECT_EQ(gb.ey, 0.125f);
  EXPECT_EQ(gb.selector_hash, b.selector_hash);
  EXPECT_EQ(gb.selector, "button.buy");
  EXPECT_EQ(gb.flags, kFlagRage | kFlagDead);
  EXPECT_EQ((*all)[1].name, "signup");
  EXPECT_EQ((*all)[3].depth_pct, 80);

  auto clicks =
      this->store_->ListEvents(this->Range("p", kDay0, kDay0 + 1), EventType::kClick, 100);
  ASSERT_TRUE(clicks.ok());
  ASSERT_EQ(clicks->size(), 1u);
  EXPECT_EQ((*clicks)[0].event_id, b.event_id);
  auto two = this->store_->ListEvents(this->Range("p", kDay0, kDay0 + 1), std::nullopt, 2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[1].event_id, d.event_id);
  EventFilter on_b = this->Range("p", kDay0, kDay0 + 1);
  on_b.path = "/b";
  auto bs = this->store_->ListEvents(on_b, std::nullopt, 100);
  ASSERT_TRUE(bs.ok());
  ASSERT_EQ(bs->size(), 1u);
  EXPECT_EQ((*bs)[0].event_id, c.event_id);
  this->ExpectAllMatchReference(this->Range("p", kDay0, kDay0 + 1));
}

TYPED_TEST_P(EventStoreConformanceTest, ScanEventIdsFromAnIngestTime) {
  // Keyed on when an event was accepted, not on its own ts: the last event is days old but was
  // ingested late, so it is inside the window.
  std::vector<Event> ev = {Ev("p", kT0 + 1000, 1, 1), Ev("q", kT0 + 5000, 2, 2),
                           Ev("p", kT0 + kDayMs * 2, 3, 3), Ev("p", kT0 - 3 * kDayMs, 4, 4)};
  ev[0].ingest_ms = kT0 + 1000;
  ev[1].ingest_ms = kT0 + 5000;
  ev[2].ingest_ms = kT0 + kDayMs * 2 + 10;
  ev[3].ingest_ms = kT0 + 7000;
  this->Append({ev[0], ev[1], ev[3]});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({ev[2]});
  std::map<Uuid, int64_t> seen;
  ASSERT_TRUE(
      this->store_->ScanEventIds(kT0 + 5000, [&](const Uuid& id, int64_t at) { seen[id] = at; })
          .ok());
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[ev[1].event_id], ev[1].ingest_ms);
  EXPECT_EQ(seen[ev[2].event_id], ev[2].ingest_ms);
  EXPECT_EQ(seen[ev[3].event_id], ev[3].ingest_ms);
  EXPECT_EQ(seen.count(ev[0].event_id), 0u);
}

TYPED_TEST_P(EventStoreConformanceTest, DeleteSubjectRemovesEveryEventOfTheSubject) {
  Event u = Ev("p", kT0 + 4000, 3, 9, EventType::kPageView, "/c");
  u.user_id = "alice";
  this->Append({Ev("p", kT0 + 1000, 1, 1, EventType::kPageView, "/a"), Ev("p", kT0 + 2000, 1, 1),
                Ev("p", kT0 + kDayMs, 2, 2, EventType::kPageView, "/b"), u, Ev("q", kT0, 4, 1)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({Ev("p", kT0 + 3000, 5, 1, EventType::kPageView, "/a")});  // unflushed
  // The subject's sessions (a DSAR delete also removes their recordings): visitor 1 has
  // sessions 1 (flushed) and 5 (unflushed) in project p; alice session 3.
  auto sessions = this->store_->SubjectSessions("p", Id(2000000 + 1), std::nullopt);
  ASSERT_TRUE(sessions.ok()) << sessions.status().ToString();
  EXPECT_EQ(sessions->size(), 2u);
  EXPECT_EQ(*sessions, *this->ref_.SubjectSessions("p", Id(2000000 + 1), std::nullopt));
  auto alice = this->store_->SubjectSessions("p", std::nullopt, std::string("alice"));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(*alice, std::vector<Uuid>{u.session_id});
  EXPECT_TRUE(this->store_->SubjectSessions("q", Id(2000000 + 9), std::nullopt)->empty());
  EXPECT_FALSE(this->store_->SubjectSessions("p", std::nullopt, std::string()).ok());
  auto n = this->store_->DeleteSubject("p", Id(2000000 + 1), std::nullopt);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3u);
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 1));
  EXPECT_EQ(Counts(r.totals), Counts({2, 2, 2}));
  EXPECT_EQ(Counts(this->Overview(this->Range("q", kDay0, kDay0)).totals),
            Counts({1, 1, 1}));  // other project kept
  auto by_user = this->store_->DeleteSubject("p", std::nullopt, std::string("alice"));
  ASSERT_TRUE(by_user.ok());
  EXPECT_EQ(*by_user, 1u);
  EXPECT_EQ(Counts(this->Overview(this->Range("p", kDay0, kDay0 + 1)).totals), Counts({1, 1, 1}));
  auto again = this->store_->DeleteSubject("p", Id(2000000 + 1), std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  EXPECT_TRUE(this->store_->SubjectSessions("p", Id(2000000 + 1), std::nullopt)->empty());
  auto events = this->store_->ListEvents(this->Range("p", kDay0, kDay0 + 1), std::nullopt, 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].anonymous_id, Id(2000000 + 2));
  // An empty user id is "no user", never a subject that matches every anonymous event.
  EXPECT_FALSE(this->store_->DeleteSubject("p", std::nullopt, std::string()).ok());
  // The reference, told the same deletions, agrees on every query.
  EXPECT_EQ(*this->ref_.DeleteSubject("p", Id(2000000 + 1), std::nullopt), 3u);
  EXPECT_EQ(*this->ref_.DeleteSubject("p", std::nullopt, std::string("alice")), 1u);
  this->ExpectAllMatchReference(this->Range("p", kDay0, kDay0 + 1));
  this->ExpectAllMatchReference(this->Range("q", kDay0, kDay0 + 1));
}

TYPED_TEST_P(EventStoreConformanceTest, RetentionDropsWholeOldDays) {
  for (int d = 0; d < 5; ++d)
    this->Append({Ev("p", kT0 + d * kDayMs + 100, d, d), Ev("q", kT0 + d * kDayMs, 50 + d, 1)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({Ev("p", kT0 + 1 * kDayMs + 500, 99, 99)});  // unflushed, on a day that goes
  // today = day 4, keep 2 days before it: days 2, 3, 4 stay; p's rows of days 0 and 1 go (3).
  auto removed = this->store_->ApplyRetention("p", kDay0 + 4, 2);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 3u);
  EXPECT_EQ(this->StoredRows(), 8.0);  // 11 appended
  EXPECT_FALSE(this->store_->ApplyRetention("p", kDay0 + 4, -1).ok());
  OverviewResult r = this->Overview(this->Range("p", kDay0, kDay0 + 4));
  EXPECT_EQ(r.totals.pageviews, 3u);
  EXPECT_EQ(r.series[1].totals, OverviewTotals());
  EXPECT_EQ(r.series[2].totals.pageviews, 1u);
  EXPECT_EQ(this->Overview(this->Range("q", kDay0, kDay0 + 4)).totals.pageviews, 5u);
  EXPECT_EQ(*this->ref_.ApplyRetention("p", kDay0 + 4, 2), 3u);
  this->ExpectAllMatchReference(this->Range("p", kDay0, kDay0 + 4));
  this->ExpectAllMatchReference(this->Range("q", kDay0, kDay0 + 4));
}

TYPED_TEST_P(EventStoreConformanceTest, FlushAdvancesPersistedSeqAndDataSurvivesReopen) {
  EXPECT_EQ(this->store_->PersistedSeq(), 0u);
  this->Append({Ev("p", kT0 + 1, 1, 1, EventType::kPageView, "/a")}, 7);
  this->Append({Ev("p", kT0 + 2, 2, 2, EventType::kPageView, "/b")}, 8);
  ASSERT_TRUE(this->store_->Flush().ok());
  EXPECT_GE(this->store_->PersistedSeq(), 8u);
  this->Append({Ev("p", kT0 + 3, 3, 3, EventType::kPageView, "/b")}, 9);
  if (!TypeParam::kSupportsReopen) return;
  this->Reopen();  // Close persists the rest
  EXPECT_GE(this->store_->PersistedSeq(), 9u);
  this->ExpectMatchesReference(this->Range("p", kDay0, kDay0));
  EXPECT_EQ(this->StoredRows(), 3.0);
}

TYPED_TEST_P(EventStoreConformanceTest, ConcurrentAppendsAndQueries) {
  constexpr int kWriters = 3, kBatches = 30, kPerBatch = 20;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  std::vector<std::vector<Event>> made(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    for (int b = 0; b < kBatches; ++b) {
      for (int i = 0; i < kPerBatch; ++i) {
        made[w].push_back(
            Ev("p", kT0 + (w * 1000 + b) * 1000 + i, w * 100 + b, w, EventType::kPageView, "/c"));
      }
    }
  }
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::span<const Event> batch(made[w].data() + b * kPerBatch, kPerBatch);
        if (!this->store_->Append(batch, 0).ok()) failed = true;
        if (b % 10 == 9 && !this->store_->Flush().ok()) failed = true;
      }
    });
  }
  threads.emplace_back([&] {
    uint64_t last = 0;
    for (int i = 0; i < 30; ++i) {
      auto r = this->store_->Overview(OverviewQuery{this->Range("p", kDay0, kDay0), 10});
      if (!r.ok() || r->totals.pageviews < last) failed = true;  // rows never disappear
      if (r.ok()) last = r->totals.pageviews;
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  for (auto& m : made) ASSERT_TRUE(this->ref_.Append(m, 0).ok());
  this->ExpectAllMatchReference(this->Range("p", kDay0, kDay0));
}

// Heatmap, scroll map, elements, breakdown, paths and live visitors: a backend must return
// exactly what the reference returns for the same events.
TYPED_TEST_P(EventStoreConformanceTest, AnalyticsQueriesMatchTheReference) {
  std::mt19937_64 rng(7);
  const char* paths[] = {"/", "/pricing", "/docs", "/docs/api"};
  const char* selectors[] = {"", "a.buy", "button#go", "nav > a"};
  const char* referrers[] = {"", "https://www.google.com/search?q=x", "https://news.example/item"};
  std::vector<Event> batch;
  for (int s = 0; s < 120; ++s) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (3 * kDayMs));
    const uint64_t visitor = rng() % 30;
    const DeviceClass dev = rng() % 2 ? DeviceClass::kMobile : DeviceClass::kDesktop;
    const char* country = rng() % 2 ? "DE" : "US";
    const int n = 1 + static_cast<int>(rng() % 7);
    for (int k = 0; k < n; ++k) {
      const uint64_t roll = rng() % 10;
      EventType type = roll < 4   ? EventType::kPageView
                       : roll < 8 ? EventType::kClick
                                  : EventType::kScroll;
      Event e = Ev("p", t, static_cast<uint64_t>(s), visitor, type, paths[rng() % 4]);
      e.device_class = dev;
      e.country[0] = country[0];
      e.country[1] = country[1];
      e.browser = rng() % 2 ? "Chrome" : "Safari";
      e.referrer = referrers[rng() % 3];
      e.utm_source = rng() % 3 == 0 ? "mail" : "";
      if (type == EventType::kClick) {
        if (rng() % 5) {
          e.x = static_cast<float>(rng() % 1000) / 999.0f;  // includes exactly 1.0 (tile 63)
          e.y = static_cast<float>(rng() % 977) / 311.0f;   // may exceed 1 on a long page
        }
        if (rng() % 3) {
          // Magnitudes 2^0 .. 2^-40: double sums of these depend on the order of addition, so
          // the mean positions check that any order stays within SameElements' tolerance.
          e.ex = std::ldexp(static_cast<float>(rng() % 100) / 7.0f, -static_cast<int>(rng() % 41));
          e.ey = static_cast<float>(rng() % 100) / 13.0f;
        }
        e.selector_hash = rng() % 6;  // 0 = none
        e.selector = selectors[rng() % 4];
        e.flags = static_cast<uint8_t>(rng() % 4);
      }
      if (type == EventType::kScroll)
        e.depth_pct = static_cast<uint8_t>(rng() % 105);  // some invalid
      // Viewport heights for the average fold, some missing (0); derived from t, so the random
      // sequence (and every other field) stays as it was.
      e.viewport_h = t % 7 == 0 ? 0 : static_cast<uint16_t>(560 + t % 500);
      batch.push_back(e);
      t += static_cast<int64_t>(rng() % (20 * 60 * 1000));
    }
  }
  // Equal timestamps with different ids: the order ties are broken in must match too.
  Event tie = Ev("p", kT0 + 777, 999, 1, EventType::kClick, "/docs");
  tie.selector_hash = 5;
  tie.ex = 0.1f;
  tie.ey = 0.2f;
  batch.push_back(tie);
  tie.event_id.lo ^= 1;
  tie.ex = 0.7f;
  batch.push_back(tie);
  // Two first page views at the same ms: the entry page is the one with the smaller event_id.
  for (uint64_t k = 0; k < 2; ++k) {
    Event pv = Ev("p", kT0 + 888, 998, 2, EventType::kPageView, k ? "/pricing" : "/docs");
    pv.event_id = Uuid{0x7000, 2 - k};
    pv.referrer = k ? "https://a.example/" : "https://b.example/";
    batch.push_back(pv);
  }
  this->Append(std::vector<Event>(batch.begin(), batch.begin() + batch.size() / 2));
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append(std::vector<Event>(batch.begin() + batch.size() / 2, batch.end()));
  EventStore& st = *this->store_;
  for (int variant = 0; variant < 3; ++variant) {
    EventFilter f = this->Range("p", kDay0, kDay0 + 3);
    if (variant == 1) f.device_class = DeviceClass::kMobile;
    if (variant == 2) f.from_day = kDay0 + 1;
    this->ExpectAllMatchReference(f);
    EXPECT_FALSE(st.Heatmap(HeatmapQuery{f, ClickKind::kAll}).ok());  // path is required
    auto sm = st.ScrollMap(f);
    ASSERT_TRUE(sm.ok());
    EXPECT_GT(sm->views, 0u);
    auto p = st.Paths(f, "doc", 10);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->size(), 2u);
  }
  EXPECT_TRUE(NoMismatches(
      LiveVisitorMismatches(st, this->ref_, "p", {kT0, kT0 + kDayMs + 12345, kT0 + 5 * kDayMs})));
}

// Every analytics query under every filter combination, on data where some days have sessions
// whose device, viewport, browser, os, country or visitor change mid-session and clicks off the
// page, others not — so a backend's shortcuts (the embedded store's per-session and per-cell
// rollups) and its general paths are both compared with the reference.
TYPED_TEST_P(EventStoreConformanceTest, AnalyticsMatchTheReferenceUnderEveryFilter) {
  std::mt19937_64 rng(11);
  const char* paths[] = {"/", "/pricing", "/docs", "/docs/api", "/blog"};
  const char* referrers[] = {"", "https://www.google.com/search?q=x", "https://news.example/item",
                             "https://b.example/"};
  const char* utm[] = {"", "mail", "ads", "social"};
  const char* browsers[] = {"Chrome", "Safari", "Firefox"};
  const char* oses[] = {"Linux", "iOS", "Windows"};
  const char* countries[] = {"DE", "US", "FR", ""};
  const DeviceClass devices[] = {DeviceClass::kDesktop, DeviceClass::kMobile, DeviceClass::kTablet};
  const uint16_t widths[] = {1920, 1280, 800, 390, 0};
  const std::pair<uint64_t, const char*> selectors[] = {
      {0, ""},          {1, "a.buy"},   {1, "a.buy-2"}, {1, ""},
      {2, "button#go"}, {3, "nav > a"}, {3, "nav>a"}};
  std::vector<Event> all;
  for (int s = 0; s < 150; ++s) {
    const int day = s % 3;
    // Day 1 holds the sessions that change attributes mid-session.
    const bool odd = day == 1 && rng() % 3 == 0;
    int64_t t = kT0 + day * kDayMs + static_cast<int64_t>(rng() % kDayMs);
    if (s % 17 == 0) t = kT0 + day * kDayMs + kDayMs - 90000;  // crosses midnight
    uint64_t visitor = rng() % 40;
    const uint64_t sid = s % 23 == 22 ? s - 20 : s;  // a few session ids reused on another day
    int dev = static_cast<int>(rng() % 3);
    uint16_t w = widths[rng() % 5];
    int browser = static_cast<int>(rng() % 3), os = static_cast<int>(rng() % 3),
        country = static_cast<int>(rng() % 4);
    const int n = 1 + static_cast<int>(rng() % 9);
    for (int k = 0; k < n; ++k) {
      if (odd && k == n / 2) {
        switch (rng() % 6) {
          case 0:
            w = w == 390 ? 844 : 390;
            break;  // a phone turned sideways: another bucket
          case 1:
            dev = (dev + 1) % 3;
            break;
          case 2:
            browser = (browser + 1) % 3;
            break;
          case 3:
            os = (os + 1) % 3;
            break;
          case 4:
            country = (country + 1) % 4;
            break;
          default:
            visitor = (visitor + 1) % 40;
            break;
        }
      }
      const uint64_t roll = rng() % 10;
      const EventType type = roll < 4   ? EventType::kPageView
                             : roll < 7 ? EventType::kClick
                             : roll < 9 ? EventType::kScroll
                                        : EventType::kCustom;
      Event e = Ev("p", t, sid, visitor, type, paths[rng() % 5]);
      e.device_class = devices[dev];
      e.viewport_w = w;
      e.browser = browsers[browser];
      e.os = oses[os];
      e.country[0] = countries[country][0];
      e.country[1] = countries[country][0] ? countries[country][1] : 0;
      e.referrer = referrers[rng() % 4];
      e.utm_source = utm[rng() % 4];
      e.utm_medium = utm[rng() % 4];
      e.utm_campaign = utm[rng() % 4];
      if (type == EventType::kClick) {
        if (rng() % 6) {
          e.x = static_cast<float>(rng() % 1001) / 1000.0f;
          e.y = static_cast<float>(rng() % 3001) / 1000.0f;
          if (day == 2 && rng() % 40 == 0) e.x = -0.25f;  // off the page: a tile left of column 0
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
      if (type == EventType::kScroll) e.depth_pct = static_cast<uint8_t>(rng() % 103);
      e.viewport_h = t % 5 == 0 ? 0 : static_cast<uint16_t>(600 + t % 433);  // the average fold
      // Bots, whole sessions and from half-way (every query is compared with and without them).
      e.bot_score = s % 7 == 3 ? 92 : (s % 11 == 5 && k >= n / 2) ? 60 : 0;
      all.push_back(e);
      t += static_cast<int64_t>(rng() % (15 * 60 * 1000));
    }
  }
  // A session whose first page views, in two batches (so in two sources), share a millisecond:
  // the one with the smaller event_id, appended last, is its entry.
  Event late = Ev("p", kT0 + 4242, 900, 7, EventType::kPageView, "/blog");
  late.event_id = Uuid{0x8000, 9};
  late.referrer = "https://late.example/";
  Event early = late;
  early.event_id = Uuid{0x8000, 3};
  early.path = "/pricing";
  early.referrer = "https://early.example/";
  all.push_back(Ev("q", kT0 + 5, 901, 8));  // another project
  std::vector<Event> first(all.begin(), all.begin() + all.size() / 3);
  first.push_back(late);
  std::vector<Event> second(all.begin() + all.size() / 3, all.begin() + 2 * all.size() / 3);
  std::vector<Event> third(all.begin() + 2 * all.size() / 3, all.end());
  third.push_back(early);
  this->Append(first);
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append(second);
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append(third);

  EventStore& st = *this->store_;
  std::vector<EventFilter> filters;
  auto add = [&](std::optional<std::string> path, std::optional<DeviceClass> dev,
                 std::optional<uint8_t> vb, int32_t from = kDay0) {
    EventFilter f = this->Range("p", from, kDay0 + 3);
    f.path = path;
    f.device_class = dev;
    f.viewport_bucket = vb;
    filters.push_back(f);
  };
  add(std::nullopt, std::nullopt, std::nullopt);
  add(std::nullopt, DeviceClass::kMobile, std::nullopt);
  add(std::nullopt, std::nullopt, ViewportBucket(390));
  add(std::nullopt, std::nullopt, ViewportBucket(1280));
  add(std::nullopt, std::nullopt, uint8_t{255});
  add(std::nullopt, DeviceClass::kTablet, ViewportBucket(800));
  add(std::string("/docs"), std::nullopt, std::nullopt);
  add(std::string("/docs"), DeviceClass::kDesktop, std::nullopt);
  add(std::string("/"), std::nullopt, ViewportBucket(1920));
  add(std::string("/nowhere"), std::nullopt, std::nullopt);
  add(std::nullopt, std::nullopt, std::nullopt, kDay0 + 1);
  add(std::string("/blog"), std::nullopt, std::nullopt, kDay0 + 2);
  for (const EventFilter& f : filters) {
    this->ExpectAllMatchReference(f);
  }
  // The entry page of the session whose first page views tie on time across sources.
  EventFilter one = this->Range("p", kDay0, kDay0);
  auto refs = st.Breakdown(one, Dimension::kReferrer, 1000);
  ASSERT_TRUE(refs.ok());
  bool early_seen = false;
  for (const BreakdownRow& r : refs->rows) {
    EXPECT_NE(r.value, "late.example");
    early_seen |= r.value == "early.example";
  }
  EXPECT_TRUE(early_seen);
}

// A few thousand seeded random events over five days, appended in batches with flushes
// between some of them (so the answers combine segments and the write buffer): every query
// under every filter of FilterMatrix must agree with the reference, and so must LiveVisitors.
TYPED_TEST_P(EventStoreConformanceTest, ThousandsOfRandomEventsMatchTheReference) {
  // Two seeds in two projects of the same store: neither may see the other's events.
  for (const auto& [seed, project] : {std::pair<uint64_t, std::string>{101, "p"}, {202, "r"}}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::vector<Event> events = RandomTraffic(seed, project, 450, 5);
    ASSERT_GT(events.size(), 2000u);
    for (size_t i = 0, batch = 0; i < events.size(); ++batch) {
      const size_t n = std::min<size_t>(events.size() - i, 300 + batch * 37 % 200);
      this->Append(std::vector<Event>(events.begin() + i, events.begin() + i + n), batch + 1);
      if (batch % 3 != 2) {
        ASSERT_TRUE(this->store_->Flush().ok());
      }
      i += n;
    }
  }
  for (const std::string project : {"p", "r"}) {
    for (const EventFilter& f : FilterMatrix(project, kDay0, kDay0 + 4)) {
      this->ExpectAllMatchReference(f);
    }
    this->ExpectAllMatchReference(this->Range(project + "-other", kDay0, kDay0 + 5));
    EXPECT_TRUE(NoMismatches(LiveVisitorMismatches(
        *this->store_, this->ref_, project,
        {kT0 - kDayMs, kT0, kT0 + kDayMs + 12345, kT0 + 3 * kDayMs, kT0 + 9 * kDayMs})));
  }
}

// The element heatmap's edges (golden/element_heatmap.golden has what ingest lets through), on
// both sides of a flush: positions on and past the element box's edges, NaN and infinite ones,
// clicks without a hash or off the page, rage and dead flags, a limit that cuts a tie, and
// layouts of unknown width.
TYPED_TEST_P(EventStoreConformanceTest, ElementHeatmapEdgesMatchTheReference) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  struct Click {
    uint64_t hash;
    float ex, ey, x, y;
    uint8_t flags;
    uint16_t width;
  };
  const Click clicks[] = {
      {1, 1.0f, 1.0f, 0.5f, 0.5f, 0, 1280},                 // cell 15*16+15 = 255
      {1, 1.0001f, -0.0001f, 0.5f, 0.5f, kFlagRage, 1280},  // clamped: cell 15
      {1, -0.5f, 2.0f, -0.25f, 0.5f, 0, 1280},              // cell 240; off the page, attributed
      {2, 0.5f, 0.5f, nan, nan, kFlagDead, 0},              // cell 136 without a point
      {2, nan, 0.5f, 0.75f, 0.25f, kFlagDead, 0},           // no ex: tile (48, 16)
      {3, inf, 0.5f, 1.0f, 1.0f, kFlagRage, 390},           // infinite ex: tile (63, 63)
      {3, 0.5f, -inf, nan, nan, 0, 390},                    // neither: counts nowhere
      {0, 0.5f, 0.5f, 0.0f, 0.0f, 0, 390},                  // no hash: tile (0, 0)
  };
  uint64_t session = 0;
  for (int round = 0; round < 2; ++round) {
    const int64_t t = kT0 + round * kDayMs + 1000;
    std::vector<Event> batch = {Ev("p", t, ++session, 1, EventType::kPageView, "/p")};
    for (const Click& c : clicks) {
      Event e =
          Ev("p", t + static_cast<int64_t>(batch.size()), session, 1, EventType::kClick, "/p");
      e.selector_hash = c.hash;
      e.selector = c.hash ? "#e" + std::to_string(c.hash) : "";
      e.ex = c.ex, e.ey = c.ey, e.x = c.x, e.y = c.y, e.flags = c.flags, e.viewport_w = c.width;
      batch.push_back(e);
    }
    for (uint64_t k = 0; k < 5; ++k) {  // hash 10 + k: 5 - k clicks a round
      for (uint64_t n = 0; n < 5 - k; ++n) {
        Event e =
            Ev("p", t + static_cast<int64_t>(batch.size()), session, 1, EventType::kClick, "/p");
        e.selector_hash = 10 + k;
        e.ex = static_cast<float>(k) / 5, e.ey = 0.0f;
        batch.push_back(e);
      }
    }
    if (round == 0) {  // a click off the page with no element: the grid needs its tile
      Event e = Ev("p", t + 999, session, 1, EventType::kClick, "/p");
      e.x = -0.25f, e.y = 0.5f;
      batch.push_back(e);
    }
    this->Append(batch);
    if (round == 0) {
      ASSERT_TRUE(this->store_->Flush().ok());
    }
  }
  EventFilter f = this->Range("p", kDay0, kDay0 + 1);
  f.path = "/p";
  auto r = this->store_->ElementHeatmap(HeatmapQuery{f, ClickKind::kAll}, 3);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Counts 10, 8, then hash 1 and hash 12 tie at 6: the limit keeps the smaller hash.
  ASSERT_EQ(r->elements.size(), 3u);
  EXPECT_EQ(r->elements[0].selector_hash, 10u);
  EXPECT_EQ(r->elements[1].selector_hash, 11u);
  EXPECT_EQ(r->elements[2].selector_hash, 1u);
  EXPECT_EQ(r->elements[2].selector, "#e1");
  EXPECT_EQ(r->elements[2].cells, (std::vector<ElementGridCell>{{15, 2}, {240, 2}, {255, 2}}));
  EXPECT_EQ(r->attributed, 2u * (3 + 1 + 15));
  // Off the page first (i = -16 as its byte), then (0,0), (48,16), (63,63).
  EXPECT_EQ(r->unattached,
            (std::vector<HeatmapTile>{{240, 32, 1}, {0, 0, 2}, {48, 16, 2}, {63, 63, 2}}));
  EXPECT_EQ(r->total, r->attributed + 7);
  EXPECT_EQ(r->pageviews, 2u);
  auto rage = this->store_->ElementHeatmap(HeatmapQuery{f, ClickKind::kRage}, 10);
  ASSERT_TRUE(rage.ok());
  ASSERT_EQ(rage->elements.size(), 1u);
  EXPECT_EQ(rage->elements[0].cells, (std::vector<ElementGridCell>{{15, 2}}));
  EXPECT_EQ(rage->unattached, (std::vector<HeatmapTile>{{63, 63, 2}}));
  auto layouts = this->store_->Layouts(f);
  ASSERT_TRUE(layouts.ok());
  EXPECT_NE(
      std::find(layouts->begin(), layouts->end(), LayoutCount{DeviceClass::kDesktop, 255, 0, 4}),
      layouts->end());
  for (std::optional<uint8_t> vb : {std::optional<uint8_t>(), std::optional<uint8_t>(255),
                                    std::optional<uint8_t>(ViewportBucket(390))}) {
    EventFilter g = this->Range("p", kDay0, kDay0 + 1);
    g.viewport_bucket = vb;
    this->ExpectAllMatchReference(g, "/p");
    g.from_day = g.to_day;  // the write buffer alone
    this->ExpectAllMatchReference(g, "/p");
  }
}

// Bots (EventFilter::include_bots): events scored at or above the threshold are left out of every
// query unless asked for, per event; through the write buffer, segments, DSAR deletes,
// retention and a restart.
TYPED_TEST_P(EventStoreConformanceTest, BotsAreLeftOutUnlessIncluded) {
  auto ev = [](int64_t t, uint64_t session, uint64_t visitor, uint8_t score,
               EventType type = EventType::kPageView) {
    Event e = Ev("p", t, session, visitor, type, "/a");
    e.bot_score = score;
    return e;
  };
  // s1 (v1): two page views scored 0 and 49 — human. s2 (v2): a crawler's page view and click
  // (90). s3 (v3): one page view scored exactly 50 — a bot. s4 (v1): a human page view, then one
  // scored 85 (the same session's later request looked automated). Day 1: s5 (v2), a bot again.
  this->Append({ev(kT0 + 1000, 1, 1, 0), ev(kT0 + 2000, 1, 1, kBotScoreThreshold - 1),
                ev(kT0 + 3000, 2, 2, 90), ev(kT0 + 4000, 2, 2, 90, EventType::kClick),
                ev(kT0 + 5000, 3, 3, kBotScoreThreshold)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append(
      {ev(kT0 + 6000, 4, 1, 10), ev(kT0 + 9000, 4, 1, 85), ev(kT0 + kDayMs + 1, 5, 2, 95)});
  EventFilter humans = this->Range("p", kDay0, kDay0 + 1);
  EventFilter everyone = humans;
  everyone.include_bots = true;
  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    // Without bots: s1's two views and s4's first; sessions s1, s4; visitor v1. s4 lasts 0 s
    // (its 85-scored view is gone) and bounced; s1 lasts 1 s.
    OverviewResult h = this->Overview(humans);
    EXPECT_EQ(Counts(h.totals), Counts({3, 2, 1}));
    EXPECT_EQ(h.totals.bounced_sessions, 1u);
    EXPECT_EQ(h.totals.total_duration_ms, 1000u);
    EXPECT_EQ(Counts(h.series[1].totals), Counts({0, 0, 0}));
    // With bots: all 7 page views, 5 sessions, 3 visitors; s4 now lasts 3 s.
    OverviewResult e = this->Overview(everyone);
    EXPECT_EQ(Counts(e.totals), Counts({7, 5, 3}));
    EXPECT_EQ(e.totals.total_duration_ms, 1000u + 1000u + 3000u);
    EXPECT_EQ(Counts(e.series[1].totals), Counts({1, 1, 1}));
    auto listed = this->store_->ListEvents(humans, std::nullopt, 100);
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 3u);
    EXPECT_EQ(*this->store_->LiveVisitors("p", kT0, false), 1u);
    EXPECT_EQ(*this->store_->LiveVisitors("p", kT0, true), 3u);
    this->ExpectAllMatchReference(humans);  // and with bots: Mismatches asks both ways
    EXPECT_TRUE(
        NoMismatches(LiveVisitorMismatches(*this->store_, this->ref_, "p", {kT0, kT0 + 5000})));
  };
  check("write buffer and segments");
  ASSERT_TRUE(this->store_->Flush().ok());
  check("flushed");
  if (TypeParam::kSupportsReopen) {
    this->Reopen();
    check("reopened");
  }
  // A DSAR delete of the crawler's visitor v2, and retention of day 1 only: both reach bots.
  auto n = this->store_->DeleteSubject("p", Id(2000000 + 2), std::nullopt);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(*this->ref_.DeleteSubject("p", Id(2000000 + 2), std::nullopt), 3u);
  // Left: s1 (2 views), s3 (1), s4 (2) of v1 and v3.
  EXPECT_EQ(Counts(this->Overview(everyone).totals), Counts({5, 3, 2}));
  auto removed = this->store_->ApplyRetention("p", kDay0 + 1, 0);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  auto ref_removed = this->ref_.ApplyRetention("p", kDay0 + 1, 0);
  ASSERT_TRUE(ref_removed.ok());
  EXPECT_GT(*ref_removed, 0u);
  EXPECT_EQ(*removed, *ref_removed);
  EXPECT_EQ(this->Overview(everyone).totals, OverviewTotals());
  this->ExpectAllMatchReference(humans);
  EXPECT_EQ(this->StoredRows(), 0.0);
}

// Interval::kHour: 24 entries per day, each the overview of that UTC hour's events alone.
TYPED_TEST_P(EventStoreConformanceTest, HourlySeriesCountsEachHourOnItsOwn) {
  const int64_t h10 = kT0 + 10 * 3600000;
  // s1 (v1): page views at 10:59:59.999 and 11:00:00 — one in each hour — then a click at 11:20.
  // s2 (v2): page views at 10:15 and 10:45, in two sources (a flush between them).
  // s3 (v1): a page view at 23:59 on day 0 and one at 00:01 on day 1 (across midnight).
  this->Append({Ev("p", h10 + 3600000 - 1, 1, 1), Ev("p", h10 + 3600000, 1, 1),
                Ev("p", h10 + 3600000 + 20 * 60000, 1, 1, EventType::kClick),
                Ev("p", h10 + 15 * 60000, 2, 2)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({Ev("p", h10 + 45 * 60000, 2, 2), Ev("p", kT0 + kDayMs - 60000, 3, 1),
                Ev("p", kT0 + kDayMs + 60000, 3, 1)});
  OverviewQuery q{this->Range("p", kDay0, kDay0 + 1), 10, Interval::kHour};
  auto r = this->store_->Overview(q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->series.size(), 48u);
  for (size_t i = 0; i < 48; ++i) {
    EXPECT_EQ(r->series[i].day, kDay0 + static_cast<int32_t>(i / 24));
    EXPECT_EQ(r->series[i].hour, static_cast<int32_t>(i % 24));
  }
  // 10:00: s1's first view (bounced, 0 s) and s2's two views 30 min apart; visitors v1, v2.
  const OverviewTotals& ten = r->series[10].totals;
  EXPECT_EQ(Counts(ten), Counts({3, 2, 2}));
  EXPECT_EQ(ten.sessions_with_pageviews, 2u);
  EXPECT_EQ(ten.bounced_sessions, 1u);
  EXPECT_EQ(ten.total_duration_ms, 30u * 60000);
  // 11:00: s1's second view and its click 20 min later (one view: bounced that hour).
  const OverviewTotals& eleven = r->series[11].totals;
  EXPECT_EQ(Counts(eleven), Counts({1, 1, 1}));
  EXPECT_EQ(eleven.bounced_sessions, 1u);
  EXPECT_EQ(eleven.total_duration_ms, 20u * 60000);
  EXPECT_EQ(Counts(r->series[23].totals), Counts({1, 1, 1}));
  EXPECT_EQ(Counts(r->series[24].totals), Counts({1, 1, 1}));
  EXPECT_EQ(r->series[12].totals, OverviewTotals());
  // The totals and top pages do not depend on the interval.
  auto daily = this->store_->Overview(OverviewQuery{q.filter, 10});
  ASSERT_TRUE(daily.ok());
  EXPECT_EQ(r->totals, daily->totals);
  EXPECT_EQ(r->top_pages, daily->top_pages);
  EXPECT_EQ(Counts(r->totals), Counts({6, 3, 2}));
  this->ExpectMatchesReference(q.filter);
  EXPECT_EQ("", Differs("hourly", this->store_->Overview(q), this->ref_.Overview(q)));
  // Seven days is the widest hourly range: 168 entries; eight is refused.
  q.filter.to_day = kDay0 + 6;
  auto week = this->store_->Overview(q);
  ASSERT_TRUE(week.ok());
  EXPECT_EQ(week->series.size(), 168u);
  q.filter.to_day = kDay0 + 7;
  auto eight = this->store_->Overview(q);
  ASSERT_FALSE(eight.ok());
  EXPECT_EQ(eight.status().code(), StatusCode::kInvalidArgument);
}

// Funnels on generated traffic (RandomTraffic: ties at one millisecond, sessions crossing
// midnight, visitors with several sessions over days, bots) against the brute-force reference:
// every mode and unit, windows from 0 to days, repeated steps, each step kind, exclusions and
// breakdowns, with and without bots — spread over segments and the write buffer.
TYPED_TEST_P(EventStoreConformanceTest, FunnelsMatchTheReferenceOnRandomTraffic) {
  std::vector<Event> events = RandomTraffic(303, "f", 1500, 6);
  std::mt19937_64 rng(7);
  const char* props[] = {"{}", R"({"plan":"pro"})", R"({"plan":"team","n":3})",
                         R"({"n":3,"ok":true})", R"({"plan":1})"};
  for (Event& e : events) {
    if (e.type == EventType::kCustom) e.props = props[rng() % 5];
  }
  for (size_t i = 0, batch = 0; i < events.size(); ++batch) {
    const size_t n = std::min<size_t>(events.size() - i, 700 + batch * 91 % 300);
    this->Append(std::vector<Event>(events.begin() + i, events.begin() + i + n), batch + 1);
    if (batch % 4 != 3) {
      ASSERT_TRUE(this->store_->Flush().ok());
    }
    i += n;
  }
  std::mt19937_64 frng(11);
  int filtered = 0;
  auto step = [&](bool with_filters) {
    FunnelStep s;
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2:
      case 8:
      case 9: {
        const char* paths[] = {"/", "/pricing", "/docs", "/blog", "/signup", "/docs/api"};
        s.path = paths[rng() % 6];
        s.path_match = static_cast<PathMatch>(rng() % 3);
        break;
      }
      case 3:
        s.path = rng() % 2 ? "^/(docs|blog)" : "post-[0-9]$";
        s.path_match = PathMatch::kRegex;
        break;
      case 4:
      case 5:
        s.type = FunnelStepType::kClick;
        if (rng() % 2) s.selector = rng() % 2 ? "a.buy" : "button#go";
        if (s.selector.empty() || rng() % 3 == 0) s.selector_hash = 11 + rng() % 3;
        if (rng() % 4 == 0) s.path = "/docs";
        break;
      default:
        s.type = FunnelStepType::kCustom;
        s.name = rng() % 2 ? "signup" : "purchase";
        if (rng() % 2) {
          s.property = rng() % 2 ? "plan" : "n";
          const char* values[] = {"pro", "team", "3", "1", "true"};
          s.value = values[rng() % 5];
        }
        break;
    }
    // Step filters, from their own generator so that the rest of the queries stay the same.
    if (with_filters && frng() % 4 == 0) {
      const std::pair<Dimension, const char*> filters[] = {
          {Dimension::kDevice, "desktop"},
          {Dimension::kDevice, "mobile"},
          {Dimension::kDevice, DeviceClassName(DeviceClass::kUnknown)},
          {Dimension::kCountry, "DE"},
          {Dimension::kCountry, ""},
          {Dimension::kBrowser, "Chrome"},
          {Dimension::kOs, "iOS"},
          {Dimension::kReferrer, "news.example"},
          {Dimension::kReferrer, ""},
          {Dimension::kUtmSource, "mail"},
          {Dimension::kPage, "/docs"},
          {Dimension::kCountry, "Germany"}};
      for (size_t n = 1 + frng() % 2; n > 0; --n) {
        const auto& [d, v] = filters[frng() % std::size(filters)];
        s.filters.push_back({d, v});
      }
    }
    return s;
  };
  const int64_t windows[] = {0, 1000, 60000, 3600000, 86400000, 3 * 86400000LL};
  // entry_page and visitor_type are attributes of the step-1 event's session, not the event's.
  const Dimension dims[] = {Dimension::kDevice,    Dimension::kCountry,    Dimension::kPage,
                            Dimension::kReferrer,  Dimension::kUtmSource,  Dimension::kBrowser,
                            Dimension::kEntryPage, Dimension::kVisitorType};
  int queries = 0, converting = 0, dropping = 0;
  int entry_pages = 0, returning = 0;  // session-attribute breakdowns with something to split
  uint64_t excluded = 0;
  for (int mode = 0; mode < 3; ++mode) {
    for (int unit = 0; unit < 2; ++unit) {
      for (int k = 0; k < 20; ++k) {
        FunnelQuery q;
        q.project_id = "f";
        q.from_day = kDay0 + static_cast<int32_t>(rng() % 3);
        q.to_day = q.from_day + static_cast<int32_t>(rng() % 3);
        q.mode = static_cast<FunnelMode>(mode);
        q.unit = static_cast<FunnelUnit>(unit);
        q.window_ms = windows[rng() % 6];
        // Any order over visitors enumerates a lot in the reference: fewer steps there.
        const size_t nsteps = 1 + rng() % (mode == 2 && unit == 1 ? 3 : 4);
        for (size_t i = 0; i < nsteps; ++i) {
          q.steps.push_back(i > 0 && rng() % 5 == 0 ? q.steps[rng() % i] : step(true));  // repeats
        }
        if (nsteps >= 2 && rng() % 3 == 0) {
          FunnelExclusion x;
          x.step = step(false);
          x.from_step = 1 + rng() % (nsteps - 1);
          x.to_step = x.from_step + 1 + rng() % (nsteps - x.from_step);
          q.exclusions.push_back(x);
        }
        if (rng() % 3 == 0) {
          q.breakdown = dims[rng() % std::size(dims)];
          q.breakdown_limit = 1 + rng() % 6;
        }
        q.include_bots = rng() % 4 == 0;
        ++queries;
        for (const FunnelStep& st : q.steps) filtered += !st.filters.empty();
        const auto want = this->ref_.Funnel(q);
        ASSERT_TRUE(want.ok()) << want.status().ToString();
        if (nsteps >= 2 && want->steps.back().units > 0) ++converting;
        if (!want->steps.empty() && want->steps.back().units < want->steps[0].units) ++dropping;
        excluded += want->excluded_units;
        if (q.breakdown == Dimension::kEntryPage && want->breakdown.size() >= 2) ++entry_pages;
        if (q.breakdown == Dimension::kVisitorType &&
            std::any_of(want->breakdown.begin(), want->breakdown.end(),
                        [](const FunnelBreakdownRow& r) { return r.value == kReturningVisitor; }))
          ++returning;
        const std::string what = std::string("funnel mode=") + FunnelModeName(q.mode) +
                                 " unit=" + FunnelUnitName(q.unit) + " query " + std::to_string(k);
        EXPECT_EQ("", Differs(what, this->store_->Funnel(q), want));
      }
    }
  }
  // More breakdowns by the step-1 event's session (entry_page, visitor_type): every mode and
  // unit, ranges whose sessions cross midnight into them, visitors who came on earlier days.
  for (const Dimension d : {Dimension::kEntryPage, Dimension::kVisitorType}) {
    for (int mode = 0; mode < 3; ++mode) {
      for (int unit = 0; unit < 2; ++unit) {
        for (int k = 0; k < 4; ++k) {
          FunnelQuery q;
          q.project_id = "f";
          q.from_day = kDay0 + static_cast<int32_t>(rng() % 4);
          q.to_day = q.from_day + static_cast<int32_t>(rng() % 2);
          q.mode = static_cast<FunnelMode>(mode);
          q.unit = static_cast<FunnelUnit>(unit);
          q.window_ms = windows[rng() % 6];
          const size_t nsteps = 1 + rng() % (mode == 2 && unit == 1 ? 2 : 3);
          for (size_t i = 0; i < nsteps; ++i) q.steps.push_back(step(false));
          q.breakdown = d;
          q.breakdown_limit = 1 + rng() % 30;
          q.include_bots = rng() % 3 == 0;
          const auto want = this->ref_.Funnel(q);
          ASSERT_TRUE(want.ok()) << want.status().ToString();
          if (d == Dimension::kEntryPage && want->breakdown.size() >= 2) ++entry_pages;
          if (d == Dimension::kVisitorType &&
              std::any_of(want->breakdown.begin(), want->breakdown.end(),
                          [](const FunnelBreakdownRow& r) { return r.value == kReturningVisitor; }))
            ++returning;
          const std::string what =
              std::string("funnel by ") + DimensionName(d) + " mode=" + FunnelModeName(q.mode) +
              " unit=" + FunnelUnitName(q.unit) + " query " + std::to_string(k);
          EXPECT_EQ("", Differs(what, this->store_->Funnel(q), want));
        }
      }
    }
  }
  // The queries are not vacuous: many multi-step funnels convert, many lose units on the way,
  // and exclusions remove some.
  EXPECT_EQ(queries, 120);
  EXPECT_GE(converting, 30);
  EXPECT_GE(dropping, 40);
  EXPECT_GT(excluded, 0u);
  EXPECT_GE(filtered, 40) << "steps with filters";
  EXPECT_GE(entry_pages, 15) << "entry_page breakdowns with several values";
  EXPECT_GE(returning, 15) << "visitor_type breakdowns with returning visitors";
  std::printf(
      "funnels: %d queries, %d convert, %d drop, %llu units excluded, %d filtered steps, "
      "%d entry_page and %d visitor_type breakdowns\n",
      queries, converting, dropping, static_cast<unsigned long long>(excluded), filtered,
      entry_pages, returning);
}

// DSAR export: every event of the subject, flushed or not, bots' too, every column as stored,
// oldest first; nobody else's.
TYPED_TEST_P(EventStoreConformanceTest, SubjectEventsAreEveryEventOfTheSubject) {
  Event u = Ev("p", kT0 + 4000, 3, 9, EventType::kPageView, "/c");
  u.user_id = "alice";
  Event bot = Ev("p", kT0 + 500, 6, 1, EventType::kPageView, "/bot");
  bot.bot_score = 100;
  Event later = Ev("p", kT0 + kDayMs + 10, 1, 1, EventType::kCustom, "/a");
  later.name = "signup";
  later.props = R"({"plan":"pro"})";
  this->Append({Ev("p", kT0 + 1000, 1, 1, EventType::kPageView, "/a"), Ev("p", kT0 + 2000, 1, 1),
                Ev("p", kT0 + kDayMs, 2, 2, EventType::kPageView, "/b"), u, bot,
                Ev("q", kT0, 4, 1)});
  ASSERT_TRUE(this->store_->Flush().ok());
  this->Append({later, Ev("p", kT0 + 3000, 5, 1, EventType::kPageView, "/a")});  // unflushed
  auto mine = this->store_->SubjectEvents("p", Id(2000000 + 1), std::nullopt);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  auto want = this->ref_.SubjectEvents("p", Id(2000000 + 1), std::nullopt);
  ASSERT_TRUE(want.ok());
  ASSERT_EQ(want->size(), 5u);
  ASSERT_EQ(mine->size(), want->size());
  for (size_t i = 0; i < want->size(); ++i) {
    EXPECT_EQ((*mine)[i].event_id, (*want)[i].event_id) << i;
    EXPECT_EQ((*mine)[i].ts_ms, (*want)[i].ts_ms) << i;
    EXPECT_EQ((*mine)[i].path, (*want)[i].path) << i;
    EXPECT_EQ((*mine)[i].name, (*want)[i].name) << i;
    EXPECT_EQ((*mine)[i].props, (*want)[i].props) << i;
    EXPECT_EQ((*mine)[i].bot_score, (*want)[i].bot_score) << i;
    EXPECT_EQ((*mine)[i].session_id, (*want)[i].session_id) << i;
  }
  auto alice = this->store_->SubjectEvents("p", std::nullopt, std::string("alice"));
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 1u);
  EXPECT_EQ((*alice)[0].event_id, u.event_id);
  EXPECT_TRUE(this->store_->SubjectEvents("q", Id(2000000 + 9), std::nullopt)->empty());
  EXPECT_FALSE(this->store_->SubjectEvents("p", std::nullopt, std::string()).ok());
  ASSERT_TRUE(this->store_->DeleteSubject("p", Id(2000000 + 1), std::nullopt).ok());
  EXPECT_TRUE(this->store_->SubjectEvents("p", Id(2000000 + 1), std::nullopt)->empty());
}

REGISTER_TYPED_TEST_SUITE_P(
    EventStoreConformanceTest, EmptyStoreHasEveryDayWithZeros, CountsPageviewsSessionsAndVisitors,
    SessionCrossingMidnightCountsOnceInTotals, BounceAndDurationPerSessionAcrossMidnight,
    TopPagesOrderTiesAndLimit, FiltersSelectEventsExactly, ProjectsAndDayBoundsAreIsolated,
    InvalidRangeIsAnError, RandomWorkloadMatchesReferenceAcrossFlushes,
    ListEventsOldestFirstWithTypeAndLimit, ScanEventIdsFromAnIngestTime,
    DeleteSubjectRemovesEveryEventOfTheSubject, SubjectEventsAreEveryEventOfTheSubject,
    RetentionDropsWholeOldDays, FlushAdvancesPersistedSeqAndDataSurvivesReopen,
    ConcurrentAppendsAndQueries, AnalyticsQueriesMatchTheReference,
    AnalyticsMatchTheReferenceUnderEveryFilter, ThousandsOfRandomEventsMatchTheReference,
    BotsAreLeftOutUnlessIncluded, HourlySeriesCountsEachHourOnItsOwn,
    ElementHeatmapEdgesMatchTheReference, FunnelsMatchTheReferenceOnRandomTraffic);

}  // namespace tapistry::conformance
