// libFuzzer target for the stylesheet rewriter: whatever the bytes, rewriting never crashes, and
// the rewritten sheet, scanned again, loads nothing but the proxy path (or about:invalid).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "assetcache/css_rewriter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view css(reinterpret_cast<const char*>(data), size);
  auto out =
      tapistry::assetcache::RewriteCss(css, "https://cdn.example/css/a.css", "/api/asset", 0);
  if (!out.ok()) return 0;
  auto sites = tapistry::assetcache::FindCssUrls(*out, "https://dashboard.invalid/");
  if (!sites.ok()) abort();
  for (const auto& site : *sites) {
    if (!site.target.empty() &&
        !site.target.starts_with("https://dashboard.invalid/api/asset?url="))
      abort();
  }
  return 0;
}
