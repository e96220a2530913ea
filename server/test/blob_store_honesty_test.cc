// Proves the BlobStore conformance checks reject wrong backends: a store that does nothing fails
// every check, and each plausible mistake (mem_blob_store.h's MemBlobBug, a store that forgets
// on reopen) fails the check written for it — while the correct in-memory store passes them all,
// so those failures are the bugs' and not the checks'.
#include <gtest/gtest.h>

#include "blob_store_conformance.h"
#include "check_failures.h"
#include "mem_blob_store.h"

namespace tapistry::conformance {

// This file runs the suite's checks on wrong stores, one by one; backends instantiate the suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(BlobStoreConformanceTest);

namespace {

// Accepts everything, keeps nothing.
class NullBlobStore final : public BlobStore {
 public:
  Status Put(const std::string&, const std::string&) override { return Status::Ok(); }
  Status PutIfAbsent(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<std::string> Get(const std::string& k) override { return Status::NotFound(k); }
  Result<std::string> GetRange(const std::string& k, uint64_t, uint64_t) override {
    return Status::NotFound(k);
  }
  Result<uint64_t> Size(const std::string& k) override { return Status::NotFound(k); }
  Status Delete(const std::string&) override { return Status::Ok(); }
  Result<std::vector<std::string>> List(const std::string&) override {
    return std::vector<std::string>();
  }
};

const BlobCheck& Named(const std::string& name) {
  for (const BlobCheck& c : BlobChecks()) {
    if (name == c.name) return c;
  }
  ADD_FAILURE() << "no check " << name;
  return BlobChecks().front();
}

// Runs one check on fresh storage of a MemBlobStore with `bug`.
CheckOutcome RunOnMem(const BlobCheck& check, MemBlobBug bug) {
  auto storage = std::make_shared<MemBlobStorage>();
  return RunIntercepted(
      [&] { check.run([&] { return std::make_unique<MemBlobStore>(storage, bug); }); });
}

TEST(BlobStoreHonestyTest, EveryCheckFailsAStoreThatDoesNothing) {
  for (const BlobCheck& check : BlobChecks()) {
    const CheckOutcome out =
        RunIntercepted([&] { check.run([] { return std::make_unique<NullBlobStore>(); }); });
    EXPECT_GT(out.failures, 0) << check.name << " passes a store that keeps nothing";
  }
}

TEST(BlobStoreHonestyTest, TheCorrectInMemoryStorePassesEveryCheck) {
  for (const BlobCheck& check : BlobChecks()) {
    const CheckOutcome out = RunOnMem(check, MemBlobBug::kNone);
    EXPECT_EQ(out.failures, 0) << check.name << ": " << out.first;
  }
}

TEST(BlobStoreHonestyTest, EachMistakeIsCaughtByTheCheckWrittenForIt) {
  const std::vector<std::pair<MemBlobBug, const char*>> cases = {
      {MemBlobBug::kPutIfAbsentReplaces, "PutIfAbsentNeverReplaces"},
      {MemBlobBug::kPutIfAbsentCheckThenAct, "PutIfAbsentRaceHasOneWinner"},
      {MemBlobBug::kRangePastEndIsEmpty, "RangedReadsAtTheEdges"},
      {MemBlobBug::kAcceptsAnyKey, "OddKeysRejectedOrRoundTripped"},
      {MemBlobBug::kTornPut, "ReadersNeverSeePartialObjects"},
  };
  for (const auto& [bug, check] : cases) {
    EXPECT_GT(RunOnMem(Named(check), bug).failures, 0) << check << " misses its bug";
  }
  // A race bug is invisible to one thread: only the race check can see it.
  EXPECT_EQ(
      RunOnMem(Named("PutIfAbsentNeverReplaces"), MemBlobBug::kPutIfAbsentCheckThenAct).failures,
      0);
}

TEST(BlobStoreHonestyTest, AStoreThatForgetsOnReopenFailsPersistence) {
  // Each open gets new, empty storage: fine until the process restarts.
  auto forgetful = [] {
    return std::make_unique<MemBlobStore>(std::make_shared<MemBlobStorage>());
  };
  EXPECT_GT(RunIntercepted([&] { Named("PersistsAcrossReopen").run(forgetful); }).failures, 0);
  EXPECT_EQ(RunIntercepted([&] { Named("PutGetListDelete").run(forgetful); }).failures, 0);
}

}  // namespace
}  // namespace tapistry::conformance
