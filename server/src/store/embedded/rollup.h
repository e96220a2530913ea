// Rollups: per-segment aggregates written at flush/compaction time (segment format version 2,
// docs/formats/segment.md §2.8) that answer the dashboard's analytics queries without reading
// rows. Each one is exact: the queries combine them across segments (and with rows scanned from
// the memtable or from segments without them) into exactly what event_store.h defines (and
// server/test/reference_event_store.cc computes by brute force).
//
//  - cells: one entry per (path code, device class, viewport bucket) present in the rows, with
//    the rows, page views and clicks of that combination. Every analytics filter (path, device,
//    viewport bucket) selects whole cells, so everything kept per cell is exact for any filter:
//      - scroll: per cell, the scroll events with depth_pct <= 100 by depth;
//      - fold (v3): per cell, how many of those scroll events have a viewport height, and the
//        sum of their heights (the average fold is sum / count);
//      - tiles: per cell, clicks with a point by 64x64 tile: all, rage, dead;
//      - elements: per cell and selector_hash != 0: clicks, rage, dead, clicks with an element
//        position and the sums of their ex, ey, and the smallest non-empty selector.
//      - grid (v4): per element entry, its attributed clicks by 16x16 grid cell, and per cell
//        the 64x64 tiles of the clicks that are not attributed: all, rage, dead; in chunks of
//        consecutive cells, so one path's element heatmap decompresses only its own chunks.
//  - session attributes: per session (dictionary order) its visitor, device, viewport bucket,
//    country, browser, os, and its first page view (time, row, path, referrer, utm_*), with
//    flags saying which attributes are constant within every session of the segment.
//  - session extra paths: per session, the paths of its non-page-view rows that none of its page
//    views has (page views' paths are in the kSessionPaths aggregate).
//  - session path stats: per (session, path) of those two lists, the page views and the first
//    and last time of the session's rows with that path — what a path filter keeps of a session.
//
// Each rollup's decoder, validator and writer layout are in a file of its own, rollup_*.cc
// (README.md has the map); rollup_internal.h holds what those files share.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/embedded/columns.h"
#include "store/embedded/scratch.h"
#include "store/embedded/segment_format.h"
#include "tapistry/status.h"

namespace tapistry::store {

// Tile lists kept per cell.
enum TileList : int { kTilesAll = 0, kTilesRage = 1, kTilesDead = 2 };
inline constexpr int kGrid = 64;
// The definition's tile of a coordinate (DESIGN §5): min(63, floor(v * 64)) in float.
// `ok` is false when v is outside what a tile index can hold exactly (negative, huge or NaN);
// a segment with such a click keeps no tile rollup and the heatmap scans its rows instead.
inline int TileOf(float v, bool* ok) {
  if (!(v >= 0.0f) || !(v < 1e6f)) {
    *ok = false;
    return 0;
  }
  const int t = static_cast<int>(std::floor(v * 64));
  return t < 63 ? t : 63;
}

// The definition's element grid cell of an attributed click (event_store.h ElementHeatmap):
// gy * 16 + gx, gx = min(15, floor(clamp(ex, 0, 1) * 16)) in float, gy likewise; -1 when ex or
// ey is not finite (such a click is not attributed, whatever its selector_hash).
inline int GridCellOf(float ex, float ey) {
  if (!std::isfinite(ex) || !std::isfinite(ey)) return -1;
  const int gx = static_cast<int>(std::floor(std::clamp(ex, 0.0f, 1.0f) * 16));
  const int gy = static_cast<int>(std::floor(std::clamp(ey, 0.0f, 1.0f) * 16));
  return std::min(gy, 15) * 16 + std::min(gx, 15);
}

// The definition's viewport bucket (tapistry/event.h ViewportBucket), inlined for the writer's
// per-row loops; rollup_test checks that the two agree on every width.
inline uint8_t BucketOfWidth(uint16_t w) {
  return w == 0 ? 255 : w < 480 ? 0 : w < 768 ? 1 : w < 1024 ? 2 : w < 1440 ? 3 : 4;
}

// n values of sizeof(T) bytes, byte-shuffled (coding.h), read in place: a query reads the few
// entries of the cells it selects without unshuffling a whole stream.
template <typename T>
class ShuffledArray {
 public:
  ShuffledArray() = default;
  ShuffledArray(const char* p, size_t n) : p_(reinterpret_cast<const uint8_t*>(p)), n_(n) {}
  size_t size() const { return n_; }
  [[gnu::always_inline]] T operator[](size_t i) const {
    uint64_t v = 0;
    for (size_t b = 0; b < sizeof(T); ++b) v |= static_cast<uint64_t>(p_[b * n_ + i]) << (8 * b);
    if constexpr (std::is_floating_point_v<T>) {
      return std::bit_cast<T>(v);
    } else {
      return static_cast<T>(v);
    }
  }

 private:
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

// Dictionary codes of `width` (1, 2 or 4) bytes each, byte-shuffled, read in place. The caller
// checks a code against its dictionary before using it.
class CodeArray {
 public:
  CodeArray() = default;
  CodeArray(const char* p, size_t n, uint8_t width)
      : p_(reinterpret_cast<const uint8_t*>(p)), n_(n), width_(width) {}
  size_t size() const { return n_; }
  [[gnu::always_inline]] uint32_t operator[](size_t i) const {
    uint32_t v = p_[i];
    for (uint8_t b = 1; b < width_; ++b) v |= static_cast<uint32_t>(p_[b * n_ + i]) << (8 * b);
    return v;
  }

 private:
  const uint8_t* p_ = nullptr;
  size_t n_ = 0;
  uint8_t width_ = 1;
};

// What the decoders check the streams against (from the segment footer).
struct RollupBounds {
  uint64_t rows = 0, pageviews = 0, sessions = 0, visitors = 0;
  uint64_t path_dict = 0, selector_dict = 0, browser_dict = 0, os_dict = 0;
  uint64_t entry_dict[5] = {0, 0, 0, 0, 0};
  uint8_t visitor_width = 1, browser_width = 1, os_width = 1, entry_width[5] = {1, 1, 1, 1, 1};
};
RollupBounds BoundsOf(const SegmentFooter& f);

// SessionAttributes::uniform bits: the attribute has one value over all rows of each session.
enum UniformBit : uint8_t {
  kUniformVisitor = 1,
  kUniformDevice = 2,
  kUniformViewport = 4,
  kUniformCountry = 8,
  kUniformBrowser = 16,
  kUniformOs = 32,
};
// Session-level dimensions' columns, in the order SessionAttributes::entry keeps them.
inline constexpr int kEntryColumns[5] = {kStrPath, kStrReferrer, kStrUtmSource, kStrUtmMedium,
                                         kStrUtmCampaign};

// The cells of a segment, read in place like the entry streams. Entry positions are stored as
// cumulative ends, so a cell's entries are found without summing the cells before it.
struct CellTable {
  ScratchString raw;
  ShuffledArray<uint32_t> path;       // path dictionary code; cells sorted by (path, device, vb)
  ShuffledArray<uint8_t> device, vb;  // DeviceClass number, ViewportBucket(viewport_w)
  ShuffledArray<uint32_t> rows, pageviews, clicks;
  ShuffledArray<uint32_t> scroll_end;    // end of the cell's scroll entries
  ShuffledArray<uint32_t> tiles_end[3];  // end of each tile list (the cell's lists are consecutive)
  ShuffledArray<uint32_t> elements_end;  // end of the cell's element entries
  size_t size() const { return path.size(); }
  // Cells of one path code: [first, second).
  std::pair<size_t, size_t> PathRange(uint32_t path_code) const;
  // Entry index ranges [first, second) of cell c; the caller checks them against the entry count.
  std::pair<uint32_t, uint32_t> ScrollRange(size_t c) const {
    return {c ? scroll_end[c - 1] : 0, scroll_end[c]};
  }
  std::pair<uint32_t, uint32_t> TileRange(size_t c, int list) const {
    const uint32_t start = list > 0 ? tiles_end[list - 1][c] : c ? tiles_end[2][c - 1] : 0;
    return {start, tiles_end[list][c]};
  }
  std::pair<uint32_t, uint32_t> ElementRange(size_t c) const {
    return {c ? elements_end[c - 1] : 0, elements_end[c]};
  }
  // Totals over all cells (the last cumulative end).
  uint32_t scroll_total() const { return size() ? scroll_end[size() - 1] : 0; }
  uint32_t tile_total() const { return size() ? tiles_end[2][size() - 1] : 0; }
  uint32_t element_total() const { return size() ? elements_end[size() - 1] : 0; }
};

// The entry streams keep their decompressed bytes and read entries in place. Decoding checks
// the layout (entry counts against the cells, lengths); the values a query uses to index
// anything (depth, tile, selector code) are checked where they are read.
struct ScrollEntries {
  ScratchString raw;
  ShuffledArray<uint8_t> depth;  // <= 100, ascending within a cell
  ShuffledArray<uint32_t> count;
};

// Per cell (indexed like the cells): scroll events counted in the scroll entries that carry a
// viewport height, and the sum of those heights in CSS px.
struct FoldEntries {
  ScratchString raw;
  ShuffledArray<uint32_t> n;
  ShuffledArray<uint64_t> sum_px;
};

struct TileEntries {
  ScratchString raw;
  ShuffledArray<uint16_t> tile;  // i * 64 + j, ascending within a list
  ShuffledArray<uint32_t> count;
};

inline constexpr uint32_t kNoSelector = UINT32_MAX;
struct ElementEntries {
  ScratchString raw;
  ShuffledArray<uint64_t> hash;  // != 0, ascending within a cell
  ShuffledArray<uint32_t> clicks, rage, dead, with_pos;
  ShuffledArray<double> sum_ex, sum_ey;  // over the clicks with both ex and ey
  ShuffledArray<uint32_t> selector;      // selector dictionary code, or kNoSelector
  size_t size() const { return hash.size(); }
};

// A stream of arrays ("fields") compressed one by one, so a reader decompresses only the fields
// it needs: u8 field count, then per field u8 codec (zstd_codec.h), varint raw length, varint
// stored length, then the fields' stored bytes in order.
class FieldStream {
 public:
  // Parses the header of `bytes` (which must outlive this); every field's raw length must be
  // `rows` times its width in `widths`.
  Status Open(std::string_view bytes, std::span<const uint8_t> widths, size_t rows);
  // The same for fields of different lengths: field f's raw length must be raw_lens[f].
  Status Open(std::string_view bytes, std::span<const uint64_t> raw_lens);
  // Decompresses field f into *out (the exact raw length checked).
  Status Load(int f, std::string* out) const;
  size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    uint8_t codec = 0;
    uint64_t raw_len = 0;
    std::string_view stored;
  };
  std::vector<Slot> slots_;
};
// Appends a FieldStream of `fields` compressed at `level`.
void PutFieldStream(const std::vector<std::string>& fields, int level, std::string* out);

// The kCellGrid rollup (version 4, docs/formats/segment.md 2.8). Its cells are cut into chunks
// of consecutive cells, each compressed on its own, so the element heatmap (always of one path,
// whose cells are consecutive) decompresses only the chunks holding its cells, and of those
// only the element ids and its own click list. Per element entry (kCellElements' order) the
// chunk repeats the hash and selector, so the query needs no other stream than the cells.
inline constexpr size_t kGridChunkBytes = 32 << 10;  // a chunk ends after the cell reaching it
class CellGrid {
 public:
  // One chunk's element ids and one click list (kTilesAll, kTilesRage or kTilesDead), read in
  // place. Indexes are the chunk's own: element e is entry first_element + e of the segment.
  struct Chunk {
    uint32_t first_cell = 0, cells = 0, first_element = 0, elements = 0;
    ShuffledArray<uint64_t> hash;
    ShuffledArray<uint32_t> selector;     // selector dictionary code, or kNoSelector
    ShuffledArray<uint32_t> element_end;  // per element: cumulative end of its grid entries
    ShuffledArray<uint8_t> cell;          // gy * 16 + gx, ascending within an element
    ShuffledArray<uint32_t> count;
    ShuffledArray<uint32_t> cell_end;  // per cell: cumulative end of its unattributed tiles
    ShuffledArray<uint16_t> tile;      // i * 64 + j, ascending within a cell
    ShuffledArray<uint32_t> tile_count;
    ScratchString ids, list;  // the decompressed fields the arrays point into
    // Entry ranges [first, second); the caller checks them against the entry counts.
    std::pair<uint32_t, uint32_t> GridRange(size_t e) const {
      return {e ? element_end[e - 1] : 0, element_end[e]};
    }
    std::pair<uint32_t, uint32_t> TileRange(size_t c) const {
      return {c ? cell_end[c - 1] : 0, cell_end[c]};
    }
  };
  // Reads the chunk table; `cells` (the segment's, decoded) must outlive this.
  Status Open(ScratchString raw, const CellTable& cells);
  size_t size() const { return chunk_end_.size(); }
  // The chunk holding cell c (< the number of cells).
  size_t ChunkOf(uint32_t c) const;
  // Decompresses chunk k's element ids and click list l into *out (checked against the cells).
  Status Load(size_t k, int l, Chunk* out) const;

 private:
  ScratchString raw_;
  const CellTable* cells_ = nullptr;
  std::vector<uint32_t> chunk_end_;  // cumulative cell ends
  std::vector<std::string_view> chunk_bytes_;
};

// Per session (dictionary order). Stored field by field, each array compressed on its own, so a
// query decompresses only the fields it reads (Load).
class SessionAttributes {
 public:
  enum Field : int {
    kVisitor,
    kDevice,
    kViewport,
    kCountry,
    kBrowser,
    kOs,
    kFirstPvOffset,
    kFirstPvRow,
    kEntry0,  // + index in kEntryColumns
    kFieldCount = kEntry0 + 5,
  };
  // Reads the flags and the field table (u8 uniform, then a FieldStream).
  Status Open(ScratchString raw, const RollupBounds& b);
  // Decompresses the fields (once each); their views below are valid after it.
  Status Load(std::initializer_list<Field> fields);

  uint8_t uniform = 0;  // UniformBit
  size_t sessions = 0;
  // Values of the session's first row, except `visitor`: the first page view's when it has one.
  CodeArray visitor;  // anonymous_id dictionary code
  ShuffledArray<uint8_t> device, vb;
  ShuffledArray<uint16_t> country;
  CodeArray browser, os;  // string dictionary codes
  // First page view (sessions with page views; 0 otherwise): ms after the session's first row,
  // its row index within the session's run, and its string dictionary codes (kEntryColumns).
  ShuffledArray<uint32_t> first_pv_offset, first_pv_row;
  CodeArray entry[5];

 private:
  ScratchString raw_;
  FieldStream stream_;
  uint8_t widths_[kFieldCount] = {};
  bool loaded_[kFieldCount] = {};
  ScratchString fields_[kFieldCount];  // decompressed fields
};

// The kSessionStats aggregate (docs/formats/segment.md §2.7) read in place: per session its page
// views, first ts in the day and duration, three shuffled u32 arrays.
struct SessionStatsView {
  ScratchString raw;
  ShuffledArray<uint32_t> pageviews, first_in_day, duration;
};
Status DecodeSessionStats(ScratchString raw, size_t sessions, SessionStatsView* out);

// Per-session lists of path codes (kSessionPaths and kSessionExtraPaths).
struct SessionPathLists {
  std::vector<uint32_t> start;  // sessions + 1 offsets into `codes`
  std::vector<uint32_t> codes;
  [[gnu::always_inline]] std::span<const uint32_t> Of(size_t session) const {
    return {codes.data() + start[session], codes.data() + start[session + 1]};
  }
};

// Per (session, path) pair of a session's page-view paths (kSessionPaths) followed by its other
// paths (kSessionExtraPaths), in that order: what a path filter keeps of the session. A
// FieldStream of three u32 arrays.
class SessionPathStats {
 public:
  enum Field : int { kPageviews, kFirstOffset, kSpan, kFieldCount };
  // `pairs` = the number of codes in kSessionPaths and kSessionExtraPaths together.
  Status Open(ScratchString raw, size_t pairs);
  Status Load(std::initializer_list<Field> fields);
  ShuffledArray<uint32_t> pageviews;  // page views of the session with that path
  // ms after the session's first row of the first row with that path, and from it to the last.
  ShuffledArray<uint32_t> first_offset, span;
  size_t size() const { return pairs_; }

 private:
  ScratchString raw_;
  FieldStream stream_;
  size_t pairs_ = 0;
  bool loaded_[kFieldCount] = {};
  ScratchString fields_[kFieldCount];
};

// Decoders take the raw stream over (the views point into it) and check its layout; entry
// ranges and the values a query indexes with are checked where they are read.
Status DecodeCells(ScratchString raw, CellTable* out);
Status DecodeScroll(ScratchString raw, const CellTable& cells, ScrollEntries* out);
Status DecodeTiles(ScratchString raw, const CellTable& cells, TileEntries* out);
Status DecodeFold(ScratchString raw, const CellTable& cells, FoldEntries* out);
Status DecodeElements(ScratchString raw, const CellTable& cells, ElementEntries* out);
// Everything checked (order, bounds, sums against the cells and the footer): tests and the fuzzer.
Status ValidateCells(const CellTable& cells, const RollupBounds& b);
Status ValidateScroll(const ScrollEntries& e, const CellTable& cells);
Status ValidateTiles(const TileEntries& e, const CellTable& cells);
Status ValidateFold(const FoldEntries& e, const ScrollEntries& scroll, const CellTable& cells);
Status ValidateElements(const ElementEntries& e, const CellTable& cells, const RollupBounds& b);
// Loads every chunk and list of an opened grid and checks them against the element entries they
// are aligned with.
Status ValidateGrid(const CellGrid& g, const ElementEntries& e, const CellTable& cells);
// Loads every field and checks every code (tests and the fuzzer).
Status ValidateSessionAttributes(SessionAttributes* s, const RollupBounds& b);
// The page views per path code of the kPathStats aggregate (its session counts are skipped).
Status DecodePathPageviews(std::string_view raw, const RollupBounds& b, std::vector<uint64_t>* out);
// kSessionPaths and kSessionExtraPaths share a layout.
Status DecodeSessionPathLists(std::string_view raw, const RollupBounds& b, SessionPathLists* out);

// zstd level for rollup streams at most (the segment's level when lower).
inline constexpr int kRollupZstdLevel = 3;

// What the segment writer hands the rollup builder: the rows, their order, and the columns it
// has already put in segment order.
struct RollupInput {
  const Columns* cols = nullptr;
  std::span<const uint32_t> rows;  // the segment's rows (indices into cols), ascending
  std::span<const uint32_t> perm;  // the same rows in segment order (session, ts, event_id)
  std::span<const uint32_t> runs;  // rows per session, in segment order
  // Per row in segment order:
  std::span<const int64_t> ts;
  std::span<const uint8_t> type, device;
  std::span<const uint16_t> viewport_w, country;
  std::vector<uint32_t> visitor;  // segment-local anonymous_id code
  uint64_t visitor_dict = 0;
  int zstd_level = 1;  // for streams compressed field by field (session attributes)
};

// Builds the rollup streams of one segment while the writer encodes it.
class RollupWriter {
 public:
  explicit RollupWriter(RollupInput in);
  // A string column as the writer encodes it: segment-local code per row in segment order, and
  // `remap` from the column's dictionary in `cols` to the segment's (UINT32_MAX = unused).
  void AddStringCodes(int str_col, const std::vector<uint32_t>& codes,
                      const std::vector<uint32_t>& remap, uint64_t dict_size);
  // Appends every rollup this segment gets: kind, bytes, and whether the writer should compress
  // them (false: already compressed inside, field by field).
  struct Stream {
    StreamKind kind;
    std::string bytes;
    bool compress;
  };
  void Finish(std::vector<Stream>* out);

 private:
  void BuildSessionAttributes(std::string* raw);               // rollup_sessions.cc
  void BuildExtraPaths(std::string* raw, std::string* stats);  // rollup_session_paths.cc
  // The six cell rollups in one pass over the rows (rollup_cell_writer.cc).
  void BuildCells(std::vector<Stream>* out);

  RollupInput in_;
  std::vector<uint32_t> run_start_;  // first row of each session (segment order)
  std::vector<uint32_t> first_pv_;   // row of each session's first page view, or UINT32_MAX
  std::vector<uint32_t> path_;       // segment path code per row (segment order)
  std::vector<uint32_t> path_remap_, selector_remap_;
  uint64_t dict_size_[kNumStrings] = {};
  uint8_t uniform_ = 0;
  std::vector<uint32_t> browser_, os_;  // per session
  std::vector<uint32_t> entry_[5];      // per session
};

}  // namespace tapistry::store
