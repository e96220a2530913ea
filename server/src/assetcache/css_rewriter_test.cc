#include "assetcache/css_rewriter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "assetcache/asset_limits.h"
#include "assetcache/asset_url.h"

namespace tapistry::assetcache {
namespace {

constexpr char kSheet[] = "https://cdn.example.com/css/site.css";
constexpr char kBase[] = "/api/asset";

// The proxy URL the rewriter writes for `url`, spelled out once by hand below.
std::string P(const std::string& url, int depth = 0) { return ProxyUrl(kBase, url, depth); }

std::string Rewrite(const std::string& css, int depth = 0) {
  auto out = RewriteCss(css, kSheet, kBase, depth);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : "";
}

// The invariant the proxy exists for: scanned again, a rewritten stylesheet loads nothing but
// our own proxy path (or about:invalid); everything else it kept loads nothing from elsewhere.
void ExpectOnlyProxied(const std::string& rewritten) {
  auto sites = FindCssUrls(rewritten, "https://dashboard.invalid/");
  ASSERT_TRUE(sites.ok()) << sites.status().ToString();
  for (const CssUrlSite& s : *sites) {
    if (s.target.empty()) continue;  // about:invalid
    EXPECT_TRUE(s.target.starts_with("https://dashboard.invalid/api/asset?url="))
        << s.target << "\nin: " << rewritten;
  }
}

TEST(CssRewriterTest, ProxyUrlEncodesTheAbsoluteUrl) {
  EXPECT_EQ(ProxyUrl("/api/asset", "https://cdn.example.com/img/a.png?v=1&x=2", 0),
            "/api/asset?url=https%3A%2F%2Fcdn.example.com%2Fimg%2Fa.png%3Fv%3D1%26x%3D2");
  EXPECT_EQ(ProxyUrl("/api/asset?p=7", "http://a.b/c.css", 2),
            "/api/asset?p=7&url=http%3A%2F%2Fa.b%2Fc.css&d=2");
}

TEST(CssRewriterTest, RewritesUrlTokensAgainstTheStylesheetUrl) {
  EXPECT_EQ(Rewrite("body{background:url(../img/a.png)}"),
            "body{background:url(\"/api/asset?url=https%3A%2F%2Fcdn.example.com%2Fimg%2Fa.png\")}");
  EXPECT_EQ(Rewrite("a{b:url(x.png)}"),
            "a{b:url(\"" + P("https://cdn.example.com/css/x.png") + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(/root.png)}"),
            "a{b:url(\"" + P("https://cdn.example.com/root.png") + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(//other.example/x.png)}"),
            "a{b:url(\"" + P("https://other.example/x.png") + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(http://other.example:8080/x.png?v=2#frag)}"),
            "a{b:url(\"" + P("http://other.example:8080/x.png?v=2") + "\")}");
}

TEST(CssRewriterTest, QuotedUppercaseAndSpacedForms) {
  const std::string x = P("https://cdn.example.com/css/x.png");
  EXPECT_EQ(Rewrite("a{b:url(\"x.png\")}"), "a{b:url(\"" + x + "\")}");
  EXPECT_EQ(Rewrite("a{b:url('x.png')}"), "a{b:url(\"" + x + "\")}");
  EXPECT_EQ(Rewrite("a{b:URL(x.png)}"), "a{b:url(\"" + x + "\")}");
  EXPECT_EQ(Rewrite("a{b:Url( 'x.png' )}"), "a{b:Url( \"" + x + "\" )}");
  EXPECT_EQ(Rewrite("a{b:url(   x.png   )}"), "a{b:url(\"" + x + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(\n\tx.png\r\n)}"), "a{b:url(\"" + x + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(\n  \"x.png\"\n)}"), "a{b:url(\n  \"" + x + "\"\n)}");
  // A space before the parenthesis makes it no URL at all, for the browser as for us.
  EXPECT_EQ(Rewrite("a{b:url (x.png)}"), "a{b:url (x.png)}");
}

TEST(CssRewriterTest, CommentsLoadNothingAndHideNothing) {
  const std::string x = P("https://cdn.example.com/css/x.png");
  EXPECT_EQ(Rewrite("/* url(evil.png) */a{b:/**/url(x.png)}"),
            "/* url(evil.png) */a{b:/**/url(\"" + x + "\")}");
  // Inside a string or an unquoted url, "/*" is text.
  EXPECT_EQ(Rewrite("a{content:\"/*\"}b{c:url(x.png)}/*\"*/"),
            "a{content:\"/*\"}b{c:url(\"" + x + "\")}/*\"*/");
  EXPECT_EQ(Rewrite("a{b:url(x.png/*)}"),
            "a{b:url(\"" + P("https://cdn.example.com/css/x.png/*") + "\")}");
  EXPECT_EQ(Rewrite("a{} /* never closed url(x.png)"), "a{} /* never closed url(x.png)");
}

TEST(CssRewriterTest, StringsEscapesAndUnterminatedTokens) {
  const std::string y = P("https://cdn.example.com/css/y.png");
  // A URL-looking string is text; its escaped quote does not end it.
  EXPECT_EQ(Rewrite("a{content:\"\\\"url(x.png)\"}b{c:url(y.png)}"),
            "a{content:\"\\\"url(x.png)\"}b{c:url(\"" + y + "\")}");
  EXPECT_EQ(Rewrite("a{content:'it\\'s url(x.png)'}b{c:url(y.png)}"),
            "a{content:'it\\'s url(x.png)'}b{c:url(\"" + y + "\")}");
  // A string broken by a newline ends there (bad string); what follows is CSS again.
  EXPECT_EQ(Rewrite("a{content:\"abc\n}b{c:url(y.png)}"),
            "a{content:\"abc\n}b{c:url(\"" + y + "\")}");
  // An escaped newline continues the string.
  EXPECT_EQ(Rewrite("a{content:\"abc\\\nurl(x.png)\"}"), "a{content:\"abc\\\nurl(x.png)\"}");
  // Unterminated at EOF is still a string / url token to the browser: rewritten and closed.
  EXPECT_EQ(Rewrite("@import \"http://evil.example/x.css"),
            "@import \"" + P("http://evil.example/x.css", 1) + "\"");
  EXPECT_EQ(Rewrite("a{b:url(http://evil.example/x.png"),
            "a{b:url(\"" + P("http://evil.example/x.png") + "\")");
  EXPECT_EQ(Rewrite("a{b:url('http://evil.example/x.png"),
            "a{b:url(\"" + P("http://evil.example/x.png") + "\"");
  // Escaped quotes and CSS escapes inside URLs are decoded before resolving.
  EXPECT_EQ(Rewrite("a{b:url(\"x\\\"y.png\")}"),
            "a{b:url(\"" + P("https://cdn.example.com/css/x\"y.png") + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(ht\\74p://evil.example/e.png)}"),
            "a{b:url(\"" + P("http://evil.example/e.png") + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(a\\)b.png)}"),
            "a{b:url(\"" + P("https://cdn.example.com/css/a)b.png") + "\")}");
  // Escapes in the function name still spell url(.
  EXPECT_EQ(Rewrite("a{b:\\75 rl(y.png)}"), "a{b:url(\"" + y + "\")}");
  EXPECT_EQ(Rewrite("a{b:u\\72l(y.png)}"), "a{b:url(\"" + y + "\")}");
  EXPECT_EQ(Rewrite("a{b:\\55 RL('y.png')}"), "a{b:\\55 RL(\"" + y + "\")}");
}

TEST(CssRewriterTest, BadUrlsAreKeptAndLoadNothing) {
  // A quote, '(' or whitespace inside an unquoted url makes a bad-url token, which loads nothing;
  // what follows its ')' is CSS again.
  const std::string y = P("https://cdn.example.com/css/y.png");
  EXPECT_EQ(Rewrite("a{b:url(x\"z.png) url(y.png)}"), "a{b:url(x\"z.png) url(\"" + y + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(x y.png)} c{d:url(y.png)}"),
            "a{b:url(x y.png)} c{d:url(\"" + y + "\")}");
  EXPECT_EQ(Rewrite("a{b:url(javascript:alert(1))}"), "a{b:url(javascript:alert(1))}");
}

TEST(CssRewriterTest, NumbersBeforeUrlAreDimensions) {
  // "1url(" is the dimension 1url followed by "(": the string inside hides nothing from us.
  const std::string evil = P("http://evil.example/z.png");
  EXPECT_EQ(Rewrite("a{b:1url(x \"y)\" url(http://evil.example/z.png))}"),
            "a{b:1url(x \"y)\" url(\"" + evil + "\"))}");
  EXPECT_EQ(Rewrite("a{b:-1.5e3url(x \"y)\" url(http://evil.example/z.png))}"),
            "a{b:-1.5e3url(x \"y)\" url(\"" + evil + "\"))}");
}

TEST(CssRewriterTest, ImportsCarryTheNextDepth) {
  const std::string a = "https://cdn.example.com/css/a.css";
  EXPECT_EQ(Rewrite("@import \"a.css\";"), "@import \"" + P(a, 1) + "\";");
  EXPECT_EQ(Rewrite("@import url(a.css) screen;"), "@import url(\"" + P(a, 1) + "\") screen;");
  EXPECT_EQ(Rewrite("@import url( 'a.css' ) layer(x);"),
            "@import url( \"" + P(a, 1) + "\" ) layer(x);");
  EXPECT_EQ(Rewrite("@IMPORT/**/'a.css';"), "@IMPORT/**/\"" + P(a, 1) + "\";");
  EXPECT_EQ(Rewrite("@\\69mport \"a.css\";"), "@\\69mport \"" + P(a, 1) + "\";");
  EXPECT_EQ(Rewrite("@import \"a.css\";", 2), "@import \"" + P(a, 3) + "\";");
  EXPECT_EQ(Rewrite("@import \"a.css\";", 3), "@import \"about:invalid\";");
  // Past the import depth, other URLs of the sheet are still proxied.
  EXPECT_EQ(Rewrite("a{b:url(x.png)}", 3),
            "a{b:url(\"" + P("https://cdn.example.com/css/x.png") + "\")}");
  // A data: stylesheet would be parsed unproxied: not kept for @import.
  EXPECT_EQ(Rewrite("@import url(data:text/css,a{});"), "@import url(\"about:invalid\");");
  EXPECT_EQ(Rewrite("@import \"#x\";"), "@import \"about:invalid\";");
}

TEST(CssRewriterTest, NonHttpBecomesAboutInvalidDataAndFragmentsStay) {
  EXPECT_EQ(Rewrite("a{b:url(\"javascript:alert(1)\")}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url(file:///etc/passwd)}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url(ftp://x.example/y)}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url(\"http://user:pw@x.example/y\")}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url()}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url('')}"), "a{b:url(\"about:invalid\")}");
  EXPECT_EQ(Rewrite("a{b:url(data:image/png;base64,AAAA)}"),
            "a{b:url(data:image/png;base64,AAAA)}");
  EXPECT_EQ(Rewrite("a{b:url(\" DATA:image/gif,x\")}"), "a{b:url(\" DATA:image/gif,x\")}");
  EXPECT_EQ(Rewrite("a{filter:url(#blur)}"), "a{filter:url(#blur)}");
}

TEST(CssRewriterTest, ImageSetStringsAreUrlsOtherStringsAreNot) {
  const std::string a = P("https://cdn.example.com/css/a.png");
  const std::string b = P("https://cdn.example.com/css/b.png");
  EXPECT_EQ(Rewrite("a{b:image-set(\"a.png\" 1x, url(b.png) 2x)}"),
            "a{b:image-set(\"" + a + "\" 1x, url(\"" + b + "\") 2x)}");
  EXPECT_EQ(Rewrite("a{b:-webkit-image-set('a.png' 1x)}"),
            "a{b:-webkit-image-set(\"" + a + "\" 1x)}");
  EXPECT_EQ(Rewrite("a{b:image-set(\"a.png\" type(\"image/png\"))}"),
            "a{b:image-set(\"" + a + "\" type(\"image/png\"))}");
  EXPECT_EQ(Rewrite("@font-face{src:url(a.png) format(\"woff2\"),local(\"Foo\")}"),
            "@font-face{src:url(\"" + a + "\") format(\"woff2\"),local(\"Foo\")}");
  EXPECT_EQ(Rewrite("a{content:\"a.png\";quotes:'a.png'}"), "a{content:\"a.png\";quotes:'a.png'}");
}

TEST(CssRewriterTest, ByteOrderMarks) {
  const std::string x = P("https://cdn.example.com/css/x.png");
  EXPECT_EQ(Rewrite("\xEF\xBB\xBFurl(x.png)"), "\xEF\xBB\xBFurl(\"" + x + "\")");
  EXPECT_EQ(RewriteCss("\xFF\xFEu\0r\0l\0", kSheet, kBase, 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RewriteCss("\xFE\xFF\0u", kSheet, kBase, 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CssRewriterTest, BoundsUrlCount) {
  std::string css;
  for (size_t i = 0; i <= kMaxCssUrls; ++i) css += "a{b:url(x.png)}";
  EXPECT_EQ(FindCssUrls(css, kSheet).status().code(), StatusCode::kTooLarge);
  // data: URLs are kept as written and do not count.
  std::string data;
  for (size_t i = 0; i <= kMaxCssUrls; ++i) data += "a{b:url(data:,x)}";
  EXPECT_TRUE(FindCssUrls(data, kSheet).ok());
}

TEST(CssRewriterTest, RewrittenSheetsLoadOnlyThroughTheProxy) {
  const char* cases[] = {
      "a{b:url(x.png)} @import 'i.css'; c{d:image-set('s.png' 1x)}",
      "a{b:1url(x \"y)\" url(http://evil.example/z.png))}",
      "a{content:\"abc\n}b{c:url(http://evil.example/y.png)}",
      "@import url(http://evil.example/i.css",
      "a{b:\\75 rl(http://evil.example/a.png)}",
      "a{b:url(x\"y) url(http://evil.example/b.png)}",
      "<!--a{b:url(http://evil.example/c.png)}-->",
  };
  for (const char* css : cases) ExpectOnlyProxied(Rewrite(css));
}

// Random sheets from CSS's troublesome pieces: whatever the tokenizer makes of them, the result
// of rewriting loads nothing but the proxy.
TEST(CssRewriterTest, RandomSheetsLoadOnlyThroughTheProxy) {
  static const char* kPieces[] = {
      "url(",
      "URL(",
      "\\75 rl(",
      "url( \"",
      "\"",
      "'",
      "\\",
      "\\\"",
      "/*",
      "*/",
      "\n",
      "\r\n",
      "\f",
      ")",
      "(",
      "{",
      "}",
      ";",
      "@import",
      "@\\69mport",
      " ",
      "\t",
      "x.png",
      "http://evil.example/e.png",
      "//evil.example/p.png",
      "1",
      "-",
      "+.5e",
      "#",
      "image-set(",
      "src(",
      "type(",
      "data:",
      "javascript:",
      "\xEF\xBB\xBF",
      "\xC3\xA9",
      "<!--",
      "-->",
      "\\\n",
      "\\a ",
      "%",
      "e",
      ",",
  };
  std::mt19937 rng(20240801);
  std::uniform_int_distribution<size_t> piece(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> length(1, 40);
  for (int i = 0; i < 4000; ++i) {
    std::string css;
    for (int n = length(rng); n > 0; --n) css += kPieces[piece(rng)];
    auto out = RewriteCss(css, kSheet, kBase, i % 4);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ExpectOnlyProxied(*out);
    if (HasFailure()) {
      ADD_FAILURE() << "input: " << css;
      return;
    }
  }
}

}  // namespace
}  // namespace tapistry::assetcache
