// Behaviour specific to the embedded engine (the shared semantics are in
// server/test/event_store_conformance_test.cc): recovery, triggers, compaction, files.
#include "store/embedded/embedded_event_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "common/crc32c.h"
#include "event_store_compare.h"
#include "reference_event_store.h"
#include "store/embedded/coding.h"
#include "store/embedded/file_util.h"
#include "store/embedded/manifest.h"
#include "store/embedded/row_batch.h"
#include "store/embedded/segment_format.h"
#include "store/embedded/segment_reader.h"
#include "store/embedded/segment_writer.h"
#include "store/embedded/test_util.h"
#include "test_events.h"

namespace tapistry::store {
namespace {

namespace fs = std::filesystem;
using testing::kDay;
using testing::kT0;
using testing::MakeEvent;
using testing::TempDir;
using testing::U;

class EmbeddedStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<EmbeddedEventStore> Open(size_t memtable_rows = 1 << 20,
                                           bool background = false) {
    EmbeddedStoreOptions opts;
    opts.dir = dir_.path() + "/events";
    opts.memtable_rows = memtable_rows;
    opts.background = background;
    opts.clock = &clock_;
    auto s = EmbeddedEventStore::Open(opts);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::vector<Event> Events(int n, int days = 1) {
    std::vector<Event> v;
    for (int i = 0; i < n; ++i) {
      v.push_back(MakeEvent("p", kT0 + (i % days) * kDayMs + i * 1000, U(1 + i / 4), U(100 + i / 9),
                            i % 3 ? EventType::kPageView : EventType::kClick,
                            "/p" + std::to_string(i % 5)));
    }
    return v;
  }
  static OverviewResult Overview(EventStore& s, int days = 1) {
    EventFilter f;
    f.project_id = "p";
    f.from_day = kDay;
    f.to_day = kDay + days - 1;
    auto r = s.Overview(OverviewQuery{f, 10});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : OverviewResult();
  }
  // Polls (real time) for a background effect of a fake-clock step.
  template <typename Pred>
  static bool WaitFor(Pred pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
  size_t CountFiles(std::string_view suffix) {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir_.path())) {
      const std::string p = e.path().string();
      if (e.is_regular_file() && p.size() >= suffix.size() &&
          p.substr(p.size() - suffix.size()) == suffix)
        ++n;
    }
    return n;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(EmbeddedStoreTest, RecoveryDeletesUnpublishedFilesAndKeepsData) {
  auto s = Open();
  ASSERT_TRUE(s->Append(Events(20), 4).ok());
  ASSERT_TRUE(s->Flush().ok());
  OverviewResult before = Overview(*s);
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  // What a crash can leave: a half-written segment, a complete but unpublished one, a
  // half-written manifest.
  const std::string day_dir =
      dir_.path() + "/events/" + ProjectDirName("p") + "/" + DayDirName(kDay);
  std::ofstream(day_dir + "/00000000000000ff.seg.tmp") << "partial";
  fs::copy_file(fs::directory_iterator(day_dir)->path(), day_dir + "/00000000000000fe.seg");
  std::ofstream(dir_.path() + "/events/MANIFEST.tmp") << "partial";
  s = Open();
  EXPECT_EQ(CountFiles(".tmp"), 0u);
  EXPECT_EQ(CountFiles(".seg"), 1u);
  EXPECT_EQ(Overview(*s), before);
  EXPECT_EQ(s->PersistedSeq(), 4u);
}

TEST_F(EmbeddedStoreTest, CorruptManifestOrMissingSegmentFailsOpen) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Append(Events(5), 1).ok());
    ASSERT_TRUE(s->Close().ok());
  }
  const std::string manifest = dir_.path() + "/events/MANIFEST";
  std::string good;
  ASSERT_TRUE(ReadWholeFile(manifest, &good).ok());
  std::string bad = good;
  bad[bad.size() / 2] ^= 1;
  std::ofstream(manifest, std::ios::binary | std::ios::trunc) << bad;
  EmbeddedStoreOptions opts;
  opts.dir = dir_.path() + "/events";
  opts.background = false;
  auto r = EmbeddedEventStore::Open(opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  std::ofstream(manifest, std::ios::binary | std::ios::trunc) << good;
  for (auto& e : fs::recursive_directory_iterator(dir_.path())) {
    if (e.path().extension() == ".seg") fs::remove(e.path());
  }
  EXPECT_FALSE(EmbeddedEventStore::Open(opts).ok());
}

TEST_F(EmbeddedStoreTest, BackgroundThreadFlushesByAge) {
  auto s = Open(1 << 20, /*background=*/true);
  ASSERT_TRUE(s->Append(Events(3), 9).ok());
  EXPECT_EQ(s->Stats().rows_in_memtable, 3u);
  EXPECT_EQ(s->PersistedSeq(), 0u);
  clock_.AdvanceMs(5000);  // memtable_max_age_ms default
  EXPECT_TRUE(WaitFor([&] { return s->PersistedSeq() == 9; }));
  EmbeddedStoreStats st = s->Stats();
  EXPECT_EQ(st.rows_in_memtable, 0u);
  EXPECT_EQ(st.rows_total, 3u);
  EXPECT_GE(st.segments, 1u);
}

TEST_F(EmbeddedStoreTest, FlushesWhenTheMemtableIsFull) {
  auto s = Open(/*memtable_rows=*/10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->Append(Events(5), i + 1).ok());
  EmbeddedStoreStats st = s->Stats();
  EXPECT_EQ(st.flushes, 2u);
  EXPECT_EQ(st.rows_in_memtable, 5u);
  EXPECT_EQ(st.rows_total, 25u);
  EXPECT_EQ(s->PersistedSeq(), 4u);
}

// /metrics shows Gauges() as tapistry_<name>: the names it always had, each Stats() figure.
TEST_F(EmbeddedStoreTest, GaugesAreTheStatsUnderTheirMetricNames) {
  auto s = Open(/*memtable_rows=*/10);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->Append(Events(5), i + 1).ok());
  const EmbeddedStoreStats st = s->Stats();
  const std::vector<StoreGauge> g = s->Gauges();
  std::vector<std::string> names;
  for (const StoreGauge& x : g) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"store_rows", "store_memtable_rows", "store_segments",
                                             "store_bytes", "store_flushes", "store_last_flush_ms",
                                             "store_compactions", "store_last_compaction_ms"}));
  EXPECT_EQ(FindGauge(g, kStoreRowsGauge), 15.0);
  EXPECT_EQ(FindGauge(g, "store_memtable_rows"), 5.0);
  EXPECT_EQ(FindGauge(g, "store_flushes"), static_cast<double>(st.flushes));
  EXPECT_EQ(FindGauge(g, "store_segments"), static_cast<double>(st.segments));
  EXPECT_EQ(FindGauge(g, "store_bytes"), static_cast<double>(st.bytes_on_disk));
  EXPECT_GT(st.bytes_on_disk, 0u);
  EXPECT_EQ(FindGauge(g, "no_such_gauge"), std::nullopt);
}

TEST_F(EmbeddedStoreTest, FullMemtablesGoToTheFlushThreadAndOnlyThey) {
  auto s = Open(/*memtable_rows=*/10, /*background=*/true);
  ASSERT_TRUE(s->Append(Events(10), 1).ok());  // full: handed off by the append itself
  EXPECT_TRUE(WaitFor([&] { return s->PersistedSeq() == 1; }));
  ASSERT_TRUE(s->Append(Events(3), 2).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // several flush-thread polls
  EmbeddedStoreStats st = s->Stats();
  EXPECT_EQ(st.flushes, 1u) << "the new memtable is neither full nor old: it stays in memory";
  EXPECT_EQ(st.rows_in_memtable, 3u);
  EXPECT_EQ(s->PersistedSeq(), 1u);
  ASSERT_TRUE(s->Append(Events(7), 3).ok());
  EXPECT_TRUE(WaitFor([&] { return s->PersistedSeq() == 3; }));
  st = s->Stats();
  EXPECT_EQ(st.flushes, 2u);
  EXPECT_EQ(st.segments, 2u);
  EXPECT_EQ(st.rows_in_memtable, 0u);
  EXPECT_EQ(st.rows_total, 20u);
  EXPECT_EQ(Overview(*s).totals.pageviews,
            6u + 2u + 4u);  // the rows with i % 3 != 0 of each append
}

TEST_F(EmbeddedStoreTest, CompactAllMergesEachDayIntoOneSegment) {
  auto s = Open(/*memtable_rows=*/6);
  auto events = Events(90, /*days=*/3);
  for (size_t i = 0; i < events.size(); i += 9) {
    ASSERT_TRUE(s->Append(std::span<const Event>(events).subspan(i, 9), 0).ok());
  }
  ASSERT_TRUE(s->Flush().ok());
  OverviewResult before = Overview(*s, 3);
  EXPECT_GT(s->Stats().segments, 3u);
  ASSERT_TRUE(s->CompactAll().ok());
  EmbeddedStoreStats st = s->Stats();
  EXPECT_EQ(st.segments, 3u);
  EXPECT_EQ(st.rows_total, 90u);
  EXPECT_GE(st.compactions, 3u);
  EXPECT_EQ(CountFiles(".seg"), 3u);  // inputs are unlinked
  EXPECT_EQ(Overview(*s, 3), before);
  // And the result survives a restart.
  ASSERT_TRUE(s->Close().ok());
  s = Open();
  EXPECT_EQ(Overview(*s, 3), before);
}

// Varied traffic for the analytics queries: devices, widths, referrers, clicks and scrolls.
std::vector<Event> Traffic(int sessions, int days, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const char* paths[] = {"/", "/a", "/b", "/c/d"};
  std::vector<Event> v;
  for (int s = 0; s < sessions; ++s) {
    int64_t t = kT0 + (s % days) * kDayMs + static_cast<int64_t>(rng() % kDayMs);
    const Uuid visitor = U(500 + rng() % 30);
    const DeviceClass dev = rng() % 2 ? DeviceClass::kMobile : DeviceClass::kDesktop;
    const uint16_t w = dev == DeviceClass::kMobile ? 390 : 1440;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 6); k < n; ++k) {
      const EventType type = k == 0 || rng() % 3 == 0 ? EventType::kPageView
                             : rng() % 2              ? EventType::kClick
                                                      : EventType::kScroll;
      Event e = MakeEvent("p", t, U(7000 + s), visitor, type, paths[rng() % 4]);
      e.device_class = dev;
      e.viewport_w = w;
      e.browser = rng() % 2 ? "Chrome" : "Firefox";  // per event: the browser breakdown scans
      e.referrer = k == 0 && rng() % 2 ? "https://ref.example/x" : "";
      e.utm_campaign = rng() % 3 ? "" : "spring";
      if (type == EventType::kClick) {
        e.x = static_cast<float>(rng() % 100) / 100.0f;
        e.y = static_cast<float>(rng() % 100) / 50.0f;
        e.ex = 0.5f;
        e.ey = static_cast<float>(rng() % 10) / 10.0f;
        e.selector_hash = 1 + rng() % 4;
        e.selector = rng() % 2 ? "a" : "b";
        e.flags = static_cast<uint8_t>(rng() % 4);
      }
      if (type == EventType::kScroll) e.depth_pct = static_cast<uint8_t>(rng() % 101);
      e.viewport_h = t % 6 == 0 ? 0 : static_cast<uint16_t>(640 + t % 300);  // the average fold
      v.push_back(e);
      t += 1000 + static_cast<int64_t>(rng() % 600000);
    }
  }
  return v;
}

// Every query, with and without bots (event_store_compare.h), on a few filters: the whole store
// (`days` days from kDay), mobile only, and path /a; the heatmaps of /b.
void ExpectSameAnswers(EventStore& s, reference::ReferenceEventStore& ref, int days) {
  EventFilter all;
  all.project_id = "p";
  all.from_day = kDay;
  all.to_day = kDay + days - 1;
  EventFilter mobile = all, on_a = all;
  mobile.device_class = DeviceClass::kMobile;
  on_a.path = "/a";
  for (const EventFilter& f : {all, mobile, on_a})
    EXPECT_TRUE(conformance::SameAnswers(s, ref, f, "/b"));
}

TEST_F(EmbeddedStoreTest, AnalyticsAfterCompactionAndSubjectDeletion) {
  auto s = Open(/*memtable_rows=*/50);
  const auto events = Traffic(120, 3, 5);
  reference::ReferenceEventStore ref(events);
  for (size_t i = 0; i < events.size(); i += 37) {
    ASSERT_TRUE(
        s->Append(
             std::span<const Event>(events).subspan(i, std::min<size_t>(37, events.size() - i)), 0)
            .ok());
  }
  ASSERT_TRUE(s->Flush().ok());
  ExpectSameAnswers(*s, ref, 3);
  const uint64_t segments = s->Stats().segments;
  ASSERT_TRUE(s->CompactAll().ok());   // rollups rebuilt from the merged rows
  EXPECT_LE(s->Stats().segments, 4u);  // one per day (sessions cross into a fourth)
  EXPECT_GT(segments, s->Stats().segments);
  ExpectSameAnswers(*s, ref, 3);
  auto deleted = s->DeleteSubject("p", U(500), std::nullopt);  // and from the rows a rewrite keeps
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, *ref.DeleteSubject("p", U(500), std::nullopt));
  EXPECT_GT(*deleted, 0u);
  ExpectSameAnswers(*s, ref, 3);
}

// Segments written before the rollups existed (format version 1) are read by scanning rows.
// Rewrites every segment under the store's directory as `version` would have written it: the
// same streams, a footer without the aggregates that version did not have.
void RewriteSegmentsAs(const std::string& dir, uint32_t version) {
  size_t rewritten = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".seg") continue;
    std::string bytes;
    ASSERT_TRUE(ReadWholeFile(e.path().string(), &bytes).ok());
    auto seg = Segment::Open(e.path().string());
    ASSERT_TRUE(seg.ok());
    SegmentFooter f = (*seg)->footer();
    std::erase_if(f.aggregates, [&](const StreamMeta& m) {
      return static_cast<uint8_t>(m.kind) > LastStreamKind(version);
    });
    std::string footer;
    EncodeFooter(f, &footer);
    const uint32_t footer_len = DecodeFixed32(bytes.data() + bytes.size() - kSegmentTrailerSize);
    std::string old = bytes.substr(0, bytes.size() - kSegmentTrailerSize - footer_len);
    old[8] = static_cast<char>(version);  // header version
    old += footer;
    PutFixed32(&old, static_cast<uint32_t>(footer.size()));
    PutFixed32(&old, crc32c::Value(footer));
    PutFixed32(&old, version);
    old.append(kSegmentMagic, sizeof kSegmentMagic);
    ASSERT_TRUE(WriteFileSynced(e.path().string(), old).ok());
    auto reopened = Segment::Open(e.path().string());
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    EXPECT_EQ((*reopened)->footer().version, version);
    EXPECT_EQ((*reopened)->footer().FindAggregate(StreamKind::kCellGrid), nullptr);
    EXPECT_EQ((*reopened)->footer().FindAggregate(StreamKind::kCellFold) != nullptr, version >= 3);
    EXPECT_EQ((*reopened)->footer().FindAggregate(StreamKind::kCells) != nullptr, version >= 2);
    ++rewritten;
  }
  EXPECT_GT(rewritten, 0u);
}

TEST_F(EmbeddedStoreTest, OlderSegmentVersionsAnswerFromTheirRows) {
  for (uint32_t version : {1u, 2u, 3u}) {
    SCOPED_TRACE(version);
    fs::remove_all(dir_.path() + "/events");
    auto s = Open();
    reference::ReferenceEventStore ref(Traffic(80, 2, 9));
    ASSERT_TRUE(s->Append(ref.events(), 0).ok());
    ASSERT_TRUE(s->Close().ok());
    s.reset();
    RewriteSegmentsAs(dir_.path(), version);
    s = Open();
    ASSERT_NE(s, nullptr);
    EXPECT_GT(s->ScrollMap(EventFilter{"p", kDay, kDay + 1})->fold_views, 0u);
    ExpectSameAnswers(*s, ref, 2);
    ASSERT_TRUE(s->CompactAll().ok());
    ExpectSameAnswers(*s, ref, 2);
    ASSERT_TRUE(s->Close().ok());
  }
}

// Version 3 segments (no grid rollup: the element heatmap reads their rows) beside version 4
// segments (their rollups) and the memtable (its rows): every query agrees with the reference
// under every filter, the element heatmap and layouts included.
TEST_F(EmbeddedStoreTest, PreviousVersionSegmentsBesideCurrentOnesAndTheMemtable) {
  const std::vector<Event> events = conformance::RandomTraffic(77, "p", 300, 4);
  reference::ReferenceEventStore ref(events);
  const std::span<const Event> all(events);
  const size_t third = events.size() / 3;
  auto s = Open(/*memtable_rows=*/250);
  ASSERT_TRUE(s->Append(all.first(third), 0).ok());
  ASSERT_TRUE(s->Close().ok());
  s.reset();
  RewriteSegmentsAs(dir_.path(), 3);
  s = Open();
  ASSERT_TRUE(s->Append(all.subspan(third, third), 0).ok());
  ASSERT_TRUE(s->Flush().ok());
  ASSERT_TRUE(s->Append(all.subspan(2 * third), 0).ok());  // stays in the memtable
  EXPECT_GT(s->Stats().rows_in_memtable, 0u);
  for (const EventFilter& f : conformance::FilterMatrix("p", kDay, kDay + 3)) {
    EXPECT_TRUE(conformance::SameAnswers(*s, ref, f));
  }
}

// A segment whose grid rollup is cut into several chunks: an element heatmap of one path reads
// the chunks holding that path's cells, and agrees with the reference under every filter.
TEST_F(EmbeddedStoreTest, ElementHeatmapReadsTheGridChunksOfItsPath) {
  std::vector<Event> events = conformance::RandomTraffic(91, "p", 4000, 1);
  uint32_t i = 0;
  for (Event& e : events) {  // many elements over many grid cells
    if (e.type != EventType::kClick || e.selector_hash == 0) continue;
    e.selector_hash = 1 + ++i % 499;
    if (!std::isnan(e.ex)) e.ex = static_cast<float>(i % 16) / 16;
  }
  reference::ReferenceEventStore ref(events);
  auto s = Open();
  ASSERT_TRUE(s->Append(events, 0).ok());
  ASSERT_TRUE(s->Flush().ok());
  size_t chunked = 0;
  for (auto& f : fs::recursive_directory_iterator(dir_.path())) {
    if (f.path().extension() != ".seg") continue;
    auto seg = Segment::Open(f.path().string());
    ASSERT_TRUE(seg.ok());
    ScratchString cells_raw, grid_raw;
    if (!(*seg)->LoadAggregate(StreamKind::kCellGrid, grid_raw.get()).ok()) continue;
    ASSERT_TRUE((*seg)->LoadAggregate(StreamKind::kCells, cells_raw.get()).ok());
    CellTable cells;
    ASSERT_TRUE(DecodeCells(std::move(cells_raw), &cells).ok());
    CellGrid grid;
    ASSERT_TRUE(grid.Open(std::move(grid_raw), cells).ok());
    chunked += grid.size() > 1;
  }
  EXPECT_GT(chunked, 0u) << "no segment has a grid of several chunks: the test proves nothing";
  for (const EventFilter& filter : conformance::FilterMatrix("p", kDay, kDay)) {
    for (const char* path : {"/", "/docs", "/signup"}) {
      EventFilter f = filter;
      if (!f.path) f.path = path;
      for (ClickKind kind : {ClickKind::kAll, ClickKind::kRage, ClickKind::kDead}) {
        const HeatmapQuery q{f, kind};
        EXPECT_EQ("", conformance::Differs("element_heatmap " + conformance::FilterName(f),
                                           s->ElementHeatmap(q, 50), ref.ElementHeatmap(q, 50)));
      }
    }
  }
}

TEST_F(EmbeddedStoreTest, BackgroundCompactsPartitionsThatWentCold) {
  auto s = Open(/*memtable_rows=*/4, /*background=*/true);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s->Append(Events(4), 0).ok());
    ASSERT_TRUE(s->Flush().ok());
  }
  EXPECT_EQ(s->Stats().segments, 3u);
  clock_.AdvanceMs(kColdPartitionMs);
  EXPECT_TRUE(WaitFor([&] { return s->Stats().segments == 1; }));
  EXPECT_EQ(s->Stats().rows_total, 12u);
}

TEST_F(EmbeddedStoreTest, RetentionRemovesTheDayDirectories) {
  auto s = Open();
  ASSERT_TRUE(s->Append(Events(30, /*days=*/3), 0).ok());
  ASSERT_TRUE(s->Flush().ok());
  const std::string project_dir = dir_.path() + "/events/" + ProjectDirName("p") + "/";
  ASSERT_TRUE(fs::exists(project_dir + DayDirName(kDay)));
  auto removed = s->ApplyRetention("p", kDay + 2, 1);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 10u);  // the segments' rows of day kDay
  EXPECT_FALSE(fs::exists(project_dir + DayDirName(kDay)));
  EXPECT_TRUE(fs::exists(project_dir + DayDirName(kDay + 1)));
  EXPECT_EQ(s->Stats().rows_total, 20u);
  EXPECT_FALSE(s->ApplyRetention("p", kDay, -1).ok());
}

TEST_F(EmbeddedStoreTest, RetentionAlsoDropsExpiredRowsOfMemtablesWaitingForAFlush) {
  auto s = Open(/*memtable_rows=*/10);
  const std::string dir = dir_.path() + "/events";
  fs::remove_all(dir);
  std::ofstream(dir) << "not a directory";  // flushes fail: full memtables wait in the queue
  ASSERT_TRUE(s->Append(Events(30, /*days=*/3), 1).ok());
  ASSERT_EQ(s->Stats().rows_in_memtable, 30u);
  auto removed = s->ApplyRetention("p", kDay + 2, 1);  // day kDay goes
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 10u);  // counted in the waiting memtables
  EXPECT_EQ(s->Stats().rows_total, 20u);
  fs::remove(dir);
  fs::create_directories(dir);
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_FALSE(fs::exists(dir + "/" + ProjectDirName("p") + "/" + DayDirName(kDay)))
      << "the expired day came back";
  EXPECT_EQ(s->Stats().rows_total, 20u);
}

TEST_F(EmbeddedStoreTest, DeleteSubjectRewritesOnlySegmentsHoldingTheSubject) {
  auto s = Open();
  auto events = Events(30, /*days=*/3);
  ASSERT_TRUE(s->Append(events, 0).ok());
  ASSERT_TRUE(s->Flush().ok());
  const uint64_t flushes = s->Stats().flushes;
  // Visitor U(100) has events i = 0..8 only, i.e. on all three days (i % 3).
  auto n = s->DeleteSubject("p", U(100), std::nullopt);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 9u);
  EXPECT_EQ(s->Stats().rows_total, 21u);
  EXPECT_EQ(s->Stats().segments, 3u);
  EXPECT_EQ(s->Stats().flushes, flushes);  // nothing was in the memtable
  EXPECT_EQ(CountFiles(".seg"), 3u);
}

// Regression: a failed inline flush used to be reported by Append after its rows were added,
// so the pipeline retried the batch and stored it twice.
TEST_F(EmbeddedStoreTest, FailingFlushesKeepRowsThenRefuseWholeBatches) {
  auto s = Open(/*memtable_rows=*/2);
  const std::string dir = dir_.path() + "/events";
  fs::remove_all(dir);
  std::ofstream(dir) << "not a directory";  // every segment and manifest write now fails
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->Append(Events(2), i + 1).ok()) << i;
  EXPECT_EQ(s->Stats().rows_total, 8u);
  EXPECT_EQ(s->PersistedSeq(), 0u);
  Status refused = s->Append(Events(2), 5);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s->Stats().rows_total, 8u);  // nothing of the refused batch was added
  fs::remove(dir);
  fs::create_directories(dir);
  ASSERT_TRUE(s->Append(Events(2), 6).ok());
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_EQ(s->Stats().rows_in_memtable, 0u);
  EXPECT_EQ(s->Stats().rows_total, 10u);
  EXPECT_EQ(s->PersistedSeq(), 6u);
}

// Which kinds of rows (BotRowsOf) the live .seg files under `dir` hold, sorted.
std::vector<BotRows> SegmentKinds(const std::string& dir) {
  std::vector<BotRows> out;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".seg") continue;
    auto seg = Segment::Open(e.path().string());
    EXPECT_TRUE(seg.ok());
    if (seg.ok()) out.push_back(BotRowsOf((*seg)->footer()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Traffic with bots: a quarter of the sessions are bots' (90), a few turn into a bot half-way.
std::vector<Event> TrafficWithBots(int sessions, int days, uint64_t seed) {
  std::vector<Event> v = Traffic(sessions, days, seed);
  for (Event& e : v) {
    const uint64_t s = e.session_id.hi - 7000;
    if (s % 4 == 1) e.bot_score = 90;
    if (s % 13 == 6 && e.ts_ms % 2 == 0) e.bot_score = kBotScoreThreshold;
  }
  return v;
}

// The segments a compacted store holds for `events`: one per (day, bots or not) present, sorted.
std::vector<BotRows> CompactedKinds(const std::vector<Event>& events) {
  std::set<std::pair<int32_t, bool>> partitions;
  for (const Event& e : events) partitions.insert({DayOf(e.ts_ms), IsBotScore(e.bot_score)});
  std::vector<BotRows> out;
  for (const auto& [day, bots] : partitions) out.push_back(bots ? BotRows::kAll : BotRows::kNone);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(EmbeddedStoreTest, BotsAndHumansGetSegmentsOfTheirOwn) {
  auto s = Open(/*memtable_rows=*/40);
  const auto events = TrafficWithBots(60, 1, 3);
  reference::ReferenceEventStore ref(events);
  ASSERT_TRUE(s->Append(events, 0).ok());
  ASSERT_TRUE(s->Flush().ok());
  std::vector<BotRows> kinds = SegmentKinds(dir_.path());
  EXPECT_GT(kinds.size(), 2u);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), BotRows::kSome), 0);
  EXPECT_GT(std::count(kinds.begin(), kinds.end(), BotRows::kAll), 0);
  ExpectSameAnswers(*s, ref, 1);
  // Compaction merges each kind on its own: one segment of humans and one of bots per day.
  ASSERT_TRUE(s->CompactAll().ok());
  EXPECT_EQ(SegmentKinds(dir_.path()), CompactedKinds(events));
  ExpectSameAnswers(*s, ref, 1);
  ASSERT_TRUE(s->Close().ok());
  s = Open();  // recovery puts each segment back in its partition, from its footer
  ExpectSameAnswers(*s, ref, 1);
}

// What a store wrote before partitions were split by bot score: one segment per (project,
// day) with both kinds of rows, and a manifest naming them.
void WriteUnsplitStore(const std::string& dir, const std::vector<Event>& events) {
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<RowBatch>> parts;
  for (const Event& e : events) {
    auto& b = parts[{e.project_id, DayOf(e.ts_ms)}];
    if (!b) b = std::make_unique<RowBatch>();
    b->Append(e);
  }
  Manifest m;
  for (const auto& [key, batch] : parts) {
    const uint64_t id = m.next_file_id++;
    const std::string path = dir + "/" + SegmentRelPath(key.first, key.second, id);
    ASSERT_TRUE(CreateDirs(fs::path(path).parent_path().string()).ok());
    std::vector<uint32_t> rows(batch->rows());
    std::iota(rows.begin(), rows.end(), 0u);
    SegmentFooter footer;
    uint64_t size = 0;
    ASSERT_TRUE(
        WriteSegmentFile(batch->raw(), rows, {key.first, key.second, 1}, path, &footer, &size)
            .ok());
    m.segments.push_back({id, key.first, key.second, footer.rows, size});
  }
  ASSERT_TRUE(WriteFileAtomic(dir + "/" + kManifestName, EncodeManifest(m)).ok());
}

TEST_F(EmbeddedStoreTest, UnsplitSegmentsAreExactAndCompactionSplitsThem) {
  const auto events = TrafficWithBots(90, 3, 8);
  reference::ReferenceEventStore ref(events);
  WriteUnsplitStore(dir_.path() + "/events", events);
  std::vector<BotRows> kinds = SegmentKinds(dir_.path());
  ASSERT_GE(kinds.size(), 3u);  // a segment per day
  EXPECT_GE(std::count(kinds.begin(), kinds.end(), BotRows::kSome), 3);
  auto s = Open();
  ASSERT_NE(s, nullptr);
  // Without bots, a query reads the human rows of each such segment; with bots, all of them.
  ExpectSameAnswers(*s, ref, 4);
  ASSERT_TRUE(s->CompactAll().ok());  // splits every one, even alone in its partition
  EXPECT_EQ(SegmentKinds(dir_.path()), CompactedKinds(events));
  EXPECT_EQ(s->Stats().rows_total, events.size());
  ExpectSameAnswers(*s, ref, 4);
  ASSERT_TRUE(s->Close().ok());
  s = Open();
  ExpectSameAnswers(*s, ref, 4);
}

TEST_F(EmbeddedStoreTest, DeleteSubjectSplitsTheUnsplitSegmentsItRewrites) {
  const auto events = TrafficWithBots(60, 1, 4);
  reference::ReferenceEventStore ref(events);
  WriteUnsplitStore(dir_.path() + "/events", events);
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const Uuid visitor = events.front().anonymous_id;
  auto n = s->DeleteSubject("p", visitor, std::nullopt);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, *ref.DeleteSubject("p", visitor, std::nullopt));
  EXPECT_GT(*n, 0u);
  for (BotRows k : SegmentKinds(dir_.path())) EXPECT_NE(k, BotRows::kSome);
  ExpectSameAnswers(*s, ref, 2);
}

TEST_F(EmbeddedStoreTest, RejectsOversizedFieldsAndUseAfterClose) {
  auto s = Open();
  Event e = MakeEvent("p", kT0, U(1), U(1));
  e.props.assign(kMaxStoredStringBytes + 1, 'x');
  EXPECT_FALSE(s->Append(std::span<const Event>(&e, 1), 0).ok());
  ASSERT_TRUE(s->Close().ok());
  Event ok = MakeEvent("p", kT0, U(1), U(1));
  Status st = s->Append(std::span<const Event>(&ok, 1), 0);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tapistry::store
