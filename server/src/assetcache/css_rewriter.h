// CSS rewriting for the asset proxy: finds every place a stylesheet makes the browser load a URL
// — url(...) tokens, url("...") and src("...") functions, the target of @import, the strings
// inside image-set() / -webkit-image-set() / image() — and points each at the proxy
// (`<base_path>?url=<absolute url>`), so that nested loads also go through the fetcher and its
// address guard. What cannot be proxied becomes about:invalid; data: URLs (outside @import) and
// fragment-only references ("#clip", local to the document) are kept as written.
//
// The scanner is the CSS Syntax Level 3 tokenizer (comments, strings, escapes, numbers,
// identifiers, url tokens), not a pattern search: wherever it and the browser disagreed on where a
// token ends, a url( could hide from the rewriter and load from anywhere. Bytes >= 0x80 are
// identifier characters (as in Chromium, Gecko and WebKit); a UTF-8 byte order mark is skipped and
// a UTF-16 one refused, and the proxy serves stylesheets with an ASCII-compatible charset so the
// browser decodes the bytes this scanner saw (asset_fetcher.h, docs/assets.md).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/status.h"

namespace tapistry::assetcache {

// One place in a stylesheet where a URL is loaded.
struct CssUrlSite {
  size_t begin = 0;  // bytes [begin, end) of the stylesheet are replaced
  size_t end = 0;
  bool import = false;     // an @import target: fetched as a stylesheet, one level deeper
  bool url_token = false;  // an unquoted url(...) token, replaced whole by url("..."); else a
                           // string token, replaced by "..."
  std::string target;      // the absolute http(s) URL to proxy; "" = about:invalid
};

// The sites of `css` (as fetched from `stylesheet_url`), in order. TooLarge past kMaxCssUrls
// sites; InvalidArgument for a UTF-16 byte order mark.
Result<std::vector<CssUrlSite>> FindCssUrls(std::string_view css, std::string_view stylesheet_url);

// `css` with each of its `sites` replaced: imports by ProxyUrl(base_path, target, depth + 1)
// (about:invalid past kMaxImportDepth), other sites by ProxyUrl(base_path, target, 0), sites
// without a target by about:invalid. `depth` is the stylesheet's own @import depth (0 for one the
// page links). TooLarge past kMaxRewrittenCssBytes.
Result<std::string> RenderCss(std::string_view css, const std::vector<CssUrlSite>& sites,
                              std::string_view base_path, int depth);

// FindCssUrls + RenderCss; also for inline <style> blocks and style attributes of a snapshot.
Result<std::string> RewriteCss(std::string_view css, std::string_view stylesheet_url,
                               std::string_view base_path, int depth);

}  // namespace tapistry::assetcache
