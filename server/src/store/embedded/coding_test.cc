#include "store/embedded/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace tapistry::store {
namespace {

TEST(CodingTest, FixedAndVarintRoundTrip) {
  std::string buf;
  PutFixed8(&buf, 0xab);
  PutFixed16(&buf, 0xbeef);
  PutFixed32(&buf, 0xdeadbeef);
  PutFixed64(&buf, 0x0123456789abcdefULL);
  const uint64_t varints[] = {
      0, 1, 127, 128, 300, 1ULL << 35, std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : varints) PutVarint64(&buf, v);
  PutLengthPrefixed(&buf, "hello");

  ByteReader r(buf);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  uint64_t d;
  ASSERT_TRUE(r.GetFixed8(&a) && r.GetFixed16(&b) && r.GetFixed32(&c) && r.GetFixed64(&d));
  EXPECT_EQ(a, 0xab);
  EXPECT_EQ(b, 0xbeef);
  EXPECT_EQ(c, 0xdeadbeefu);
  EXPECT_EQ(d, 0x0123456789abcdefULL);
  for (uint64_t v : varints) {
    uint64_t got = 0;
    ASSERT_TRUE(r.GetVarint64(&got));
    EXPECT_EQ(got, v);
  }
  std::string_view s;
  ASSERT_TRUE(r.GetLengthPrefixed(&s));
  EXPECT_EQ(s, "hello");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.GetFixed8(&a));
}

TEST(CodingTest, TruncatedInputFailsInsteadOfOverreading) {
  std::string buf;
  PutVarint64(&buf, 1ULL << 40);
  ByteReader r(std::string_view(buf).substr(0, buf.size() - 1));
  uint64_t v;
  EXPECT_FALSE(r.GetVarint64(&v));
  std::string lp;
  PutVarint64(&lp, 100);
  lp += "short";
  ByteReader r2(lp);
  std::string_view s;
  EXPECT_FALSE(r2.GetLengthPrefixed(&s));
  // Eleven continuation bytes: longer than any valid varint.
  std::string bad(11, '\x80');
  ByteReader r3(bad);
  EXPECT_FALSE(r3.GetVarint64(&v));
}

TEST(CodingTest, ZigZagCoversExtremes) {
  const int64_t values[] = {
      0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
}

TEST(CodingTest, ShuffleRoundTrip) {
  std::string in;
  for (int i = 0; i < 40; ++i) in.push_back(static_cast<char>(i * 7));
  std::string shuffled(in.size(), '\0'), back(in.size(), '\0');
  ShuffleBytes(in.data(), 10, 4, shuffled.data());
  EXPECT_EQ(shuffled[1], in[4]);
  UnshuffleBytes(shuffled.data(), 10, 4, back.data());
  EXPECT_EQ(back, in);
}

}  // namespace
}  // namespace tapistry::store
