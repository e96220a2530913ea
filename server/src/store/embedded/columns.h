// The schema of the embedded store and the decoded, in-memory form of a partition's columns.
// `Columns` is what every reader works on, whether the rows came from a segment file or from a
// memtable snapshot: the query engine, compaction and DSAR rewrites see one representation.
// Column ids are part of the on-disk format (docs/formats/segment.md): never renumber them.
// Thread-safety: a Columns value is built by one thread and then only read (any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tapistry/event.h"

namespace tapistry::store {

enum class ColumnId : uint8_t {
  kTs = 1,
  kIngest = 2,
  kEventId = 3,
  kSession = 4,
  kAnonymous = 5,
  kType = 6,
  kDevice = 7,
  kCountry = 8,
  kViewportW = 9,
  kViewportH = 10,
  kX = 11,
  kY = 12,
  kEx = 13,
  kEy = 14,
  kSelectorHash = 15,
  kFlags = 16,
  kDepth = 17,
  kBotScore = 18,
  // Dictionary-encoded strings, kFirstString + StringCol.
  kUserId = 19,
  kName = 20,
  kUrl = 21,
  kPath = 22,
  kTitle = 23,
  kReferrer = 24,
  kUtmSource = 25,
  kUtmMedium = 26,
  kUtmCampaign = 27,
  kUtmTerm = 28,
  kUtmContent = 29,
  kBrowser = 30,
  kOs = 31,
  kUa = 32,
  kSelector = 33,
  kProps = 34,
};
inline constexpr int kFirstColumn = 1;
inline constexpr int kLastColumn = 34;
inline constexpr int kFirstString = 19;
inline constexpr int kNumStrings = kLastColumn - kFirstString + 1;

// Index of a string column in Columns::str.
enum StringCol : int {
  kStrUserId = 0,
  kStrName,
  kStrUrl,
  kStrPath,
  kStrTitle,
  kStrReferrer,
  kStrUtmSource,
  kStrUtmMedium,
  kStrUtmCampaign,
  kStrUtmTerm,
  kStrUtmContent,
  kStrBrowser,
  kStrOs,
  kStrUa,
  kStrSelector,
  kStrProps,
};
inline constexpr ColumnId StringColumnId(int s) { return static_cast<ColumnId>(kFirstString + s); }
inline constexpr bool IsStringColumn(ColumnId c) { return static_cast<int>(c) >= kFirstString; }

// A set of columns, bit i = ColumnId i.
using ColumnMask = uint64_t;
inline constexpr ColumnMask Bit(ColumnId c) { return ColumnMask{1} << static_cast<int>(c); }
inline constexpr ColumnMask kAllColumns =
    ((ColumnMask{1} << (kLastColumn + 1)) - 1) & ~ColumnMask{1};

struct StringColumn {
  std::vector<std::string_view> dict;     // may hold values no row uses (after a DSAR delete)
  std::vector<uint32_t> codes;            // per row, < dict.size()
  std::shared_ptr<const void> keepalive;  // owns the bytes `dict` points into
  std::string_view Value(size_t row) const { return dict[codes[row]]; }
};

// Dictionary-encoded UUIDs (session_id, anonymous_id). `dict` is sorted ascending and distinct,
// which lets distinct counts be dictionary sizes and range unions be sorted merges.
struct UuidColumn {
  std::vector<Uuid> dict;
  std::vector<uint32_t> codes;  // per row
  // When the rows are ordered by this column: rows per dictionary entry (sums to the row count).
  // Empty otherwise (memtable snapshots).
  std::vector<uint32_t> runs;
};

struct Columns {
  size_t rows = 0;
  ColumnMask loaded = 0;

  std::vector<int64_t> ts, ingest;
  std::vector<Uuid> event_id;
  UuidColumn session, anonymous;
  std::vector<uint8_t> type, device, flags, depth, bot_score;
  std::vector<uint16_t> country, viewport_w, viewport_h;
  std::vector<float> x, y, ex, ey;  // NaN = null
  std::vector<uint64_t> selector_hash;
  StringColumn str[kNumStrings];

  bool Has(ColumnMask m) const { return (loaded & m) == m; }
  // The row as an Event; every column must be loaded.
  Event ToEvent(size_t row, std::string_view project_id) const;
};

// Columns of fixed-width numbers, for generic encode/decode and min/max.
enum class FixedKind : uint8_t { kNone, kU8, kU16, kU64, kF32 };
FixedKind FixedKindOf(ColumnId c);

}  // namespace tapistry::store
