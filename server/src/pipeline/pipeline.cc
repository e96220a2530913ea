#include "pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "pipeline/event_codec.h"

namespace tapistry {
namespace {

// The store judged the events themselves unacceptable: retrying cannot help.
bool IsPermanentStoreError(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kTooLarge;
}

}  // namespace

const char* RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kPendingBytes:
      return "pending_bytes";
    case RejectReason::kDiskFull:
      return "disk_full";
    case RejectReason::kStoreUnavailable:
      return "store_unavailable";
    case RejectReason::kWalFailed:
      return "wal_failed";
    case RejectReason::kShuttingDown:
      return "shutting_down";
    case RejectReason::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

Pipeline::Pipeline(const PipelineOptions& options)
    : options_(options), sink_(options.sink), clock_(options.clock ? options.clock : SystemClock()),
      dedupe_(options.dedupe) {}

Pipeline::~Pipeline() { (void)Close(); }

Result<std::unique_ptr<Pipeline>> Pipeline::Open(const PipelineOptions& options) {
  if (options.sink == nullptr) return Status::InvalidArgument("pipeline: no event sink");
  if (options.wal_dir.empty()) return Status::InvalidArgument("pipeline: empty wal_dir");
  std::unique_ptr<Pipeline> p(new Pipeline(options));
  TAP_RETURN_IF_ERROR(p->Recover());
  // Recovery replayed (or skipped as already stored) every record the log holds.
  p->applied_through_ = p->wal_->LastSeq();
  p->writer_ = std::thread(&Pipeline::WriterLoop, p.get());
  if (options.maintenance_interval_ms > 0) {
    p->maintenance_ = std::thread(&Pipeline::MaintenanceLoop, p.get());
  }
  return Result<std::unique_ptr<Pipeline>>(std::move(p));
}

Status Pipeline::Recover() {
  const int64_t now = clock_->NowMs();
  const int64_t window = options_.dedupe.window_ms;
  dedupe_.Expire(now);
  const uint64_t persisted = sink_->PersistedSeq();

  // Ids the sink accepted within the window, remembered from when they were accepted (clamped
  // to now: a clock that stepped back must not make an id outlive its window); the WAL below adds
  // the records the sink does not cover yet.
  TAP_RETURN_IF_ERROR(sink_->ScanEventIds(now - window, [&](const Uuid& id, int64_t ingest_ms) {
    (void)dedupe_.Insert(id, std::min(ingest_ms, now));
  }));

  std::vector<Event> events;
  std::vector<Event> kept;
  auto replay = [&](const WalRecord& rec) -> Status {
    const std::string where = "wal record seq " + std::to_string(rec.seq);
    if (rec.type != kWalRecordEventBatchV1) {
      return Status::Corruption(where + " has unknown type " + std::to_string(rec.type) +
                                " (written by a newer version?)");
    }
    int64_t accept_ms = 0;
    Status s = DecodeEventBatch(rec.payload, &accept_ms, &events);
    if (!s.ok()) return Status::Corruption(where + ": " + s.message());
    if (rec.seq <= persisted) {
      for (const Event& e : events) (void)dedupe_.Insert(e.event_id, accept_ms);
      return Status::Ok();
    }
    // Filter through the dedupe set as well: a store that made events durable without yet
    // covering them in PersistedSeq must not receive them twice.
    kept.clear();
    for (Event& e : events) {
      if (dedupe_.Insert(e.event_id, accept_ms)) {
        kept.push_back(std::move(e));
      } else {
        ++replay_duplicates_;
      }
    }
    Status a = sink_->Append(kept, rec.seq);
    if (!a.ok() && IsPermanentStoreError(a)) {
      replay_rejected_events_ += kept.size();
      return Status::Ok();
    }
    if (!a.ok()) return Status(a.code(), "replaying " + where + " into the store: " + a.message());
    ++replayed_records_;
    replayed_events_ += kept.size();
    return Status::Ok();
  };

  WalOptions wal_options;
  wal_options.dir = options_.wal_dir;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  wal_options.env = options_.env;
  auto wal = Wal::Open(wal_options, persisted + 1, replay, &recovery_);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(wal).value();
  return Status::Ok();
}

std::optional<RejectReason> Pipeline::AdmitLocked(size_t bytes) {
  if (closing_) return RejectReason::kShuttingDown;
  if (wal_->Failed()) return RejectReason::kWalFailed;
  if (store_degraded_.load(std::memory_order_acquire)) return RejectReason::kStoreUnavailable;
  if (pending_bytes_ + bytes > options_.max_pending_bytes) return RejectReason::kPendingBytes;

  const int64_t mono = clock_->MonoNs();
  if (!disk_checked_ || mono - disk_checked_mono_ns_ >= options_.disk_check_interval_ms * 1000000) {
    Result<uint64_t> free_bytes =
        options_.free_disk_bytes
            ? options_.free_disk_bytes(options_.wal_dir)
            : (options_.env ? options_.env : PosixEnv())->FreeSpace(options_.wal_dir);
    // An unmeasurable filesystem keeps the last reading rather than refusing all traffic.
    if (free_bytes.ok()) free_disk_bytes_ = free_bytes.value();
    disk_checked_ = true;
    disk_checked_mono_ns_ = mono;
  }
  const uint64_t need = options_.min_free_disk_bytes + pending_bytes_ + bytes;
  if (free_disk_bytes_ < need) return RejectReason::kDiskFull;
  return std::nullopt;
}

void Pipeline::Reject(RejectReason reason, const std::function<void(Status, SubmitResult)>& done,
                      std::string message) {
  rejected_[static_cast<size_t>(reason)].fetch_add(1, std::memory_order_relaxed);
  Status s = reason == RejectReason::kTooLarge ? Status::TooLarge(std::move(message))
                                               : Status::Unavailable(std::move(message));
  done(std::move(s), SubmitResult{});
}

void Pipeline::Submit(std::vector<Event> events, std::function<void(Status, SubmitResult)> done) {
  if (events.empty()) {
    done(Status::Ok(), SubmitResult{});
    return;
  }
  const int64_t now = clock_->NowMs();

  // Encode outside the lock: submitters encode in parallel, the writer only frames and writes.
  std::string payload;
  StartEventBatch(now, &payload);
  std::vector<size_t> ends(events.size());
  std::vector<Uuid> ids(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EncodeEvent(events[i], &payload);
    ends[i] = payload.size();
    ids[i] = events[i].event_id;
  }
  if (payload.size() > kWalMaxPayloadBytes) {
    Reject(RejectReason::kTooLarge, done, "batch encodes to more than 32 MiB");
    return;
  }

  std::vector<uint8_t> inserted;
  std::unique_lock lock(mu_);
  if (std::optional<RejectReason> reason = AdmitLocked(payload.size())) {
    lock.unlock();
    Reject(*reason, done, std::string("ingest pipeline unavailable: ") + RejectReasonName(*reason));
    return;
  }
  const size_t kept = dedupe_.InsertBatch(ids, now, &inserted);
  const size_t duplicates = events.size() - kept;
  if (kept == 0) {
    payload.clear();
    events.clear();
  } else if (duplicates > 0) {
    // Rare (retries): cut the duplicates' bytes out of the payload. Done under the lock so the
    // batch is queued before any failure could release the ids it was compared against.
    std::string compact;
    compact.reserve(payload.size());
    compact.append(payload, 0, kEventBatchHeaderBytes);
    size_t begin = kEventBatchHeaderBytes;
    size_t w = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (inserted[i]) {
        compact.append(payload, begin, ends[i] - begin);
        if (w != i) events[w] = std::move(events[i]);
        ++w;
      }
      begin = ends[i];
    }
    events.resize(w);
    payload.swap(compact);
  }
  Pending p;
  p.events = std::move(events);
  p.payload = std::move(payload);
  p.done = std::move(done);
  p.result.stored = kept;
  p.result.duplicates = duplicates;
  pending_bytes_ += p.payload.size();
  pending_bytes_stat_.store(pending_bytes_, std::memory_order_relaxed);
  queue_.push_back(std::move(p));
  lock.unlock();
  queue_cv_.notify_one();
  batches_accepted_.fetch_add(1, std::memory_order_relaxed);
  duplicates_dropped_.fetch_add(duplicates, std::memory_order_relaxed);
}

void Pipeline::WriterLoop() {
  std::deque<Pending> group;
  std::vector<std::string_view> payloads;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) break;  // closing, and everything queued has been written
      // Group commit: everything that queued up while the previous fdatasync ran goes in one.
      group.swap(queue_);
    }
    payloads.clear();
    size_t bytes = 0;
    for (const Pending& p : group) {
      if (p.payload.empty()) continue;
      payloads.emplace_back(p.payload);
      bytes += p.payload.size();
    }
    uint64_t seq = 0;
    Status s = wal_->Append(payloads, kWalRecordEventBatchV1, &seq);
    if (!s.ok()) {
      std::deque<Pending> failed;
      failed.swap(group);
      const size_t written = failed.size();
      {
        std::lock_guard lock(mu_);
        // A batch queued behind the failed group may have been told "duplicate" about one of
        // its ids; failing it too is what keeps every done(Ok) durable.
        for (Pending& p : queue_) failed.push_back(std::move(p));
        queue_.clear();
        for (const Pending& p : failed) {
          pending_bytes_ -= p.payload.size();
          for (const Event& e : p.events) dedupe_.Erase(e.event_id);
        }
        pending_bytes_stat_.store(pending_bytes_, std::memory_order_relaxed);
      }
      batches_failed_.fetch_add(failed.size(), std::memory_order_relaxed);
      for (size_t i = 0; i < failed.size(); ++i) {
        failed[i].done(i < written ? s : Status::Unavailable("wal write failed; retry"),
                       SubmitResult{});
      }
      continue;
    }
    {
      std::lock_guard lock(mu_);
      pending_bytes_ -= bytes;
      pending_bytes_stat_.store(pending_bytes_, std::memory_order_relaxed);
    }
    for (Pending& p : group) {
      Status applied;
      if (!p.payload.empty()) applied = ApplyToStore(std::move(p.events), seq++);
      if (applied.ok()) {
        events_stored_.fetch_add(p.result.stored, std::memory_order_relaxed);
        p.done(Status::Ok(), p.result);
      } else {
        p.done(std::move(applied), SubmitResult{});
      }
    }
    group.clear();
  }
}

Status Pipeline::ApplyToStore(std::vector<Event> events, uint64_t seq) {
  std::lock_guard lock(apply_mu_);
  if (unapplied_.empty()) {
    Status s = sink_->Append(events, seq);
    if (s.ok()) {
      applied_through_ = std::max(applied_through_, seq);
      return s;
    }
    store_append_failures_.fetch_add(1, std::memory_order_relaxed);
    if (IsPermanentStoreError(s)) {
      applied_through_ = std::max(applied_through_, seq);
      store_rejected_events_.fetch_add(events.size(), std::memory_order_relaxed);
      return Status(s.code(), "event store refused the batch: " + s.message());
    }
  }
  // Order matters: nothing may reach the store ahead of an earlier record, or PersistedSeq
  // could pass it and DropThrough delete its only durable copy.
  unapplied_.push_back(Unapplied{std::move(events), seq});
  unapplied_records_.store(unapplied_.size(), std::memory_order_relaxed);
  store_degraded_.store(true, std::memory_order_release);
  return Status::Ok();
}

Status Pipeline::RetryUnapplied() {
  std::lock_guard lock(apply_mu_);
  while (!unapplied_.empty()) {
    Status s = sink_->Append(unapplied_.front().events, unapplied_.front().seq);
    if (!s.ok()) {
      store_append_failures_.fetch_add(1, std::memory_order_relaxed);
      if (!IsPermanentStoreError(s)) return s;
      // Acknowledged already (it was durable when the store first failed transiently); the
      // store will never take it, so it is counted and passed over rather than block the rest.
      store_rejected_events_.fetch_add(unapplied_.front().events.size(), std::memory_order_relaxed);
    }
    applied_through_ = std::max(applied_through_, unapplied_.front().seq);
    unapplied_.pop_front();
    unapplied_records_.store(unapplied_.size(), std::memory_order_relaxed);
  }
  store_degraded_.store(false, std::memory_order_release);
  return Status::Ok();
}

Status Pipeline::RunMaintenance() {
  Status s = RetryUnapplied();
  dedupe_.Expire(clock_->NowMs());
  Status d = wal_->DropThrough(sink_->PersistedSeq());
  return s.ok() ? d : s;
}

Status Pipeline::RetireWal(int64_t timeout_ms) {
  auto sealed = wal_->Seal();
  if (!sealed.ok()) return sealed.status();
  // The writer thread hands a record to the store right after its fdatasync; wait for that.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    TAP_RETURN_IF_ERROR(RetryUnapplied());
    {
      std::lock_guard lock(apply_mu_);
      if (applied_through_ >= *sealed) break;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Status::Unavailable("retiring the WAL: the store has not taken every record yet");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  TAP_RETURN_IF_ERROR(sink_->Flush());
  if (sink_->PersistedSeq() < *sealed)
    return Status::Unavailable("retiring the WAL: the store has not persisted every record");
  return wal_->DropThrough(sink_->PersistedSeq());
}

void Pipeline::MaintenanceLoop() {
  std::unique_lock lock(maintenance_mu_);
  while (!stop_maintenance_) {
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(options_.maintenance_interval_ms),
                             [&] { return stop_maintenance_; });
    if (stop_maintenance_) break;
    lock.unlock();
    // Failures are visible in Stats (store_append_failures, unapplied_records) and retried on
    // the next pass.
    (void)RunMaintenance();
    lock.lock();
  }
}

Status Pipeline::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!wal_) return close_status_;  // Open failed before the pipeline ran
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(maintenance_mu_);
    stop_maintenance_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();

  // Records the store still refuses stay in the WAL (PersistedSeq cannot pass them) and are
  // replayed by the next Open; flush what the store did take.
  Status s = RetryUnapplied();
  Status w = wal_->Close();
  Status f = sink_->Flush();
  Status d = f.ok() ? wal_->DropThrough(sink_->PersistedSeq()) : Status::Ok();
  for (Status* each : {&s, &w, &f, &d}) {
    if (close_status_.ok() && !each->ok()) close_status_ = *each;
  }
  return close_status_;
}

PipelineStats Pipeline::Stats() const {
  PipelineStats s;
  if (wal_) {
    WalStats w = wal_->Stats();
    s.wal_files = w.files;
    s.wal_bytes = w.bytes_on_disk;
    s.wal_bytes_written = w.bytes_written;
    s.wal_records = w.records_written;
    s.wal_fsyncs = w.fsyncs;
    s.wal_write_failures = w.write_failures;
    s.wal_files_dropped = w.files_dropped;
    s.wal_last_seq = w.last_seq;
    s.fsync_latency = w.fsync_latency;
  }
  s.pending_bytes = pending_bytes_stat_.load(std::memory_order_relaxed);
  s.batches_accepted = batches_accepted_.load(std::memory_order_relaxed);
  s.events_stored = events_stored_.load(std::memory_order_relaxed);
  s.duplicates_dropped = duplicates_dropped_.load(std::memory_order_relaxed);
  s.batches_failed = batches_failed_.load(std::memory_order_relaxed);
  s.store_append_failures = store_append_failures_.load(std::memory_order_relaxed);
  s.unapplied_records = unapplied_records_.load(std::memory_order_relaxed);
  s.store_rejected_events = store_rejected_events_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    s.rejected[i] = rejected_[i].load(std::memory_order_relaxed);
  }
  DedupeSetStats d = dedupe_.Stats();
  s.dedupe_ids = d.ids;
  s.dedupe_memory_bytes = d.memory_bytes;
  s.dedupe_expired_ids = d.expired_ids;
  s.dedupe_early_evicted_ids = d.early_evicted_ids;
  s.recovered_records = recovery_.records;
  s.replayed_records = replayed_records_;
  s.replayed_events = replayed_events_;
  s.replay_duplicates = replay_duplicates_;
  s.replay_rejected_events = replay_rejected_events_;
  s.recovery_truncated_bytes = recovery_.truncated_bytes;
  s.recovery_skipped_bytes = recovery_.skipped_bytes;
  return s;
}

}  // namespace tapistry
