// EmbeddedEventStore: the default EventStore (DESIGN §6). Columnar segments per (project, UTC
// day, bots or not) partition (memtable.h PartitionKey) under opts.dir, a memtable in front of
// them, and a manifest that names the live segments and the WAL sequence they cover. See
// docs/formats/segment.md for the bytes.
//
// Write path: Append encodes rows into the memtable (visible to queries at once); a flush turns
// each memtable partition into a segment (sorted by session, zstd), then publishes them all
// with one atomic manifest write, which is also when PersistedSeq() advances.
// Background: a thread flushes by size/age and compacts the segments of each partition into one.
// Queries snapshot the segment list and copy the memtable partitions they need, then run without
// locks, in parallel over partitions.
//
// Opened by the store factory (app/store_factory.h, `file:` URLs) and by tools and tests that
// need the embedded store itself (store_bench, CompactAll, Stats): EmbeddedStoreOptions and
// OpenEmbeddedEventStore below are its whole outside surface; nothing about it is in include/.
//
// Thread-safety: every method may be called concurrently. Lock order (never reversed):
// maint_mu_ (compaction, DSAR, retention) -> flush_mu_ -> manifest_mu_ -> mu_ (state).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/embedded/dict_cache.h"
#include "store/embedded/manifest.h"
#include "store/embedded/memtable.h"
#include "store/embedded/row_filter.h"
#include "store/embedded/segment_reader.h"
#include "store/embedded/source.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"

namespace tapistry {

class Env;  // common/env.h: tests put a fault-injecting one under the store

struct EmbeddedStoreOptions {
  std::string dir;                     // <data>/events
  size_t memtable_rows = 1 << 19;      // flush when the memtable holds this many rows
  int64_t memtable_max_age_ms = 5000;  // ... or when its oldest row is this old
  bool background = true;              // run flush/compaction threads
  // Run compaction at nice 10 so request threads keep the CPU (serve); a bulk import has
  // nothing else to protect. Flushes always run at normal priority: the WAL writer waits for
  // them once a second memtable fills, so a niced flush would stall every acknowledgement.
  bool low_priority_compaction = true;
  Clock* clock = nullptr;  // nullptr = SystemClock()
  Env* env = nullptr;      // file system (common/env.h); nullptr = the real one
};

// EmbeddedEventStore::Open, as the interface.
Result<std::unique_ptr<EventStore>> OpenEmbeddedEventStore(const EmbeddedStoreOptions& opts);

}  // namespace tapistry

namespace tapistry::store {

// What the embedded store reports about itself (Stats(); Gauges() exports each one).
struct EmbeddedStoreStats {
  uint64_t rows_total = 0;  // rows in segments + memtables
  uint64_t rows_in_memtable = 0;
  uint64_t segments = 0;
  uint64_t bytes_on_disk = 0;  // of the live segments
  uint64_t flushes = 0;        // since Open
  uint64_t compactions = 0;    // since Open
  double last_flush_ms = 0;
  double last_compaction_ms = 0;
};

// zstd levels: flushes happen on the ingest path, compaction output lives for months.
inline constexpr int kFlushZstdLevel = 1;
inline constexpr int kCompactionZstdLevel = 6;
// A partition with this many segments is compacted even while it still receives rows.
inline constexpr size_t kCompactionTrigger = 4;
// A partition that got no new segment for this long is compacted into one segment.
inline constexpr int64_t kColdPartitionMs = 60 * 1000;
// Compaction output is capped so its working memory stays bounded: a compaction holds its rows
// decoded (~150 bytes each), so 1M rows keep it near 150 MB — measured under 120k events/s of
// ingest into one day, 4M let server RSS pass 650 MB.
inline constexpr uint64_t kMaxCompactedRows = 1u << 20;
// Decoded session/visitor dictionaries kept across queries (about 30 days of a site with
// 1M sessions a month fit).
inline constexpr size_t kDictCacheBytes = 64u << 20;

class EmbeddedEventStore final : public EventStore {
 public:
  static Result<std::unique_ptr<EmbeddedEventStore>> Open(const EmbeddedStoreOptions& opts);
  ~EmbeddedEventStore() override;

  Status Append(std::span<const Event> events, uint64_t last_seq) override;
  Status Flush() override;
  uint64_t PersistedSeq() const override { return persisted_seq_.load(); }
  Result<OverviewResult> Overview(const OverviewQuery& q) override;
  Result<std::vector<Event>> ListEvents(const EventFilter& filter, std::optional<EventType> type,
                                        size_t limit) override;
  // event_store.h's semantics (server/test/reference_event_store.cc) from segment rollups where
  // they answer, column scans elsewhere, never materializing events (store_analytics.cc).
  Result<HeatmapResult> Heatmap(const HeatmapQuery& q) override;
  Result<ScrollMapResult> ScrollMap(const EventFilter& f) override;
  Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) override;
  // Issue 13's element grids and layouts (store_element_grid.cc).
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) override;
  Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) override;
  Result<FunnelResult> Funnel(const FunnelQuery& q) override;  // store_funnel.cc
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) override;
  Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& contains,
                                       size_t limit) override;
  Result<uint64_t> LiveVisitors(const std::string& project_id, int64_t since_ms,
                                bool include_bots) override;
  Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d,
                                    size_t limit) override;  // store_breakdown.cc
  Status ScanEventIds(int64_t since_ms,
                      const std::function<void(const Uuid&, int64_t ts_ms)>& fn) override;
  Result<uint64_t> DeleteSubject(const std::string& project_id,
                                 const std::optional<Uuid>& anonymous_id,
                                 const std::optional<std::string>& user_id) override;
  Result<std::vector<Uuid>> SubjectSessions(const std::string& project_id,
                                            const std::optional<Uuid>& anonymous_id,
                                            const std::optional<std::string>& user_id) override;
  Result<std::vector<Event>> SubjectEvents(const std::string& project_id,
                                           const std::optional<Uuid>& anonymous_id,
                                           const std::optional<std::string>& user_id) override;
  Result<uint64_t> ApplyRetention(const std::string& project_id, int32_t today,
                                  int keep_days) override;
  // Stats() as StoreGauges named as /metrics has always shown them (tapistry_store_rows, ...).
  std::vector<StoreGauge> Gauges() const override;
  Status Close() override;

  EmbeddedStoreStats Stats() const;

  // Compacts every partition that has more than one segment, now (benchmarks, tests, tools).
  Status CompactAll();
  // The sources a query over [from_day, to_day] of `project` (all projects when nullopt) reads;
  // memtable partitions are copied with the columns in `mem_columns`. For new query kinds.
  // Without `include_bots` (EventFilter::include_bots) the bot partitions are left out, and a
  // segment that holds both kinds of rows (written before partitions were split; until
  // compaction splits it) is read as a copy of its human rows (HumanRowsOf), so every source
  // of the answer holds exactly the rows the query may see.
  Result<SourceList> Snapshot(const std::optional<std::string>& project, int32_t from_day,
                              int32_t to_day, ColumnMask mem_columns, bool include_bots) const;

 private:
  using PartitionKey = Memtable::Key;
  struct SegEntry {
    ManifestSegment meta;
    std::shared_ptr<const Segment> seg;
    int64_t created_ms = 0;  // when this process added it (0 = found at open)
    // Its partition: the bots' when every row is a bot's (BotRowsOf, from the footer; the
    // manifest does not record it). A segment holding both kinds sits with the humans.
    PartitionKey key() const {
      return {meta.project_id, meta.day, BotRowsOf(seg->footer()) == BotRows::kAll};
    }
  };
  // Immutable once published; replaced wholesale under mu_.
  struct Version {
    std::map<PartitionKey, std::vector<SegEntry>> partitions;
    uint64_t segments = 0, rows = 0, bytes = 0;
  };
  struct Edit {
    std::vector<SegEntry> add;
    std::vector<std::pair<PartitionKey, uint64_t>> remove;  // (partition, file_id)
    std::optional<uint64_t> persisted_seq;
  };

  explicit EmbeddedEventStore(const EmbeddedStoreOptions& opts);
  Status Recover();
  void BackgroundLoop();
  void CompactionLoop();
  // What the flush thread has to do: write out the memtables handed off already (imm_), and
  // whether the active one is due too (full, old, or holding only sequence numbers).
  bool FlushDue(bool* active_due);
  // f(Memtable&) for the active memtable and every one in imm_. Requires flush_mu_ (no flush is
  // reading an immutable one) and mu_ exclusively (no query is copying one).
  template <typename F>
  void ForEachMemtableLocked(F f) {
    f(*mem_);
    for (const auto& m : imm_) f(*m);
  }
  // Writes every memtable in imm_, then, with `include_active`, the active one.
  Status FlushImpl(bool include_active = true);              // takes flush_mu_
  Status FlushLocked(bool include_active = true);            // requires flush_mu_
  Status FlushMemtable(const std::shared_ptr<Memtable>& m);  // requires flush_mu_
  // Applies `e` to the current version: manifest first, then the in-memory state; retires
  // `flushed` from imm_ in the same step so no query sees its rows twice or not at all.
  Status LogAndApply(const Edit& e,
                     const std::shared_ptr<Memtable>& flushed);  // requires manifest_mu_
  uint64_t NewFileId();                                          // takes manifest_mu_
  std::string SegmentPath(const std::string& project, int32_t day, uint64_t file_id) const;
  Status WriteRows(const Columns& cols, std::span<const uint32_t> rows, const PartitionKey& key,
                   int level, SegEntry* out);
  // WriteRows for rows of one (project, day) of either kind: the humans' and the bots' go to a
  // segment each (of their partition), appended to *out; on error none is left behind.
  Status WriteSplit(const Columns& cols, std::span<const uint32_t> rows, const std::string& project,
                    int32_t day, int level, std::vector<SegEntry>* out);
  Status MaybeCompact(bool everything);  // requires maint_mu_
  // The replace step of compaction and DSAR deletes: publishes `e` with one manifest write
  // (LogAndApply under manifest_mu_); when that fails, deletes the segments e.add wrote (no
  // manifest names them) and returns the error. Requires maint_mu_.
  Status PublishReplacement(const Edit& e);
  void DiscardAdded(const Edit& e);  // deletes e.add's files: written, never published
  Status CompactPartition(const PartitionKey& key, const std::vector<SegEntry>& inputs);
  std::shared_ptr<const Version> CurrentVersion() const;
  // Calls fn(source, rows) for each source of the filter's range, one at a time in ascending day
  // order; rows.cols() holds `mask`, rows.selected(r) says which rows the filter selects.
  using ScanFn = std::function<Status(const Source&, const SelectedRows&)>;
  Status ScanSelected(const EventFilter& f, std::optional<EventType> type, ColumnMask mask,
                      const ScanFn& fn);

  const EmbeddedStoreOptions opts_;
  Clock* const clock_;
  Env* const env_;  // every file-system call goes through it (file_util.h)

  std::mutex maint_mu_;
  std::mutex flush_mu_;
  std::mutex manifest_mu_;
  uint64_t next_file_id_ = 1;  // guarded by manifest_mu_

  mutable std::shared_mutex mu_;
  std::shared_ptr<Memtable> mem_;
  std::vector<std::shared_ptr<Memtable>> imm_;  // being flushed: still read by queries
  std::shared_ptr<const Version> version_;
  bool closed_ = false;

  mutable DictCache dict_cache_{kDictCacheBytes};
  std::atomic<uint64_t> persisted_seq_{0};
  std::atomic<uint64_t> flushes_{0}, compactions_{0};
  std::atomic<double> last_flush_ms_{0}, last_compaction_ms_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;
  bool bg_kick_ = false;
  std::thread bg_;       // flushes: never waits behind a compaction
  std::thread compact_;  // compactions
};

}  // namespace tapistry::store
