#include "app/retention.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "store/embedded/embedded_event_store.h"

namespace tapistry {
namespace {

Event PageView(const std::string& project, int64_t ts, uint64_t n) {
  Event e;
  e.ts_ms = ts;
  e.ingest_ms = ts;
  e.event_id = Uuid{1, n};
  e.session_id = Uuid{2, n};
  e.anonymous_id = Uuid{3, n};
  e.project_id = project;
  e.url = "https://example.com/";
  e.path = "/";
  e.props = "{}";
  return e;
}

TEST(RetentionJobTest, DropsDaysOlderThanEachProjectsRetention) {
  TempDir dir("tap-retention");
  ASSERT_FALSE(dir.path().empty());
  FakeClock clock(1723718400000);  // 2024-08-15
  auto meta = OpenSqliteMetaStore(dir.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto a = (*meta)->CreateProject("A", {});
  auto b = (*meta)->CreateProject("B", {});
  ASSERT_TRUE(a.ok() && b.ok());
  ProjectSettings short_keep;
  short_keep.retention_days = 30;
  ASSERT_TRUE((*meta)->UpdateSettings(b->project.id, short_keep).ok());
  EmbeddedStoreOptions so;
  so.dir = dir.Sub("events");
  so.background = false;
  so.clock = &clock;
  auto store = OpenEmbeddedEventStore(so);
  ASSERT_TRUE(store.ok());
  const int64_t now = clock.NowMs();
  std::vector<Event> events;
  uint64_t n = 0;
  for (const std::string& p : {a->project.id, b->project.id}) {
    for (int days_ago : {200, 100, 10}) events.push_back(PageView(p, now - days_ago * kDayMs, ++n));
  }
  ASSERT_TRUE((*store)->Append(events, 0).ok());
  ASSERT_TRUE((*store)->Flush().ok());

  MetricsRegistry metrics;
  RetentionJob job(meta->get(), store->get(), nullptr, nullptr, &clock, &metrics);
  ASSERT_TRUE(job.RunOnce().ok());

  auto count = [&](const std::string& project) {
    OverviewQuery q;
    q.filter.project_id = project;
    q.filter.from_day = DayOf(now) - 365;
    q.filter.to_day = DayOf(now);
    auto r = (*store)->Overview(q);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->totals.pageviews : 0;
  };
  EXPECT_EQ(count(a->project.id), 2u) << "default 180 days keeps 100 and 10 days ago";
  EXPECT_EQ(count(b->project.id), 1u) << "30 days keeps only 10 days ago";
  EXPECT_NE(metrics.RenderPrometheus().find("tapistry_retention_runs_total 1"), std::string::npos);
  // Each project's pass is remembered for Settings.
  auto last = (*meta)->GetValue(kRetentionRunKeyPrefix + b->project.id);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(**last,
            R"({"ran_ms":1723718400000,"events_removed":2,"recordings_removed":0,"error":""})");
  ASSERT_TRUE((*store)->Close().ok());
}

}  // namespace
}  // namespace tapistry
