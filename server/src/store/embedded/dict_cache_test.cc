#include "store/embedded/dict_cache.h"

#include <gtest/gtest.h>

namespace tapistry::store {
namespace {

DictCache::Value Dict(size_t n) { return std::make_shared<const std::vector<Uuid>>(n, Uuid{1, 2}); }

TEST(DictCacheTest, EvictsLeastRecentlyUsedToStayUnderCapacity) {
  const size_t one = 10 * sizeof(Uuid) + 64;
  DictCache cache(2 * one);
  cache.Put(1, Dict(10));
  cache.Put(2, Dict(10));
  ASSERT_NE(cache.Get(1), nullptr);  // 1 is now the most recent
  cache.Put(3, Dict(10));
  EXPECT_NE(cache.Get(1), nullptr);
  EXPECT_EQ(cache.Get(2), nullptr);
  EXPECT_NE(cache.Get(3), nullptr);
  EXPECT_LE(cache.bytes(), 2 * one);
}

TEST(DictCacheTest, SkipsValuesLargerThanTheCacheAndReplacesKeys) {
  DictCache cache(1000);
  cache.Put(1, Dict(1000));
  EXPECT_EQ(cache.Get(1), nullptr);
  cache.Put(2, Dict(1));
  cache.Put(2, Dict(2));
  ASSERT_NE(cache.Get(2), nullptr);
  EXPECT_EQ(cache.Get(2)->size(), 2u);
  EXPECT_EQ(cache.bytes(), 2 * sizeof(Uuid) + 64);
}

}  // namespace
}  // namespace tapistry::store
