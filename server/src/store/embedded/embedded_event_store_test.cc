// Behaviour specific to the embedded engine (the shared semantics are in
// server/test/event_store_conformance_test.cc): recovery, triggers, compaction, files.
#include "store/embedded/embedded_event_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/embedded/file_util.h"
#include "store/embedded/test_util.h"

namespace tapistry::store {
namespace {

namespace fs = std::filesystem;
using testing::MakeEvent;
using testing::TempDir;
using testing::U;

constexpr int32_t kDay = 19950;
constexpr int64_t kT0 = int64_t{kDay} * kDayMs;

class EmbeddedStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<EmbeddedEventStore> Open(size_t memtable_rows = 1 << 20, bool background = false) {
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
                            i % 3 ? EventType::kPageView : EventType::kClick, "/p" + std::to_string(i % 5)));
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
      if (e.is_regular_file() && p.size() >= suffix.size() && p.substr(p.size() - suffix.size()) == suffix) ++n;
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
  const std::string day_dir = dir_.path() + "/events/" + ProjectDirName("p") + "/" + DayDirName(kDay);
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
  EventStoreStats st = s->Stats();
  EXPECT_EQ(st.rows_in_memtable, 0u);
  EXPECT_EQ(st.rows_total, 3u);
  EXPECT_GE(st.segments, 1u);
}

TEST_F(EmbeddedStoreTest, FlushesWhenTheMemtableIsFull) {
  auto s = Open(/*memtable_rows=*/10);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->Append(Events(5), i + 1).ok());
  EventStoreStats st = s->Stats();
  EXPECT_EQ(st.flushes, 2u);
  EXPECT_EQ(st.rows_in_memtable, 5u);
  EXPECT_EQ(st.rows_total, 25u);
  EXPECT_EQ(s->PersistedSeq(), 4u);
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
  EventStoreStats st = s->Stats();
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
  ASSERT_TRUE(s->ApplyRetention("p", kDay + 2, 1).ok());
  EXPECT_FALSE(fs::exists(project_dir + DayDirName(kDay)));
  EXPECT_TRUE(fs::exists(project_dir + DayDirName(kDay + 1)));
  EXPECT_EQ(s->Stats().rows_total, 20u);
  EXPECT_FALSE(s->ApplyRetention("p", kDay, -1).ok());
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
