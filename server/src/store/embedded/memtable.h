// Memtable: the rows appended since the last flush, one RowBatch per (project, day) partition,
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

struct Memtable {
  using Key = std::pair<std::string, int32_t>;  // (project_id, day)
  std::map<Key, std::unique_ptr<RowBatch>> partitions;
  size_t rows = 0;
  int64_t first_append_ms = 0;  // clock time of the first row (for the age trigger)
  uint64_t min_seq = 0, max_seq = 0;  // WAL sequences appended (0 = none)

  void Append(const Event& e);
  void NoteSeq(uint64_t seq);
  // Query copies of the partitions of `project` (all when nullopt) in [from_day, to_day].
  void Snapshot(const std::optional<std::string>& project, int32_t from_day, int32_t to_day, ColumnMask mask,
                SourceList* out) const;
  size_t ApproxBytes() const;
  // Must be called after erasing from `partitions` directly.
  void ResetCache() { last_ = nullptr, last_key_ = nullptr; }

 private:
  RowBatch* last_ = nullptr;  // consecutive events usually share a partition
  const Key* last_key_ = nullptr;
};

}  // namespace tapistry::store
