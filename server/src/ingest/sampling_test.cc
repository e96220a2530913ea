#include "ingest/sampling.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

Uuid Id(const char* text) {
  Uuid u;
  EXPECT_TRUE(Uuid::Parse(text, &u)) << text;
  return u;
}

// Vectors printed by the SDK's own fnv1a64 (sdk/src/core/hash.ts) under Node.
TEST(SamplingTest, HashIsTheSdks) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("0f8fad5b-d9cb-469f-a165-70867728950e"), 0x3ec72038cdc744c1ULL);
}

TEST(SamplingTest, SessionIsInBelowItsHashFraction) {
  // 0x3ec72038 / 2^32 = 0.2452..., 0x1b817976 / 2^32 = 0.1074...
  const Uuid a = Id("0f8fad5b-d9cb-469f-a165-70867728950e");
  const Uuid b = Id("7c9e6679-7425-40de-944b-e07fc1f90ae7");
  EXPECT_FALSE(SessionSampled(a, 0.245));
  EXPECT_TRUE(SessionSampled(a, 0.246));
  EXPECT_FALSE(SessionSampled(b, 0.10));
  EXPECT_TRUE(SessionSampled(b, 0.11));
  EXPECT_FALSE(SessionSampled(a, 0));
  EXPECT_TRUE(SessionSampled(a, 1));
}

TEST(SamplingTest, KeepsAboutTheRate) {
  int kept = 0;
  for (int i = 0; i < 20000; ++i) {
    char text[37];
    std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012x", i * 2654435761u, i);
    kept += SessionSampled(Id(text), 0.25);
  }
  EXPECT_NEAR(kept / 20000.0, 0.25, 0.02);
}

}  // namespace
}  // namespace tapistry
