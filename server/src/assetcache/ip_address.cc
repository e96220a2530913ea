#include "assetcache/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace tapistry::assetcache {
namespace {

bool InPrefix(const uint8_t* addr, std::initializer_list<uint8_t> prefix, int bits) {
  const uint8_t* p = prefix.begin();
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (p[i] & mask)) return false;
  }
  return true;
}

AddressClass ClassifyV4(const uint8_t* a) {
  if (a[0] == 0) return AddressClass::kUnspecified;
  if (a[0] == 127) return AddressClass::kLoopback;
  if (a[0] == 10 || InPrefix(a, {172, 16}, 12) || InPrefix(a, {192, 168}, 16)) {
    return AddressClass::kPrivate;
  }
  if (InPrefix(a, {169, 254}, 16)) return AddressClass::kLinkLocal;
  if (InPrefix(a, {100, 64}, 10)) return AddressClass::kSharedCgnat;
  if (InPrefix(a, {224}, 4)) return AddressClass::kMulticast;
  if (InPrefix(a, {240}, 4) ||                                         // future use + broadcast
      InPrefix(a, {192, 0, 0}, 24) || InPrefix(a, {192, 0, 2}, 24) ||  // IETF, TEST-NET-1
      InPrefix(a, {192, 88, 99}, 24) ||                                // old 6to4 relays
      InPrefix(a, {198, 18}, 15) ||                                    // benchmarking
      InPrefix(a, {198, 51, 100}, 24) || InPrefix(a, {203, 0, 113}, 24)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

AddressClass ClassifyV6(const uint8_t* a) {
  static constexpr uint8_t kZero[16] = {};
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d.
  if (std::memcmp(a, kZero, 12) == 0) {
    if (std::memcmp(a + 12, kZero, 3) == 0 && a[15] <= 1) {
      return a[15] == 0 ? AddressClass::kUnspecified : AddressClass::kLoopback;
    }
    const AddressClass embedded = ClassifyV4(a + 12);
    return embedded == AddressClass::kPublic ? AddressClass::kReserved : embedded;
  }
  // ::ffff:0:0/96 (IPv4-mapped): the kernel connects to the IPv4 address.
  if (std::memcmp(a, kZero, 10) == 0 && a[10] == 0xff && a[11] == 0xff) return ClassifyV4(a + 12);
  // 64:ff9b::/96 (NAT64): the translator connects to the embedded IPv4 address.
  if (InPrefix(a, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return ClassifyV4(a + 12);
  // 2002::/16 (6to4) carries an IPv4 address in bits 16..47.
  if (InPrefix(a, {0x20, 0x02}, 16)) return ClassifyV4(a + 2);
  if (InPrefix(a, {0xfc}, 7) || InPrefix(a, {0xfe, 0xc0}, 10)) return AddressClass::kPrivate;
  if (InPrefix(a, {0xfe, 0x80}, 10)) return AddressClass::kLinkLocal;
  if (a[0] == 0xff) return AddressClass::kMulticast;
  // Only 2000::/3 is allocated global unicast; inside it 2001::/23 (IETF assignments, Teredo)
  // and 2001:db8::/32 (documentation) are not web servers.
  if (!InPrefix(a, {0x20}, 3) || InPrefix(a, {0x20, 0x01, 0x00}, 23) ||
      InPrefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) {
    return AddressClass::kReserved;
  }
  return AddressClass::kPublic;
}

}  // namespace

const char* AddressClassName(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic:
      return "public";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kSharedCgnat:
      return "shared (CGNAT)";
    case AddressClass::kMulticast:
      return "multicast";
    case AddressClass::kReserved:
      return "reserved";
  }
  return "reserved";
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  IpAddress ip;
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof(in));
    ip.family = AF_INET;
    std::memcpy(ip.bytes.data(), &in.sin_addr, 4);
    return ip;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    sockaddr_in6 in6;
    std::memcpy(&in6, sa, sizeof(in6));
    ip.family = AF_INET6;
    std::memcpy(ip.bytes.data(), &in6.sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return "";
  if (inet_ntop(family, bytes.data(), buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

AddressClass Classify(const IpAddress& a) {
  if (a.family == AF_INET) return ClassifyV4(a.bytes.data());
  if (a.family == AF_INET6) return ClassifyV6(a.bytes.data());
  return AddressClass::kReserved;
}

}  // namespace tapistry::assetcache
