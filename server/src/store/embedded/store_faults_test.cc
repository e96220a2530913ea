// The embedded store on a FaultInjectionEnv (common/fault_injection_env.h): a segment write that
// the disk refuses reports it, and a power cut at any file-system call of a flush leaves a store
// that opens with the state before that flush or after it, never a third one.
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <functional>
#include <map>
#include <numeric>

#include "common/fault_injection_env.h"
#include "store/embedded/embedded_event_store.h"
#include "store/embedded/row_batch.h"
#include "store/embedded/segment_reader.h"
#include "store/embedded/segment_writer.h"
#include "store/embedded/test_util.h"
#include "tapistry/event_store.h"

namespace tapistry::store {
namespace {

using testing::kDay;
using testing::kT0;
using testing::MakeEvent;
using testing::TempDir;
using testing::U;

class SegmentWriteFaultTest : public ::testing::Test {
 protected:
  Status Write() {
    RowBatch batch;
    for (int i = 0; i < 40; ++i) batch.Append(MakeEvent("p", kT0 + i, U(1), U(2)));
    std::vector<uint32_t> rows(batch.rows());
    std::iota(rows.begin(), rows.end(), 0u);
    SegmentFooter footer;
    uint64_t size = 0;
    return WriteSegmentFile(batch.raw(), rows, {"p", kDay, 0}, path_, &footer, &size, &env_);
  }
  TempDir dir_;
  std::string path_ = dir_.path() + "/a.seg";
  FaultInjectionEnv env_;
};

TEST_F(SegmentWriteFaultTest, EveryRefusedStepIsReported) {
  const std::vector<std::pair<FaultInjectionEnv::Fault, const char*>> faults = {
      {{.op = FaultOp::kWrite, .err = ENOSPC}, "No space left"},
      {{.op = FaultOp::kWrite, .err = ENOSPC, .short_bytes = 100}, "No space left"},
      {{.op = FaultOp::kSync, .err = EIO}, "Input/output error"},
      {{.op = FaultOp::kRename, .err = EIO}, "Input/output error"},
      {{.op = FaultOp::kSyncDir, .err = EIO}, "Input/output error"},
  };
  int injected = 0;
  for (const auto& [fault, says] : faults) {
    SCOPED_TRACE(says);
    env_.Inject(fault);
    const Status s = Write();
    EXPECT_EQ(s.code(), StatusCode::kIOError);
    EXPECT_NE(s.message().find(says), std::string::npos) << s.message();
    EXPECT_EQ(env_.faults_injected(), ++injected);
    // Before the rename nothing is at the segment's name, and a partial temp file is gone (the
    // store's recovery deletes what a failed rename leaves).
    if (fault.op != FaultOp::kSyncDir) {
      EXPECT_FALSE(Segment::Open(path_).ok());
    }
    if (fault.op != FaultOp::kRename) {
      EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
    }
    ASSERT_TRUE(RemoveAll(path_).ok());
    ASSERT_TRUE(RemoveAll(path_ + ".tmp").ok());
  }
  EXPECT_TRUE(Write().ok());  // each rule fired once
}

TEST_F(SegmentWriteFaultTest, APowerCutBeforeTheDirectorySyncLosesTheSegmentWhole) {
  env_.CrashAfter(FaultOp::kRename);
  EXPECT_FALSE(Write().ok());  // the directory sync never happened
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Segment::Open(path_).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));

  env_.CrashAfter(FaultOp::kSyncDir);
  EXPECT_TRUE(Write().ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  auto seg = Segment::Open(path_);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ((*seg)->footer().rows, 40u);
}

// An embedded store over `dir` on `env`, with no background threads (flushes when told).
Result<std::unique_ptr<EventStore>> OpenOn(const std::string& dir, Env* env) {
  EmbeddedStoreOptions o;
  o.dir = dir;
  o.background = false;
  o.env = env;
  return OpenEmbeddedEventStore(o);
}

// The store's state, as a reopened store reports it: (persisted seq, rows).
std::pair<uint64_t, size_t> Reopen(const std::string& dir, Env* env) {
  auto store = OpenOn(dir, env);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return {UINT64_MAX, 0};
  EventFilter all;
  all.project_id = "p";
  all.from_day = kDay;
  all.to_day = kDay + 10;
  auto rows = (*store)->ListEvents(all, std::nullopt, SIZE_MAX);
  EXPECT_TRUE(rows.ok());
  const std::pair<uint64_t, size_t> state{(*store)->PersistedSeq(), rows.ok() ? rows->size() : 0};
  EXPECT_TRUE((*store)->Close().ok());
  return state;
}

// A first flush (seq 7: 30 rows of day 0), then `arm()`, then a second flush (seq 9: 20 rows
// of day 1 — a new directory, a segment, the manifest), then the store is dropped.
void TwoFlushes(const std::string& at, Env* env, const std::function<void()>& arm) {
  std::filesystem::remove_all(at);
  auto store = OpenOn(at, env);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> first, second;
  for (int i = 0; i < 30; ++i) first.push_back(MakeEvent("p", kT0 + i, U(1), U(2)));
  for (int i = 0; i < 20; ++i) second.push_back(MakeEvent("p", kT0 + kDayMs + i, U(3), U(4)));
  ASSERT_TRUE((*store)->Append(first, 7).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  arm();
  if ((*store)->Append(second, 9).ok()) (void)(*store)->Flush();
}

// A power cut after each file-system call of the second flush in turn (LevelDB's
// fault-injection test in spirit): the store reopens, with the state before that flush or after
// it — never a manifest naming a segment, or a directory, that the crash took away.
TEST(StoreCrashTest, APowerCutAnywhereInAFlushLeavesTheStateBeforeOrAfterIt) {
  TempDir dir;
  FaultInjectionEnv env;
  std::map<FaultOp, int> calls;  // the second flush's calls in a clean run: the crash points
  TwoFlushes(dir.Sub("clean"), &env, [&] {
    env.SetHook([&](FaultOp op, const std::string&) {
      ++calls[op];
      return Status::Ok();
    });
  });
  env.SetHook(nullptr);
  const std::pair<uint64_t, size_t> before{7, 30}, after{9, 50};
  EXPECT_EQ(Reopen(dir.Sub("clean"), &env), after);
  ASSERT_GE(calls[FaultOp::kRename], 2);     // the segment and the manifest
  ASSERT_GE(calls[FaultOp::kCreateDir], 1);  // the new day's directory
  std::map<std::pair<uint64_t, size_t>, int> outcomes;
  for (const auto& [op, count] : calls) {
    for (int k = 0; k < count; ++k) {
      SCOPED_TRACE("crash after call " + std::to_string(k) + " of kind " +
                   std::to_string(static_cast<int>(op)));
      TwoFlushes(dir.Sub("run"), &env, [&env, op = op, k] { env.CrashAfter(op, "", k); });
      ASSERT_TRUE(env.crashed());
      ASSERT_TRUE(env.SimulateCrash().ok());
      const auto state = Reopen(dir.Sub("run"), &env);
      EXPECT_TRUE(state == before || state == after)
          << "seq " << state.first << ", " << state.second << " rows";
      ++outcomes[state];
    }
  }
  // Both sides of the commit point were exercised.
  EXPECT_GT(outcomes[before], 0);
  EXPECT_GT(outcomes[after], 0);
}

// Compaction and DSAR deletes write their new segments, then publish them with one manifest
// write (PublishReplacement). When that write fails the new files are deleted — no manifest
// names them — and the store keeps answering from the segments it had.
TEST(StoreReplaceFaultTest, AFailedManifestWriteLeavesTheOldSegmentsAndNoNewFile) {
  TempDir dir;
  FaultInjectionEnv env;
  EmbeddedStoreOptions o;
  o.dir = dir.Sub("events");
  o.background = false;
  o.env = &env;
  auto opened = EmbeddedEventStore::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EmbeddedEventStore& store = **opened;
  for (int b = 0; b < 3; ++b) {  // three segments of one day, one visitor each
    std::vector<Event> batch;
    for (int i = 0; i < 10; ++i)
      batch.push_back(MakeEvent("p", kT0 + 100 * b + i, U(b + 1), U(b + 1)));
    ASSERT_TRUE(store.Append(batch, b + 1).ok());
    ASSERT_TRUE(store.Flush().ok());
  }
  auto segment_files = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(o.dir)) {
      n += e.path().extension() == ".seg";
    }
    return n;
  };
  auto rows = [&] {
    EventFilter all;
    all.project_id = "p";
    all.from_day = kDay;
    all.to_day = kDay;
    auto r = store.ListEvents(all, std::nullopt, SIZE_MAX);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->size() : 0;
  };
  ASSERT_EQ(segment_files(), 3u);
  const FaultInjectionEnv::Fault manifest_rename{.op = FaultOp::kRename,
                                                 .path_part = kManifestName};

  env.Inject(manifest_rename);
  EXPECT_EQ(store.CompactAll().code(), StatusCode::kIOError);
  EXPECT_EQ(env.faults_injected(), 1);
  EXPECT_EQ(segment_files(), 3u) << "the unpublished compacted segment was left behind";
  EXPECT_EQ(store.Stats().segments, 3u);
  EXPECT_EQ(rows(), 30u);

  env.Inject(manifest_rename);
  auto deleted = store.DeleteSubject("p", U(2), std::nullopt);
  EXPECT_EQ(deleted.status().code(), StatusCode::kIOError);
  EXPECT_EQ(env.faults_injected(), 2);
  EXPECT_EQ(segment_files(), 3u) << "the unpublished rewritten segment was left behind";
  EXPECT_EQ(rows(), 30u);

  // Without the fault both go through.
  deleted = store.DeleteSubject("p", U(2), std::nullopt);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 10u);
  ASSERT_TRUE(store.CompactAll().ok());
  EXPECT_EQ(segment_files(), 1u);
  EXPECT_EQ(rows(), 20u);
  EXPECT_TRUE(store.Close().ok());
}

}  // namespace
}  // namespace tapistry::store
