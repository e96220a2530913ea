// Every limit the asset fetcher applies to untrusted input, in one place: the snapshot (and so
// every URL, redirect, stylesheet and response the fetcher sees) is written by whoever can post to
// a project's public key, so nothing here may depend on the other side being polite.
// docs/assets.md explains each rule.
// Thread-safety: constants only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapistry::assetcache {

// One fetch (all redirect hops together, DNS included as far as the system resolver allows).
inline constexpr int64_t kFetchTimeoutMs = 5000;
// Redirects followed; each hop's host is checked by the address guard again.
inline constexpr int kMaxRedirects = 3;
// Response body after content decoding; a transfer past it is aborted, a Content-Length past it
// is refused before any body byte is read.
inline constexpr size_t kMaxAssetBytes = 5 << 20;
// Longer URLs are refused (as request) or become about:invalid (inside a stylesheet).
inline constexpr size_t kMaxUrlLength = 4096;
// Addresses kept from one DNS answer (all of them are checked; more is never legitimate).
inline constexpr size_t kMaxResolvedAddresses = 16;

// @import chains: a stylesheet fetched at depth d has its imports rewritten with &d=d+1; the
// proxy refuses d > kMaxImportDepth and the rewriter writes about:invalid instead of such a link.
inline constexpr int kMaxImportDepth = 3;
// url() / @import / image-set() strings in one stylesheet; more is refused (real ones have
// hundreds at most; the bound keeps resolving and the cached index small).
inline constexpr size_t kMaxCssUrls = 10000;
// A rewritten stylesheet (every URL grows into a proxy URL) is refused past this size.
inline constexpr size_t kMaxRewrittenCssBytes = 16 << 20;

// The cache: total bytes kept (bodies, URLs, index) and how long an entry lives.
inline constexpr size_t kDefaultCacheBytes = 64 << 20;
inline constexpr int64_t kCacheTtlMs = 3600 * 1000;
// Failed fetches (dead host, 404, refused content type, too large) are remembered this long so a
// page full of broken links does not hammer one host.
inline constexpr int64_t kNegativeTtlMs = 60 * 1000;

// Sent on every request; no cookies, no Referer, nothing else that identifies the analyst.
inline constexpr const char* kUserAgent = "TapistryAssetFetcher/1";

}  // namespace tapistry::assetcache
