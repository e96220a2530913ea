// The segment file format (docs/formats/segment.md describes every byte): constants, and the
// footer that indexes a segment's column streams. A segment holds the rows of one (project, UTC
// day), sorted by (session_id, ts_ms, event_id), one or more streams per column.
// Thread-safety: plain value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/embedded/columns.h"
#include "tapistry/status.h"

namespace tapistry::store {

inline constexpr char kSegmentMagic[8] = {'T', 'A', 'P', 'S', 'E', 'G', '\r', '\n'};
// Version 2 added the analytics rollups (aggregate kinds 7-13), version 3 the average fold
// (kind 14), version 4 the element grid (kind 15); older files stay readable (queries scan
// their rows for what they lack).
inline constexpr uint32_t kSegmentVersion = 4;
inline constexpr uint32_t kMinSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 12;   // magic + version
inline constexpr size_t kSegmentTrailerSize = 20;  // footer_len, footer_crc, version, magic
// Bounds that keep a corrupt footer from asking for absurd allocations.
inline constexpr uint64_t kMaxSegmentRows = 1u << 28;
inline constexpr size_t kMaxFooterBytes = 1 << 20;
// Longest string value the store accepts (ingest limits are far lower; Append rejects longer
// ones so the writer never produces a segment the reader would refuse).
inline constexpr size_t kMaxStoredStringBytes = 64 * 1024;
inline constexpr uint64_t kMaxDictBytesPerRow = kMaxStoredStringBytes + 10;

enum class Encoding : uint8_t {
  kDeltaVarint = 1,   // i64: zigzag varint of v[i] - v[i-1], v[-1] = 0
  kOffsetFromTs = 2,  // i64: zigzag varint of v[i] - ts[i]
  kFixed = 3,         // width-byte little-endian values; flag kFlagShuffled = byte-shuffled
  kUuidRuns = 4,      // sorted uuid dictionary + rows per entry (rows sorted by this column)
  kUuidDict = 5,      // sorted uuid dictionary + width-byte codes
  kStringDict = 6,    // string dictionary + width-byte codes
  kNullableF32 = 7,   // present bitmap + shuffled f32 of the present rows
};
inline constexpr uint8_t kFlagShuffled = 1;

enum class StreamKind : uint8_t {
  kData = 0,
  kDict = 1,
  kPresent = 2,
  kRuns = 3,
  // Segment-level page-view aggregates (footer "aggregates" list, not a column):
  kPathStats = 4,     // per path dictionary code: varint page views, varint distinct sessions
  kSessionPaths = 5,  // per session dictionary entry: varint n, then n distinct path codes viewed
  kSessionStats = 6,  // per session: page views, first ts in the day, duration (u32 arrays)
  // Analytics rollups (version 2; rollup.h):
  kCells = 7,       // per (path, device, viewport bucket): rows, page views, clicks, entry counts
  kCellScroll = 8,  // per cell: scroll events by depth
  kCellTiles = 9,   // per cell: click tiles (all, rage, dead); absent when a point has no tile
  kCellElements = 10,  // per cell and selector_hash: clicks, rage, dead, position sums, selector
  kSessionAttributes =
      11,  // per session: visitor, device, viewport, country, browser, os, first page view
  kSessionExtraPaths = 12,  // per session: paths of non-page-view rows its page views lack
  kSessionPathStats = 13,   // per (session, path) of 5 and 12: page views, first and last ts
  kCellFold = 14,           // per cell: scroll events with a viewport height, and its sum (v3)
  kCellGrid = 15,  // per element entry: clicks by 16x16 cell; per cell: unattributed tiles (v4)
};
inline constexpr uint8_t kMaxStreamKind = 15;
inline constexpr uint8_t kMaxAggregates = 12;
// The last aggregate kind a file of `version` may hold.
inline constexpr uint8_t LastStreamKind(uint32_t version) {
  return version >= 4   ? kMaxStreamKind
         : version == 3 ? 14
         : version == 2 ? 13
                        : static_cast<uint8_t>(StreamKind::kSessionStats);
}

struct StreamMeta {
  StreamKind kind = StreamKind::kData;
  uint8_t codec = 0;  // kCompressionNone / kCompressionZstd
  uint64_t offset = 0;
  uint64_t stored_len = 0;
  uint64_t raw_len = 0;
  uint32_t crc = 0;  // CRC-32C of the stored bytes
};

struct ColumnMeta {
  ColumnId id = ColumnId::kTs;
  Encoding encoding = Encoding::kFixed;
  uint8_t width = 0;  // value width (kFixed) or code width (dictionaries): 1, 2, 4, 8 or 16
  uint8_t flags = 0;
  int64_t min = 0, max = 0;  // over all rows, for numeric columns; 0/0 otherwise
  uint64_t dict_size = 0;    // dictionary columns
  uint64_t null_count = 0;   // kNullableF32
  std::vector<StreamMeta> streams;
  const StreamMeta* Find(StreamKind k) const {
    for (const auto& s : streams) {
      if (s.kind == k) return &s;
    }
    return nullptr;
  }
};

struct SegmentFooter {
  std::string project_id;
  int32_t day = 0;
  uint64_t rows = 0;
  int64_t min_ts = 0, max_ts = 0;
  uint64_t pageviews = 0;
  // Over all rows, per session: sessions with >= 1 page view, with exactly 1, and the sum of
  // (last ts - first ts).
  uint64_t sessions_with_pageviews = 0, bounced_sessions = 0, total_duration_ms = 0;
  std::vector<ColumnMeta> columns;
  uint32_t version = kSegmentVersion;
  std::vector<StreamMeta> aggregates;  // kPathStats .. kSessionPathStats, each at most once
  const StreamMeta* FindAggregate(StreamKind k) const {
    for (const auto& s : aggregates) {
      if (s.kind == k) return &s;
    }
    return nullptr;
  }
  const ColumnMeta* Find(ColumnId id) const {
    for (const auto& c : columns) {
      if (c.id == id) return &c;
    }
    return nullptr;
  }
};

void EncodeFooter(const SegmentFooter& f, std::string* out);
// Validates structure and bounds against the file size; never trusts a length. `version` is the
// file's (header and trailer); version 1 footers hold no rollup aggregates.
Status DecodeFooter(std::string_view bytes, uint64_t file_size, uint32_t version, SegmentFooter* f);

}  // namespace tapistry::store
