// Wal: the write-ahead log of accepted event batches (byte format: docs/formats/wal.md).
//
// Segment files `wal-<first seq, 20 digits>.log` under one directory; each holds a 24-byte header
// and records framed as [crc32c][length][seq][type][payload]. Sequence numbers are strictly
// increasing across the whole log (gaps allowed: a failed append consumes its numbers).
// Append writes a whole group of records with one pwrite and one fdatasync (group commit: the
// caller gathers concurrent submitters into one call). Recovery replays every valid record in seq
// order, cuts a torn or corrupt tail off the newest file, and always continues in a new file.
//
// Failure model: when a write or fdatasync fails, Append cuts the file back to the last synced
// length (ftruncate + fdatasync) so the failed records can never be replayed, and reports the
// error; the log stays usable. If even that cut fails, the log becomes failed: every later Append
// returns the same error (a restart recovers, replaying whatever reached the disk intact).
//
// All file-system calls go through WalOptions::env (common/env.h), so tests can fail any of them
// or cut the power (common/fault_injection_env.h).
//
// Thread-safety: Append and Close are serialized by an internal mutex (the pipeline calls Append
// from its one writer thread). DropThrough, LastSeq and Stats may run concurrently with them.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "common/env.h"
#include "pipeline/latency_histogram.h"
#include "tapistry/status.h"

namespace tapistry {

inline constexpr uint32_t kWalFormatVersion = 1;
inline constexpr size_t kWalFileHeaderBytes = 24;
inline constexpr size_t kWalRecordHeaderBytes = 17;
// A record longer than this is rejected on write and treated as corruption on read, so a
// corrupt length field can never make recovery allocate or skip gigabytes.
inline constexpr uint32_t kWalMaxPayloadBytes = 32u << 20;

struct WalOptions {
  std::string dir;
  // Start a new file once the active one holds this many bytes (checked before each group).
  uint64_t segment_bytes = 64ull << 20;
  Env* env = nullptr;  // nullptr = PosixEnv(); tests inject faults here
};

struct WalRecord {
  uint64_t seq = 0;
  uint8_t type = 0;
  std::string_view payload;  // valid only during the replay callback
};

struct WalRecoveryStats {
  uint64_t files = 0;            // segment files read
  uint64_t records = 0;          // valid records handed to the replay callback
  uint64_t last_seq = 0;         // highest valid seq found (0 = none)
  uint64_t truncated_bytes = 0;  // torn or corrupt tail cut from the newest file
  uint64_t skipped_bytes = 0;    // unreadable bytes left at the end of older files
  uint64_t removed_files = 0;    // files without one valid record, deleted
};

struct WalStats {
  uint64_t files = 0;
  uint64_t bytes_on_disk = 0;
  uint64_t bytes_written = 0;  // since Open, headers included
  uint64_t records_written = 0;
  uint64_t fsyncs = 0;  // group commits (each one fdatasync)
  uint64_t write_failures = 0;
  uint64_t files_dropped = 0;
  uint64_t last_seq = 0;
  bool failed = false;
  LatencySnapshot fsync_latency;
};

class Wal {
 public:
  // Called for every valid record in seq order during Open; an error aborts Open with it.
  using ReplayFn = std::function<Status(const WalRecord&)>;

  // Creates `options.dir` if needed, recovers the existing log through `replay`, then opens a new
  // active segment. New records get seqs above both the log's last seq and `min_next_seq - 1`
  // (the caller passes its store's persisted seq + 1, so seqs never go backwards even when every
  // file was already dropped).
  static Result<std::unique_ptr<Wal>> Open(const WalOptions& options, uint64_t min_next_seq,
                                           const ReplayFn& replay, WalRecoveryStats* recovery);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends one record of `type` per payload, with consecutive seqs, in one write and one
  // fdatasync. On success they are durable and *first_seq is the seq of payloads[0].
  Status Append(std::span<const std::string_view> payloads, uint8_t type, uint64_t* first_seq);

  // Deletes, oldest first, every file whose records all have seq <= `seq`. The active file is
  // kept while the log is open.
  Status DropThrough(uint64_t seq);

  // Closes the active file if it holds a record, so that DropThrough can delete it once the store
  // covers it; the next Append starts a new file. Returns the last seq written so far (0 =
  // none). Used to make a DSAR delete final: the deleted events must not stay in the log.
  Result<uint64_t> Seal();

  // Syncs and closes the active file; Append fails afterwards, DropThrough may delete any file.
  Status Close();

  uint64_t LastSeq() const { return last_seq_.load(std::memory_order_acquire); }
  // True once a failed write could not be rolled back (see the failure model above).
  bool Failed() const { return failed_flag_.load(std::memory_order_acquire); }
  WalStats Stats() const;

 private:
  struct Segment {
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;  // 0 = no records yet
    uint64_t bytes = 0;
  };

  explicit Wal(const WalOptions& options);
  Status Recover(uint64_t min_next_seq, const ReplayFn& replay, WalRecoveryStats* recovery);
  Status OpenSegmentLocked(uint64_t first_seq);
  std::string SegmentPath(uint64_t first_seq) const;

  const WalOptions options_;
  Env* const env_;

  std::mutex write_mu_;  // serializes Append and Close; guards the fields below up to files_mu_
  std::unique_ptr<File> file_;  // active segment, null when none
  uint64_t active_bytes_ = 0;   // synced length of the active segment
  uint64_t next_seq_ = 1;
  std::string buffer_;
  Status failed_;  // sticky once a rollback failed
  bool closed_ = false;

  mutable std::mutex files_mu_;   // guards segments_ and active_open_
  std::deque<Segment> segments_;  // ascending seq; back() is the active one while active_open_
  bool active_open_ = false;

  std::atomic<uint64_t> last_seq_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> records_written_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::atomic<uint64_t> write_failures_{0};
  std::atomic<uint64_t> files_dropped_{0};
  std::atomic<bool> failed_flag_{false};
  LatencyHistogram fsync_latency_;
};

}  // namespace tapistry
