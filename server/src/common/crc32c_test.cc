#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace tapistry {
namespace {

TEST(Crc32cTest, MatchesPublishedVectors) {
  // RFC 3720 (iSCSI) appendix B.4 and the usual check value.
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xE3069283u);
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones.data(), ones.size()), 0x62A8AB43u);
  std::string ascending(32, '\0');
  for (int i = 0; i < 32; ++i) ascending[i] = static_cast<char>(i);
  EXPECT_EQ(crc32c::Value(ascending.data(), ascending.size()), 0x46DD794Eu);
}

TEST(Crc32cTest, ExtendComposesAndPathsAgree) {
  std::mt19937 rng(7);
  for (size_t len : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4097u}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const uint32_t whole = crc32c::Value(data.data(), data.size());
    EXPECT_EQ(crc32c::ExtendPortable(0, data.data(), data.size()), whole) << len;
    const size_t cut = len / 3;
    EXPECT_EQ(crc32c::Extend(crc32c::Value(data.data(), cut), data.data() + cut, len - cut), whole)
        << len;
  }
}

}  // namespace
}  // namespace tapistry
