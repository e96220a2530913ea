// AssetUrl: the absolute http(s) URLs the asset fetcher accepts, and the helpers that build the
// proxy URLs rewritten stylesheets point at. Parsing goes through libcurl's own URL parser, so the
// host the address guard checks is exactly the host libcurl then connects to (no parser
// differential between check and use).
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tapistry/status.h"

namespace tapistry::assetcache {

struct AssetUrl {
  std::string url;     // canonical (libcurl's form, lowercase host, default port and fragment
                       // dropped): the cache key and what is fetched
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase; an IPv6 literal keeps its brackets
  int port = 0;        // explicit or the scheme's default
  std::string origin;  // scheme://host[:port] as a browser serializes it (default port omitted)
};

// InvalidArgument for anything but an absolute http(s) URL of at most kMaxUrlLength bytes with a
// plain host: other schemes, credentials, IPv6 zone ids, control characters, hosts with
// characters outside [A-Za-z0-9._-] (IDNs must arrive as punycode), port 0.
Result<AssetUrl> ParseAssetUrl(std::string_view url);

// Resolves a URL as written in a stylesheet (CSS escapes already decoded) against the
// stylesheet's URL the way a browser does for http(s): surrounding spaces and control characters
// trimmed, tabs and newlines dropped, '\' read as '/' before the query. nullopt when the result
// is not an acceptable AssetUrl (javascript:, file:, data:, empty, malformed, ...).
std::optional<std::string> ResolveAssetUrl(std::string_view base, std::string_view ref);

// The form origins are compared in ("http://127.0.0.1:8080", "https://example.com"): lowercase,
// default port dropped, no path. "" for anything that is not an exact http(s) origin, wildcards
// included: an allowlist entry like "https://*.example.com" exempts nothing from the guard.
std::string NormalizeOrigin(std::string_view origin);

// Percent-encodes every byte but RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view s);

// `<base_path>?url=<percent-encoded absolute_url>` ('&' instead of '?' when base_path already has
// a query), plus `&d=<depth>` when depth > 0 (the @import depth, docs/assets.md).
std::string ProxyUrl(std::string_view base_path, std::string_view absolute_url, int depth);

}  // namespace tapistry::assetcache
