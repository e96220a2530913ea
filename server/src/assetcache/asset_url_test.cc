#include "assetcache/asset_url.h"

#include <gtest/gtest.h>

#include <string>

namespace tapistry::assetcache {
namespace {

TEST(AssetUrlTest, ParsesToTheCanonicalFormLibcurlFetches) {
  auto u = ParseAssetUrl("HTTP://CDN.Example.COM:80/a/../b.png?x=1#frag");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->url, "http://cdn.example.com/b.png?x=1");
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "cdn.example.com");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->origin, "http://cdn.example.com");

  auto v6 = ParseAssetUrl("https://[::1]:8443/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 8443);
  EXPECT_EQ(v6->origin, "https://[::1]:8443");

  // Legacy IPv4 spellings arrive as the dotted quad the guard then classifies.
  EXPECT_EQ(ParseAssetUrl("http://0x7f.1:81/")->host, "127.0.0.1");
  EXPECT_EQ(ParseAssetUrl("http://2130706433/")->host, "127.0.0.1");
  EXPECT_EQ(ParseAssetUrl("http://a.example/é b")->url, "http://a.example/%c3%a9%20b");
}

TEST(AssetUrlTest, RefusesWhatIsNotPlainHttp) {
  for (const char* url :
       {"", "file:///etc/passwd", "ftp://a.example/", "javascript:alert(1)", "data:,x", "/relative",
        "//a.example/x", "http://u:p@a.example/", "http://@a.example/", "http://[fe80::1%25eth0]/",
        "http://é.example/", "http://*.a.example/", "http://a.example:0/",
        "http://a.example:99999/", "http://a.\x01example/"}) {
    EXPECT_EQ(ParseAssetUrl(url).status().code(), StatusCode::kInvalidArgument) << url;
  }
}

TEST(AssetUrlTest, ResolvesReferencesLikeABrowser) {
  const char* base = "https://cdn.example.com/css/site.css?v=3";
  const std::pair<const char*, const char*> cases[] = {
      {"a.png", "https://cdn.example.com/css/a.png"},
      {"../img/a.png", "https://cdn.example.com/img/a.png"},
      {"/a.png", "https://cdn.example.com/a.png"},
      {"//other.example/a.png", "https://other.example/a.png"},
      {"  a.png\n", "https://cdn.example.com/css/a.png"},
      {"a\t.p\nng", "https://cdn.example.com/css/a.png"},
      {"..\\img\\a.png", "https://cdn.example.com/img/a.png"},
      {"a.png?q=a\\b", "https://cdn.example.com/css/a.png?q=a\\b"},
      {"http://other.example/x.woff2#iefix", "http://other.example/x.woff2"},
      {"a b.png", "https://cdn.example.com/css/a%20b.png"},
  };
  for (const auto& [ref, want] : cases) {
    EXPECT_EQ(ResolveAssetUrl(base, ref).value_or("(none)"), want) << ref;
  }
  for (const char* ref : {"", "  ", "javascript:alert(1)", "data:image/png;base64,AA", "file:///x",
                          "http://user:pw@a.example/"}) {
    EXPECT_FALSE(ResolveAssetUrl(base, ref)) << ref;
  }
}

TEST(AssetUrlTest, NormalizesExactOriginsOnly) {
  EXPECT_EQ(NormalizeOrigin("HTTP://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(NormalizeOrigin("https://Example.com:443"), "https://example.com");
  EXPECT_EQ(NormalizeOrigin("http://[::1]:3000"), "http://[::1]:3000");
  for (const char* o : {"*", "https://*.example.com", "https://example.com/path", "example.com", "",
                        "https://example.com?x", "ftp://example.com"}) {
    EXPECT_EQ(NormalizeOrigin(o), "") << o;
  }
}

}  // namespace
}  // namespace tapistry::assetcache
