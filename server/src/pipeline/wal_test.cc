#include "pipeline/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/fault_injection_env.h"
#include "pipeline/test_util.h"

namespace tapistry {
namespace {

namespace fs = std::filesystem;

struct Replayed {
  uint64_t seq;
  uint8_t type;
  std::string payload;
};

std::vector<std::string> Payloads(int n, int tag) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) {
    v.push_back("record-" + std::to_string(tag) + "-" + std::to_string(i) +
                std::string(static_cast<size_t>(i * 13 % 200), 'x'));
  }
  return v;
}

Status AppendStrings(Wal* wal, const std::vector<std::string>& payloads, uint64_t* first_seq) {
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  return wal->Append(views, 1, first_seq);
}

// Opens the log in `dir`, collecting what recovery replays.
std::unique_ptr<Wal> OpenWal(const WalOptions& o, std::vector<Replayed>* out,
                             WalRecoveryStats* stats = nullptr, uint64_t min_next_seq = 1) {
  auto wal = Wal::Open(
      o, min_next_seq,
      [&](const WalRecord& r) {
        out->push_back({r.seq, r.type, std::string(r.payload)});
        return Status::Ok();
      },
      stats);
  EXPECT_TRUE(wal.ok()) << wal.status().ToString();
  return wal.ok() ? std::move(wal).value() : nullptr;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

class WalTest : public ::testing::Test {
 protected:
  WalOptions Options() {
    WalOptions o;
    o.dir = dir_.Sub("wal");
    return o;
  }
  // 500-byte files, so the 60 records below span several.
  WalOptions SmallFiles() {
    WalOptions o = Options();
    o.segment_bytes = 500;
    return o;
  }
  // A fresh WAL with records 1..60, appended as 20 groups of 3; null if an append failed.
  std::unique_ptr<Wal> OpenWalWithSixtyRecords(const WalOptions& o) {
    std::vector<Replayed> none;
    auto wal = OpenWal(o, &none);
    for (int g = 0; wal && g < 20; ++g) {
      uint64_t first;
      if (!AppendStrings(wal.get(), Payloads(3, g), &first).ok()) return nullptr;
    }
    return wal;
  }
  TempDir dir_;
};

TEST_F(WalTest, RecoversEveryRecordInOrder) {
  std::vector<std::string> all;
  {
    std::vector<Replayed> none;
    auto wal = OpenWal(Options(), &none);
    ASSERT_TRUE(wal);
    EXPECT_TRUE(none.empty());
    for (int g = 0; g < 3; ++g) {
      auto group = Payloads(5, g);
      uint64_t first = 0;
      ASSERT_TRUE(AppendStrings(wal.get(), group, &first).ok());
      EXPECT_EQ(first, static_cast<uint64_t>(g * 5 + 1));
      all.insert(all.end(), group.begin(), group.end());
    }
    EXPECT_EQ(wal->LastSeq(), 15u);
    EXPECT_EQ(wal->Stats().fsyncs, 3u);
    ASSERT_TRUE(wal->Close().ok());
  }
  std::vector<Replayed> got;
  WalRecoveryStats stats;
  auto wal = OpenWal(Options(), &got, &stats);
  ASSERT_EQ(got.size(), all.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, i + 1);
    EXPECT_EQ(got[i].type, 1);
    EXPECT_EQ(got[i].payload, all[i]);
  }
  EXPECT_EQ(stats.truncated_bytes, 0u);
  uint64_t first = 0;
  ASSERT_TRUE(AppendStrings(wal.get(), Payloads(1, 9), &first).ok());
  EXPECT_EQ(first, 16u);
}

TEST_F(WalTest, SeqNeverGoesBelowTheCallersFloor) {
  std::vector<Replayed> got;
  auto wal = OpenWal(Options(), &got, nullptr, 1000);
  uint64_t first = 0;
  ASSERT_TRUE(AppendStrings(wal.get(), Payloads(2, 0), &first).ok());
  EXPECT_EQ(first, 1000u);
}

TEST_F(WalTest, CutsATornTailAtEveryPossibleLength) {
  std::string path;
  uint64_t full_size = 0;
  {
    std::vector<Replayed> none;
    auto wal = OpenWal(Options(), &none);
    uint64_t first;
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(3, 0), &first).ok());
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(2, 1), &first).ok());
    ASSERT_TRUE(wal->Close().ok());
    path = SegmentFiles(Options().dir).front();
    full_size = fs::file_size(path);
  }
  const std::string pristine = [&] {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }();
  // Cut the file at every length inside the last record: recovery keeps the first four.
  const uint64_t last_record_bytes = kWalRecordHeaderBytes + Payloads(2, 1)[1].size();
  for (uint64_t cut = full_size - last_record_bytes + 1; cut < full_size; ++cut) {
    fs::remove_all(Options().dir);
    fs::create_directories(Options().dir);
    {
      std::ofstream f(path, std::ios::binary);
      f.write(pristine.data(), static_cast<std::streamsize>(cut));
    }
    std::vector<Replayed> got;
    WalRecoveryStats stats;
    auto wal = OpenWal(Options(), &got, &stats);
    ASSERT_EQ(got.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(got.back().seq, 4u);
    EXPECT_EQ(stats.truncated_bytes, cut - (full_size - last_record_bytes));
    EXPECT_EQ(fs::file_size(path), full_size - last_record_bytes);
    // Writing continues after the cut, in a new file, and both survive the next recovery.
    uint64_t first;
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(1, 7), &first).ok());
    EXPECT_EQ(first, 5u);
    ASSERT_TRUE(wal->Close().ok());
    std::vector<Replayed> again;
    auto reopened = OpenWal(Options(), &again);
    ASSERT_EQ(again.size(), 5u);
    EXPECT_EQ(again.back().payload, Payloads(1, 7)[0]);
  }
}

TEST_F(WalTest, FlippedByteStopsRecoveryAtThatRecord) {
  std::string path;
  {
    std::vector<Replayed> none;
    auto wal = OpenWal(Options(), &none);
    uint64_t first;
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(6, 0), &first).ok());
    ASSERT_TRUE(wal->Close().ok());
    path = SegmentFiles(Options().dir).front();
  }
  // Offset of record 3 (seq 3): header + two records.
  const auto payloads = Payloads(6, 0);
  const uint64_t third =
      kWalFileHeaderBytes + 2 * kWalRecordHeaderBytes + payloads[0].size() + payloads[1].size();
  for (uint64_t delta : {0u, 5u, 9u, 16u, 20u}) {  // crc, length, seq, type, payload
    std::vector<Replayed> scratch;
    {
      // Restore a clean file with six records each round.
      fs::remove_all(Options().dir);
      auto wal = OpenWal(Options(), &scratch);
      uint64_t first;
      ASSERT_TRUE(AppendStrings(wal.get(), payloads, &first).ok());
      ASSERT_TRUE(wal->Close().ok());
      path = SegmentFiles(Options().dir).front();
    }
    FlipByte(path, third + delta);
    std::vector<Replayed> got;
    WalRecoveryStats stats;
    auto wal = OpenWal(Options(), &got, &stats);
    ASSERT_EQ(got.size(), 2u) << "flip at +" << delta;
    EXPECT_GT(stats.truncated_bytes, 0u);
  }
}

TEST_F(WalTest, CorruptionInAnOlderFileSkipsOnlyThatFilesTail) {
  WalOptions o = Options();
  o.segment_bytes = 200;  // a few records per file
  std::vector<std::string> files;
  {
    std::vector<Replayed> none;
    auto wal = OpenWal(o, &none);
    for (int g = 0; g < 12; ++g) {
      uint64_t first;
      ASSERT_TRUE(AppendStrings(wal.get(), Payloads(2, g), &first).ok());
    }
    ASSERT_TRUE(wal->Close().ok());
    files = SegmentFiles(o.dir);
  }
  ASSERT_GE(files.size(), 3u);
  std::vector<Replayed> intact;
  { auto wal = OpenWal(o, &intact); }
  fs::remove(SegmentFiles(o.dir).back());  // the empty file the reopen just created
  FlipByte(files[0], kWalFileHeaderBytes + kWalRecordHeaderBytes + 2);  // inside record 1
  std::vector<Replayed> got;
  WalRecoveryStats stats;
  auto wal = OpenWal(o, &got, &stats);
  EXPECT_GT(stats.skipped_bytes, 0u);
  EXPECT_EQ(stats.truncated_bytes, 0u);
  // Record 1 and the rest of the first file are lost; every later file replays.
  ASSERT_FALSE(got.empty());
  EXPECT_GT(got.front().seq, 1u);
  EXPECT_EQ(got.back().seq, intact.back().seq);
  for (size_t i = 1; i < got.size(); ++i) EXPECT_GT(got[i].seq, got[i - 1].seq);
}

TEST_F(WalTest, RemovesAFileWithNoValidRecord) {
  fs::create_directories(Options().dir);
  {
    std::ofstream f(Options().dir + "/wal-00000000000000000005.log", std::ios::binary);
    f << "TWA";  // torn while the header was written
  }
  {
    std::ofstream f(Options().dir + "/notes.txt");
    f << "not ours";
  }
  std::vector<Replayed> got;
  WalRecoveryStats stats;
  auto wal = OpenWal(Options(), &got, &stats);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(stats.removed_files, 1u);
  EXPECT_TRUE(fs::exists(Options().dir + "/notes.txt"));
  EXPECT_FALSE(fs::exists(Options().dir + "/wal-00000000000000000005.log"));
}

TEST_F(WalTest, RotatesAndDropsWholeFiles) {
  const WalOptions o = SmallFiles();
  auto wal = OpenWalWithSixtyRecords(o);
  ASSERT_TRUE(wal);
  const WalStats before = wal->Stats();
  ASSERT_GE(before.files, 4u);
  EXPECT_EQ(SegmentFiles(o.dir).size(), before.files);

  ASSERT_TRUE(wal->DropThrough(0).ok());
  EXPECT_EQ(wal->Stats().files, before.files);
  ASSERT_TRUE(wal->DropThrough(30).ok());
  const WalStats mid = wal->Stats();
  EXPECT_LT(mid.files, before.files);
  EXPECT_GT(mid.files, 1u);
  // What is left still holds every record above 30.
  ASSERT_TRUE(wal->DropThrough(60).ok());
  EXPECT_EQ(wal->Stats().files, 1u);  // the active file stays while open
  ASSERT_TRUE(wal->Close().ok());
  ASSERT_TRUE(wal->DropThrough(60).ok());
  EXPECT_EQ(wal->Stats().files, 0u);
  EXPECT_TRUE(SegmentFiles(o.dir).empty());

  std::vector<Replayed> got;
  auto reopened = OpenWal(o, &got, nullptr, 61);
  EXPECT_TRUE(got.empty());
  uint64_t first;
  ASSERT_TRUE(AppendStrings(reopened.get(), Payloads(1, 0), &first).ok());
  EXPECT_EQ(first, 61u);
}

TEST_F(WalTest, DropThroughKeepsFilesWithLaterRecords) {
  const WalOptions o = SmallFiles();
  auto wal = OpenWalWithSixtyRecords(o);
  ASSERT_TRUE(wal);
  ASSERT_TRUE(wal->DropThrough(31).ok());
  ASSERT_TRUE(wal->Close().ok());
  std::vector<Replayed> got;
  auto reopened = OpenWal(o, &got);
  ASSERT_FALSE(got.empty());
  EXPECT_LE(got.front().seq, 32u);  // record 32 survived
  EXPECT_EQ(got.back().seq, 60u);
}

// The WAL on a FaultInjectionEnv (common/fault_injection_env.h): disks that fail and power cuts.
class FaultyWalTest : public WalTest {
 protected:
  WalOptions Options() {
    WalOptions o = WalTest::Options();
    o.env = &env_;
    return o;
  }
  WalOptions SmallFiles() {
    WalOptions o = WalTest::SmallFiles();
    o.env = &env_;
    return o;
  }
  FaultInjectionEnv env_;
};

TEST_F(FaultyWalTest, FailedWriteOrSyncIsRolledBackAndNeverReplayed) {
  // A full disk on the group's write, EIO on its fdatasync, and a write cut short by ENOSPC
  // after 20 bytes reached the file.
  const std::vector<FaultInjectionEnv::Fault> faults = {
      {.op = FaultOp::kWrite, .err = ENOSPC, .path_part = "wal-"},
      {.op = FaultOp::kDataSync, .err = EIO, .path_part = "wal-"},
      {.op = FaultOp::kWrite, .err = ENOSPC, .path_part = "wal-", .short_bytes = 20},
  };
  for (const auto& fault : faults) {
    SCOPED_TRACE(static_cast<int>(fault.op));
    fs::remove_all(Options().dir);
    std::vector<Replayed> none;
    auto wal = OpenWal(Options(), &none);
    uint64_t first;
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(2, 0), &first).ok());
    const auto size_before = fs::file_size(SegmentFiles(Options().dir).back());
    env_.Inject(fault);
    EXPECT_EQ(AppendStrings(wal.get(), Payloads(3, 1), &first).code(), StatusCode::kIOError);
    EXPECT_EQ(fs::file_size(SegmentFiles(Options().dir).back()), size_before);
    EXPECT_FALSE(wal->Failed());
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(1, 2), &first).ok());
    EXPECT_EQ(first, 6u);  // the failed records' seqs 3..5 are never reused
    EXPECT_EQ(wal->Stats().write_failures, 1u);
    ASSERT_TRUE(wal->Close().ok());

    std::vector<Replayed> got;
    auto reopened = OpenWal(Options(), &got);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[2].seq, 6u);
    EXPECT_EQ(got[2].payload, Payloads(1, 2)[0]);
  }
}

TEST_F(FaultyWalTest, FailedRollbackFailsTheLog) {
  std::vector<Replayed> none;
  auto wal = OpenWal(Options(), &none);
  env_.Inject({.op = FaultOp::kDataSync, .err = EIO});
  env_.Inject({.op = FaultOp::kTruncate, .err = EIO});
  uint64_t first;
  EXPECT_FALSE(AppendStrings(wal.get(), Payloads(1, 0), &first).ok());
  EXPECT_TRUE(wal->Failed());
  EXPECT_FALSE(AppendStrings(wal.get(), Payloads(1, 1), &first).ok());  // the disk is fine again
  EXPECT_TRUE(wal->Stats().failed);
}

// A segment is acknowledged-ready only once its header and its name are durable; failing any
// step of that leaves no file behind.
TEST_F(FaultyWalTest, FailedSegmentCreationLeavesNoFile) {
  for (FaultOp op : {FaultOp::kOpen, FaultOp::kWrite, FaultOp::kSync, FaultOp::kSyncDir}) {
    SCOPED_TRACE(static_cast<int>(op));
    fs::remove_all(Options().dir);
    env_.Inject({.op = op, .err = EIO});
    auto wal = Wal::Open(
        Options(), 1, [](const WalRecord&) { return Status::Ok(); }, nullptr);
    EXPECT_FALSE(wal.ok());
    EXPECT_TRUE(SegmentFiles(Options().dir).empty());
    env_.ClearFaults();
  }
}

// Power cut right after each file-system call of a run of 20 group appends across many small
// files: after recovery every acknowledged record is back, in order, with its bytes; at most
// the one group in flight may also be back (its bytes may have reached the disk); and the log
// goes on above every replayed seq.
TEST_F(FaultyWalTest, EveryAcknowledgedRecordSurvivesAPowerCutAnywhere) {
  std::map<FaultOp, int> calls;  // a clean run's calls per kind: every one is a crash point
  env_.SetHook([&](FaultOp op, const std::string&) {
    ++calls[op];
    return Status::Ok();
  });
  auto run = [&](std::vector<std::string>* acked, std::vector<std::string>* in_flight) {
    fs::remove_all(Options().dir);
    std::vector<Replayed> none;
    auto wal = Wal::Open(
        SmallFiles(), 1, [](const WalRecord&) { return Status::Ok(); }, nullptr);
    if (!wal.ok()) return;
    for (int g = 0; g < 20; ++g) {
      const std::vector<std::string> group = Payloads(3, g);
      uint64_t first;
      if (!AppendStrings(wal->get(), group, &first).ok()) {
        *in_flight = group;
        return;
      }
      acked->insert(acked->end(), group.begin(), group.end());
    }
  };
  std::vector<std::string> all, unused;
  run(&all, &unused);
  ASSERT_EQ(all.size(), 60u);
  env_.SetHook(nullptr);
  int crashes = 0;
  for (const auto& [op, count] : calls) {
    for (int k = 0; k < count; ++k) {
      SCOPED_TRACE("crash after call " + std::to_string(k) + " of kind " +
                   std::to_string(static_cast<int>(op)));
      env_.CrashAfter(op, "", k);
      std::vector<std::string> acked, in_flight;
      run(&acked, &in_flight);
      ASSERT_TRUE(env_.crashed());  // the run is deterministic: call k of its kind came
      ++crashes;
      ASSERT_TRUE(env_.SimulateCrash().ok());
      std::vector<Replayed> got;
      auto wal = OpenWal(SmallFiles(), &got);
      ASSERT_TRUE(wal);
      ASSERT_GE(got.size(), acked.size());
      ASSERT_LE(got.size(), acked.size() + in_flight.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].payload, i < acked.size() ? acked[i] : in_flight[i - acked.size()]);
        if (i > 0) {
          EXPECT_GT(got[i].seq, got[i - 1].seq);
        }
      }
      uint64_t first = 0;
      ASSERT_TRUE(AppendStrings(wal.get(), Payloads(1, 99), &first).ok());
      if (!got.empty()) {
        EXPECT_GT(first, got.back().seq);
      }
    }
  }
  // Every call was a crash point: creates, writes, fsyncs, fdatasyncs, dir syncs, lists.
  EXPECT_GE(calls[FaultOp::kDataSync], 20);
  EXPECT_GE(calls[FaultOp::kSyncDir], 3);
  int total = 0;
  for (const auto& [op, count] : calls) total += count;
  EXPECT_EQ(crashes, total);
}

TEST_F(WalTest, RandomGarbageNeverCrashesRecovery) {
  std::mt19937 rng(5);
  std::string good;
  {
    std::vector<Replayed> none;
    auto wal = OpenWal(Options(), &none);
    uint64_t first;
    ASSERT_TRUE(AppendStrings(wal.get(), Payloads(8, 0), &first).ok());
    ASSERT_TRUE(wal->Close().ok());
    std::ifstream f(SegmentFiles(Options().dir).front(), std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(f), {});
  }
  for (int iter = 0; iter < 60; ++iter) {
    fs::remove_all(Options().dir);
    fs::create_directories(Options().dir);
    std::string bad = good;
    for (int f = 0; f < 1 + iter % 8; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (iter % 3 == 0) bad.resize(rng() % bad.size());
    {
      std::ofstream f(Options().dir + "/wal-00000000000000000001.log", std::ios::binary);
      f.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    std::vector<Replayed> got;
    auto wal = OpenWal(Options(), &got);
    ASSERT_TRUE(wal);
    ASSERT_LE(got.size(), 8u);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].payload, Payloads(8, 0)[i]);
  }
}

}  // namespace
}  // namespace tapistry
