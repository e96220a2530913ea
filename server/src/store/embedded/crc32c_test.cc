#include "store/embedded/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace tapistry::store {
namespace {

TEST(Crc32cTest, MatchesKnownVectors) {
  // RFC 3720 B.4 test vectors.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
}

TEST(Crc32cTest, ExtendEqualsOneShot) {
  std::string s = "the quick brown fox jumps over the lazy dog, twice over";
  uint32_t part = Crc32cExtend(0, s.data(), 13);
  EXPECT_EQ(Crc32cExtend(part, s.data() + 13, s.size() - 13), Crc32c(s));
  EXPECT_NE(Crc32c("a"), Crc32c("b"));
}

}  // namespace
}  // namespace tapistry::store
