// AssetCache: the engine behind the dashboard's asset proxy. A DOM snapshot (or, later, a
// session replay) is written by the customer's page — or by anyone holding its public key — so
// the dashboard never lets the analyst's browser load what it points at directly: every
// stylesheet, image and font goes through our own asset path, which calls Get. Get fetches with
// AssetFetcher (address guard, redirect, time, size and content-type limits: asset_fetcher.h),
// rewrites stylesheets so their url()s and @imports come back through the proxy
// (css_rewriter.h), and keeps results in an in-memory LRU bounded by bytes, with a TTL, and
// failures for a short while so a dead host is not hammered. Limits: asset_limits.h. Rules for
// operators: docs/assets.md.
//
// A cached result obtained through an exempt origin (one allowed to resolve to a private address)
// is served only to callers whose policy exempts that origin too.
//
// Thread-safety: safe for concurrent use. The lock guards the index only: Get never holds it while
// resolving, fetching, rewriting or copying a body, so two concurrent misses for one URL may both
// fetch (the second result replaces the first).
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "assetcache/asset_fetcher.h"
#include "assetcache/asset_limits.h"
#include "tapistry/clock.h"
#include "tapistry/status.h"

namespace tapistry::assetcache {

struct Asset {
  std::string content_type;  // serve as is, with X-Content-Type-Options: nosniff
  std::string body;          // stylesheets already rewritten for the caller's base path
  std::string final_url;     // after redirects
};

// What one caller (one project's snapshot view) may fetch, and where its proxy lives.
struct AssetPolicy {
  // The project's allowed origins (Project::allowed_origins, "http://127.0.0.1:8080"): a URL whose
  // origin is listed exactly may resolve to a non-public address, e.g. a staging site on the
  // operator's network. Wildcard entries and "*" exempt nothing, and an empty list exempts nothing
  // (unlike ingest, where it allows every origin). Public addresses need no listing.
  std::vector<std::string> allowed_origins;
  // The proxy route's public path, "/api/asset" (a query is allowed: "/api/asset?p=ID"); it must
  // start with one '/', so rewritten URLs stay on the dashboard's origin. Rewritten stylesheets
  // point at `<base_path>?url=<percent-encoded absolute URL>[&d=<import depth>]`.
  std::string base_path;
};

struct AssetCacheOptions {
  size_t max_bytes = kDefaultCacheBytes;  // bodies, URLs and index together
  int64_t ttl_ms = kCacheTtlMs;
  int64_t negative_ttl_ms = kNegativeTtlMs;
  // Origins exempt from the address guard for every project (an intranet CDN the operator trusts),
  // in the same exact form as AssetPolicy::allowed_origins.
  std::vector<std::string> operator_allowed_origins;
  Clock* clock = nullptr;  // null: SystemClock()
  // For tests: a shorter fetch timeout, a fixed resolver (asset_fetcher.h).
  int64_t fetch_timeout_ms = kFetchTimeoutMs;
  Resolver resolver;
};

struct AssetCacheStats {
  uint64_t hits = 0;           // served from the cache (successes and remembered failures)
  uint64_t negative_hits = 0;  // of which remembered failures
  uint64_t misses = 0;         // fetches started
  uint64_t refused = 0;        // refused by the address guard
  uint64_t requests = 0;       // HTTP requests sent, redirects included
  uint64_t connections = 0;    // sockets opened
  size_t entries = 0;
  size_t bytes = 0;
};

class AssetCache {
 public:
  explicit AssetCache(AssetCacheOptions options = {});
  AssetCache(const AssetCache&) = delete;
  AssetCache& operator=(const AssetCache&) = delete;

  // `url`: the proxy's ?url= (an absolute http(s) URL); `depth`: its &d= (0 when absent).
  // Errors: InvalidArgument (URL, base path, depth past kMaxImportDepth), PermissionDenied
  // (address guard, content type), TooLarge, NotFound (upstream 4xx, redirects), Unavailable
  // (DNS, connect, TLS, timeout, upstream 5xx). Failures other than InvalidArgument and the
  // address guard's are remembered for negative_ttl_ms.
  Result<Asset> Get(const std::string& url, const AssetPolicy& policy, int depth = 0);

  AssetCacheStats Stats() const;

 private:
  struct Cached;  // one fetch's outcome, immutable once cached
  struct Entry {
    std::string key;
    std::shared_ptr<const Cached> value;
    int64_t expires_ms = 0;
    size_t bytes = 0;
  };

  std::shared_ptr<const Cached> Lookup(const std::string& key, int64_t now_ms);
  void Insert(const std::string& key, std::shared_ptr<const Cached> value, int64_t expires_ms);
  bool Exempt(const std::string& origin, const std::vector<std::string>& policy_origins) const;

  AssetCacheOptions options_;
  Clock* clock_;
  std::vector<std::string> operator_origins_;  // normalized
  AssetFetcher fetcher_;

  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;

  std::atomic<uint64_t> hits_{0}, negative_hits_{0}, misses_{0}, refused_{0}, requests_{0},
      connections_{0};
};

}  // namespace tapistry::assetcache
