// SnapshotService: the DOM snapshots behind the heatmap "snapshot" overlay (issue 4). The SDK
// posts a masked snapshot of a page (POST /s, public key like /i); the service keeps the latest
// per (project, path, viewport bucket) in the BlobStore; the dashboard reads it back through the
// authorized API (GET /api/snapshot). Before capturing, the SDK's snapshot chunk asks GET /s
// whether the server wants one (WantSnapshot), so a busy page is sent about once a day, or an
// hour after its structure changed — not once per visitor. The HTML is stored as sent: it is only ever rendered in a
// sandboxed, script-less iframe under the dashboard's CSP (DESIGN §7).
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
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
  // GET /s?k=KEY&u=PAGE_URL&w=VIEWPORT_WIDTH&h=STRUCTURE_HASH -> {"want":bool}.
  Reply Wanted(const HttpRequest& req, const std::string& client_ip);
  // The stored snapshot JSON for (project, path, bucket); without a bucket, the widest one stored.
  Result<std::string> Get(const std::string& project_id, const std::string& path, std::optional<uint8_t> bucket);
  // {"exists":bool,"captured_at":ms}
  std::string StatusJson(const std::string& project_id, const std::string& path, std::optional<uint8_t> bucket);

  static std::string Key(const std::string& project_id, const std::string& path, uint8_t bucket);

  // What is known of the stored snapshot of a (project, path, bucket): when it was captured and
  // the page-structure hash the SDK computed then (docs/api.md "Snapshots").
  struct Stored {
    int64_t captured_at = 0;
    int64_t hash = 0;
  };
  static constexpr int64_t kRefreshMs = 24 * 3600 * 1000;   // a snapshot older than this: want one
  static constexpr int64_t kChangedMs = 3600 * 1000;        // structure changed and older than this
  // The rule: none stored (or stored before the hash was kept), over a day old, or a different
  // structure and over an hour old (pages that differ on every view still send one an hour).
  static bool WantSnapshot(const std::optional<Stored>& stored, int64_t now_ms, int64_t hash);

 private:
  BlobStore* blobs_;
  ProjectCache* projects_;
  RateLimiter* limiter_;
  MetricsRegistry* metrics_;
  Clock* clock_;

  static std::string MetaKey(const std::string& project_id, const std::string& path, uint8_t bucket);
  // Project, origin and rate-limit checks shared by POST and GET /s; a reply when refused.
  std::optional<Reply> Admit(const std::string& key, const std::string& origin, const std::string& client_ip,
                             std::shared_ptr<const Project>* project, bool query);
};

}  // namespace tapistry
