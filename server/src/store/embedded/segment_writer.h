// Encodes rows of one (project, day) into segment bytes (docs/formats/segment.md) and publishes
// them atomically. Rows are sorted by (session_id, ts_ms, event_id): sessions become runs, and
// the columns that are constant within a session (anonymous id, device, browser, country...)
// compress to almost nothing.
// Thread-safety: stateless; concurrent calls on different files are fine.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/env.h"
#include "store/embedded/columns.h"
#include "store/embedded/segment_format.h"
#include "tapistry/status.h"

namespace tapistry::store {

struct SegmentWriteOptions {
  std::string project_id;
  int32_t day = 0;
  int zstd_level = 1;  // flushes favour speed, compaction favours size
};

// Encodes `rows` of `cols` (every column loaded; uuid dictionaries may be unsorted; every ts in
// `day`) into *out; fills *footer with what was written.
Status EncodeSegment(const Columns& cols, std::span<const uint32_t> rows,
                     const SegmentWriteOptions& opts, std::string* out, SegmentFooter* footer);

// EncodeSegment, then write `path` + ".tmp", fsync, rename to `path`, fsync the directory, all
// through `env` (nullptr = PosixEnv()).
Status WriteSegmentFile(const Columns& cols, std::span<const uint32_t> rows,
                        const SegmentWriteOptions& opts, const std::string& path,
                        SegmentFooter* footer, uint64_t* file_size, Env* env = nullptr);

}  // namespace tapistry::store
