#include "tapistry/event.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

TEST(UuidTest, RoundTripsCanonicalForm) {
  Uuid u;
  ASSERT_TRUE(Uuid::Parse("4F7C1B2A-0d1e-4a5b-9c8d-7e6f5a4b3c2d", &u));
  EXPECT_EQ(u.ToString(), "4f7c1b2a-0d1e-4a5b-9c8d-7e6f5a4b3c2d");
}

TEST(UuidTest, RejectsMalformed) {
  Uuid u;
  EXPECT_FALSE(Uuid::Parse("", &u));
  EXPECT_FALSE(Uuid::Parse("4f7c1b2a-0d1e-4a5b-9c8d-7e6f5a4b3c2", &u));
  EXPECT_FALSE(Uuid::Parse("4f7c1b2a-0d1e-4a5b-9c8d+7e6f5a4b3c2d", &u));
  EXPECT_FALSE(Uuid::Parse("4f7c1b2a-0d1e-4a5b-9c8d-7e6f5a4b3c2g", &u));
}

TEST(DayTest, FormatsAndParses) {
  int32_t d = 0;
  ASSERT_TRUE(ParseDay("2024-08-15", &d));
  EXPECT_EQ(d, DayOf(1723718400456));
  EXPECT_EQ(FormatDay(d), "2024-08-15");
  EXPECT_FALSE(ParseDay("2024-02-30", &d));
  EXPECT_FALSE(ParseDay("2024-8-15", &d));
  EXPECT_EQ(DayOf(-1), -1);
}

TEST(ViewportBucketTest, MatchesSpecBoundaries) {
  EXPECT_EQ(ViewportBucket(479), 0);
  EXPECT_EQ(ViewportBucket(480), 1);
  EXPECT_EQ(ViewportBucket(1439), 3);
  EXPECT_EQ(ViewportBucket(1440), 4);
  EXPECT_STREQ(ViewportBucketName(ViewportBucket(1024)), "1024-1439");
}

}  // namespace
}  // namespace tapistry
