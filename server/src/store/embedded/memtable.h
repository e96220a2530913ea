// Memtable: the rows appended since the last flush, one RowBatch per partition (PartitionKey),
// plus what a flush needs to know (age, WAL sequence range).
// Thread-safety: none of its own; EmbeddedEventStore guards it (appends exclusive, query
// snapshots shared). Once moved to the flush queue only DSAR deletes and retention modify it,
// holding the flush mutex (no flush reads it meanwhile) and the store lock exclusively.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "store/embedded/row_batch.h"
#include "store/embedded/source.h"
#include "tapistry/event.h"

namespace tapistry::store {

// A partition: one project's rows of one UTC day, the bots' (bot_score >= kBotScoreThreshold)
// apart from everyone else's, so that a query without bots never opens a bot partition and the
// human partitions keep every rollup and shortcut exact (docs/formats/segment.md §Partitions).
struct PartitionKey {
  std::string project_id;
  int32_t day = 0;
  bool bots = false;
  auto operator<=>(const PartitionKey&) const = default;
};

struct Memtable {
  using Key = PartitionKey;
  std::map<Key, std::unique_ptr<RowBatch>> partitions;
  size_t rows = 0;
  int64_t first_append_ms = 0;        // clock time of the first row (for the age trigger)
  uint64_t min_seq = 0, max_seq = 0;  // WAL sequences appended (0 = none)

  void Append(const Event& e);
  void NoteSeq(uint64_t seq);
  // Query copies of the partitions of `project` (all when nullopt) in [from_day, to_day]; the
  // bot partitions only with `include_bots`.
  void Snapshot(const std::optional<std::string>& project, int32_t from_day, int32_t to_day,
                ColumnMask mask, bool include_bots, SourceList* out) const;
  size_t ApproxBytes() const;
  // Must be called after erasing from `partitions` directly.
  void ResetCache() { last_ = nullptr, last_key_ = nullptr; }

 private:
  RowBatch* last_ = nullptr;  // consecutive events usually share a partition
  const Key* last_key_ = nullptr;
};

}  // namespace tapistry::store
