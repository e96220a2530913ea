// Server-side enrichment (spec §4.2): device class and browser/OS families from the User-Agent
// (the raw UA is not stored unless the project opts in), country from a trusted proxy header or
// from the client IP via libGeoIP + Debian's geoip-database (the IP itself is never stored), and a
// bot score 0..100.
// Thread-safety: UserAgentInfo/BotScore are pure; GeoIpResolver is safe for concurrent lookups
// after construction (GeoIP databases are opened with GEOIP_MEMORY_CACHE and only read).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tapistry/event.h"

namespace tapistry {

struct UserAgentInfo {
  DeviceClass device_class = DeviceClass::kUnknown;
  std::string browser = "Other";
  std::string os = "Other";
  bool bot = false;       // declares itself a crawler / tool
  bool headless = false;  // HeadlessChrome, PhantomJS, webdriver tools
};

UserAgentInfo ParseUserAgent(std::string_view ua);

// Signals beyond the UA that raise the score.
struct BotSignals {
  bool webdriver = false;  // the SDK saw navigator.webdriver
  bool missing_ua = false;
  bool missing_accept_language = false;
  double ip_rate_ratio = 0;  // requests/s of this IP over its limit (0..1+)
};
uint8_t BotScore(const UserAgentInfo& ua, const BotSignals& signals);

class GeoIpResolver {
 public:
  // Opens the GeoIP country databases (IPv4 and IPv6) under `dir`; a missing database leaves that
  // family unresolved ("" country) rather than failing start-up.
  explicit GeoIpResolver(const std::string& dir = "/usr/share/GeoIP");
  ~GeoIpResolver();
  GeoIpResolver(const GeoIpResolver&) = delete;
  GeoIpResolver& operator=(const GeoIpResolver&) = delete;

  // ISO 3166-1 alpha-2 code, or "" when unknown / private / unresolvable.
  std::string Country(std::string_view ip) const;
  bool Loaded() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapistry
