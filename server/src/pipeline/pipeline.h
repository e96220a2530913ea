// Pipeline: the single path from a validated batch of events to the EventSink (the EventStore's
// write side, tapistry/event_sink.h; DESIGN §2, §4).
//
//   Submit ─ admission (backpressure) ─ dedupe (48 h event_id window) ─ encode ─┐
//                                                                               ▼ queue
//   writer thread: take everything queued ─ Wal::Append (one write + one fdatasync) ─
//                  sink->Append(events, seq) per record, in seq order ─ done(Ok)
//   maintenance thread: retry store appends that failed, expire the dedupe window,
//                       Wal::DropThrough(sink->PersistedSeq())
//
// Invariants (tested in pipeline_test.cc):
//  * done(Ok) is called only after the batch's record is fdatasync'd in the WAL (or, for a batch
//    of duplicates only, after every batch queued before it is): a 2xx is durable.
//  * After a crash, Open replays exactly the WAL records above sink->PersistedSeq(), and filters
//    them through the rebuilt dedupe set, so nothing acknowledged is lost and nothing is stored
//    twice; a client retry after the restart is counted as duplicates.
//  * Records reach sink->Append in seq order, and never one before all earlier ones succeeded,
//    so PersistedSeq never passes a record the store has not taken (DropThrough is then safe).
//  * A write/fdatasync failure fails the group being written and every batch queued behind it
//    (one of them may hold duplicates of the failed ids) and gives their ids back to the dedupe
//    set, so the client's retry is stored.
//  * A transient sink->Append failure after the fsync does not fail the batch (it is durable):
//    the records are kept in memory and retried in order, and Submit sheds load (Unavailable)
//    until they are in. A permanent one (InvalidArgument, TooLarge: the store will never take
//    these events) is not retried, so one bad batch cannot wedge ingestion or start-up: the batch
//    gets that error (a 4xx, which clients do not retry) and is counted in store_rejected_events;
//    replay skips such records the same way.
//
// Thread-safety: Submit and Stats may be called from any number of threads. `done` runs either
// inline in Submit (rejections, empty batches) or on the writer thread, so it must be cheap and
// must not call Submit or Close. Close may be called once from any thread (later calls return
// the first result); the destructor calls it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/dedupe_set.h"
#include "pipeline/latency_histogram.h"
#include "pipeline/wal.h"
#include "tapistry/clock.h"
#include "tapistry/event.h"
#include "tapistry/event_sink.h"
#include "tapistry/status.h"

namespace tapistry {

struct PipelineOptions {
  std::string wal_dir;        // <data>/wal
  EventSink* sink = nullptr;  // not owned; must outlive the pipeline (event_sink.h)
  Clock* clock = nullptr;     // nullptr = SystemClock(); dedupe window and disk-check pacing
  // Encoded bytes queued but not yet fsync'd; a Submit that would pass it gets Unavailable.
  size_t max_pending_bytes = 64 << 20;
  // Below this free space on the WAL's filesystem (minus what is pending), Submit is refused.
  uint64_t min_free_disk_bytes = 512ull << 20;
  uint64_t wal_segment_bytes = 64ull << 20;
  // Period of the maintenance thread (real time); 0 = no thread, the owner calls
  // RunMaintenance() (tests).
  int64_t maintenance_interval_ms = 1000;
  // Free disk space is measured at most this often (clock MonoNs), not on every Submit.
  int64_t disk_check_interval_ms = 1000;
  DedupeSetOptions dedupe;
  // Free bytes on the filesystem holding `dir`; nullptr = env->FreeSpace. Tests inject a full disk.
  std::function<Result<uint64_t>(const std::string& dir)> free_disk_bytes;
  // The WAL's file system (WalOptions::env); nullptr = PosixEnv(). Tests inject faults here.
  Env* env = nullptr;
};

struct SubmitResult {
  size_t stored = 0;      // events written to the WAL by this call
  size_t duplicates = 0;  // events dropped because their event_id was already accepted
};

// Why a Submit was refused without writing; indexes PipelineStats::rejected.
enum class RejectReason : uint8_t {
  kPendingBytes = 0,  // queue over max_pending_bytes (the disk cannot keep up)
  kDiskFull,          // free space under min_free_disk_bytes
  kStoreUnavailable,  // sink->Append is failing; records wait in memory for it
  kWalFailed,         // the WAL could not roll back a failed write; restart needed
  kShuttingDown,      // Close() has begun
  kTooLarge,          // one batch encodes to more than a WAL record may hold
};
inline constexpr size_t kRejectReasonCount = 6;
const char* RejectReasonName(RejectReason reason);

struct PipelineStats {
  // WAL
  uint64_t wal_files = 0;
  uint64_t wal_bytes = 0;          // bytes in WAL files now
  uint64_t wal_bytes_written = 0;  // since Open
  uint64_t wal_records = 0;        // records written since Open
  uint64_t wal_fsyncs = 0;         // group commits
  uint64_t wal_write_failures = 0;
  uint64_t wal_files_dropped = 0;
  uint64_t wal_last_seq = 0;
  LatencySnapshot fsync_latency;
  // Queue and outcomes
  uint64_t pending_bytes = 0;     // queued or being written, not yet fsync'd
  uint64_t batches_accepted = 0;  // Submit calls queued
  uint64_t events_stored = 0;     // events acknowledged as durable
  uint64_t duplicates_dropped = 0;
  uint64_t batches_failed = 0;  // done() got a write error
  uint64_t store_append_failures = 0;
  uint64_t unapplied_records = 0;      // durable, waiting for sink->Append to succeed
  uint64_t store_rejected_events = 0;  // refused by the store for good (see the header comment)
  std::array<uint64_t, kRejectReasonCount> rejected{};
  // Dedupe
  uint64_t dedupe_ids = 0;
  uint64_t dedupe_memory_bytes = 0;
  uint64_t dedupe_expired_ids = 0;
  uint64_t dedupe_early_evicted_ids = 0;
  // Recovery at Open
  uint64_t recovered_records = 0;       // valid WAL records found
  uint64_t replayed_records = 0;        // ... with seq above the store's PersistedSeq
  uint64_t replayed_events = 0;         // events handed to sink->Append by the replay
  uint64_t replay_duplicates = 0;       // replayed events the store already had
  uint64_t replay_rejected_events = 0;  // replayed events the store refused for good (skipped)
  uint64_t recovery_truncated_bytes = 0;
  uint64_t recovery_skipped_bytes = 0;
};

class Pipeline {
 public:
  // Rebuilds the dedupe set from sink->ScanEventIds(now - window) and the WAL, replays WAL
  // records with seq > sink->PersistedSeq() into sink->Append, then starts the threads.
  static Result<std::unique_ptr<Pipeline>> Open(const PipelineOptions& options);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Drops events whose event_id was accepted within the dedupe window (also repeats inside the
  // batch and ids another in-flight Submit holds), queues the rest for the WAL, and returns.
  // done(Ok, result) once they are fsync'd and handed to the store; done(error, {}) when the
  // write failed (ids released: the client should retry) or the batch was refused up front
  // (Unavailable / TooLarge, nothing written).
  void Submit(std::vector<Event> events, std::function<void(Status, SubmitResult)> done);

  // Stops accepting, drains the queue (every done is called), retries pending store appends,
  // flushes the store, closes the WAL and drops every file the store now covers.
  Status Close();

  // One pass of the background work: retry failed store appends, expire the dedupe window,
  // DropThrough(sink->PersistedSeq()). Safe to call at any time.
  Status RunMaintenance();

  // Makes the log hold nothing the store already has (DSAR delete, docs/api.md): seals the
  // active WAL file, waits until every record written so far reached the store, flushes the
  // store and deletes every WAL file it now covers. On Ok no WAL file holds a record written
  // before the call, so rows the store deleted before it cannot come back and leave no bytes
  // in the log. Unavailable when the store does not take them within `timeout_ms`.
  Status RetireWal(int64_t timeout_ms = 10000);

  PipelineStats Stats() const;

 private:
  struct Pending {
    std::vector<Event> events;  // the kept (new) events only
    std::string payload;        // their encoded WAL record payload; empty when all duplicates
    std::function<void(Status, SubmitResult)> done;
    SubmitResult result;
  };
  struct Unapplied {
    std::vector<Event> events;
    uint64_t seq = 0;
  };

  explicit Pipeline(const PipelineOptions& options);
  Status Recover();
  void WriterLoop();
  void MaintenanceLoop();
  // Returns the reason to refuse `bytes` more, or nullopt; mu_ held.
  std::optional<RejectReason> AdmitLocked(size_t bytes);
  void Reject(RejectReason reason, const std::function<void(Status, SubmitResult)>& done,
              std::string message);
  // Ok when the store took the record or it waits in unapplied_ (transient failure); the
  // store's error when it refused the record for good.
  Status ApplyToStore(std::vector<Event> events, uint64_t seq);
  Status RetryUnapplied();

  const PipelineOptions options_;
  EventSink* const sink_;
  Clock* const clock_;
  DedupeSet dedupe_;
  std::unique_ptr<Wal> wal_;
  WalRecoveryStats recovery_;

  // Queue. Dedupe decisions and enqueueing happen together under mu_, so a batch that saw an
  // id as a duplicate is always queued behind the batch that holds it (see the failure rule).
  mutable std::mutex mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  size_t pending_bytes_ = 0;  // guarded by mu_; mirrored in pending_bytes_stat_
  bool closing_ = false;
  int64_t disk_checked_mono_ns_ = 0;
  bool disk_checked_ = false;
  uint64_t free_disk_bytes_ = UINT64_MAX;

  // Store application, in seq order.
  std::mutex apply_mu_;
  std::deque<Unapplied> unapplied_;
  std::atomic<bool> store_degraded_{false};
  // Highest seq handed to the store (taken, or refused for good); guarded by apply_mu_.
  uint64_t applied_through_ = 0;

  std::thread writer_;
  std::thread maintenance_;
  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stop_maintenance_ = false;

  std::mutex close_mu_;
  bool closed_ = false;
  Status close_status_;

  std::atomic<uint64_t> pending_bytes_stat_{0};
  std::atomic<uint64_t> batches_accepted_{0};
  std::atomic<uint64_t> events_stored_{0};
  std::atomic<uint64_t> duplicates_dropped_{0};
  std::atomic<uint64_t> batches_failed_{0};
  std::atomic<uint64_t> store_append_failures_{0};
  std::atomic<uint64_t> unapplied_records_{0};
  std::atomic<uint64_t> store_rejected_events_{0};
  std::array<std::atomic<uint64_t>, kRejectReasonCount> rejected_{};
  uint64_t replayed_records_ = 0;
  uint64_t replayed_events_ = 0;
  uint64_t replay_duplicates_ = 0;
  uint64_t replay_rejected_events_ = 0;
};

}  // namespace tapistry
