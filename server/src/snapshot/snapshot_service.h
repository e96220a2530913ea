// SnapshotService: the DOM snapshots behind the heatmap "snapshot" overlay (issue 4). The SDK
// posts a masked snapshot of a page (POST /s, public key like /i); the service keeps the latest
// per (project, path, viewport bucket) in the BlobStore; the dashboard reads it back through the
// authorized API (GET /api/snapshot). The HTML is stored as sent: it is only ever rendered in a
// sandboxed, script-less iframe under the dashboard's CSP (DESIGN §7).
// Thread-safety: safe for concurrent use.
#pragma once

#include <optional>
#include <string>

#include "common/reply.h"
#include "common/request.h"
#include "ingest/project_cache.h"
#include "ingest/rate_limiter.h"
#include "ops/metrics.h"
#include "tapistry/blob_store.h"
#include "tapistry/clock.h"

namespace tapistry {

inline constexpr size_t kMaxSnapshotBody = 2 << 20;       // as sent (gzip or not)
inline constexpr size_t kMaxSnapshotHtml = 16 << 20;      // after decompression

class SnapshotService {
 public:
  SnapshotService(BlobStore* blobs, ProjectCache* projects, RateLimiter* limiter, MetricsRegistry* metrics,
                  Clock* clock);

  // POST /s. `client_ip` for rate limiting only.
  Reply Ingest(const HttpRequest& req, const std::string& client_ip);
  // The stored snapshot JSON for (project, path, bucket); without a bucket, the widest one stored.
  Result<std::string> Get(const std::string& project_id, const std::string& path, std::optional<uint8_t> bucket);
  // {"exists":bool,"captured_at":ms}
  std::string StatusJson(const std::string& project_id, const std::string& path, std::optional<uint8_t> bucket);

  static std::string Key(const std::string& project_id, const std::string& path, uint8_t bucket);

 private:
  BlobStore* blobs_;
  ProjectCache* projects_;
  RateLimiter* limiter_;
  MetricsRegistry* metrics_;
  Clock* clock_;
};

}  // namespace tapistry
