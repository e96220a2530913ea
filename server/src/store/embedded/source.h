// Source: the rows of one (project, day) partition as one query sees them: either an immutable
// segment on disk or a copy of a memtable partition taken when the query started. The query
// engine only talks to Sources, so a query reads segments and memtable alike.
// Thread-safety: immutable; every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/embedded/columns.h"
#include "store/embedded/dict_cache.h"
#include "store/embedded/rollup.h"
#include "store/embedded/segment_reader.h"
#include "tapistry/status.h"

namespace tapistry::store {

class Source {
 public:
  virtual ~Source() = default;
  const std::string& project_id() const { return project_id_; }
  int32_t day() const { return day_; }
  virtual size_t rows() const = 0;

  // Returns columns holding at least `mask`: either the source's own (memtable copies are
  // already decoded) or *scratch, decoded into. The pointer lives as long as both do.
  virtual Result<const Columns*> Get(ColumnMask mask, Columns* scratch) const = 0;
  // The sorted dictionary of session_id or anonymous_id.
  virtual Status UuidDict(ColumnId id, std::shared_ptr<const std::vector<Uuid>>* out) const = 0;
  // The dictionary of a string column.
  virtual Status StringDict(ColumnId id, StringColumn* scratch, const StringColumn** out) const = 0;
  // [min, max] of a numeric column over all rows, when the source knows it without reading.
  virtual bool Range(ColumnId id, int64_t* min, int64_t* max) const = 0;
  // How rows group by session: runs[j] = rows of session dictionary entry j, taken in `order`
  // (row indices); `order` is left empty when rows are already grouped (segments).
  virtual Status SessionOrder(std::vector<uint32_t>* runs, std::vector<uint32_t>* order) const = 0;
  // Whether each session's rows are contiguous and in (ts, event_id) order (segments are
  // written so); memtable copies keep append order.
  virtual bool SessionOrdered() const { return false; }
  // Precomputed page-view aggregates (segments); false when the source has none (memtable).
  virtual bool HasPageviewAggregates() const { return false; }
  virtual Status LoadPageviewAggregates(PageviewAggregates*) const {
    return Status::Internal("source has no page-view aggregates");
  }
  // Footer aggregates by kind, e.g. the analytics rollups (rollup.h) of version 2 segments.
  // Memtable copies and version 1 segments have none: queries scan their rows instead.
  virtual bool HasAggregate(StreamKind) const { return false; }
  virtual Status LoadAggregate(StreamKind, std::string*) const {
    return Status::Internal("source has no such aggregate");
  }
  // What rollup decoders check the aggregates against.
  virtual RollupBounds Bounds() const { return RollupBounds(); }

 protected:
  Source(std::string project_id, int32_t day) : project_id_(std::move(project_id)), day_(day) {}

 private:
  std::string project_id_;
  int32_t day_;
};

class SegmentSource final : public Source {
 public:
  // `cache` (may be null) keeps decoded uuid dictionaries across queries.
  SegmentSource(std::shared_ptr<const Segment> seg, DictCache* cache)
      : Source(seg->footer().project_id, seg->footer().day), seg_(std::move(seg)), cache_(cache) {}
  size_t rows() const override { return static_cast<size_t>(seg_->rows()); }
  Result<const Columns*> Get(ColumnMask mask, Columns* scratch) const override;
  Status UuidDict(ColumnId id, std::shared_ptr<const std::vector<Uuid>>* out) const override;
  Status StringDict(ColumnId id, StringColumn* scratch, const StringColumn** out) const override;
  bool Range(ColumnId id, int64_t* min, int64_t* max) const override;
  Status SessionOrder(std::vector<uint32_t>* runs, std::vector<uint32_t>* order) const override {
    order->clear();
    return seg_->LoadSessionRuns(runs);
  }
  bool SessionOrdered() const override { return true; }
  bool HasPageviewAggregates() const override {
    return seg_->footer().FindAggregate(StreamKind::kPathStats) != nullptr;
  }
  Status LoadPageviewAggregates(PageviewAggregates* out) const override {
    return seg_->LoadPageviewAggregates(out);
  }
  bool HasAggregate(StreamKind k) const override {
    return seg_->footer().FindAggregate(k) != nullptr;
  }
  Status LoadAggregate(StreamKind k, std::string* raw) const override {
    return seg_->LoadAggregate(k, raw);
  }
  RollupBounds Bounds() const override { return BoundsOf(seg_->footer()); }

 private:
  std::shared_ptr<const Segment> seg_;
  DictCache* cache_;
};

class MemSource final : public Source {
 public:
  MemSource(std::string project_id, int32_t day, std::shared_ptr<const Columns> cols)
      : Source(std::move(project_id), day), cols_(std::move(cols)) {}
  size_t rows() const override { return cols_->rows; }
  Result<const Columns*> Get(ColumnMask mask, Columns* scratch) const override;
  Status UuidDict(ColumnId id, std::shared_ptr<const std::vector<Uuid>>* out) const override;
  Status StringDict(ColumnId id, StringColumn* scratch, const StringColumn** out) const override;
  bool Range(ColumnId, int64_t*, int64_t*) const override { return false; }
  Status SessionOrder(std::vector<uint32_t>* runs, std::vector<uint32_t>* order) const override;

 private:
  std::shared_ptr<const Columns> cols_;
};

using SourceList = std::vector<std::shared_ptr<const Source>>;

// Which of a segment's rows are bots' (IsBotScore, event.h), from its footer's bot_score range.
// Segments written since partitions were split by bot score hold one kind (kNone or kAll); older
// ones may hold both (kSome) until compaction splits them.
enum class BotRows : uint8_t { kNone, kAll, kSome };
BotRows BotRowsOf(const SegmentFooter& f);

// A memtable-like copy of the human rows of a kSome segment, with the columns in `mask`: what a
// query without bots reads in place of such a segment (no rollups: its rows are scanned).
Result<std::shared_ptr<const Source>> HumanRowsOf(const Segment& seg, ColumnMask mask);

// Loads footer aggregate `kind` of `src` into a fresh pooled buffer (scratch.h).
inline Status LoadInto(const Source& src, StreamKind kind, ScratchString* out) {
  *out = ScratchString();
  return src.LoadAggregate(kind, out->get());
}

}  // namespace tapistry::store
