#include "store/embedded/uuid_union.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

namespace tapistry::store {
namespace {

void CheckAgainstModel(const std::vector<std::vector<Uuid>>& lists) {
  std::vector<std::span<const Uuid>> spans(lists.begin(), lists.end());
  UuidUnionResult u = UnionSortedUuids(spans);
  std::map<Uuid, int> count;
  for (const auto& l : lists) {
    for (const Uuid& x : l) count[x]++;
  }
  ASSERT_EQ(u.distinct, count.size());
  std::map<uint32_t, Uuid> by_gid;
  for (size_t i = 0; i < lists.size(); ++i) {
    ASSERT_EQ(u.gid[i].size(), lists[i].size());
    for (size_t j = 0; j < lists[i].size(); ++j) {
      const uint32_t g = u.gid[i][j];
      ASSERT_LT(g, u.distinct);
      auto [it, inserted] = by_gid.emplace(g, lists[i][j]);
      EXPECT_EQ(it->second, lists[i][j]) << "one gid for two values";
      EXPECT_EQ(u.multiplicity[g], count[lists[i][j]]);
    }
  }
  EXPECT_EQ(by_gid.size(), count.size()) << "two gids for one value";
}

TEST(UuidUnionTest, MatchesSetModelOnRandomOverlappingLists) {
  std::mt19937_64 rng(1);
  std::vector<Uuid> pool(20000);
  for (auto& u : pool) u = Uuid{rng(), rng()};
  for (int lists_n : {1, 2, 7, 31}) {
    std::vector<std::vector<Uuid>> lists(lists_n);
    for (auto& l : lists) {
      std::set<Uuid> s;
      const size_t n = rng() % 3000;
      for (size_t k = 0; k < n; ++k) s.insert(pool[rng() % pool.size()]);
      l.assign(s.begin(), s.end());
    }
    CheckAgainstModel(lists);
  }
}

TEST(UuidUnionTest, HandlesEmptyListsAndSharedHighBits) {
  // Same `hi` everywhere: every value lands in one range and only `lo` tells them apart.
  std::vector<std::vector<Uuid>> lists = {{}, {{5, 1}, {5, 2}, {5, 3}}, {{5, 2}, {5, 9}}, {}};
  CheckAgainstModel(lists);
  CheckAgainstModel({});
}

}  // namespace
}  // namespace tapistry::store
