// IpAddress and the address classifier behind the asset fetcher's SSRF guard: which addresses a
// fetch on behalf of a (forgeable) snapshot may connect to. Only kPublic is reachable unless the
// URL's origin is explicitly allowed (docs/assets.md "Address guard").
// Thread-safety: value types and pure functions.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tapistry::assetcache {

enum class AddressClass {
  kPublic,
  kUnspecified,  // 0.0.0.0/8 ("this network"), ::
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10 (old site-local)
  kLinkLocal,    // 169.254/16 (cloud metadata lives here), fe80::/10
  kSharedCgnat,  // 100.64/10
  kMulticast,    // 224/4, ff00::/8
  kReserved,     // broadcast, 240/4, IETF/benchmark/documentation ranges, IPv6 outside 2000::/3,
                 // Teredo, discard-only, ...: never a web server a page may point at
};

// "public", "loopback", ...
const char* AddressClassName(AddressClass c);

struct IpAddress {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // Strict numeric forms only (inet_pton): "10.0.0.1", "::ffff:127.0.0.1", "[::1]". Legacy IPv4
  // spellings ("0x7f.1", "2130706433") are not addresses here: the URL parser turns them into
  // dotted quads and the resolver answers for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);
  static std::optional<IpAddress> FromSockaddr(const sockaddr* sa, socklen_t len);
  // inet_ntop form, IPv6 without brackets.
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) IPv6 addresses are classified by the IPv4 address they carry.
AddressClass Classify(const IpAddress& a);

}  // namespace tapistry::assetcache
