// Every limit on untrusted input, in one place (cpp-httplib habit). Changing one is a product
// decision: docs/ingest.md lists them for operators.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapistry::limits {

// HTTP
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr size_t kMaxIngestBody = 1 << 20;      // POST /i, after decompression
inline constexpr size_t kMaxReplayBody = 4 << 20;      // POST /r, after decompression
inline constexpr size_t kMaxReplayBodySent = 2 << 20;  // POST /r, as sent (gzip or not)
inline constexpr size_t kMaxApiBody = 256 * 1024;      // JSON bodies of the read/admin API
inline constexpr size_t kMaxGzipRatio = 100;           // decompressed / compressed

// POST /i payload
inline constexpr size_t kMaxEventsPerBatch = 500;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxPathBytes = 1024;
inline constexpr size_t kMaxTitleBytes = 512;
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxUserIdBytes = 256;
inline constexpr size_t kMaxSelectorBytes = 256;
inline constexpr size_t kMaxUtmBytes = 256;
inline constexpr size_t kMaxUaBytes = 512;
inline constexpr size_t kMaxPropsBytes = 4096;
inline constexpr size_t kMaxPropsKeys = 50;
inline constexpr uint32_t kMaxViewport = 20000;
// Events whose (skew-corrected) time is further than this from the server's clock are rejected.
inline constexpr int64_t kMaxFutureMs = 5LL * 60 * 1000;
inline constexpr int64_t kMaxPastMs = 7LL * 24 * 3600 * 1000;

// Idempotency window (DESIGN §4).
inline constexpr int64_t kDedupeWindowMs = 48LL * 3600 * 1000;

// Read API query parameters (api/params.h parses every one of them).
inline constexpr int32_t kMaxRangeDays = 400;  // from..to, inclusive
// A millisecond `from` / `to` must lie in [2000-01-01, 2200-01-01): checked in 64 bits before
// it becomes a 32-bit day number.
inline constexpr int64_t kEarliestQueryMs = 946684800000LL;
inline constexpr int64_t kLatestQueryMs = 7258118400000LL;
inline constexpr size_t kMaxQueryParamBytes = 2048;  // any one parameter's value
inline constexpr size_t kMaxListLimit = 1000;        // limit= of list endpoints
inline constexpr size_t kMaxEventsLimit = 100000;    // limit= of /api/events

// Funnels API (api/funnel_json.h). The funnel's own limits (steps, exclusions, window, pattern
// bytes) are tapistry/funnel.h's; these are the API's around them.
inline constexpr size_t kMinFunnelSteps = 2;            // issue 11: a funnel has 2..20 steps
inline constexpr size_t kMaxFunnelLabelBytes = 200;     // a step's display name
inline constexpr size_t kMaxFunnelBreakdownRows = 100;  // breakdown_limit
inline constexpr size_t kMaxFunnelNameBytes = 200;      // a saved funnel's name
inline constexpr size_t kMaxFunnelDefinitionBytes = 64 * 1024;  // a saved definition, as stored
inline constexpr size_t kMaxSavedFunnelsPerProject = 200;
// GET /api/event-names reads at most this many custom events of the range (oldest first) and
// says whether it saw them all.
inline constexpr size_t kMaxEventNameScan = 50000;

// POST /s and GET /s: heatmap page snapshots (snapshot/snapshot_service.h).
inline constexpr size_t kMaxSnapshotBody = 2 << 20;      // as sent (gzip or not)
inline constexpr size_t kMaxSnapshotHtml = 16 << 20;     // after decompression
inline constexpr size_t kMaxSnapshotsPerProject = 5000;  // (path, viewport bucket) pairs kept
inline constexpr uint64_t kMaxSnapshotBytesPerProject = 1ULL << 30;  // stored bytes, all snapshots
inline constexpr int64_t kSnapshotRetentionMs = 30LL * 24 * 3600 * 1000;  // not refreshed: deleted
inline constexpr size_t kMaxSeenOriginsPerProject = 20;  // origins remembered for snapshot checks

// POST /r: replay chunks (replay/replay_chunk.h, docs/replay.md).
inline constexpr size_t kMaxReplayEventsPerChunk = 20000;
inline constexpr size_t kMaxReplayJsonDepth = 1024;              // nesting of one chunk's JSON
inline constexpr int64_t kMaxReplayChunksPerSession = 4000;      // chunk_index < this
inline constexpr int64_t kMaxReplayChunkSpanMs = 3600LL * 1000;  // a chunk's to_ms - from_ms
inline constexpr size_t kMaxReplaySessionIdBytes = 64;
inline constexpr double kReplaySessionChunksPerSecond = 1;  // spec §18
inline constexpr double kReplaySessionChunkBurst = 5;       // a page-exit flush, a retry
inline constexpr int kReplayProjectChunksPerSecond = 500;   // spec §18
inline constexpr int kReplayIpChunksPerSecond = 20;         // a few tabs at 1 chunk/s each
inline constexpr int kDefaultReplaySessionKb = 3072;        // ProjectSettings::replay_session_kb
inline constexpr size_t kMaxReplaySelectors = 50;           // per list, in ProjectSettings
inline constexpr size_t kMaxReplaySelectorBytes = 256;

// Bookmarklet overlay tokens (api/session_auth.h).
inline constexpr int64_t kOverlayTokenTtlMs = 15LL * 60 * 1000;

// Users and sign-in (api/session_auth.h, api/auth_routes.cc; docs/accounts.md).
inline constexpr size_t kMaxEmailBytes = 254;                  // RFC 5321's path limit
inline constexpr size_t kMaxSessionUserAgentBytes = 256;       // kept per dashboard session
inline constexpr int64_t kSignInLinkTtlMs = 15LL * 60 * 1000;  // a mailed link
inline constexpr size_t kMaxSignInTokenBytes = 128;            // longer is not one of ours
inline constexpr double kSignInRequestsPerEmailPerHour = 5;    // POST /auth/request, per address
inline constexpr double kSignInRequestsPerIpPerHour = 30;      // ... and per client IP
inline constexpr double kSignInConfirmsPerIpPerMinute = 10;    // POST /auth/confirm: guesses
inline constexpr size_t kMaxSessionsListed = 100;              // GET /api/me/sessions
inline constexpr size_t kMaxAuthFormBody = 4096;               // /auth/* and session revocation

// Connections (http/http_server.h).
inline constexpr size_t kDefaultMaxConnsPerIp = 256;

}  // namespace tapistry::limits
