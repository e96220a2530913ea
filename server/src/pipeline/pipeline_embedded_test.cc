// The pipeline against the real embedded EventStore (server/src/store/embedded): the crash and
// retry invariants of pipeline_test.cc, checked through the store's own ScanEventIds/ListEvents
// rather than the fake's bookkeeping.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>

#include "pipeline/pipeline.h"
#include "pipeline/test_util.h"
#include "store/embedded/embedded_event_store.h"

namespace tapistry {
namespace {

namespace fs = std::filesystem;

class PipelineOnEmbeddedStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> OpenStore(const std::string& dir) {
    EmbeddedStoreOptions o;
    o.dir = dir;
    o.background = false;  // flushes happen when the test says so
    o.clock = &clock_;
    auto store = OpenEmbeddedEventStore(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<Pipeline> OpenPipeline(EventSink* store, const std::string& wal_dir) {
    PipelineOptions o;
    o.wal_dir = wal_dir;
    o.sink = store;
    o.clock = &clock_;
    o.maintenance_interval_ms = 0;
    o.free_disk_bytes = [](const std::string&) -> Result<uint64_t> { return 1ull << 40; };
    auto p = Pipeline::Open(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }
  std::map<Uuid, int> IdCounts(EventSink* store) {
    std::map<Uuid, int> counts;
    EXPECT_TRUE(store->ScanEventIds(0, [&](const Uuid& id, int64_t) { ++counts[id]; }).ok());
    return counts;
  }

  TempDir dir_;
  FakeClock clock_;
  TestEvents gen_{77};
};

TEST_F(PipelineOnEmbeddedStoreTest, AcknowledgedEventsAreQueryable) {
  auto store = OpenStore(dir_.Sub("events"));
  auto p = OpenPipeline(store.get(), dir_.Sub("wal"));
  const auto batch = gen_.Batch(30, clock_.NowMs());
  ASSERT_TRUE(SubmitSync(p.get(), batch).status.ok());
  EventFilter f;
  f.project_id = batch[0].project_id;
  f.from_day = f.to_day = DayOf(clock_.NowMs());
  auto listed = store->ListEvents(f, std::nullopt, 100);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(listed.value().size(), 30u);
  ASSERT_TRUE(p->Close().ok());
  EXPECT_GE(store->PersistedSeq(), 1u);
  ASSERT_TRUE(store->Close().ok());
}

TEST_F(PipelineOnEmbeddedStoreTest, CrashReplaysUnflushedRecordsOnceAndRetriesAreDuplicates) {
  auto store = OpenStore(dir_.Sub("events"));
  auto p = OpenPipeline(store.get(), dir_.Sub("wal"));
  const auto a = gen_.Batch(25, clock_.NowMs());
  const auto b = gen_.Batch(25, clock_.NowMs());
  ASSERT_TRUE(SubmitSync(p.get(), a).status.ok());
  ASSERT_TRUE(store->Flush().ok());                 // a in segments
  ASSERT_TRUE(SubmitSync(p.get(), b).status.ok());  // b only in the memtable and the WAL

  // What kill -9 leaves behind: the files, not the memtable.
  fs::copy(dir_.Sub("events"), dir_.Sub("events2"), fs::copy_options::recursive);
  fs::copy(dir_.Sub("wal"), dir_.Sub("wal2"));
  auto store2 = OpenStore(dir_.Sub("events2"));
  auto p2 = OpenPipeline(store2.get(), dir_.Sub("wal2"));
  EXPECT_EQ(p2->Stats().replayed_events, 25u);
  const auto counts = IdCounts(store2.get());
  EXPECT_EQ(counts.size(), 50u);
  for (const auto& [id, n] : counts) ASSERT_EQ(n, 1) << id.ToString();
  for (const auto* batch : {&a, &b}) {
    Outcome out = SubmitSync(p2.get(), *batch);
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(out.result.duplicates, 25u);
  }
  // A clean restart of the copy: the WAL is dropped after the flush, the store alone rebuilds
  // the dedupe set.
  ASSERT_TRUE(p2->Close().ok());
  ASSERT_TRUE(store2->Close().ok());
  store2 = OpenStore(dir_.Sub("events2"));
  p2 = OpenPipeline(store2.get(), dir_.Sub("wal2"));
  EXPECT_EQ(p2->Stats().recovered_records, 0u);
  EXPECT_EQ(SubmitSync(p2.get(), b).result.duplicates, 25u);
  EXPECT_EQ(IdCounts(store2.get()).size(), 50u);
  ASSERT_TRUE(p2->Close().ok());
  ASSERT_TRUE(store2->Close().ok());
  ASSERT_TRUE(p->Close().ok());
  ASSERT_TRUE(store->Close().ok());
}

// RetireWal (a DSAR delete's last step): afterwards no WAL file holds a record written before the
// call, and every acknowledged event is still there after a crash, once.
TEST_F(PipelineOnEmbeddedStoreTest, RetireWalLeavesNoOldRecordAndLosesNothing) {
  auto store = OpenStore(dir_.Sub("events"));
  auto p = OpenPipeline(store.get(), dir_.Sub("wal"));
  const auto a = gen_.Batch(25, clock_.NowMs());
  const auto b = gen_.Batch(25, clock_.NowMs());
  const auto c = gen_.Batch(25, clock_.NowMs());
  ASSERT_TRUE(SubmitSync(p.get(), a).status.ok());
  ASSERT_TRUE(SubmitSync(p.get(), b).status.ok());  // in the memtable and the WAL only
  auto files = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_.Sub("wal"))) n += e.is_regular_file();
    return n;
  };
  ASSERT_GE(files(), 1u);
  Status retired = p->RetireWal();
  ASSERT_TRUE(retired.ok()) << retired.ToString();
  EXPECT_EQ(files(), 0u) << "every record is in the store's segments now";
  EXPECT_GE(store->PersistedSeq(), p->Stats().wal_last_seq);
  EXPECT_TRUE(p->RetireWal().ok()) << "nothing new: still fine";
  ASSERT_TRUE(SubmitSync(p.get(), c).status.ok());  // a new file
  EXPECT_EQ(files(), 1u);

  // What kill -9 leaves behind.
  fs::copy(dir_.Sub("events"), dir_.Sub("events2"), fs::copy_options::recursive);
  fs::copy(dir_.Sub("wal"), dir_.Sub("wal2"));
  auto store2 = OpenStore(dir_.Sub("events2"));
  auto p2 = OpenPipeline(store2.get(), dir_.Sub("wal2"));
  EXPECT_EQ(p2->Stats().replayed_events, 25u) << "only c was still in the log";
  const auto counts = IdCounts(store2.get());
  EXPECT_EQ(counts.size(), 75u);
  for (const auto& [id, n] : counts) ASSERT_EQ(n, 1) << id.ToString();
  for (const auto* batch : {&a, &b, &c}) {
    EXPECT_EQ(SubmitSync(p2.get(), *batch).result.duplicates, 25u);
  }
  ASSERT_TRUE(p2->Close().ok());
  ASSERT_TRUE(store2->Close().ok());
  ASSERT_TRUE(p->Close().ok());
  ASSERT_TRUE(store->Close().ok());
}

}  // namespace
}  // namespace tapistry
