#include "http/connection_limit.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

using Admission = ConnectionLimit::Admission;

TEST(ConnectionLimitTest, CapsEachAddressSeparately) {
  ConnectionLimit limit(2, {});
  EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kAdmitted);
  EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kAdmitted);
  EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kOverCap);
  EXPECT_EQ(limit.Acquire("10.0.0.2"), Admission::kAdmitted) << "another client is not affected";
  EXPECT_EQ(limit.Open("10.0.0.1"), 3u) << "a refused connection counts until it is closed";
  limit.Release("10.0.0.1");
  EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kOverCap);
  limit.Release("10.0.0.1");
  limit.Release("10.0.0.1");
  EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kAdmitted);
  limit.Release("10.0.0.1");
  limit.Release("10.0.0.1");
  limit.Release("10.0.0.2");
  EXPECT_EQ(limit.Open("10.0.0.1"), 0u);
  EXPECT_EQ(limit.Open("10.0.0.2"), 0u);
}

TEST(ConnectionLimitTest, TrustedPeersAndUnknownAddressesAreNotCounted) {
  ConnectionLimit limit(1, {"10.0.0.9"});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limit.Acquire("10.0.0.9"), Admission::kExempt);
  EXPECT_EQ(limit.Acquire(""), Admission::kExempt);
  EXPECT_EQ(limit.Open("10.0.0.9"), 0u);
}

TEST(ConnectionLimitTest, ZeroMeansNoCap) {
  ConnectionLimit limit(0, {});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limit.Acquire("10.0.0.1"), Admission::kExempt);
}

}  // namespace
}  // namespace tapistry
