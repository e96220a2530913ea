#include "ingest/enrich.h"

#include <GeoIP.h>
#include <arpa/inet.h>

#include <algorithm>
#include <mutex>

#include "common/ascii.h"

namespace tapistry {
namespace {

bool Has(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

bool HasCaseless(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return ascii::ToLower(a) == ascii::ToLower(b); });
  return it != hay.end();
}

}  // namespace

UserAgentInfo ParseUserAgent(std::string_view ua) {
  UserAgentInfo info;
  if (ua.empty()) return info;
  static constexpr std::string_view kBotWords[] = {"bot",
                                                   "crawl",
                                                   "spider",
                                                   "slurp",
                                                   "curl/",
                                                   "wget/",
                                                   "python-requests",
                                                   "python-urllib",
                                                   "go-http-client",
                                                   "java/",
                                                   "okhttp",
                                                   "libwww",
                                                   "httpclient",
                                                   "axios/",
                                                   "node-fetch",
                                                   "scrapy",
                                                   "facebookexternalhit",
                                                   "lighthouse",
                                                   "pingdom",
                                                   "uptime"};
  for (std::string_view w : kBotWords) {
    if (HasCaseless(ua, w)) {
      info.bot = true;
      break;
    }
  }
  info.headless = Has(ua, "HeadlessChrome") || Has(ua, "PhantomJS") || Has(ua, "Puppeteer") ||
                  Has(ua, "Playwright") || Has(ua, "Selenium");

  // OS family.
  if (Has(ua, "iPhone") || Has(ua, "iPad") || Has(ua, "iPod")) info.os = "iOS";
  else if (Has(ua, "Android")) info.os = "Android";
  else if (Has(ua, "Windows")) info.os = "Windows";
  else if (Has(ua, "Mac OS X") || Has(ua, "Macintosh")) info.os = "macOS";
  else if (Has(ua, "CrOS")) info.os = "ChromeOS";
  else if (Has(ua, "Linux")) info.os = "Linux";

  // Browser family: order matters, most UAs mention several engines.
  if (Has(ua, "Edg/") || Has(ua, "Edge/") || Has(ua, "EdgA/") || Has(ua, "EdgiOS/"))
    info.browser = "Edge";
  else if (Has(ua, "OPR/") || Has(ua, "Opera")) info.browser = "Opera";
  else if (Has(ua, "SamsungBrowser/")) info.browser = "Samsung Internet";
  else if (Has(ua, "Firefox/") || Has(ua, "FxiOS/")) info.browser = "Firefox";
  else if (Has(ua, "Chrome/") || Has(ua, "CriOS/") || Has(ua, "Chromium/")) info.browser = "Chrome";
  else if (Has(ua, "Safari/") && Has(ua, "Version/")) info.browser = "Safari";

  // Device class: tablets first (iPad, Android without "Mobile"), then phones.
  if (Has(ua, "iPad") || Has(ua, "Tablet") || (info.os == "Android" && !Has(ua, "Mobile"))) {
    info.device_class = DeviceClass::kTablet;
  } else if (Has(ua, "Mobi") || Has(ua, "iPhone") || Has(ua, "iPod") || Has(ua, "Android")) {
    info.device_class = DeviceClass::kMobile;
  } else if (info.os != "Other") {
    info.device_class = DeviceClass::kDesktop;
  }
  return info;
}

uint8_t BotScore(const UserAgentInfo& ua, const BotSignals& s) {
  int score = 0;
  if (ua.bot) score = std::max(score, 95);
  if (ua.headless) score = std::max(score, 90);
  if (s.webdriver) score = std::max(score, 85);
  if (s.missing_ua) score = std::max(score, 70);
  if (s.missing_accept_language) score += 10;
  if (s.ip_rate_ratio > 0.5) score += static_cast<int>(std::min(1.0, s.ip_rate_ratio) * 30);
  return static_cast<uint8_t>(std::clamp(score, 0, 100));
}

struct GeoIpResolver::Impl {
  GeoIP* v4 = nullptr;
  GeoIP* v6 = nullptr;
  // libGeoIP lookups on a memory-cached database only read, but the library keeps no guarantee;
  // a mutex keeps it correct at a cost far below the rest of request handling.
  mutable std::mutex mu;
};

GeoIpResolver::GeoIpResolver(const std::string& dir) : impl_(std::make_unique<Impl>()) {
  std::string v4 = dir + "/GeoIP.dat";
  std::string v6 = dir + "/GeoIPv6.dat";
  impl_->v4 = GeoIP_open(v4.c_str(), GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
  impl_->v6 = GeoIP_open(v6.c_str(), GEOIP_MEMORY_CACHE | GEOIP_SILENCE);
}

GeoIpResolver::~GeoIpResolver() {
  if (impl_->v4) GeoIP_delete(impl_->v4);
  if (impl_->v6) GeoIP_delete(impl_->v6);
}

bool GeoIpResolver::Loaded() const { return impl_->v4 != nullptr; }

std::string GeoIpResolver::Country(std::string_view ip_text) const {
  std::string ip(ip_text);
  if (ip.starts_with("::ffff:") && ip.find('.') != std::string::npos) ip = ip.substr(7);
  const char* code = nullptr;
  in_addr a4;
  in6_addr a6;
  std::lock_guard lock(impl_->mu);
  if (inet_pton(AF_INET, ip.c_str(), &a4) == 1) {
    if (impl_->v4) code = GeoIP_country_code_by_addr(impl_->v4, ip.c_str());
  } else if (inet_pton(AF_INET6, ip.c_str(), &a6) == 1) {
    if (impl_->v6) code = GeoIP_country_code_by_addr_v6(impl_->v6, ip.c_str());
  }
  if (code == nullptr || std::string_view(code).size() != 2 || std::string_view(code) == "--" ||
      std::string_view(code) == "A1" || std::string_view(code) == "A2" ||
      std::string_view(code) == "O1") {
    return "";
  }
  return code;
}

}  // namespace tapistry
