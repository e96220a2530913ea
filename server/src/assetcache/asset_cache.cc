#include "assetcache/asset_cache.h"

#include <algorithm>

#include "assetcache/asset_url.h"
#include "assetcache/css_rewriter.h"

namespace tapistry::assetcache {
namespace {

// What an index entry costs beyond its strings (list node, map node, control block).
constexpr size_t kEntryOverhead = 256;

std::vector<std::string> NormalizeOrigins(const std::vector<std::string>& origins) {
  std::vector<std::string> out;
  for (const std::string& o : origins) {
    std::string n = NormalizeOrigin(o);
    if (!n.empty()) out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

struct AssetCache::Cached {
  Status status;  // ok, or the remembered failure
  FetchedAsset asset;
  bool css = false;
  std::vector<CssUrlSite> sites;  // where the stylesheet loads URLs, resolved once
  std::vector<std::string> exempted_origins;

  size_t Bytes() const {
    size_t n = kEntryOverhead + status.message().size() + asset.content_type.size() +
               asset.body.size() + asset.final_url.size();
    for (const CssUrlSite& s : sites) n += sizeof(CssUrlSite) + s.target.size();
    for (const std::string& o : exempted_origins) n += o.size();
    return n;
  }
};

AssetCache::AssetCache(AssetCacheOptions options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : SystemClock()),
      operator_origins_(NormalizeOrigins(options_.operator_allowed_origins)),
      fetcher_(FetcherOptions{options_.fetch_timeout_ms, options_.resolver}) {}

bool AssetCache::Exempt(const std::string& origin,
                        const std::vector<std::string>& policy_origins) const {
  auto listed = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), origin) != v.end();
  };
  return listed(policy_origins) || listed(operator_origins_);
}

Result<Asset> AssetCache::Get(const std::string& url, const AssetPolicy& policy, int depth) {
  if (depth < 0 || depth > kMaxImportDepth) {
    return Status::InvalidArgument("@import depth " + std::to_string(depth) + " past " +
                                   std::to_string(kMaxImportDepth));
  }
  if (!policy.base_path.starts_with('/') || policy.base_path.starts_with("//") ||
      policy.base_path.find_first_of("\\\"'() \t\r\n") != std::string::npos) {
    return Status::InvalidArgument("asset proxy base path must be a path on this origin");
  }
  auto parsed = ParseAssetUrl(url);
  if (!parsed.ok()) return parsed.status();
  const std::vector<std::string> policy_origins = NormalizeOrigins(policy.allowed_origins);
  auto covered = [&](const Cached& c) {
    return std::all_of(c.exempted_origins.begin(), c.exempted_origins.end(),
                       [&](const std::string& o) { return Exempt(o, policy_origins); });
  };

  std::shared_ptr<const Cached> cached = Lookup(parsed->url, clock_->NowMs());
  if (cached && !covered(*cached)) cached = nullptr;  // reached by another project's exemption
  if (cached) {
    ++hits_;
    if (!cached->status.ok()) ++negative_hits_;
  } else {
    ++misses_;
    FetchTrace trace;
    auto fetched = fetcher_.Fetch(
        *parsed, [&](const std::string& origin) { return Exempt(origin, policy_origins); }, &trace);
    requests_ += static_cast<uint64_t>(trace.requests);
    connections_ += static_cast<uint64_t>(trace.connections);
    if (trace.guard_refused) {
      ++refused_;
      return fetched.status();  // depends on the caller's policy: not remembered
    }
    auto fresh = std::make_shared<Cached>();
    fresh->exempted_origins = std::move(trace.exempted_origins);
    if (fetched.ok()) {
      fresh->asset = std::move(fetched).value();
      fresh->css = fresh->asset.content_type.starts_with("text/css");
      if (fresh->css) {
        auto sites = FindCssUrls(fresh->asset.body, fresh->asset.final_url);
        if (sites.ok()) {
          fresh->sites = std::move(sites).value();
        } else {
          fresh->status = sites.status();
          fresh->asset = FetchedAsset{};
        }
      }
    } else {
      fresh->status = fetched.status();
    }
    const int64_t ttl = fresh->status.ok() ? options_.ttl_ms : options_.negative_ttl_ms;
    Insert(parsed->url, fresh, clock_->NowMs() + ttl);
    cached = std::move(fresh);
  }

  if (!cached->status.ok()) return cached->status;
  Asset out;
  out.content_type = cached->asset.content_type;
  out.final_url = cached->asset.final_url;
  if (cached->css) {
    auto css = RenderCss(cached->asset.body, cached->sites, policy.base_path, depth);
    if (!css.ok()) return css.status();
    out.body = std::move(css).value();
  } else {
    out.body = cached->asset.body;
  }
  return out;
}

std::shared_ptr<const AssetCache::Cached> AssetCache::Lookup(const std::string& key,
                                                             int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (it->second->expires_ms <= now_ms) {
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void AssetCache::Insert(const std::string& key, std::shared_ptr<const Cached> value,
                        int64_t expires_ms) {
  const size_t bytes = value->Bytes() + 2 * key.size();
  if (bytes > options_.max_bytes) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {  // a concurrent miss got here first
    bytes_ -= it->second->bytes;
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(value), expires_ms, bytes});
  index_.emplace(key, lru_.begin());
  bytes_ += bytes;
  while (bytes_ > options_.max_bytes) {
    Entry& victim = lru_.back();
    bytes_ -= victim.bytes;
    index_.erase(victim.key);
    lru_.pop_back();
  }
}

AssetCacheStats AssetCache::Stats() const {
  AssetCacheStats s;
  s.hits = hits_;
  s.negative_hits = negative_hits_;
  s.misses = misses_;
  s.refused = refused_;
  s.requests = requests_;
  s.connections = connections_;
  std::lock_guard lock(mu_);
  s.entries = index_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace tapistry::assetcache
