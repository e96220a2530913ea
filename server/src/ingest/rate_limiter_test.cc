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

TEST(RateLimiterTest, MemoryStaysBounded) {
  FakeClock clock;
  RateLimiter rl(&clock, 1600);
  int retry;
  for (int i = 0; i < 100000; ++i) (void)rl.Allow("k" + std::to_string(i), 1, 2, 1, &retry);
  EXPECT_LE(rl.Size(), 1600u + 16);
}

}  // namespace
}  // namespace tapistry
