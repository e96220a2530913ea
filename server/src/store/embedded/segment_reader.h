// Segment: an open, immutable segment file. Opening reads and checks only the footer; columns
// are read on demand (pread + CRC check + zstd decode) into a Columns value the caller owns, so
// nothing is cached beyond one query and memory stays flat however much data is on disk.
// Every byte read is checked: corrupt files produce Status::Corruption, never a crash.
// Thread-safety: immutable after Open; Load may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "store/embedded/columns.h"
#include "store/embedded/file_util.h"
#include "store/embedded/segment_format.h"
#include "tapistry/status.h"

namespace tapistry::store {

// A segment's page-view aggregates (docs/formats/segment.md, "Aggregates").
struct PageviewAggregates {
  std::vector<uint64_t> path_pageviews, path_sessions;  // by path dictionary code
  std::string session_paths;  // raw kSessionPaths stream: per session, n then n path codes
  // Footer totals over the segment's sessions.
  uint64_t sessions_with_pageviews = 0, bounced_sessions = 0, total_duration_ms = 0;
  // Raw kSessionStats stream (three byte-shuffled u32 arrays); read it with SessionStat.
  std::string session_stats;
  size_t sessions = 0;
  enum Field { kPageviews = 0, kFirstTsInDay = 1, kDuration = 2 };
  // One field of one session, straight from the shuffled bytes (no full unshuffle needed).
  uint32_t SessionStat(size_t session, Field f) const {
    const auto* p = reinterpret_cast<const uint8_t*>(session_stats.data()) +
                    static_cast<size_t>(f) * sessions * 4;
    return p[session] | (p[sessions + session] << 8) | (p[2 * sessions + session] << 16) |
           (static_cast<uint32_t>(p[3 * sessions + session]) << 24);
  }
};

class Segment {
 public:
  static Result<std::shared_ptr<Segment>> Open(const std::string& path, Env* env = nullptr);

  const SegmentFooter& footer() const { return footer_; }
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_->size(); }
  uint64_t rows() const { return footer_.rows; }
  // Unique per opened segment in this process (cache keys; never reused, unlike addresses).
  uint64_t serial() const { return serial_; }

  // Decodes the columns in `mask` not yet in out->loaded; sets out->rows.
  Status Load(ColumnMask mask, Columns* out) const;
  // Only the sorted dictionary of session_id or anonymous_id (no per-row data).
  Status LoadUuidDict(ColumnId id, std::vector<Uuid>* dict) const;
  // Only the run lengths of session_id (rows per dictionary entry), checked to cover the rows.
  Status LoadSessionRuns(std::vector<uint32_t>* runs) const;
  // Only the dictionary of a string column (e.g. to turn a path filter into a code).
  Status LoadStringDict(ColumnId id, StringColumn* out) const;
  // The page-view aggregates; path stats are checked against the path dictionary size and the
  // footer's page-view count, session_paths is left for its reader to check.
  Status LoadPageviewAggregates(PageviewAggregates* out) const;
  // The raw (decompressed, checksummed) bytes of one footer aggregate; rollup.h decodes them.
  Status LoadAggregate(StreamKind kind, std::string* raw) const;
  // Decodes every analytics rollup the segment has and checks all of it (order, bounds, sums
  // against the footer) — more than queries check as they read. Tests, fuzzing, tools.
  Status CheckRollups() const;

 private:
  Segment(std::string path, std::unique_ptr<RandomAccessFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  Status ReadStream(const ColumnMeta& c, StreamKind kind, std::string* raw) const;
  Status ReadStream(const StreamMeta& s, std::string* raw) const;
  Status LoadColumn(const ColumnMeta& c, Columns* out) const;

  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  SegmentFooter footer_;
  uint64_t serial_ = 0;
};

}  // namespace tapistry::store
