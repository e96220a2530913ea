// ProjectCache: resolves public keys and project ids to Projects without a MetaStore round trip
// on every request. Entries live `ttl_ms` so settings and origin changes apply within seconds.
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "tapistry/clock.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class ProjectCache {
 public:
  ProjectCache(MetaStore* meta, Clock* clock, int64_t ttl_ms = 5000)
      : meta_(meta), clock_(clock), ttl_ms_(ttl_ms) {}

  // Unauthenticated when the key is unknown.
  Result<std::shared_ptr<const Project>> ByKey(const std::string& public_key);
  // True when some project allows `origin` (CORS preflights carry no key).
  bool AnyProjectAllowsOrigin(const std::string& origin);
  void Invalidate();

 private:
  struct Entry {
    std::shared_ptr<const Project> project;  // null = known-unknown key
    int64_t expires_ms;
  };
  MetaStore* meta_;
  Clock* clock_;
  int64_t ttl_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> by_key_;
  std::unordered_map<std::string, std::pair<bool, int64_t>> origins_;
};

// True when `origin` ("https://example.com[:port]") may send events to `p`: an empty allowlist
// allows every origin; entries match exactly, or "*.example.com" matches subdomains.
bool OriginAllowed(const Project& p, const std::string& origin);

}  // namespace tapistry
