#include "assetcache/ip_address.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <utility>

namespace tapistry::assetcache {
namespace {

AddressClass ClassOf(const char* text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip ? Classify(*ip) : AddressClass::kPublic;
}

TEST(IpClassifierTest, ClassifiesIpv4Ranges) {
  const std::pair<const char*, AddressClass> cases[] = {
      {"8.8.8.8", AddressClass::kPublic},           {"93.184.216.34", AddressClass::kPublic},
      {"0.0.0.0", AddressClass::kUnspecified},      {"0.255.1.2", AddressClass::kUnspecified},
      {"127.0.0.1", AddressClass::kLoopback},       {"127.255.255.254", AddressClass::kLoopback},
      {"10.0.0.1", AddressClass::kPrivate},         {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},   {"172.15.255.255", AddressClass::kPublic},
      {"172.32.0.0", AddressClass::kPublic},        {"192.168.1.1", AddressClass::kPrivate},
      {"192.169.0.1", AddressClass::kPublic},       {"169.254.169.254", AddressClass::kLinkLocal},
      {"100.64.0.1", AddressClass::kSharedCgnat},   {"100.127.255.255", AddressClass::kSharedCgnat},
      {"100.128.0.0", AddressClass::kPublic},       {"100.63.255.255", AddressClass::kPublic},
      {"224.0.0.1", AddressClass::kMulticast},      {"239.255.255.250", AddressClass::kMulticast},
      {"255.255.255.255", AddressClass::kReserved}, {"240.0.0.1", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kReserved},       {"198.18.0.1", AddressClass::kReserved},
      {"203.0.113.9", AddressClass::kReserved},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(AddressClassName(ClassOf(text)), std::string(AddressClassName(want))) << text;
  }
}

TEST(IpClassifierTest, ClassifiesIpv6RangesAndEmbeddedIpv4) {
  const std::pair<const char*, AddressClass> cases[] = {
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001:80b::200e", AddressClass::kPublic},
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"[::1]", AddressClass::kLoopback},
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456::1", AddressClass::kPrivate},
      {"fec0::1", AddressClass::kPrivate},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"ff02::1", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kReserved},
      {"2001:0:4136:e378::1", AddressClass::kReserved},  // Teredo
      {"100::1", AddressClass::kReserved},               // discard-only
      {"4000::1", AddressClass::kReserved},              // outside 2000::/3
      // IPv4-mapped: the kernel connects to the IPv4 address.
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:7f00:1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:100.64.0.1", AddressClass::kSharedCgnat},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:224.0.0.1", AddressClass::kMulticast},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      // IPv4-compatible, NAT64 and 6to4 forms.
      {"::127.0.0.1", AddressClass::kLoopback},
      {"::8.8.8.8", AddressClass::kReserved},
      {"64:ff9b::10.0.0.1", AddressClass::kPrivate},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"2002:7f00:1::", AddressClass::kLoopback},
      {"2002:c0a8:101::1", AddressClass::kPrivate},
      {"2002:808:808::1", AddressClass::kPublic},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(AddressClassName(ClassOf(text)), std::string(AddressClassName(want))) << text;
  }
}

TEST(IpClassifierTest, ParsesStrictlyAndRoundTrips) {
  EXPECT_FALSE(IpAddress::Parse("0x7f.1"));  // legacy forms are the URL parser's business
  EXPECT_FALSE(IpAddress::Parse("2130706433"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::Parse(""));
  EXPECT_FALSE(IpAddress::Parse("[]"));
  EXPECT_FALSE(IpAddress::Parse("fe80::1%eth0"));
  EXPECT_EQ(IpAddress::Parse("127.0.0.1")->family, AF_INET);
  EXPECT_EQ(IpAddress::Parse("[::1]")->family, AF_INET6);
  EXPECT_EQ(IpAddress::Parse("::ffff:127.0.0.1")->ToString(), "::ffff:127.0.0.1");
  EXPECT_EQ(IpAddress::Parse("10.0.0.1")->ToString(), "10.0.0.1");
  EXPECT_EQ(*IpAddress::Parse("::1"), *IpAddress::Parse("[0:0::1]"));

  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0x0a000001);
  auto ip = IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&in), sizeof(in));
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->ToString(), "10.0.0.1");
  EXPECT_FALSE(IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&in), 4));
}

}  // namespace
}  // namespace tapistry::assetcache
