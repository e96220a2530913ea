#include "store/embedded/memtable.h"

#include <algorithm>

namespace tapistry::store {

void Memtable::Append(const Event& e) {
  const int32_t day = DayOf(e.ts_ms);
  const bool bots = IsBotScore(e.bot_score);
  if (last_ == nullptr || last_key_->day != day || last_key_->bots != bots ||
      last_key_->project_id != e.project_id) {
    auto [it, inserted] = partitions.try_emplace(Key{e.project_id, day, bots});
    if (inserted) it->second = std::make_unique<RowBatch>();
    last_ = it->second.get();
    last_key_ = &it->first;
  }
  last_->Append(e);
  ++rows;
}

void Memtable::NoteSeq(uint64_t seq) {
  if (seq == 0) return;
  min_seq = min_seq == 0 ? seq : std::min(min_seq, seq);
  max_seq = std::max(max_seq, seq);
}

void Memtable::Snapshot(const std::optional<std::string>& project, int32_t from_day, int32_t to_day,
                        ColumnMask mask, bool include_bots, SourceList* out) const {
  auto it = project ? partitions.lower_bound(Key{*project, from_day}) : partitions.begin();
  for (; it != partitions.end(); ++it) {
    const auto& [key, batch] = *it;
    if (project && key.project_id != *project) break;
    if (key.day < from_day || key.day > to_day || batch->rows() == 0) continue;
    if (key.bots && !include_bots) continue;
    auto cols = std::make_shared<Columns>();
    batch->Snapshot(mask, cols.get());
    out->push_back(std::make_shared<MemSource>(key.project_id, key.day, std::move(cols)));
  }
}

size_t Memtable::ApproxBytes() const {
  size_t bytes = 0;
  for (const auto& [key, batch] : partitions) bytes += batch->ApproxBytes();
  return bytes;
}

}  // namespace tapistry::store
