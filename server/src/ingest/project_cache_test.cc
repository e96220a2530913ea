// ProjectCache: keys are looked up in the MetaStore at most once per TTL, so a rotated key keeps
// working for at most that long and the new one is accepted at once.
#include "ingest/project_cache.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "tapistry/clock.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

TEST(ProjectCacheTest, ARotatedKeyStopsWorkingWithinTheTtl) {
  TempDir dir("tap-project-cache");
  ASSERT_FALSE(dir.path().empty());
  auto meta = OpenSqliteMetaStore(dir.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto c = (*meta)->CreateProject("Shop", {"https://shop.test"});
  ASSERT_TRUE(c.ok());
  FakeClock clock;
  ProjectCache cache(meta->get(), &clock, 5000);
  const std::string old_key = c->project.public_key;
  auto p = cache.ByKey(old_key);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->id, c->project.id);
  EXPECT_EQ(cache.ByKey("pk_unknown").status().code(), StatusCode::kUnauthenticated);

  auto new_key = (*meta)->RotatePublicKey(c->project.id);
  ASSERT_TRUE(new_key.ok());
  EXPECT_TRUE(cache.ByKey(*new_key).ok()) << "the new key works at once";
  clock.AdvanceMs(4000);
  EXPECT_TRUE(cache.ByKey(old_key).ok()) << "the old key is still cached";
  clock.AdvanceMs(1001);
  EXPECT_EQ(cache.ByKey(old_key).status().code(), StatusCode::kUnauthenticated)
      << "gone after the TTL";
  EXPECT_TRUE(cache.ByKey(*new_key).ok());
}

TEST(ProjectCacheTest, OriginsFollowTheAllowlist) {
  Project p;
  EXPECT_TRUE(OriginAllowed(p, "https://anything.test")) << "no allowlist: any origin";
  p.allowed_origins = {"https://shop.test", "https://*.example.com"};
  EXPECT_TRUE(OriginAllowed(p, "https://shop.test"));
  EXPECT_TRUE(OriginAllowed(p, "https://eu.example.com"));
  EXPECT_FALSE(OriginAllowed(p, "https://example.com"));
  EXPECT_FALSE(OriginAllowed(p, "http://eu.example.com"));
  EXPECT_FALSE(OriginAllowed(p, "https://evil.test"));
}

}  // namespace
}  // namespace tapistry
