// ReplayService: session replay chunks from POST /r to the BlobStore and the replay index, and
// back out through the read API (docs/replay.md, docs/api.md "Replays").
//
// Ingest (the request was admitted by ingest/admission.h — key, origin, IP and project rates —
// and inflated, bounded, by the router): the body is parsed (replay_chunk.h, 400/413); the chunk
// is keyed by (project, session, chunk_index). Under the session's lock: a chunk already stored
// under the key answers 200 when its content is the same (a retry; the index entry is re-added,
// which is idempotent, so a crash between the blob and the index is repaired by the retry) and
// 409 when it differs; a new chunk must fit the session's byte cap (ProjectSettings::
// replay_session_kb; past it 429, and the session is marked truncated) and its rate
// (kReplaySessionChunksPerSecond, 429 with Retry-After), and the disk must have room (503).
// Then the chunk is written gzip-compressed with BlobStore::PutIfAbsent — which fsyncs the file
// and its directory before it returns — and added to the MetaStore's replay index (SQLite,
// synchronous=FULL). Only then does the answer say 200: a 2xx means durable.
//
// Ingest blocks on fsync: call it off the HTTP I/O threads (replay_routes.cc does).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "common/reply.h"
#include "common/route.h"
#include "ingest/rate_limiter.h"
#include "ops/metrics.h"
#include "replay/replay_chunk.h"
#include "tapistry/blob_store.h"
#include "tapistry/clock.h"
#include "tapistry/funnel.h"
#include "tapistry/meta_store.h"

namespace tapistry {

struct ReplayOptions {
  // Free bytes on the filesystem holding the blobs; nullptr = unlimited (tests inject a full disk).
  std::function<uint64_t()> free_bytes;
  uint64_t min_free_bytes = 512ull << 20;
  int zlib_level = 6;
  // Called after a new chunk is durable (not for a duplicate), with its project and its stored
  // content (the header line, then one event per line): the replay asset prefetch. Must not block.
  std::function<void(const std::string& project_id, const std::string& content)> on_stored;
  // "The sessions that did X" (EventStore::FunnelMembers with one step), for the list's filters
  // by page, clicked element, device and country; null: the list refuses those filters.
  std::function<Result<FunnelMembersResult>(const FunnelMembersQuery&)> funnel_members;
};

class ReplayService {
 public:
  ReplayService(BlobStore* blobs, MetaStore* meta, RateLimiter* limiter, MetricsRegistry* metrics,
                Clock* clock, ReplayOptions opts = {});

  // POST /r (admitted: call.project is set; body inflated). Blocks until the chunk is durable.
  Reply Ingest(const RouteCall& call);

  // GET /api/replays?project_id=&limit=&from=&to=[&path=&match=][&selector=][&device=][&country=]
  // : the project's recorded sessions, newest first; with filters, those whose events show them.
  Reply List(const RouteCall& call);
  // GET /api/replays/<session>?project_id= : the session and its chunks;
  // GET /api/replays/<session>/chunks/<i>?project_id= : the stored chunk (gzip JSONL), whole or
  // the byte range a Range header asks for.
  Reply Read(const RouteCall& call);

  // Deletes a recorded session: its chunks' blobs first, then its index rows, so that a pass
  // interrupted in between leaves the session listed (and is finished by the next pass), never
  // blobs nobody can find. False when the session was not indexed.
  Result<bool> DeleteSession(const std::string& project_id, const std::string& session_id);
  // Retention (ProjectSettings::replay_retention_days): deletes the project's sessions whose
  // first event is older than `days` before now; returns how many.
  Result<uint64_t> ApplyRetention(const std::string& project_id, int days);

 private:
  enum class Stored { kAbsent, kSame, kDifferent, kUnreadable };
  Stored Compare(const std::string& key, const std::string& content);
  Reply Accepted(const ReplayChunk& chunk, bool duplicate);
  Reply Refuse(int status, const char* code, const std::string& reason);
  std::mutex& SessionLock(const std::string& project_id, const std::string& session_id);
  // The list's filters (path, match, selector, device, country): the ids of the sessions that
  // show them in the list's days (the latest kMaxFunnelMembers), or nullopt without filters.
  Result<std::optional<std::unordered_set<std::string>>> MatchingSessions(
      const RouteCall& call, const ReplayListOptions& opts) const;

  BlobStore* blobs_;
  MetaStore* meta_;
  RateLimiter* limiter_;
  MetricsRegistry* metrics_;
  Clock* clock_;
  ReplayOptions opts_;
  Counter* stored_;
  Counter* duplicates_;
  Counter* stored_bytes_;
  // Serializes a session's cap check and write (striped: sessions share 64 locks).
  std::array<std::mutex, 64> session_locks_;
};

}  // namespace tapistry
