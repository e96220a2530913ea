// SnapshotService: the DOM snapshots behind the heatmap "snapshot" overlay. The SDK posts a masked
// snapshot of a page (POST /s, public key like /i, admitted by ingest/admission.h before the body
// is inflated); the service keeps the latest per (project, path, viewport bucket) in the
// BlobStore; the dashboard reads it back through the authorized API (GET /api/snapshot).
//
// What is accepted (docs/api.md "Snapshots"): a page URL on one of the project's allowed origins;
// for a project without an allowlist, the request's Origin must be the page URL's origin and one
// the project's events have come from (Admission::EventOriginSeen). Stored as the HTML as sent plus
// a small meta object (never re-escaped: stored bytes ≈ the decompressed input), at most
// kMaxSnapshotsPerProject pages and kMaxSnapshotBytesPerProject bytes per project, refused with
// 503 when the disk is nearly full, deleted after kSnapshotRetentionMs without a refresh (Sweep).
//
// Before capturing, the SDK asks GET /s whether the server wants one: the answer is "no" only when
// the server holds a snapshot of the very structure the caller sees (its hash) from the last day,
// so the answer tells nothing about a page to someone who cannot see it; a different structure is
// taken at most once an hour (POST answers 202 either way, and stores only what the rule allows).
// Everything is rendered only in a sandboxed, script-less frame under the dashboard's CSP.
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/reply.h"
#include "common/route.h"
#include "ingest/admission.h"
#include "ops/metrics.h"
#include "tapistry/blob_store.h"
#include "tapistry/clock.h"

namespace tapistry {

struct SnapshotOptions {
  // Free bytes on the filesystem holding the blobs; nullptr = unlimited (tests inject a full disk).
  std::function<uint64_t()> free_bytes;
  uint64_t min_free_bytes = 512ull << 20;
  size_t max_per_project = 0;          // 0 = limits::kMaxSnapshotsPerProject
  uint64_t max_bytes_per_project = 0;  // 0 = limits::kMaxSnapshotBytesPerProject
};

class SnapshotService {
 public:
  SnapshotService(BlobStore* blobs, Admission* admission, MetricsRegistry* metrics, Clock* clock,
                  SnapshotOptions opts = {});

  // POST /s (admitted; body inflated).
  Reply Ingest(const RouteCall& call);
  // GET /s?k=KEY&u=PAGE_URL&w=VIEWPORT_WIDTH&h=STRUCTURE_HASH -> {"want":bool} (admitted).
  Reply Wanted(const RouteCall& call);
  // The stored snapshot as JSON for (project, path, bucket); without a bucket, the widest stored.
  Result<std::string> Get(const std::string& project_id, const std::string& path,
                          std::optional<uint8_t> bucket);
  // {"exists":bool,"captured_at":ms}
  std::string StatusJson(const std::string& project_id, const std::string& path,
                         std::optional<uint8_t> bucket);
  // Deletes snapshots not refreshed for kSnapshotRetentionMs; returns how many pages went.
  Result<size_t> Sweep();

  // What is known of the stored snapshot of a (project, path, bucket): when it was captured and
  // the page-structure hash the SDK computed then.
  struct Stored {
    int64_t captured_at = 0;
    int64_t hash = 0;
    uint64_t bytes = 0;
  };
  static constexpr int64_t kRefreshMs = 24 * 3600 * 1000;  // older than this: want a new one
  static constexpr int64_t kChangedMs = 3600 * 1000;       // a new structure replaces one this old
  // GET /s: no only for the same structure captured less than kRefreshMs ago.
  static bool WantSnapshot(const std::optional<Stored>& stored, int64_t now_ms, int64_t hash);
  // POST /s: store unless a snapshot of another structure was stored less than kChangedMs ago.
  static bool ShouldStore(const std::optional<Stored>& stored, int64_t now_ms, int64_t hash);

 private:
  struct Usage {
    size_t pages = 0;
    uint64_t bytes = 0;
  };
  std::string Base(const std::string& project_id, const std::string& path, uint8_t bucket) const;
  std::optional<Stored> ReadMeta(const std::string& base);
  // The project's usage, loaded from the blob store on first use.
  Result<Usage> UsageOf(const std::string& project_id);
  Reply Refuse(int status, const char* code, const std::string& reason);

  BlobStore* blobs_;
  Admission* admission_;
  MetricsRegistry* metrics_;
  Clock* clock_;
  SnapshotOptions opts_;
  std::mutex mu_;  // guards usage_ and serializes stores per process (the cap check + put)
  std::unordered_map<std::string, Usage> usage_;
};

}  // namespace tapistry
