#include "ingest/enrich.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

TEST(UserAgentTest, DesktopChromeOnWindows) {
  auto i = ParseUserAgent(
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/126.0.0.0 Safari/537.36");
  EXPECT_EQ(i.device_class, DeviceClass::kDesktop);
  EXPECT_EQ(i.browser, "Chrome");
  EXPECT_EQ(i.os, "Windows");
  EXPECT_FALSE(i.bot);
}

TEST(UserAgentTest, IphoneSafariAndIpad) {
  auto p = ParseUserAgent(
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Version/17.5 Mobile/15E148 Safari/604.1");
  EXPECT_EQ(p.device_class, DeviceClass::kMobile);
  EXPECT_EQ(p.browser, "Safari");
  EXPECT_EQ(p.os, "iOS");
  auto t = ParseUserAgent(
      "Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/16.0 Mobile/15E148 Safari/604.1");
  EXPECT_EQ(t.device_class, DeviceClass::kTablet);
  auto a = ParseUserAgent(
      "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/120.0 Safari/537.36");
  EXPECT_EQ(a.device_class, DeviceClass::kTablet);
}

TEST(UserAgentTest, EdgeAndFirefox) {
  EXPECT_EQ(
      ParseUserAgent(
          "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0")
          .browser,
      "Edge");
  EXPECT_EQ(ParseUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
                .browser,
            "Firefox");
}

TEST(BotScoreTest, ScoresCrawlersAndHeadless) {
  auto g =
      ParseUserAgent("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
  EXPECT_TRUE(g.bot);
  EXPECT_GE(BotScore(g, {}), 90);
  auto h = ParseUserAgent(
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36");
  EXPECT_GE(BotScore(h, {}), 90);
  auto human = ParseUserAgent(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/17.5 Safari/605.1.15");
  EXPECT_EQ(BotScore(human, {}), 0);
  BotSignals wd;
  wd.webdriver = true;
  EXPECT_GE(BotScore(human, wd), 80);
  EXPECT_GE(BotScore(ParseUserAgent("curl/8.0"), {}), 90);
}

TEST(GeoIpTest, ResolvesPublicAddressesAndNotPrivateOnes) {
  GeoIpResolver geo;
  ASSERT_TRUE(geo.Loaded()) << "Debian's geoip-database must be installed (scripts/setup)";
  EXPECT_EQ(geo.Country("8.8.8.8"), "US");
  EXPECT_EQ(geo.Country("127.0.0.1"), "");
  EXPECT_EQ(geo.Country("10.1.2.3"), "");
  EXPECT_EQ(geo.Country("not-an-ip"), "");
}

}  // namespace
}  // namespace tapistry
