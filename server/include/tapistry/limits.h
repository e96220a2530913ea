// Every limit on untrusted input, in one place (cpp-httplib habit). Changing one is a product
// decision: docs/ingest.md lists them for operators.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapistry::limits {

// HTTP
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;
inline constexpr size_t kMaxIngestBody = 1 << 20;           // POST /i, after decompression
inline constexpr size_t kMaxReplayBody = 4 << 20;           // POST /r, after decompression
inline constexpr size_t kMaxApiBody = 256 * 1024;           // JSON bodies of the read/admin API
inline constexpr size_t kMaxGzipRatio = 100;                // decompressed / compressed
inline constexpr int kHeaderTimeoutSec = 10;
inline constexpr int kBodyTimeoutSec = 30;
inline constexpr int kIdleKeepAliveSec = 60;

// POST /i payload
inline constexpr size_t kMaxEventsPerBatch = 500;
inline constexpr size_t kMaxJsonDepth = 16;
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

}  // namespace tapistry::limits
