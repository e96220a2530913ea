#include "store/embedded/embedded_event_store.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>

#include "store/embedded/file_util.h"
#include "store/embedded/segment_format.h"
#include "store/embedded/segment_writer.h"

namespace tapistry::store {
namespace {

double MsSince(Clock* clock, int64_t mono_start) {
  return static_cast<double>(clock->MonoNs() - mono_start) / 1e6;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Status CheckEvent(const Event& e) {
  const std::string* strs[] = {
      &e.project_id, &e.user_id,    &e.name,       &e.url,          &e.path,     &e.title,
      &e.referrer,   &e.utm_source, &e.utm_medium, &e.utm_campaign, &e.utm_term, &e.utm_content,
      &e.browser,    &e.os,         &e.ua,         &e.selector,     &e.props};
  for (const std::string* s : strs) {
    if (s->size() > kMaxStoredStringBytes)
      return Status::TooLarge("event field longer than the store accepts");
  }
  return Status::Ok();
}

}  // namespace

EmbeddedEventStore::EmbeddedEventStore(const EmbeddedStoreOptions& opts)
    : opts_(opts), clock_(opts.clock ? opts.clock : SystemClock()),
      env_(opts.env ? opts.env : PosixEnv()), mem_(std::make_shared<Memtable>()),
      version_(std::make_shared<Version>()) {}

Result<std::unique_ptr<EmbeddedEventStore>> EmbeddedEventStore::Open(
    const EmbeddedStoreOptions& opts) {
  if (opts.dir.empty()) return Status::InvalidArgument("embedded store: dir is empty");
  if (opts.memtable_rows == 0) return Status::InvalidArgument("embedded store: memtable_rows is 0");
  std::unique_ptr<EmbeddedEventStore> store(new EmbeddedEventStore(opts));
  if (Status s = store->Recover(); !s.ok()) {
    store->closed_ = true;  // nothing to flush on destruction
    return s;
  }
  if (opts.background) {
    store->bg_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
    store->compact_ = std::thread([s = store.get()] { s->CompactionLoop(); });
  }
  return store;
}

EmbeddedEventStore::~EmbeddedEventStore() { (void)Close(); }

std::string EmbeddedEventStore::SegmentPath(const std::string& project, int32_t day,
                                            uint64_t file_id) const {
  return opts_.dir + "/" + SegmentRelPath(project, day, file_id);
}

Status EmbeddedEventStore::Recover() {
  TAP_RETURN_IF_ERROR(CreateDirs(opts_.dir, env_));
  Manifest m;
  const std::string manifest_path = opts_.dir + "/" + kManifestName;
  if (env_->Stat(manifest_path).ok()) {
    std::string bytes;
    TAP_RETURN_IF_ERROR(ReadWholeFile(manifest_path, &bytes, env_));
    TAP_RETURN_IF_ERROR(DecodeManifest(bytes, &m));
  }
  auto v = std::make_shared<Version>();
  std::set<std::string> live;
  for (const ManifestSegment& ms : m.segments) {
    const std::string path = SegmentPath(ms.project_id, ms.day, ms.file_id);
    auto seg = Segment::Open(path, env_);
    if (!seg.ok()) return seg.status();
    const SegmentFooter& f = (*seg)->footer();
    if (f.project_id != ms.project_id || f.day != ms.day || f.rows != ms.rows) {
      return Status::Corruption("segment " + path + " does not match the manifest");
    }
    SegEntry entry{ms, std::move(*seg), 0};
    v->partitions[entry.key()].push_back(std::move(entry));
    v->segments++;
    v->rows += ms.rows;
    v->bytes += ms.file_size;
    live.insert(std::filesystem::path(path).lexically_normal().string());
  }
  // Whatever the manifest does not name is a leftover of an interrupted flush, compaction or
  // rewrite (temp files, or complete segments that were never published): remove it.
  std::vector<std::string> files, doomed;
  TAP_RETURN_IF_ERROR(ListFilesRecursive(opts_.dir, &files, env_));
  for (const std::string& file : files) {
    const std::string p = std::filesystem::path(file).lexically_normal().string();
    if (EndsWith(p, kTempSuffix) || (EndsWith(p, ".seg") && !live.count(p))) doomed.push_back(p);
  }
  for (const std::string& p : doomed) TAP_RETURN_IF_ERROR(RemoveAll(p, env_));
  next_file_id_ = m.next_file_id;
  persisted_seq_ = m.persisted_seq;
  version_ = std::move(v);
  return Status::Ok();
}

std::shared_ptr<const EmbeddedEventStore::Version> EmbeddedEventStore::CurrentVersion() const {
  std::shared_lock l(mu_);
  return version_;
}

Status EmbeddedEventStore::Append(std::span<const Event> events, uint64_t last_seq) {
  // All or nothing: every check happens before the first row is added, and once rows are in
  // the memtable the call succeeds (a failed flush stays queued; PersistedSeq tells the truth).
  for (const Event& e : events) TAP_RETURN_IF_ERROR(CheckEvent(e));
  // Flushes failing (disk full, I/O errors) would let the memtable grow without bound: past
  // 4x its size the writer flushes itself and refuses the batch, adding nothing, if that fails.
  // Other writers refilling it meanwhile are progress, not failure, so it simply checks again.
  const size_t hard_limit = 4 * opts_.memtable_rows;
  while (true) {
    size_t unflushed;
    {
      std::shared_lock l(mu_);
      unflushed = mem_->rows;
      for (const auto& m : imm_) unflushed += m->rows;
    }
    if (unflushed < hard_limit) break;
    if (Status s = FlushImpl(); !s.ok())
      return Status::Unavailable("event store cannot flush: " + s.message());
  }
  size_t rows;
  int64_t first_ms;
  bool handed_off = false, must_wait = false;
  {
    std::unique_lock l(mu_);
    if (closed_) return Status::Unavailable("event store is closed");
    if (mem_->rows == 0 && !events.empty()) mem_->first_append_ms = clock_->NowMs();
    for (const Event& e : events) mem_->Append(e);
    mem_->NoteSeq(last_seq);
    rows = mem_->rows;
    first_ms = mem_->first_append_ms;
    if (opts_.background && rows >= opts_.memtable_rows) {
      // Full: hand it to the flush thread in the same critical section that filled it, so the
      // next append goes to a fresh memtable. Deciding this after the lock is dropped raced
      // with the flush thread's own hand-off and made the writer wait a whole flush (~350 ms
      // at 512k rows) for nothing, every few seconds under sustained load.
      if (imm_.empty()) {
        imm_.push_back(mem_);
        mem_ = std::make_shared<Memtable>();
        handed_off = true;
      } else {
        must_wait = true;
      }
    }
  }
  if (handed_off) {
    std::lock_guard<std::mutex> l(bg_mu_);
    bg_kick_ = true;
    bg_cv_.notify_all();  // two threads wait on bg_cv_; the flush thread must see the kick
  } else if (must_wait) {
    // Appends outran the background flush (a whole memtable filled while the previous one was
    // being written): the writer waits for it and writes this one itself, so at most one full
    // memtable is in memory besides the one filling.
    (void)FlushImpl();
  } else if (!opts_.background &&
             (rows >= opts_.memtable_rows ||
              (rows > 0 && clock_->NowMs() - first_ms >= opts_.memtable_max_age_ms))) {
    (void)FlushImpl();
  }
  return Status::Ok();
}

Status EmbeddedEventStore::Flush() { return FlushImpl(); }

Status EmbeddedEventStore::FlushImpl(bool include_active) {
  std::lock_guard<std::mutex> l(flush_mu_);
  return FlushLocked(include_active);
}

Status EmbeddedEventStore::FlushLocked(bool include_active) {
  // Memtables a failed flush left behind go first, in order, so sequences persist in order.
  while (true) {
    std::shared_ptr<Memtable> m;
    bool last = false;
    {
      std::unique_lock l(mu_);
      if (!imm_.empty()) {
        m = imm_.front();
      } else {
        if (!include_active) return Status::Ok();
        if (mem_->rows == 0 && mem_->max_seq <= persisted_seq_.load()) return Status::Ok();
        m = mem_;
        imm_.push_back(m);
        mem_ = std::make_shared<Memtable>();
        last = true;
      }
    }
    TAP_RETURN_IF_ERROR(FlushMemtable(m));
    if (last) return Status::Ok();
  }
}

Status EmbeddedEventStore::FlushMemtable(const std::shared_ptr<Memtable>& m) {
  const int64_t start = clock_->MonoNs();
  Edit e;
  std::vector<uint32_t> all;
  Status s;
  for (const auto& [key, batch] : m->partitions) {
    if (batch->rows() == 0) continue;
    all.resize(batch->rows());
    std::iota(all.begin(), all.end(), 0u);
    SegEntry entry;
    s = WriteRows(batch->raw(), all, key, kFlushZstdLevel, &entry);
    if (!s.ok()) break;
    e.add.push_back(std::move(entry));
  }
  if (s.ok()) {
    std::lock_guard<std::mutex> ml(manifest_mu_);
    // PersistedSeq may pass m's sequences only up to just below the oldest sequence still
    // sitting in another, unflushed memtable.
    uint64_t seq = std::max(persisted_seq_.load(), m->max_seq);
    {
      std::shared_lock l(mu_);
      auto cap = [&](const Memtable& other) {
        if (&other != m.get() && other.min_seq != 0) seq = std::min(seq, other.min_seq - 1);
      };
      cap(*mem_);
      for (const auto& other : imm_) cap(*other);
    }
    e.persisted_seq = std::max(seq, persisted_seq_.load());
    s = LogAndApply(e, m);
  }
  if (!s.ok()) {
    for (const SegEntry& entry : e.add) (void)RemoveAll(entry.seg->path(), env_);
    return s;
  }
  flushes_++;
  last_flush_ms_ = MsSince(clock_, start);
  return Status::Ok();
}

uint64_t EmbeddedEventStore::NewFileId() {
  std::lock_guard<std::mutex> l(manifest_mu_);
  return next_file_id_++;
}

Status EmbeddedEventStore::WriteRows(const Columns& cols, std::span<const uint32_t> rows,
                                     const PartitionKey& key, int level, SegEntry* out) {
  const uint64_t id = NewFileId();
  const std::string path = SegmentPath(key.project_id, key.day, id);
  TAP_RETURN_IF_ERROR(CreateDirs(ParentDir(path), env_));
  SegmentFooter footer;
  uint64_t size = 0;
  TAP_RETURN_IF_ERROR(
      WriteSegmentFile(cols, rows, {key.project_id, key.day, level}, path, &footer, &size, env_));
  if (BotRowsOf(footer) != (key.bots ? BotRows::kAll : BotRows::kNone)) {
    (void)RemoveAll(path, env_);
    return Status::Internal("segment rows do not belong to its partition's kind (bots or not)");
  }
  auto seg = Segment::Open(path, env_);
  if (!seg.ok()) return seg.status();
  out->meta = ManifestSegment{id, key.project_id, key.day, footer.rows, size};
  out->seg = std::move(*seg);
  out->created_ms = clock_->NowMs();
  return Status::Ok();
}

Status EmbeddedEventStore::WriteSplit(const Columns& cols, std::span<const uint32_t> rows,
                                      const std::string& project, int32_t day, int level,
                                      std::vector<SegEntry>* out) {
  std::vector<uint32_t> kind[2];  // humans, bots
  for (uint32_t r : rows) kind[IsBotScore(cols.bot_score[r])].push_back(r);
  const size_t first = out->size();
  for (int bots = 0; bots < 2; ++bots) {
    if (kind[bots].empty()) continue;
    SegEntry entry;
    Status s = WriteRows(cols, kind[bots], {project, day, bots == 1}, level, &entry);
    if (!s.ok()) {
      for (size_t i = first; i < out->size(); ++i) (void)RemoveAll((*out)[i].seg->path(), env_);
      out->resize(first);
      return s;
    }
    out->push_back(std::move(entry));
  }
  return Status::Ok();
}

Status EmbeddedEventStore::LogAndApply(const Edit& e, const std::shared_ptr<Memtable>& flushed) {
  auto v = std::make_shared<Version>(*CurrentVersion());
  for (const auto& removal : e.remove) {
    const uint64_t file_id = removal.second;
    auto it = v->partitions.find(removal.first);
    if (it == v->partitions.end())
      return Status::Internal("edit removes a segment of an unknown partition");
    auto& list = it->second;
    auto pos = std::find_if(list.begin(), list.end(),
                            [&](const SegEntry& s) { return s.meta.file_id == file_id; });
    if (pos == list.end()) return Status::Internal("edit removes an unknown segment");
    list.erase(pos);
    if (list.empty()) v->partitions.erase(it);
  }
  for (const SegEntry& s : e.add) v->partitions[s.key()].push_back(s);
  Manifest m;
  m.persisted_seq = e.persisted_seq.value_or(persisted_seq_.load());
  m.next_file_id = next_file_id_;
  v->segments = v->rows = v->bytes = 0;
  for (const auto& [key, list] : v->partitions) {
    for (const SegEntry& s : list) {
      m.segments.push_back(s.meta);
      v->segments++;
      v->rows += s.meta.rows;
      v->bytes += s.meta.file_size;
    }
  }
  TAP_RETURN_IF_ERROR(WriteFileAtomic(opts_.dir + "/" + kManifestName, EncodeManifest(m), env_));
  {
    std::unique_lock l(mu_);
    version_ = std::move(v);
    if (flushed) imm_.erase(std::remove(imm_.begin(), imm_.end(), flushed), imm_.end());
  }
  if (e.persisted_seq) persisted_seq_ = *e.persisted_seq;
  return Status::Ok();
}

bool EmbeddedEventStore::FlushDue(bool* active_due) {
  std::shared_lock l(mu_);
  if (mem_->rows >= opts_.memtable_rows) {
    *active_due = true;
  } else if (mem_->rows > 0) {
    *active_due = clock_->NowMs() - mem_->first_append_ms >= opts_.memtable_max_age_ms;
  } else {
    *active_due = mem_->max_seq > persisted_seq_.load();
  }
  return *active_due || !imm_.empty();
}

namespace {
// Compactions are optional throughput work; on a 2-core box they must not take CPU from the
// request threads, or acknowledgements stall while a partition is being rewritten. Linux applies
// nice values per thread. Flushes are not optional: at nice 10 a flush got ~7 % of a core while
// the request threads were busy, took seconds, and the WAL writer (which waits for it once the
// next memtable is full) stalled every acknowledgement behind it — a priority inversion.
void LowerThreadPriority() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
}
}  // namespace

void EmbeddedEventStore::BackgroundLoop() {
  while (true) {
    {
      std::unique_lock<std::mutex> l(bg_mu_);
      bg_cv_.wait_for(l, std::chrono::milliseconds(20), [this] { return bg_stop_ || bg_kick_; });
      if (bg_stop_) return;
      bg_kick_ = false;
    }
    bool active_due = false;
    if (FlushDue(&active_due))
      (void)FlushImpl(active_due);  // a failed flush stays queued and is retried
  }
}

// Compaction runs on its own thread: a multi-second rewrite of a busy day must not hold up the
// next flush, or the memtable grows to its hard limit and the WAL writer flushes inline, which
// stalls acknowledgements (measured: ~190k events/s falling to ~70k/s under sustained load).
void EmbeddedEventStore::CompactionLoop() {
  if (opts_.low_priority_compaction) LowerThreadPriority();
  while (true) {
    {
      std::unique_lock<std::mutex> l(bg_mu_);
      bg_cv_.wait_for(l, std::chrono::seconds(1), [this] { return bg_stop_; });
      if (bg_stop_) return;
    }
    std::lock_guard<std::mutex> l(maint_mu_);
    (void)MaybeCompact(false);  // compaction is an optimisation; queries are exact without it
  }
}

EmbeddedStoreStats EmbeddedEventStore::Stats() const {
  EmbeddedStoreStats st;
  std::shared_lock l(mu_);
  st.segments = version_->segments;
  st.bytes_on_disk = version_->bytes;
  st.rows_in_memtable = mem_->rows;
  for (const auto& m : imm_) st.rows_in_memtable += m->rows;
  st.rows_total = version_->rows + st.rows_in_memtable;
  st.flushes = flushes_.load();
  st.compactions = compactions_.load();
  st.last_flush_ms = last_flush_ms_.load();
  st.last_compaction_ms = last_compaction_ms_.load();
  return st;
}

std::vector<StoreGauge> EmbeddedEventStore::Gauges() const {
  const EmbeddedStoreStats st = Stats();
  auto n = [](uint64_t v) { return static_cast<double>(v); };
  return {
      {std::string(kStoreRowsGauge), "Rows in the event store", n(st.rows_total)},
      {"store_memtable_rows", "Rows not yet flushed to segments", n(st.rows_in_memtable)},
      {"store_segments", "Segment files", n(st.segments)},
      {"store_bytes", "Bytes of segment files on disk", n(st.bytes_on_disk)},
      {"store_flushes", "Memtable flushes since start", n(st.flushes)},
      {"store_last_flush_ms", "Duration of the last flush", st.last_flush_ms},
      {"store_compactions", "Compactions since start", n(st.compactions)},
      {"store_last_compaction_ms", "Duration of the last compaction", st.last_compaction_ms},
  };
}

Status EmbeddedEventStore::Close() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    bg_stop_ = true;
    bg_cv_.notify_all();
  }
  if (bg_.joinable()) bg_.join();
  if (compact_.joinable()) compact_.join();
  {
    std::shared_lock l(mu_);
    if (closed_) return Status::Ok();
  }
  Status s = FlushImpl();
  std::unique_lock l(mu_);
  closed_ = true;
  return s;
}

Result<SourceList> EmbeddedEventStore::Snapshot(const std::optional<std::string>& project,
                                                int32_t from_day, int32_t to_day,
                                                ColumnMask mem_columns, bool include_bots) const {
  SourceList out;
  std::shared_ptr<const Version> v;
  {
    std::shared_lock l(mu_);
    v = version_;
    for (const auto& m : imm_)
      m->Snapshot(project, from_day, to_day, mem_columns, include_bots, &out);
    mem_->Snapshot(project, from_day, to_day, mem_columns, include_bots, &out);
  }
  auto it = project ? v->partitions.lower_bound({*project, from_day}) : v->partitions.begin();
  for (; it != v->partitions.end(); ++it) {
    const PartitionKey& key = it->first;
    if (project && key.project_id != *project) break;
    if (key.day < from_day || key.day > to_day || (key.bots && !include_bots)) continue;
    for (const SegEntry& s : it->second) {
      if (!include_bots && BotRowsOf(s.seg->footer()) == BotRows::kSome) {
        auto humans = HumanRowsOf(*s.seg, mem_columns);
        if (!humans.ok()) return humans.status();
        out.push_back(std::move(*humans));
      } else {
        out.push_back(std::make_shared<SegmentSource>(s.seg, &dict_cache_));
      }
    }
  }
  return out;
}

}  // namespace tapistry::store

namespace tapistry {

Result<std::unique_ptr<EventStore>> OpenEmbeddedEventStore(const EmbeddedStoreOptions& opts) {
  auto store = store::EmbeddedEventStore::Open(opts);
  if (!store.ok()) return store.status();
  return std::unique_ptr<EventStore>(std::move(*store));
}

}  // namespace tapistry
