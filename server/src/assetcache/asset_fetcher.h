// AssetFetcher: fetches one asset (a stylesheet, image or font a snapshot points at) over
// HTTP(S) with libcurl, behind the address guard. For every hop (the URL, then each of at most
// kMaxRedirects redirects) it resolves the host itself, refuses non-public addresses unless the
// hop's origin is exempt, and pins libcurl to exactly the addresses it checked (CURLOPT_RESOLVE,
// and an open-socket callback that refuses any other address), so a DNS answer that changes
// between check and connect cannot reach anything the check did not see. GET only, no cookies,
// no Referer, no proxy from the environment, a fixed User-Agent; kFetchTimeoutMs for the whole
// chain; bodies past kMaxAssetBytes aborted; only stylesheet, raster image and font types kept.
// Thread-safety: Fetch may be called concurrently; each call uses its own libcurl handles.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assetcache/asset_limits.h"
#include "assetcache/asset_url.h"
#include "assetcache/ip_address.h"
#include "tapistry/status.h"

namespace tapistry::assetcache {

struct FetchedAsset {
  std::string content_type;  // as the proxy serves it: ServedContentType()
  std::string body;
  std::string final_url;  // after redirects: stylesheets resolve their URLs against it
};

// What one Fetch did, whether it succeeded or not.
struct FetchTrace {
  bool guard_refused = false;  // the address guard said no: depends on the policy, never cached
  // Origins of hops that reached a non-public address because they were exempt; a cached result
  // may only be served to callers that exempt them too.
  std::vector<std::string> exempted_origins;
  int requests = 0;     // HTTP requests sent
  int connections = 0;  // sockets opened (0 when the guard refused before connecting)
};

// Host name -> addresses. The default (empty) is the system resolver (getaddrinfo); tests inject
// fixed answers. Never called for IP literals.
using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
Result<std::vector<IpAddress>> SystemResolve(const std::string& host);

struct FetcherOptions {
  int64_t timeout_ms = kFetchTimeoutMs;
  Resolver resolver;
};

class AssetFetcher {
 public:
  explicit AssetFetcher(FetcherOptions options = {});

  // `exempt(origin)`: true when a hop of that origin may reach non-public addresses.
  // Errors: PermissionDenied (address guard; content type), TooLarge, NotFound (upstream 4xx and
  // other non-200 answers, too many or unusable redirects), Unavailable (DNS, connect, TLS,
  // timeout, upstream 5xx).
  Result<FetchedAsset> Fetch(const AssetUrl& url,
                             const std::function<bool(const std::string&)>& exempt,
                             FetchTrace* trace) const;

 private:
  FetcherOptions options_;
};

// The media type ("text/css", "image/png", "font/woff2", ...) of a Content-Type header when the
// proxy serves it, nullopt otherwise: text/css, image/* except SVG (it can load and run things),
// font/*, application/font-woff*, application/vnd.ms-fontobject, application/x-font-*.
std::optional<std::string> AllowedMediaType(std::string_view content_type);

// The Content-Type the proxy sends for a fetched body: the media type, and for stylesheets a
// charset the browser decodes exactly as the rewriter scanned the bytes: the upstream charset or
// the sheet's @charset when it is UTF-8 or a single-byte ASCII-compatible encoding, else utf-8
// (a multi-byte or escape-based encoding could hide url( from the rewriter).
std::string ServedContentType(std::string_view media_type, std::string_view content_type,
                              std::string_view body);

}  // namespace tapistry::assetcache
