#include "pipeline/dedupe_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "pipeline/test_util.h"

namespace tapistry {
namespace {

constexpr int64_t kT0 = 1723718400000;
constexpr int64_t kHour = 3600 * 1000;

DedupeSetOptions Seeded() {
  DedupeSetOptions o;
  o.seed = 42;
  return o;
}

TEST(DedupeSetTest, SecondInsertIsDuplicate) {
  DedupeSet set(Seeded());
  TestEvents gen(1);
  const Uuid a = gen.RandomUuid();
  const Uuid b = gen.RandomUuid();
  EXPECT_TRUE(set.Insert(a, kT0));
  EXPECT_FALSE(set.Insert(a, kT0 + 1));
  EXPECT_TRUE(set.Insert(b, kT0 + 2));
  EXPECT_TRUE(set.Contains(a));
  EXPECT_EQ(set.Stats().ids, 2u);
}

TEST(DedupeSetTest, BatchTreatsRepeatsAsDuplicates) {
  DedupeSet set(Seeded());
  TestEvents gen(2);
  const Uuid a = gen.RandomUuid();
  const Uuid b = gen.RandomUuid();
  std::vector<Uuid> ids = {a, b, a, a, b};
  std::vector<uint8_t> inserted;
  EXPECT_EQ(set.InsertBatch(ids, kT0, &inserted), 2u);
  EXPECT_EQ(inserted, (std::vector<uint8_t>{1, 1, 0, 0, 0}));
}

TEST(DedupeSetTest, EraseKeepsEveryOtherIdFindable) {
  // Backward-shift deletion must not break the probe chains of the ids left behind.
  DedupeSet set(Seeded());
  TestEvents gen(3);
  std::vector<Uuid> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(gen.RandomUuid());
  for (const Uuid& id : ids) ASSERT_TRUE(set.Insert(id, kT0));
  for (size_t i = 0; i < ids.size(); i += 2) set.Erase(ids[i]);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_EQ(set.Contains(ids[i]), i % 2 == 1) << i;
  }
  EXPECT_EQ(set.Stats().ids, ids.size() / 2);
  EXPECT_TRUE(set.Insert(ids[0], kT0));  // an erased id is accepted again
}

TEST(DedupeSetTest, RemembersForTheWindowThenForgets) {
  DedupeSetOptions o = Seeded();
  o.window_ms = 48 * kHour;
  o.generations = 8;  // 6 h slices
  DedupeSet set(o);
  TestEvents gen(4);
  const Uuid a = gen.RandomUuid();
  ASSERT_TRUE(set.Insert(a, kT0));
  set.Expire(kT0 + 48 * kHour - 1);
  EXPECT_FALSE(set.Insert(a, kT0 + 48 * kHour - 1));  // still inside the window
  set.Expire(kT0 + 48 * kHour + 6 * kHour);           // window + one slice: certainly gone
  EXPECT_FALSE(set.Contains(a));
  EXPECT_TRUE(set.Insert(a, kT0 + 54 * kHour));
  EXPECT_GT(set.Stats().expired_ids, 0u);
}

TEST(DedupeSetTest, EveryIdIsKeptAtLeastTheWindow) {
  DedupeSetOptions o = Seeded();
  o.window_ms = 1000;
  o.generations = 4;
  DedupeSet set(o);
  TestEvents gen(5);
  std::vector<std::pair<Uuid, int64_t>> seen;
  for (int64_t t = 0; t < 5000; t += 7) {
    const Uuid id = gen.RandomUuid();
    ASSERT_TRUE(set.Insert(id, t));
    seen.emplace_back(id, t);
    for (const auto& [old, at] : seen) {
      if (t - at < 1000) {
        ASSERT_TRUE(set.Contains(old)) << "inserted at " << at << " now " << t;
      }
      if (t - at >= 1000 + 250) {
        ASSERT_FALSE(set.Contains(old)) << "inserted at " << at << " now " << t;
      }
    }
  }
}

TEST(DedupeSetTest, RebuildAcceptsOlderTimesAndSkipsExpiredOnes) {
  DedupeSet set(Seeded());
  TestEvents gen(6);
  set.Expire(kT0);
  const Uuid recent = gen.RandomUuid();
  const Uuid ancient = gen.RandomUuid();
  EXPECT_TRUE(set.Insert(recent, kT0 - 40 * kHour));
  EXPECT_TRUE(set.Insert(ancient, kT0 - 49 * kHour));
  EXPECT_TRUE(set.Contains(recent));
  EXPECT_FALSE(set.Contains(ancient));
  EXPECT_EQ(set.Stats().ids, 1u);
}

TEST(DedupeSetTest, MemoryBoundEvictsOldestSlices) {
  DedupeSetOptions o = Seeded();
  o.max_memory_bytes = 64 * 1024;
  DedupeSet set(o);
  TestEvents gen(7);
  for (int i = 0; i < 30000; ++i) set.Insert(gen.RandomUuid(), kT0 + i * kHour / 1000);
  const DedupeSetStats s = set.Stats();
  EXPECT_GT(s.early_evicted_ids, 0u);
  // The newest slice is never dropped, so the bound holds up to one slice's table.
  EXPECT_LE(s.memory_bytes, o.max_memory_bytes + 128 * 1024);
}

TEST(DedupeSetTest, MemoryPerMillionIdsIsAsDocumented) {
  DedupeSet set(Seeded());
  TestEvents gen(8);
  for (int i = 0; i < 1000000; ++i) set.Insert(gen.RandomUuid(), kT0);
  const DedupeSetStats s = set.Stats();
  EXPECT_EQ(s.ids, 1000000u);
  // 8-byte slots between 3/8 and 3/4 full (dedupe_set.h).
  EXPECT_GE(s.memory_bytes, 10'600'000u);
  EXPECT_LE(s.memory_bytes, 21'400'000u);
}

TEST(DedupeSetTest, ConcurrentInsertsOfTheSameIdsAcceptEachOnce) {
  DedupeSet set(Seeded());
  TestEvents gen(9);
  std::vector<Uuid> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(gen.RandomUuid());
  std::atomic<size_t> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      size_t mine = 0;
      for (const Uuid& id : ids) mine += set.Insert(id, kT0) ? 1 : 0;
      accepted += mine;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), ids.size());
}

}  // namespace
}  // namespace tapistry
