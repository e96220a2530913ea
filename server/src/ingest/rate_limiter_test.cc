#include "ingest/rate_limiter.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

TEST(RateLimiterTest, AllowsBurstThenRefills) {
  FakeClock clock;
  RateLimiter rl(&clock);
  int retry = 0;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(rl.Allow("ip:1", 10, 10, 1, &retry)) << i;
  EXPECT_FALSE(rl.Allow("ip:1", 10, 10, 1, &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(rl.Allow("ip:2", 10, 10, 1, &retry)) << "keys are independent";
  clock.AdvanceMs(500);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.Allow("ip:1", 10, 10, 1, &retry)) << i;
  EXPECT_FALSE(rl.Allow("ip:1", 10, 10, 1, &retry));
}

TEST(RateLimiterTest, RetryAfterCoversTheShortfall) {
  FakeClock clock;
  RateLimiter rl(&clock);
  int retry = 0;
  EXPECT_TRUE(rl.Allow("s", 1, 5, 5, &retry));
  EXPECT_FALSE(rl.Allow("s", 1, 5, 3, &retry));
  EXPECT_EQ(retry, 3);
}

TEST(RateLimiterTest, AllowUpToTakesWhatTheBucketHolds) {
  FakeClock clock;
  RateLimiter rl(&clock);
  EXPECT_EQ(rl.AllowUpTo("s:1", 10, 10, 4), 4u);
  EXPECT_EQ(rl.AllowUpTo("s:1", 10, 10, 9), 6u) << "only 6 tokens left";
  EXPECT_EQ(rl.AllowUpTo("s:1", 10, 10, 1), 0u);
  clock.AdvanceMs(250);  // 2.5 tokens back: whole events only
  EXPECT_EQ(rl.AllowUpTo("s:1", 10, 10, 5), 2u);
  int retry = 0;
  EXPECT_FALSE(rl.Allow("s:1", 10, 10, 1, &retry))
      << "the half token is still there, not a whole one";
  EXPECT_EQ(rl.AllowUpTo("s:2", 0, 0, 7), 7u) << "rate 0 means no limit";
}

TEST(RateLimiterTest, MemoryStaysBounded) {
  FakeClock clock;
  RateLimiter rl(&clock, 1600);
  int retry;
  for (int i = 0; i < 100000; ++i) (void)rl.Allow("k" + std::to_string(i), 1, 2, 1, &retry);
  EXPECT_LE(rl.Size(), 1600u + 16);
}

}  // namespace
}  // namespace tapistry
