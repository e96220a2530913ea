#include "store/embedded/manifest.h"

#include <gtest/gtest.h>

namespace tapistry::store {
namespace {

Manifest Sample() {
  Manifest m;
  m.persisted_seq = 12345;
  m.next_file_id = 9;
  m.segments.push_back({3, "proj-a", 19950, 1000, 4096});
  m.segments.push_back({8, "p/b", -2, 1, 100});
  return m;
}

TEST(ManifestTest, RoundTrips) {
  Manifest back;
  ASSERT_TRUE(DecodeManifest(EncodeManifest(Sample()), &back).ok());
  EXPECT_EQ(back, Sample());
}

TEST(ManifestTest, DetectsEveryCorruptByteAndTruncation) {
  std::string good = EncodeManifest(Sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    Manifest m;
    EXPECT_FALSE(DecodeManifest(bad, &m).ok()) << i;
  }
  for (size_t n = 0; n < good.size(); ++n) {
    Manifest m;
    EXPECT_FALSE(DecodeManifest(good.substr(0, n), &m).ok()) << n;
  }
}

TEST(ManifestTest, PathsAreSafeForAnyProjectId) {
  EXPECT_EQ(ProjectDirName("a/../b"), "p_612f2e2e2f62");
  EXPECT_EQ(SegmentRelPath("ab", 19950, 26), "p_6162/2024-08-15/000000000000001a.seg");
}

}  // namespace
}  // namespace tapistry::store
