#include "ingest/url.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

const std::vector<std::string> kAllow = {"utm_source", "utm_medium", "utm_campaign", "variant"};

TEST(UrlTest, SanitizeKeepsAllowlistedParamsOnly) {
  std::string out;
  ASSERT_TRUE(SanitizeUrl(
      "https://Example.com:443/Pricing?utm_source=tw&token=secret&variant=b#top", kAllow, &out));
  EXPECT_EQ(out, "https://example.com/Pricing?utm_source=tw&variant=b");
  ASSERT_TRUE(SanitizeUrl("http://example.com", kAllow, &out));
  EXPECT_EQ(out, "http://example.com/");
}

TEST(UrlTest, SanitizeRejectsNonHttpAndCredentials) {
  std::string out;
  EXPECT_FALSE(SanitizeUrl("javascript:alert(1)", kAllow, &out));
  EXPECT_FALSE(SanitizeUrl("/relative", kAllow, &out));
  EXPECT_FALSE(SanitizeUrl("https://user:pw@example.com/", kAllow, &out));
  EXPECT_FALSE(SanitizeUrl("https://exa\nmple.com/", kAllow, &out));
}

TEST(UrlTest, SanitizeRedactsPiiInPath) {
  std::string out;
  ASSERT_TRUE(
      SanitizeUrl("https://example.com/u/jane@example.com?utm_source=a@b.io", kAllow, &out));
  EXPECT_EQ(out, "https://example.com/u/[email]?utm_source=[email]");
}

TEST(UrlTest, NormalizePathFollowsSpec9) {
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("/Pricing/"), "/pricing");
  EXPECT_EQ(NormalizePath("//docs///Intro"), "/docs/intro");
  EXPECT_EQ(NormalizePath("/index.html"), "/");
  EXPECT_EQ(NormalizePath("/blog/index.htm"), "/blog");
  EXPECT_EQ(NormalizePath("/blog/index"), "/blog");
  EXPECT_EQ(NormalizePath("/index/"), "/");
  EXPECT_EQ(NormalizePath("/caf%C3%A9/%7Euser"), "/caf%C3%A9/~user");
}

TEST(UrlTest, KeepsHashRoutesOnly) {
  std::string out;
  ASSERT_TRUE(SanitizeUrl("https://app.test/#/Settings?tab=1", kAllow, &out));
  EXPECT_EQ(out, "https://app.test/#/Settings");
  ASSERT_TRUE(SanitizeUrl("https://app.test/docs#section-2", kAllow, &out));
  EXPECT_EQ(out, "https://app.test/docs");
  ParsedUrl u;
  ASSERT_TRUE(ParseHttpUrl("https://app.test/App/#!/Users/42/", &u));
  EXPECT_EQ(RoutePath(u), "/app#/users/42");
  ASSERT_TRUE(ParseHttpUrl("https://app.test/#/", &u));
  EXPECT_EQ(RoutePath(u), "/");
  ASSERT_TRUE(ParseHttpUrl("https://app.test/docs#intro", &u));
  EXPECT_EQ(RoutePath(u), "/docs");
}

TEST(UrlTest, HostOfUrl) {
  EXPECT_EQ(UrlHost("https://www.Google.com/search?q=x"), "www.google.com");
  EXPECT_EQ(UrlHost("android-app://com.x"), "");
}

TEST(UrlTest, PathRulesAreStoredPathsWithPlaceholders) {
  for (const char* ok : {"/product/:id", "/blog/*", "/u/:user/posts/:post", "/:lang/pricing", "/*"})
    EXPECT_TRUE(ValidatePathRule(ok).ok()) << ok;
  for (const char* bad :
       {"", "product/:id", "/Product/:id", "/product/:id/", "/product/42", "/a/*/b",
        "/a/:", "/a/:ID", "/a/x:y", "/a/b*", "/a?x=:y", "/a#/:b", "/a/:id b"}) {
    Status s = ValidatePathRule(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("path_rules"), std::string::npos) << s.message();
  }
  EXPECT_FALSE(ValidatePathRule("/" + std::string(kMaxPathRuleBytes, 'a') + "/*").ok());
}

TEST(UrlTest, FirstMatchingPathRuleNamesThePath) {
  const std::vector<std::string> rules = {"/product/:id", "/product/:id/*", "/blog/*",
                                          "/:lang/pricing"};
  auto apply = [&](std::string p) {
    ApplyPathRules(rules, &p);
    return p;
  };
  EXPECT_EQ(apply("/product/42"), "/product/:id");
  EXPECT_EQ(apply("/product/42/reviews/7"), "/product/:id/*");
  EXPECT_EQ(apply("/product"), "/product");  // a placeholder needs a segment
  EXPECT_EQ(apply("/blog"), "/blog");
  EXPECT_EQ(apply("/blog/2026/12/hello"), "/blog/*");
  EXPECT_EQ(apply("/de/pricing"), "/:lang/pricing");
  EXPECT_EQ(apply("/de/pricing/faq"), "/de/pricing/faq");
  EXPECT_EQ(apply("/"), "/");
  // the hash route stays; the rule names the path before it
  EXPECT_EQ(apply("/product/9#/reviews"), "/product/:id#/reviews");
  std::string untouched = "/product/1";
  ApplyPathRules({}, &untouched);
  EXPECT_EQ(untouched, "/product/1");
}

}  // namespace
}  // namespace tapistry
